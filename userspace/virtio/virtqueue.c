// SPDX-License-Identifier: GPL-2.0
/* Split virtqueues served from guest memory: see virtqueue.h. */
#include <errno.h>
#include <string.h>
#include "virtqueue.h"

/* The guest-visible layouts (virtio 1.x, 2.7.5-2.7.8), little endian. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define AVAIL_FLAGS(vq)		((vq)->avail_gpa)
#define AVAIL_IDX(vq)		((vq)->avail_gpa + 2)
#define AVAIL_RING(vq, i)	((vq)->avail_gpa + 4 + 2 * (uint64_t)(i))
#define USED_EVENT(vq)		AVAIL_RING(vq, (vq)->size)
#define USED_IDX(vq)		((vq)->used_gpa + 2)
#define USED_RING(vq, i)	((vq)->used_gpa + 4 + 8 * (uint64_t)(i))
#define AVAIL_EVENT(vq)		USED_RING(vq, (vq)->size)

static int ram_read16(const struct hvm_guest_ram *ram, uint64_t gpa,
		      uint16_t *v)
{
	return hvm_guest_ram_read(ram, gpa, v, sizeof(*v));
}

static int ram_write16(const struct hvm_guest_ram *ram, uint64_t gpa,
		       uint16_t v)
{
	return hvm_guest_ram_write(ram, gpa, &v, sizeof(v));
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

int virtq_enable(struct virtq *vq, const struct hvm_guest_ram *ram)
{
	uint64_t n = vq->size;

	if (!n || n > VIRTQ_MAX_SIZE || (n & (n - 1)) ||
	    vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4 ||
	    hvm_guest_ram_check(ram, vq->desc_gpa, 16 * n) ||
	    hvm_guest_ram_check(ram, vq->avail_gpa, 6 + 2 * n) ||
	    hvm_guest_ram_check(ram, vq->used_gpa, 6 + 8 * n))
		return -EINVAL;
	vq->ram = ram;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

static int chain_add(struct virtq_chain *c, const struct vring_desc *d,
		     const struct hvm_guest_ram *ram)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;

	if (!d->len)
		return -EPROTO;
	/* Device-readable buffers come first (2.7.4.2). */
	if (!writes && c->writable)
		return -EPROTO;
	if (c->nr == sizeof(c->bufs) / sizeof(c->bufs[0]))
		return -EPROTO;
	if (hvm_guest_ram_check(ram, d->addr, d->len))
		return -EFAULT;
	if (writes)
		c->writable += d->len;
	else
		c->readable += d->len;
	if (c->readable + c->writable > UINT32_MAX)
		return -EPROTO;
	c->bufs[c->nr++] = (struct virtq_buf){
		.gpa = d->addr, .len = d->len, .device_writes = writes,
	};
	return 0;
}

/* The descriptors of one indirect table, which may not nest or chain. */
static int walk_indirect(struct virtq *vq, const struct vring_desc *ind,
			 struct virtq_chain *c)
{
	struct vring_desc table[VIRTQ_MAX_INDIRECT];
	unsigned int n = ind->len / sizeof(table[0]), i = 0, seen = 0;
	int ret;

	if (ind->flags & VIRTQ_DESC_F_NEXT || ind->len % sizeof(table[0]) ||
	    !n || n > VIRTQ_MAX_INDIRECT)
		return -EPROTO;
	if (hvm_guest_ram_read(vq->ram, ind->addr, table, ind->len))
		return -EFAULT;
	for (;;) {
		const struct vring_desc *d = &table[i];

		if (d->flags & VIRTQ_DESC_F_INDIRECT || ++seen > n)
			return -EPROTO;
		ret = chain_add(c, d, vq->ram);
		if (ret)
			return ret;
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d->next;
		if (i >= n)
			return -EPROTO;
	}
}

static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	unsigned int seen = 0, i = head;
	struct vring_desc d;
	int ret;

	c->head = head;
	c->nr = 0;
	c->readable = 0;
	c->writable = 0;
	for (;;) {
		/* More descriptors than the queue has: a loop. */
		if (i >= vq->size || ++seen > vq->size)
			return -EPROTO;
		if (hvm_guest_ram_read(vq->ram, vq->desc_gpa + 16 * (uint64_t)i,
				       &d, sizeof(d)))
			return -EFAULT;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* An indirect descriptor is the chain's only one. */
			if (seen != 1)
				return -EPROTO;
			return walk_indirect(vq, &d, c);
		}
		ret = chain_add(c, &d, vq->ram);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, head;
	int ret;

	if (!vq->ready || vq->broken)
		return -EPROTO;
	/*
	 * Our last avail_event store before the index load: else a driver
	 * that checked the old avail_event skips its kick while we miss its
	 * buffer, and the queue stalls.
	 */
	if (vq->event_idx)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ram_read16(vq->ram, AVAIL_IDX(vq), &avail_idx))
		goto fault;
	if (avail_idx == vq->last_avail)
		return 0;
	/* More entries than the ring holds: the index is garbage. */
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		ret = -EPROTO;
		goto broken;
	}
	/* The ring entry and the chain after the index (2.7.13). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (ram_read16(vq->ram, AVAIL_RING(vq, vq->last_avail % vq->size),
		       &head))
		goto fault;
	ret = walk_chain(vq, head, chain);
	if (ret)
		goto broken;
	vq->last_avail++;
	/* Ask for a kick once the driver goes past what we took (2.7.10). */
	if (vq->event_idx &&
	    ram_write16(vq->ram, AVAIL_EVENT(vq), vq->last_avail))
		goto fault;
	return 1;
fault:
	ret = -EFAULT;
broken:
	vq->broken = true;
	return ret;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	uint32_t elem[2] = { head, written };

	if (!vq->ready || vq->broken)
		return -EPROTO;
	if (hvm_guest_ram_write(vq->ram, USED_RING(vq, vq->used_idx % vq->size),
				elem, sizeof(elem)))
		goto fault;
	/* The element before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx++;
	if (ram_write16(vq->ram, USED_IDX(vq), vq->used_idx))
		goto fault;
	return 0;
fault:
	vq->broken = true;
	return -EFAULT;
}

int virtq_push_many(struct virtq *vq, const uint16_t *heads,
		    const uint32_t *written, unsigned int n)
{
	uint32_t elem[2];
	unsigned int i;

	if (!vq->ready || vq->broken || n > vq->size)
		return -EPROTO;
	for (i = 0; i < n; i++) {
		elem[0] = heads[i];
		elem[1] = written[i];
		if (hvm_guest_ram_write(vq->ram,
					USED_RING(vq, (uint16_t)(vq->used_idx + i) %
						  vq->size),
					elem, sizeof(elem)))
			goto fault;
	}
	/* The elements before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx += n;
	if (ram_write16(vq->ram, USED_IDX(vq), vq->used_idx))
		goto fault;
	return 0;
fault:
	vq->broken = true;
	return -EFAULT;
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail -= n;
}

bool virtq_want_kick(struct virtq *vq)
{
	uint16_t idx, again;

	if (!vq->ready || vq->broken ||
	    ram_read16(vq->ram, AVAIL_IDX(vq), &idx))
		return false;
	if (vq->event_idx && ram_write16(vq->ram, AVAIL_EVENT(vq), idx))
		return false;
	/* Our avail_event store before the driver's next index (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ram_read16(vq->ram, AVAIL_IDX(vq), &again))
		return false;
	return again != idx;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, v;

	if (!vq->ready || vq->broken)
		return false;
	/* Our used->idx store before the driver's suppression fields. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		if (ram_read16(vq->ram, USED_EVENT(vq), &v))
			return true;
		vq->signalled_used = now;
		/* Interrupt when used_event lies in (old, now] (2.7.10). */
		return (uint16_t)(now - v - 1) < (uint16_t)(now - old);
	}
	if (ram_read16(vq->ram, AVAIL_FLAGS(vq), &v))
		return true;
	vq->signalled_used = now;
	return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

static int chain_copy(const struct hvm_guest_ram *ram,
		      const struct virtq_chain *c, bool writable,
		      uint64_t offset, void *buf, uint64_t len, bool to_guest)
{
	uint8_t *p = buf;
	unsigned int i;
	int ret;

	for (i = 0; i < c->nr && len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		uint64_t n;

		if (b->device_writes != writable)
			continue;
		if (offset >= b->len) {
			offset -= b->len;
			continue;
		}
		n = b->len - offset;
		if (n > len)
			n = len;
		ret = to_guest ?
		      hvm_guest_ram_write(ram, b->gpa + offset, p, n) :
		      hvm_guest_ram_read(ram, b->gpa + offset, p, n);
		if (ret)
			return ret;
		p += n;
		len -= n;
		offset = 0;
	}
	return len ? -ERANGE : 0;
}

int virtq_chain_read(const struct hvm_guest_ram *ram,
		     const struct virtq_chain *c, uint64_t offset, void *buf,
		     uint64_t len)
{
	return chain_copy(ram, c, false, offset, buf, len, false);
}

int virtq_chain_write(const struct hvm_guest_ram *ram,
		      const struct virtq_chain *c, uint64_t offset,
		      const void *buf, uint64_t len)
{
	return chain_copy(ram, c, true, offset, (void *)buf, len, true);
}
