/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared-memory I/O ring between vCPUs (kernel) and a device helper
 * (userspace).  Protocol: uapi/linux/hvm.h and Documentation/architecture.rst.
 */
#ifndef HVM_RING_H
#define HVM_RING_H

#include "hvm.h"

/* Synchronous slots (one per vCPU) and posted entries (a power of two). */
#define HVM_RING_SLOTS		HVM_MAX_VCPUS
#define HVM_RING_POSTED_ENTRIES	1024

/*
 * HVM_CREATE_RING (vm->lock held): a new ring for vm, which has none or
 * whose previous ring fd was closed; returns an fd, or -EEXIST.
 */
int hvm_ring_create(struct hvm_vm *vm);

/*
 * The VM is going away (no fd left but ring fds): drop its reference to
 * its ring; the helper sees POLLHUP.  Takes vm->lock.
 */
void hvm_ring_detach(struct hvm_vm *vm);

/*
 * The VM's ring with a reference for one access (any context that may
 * take a spinlock); drop it with hvm_ring_put().  NULL when the VM never
 * had a ring (accesses go to HVM_RUN's caller), ERR_PTR(-EPIPE) when the
 * helper closed it.
 */
struct hvm_ring *hvm_ring_get(struct hvm_vm *vm);
/* Process context; the last reference frees the ring. */
void hvm_ring_put(struct hvm_ring *ring);

/* Wake every vCPU waiting on the ring (stop request, VM teardown). */
void hvm_ring_wake(struct hvm_ring *ring);

/*
 * One guest access from vcpu (process context, vCPU mutex held).
 *
 * A write inside a posted range is queued (waiting, interruptibly, while
 * the posted ring is full) and returns 0 at once.  Any other access goes to
 * the vCPU's synchronous slot: first wait for an earlier request on that
 * slot to finish, publish the request, wake the helper and wait for
 * COMPLETE.
 *
 * Returns 0 (for a read, *data holds the value; a failed helper result
 * reads as all-ones), -EINTR when a signal arrived, -EPIPE when the helper
 * is gone (ring fd closed) or the ring is detached.
 *
 * On -EINTR for a read that was already published, call hvm_ring_resume()
 * before the next guest entry (below).  A write that was
 * published returns 0 even when the wait for completion was interrupted; a
 * later access waits for that slot first.  A write interrupted before it
 * was published returns -EINTR and has no effect.
 */
int hvm_ring_access(struct hvm_ring *ring, struct hvm_vcpu *vcpu, u8 space,
		    u64 addr, u8 size, bool is_write, u64 *data);

/*
 * On -EINTR for a read that was already published, vcpu->io.pending is set
 * and vcpu->io.ring holds a reference to the ring it was published on:
 * hvm_ring_resume() finishes it there (same returns as above, the answer
 * of a helper that has exited since still counts) and drops it once the
 * read is over; hvm_ring_drop_pending() abandons it (vCPU teardown).
 */
int hvm_ring_resume(struct hvm_vcpu *vcpu, u64 *data);
void hvm_ring_drop_pending(struct hvm_vcpu *vcpu);

#endif /* HVM_RING_H */
