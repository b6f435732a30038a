// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: module entry, /dev/hvm, backend choice and the per-CPU switch that
 * turns virtualization on while at least one VM exists.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>
#include <asm/pkru.h>
#include <asm/tsc.h>

#include "hvm.h"
#include "ring.h"

const struct hvm_backend_ops *hvm_ops;
struct hvm_caps hvm_host_caps;

static u64 host_xcr0;

/*
 * Virtualization is on for every online CPU while hw_users > 0.  The cpuhp
 * state exists exactly while it is on, so CPUs that come online meanwhile
 * are switched on by the same callbacks, and offline ones off.
 */
static DEFINE_MUTEX(hw_lock);
static unsigned int hw_users;
static int hw_cpuhp_state;

static int hvm_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int ret;

	local_irq_save(flags);
	ret = hvm_ops->cpu_enable();
	local_irq_restore(flags);
	return ret;
}

static int hvm_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	hvm_ops->cpu_disable();
	local_irq_restore(flags);
	return 0;
}

int hvm_hw_get(void)
{
	int ret = 0;

	mutex_lock(&hw_lock);
	if (hw_users == 0) {
		ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hvm:online",
					hvm_cpu_online, hvm_cpu_offline);
		if (ret < 0)
			goto out;
		hw_cpuhp_state = ret;
		ret = 0;
	}
	hw_users++;
out:
	mutex_unlock(&hw_lock);
	return ret;
}

void hvm_hw_put(void)
{
	mutex_lock(&hw_lock);
	if (!WARN_ON(hw_users == 0) && --hw_users == 0)
		cpuhp_remove_state(hw_cpuhp_state);
	mutex_unlock(&hw_lock);
}

/*
 * In guest mode XCR0 is the guest's, whatever its CR4 says: the guest may
 * set CR4.OSXSAVE without an exit (CR writes are not intercepted) and must
 * then find its own XCR0, not the host's.  Nothing is switched when the
 * host runs without XSAVE (host_xcr0 == 0): XSETBV would fault in the host,
 * and the guest cannot have set another XCR0 (its XSETBV gets #GP, no
 * feature being allowed).
 */
void hvm_load_guest_xstate(struct hvm_vcpu *vcpu, u64 guest_cr4)
{
	hvm_fpu_load_guest(vcpu);
	if (host_xcr0 && vcpu->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (cpu_feature_enabled(X86_FEATURE_PKU)) {
		vcpu->host_pkru = read_pkru();
		if ((guest_cr4 & X86_CR4_PKE) && vcpu->pkru != vcpu->host_pkru)
			write_pkru(vcpu->pkru);
	}
}

void hvm_load_host_xstate(struct hvm_vcpu *vcpu, u64 guest_cr4)
{
	if (cpu_feature_enabled(X86_FEATURE_PKU)) {
		if (guest_cr4 & X86_CR4_PKE)
			vcpu->pkru = read_pkru();
		if (vcpu->pkru != vcpu->host_pkru)
			write_pkru(vcpu->host_pkru);
	}
	/*
	 * XCR0 is read back rather than assumed: hardware exits on every
	 * XSETBV, but an emulated CPU (QEMU's TCG SVM) runs the guest's
	 * XSETBV without the intercept.  The value the guest left is its
	 * XCR0 from now on (the CPU accepted it), and the host gets its own
	 * back.
	 */
	if (host_xcr0) {
		vcpu->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (vcpu->xcr0 != host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	}
	hvm_fpu_save_guest(vcpu);
}

/*
 * Another guest's branch training must not steer this one: an IBPB when
 * the kernel uses it.  Written here because the kernel's barrier helper
 * goes through a symbol newer kernels export to KVM alone.
 */
void hvm_ibpb(void)
{
	if (cpu_feature_enabled(X86_FEATURE_USE_IBPB))
		wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

u64 hvm_host_xcr0(void)
{
	return host_xcr0;
}

/*
 * The caller says how much room it has: it gets the prefix both sides
 * know, zeroes past what this module knows, and the module's size.
 */
static long hvm_dev_get_caps(struct hvm_caps __user *argp)
{
	u32 size, known = sizeof(hvm_host_caps);

	BUILD_BUG_ON(sizeof(struct hvm_caps) < HVM_CAPS_SIZE_V1 ||
		     sizeof(struct hvm_caps) > HVM_CAPS_SIZE_MAX);
	if (get_user(size, &argp->size))
		return -EFAULT;
	if (size < HVM_CAPS_SIZE_V1 || size > HVM_CAPS_SIZE_MAX)
		return -EINVAL;
	if (copy_to_user(argp, &hvm_host_caps, min(size, known)))
		return -EFAULT;
	if (size > known && clear_user((u8 __user *)argp + known, size - known))
		return -EFAULT;
	return 0;
}

/* HVM_GET_CAPS with whatever structure size the caller was built with. */
static bool hvm_is_get_caps(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(HVM_GET_CAPS) &&
	       _IOC_NR(cmd) == _IOC_NR(HVM_GET_CAPS) &&
	       _IOC_DIR(cmd) == _IOC_DIR(HVM_GET_CAPS);
}

long hvm_check_extension(unsigned long ext)
{
	switch (ext) {
	case HVM_EXT_CAPS_SIZE:
		return sizeof(struct hvm_caps);
	case HVM_EXT_MAX_VCPUS:
		return HVM_MAX_VCPUS;
	case HVM_EXT_MAX_SLOTS:
		return HVM_MAX_SLOTS;
	case HVM_EXT_READONLY_MEM:
		return 1;
	case HVM_EXT_RING:
		return HVM_RING_SLOTS;
	case HVM_EXT_POSTED_WRITES:
		return HVM_RING_POSTED_ENTRIES;
	case HVM_EXT_SUPPORTED_CPUID:
		return HVM_MAX_CPUID_ENTRIES;
	case HVM_EXT_GET_CPUID:
	case HVM_EXT_DEBUGREGS:
	case HVM_EXT_DIRTY_LOG:
	case HVM_EXT_MEMORY_STATS:
		return 1;
	case HVM_EXT_STATS:
		return HVM_STATS_VERSION;
	case HVM_EXT_LARGEST_LEAF:
		return hvm_mmu_largest_leaf_kib();
	case HVM_EXT_TSC_KHZ:
		/* The guest reads the host's TSC (plus an offset), unscaled. */
		return tsc_khz;
	case HVM_EXT_HYPERCALL:
		return 1;
	case HVM_EXT_IRQCHIP:
		return hvm_irqchip_supported();
	default:
		return 0;
	}
}

static long hvm_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	if (hvm_is_get_caps(cmd))
		return hvm_dev_get_caps((struct hvm_caps __user *)arg);

	switch (cmd) {
	case HVM_GET_API_VERSION:
		return HVM_API_VERSION;
	case HVM_CHECK_EXTENSION:
		return hvm_check_extension(arg);
	case HVM_GET_SUPPORTED_CPUID:
		return hvm_get_supported_cpuid((struct hvm_cpuid __user *)arg);
	case HVM_CREATE_VM:
		if (arg)
			return -EINVAL;
		return hvm_create_vm();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hvm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice hvm_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= HVM_NAME,
	.fops	= &hvm_dev_fops,
	.mode	= 0600,
};

static int __init hvm_init(void)
{
	int ret;

	if (boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	    boot_cpu_data.x86_vendor == X86_VENDOR_HYGON) {
		hvm_ops = &hvm_svm_ops;
	} else if (boot_cpu_data.x86_vendor == X86_VENDOR_INTEL) {
		hvm_ops = &hvm_vmx_ops;
	} else {
		pr_err("unsupported CPU vendor\n");
		return -ENODEV;
	}

	hvm_host_caps.size = sizeof(hvm_host_caps);
	hvm_host_caps.vendor = hvm_ops->vendor;
	hvm_host_caps.max_vcpus = HVM_MAX_VCPUS;
	hvm_host_caps.max_slots = HVM_MAX_SLOTS;
	hvm_host_caps.max_cpuid_entries = HVM_MAX_CPUID_ENTRIES;
	hvm_host_caps.max_gpa = HVM_MAX_GPA;
	hvm_host_caps.ring_slots = HVM_RING_SLOTS;
	hvm_host_caps.ring_posted_entries = HVM_RING_POSTED_ENTRIES;
	ret = hvm_ops->probe(&hvm_host_caps);
	if (ret)
		return ret;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	hvm_fpu_init();
	hvm_cpuid_init();

	ret = misc_register(&hvm_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", HVM_NAME, ret);
		if (hvm_ops->unload)
			hvm_ops->unload();
		return ret;
	}
	pr_info("%s backend ready\n", hvm_ops->name);
	return 0;
}

static void __exit hvm_exit(void)
{
	misc_deregister(&hvm_miscdev);
	/* vCPUs are freed by RCU callbacks; kicks may be in flight. */
	rcu_barrier();
	hvm_irq_exit();
	if (hvm_ops->unload)
		hvm_ops->unload();
}

module_init(hvm_init);
module_exit(hvm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvm: hosted hypervisor (AMD SVM, Intel VMX)");
