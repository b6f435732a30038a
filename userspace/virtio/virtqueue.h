/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.x, 2.7) as a device in the helper serves them
 * straight from guest memory.  Everything the guest wrote is read once into
 * our own copy and checked there: a malformed ring or chain makes the
 * queue broken (the device then reports DEVICE_NEEDS_RESET), never an
 * access outside guest RAM.
 */
#ifndef HVM_VIRTQUEUE_H
#define HVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "libhvm.h"

#define VIRTQ_MAX_SIZE		1024	/* queue size the device offers */
#define VIRTQ_MAX_INDIRECT	1024	/* descriptors in one indirect table */

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1

struct virtq {
	/* Set by the driver through the transport, then virtq_enable(). */
	uint16_t size;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */

	bool ready;
	bool broken;		/* a ring or chain the device cannot trust */
	const struct hvm_guest_ram *ram;
	uint16_t last_avail;	/* next available entry to take */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last interrupt */
};

/* One buffer of a chain, as the guest described it (checked in RAM). */
struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes;
};

struct virtq_chain {
	uint16_t head;
	unsigned int nr;
	uint64_t readable;	/* bytes the device may read */
	uint64_t writable;	/* bytes the device may write */
	/* A chain is direct (up to size) or one indirect table. */
	struct virtq_buf bufs[VIRTQ_MAX_SIZE > VIRTQ_MAX_INDIRECT ?
			      VIRTQ_MAX_SIZE : VIRTQ_MAX_INDIRECT];
};

/*
 * Checks the layout the driver set (size a power of two up to
 * VIRTQ_MAX_SIZE, rings aligned and inside guest RAM) and starts the
 * queue: 0, or -EINVAL and the queue stays off.
 */
int virtq_enable(struct virtq *vq, const struct hvm_guest_ram *ram);
void virtq_reset(struct virtq *vq);
/*
 * Takes the next available chain: 1 with *chain filled, 0 when none is
 * available, -EPROTO for a malformed ring or chain (loops, an index out
 * of range, indirect tables inside indirect ones or chained, a
 * device-readable buffer after a device-writable one, an empty buffer,
 * more than 4 GiB in all) and -EFAULT for a buffer outside guest RAM;
 * after an error the queue is broken and stays so until reset.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);
/* Returns a chain to the driver with the bytes the device wrote. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);
/*
 * Returns n chains at once: the driver sees all of them or none (a frame
 * spread over several receive buffers).
 */
int virtq_push_many(struct virtq *vq, const uint16_t *heads,
		    const uint32_t *written, unsigned int n);
/* Gives back the last n chains popped and not pushed, to pop again. */
void virtq_unpop(struct virtq *vq, uint16_t n);
/*
 * The device waits for more chains: with EVENT_IDX, asks for a kick when
 * the driver adds the next one.  True when the driver added some
 * meanwhile (no kick will come for those: look again).
 */
bool virtq_want_kick(struct virtq *vq);
/*
 * After virtq_push()es: whether the driver wants an interrupt now (its
 * used_event with EVENT_IDX, else the avail ring's NO_INTERRUPT flag).
 */
bool virtq_should_notify(struct virtq *vq);

/* Copies between a chain's buffers and a flat buffer, from byte offset. */
int virtq_chain_read(const struct hvm_guest_ram *ram,
		     const struct virtq_chain *c, uint64_t offset, void *buf,
		     uint64_t len);
int virtq_chain_write(const struct hvm_guest_ram *ram,
		      const struct virtq_chain *c, uint64_t offset,
		      const void *buf, uint64_t len);

#endif /* HVM_VIRTQUEUE_H */
