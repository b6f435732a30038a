// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: VM objects: the VM fd, memory slots, the CPUID table, and guest
 * memory faults (pin the backing page, map it in the nested page tables).
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/smp.h>

#include "hvm.h"
#include "ring.h"

static void hvm_vm_free(struct kref *ref)
{
	struct hvm_vm *vm = container_of(ref, struct hvm_vm, ref);

	kfree(vm->cpuid);
	mmdrop(vm->mm);
	kfree(vm);
}

void hvm_vm_put(struct hvm_vm *vm)
{
	kref_put(&vm->ref, hvm_vm_free);
}

/* Caller holds vm->mmu_lock. */
static void hvm_slot_release(struct hvm_vm *vm, struct hvm_slot *slot)
{
	u64 i, npages = slot->size >> PAGE_SHIFT;

	hvm_ops->unmap_range(vm, slot->gpa, slot->size);
	/* No vCPU may still use the old translations once pages go. */
	mutex_lock(&vm->lock);
	hvm_kick_vcpus(vm);
	mutex_unlock(&vm->lock);
	/*
	 * The guest's stores (through the nested page tables) and hvm's
	 * (hvm_write_guest_phys) set no dirty bit the host's MM sees.
	 */
	for (i = 0; i < npages; i++) {
		if (slot->pages[i])
			unpin_user_pages_dirty_lock(&slot->pages[i], 1,
						    !(slot->flags &
						      HVM_MEM_READONLY));
	}
	kvfree(slot->pages);
	memset(slot, 0, sizeof(*slot));
}

void hvm_vm_users_drop(struct hvm_vm *vm)
{
	int i;

	if (!refcount_dec_and_test(&vm->users))
		return;

	hvm_ring_detach(vm);

	mutex_lock(&vm->mmu_lock);
	for (i = 0; i < HVM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			hvm_slot_release(vm, &vm->slots[i]);
	mutex_unlock(&vm->mmu_lock);

	hvm_ops->vm_destroy(vm);
	hvm_hw_put();
	hvm_vm_put(vm);
}

void hvm_vm_users_get(struct hvm_vm *vm)
{
	refcount_inc(&vm->users);
}

static void hvm_kick_nop(void *unused)
{
}

/*
 * Make every vCPU that is in guest mode leave it.  The IPI can only be
 * taken once the target left guest mode and re-enabled interrupts, so when
 * this returns no vCPU still runs with state older than the caller's
 * changes (they are re-checked before each entry).
 */
void hvm_kick_vcpus(struct hvm_vm *vm)
{
	int i, cpu;

	/* vm->lock keeps the vCPUs from being freed under us. */
	lockdep_assert_held(&vm->lock);
	/* Pairs with the barrier between guest_cpu and the checks. */
	smp_mb();
	for (i = 0; i < HVM_MAX_VCPUS; i++) {
		struct hvm_vcpu *vcpu = vm->vcpus[i];

		if (!vcpu)
			continue;
		cpu = READ_ONCE(vcpu->guest_cpu);
		if (cpu >= 0 && cpu != raw_smp_processor_id())
			smp_call_function_single(cpu, hvm_kick_nop, NULL, 1);
	}
}

struct hvm_slot *hvm_find_slot(struct hvm_vm *vm, u64 gpa)
{
	int i;

	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		struct hvm_slot *slot = &vm->slots[i];

		if (slot->used && gpa >= slot->gpa &&
		    gpa - slot->gpa < slot->size)
			return slot;
	}
	return NULL;
}

static int hvm_set_memory_slot(struct hvm_vm *vm,
			       const struct hvm_memory_slot __user *uarg)
{
	struct hvm_memory_slot req;
	struct hvm_slot *slot;
	int i, ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.slot >= HVM_MAX_SLOTS || (req.flags & ~HVM_MEM_READONLY))
		return -EINVAL;

	mutex_lock(&vm->mmu_lock);
	slot = &vm->slots[req.slot];
	if (req.size == 0) {
		if (slot->used)
			hvm_slot_release(vm, slot);
		else
			ret = -ENOENT;
		goto out;
	}

	if (!PAGE_ALIGNED(req.guest_phys) || !PAGE_ALIGNED(req.size) ||
	    !PAGE_ALIGNED(req.userspace_addr) ||
	    req.guest_phys >= HVM_MAX_GPA ||
	    req.size > HVM_MAX_GPA - req.guest_phys) {
		ret = -EINVAL;
		goto out;
	}
	if (!req.userspace_addr ||
	    !access_ok((void __user *)(unsigned long)req.userspace_addr,
		       req.size)) {
		ret = -EFAULT;
		goto out;
	}
	if (slot->used) {
		ret = -EEXIST;
		goto out;
	}
	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		struct hvm_slot *other = &vm->slots[i];

		if (other->used && req.guest_phys < other->gpa + other->size &&
		    other->gpa < req.guest_phys + req.size) {
			ret = -EEXIST;
			goto out;
		}
	}

	/* The caller picks the size: one too large must fail quietly. */
	slot->pages = kvcalloc(req.size >> PAGE_SHIFT, sizeof(*slot->pages),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slot->pages) {
		ret = -ENOMEM;
		goto out;
	}
	slot->gpa = req.guest_phys;
	slot->size = req.size;
	slot->hva = req.userspace_addr;
	slot->flags = req.flags;
	slot->used = true;
out:
	mutex_unlock(&vm->mmu_lock);
	return ret;
}

/*
 * The page behind gpa inside slot, pinned the first time anyone (the
 * guest, the emulator) touches it.  The pin is kept until the slot is
 * deleted, so a munmap() by the process cannot free a page the guest
 * still maps, and from then on the guest and hvm use that page whatever
 * the process maps at slot->hva.
 */
static struct page *hvm_pin_guest_page(struct hvm_vm *vm,
				       struct hvm_slot *slot, u64 gpa)
{
	bool writable = !(slot->flags & HVM_MEM_READONLY);
	u64 idx = (gpa - slot->gpa) >> PAGE_SHIFT;
	struct page *page;
	int ret;

	lockdep_assert_held(&vm->mmu_lock);
	page = slot->pages[idx];
	if (page)
		return page;
	ret = pin_user_pages_fast(slot->hva + (idx << PAGE_SHIFT), 1,
				  (writable ? FOLL_WRITE : 0) | FOLL_LONGTERM,
				  &page);
	if (ret != 1)
		return ERR_PTR(ret < 0 ? ret : -EFAULT);
	slot->pages[idx] = page;
	return page;
}

/* Guest touched gpa inside slot: pin its page and map it. */
int hvm_map_guest_page(struct hvm_vm *vm, struct hvm_slot *slot, u64 gpa)
{
	struct page *page = hvm_pin_guest_page(vm, slot, gpa);

	if (IS_ERR(page))
		return PTR_ERR(page);
	return hvm_ops->map_page(vm, gpa & PAGE_MASK, page_to_pfn(page),
				 !(slot->flags & HVM_MEM_READONLY));
}

static int hvm_access_guest_phys(struct hvm_vm *vm, u64 gpa, void *buf,
				 size_t len, bool write)
{
	int ret = 0;

	mutex_lock(&vm->mmu_lock);
	while (len) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		struct hvm_slot *slot = hvm_find_slot(vm, gpa);
		struct page *page;
		void *kaddr;

		if (!slot || (write && (slot->flags & HVM_MEM_READONLY))) {
			ret = -EFAULT;
			break;
		}
		page = hvm_pin_guest_page(vm, slot, gpa);
		if (IS_ERR(page)) {
			ret = -EFAULT;
			break;
		}
		kaddr = kmap_local_page(page);
		if (write)
			memcpy(kaddr + offset_in_page(gpa), buf, chunk);
		else
			memcpy(buf, kaddr + offset_in_page(gpa), chunk);
		kunmap_local(kaddr);
		if (write)
			set_page_dirty_lock(page);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	mutex_unlock(&vm->mmu_lock);
	return ret;
}

/* Only from the VM's own process (checked at every ioctl entry). */
int hvm_read_guest_phys(struct hvm_vm *vm, u64 gpa, void *buf, size_t len)
{
	return hvm_access_guest_phys(vm, gpa, buf, len, false);
}

int hvm_write_guest_phys(struct hvm_vm *vm, u64 gpa, const void *buf,
			 size_t len)
{
	return hvm_access_guest_phys(vm, gpa, (void *)buf, len, true);
}

static int hvm_set_cpuid(struct hvm_vm *vm, struct hvm_cpuid __user *uarg)
{
	struct hvm_cpuid_entry *entries = NULL;
	u32 nent;

	u32 i, reserved;

	if (get_user(nent, &uarg->nent) || get_user(reserved, &uarg->reserved))
		return -EFAULT;
	if (reserved)
		return -EINVAL;
	if (nent > HVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (nent) {
		/* Not vmemdup_user(): its GFP_USER is not charged. */
		entries = kvmalloc_array(nent, sizeof(*entries),
					 GFP_KERNEL_ACCOUNT);
		if (!entries)
			return -ENOMEM;
		if (copy_from_user(entries, uarg->entries,
				   nent * sizeof(*entries))) {
			kvfree(entries);
			return -EFAULT;
		}
	}
	for (i = 0; i < nent; i++) {
		if ((entries[i].flags & ~HVM_CPUID_SIGNIFICANT_INDEX) ||
		    entries[i].reserved) {
			kvfree(entries);
			return -EINVAL;
		}
		hvm_cpuid_mask_entry(&entries[i]);
	}
	mutex_lock(&vm->lock);
	swap(vm->cpuid, entries);
	vm->nr_cpuid = nent;
	mutex_unlock(&vm->lock);
	kvfree(entries);
	return 0;
}

static long hvm_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct hvm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	int ret;

	if (current->mm != vm->mm)
		return -EIO;

	switch (cmd) {
	case HVM_SET_MEMORY_SLOT:
		return hvm_set_memory_slot(vm, argp);
	case HVM_CREATE_VCPU:
		if (arg >= HVM_MAX_VCPUS)
			return -EINVAL;
		return hvm_create_vcpu(vm, arg);
	case HVM_SET_CPUID:
		return hvm_set_cpuid(vm, argp);
	case HVM_GET_CPUID:
		return hvm_get_vm_cpuid(vm, argp);
	case HVM_CHECK_EXTENSION:
		return hvm_check_extension(arg);
	case HVM_CREATE_RING:
		if (arg)
			return -EINVAL;
		mutex_lock(&vm->lock);
		ret = hvm_ring_create(vm);
		mutex_unlock(&vm->lock);
		return ret;
	default:
		return -ENOTTY;
	}
}

static int hvm_vm_release(struct inode *inode, struct file *filp)
{
	hvm_vm_users_drop(filp->private_data);
	return 0;
}

static const struct file_operations hvm_vm_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hvm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= hvm_vm_release,
	.llseek		= noop_llseek,
};

int hvm_create_vm(void)
{
	struct hvm_vm *vm;
	int ret, fd;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	refcount_set(&vm->users, 1);
	mutex_init(&vm->mmu_lock);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->ring_lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	ret = hvm_hw_get();
	if (ret)
		goto err_free;
	ret = hvm_ops->vm_init(vm);
	if (ret)
		goto err_hw;

	fd = anon_inode_getfd("hvm-vm", &hvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_backend;
	}
	return fd;

err_backend:
	hvm_ops->vm_destroy(vm);
err_hw:
	hvm_hw_put();
err_free:
	hvm_vm_put(vm);
	return ret;
}
