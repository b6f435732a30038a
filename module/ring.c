// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: the shared-memory I/O ring between the vCPUs and a device helper.
 * Contract: ring.h.  Layout and slot life cycle: uapi/linux/hvm.h.
 *
 * The helper is not trusted.  Every byte of the mapping is writable by it,
 * so the kernel keeps its own copy of whatever it acts on (which slots hold
 * a request, each request's sequence number, the posted head) and treats
 * shared fields as data only: a helper writing garbage can make its own
 * VM's accesses fail (reads see all-ones) or wait, nothing else.
 */

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ring.h"
#include "trace.h"

#define HVM_RING_SLOTS_OFFSET	PAGE_SIZE
#define HVM_RING_SLOTS_SIZE \
	PAGE_ALIGN(HVM_MAX_VCPUS * sizeof(struct hvm_ring_slot))
#define HVM_RING_POSTED_OFFSET	(HVM_RING_SLOTS_OFFSET + HVM_RING_SLOTS_SIZE)
#define HVM_RING_POSTED_SIZE \
	PAGE_ALIGN(HVM_RING_POSTED_ENTRIES * sizeof(struct hvm_posted_entry))
#define HVM_RING_MMAP_SIZE	(HVM_RING_POSTED_OFFSET + HVM_RING_POSTED_SIZE)

/*
 * Adaptive polling (Documentation/architecture.rst, "The I/O ring"): before
 * sleeping for COMPLETE a vCPU spins for its slot's current poll time, at
 * most ring_poll_max_ns.  The poll time starts at 0, becomes
 * ring_poll_max_ns / 8 after an answer that came within ring_poll_max_ns
 * of the request while the vCPU slept (polling would have caught it),
 * doubles after each such answer up to ring_poll_max_ns, and drops back to
 * 0 when an answer took longer than that (a slow device: spinning only
 * burns the CPU).  The spin also ends at once on a signal, a stop, a dead
 * ring, need_resched() or another runnable task on this CPU (the helper
 * itself, when it shares the CPU, can only answer once the vCPU sleeps).
 * 0 switches polling off.
 */
static unsigned int ring_poll_max_ns = 50000;
module_param(ring_poll_max_ns, uint, 0644);
MODULE_PARM_DESC(ring_poll_max_ns,
		 "Longest a vCPU spins for a ring answer before sleeping (ns, 0: never)");

/* The kernel's own view of one synchronous slot; owned by its vCPU. */
struct hvm_ring_request {
	bool published;		/* PENDING was stored, result not consumed */
	u32 poll_ns;		/* current adaptive poll time */
	u64 seq;
};

/*
 * Lifetime: one reference for the fd, one while the VM points at the ring
 * (dropped when the fd is closed or the VM is torn down), one for each
 * vCPU inside hvm_ring_access() and one for each vCPU with a read left
 * pending on it.  The last one frees the ring and its shared memory.
 */
struct hvm_ring {
	struct kref ref;

	/* Serializes detach and release against stop requests. */
	struct mutex state_lock;
	struct hvm_vm *vm;	/* kref held until the ring is freed */
	bool detached;		/* the VM dropped the ring: POLLHUP */
	bool released;		/* the ring fd was closed: helper gone */

	/*
	 * One queue per synchronous slot, so that an answer wakes the one
	 * vCPU waiting for it; vcpu_wq is for vCPUs waiting for posted room.
	 */
	wait_queue_head_t slot_wq[HVM_MAX_VCPUS];
	wait_queue_head_t vcpu_wq;
	/* poll() on the ring fd. */
	wait_queue_head_t helper_wq;

	void *mem;		/* HVM_RING_MMAP_SIZE, charged to the memcg */
	struct hvm_ring_header *hdr;
	struct hvm_ring_slot *slots;
	struct hvm_posted_entry *posted;

	/* Producers of posted entries, and the ranges that post. */
	spinlock_t posted_lock;
	u64 posted_head;
	u32 posted_waiters;	/* vCPUs sleeping for room (posted_lock) */
	u32 nr_ranges;
	struct hvm_posted_range ranges[HVM_POSTED_MAX_RANGES];

	atomic64_t last_seq;
	/* Bit i: requests[i].published, for poll() without a slot scan. */
	unsigned long published;
	struct hvm_ring_request requests[HVM_MAX_VCPUS];
};

static void hvm_ring_free(struct kref *ref)
{
	struct hvm_ring *ring = container_of(ref, struct hvm_ring, ref);

	hvm_vm_put(ring->vm);
	vfree(ring->mem);
	kfree(ring);
}

void hvm_ring_put(struct hvm_ring *ring)
{
	kref_put(&ring->ref, hvm_ring_free);
}

/* Caller holds vm->lock; readers take vm->ring_lock only. */
static void hvm_vm_set_ring(struct hvm_vm *vm, struct hvm_ring *ring,
			    bool closed)
{
	lockdep_assert_held(&vm->lock);
	spin_lock(&vm->ring_lock);
	vm->ring = ring;
	vm->ring_closed = closed;
	spin_unlock(&vm->ring_lock);
}

struct hvm_ring *hvm_ring_get(struct hvm_vm *vm)
{
	struct hvm_ring *ring;

	spin_lock(&vm->ring_lock);
	ring = vm->ring;
	/* The VM's own reference keeps it above zero meanwhile. */
	if (ring)
		kref_get(&ring->ref);
	else if (vm->ring_closed)
		ring = ERR_PTR(-EPIPE);
	spin_unlock(&vm->ring_lock);
	return ring;
}

static bool hvm_ring_dead(struct hvm_ring *ring)
{
	return READ_ONCE(ring->released) || READ_ONCE(ring->detached);
}

static void hvm_ring_wake_helper(struct hvm_ring *ring)
{
	/*
	 * A helper that is polling the shared page is not on the queue:
	 * skip the queue's lock then.  wq_has_sleeper() orders the request
	 * stored before against the check, pairing with poll_wait().
	 */
	if (wq_has_sleeper(&ring->helper_wq))
		wake_up_interruptible_all(&ring->helper_wq);
}

/* Every vCPU waiting on the ring: stop request, teardown, helper gone. */
static void hvm_ring_wake_vcpus(struct hvm_ring *ring)
{
	u32 i;

	for (i = 0; i < HVM_MAX_VCPUS; i++)
		wake_up_all(&ring->slot_wq[i]);
	wake_up_all(&ring->vcpu_wq);
}

void hvm_ring_wake(struct hvm_ring *ring)
{
	if (ring)
		hvm_ring_wake_vcpus(ring);
}

void hvm_ring_detach(struct hvm_vm *vm)
{
	struct hvm_ring *ring;

	mutex_lock(&vm->lock);
	ring = vm->ring;
	hvm_vm_set_ring(vm, NULL, false);
	mutex_unlock(&vm->lock);
	if (!ring)
		return;

	mutex_lock(&ring->state_lock);
	WRITE_ONCE(ring->detached, true);
	mutex_unlock(&ring->state_lock);

	hvm_ring_wake_vcpus(ring);
	hvm_ring_wake_helper(ring);
	hvm_ring_put(ring);
}

static u64 hvm_size_mask(u8 size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static bool hvm_valid_size(u8 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static bool hvm_vm_stopped(struct hvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->vm->stopped);
}

/* ---- posted writes ------------------------------------------------------ */

static bool hvm_ring_is_posted(struct hvm_ring *ring, u8 space, u64 addr,
			       u8 size)
{
	bool posted = false;
	u32 i;

	spin_lock(&ring->posted_lock);
	for (i = 0; i < ring->nr_ranges; i++) {
		const struct hvm_posted_range *range = &ring->ranges[i];

		if (range->space == space && addr >= range->base &&
		    addr - range->base < range->size &&
		    range->size - (addr - range->base) >= size) {
			posted = true;
			break;
		}
	}
	spin_unlock(&ring->posted_lock);
	return posted;
}

/*
 * The tail comes from the helper: a tail that is behind by more than the
 * ring size or ahead of the head reads as "full", so the producers wait
 * until the helper repairs it (or dies), and no entry is ever overwritten.
 */
static bool hvm_posted_full(struct hvm_ring *ring)
{
	u64 tail;

	/* Pairs with the helper's release of posted_tail. */
	tail = smp_load_acquire(&ring->hdr->posted_tail);
	return ring->posted_head - tail >= HVM_RING_POSTED_ENTRIES;
}

static bool hvm_posted_has_room(struct hvm_ring *ring)
{
	bool full;

	spin_lock(&ring->posted_lock);
	full = hvm_posted_full(ring);
	spin_unlock(&ring->posted_lock);
	return !full;
}

static int hvm_ring_post(struct hvm_ring *ring, struct hvm_vcpu *vcpu,
			 u8 space, u64 addr, u8 size, u64 data)
{
	struct hvm_posted_entry *entry;
	int ret;

	spin_lock(&ring->posted_lock);
	while (hvm_posted_full(ring)) {
		/* Tells the helper to notify once it made room. */
		ring->posted_waiters++;
		WRITE_ONCE(ring->hdr->posted_waiting, 1);
		spin_unlock(&ring->posted_lock);
		/* The flag before the tail is read again: pairs with the helper. */
		smp_mb();
		hvm_ring_wake_helper(ring);
		ret = wait_event_interruptible(ring->vcpu_wq,
					       hvm_posted_has_room(ring) ||
					       hvm_ring_dead(ring) ||
					       hvm_vm_stopped(vcpu));
		spin_lock(&ring->posted_lock);
		if (!--ring->posted_waiters)
			WRITE_ONCE(ring->hdr->posted_waiting, 0);
		spin_unlock(&ring->posted_lock);
		if (ret)
			return -EINTR;
		if (hvm_ring_dead(ring))
			return -EPIPE;
		/* Not queued: a stopped VM never runs the guest again. */
		if (hvm_vm_stopped(vcpu))
			return -EINTR;
		spin_lock(&ring->posted_lock);
	}

	trace_hvm_ring_request(vcpu->id, ring->posted_head, space, addr, size,
			       true, data, true);
	hvm_stat_inc(vcpu, ring_posted);
	entry = &ring->posted[ring->posted_head & (HVM_RING_POSTED_ENTRIES - 1)];
	WRITE_ONCE(entry->seq, ring->posted_head);
	WRITE_ONCE(entry->addr, addr);
	WRITE_ONCE(entry->data, data);
	WRITE_ONCE(entry->space, space);
	WRITE_ONCE(entry->size, size);
	WRITE_ONCE(entry->vcpu, vcpu->id);
	ring->posted_head++;
	/* Publishes the entry written above. */
	smp_store_release(&ring->hdr->posted_head, ring->posted_head);
	spin_unlock(&ring->posted_lock);

	hvm_ring_wake_helper(ring);
	return 0;
}

/* ---- synchronous requests ----------------------------------------------- */

static bool hvm_slot_answered(struct hvm_ring *ring, u32 index)
{
	/* The helper wrote data and result before releasing COMPLETE. */
	return smp_load_acquire(&ring->slots[index].state) ==
	       HVM_SLOT_COMPLETE;
}

static bool hvm_slot_wait_done(struct hvm_ring *ring, struct hvm_vcpu *vcpu,
			       u32 index)
{
	return hvm_slot_answered(ring, index) || hvm_ring_dead(ring) ||
	       hvm_vm_stopped(vcpu);
}

/*
 * Spin for at most poll_ns while nothing else wants this CPU.  True when
 * the wait is over (answer, dead ring, stop); a signal ends the spin too
 * and is seen by the sleep that follows.
 */
static bool hvm_slot_poll(struct hvm_ring *ring, struct hvm_vcpu *vcpu,
			  u32 index, ktime_t start, u32 poll_ns)
{
	ktime_t end = ktime_add_ns(start, poll_ns);

	do {
		if (hvm_slot_wait_done(ring, vcpu, index))
			return true;
		if (signal_pending(current) || need_resched() ||
		    !single_task_running())
			return false;
		cpu_relax();
	} while (ktime_before(ktime_get(), end));
	return false;
}

/* Adapt the slot's poll time to how long this answer took (see above). */
static void hvm_slot_poll_tune(struct hvm_ring_request *req, bool polled,
			       u64 waited_ns)
{
	u32 limit = READ_ONCE(ring_poll_max_ns);

	if (polled || !limit)
		return;
	if (waited_ns <= limit)
		req->poll_ns = req->poll_ns ?
			       min_t(u64, (u64)req->poll_ns * 2, limit) :
			       max(limit / 8, 1U);
	else
		req->poll_ns = 0;
}

/*
 * Wait until the helper completed the request published on slot index.
 * 0 once it did, -EINTR on a signal or a stop request, -EPIPE when the
 * helper or the VM is gone.
 */
static int hvm_slot_wait(struct hvm_ring *ring, struct hvm_vcpu *vcpu,
			 u32 index)
{
	struct hvm_ring_request *req = &ring->requests[index];
	unsigned long *waiting = (unsigned long *)&ring->hdr->waiting_mask;
	u32 poll_ns = min(req->poll_ns, READ_ONCE(ring_poll_max_ns));
	bool polled = false;
	ktime_t start;
	int ret = 0;

	if (!hvm_slot_wait_done(ring, vcpu, index)) {
		start = ktime_get();
		polled = poll_ns && hvm_slot_poll(ring, vcpu, index, start,
						  poll_ns);
		if (!polled) {
			/*
			 * The helper skips HVM_RING_NOTIFY for a slot whose
			 * bit is clear: set it before the condition is read
			 * again (set_bit() and the barrier pair with the
			 * helper's store of COMPLETE and its fence).
			 */
			set_bit(index, waiting);
			/* The bit before the state: pairs with the helper. */
			smp_mb__after_atomic();
			ret = wait_event_interruptible(ring->slot_wq[index],
						       hvm_slot_wait_done(ring, vcpu,
									  index));
			clear_bit(index, waiting);
		}
		hvm_slot_poll_tune(req, polled,
				   ktime_to_ns(ktime_sub(ktime_get(), start)));
	}
	if (ret)
		return -EINTR;
	/* An answer given just before the helper exited still counts. */
	if (hvm_slot_answered(ring, index))
		return 0;
	/* A stop requested before the helper left is reported as a stop. */
	if (hvm_ring_dead(ring) && !hvm_vm_stopped(vcpu))
		return -EPIPE;
	return -EINTR;
}

/* Take the answer of a completed request and free the slot. */
static u64 hvm_slot_consume(struct hvm_ring *ring, u32 index, u8 size)
{
	struct hvm_ring_request *req = &ring->requests[index];
	struct hvm_ring_slot *slot = &ring->slots[index];
	u64 data = READ_ONCE(slot->data);
	s32 result = READ_ONCE(slot->result);
	u64 seq = READ_ONCE(slot->seq);

	trace_hvm_ring_complete(index, req->seq, seq != req->seq ? -EPROTO : result,
				data);
	if (result || seq != req->seq)
		data = ~0ULL;
	req->published = false;
	clear_bit(index, &ring->published);
	/* The answer is read before the helper may see the slot free. */
	smp_store_release(&slot->state, HVM_SLOT_FREE);
	return data & hvm_size_mask(size);
}

static void hvm_slot_publish(struct hvm_ring *ring, struct hvm_vcpu *vcpu,
			     u8 space, u64 addr, u8 size, bool is_write,
			     u64 data)
{
	struct hvm_ring_request *req = &ring->requests[vcpu->id];
	struct hvm_ring_slot *slot = &ring->slots[vcpu->id];
	u64 posted_seq;

	spin_lock(&ring->posted_lock);
	posted_seq = ring->posted_head;
	spin_unlock(&ring->posted_lock);

	req->seq = atomic64_inc_return(&ring->last_seq);
	req->published = true;
	set_bit(vcpu->id, &ring->published);
	trace_hvm_ring_request(vcpu->id, req->seq, space, addr, size, is_write,
			       data, false);
	hvm_stat_inc(vcpu, ring_sync);

	WRITE_ONCE(slot->vcpu, vcpu->id);
	WRITE_ONCE(slot->space, space);
	WRITE_ONCE(slot->is_write, is_write);
	WRITE_ONCE(slot->size, size);
	WRITE_ONCE(slot->result, 0);
	WRITE_ONCE(slot->addr, addr);
	WRITE_ONCE(slot->data, is_write ? data : 0);
	WRITE_ONCE(slot->seq, req->seq);
	WRITE_ONCE(slot->posted_seq, posted_seq);
	/* Publishes the request written above. */
	smp_store_release(&slot->state, HVM_SLOT_PENDING);
	/* After PENDING: the helper that takes the bit finds the request. */
	set_bit(vcpu->id, (unsigned long *)&ring->hdr->pending_mask);
	/* The bit before the helper's queue is checked for sleepers. */
	smp_mb__after_atomic();

	hvm_ring_wake_helper(ring);
}

int hvm_ring_access(struct hvm_ring *ring, struct hvm_vcpu *vcpu, u8 space,
		    u64 addr, u8 size, bool is_write, u64 *data)
{
	struct hvm_ring_request *req;
	u32 index = vcpu->id;
	u64 value;
	int ret;

	if (index >= HVM_MAX_VCPUS || !hvm_valid_size(size) ||
	    (space != HVM_IO_PIO && space != HVM_IO_MMIO))
		return -EINVAL;
	if (hvm_ring_dead(ring))
		return -EPIPE;

	/*
	 * An earlier request whose wait was interrupted goes first, posted
	 * writes included: the helper drains those before it serves slots.
	 */
	req = &ring->requests[index];
	if (req->published) {
		ret = hvm_slot_wait(ring, vcpu, index);
		if (ret)
			return ret;
		hvm_slot_consume(ring, index, 8);
	}

	if (is_write && hvm_ring_is_posted(ring, space, addr, size))
		return hvm_ring_post(ring, vcpu, space, addr, size,
				     *data & hvm_size_mask(size));

	hvm_slot_publish(ring, vcpu, space, addr, size, is_write,
			 is_write ? *data & hvm_size_mask(size) : 0);

	ret = hvm_slot_wait(ring, vcpu, index);
	if (ret == -EINTR) {
		/* A published write happened; the next access waits for it. */
		if (is_write)
			return 0;
		kref_get(&ring->ref);
		vcpu->io.ring = ring;
		vcpu->io.pending = true;
		vcpu->io.space = space;
		vcpu->io.size = size;
		vcpu->io.addr = addr;
		return -EINTR;
	}
	if (ret)
		return ret;

	value = hvm_slot_consume(ring, index, size);
	if (!is_write)
		*data = value;
	return 0;
}

int hvm_ring_resume(struct hvm_vcpu *vcpu, u64 *data)
{
	struct hvm_ring *ring = vcpu->io.ring;
	u32 index = vcpu->id;
	int ret;

	if (!vcpu->io.pending || !ring || index >= HVM_MAX_VCPUS)
		return -EINVAL;

	ret = hvm_slot_wait(ring, vcpu, index);
	if (ret == -EINTR)
		return ret;
	if (!ret)
		*data = hvm_slot_consume(ring, index, vcpu->io.size);
	hvm_ring_drop_pending(vcpu);
	return ret;
}

void hvm_ring_drop_pending(struct hvm_vcpu *vcpu)
{
	vcpu->io.pending = false;
	if (vcpu->io.ring) {
		hvm_ring_put(vcpu->io.ring);
		vcpu->io.ring = NULL;
	}
}

/* ---- the ring fd -------------------------------------------------------- */

static int hvm_ring_add_posted(struct hvm_ring *ring,
			       const struct hvm_posted_range __user *uarg)
{
	struct hvm_posted_range range;
	u64 limit;
	int ret = 0;

	if (copy_from_user(&range, uarg, sizeof(range)))
		return -EFAULT;
	if (range.reserved)
		return -EINVAL;
	switch (range.space) {
	case HVM_IO_PIO:
		limit = 0x10000;
		break;
	case HVM_IO_MMIO:
		limit = HVM_MAX_GPA;
		break;
	default:
		return -EINVAL;
	}
	if (!range.size || range.base >= limit ||
	    range.size > limit - range.base)
		return -EINVAL;

	spin_lock(&ring->posted_lock);
	if (ring->nr_ranges >= HVM_POSTED_MAX_RANGES)
		ret = -ENOSPC;
	else
		ring->ranges[ring->nr_ranges++] = range;
	spin_unlock(&ring->posted_lock);
	return ret;
}

static int hvm_ring_stop_vm(struct hvm_ring *ring, u64 code)
{
	struct hvm_vm *vm = ring->vm;
	int ret = 0;

	/*
	 * The ring's kref keeps vm itself valid.  state_lock holds off the
	 * VM's teardown (detach), vm->lock the freeing of a vCPU that the
	 * kick looks at.  Lock order: vm->lock, then state_lock, as in
	 * hvm_ring_create().
	 */
	mutex_lock(&vm->lock);
	mutex_lock(&ring->state_lock);
	if (ring->detached) {
		ret = -EPIPE;
		goto out;
	}
	if (!READ_ONCE(vm->stopped)) {
		vm->stop_code = code;
		/* The run loop reads stop_code after seeing stopped. */
		smp_store_release(&vm->stopped, true);
	}
	hvm_kick_vcpus(vm);
	hvm_ring_wake_vcpus(ring);
out:
	mutex_unlock(&ring->state_lock);
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * HVM_RING_NOTIFY: wake the vCPUs of the slots in mask (0: all of them),
 * and the vCPUs waiting for posted room.  Bits past the slots are refused
 * so that a later meaning can be given to them.
 */
static int hvm_ring_notify(struct hvm_ring *ring, unsigned long mask)
{
	unsigned long bit;

	if (mask & ~GENMASK(HVM_MAX_VCPUS - 1, 0))
		return -EINVAL;
	if (!mask) {
		hvm_ring_wake_vcpus(ring);
		return 0;
	}
	for_each_set_bit(bit, &mask, HVM_MAX_VCPUS)
		wake_up(&ring->slot_wq[bit]);
	if (wq_has_sleeper(&ring->vcpu_wq))
		wake_up_all(&ring->vcpu_wq);
	return 0;
}

/* MSI address: 0xfee in 31:20, destination in 19:12, logical in bit 2. */
#define MSI_ADDR_BASE		0xfee00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_LOGICAL	BIT_ULL(2)
#define MSI_ADDR_BITS		(0xfff00000ULL | (0xffULL << 12) | MSI_ADDR_LOGICAL)
/* MSI data: vector in 7:0, delivery mode in 10:8, level trigger in 15. */
#define MSI_DATA_MODE_SHIFT	8
#define MSI_DATA_LEVEL		BIT(15)
#define MSI_DATA_BITS		(0xff | (7 << MSI_DATA_MODE_SHIFT) | MSI_DATA_LEVEL)

/*
 * HVM_RING_SIGNAL_MSI: a device's interrupt, delivered to the local
 * APICs it names.  Returns how many accepted it.
 */
static long hvm_ring_signal_msi(struct hvm_ring *ring,
				struct hvm_msi __user *uarg)
{
	struct hvm_msi msi;
	u32 mode, vector;

	if (!hvm_irqchip_supported())
		return -ENOTTY;
	if (copy_from_user(&msi, uarg, sizeof(msi)))
		return -EFAULT;
	mode = (msi.data >> MSI_DATA_MODE_SHIFT) & 7;
	vector = msi.data & 0xff;
	if (msi.flags || (msi.address & ~MSI_ADDR_BITS) ||
	    (msi.address & 0xfff00000ULL) != MSI_ADDR_BASE ||
	    (msi.data & ~MSI_DATA_BITS))
		return -EINVAL;
	if (mode != 0 && mode != 1 && mode != 4)
		return -EINVAL;
	if (mode != 4 && vector < 16)
		return -EINVAL;
	if (READ_ONCE(ring->detached))
		return -EPIPE;
	return hvm_irq_deliver(ring->vm, NULL, mode << MSI_DATA_MODE_SHIFT,
			       vector, (msi.address >> MSI_ADDR_DEST_SHIFT) & 0xff,
			       msi.address & MSI_ADDR_LOGICAL, 0,
			       msi.data & MSI_DATA_LEVEL);
}

static long hvm_ring_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct hvm_ring *ring = filp->private_data;

	switch (cmd) {
	case HVM_RING_NOTIFY:
		return hvm_ring_notify(ring, arg);
	case HVM_RING_ADD_POSTED:
		return hvm_ring_add_posted(ring, (void __user *)arg);
	case HVM_RING_STOP_VM:
		return hvm_ring_stop_vm(ring, arg);
	case HVM_RING_SIGNAL_MSI:
		return hvm_ring_signal_msi(ring, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static __poll_t hvm_ring_poll(struct file *filp, poll_table *wait)
{
	struct hvm_ring *ring = filp->private_data;
	__poll_t mask = 0;
	unsigned long bit;
	u64 head;

	poll_wait(filp, &ring->helper_wq, wait);

	if (READ_ONCE(ring->detached))
		return EPOLLHUP;

	spin_lock(&ring->posted_lock);
	head = ring->posted_head;
	spin_unlock(&ring->posted_lock);
	/* Pairs with the helper's release of posted_tail. */
	if (head != smp_load_acquire(&ring->hdr->posted_tail))
		mask |= EPOLLIN | EPOLLRDNORM;

	/*
	 * Only the slots the kernel published (its own record, not the
	 * helper-writable pending_mask, which a version-1 helper never
	 * clears) can be PENDING.
	 */
	for_each_set_bit(bit, &ring->published, HVM_MAX_VCPUS) {
		if (mask)
			break;
		/* Pairs with the release in hvm_slot_publish(). */
		if (smp_load_acquire(&ring->slots[bit].state) ==
		    HVM_SLOT_PENDING)
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	return mask;
}

static int hvm_ring_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct hvm_ring *ring = filp->private_data;
	unsigned long offset, size = vma->vm_end - vma->vm_start;
	int ret;

	/* A private copy would never see the kernel's requests. */
	if (vma->vm_pgoff || size > HVM_RING_MMAP_SIZE ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if ((vma->vm_flags & VM_WRITE) && (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	/* Nor may mprotect() make it writable and executable later. */
	if (vma->vm_flags & VM_WRITE)
		hvm_vma_clear_flags(vma, VM_MAYEXEC);
	if (vma->vm_flags & VM_EXEC)
		hvm_vma_clear_flags(vma, VM_MAYWRITE);

	/*
	 * Page by page: the memory is accounted __vmalloc(), which
	 * remap_vmalloc_range() refuses (it wants vmalloc_user(), which is
	 * not charged to the memcg).
	 */
	hvm_vma_set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP);
	for (offset = 0; offset < size; offset += PAGE_SIZE) {
		ret = vm_insert_page(vma, vma->vm_start + offset,
				     vmalloc_to_page(ring->mem + offset));
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The helper is gone: the VM lets go of the ring at once, so that it is
 * freed as soon as no vCPU is inside an access on it, and remembers that
 * its helper closed it (accesses fail with EPIPE until a new ring).
 */
static int hvm_ring_release(struct inode *inode, struct file *filp)
{
	struct hvm_ring *ring = filp->private_data;
	struct hvm_vm *vm = ring->vm;
	bool vm_held_it;

	mutex_lock(&vm->lock);
	mutex_lock(&ring->state_lock);
	WRITE_ONCE(ring->released, true);
	mutex_unlock(&ring->state_lock);
	vm_held_it = vm->ring == ring;
	if (vm_held_it)
		hvm_vm_set_ring(vm, NULL, true);
	mutex_unlock(&vm->lock);

	hvm_ring_wake_vcpus(ring);
	if (vm_held_it)
		hvm_ring_put(ring);
	hvm_ring_put(ring);
	return 0;
}

static const struct file_operations hvm_ring_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hvm_ring_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= hvm_ring_poll,
	.mmap		= hvm_ring_mmap,
	.release	= hvm_ring_release,
	.llseek		= noop_llseek,
};

static struct hvm_ring *hvm_ring_alloc(struct hvm_vm *vm)
{
	struct hvm_ring *ring;
	u32 i;

	BUILD_BUG_ON(!is_power_of_2(HVM_RING_POSTED_ENTRIES));
	/* One bit per slot in the header's masks and NOTIFY's argument. */
	BUILD_BUG_ON(HVM_MAX_VCPUS > 64 || HVM_MAX_VCPUS > BITS_PER_LONG);
	BUILD_BUG_ON(sizeof(struct hvm_ring_header) > HVM_RING_SLOTS_OFFSET);

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return NULL;
	ring->mem = __vmalloc(HVM_RING_MMAP_SIZE,
			      GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ring->mem) {
		kfree(ring);
		return NULL;
	}

	kref_init(&ring->ref);
	mutex_init(&ring->state_lock);
	for (i = 0; i < HVM_MAX_VCPUS; i++)
		init_waitqueue_head(&ring->slot_wq[i]);
	init_waitqueue_head(&ring->vcpu_wq);
	init_waitqueue_head(&ring->helper_wq);
	spin_lock_init(&ring->posted_lock);
	atomic64_set(&ring->last_seq, 0);
	hvm_vm_get(vm);
	ring->vm = vm;

	ring->hdr = ring->mem;
	ring->slots = ring->mem + HVM_RING_SLOTS_OFFSET;
	ring->posted = ring->mem + HVM_RING_POSTED_OFFSET;
	ring->hdr->magic = HVM_RING_MAGIC;
	ring->hdr->version = HVM_RING_VERSION;
	ring->hdr->nr_slots = HVM_MAX_VCPUS;
	ring->hdr->nr_posted = HVM_RING_POSTED_ENTRIES;
	ring->hdr->slots_offset = HVM_RING_SLOTS_OFFSET;
	ring->hdr->posted_offset = HVM_RING_POSTED_OFFSET;
	ring->hdr->mmap_size = HVM_RING_MMAP_SIZE;
	return ring;
}

/* Caller holds vm->lock. */
int hvm_ring_create(struct hvm_vm *vm)
{
	struct hvm_ring *ring;
	int fd;

	/* Closing the fd clears vm->ring: this ring's helper is alive. */
	if (vm->ring)
		return -EEXIST;

	ring = hvm_ring_alloc(vm);
	if (!ring)
		return -ENOMEM;
	/* The VM's reference; the fd takes over the initial one. */
	kref_get(&ring->ref);

	fd = anon_inode_getfd("hvm-ring", &hvm_ring_fops, ring,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kref_put(&ring->ref, hvm_ring_free);
		hvm_ring_put(ring);
		return fd;
	}

	hvm_vm_set_ring(vm, ring, false);
	return fd;
}
