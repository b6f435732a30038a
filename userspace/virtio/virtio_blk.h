/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk requests (virtio 1.x, 5.2) on a raw image file: what the
 * helper's virtio-blk device does with each chain its request queue
 * hands it.
 */
#ifndef HVM_VIRTIO_BLK_H
#define HVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include "virtqueue.h"

#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_SECTOR	512
#define VIRTIO_BLK_ID_BYTES	20
/* Segments per DISCARD / WRITE_ZEROES request the device accepts. */
#define VIRTIO_BLK_MAX_SEGMENTS	16
#define VIRTIO_BLK_WRITE_ZEROES_UNMAP	1

struct virtio_blk {
	int fd;
	bool read_only;
	uint64_t sectors;		/* capacity */
	char serial[VIRTIO_BLK_ID_BYTES];
};

/* Opens the image (O_RDWR, or O_RDONLY with read_only): 0 or -errno. */
int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only,
		    const char *serial);
void virtio_blk_close(struct virtio_blk *blk);
/*
 * Serves one request chain: the header (type, sector) in the readable
 * bytes, data after it (OUT, DISCARD, WRITE_ZEROES) or in the writable
 * bytes (IN, GET_ID), the status in the last writable byte.  Returns the
 * bytes written into the chain (for the used ring), or -EPROTO when the
 * chain cannot even carry a status (no header, no writable byte), which
 * breaks the queue.  FLUSH completes only after fdatasync().
 */
int virtio_blk_request(struct virtio_blk *blk, const struct hvm_guest_ram *ram,
		       const struct virtq_chain *chain);

#endif /* HVM_VIRTIO_BLK_H */
