// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: VM objects: the VM fd, the CPUID table, and kicking vCPUs out of
 * guest mode.  Guest memory is in mmu.c.
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

void hvm_vm_users_drop(struct hvm_vm *vm)
{
	if (!refcount_dec_and_test(&vm->users))
		return;

	hvm_ring_detach(vm);
	hvm_ops->vm_destroy(vm);
	hvm_mmu_destroy(vm);
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

	/* Pairs with the barrier between guest_cpu and the checks. */
	smp_mb();
	/* RCU, not vm->lock: MMU notifier callbacks kick too. */
	rcu_read_lock();
	for (i = 0; i < HVM_MAX_VCPUS; i++) {
		struct hvm_vcpu *vcpu = rcu_dereference(vm->vcpus[i]);

		if (!vcpu)
			continue;
		cpu = READ_ONCE(vcpu->guest_cpu);
		if (cpu >= 0 && cpu != raw_smp_processor_id())
			smp_call_function_single(cpu, hvm_kick_nop, NULL, 1);
		/* A HALTED or WAIT_SIPI vCPU re-checks too (a stop). */
		wake_up(&vcpu->irq_wq);
	}
	rcu_read_unlock();
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

	/*
	 * A stats fd only reads counters: a process that was handed the VM
	 * fd (SCM_RIGHTS, pidfd_getfd()) may watch the VM it cannot run.
	 */
	if (cmd == HVM_GET_STATS_FD)
		return arg ? -EINVAL : hvm_vm_stats_fd(vm);
	if (current->mm != vm->mm)
		return -EIO;

	switch (cmd) {
	case HVM_SET_MEMORY_SLOT:
		return hvm_set_memory_slot(vm, argp);
	case HVM_GET_DIRTY_LOG:
		return hvm_get_dirty_log(vm, argp);
	case HVM_GET_MEMORY_STATS:
		return hvm_get_memory_stats(vm, argp);
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
	mutex_init(&vm->lock);
	spin_lock_init(&vm->ring_lock);
	vm->mm = current->mm;
	vm->pid = task_tgid_nr(current);
	mmgrab(vm->mm);

	ret = hvm_hw_get();
	if (ret)
		goto err_free;
	ret = hvm_mmu_init(vm);
	if (ret)
		goto err_mmu;
	ret = hvm_ops->vm_init(vm);
	if (ret)
		goto err_mmu;

	fd = anon_inode_getfd("hvm-vm", &hvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_backend;
	}
	return fd;

err_backend:
	hvm_ops->vm_destroy(vm);
err_mmu:
	hvm_mmu_destroy(vm);
	hvm_hw_put();
err_free:
	hvm_vm_put(vm);
	return ret;
}
