// SPDX-License-Identifier: GPL-2.0
/*
 * hvm Intel VMX backend (Intel SDM vol. 3C, chapters 24-31).
 *
 * Needs EPT, VPID and unrestricted guest, so that a guest starts in real
 * mode at the reset vector exactly as on SVM and switches modes by itself;
 * the backend emulates only control-register writes that touch the bits
 * VMX pins (vmx_state.c).  A VMCS is active on at most one CPU: it is
 * VMCLEARed there (by IPI) before the vCPU thread loads it on another, and
 * every VMCS still active on a CPU is VMCLEARed before VMXOFF.
 */
#define pr_fmt(fmt) "hvm: vmx: " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/idr.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/mtrr.h>
#include <asm/desc.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/traps.h>
#include <asm/tsc.h>

#include "vmx.h"

/* Longest stay in the guest between two exits, when the CPU can bound it. */
#define VMX_QUANTUM_MS		4

/* hw_code of a VMLAUNCH/VMRESUME that failed without a VM exit. */
#define VMX_HW_CODE_VMFAIL	0xffffffffULL

#define VMX_EXIT_REASON_FAILED_ENTRY	BIT(31)

/* EPT violation qualification (SDM table 28-7). */
#define EPT_QUAL_WRITE		BIT(1)
#define EPT_QUAL_FETCH		BIT(2)
#define EPT_QUAL_PRESENT	(BIT(3) | BIT(4) | BIT(5))

/* I/O instruction qualification (SDM table 28-5). */
#define IO_QUAL_SIZE(q)		(((q) & 7) + 1)
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT(q)		(((q) >> 16) & 0xffff)

struct vmx_cpu {
	void *vmxon_region;
	bool enabled;		/* VMXON done by us */
	u64 current_vmcs;	/* physical address, 0 if none */
	struct list_head loaded;	/* vmx_vcpu.loaded_link */
	struct hvm_vm *last_vm;
};

struct vmx_config vmx_cfg;
static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);
static void *vmx_msr_bitmap;
static DEFINE_IDA(vmx_vpids);

/* ---- load time ------------------------------------------------------------ */

/*
 * A control word from its capability MSR (SDM A.3-A.5): the low half holds
 * the bits that must be one, the high half the bits that may be one.
 */
static int vmx_adjust_controls(u32 msr, u32 want, const char *what, u32 *out)
{
	u64 cap;
	u32 must, may;

	rdmsrl(msr, cap);
	must = (u32)cap;
	may = cap >> 32;
	if (want & ~may) {
		pr_err("CPU lacks required %s controls %#x\n", what, want & ~may);
		return -ENODEV;
	}
	*out = want | must;
	return 0;
}

/* Bit 7 of an EPT PDE or PDPTE: it maps a page (SDM vol. 3C 29.3.2). */
#define EPT_LARGE		BIT_ULL(7)

struct hvm_pt_format vmx_ept_format __ro_after_init = {
	.present	= VMX_EPT_RWX_MASK,
	.table		= VMX_EPT_RWX_MASK,
	.leaf		= VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
			  (MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT),
	.writable	= VMX_EPT_WRITABLE_MASK,
	.large		= EPT_LARGE,
	.max_level	= 1,
};

static int vmx_read_config(void)
{
	u32 msr_pin = MSR_IA32_VMX_PINBASED_CTLS;
	u32 msr_proc = MSR_IA32_VMX_PROCBASED_CTLS;
	u32 msr_exit = MSR_IA32_VMX_EXIT_CTLS;
	u32 msr_entry = MSR_IA32_VMX_ENTRY_CTLS;
	u64 basic, proc2_cap, ept_vpid;
	u32 proc2_may;
	int ret;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (basic & HVM_VMX_BASIC_TRUE_CTLS) {
		msr_pin = MSR_IA32_VMX_TRUE_PINBASED_CTLS;
		msr_proc = MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
		msr_exit = MSR_IA32_VMX_TRUE_EXIT_CTLS;
		msr_entry = MSR_IA32_VMX_TRUE_ENTRY_CTLS;
	}
	vmx_cfg.revision = basic & 0x7fffffff;
	vmx_cfg.vmcs_size = (basic >> HVM_VMX_BASIC_VMCS_SIZE_SHIFT) &
			   HVM_VMX_BASIC_VMCS_SIZE_MASK;
	if (vmx_cfg.vmcs_size > PAGE_SIZE || !vmx_cfg.vmcs_size) {
		pr_err("unexpected VMCS size %u\n", vmx_cfg.vmcs_size);
		return -ENODEV;
	}

	/* Secondary controls first: the missing feature gets named. */
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, proc2_cap);
	proc2_may = 0;
	if ((proc2_cap >> 32) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		proc2_may = native_read_msr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32;
	if (!(proc2_may & SECONDARY_EXEC_ENABLE_EPT)) {
		pr_err("CPU has VMX but no EPT\n");
		return -ENODEV;
	}
	if (!(proc2_may & SECONDARY_EXEC_ENABLE_VPID)) {
		pr_err("CPU has VMX but no VPID\n");
		return -ENODEV;
	}
	if (!(proc2_may & SECONDARY_EXEC_UNRESTRICTED_GUEST)) {
		pr_err("CPU has VMX but no unrestricted guest\n");
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept_vpid);
	if (!(ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(ept_vpid & VMX_EPTP_WB_BIT) || !(ept_vpid & VMX_EPT_INVEPT_BIT) ||
	    !(ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("CPU's EPT lacks 4-level WB tables or INVEPT\n");
		return -ENODEV;
	}
	if (!((ept_vpid >> 32) & VMX_VPID_INVVPID_BIT) ||
	    !((ept_vpid >> 32) & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
				  VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT))) {
		pr_err("CPU's VPID lacks INVVPID\n");
		return -ENODEV;
	}
	vmx_ept_format.max_level = 1;
	if (ept_vpid & VMX_EPT_2MB_PAGE_BIT)
		vmx_ept_format.max_level = 2;
	if (ept_vpid & VMX_EPT_1GB_PAGE_BIT)
		vmx_ept_format.max_level = 3;
	vmx_cfg.invept_single = ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT;
	vmx_cfg.invvpid_single = (ept_vpid >> 32) &
				 VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT;

	/* No acknowledge-on-exit: the host takes its IRQs as usual. */
	/* Virtual NMIs: the guest's NMI blocking is tracked for it. */
	ret = vmx_adjust_controls(msr_pin, PIN_BASED_EXT_INTR_MASK |
				  PIN_BASED_NMI_EXITING |
				  PIN_BASED_VIRTUAL_NMIS, "pin-based",
				  &vmx_cfg.pin);
	if (ret)
		return ret;
	/*
	 * The preemption timer bounds each stay in the guest.  Hardware
	 * needs it not, since host IRQs exit anyway; Bochs 2.7 delivers no
	 * external-interrupt exit while the guest runs with IF clear, and a
	 * guest spinning there would hold the CPU forever.
	 */
	if ((native_read_msr(msr_pin) >> 32) & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u32 rate = native_read_msr(MSR_IA32_VMX_MISC) &
			   HVM_VMX_MISC_PREEMPT_RATE_MASK;
		u64 ticks = (u64)(tsc_khz ? tsc_khz : 1000000) * VMX_QUANTUM_MS;

		vmx_cfg.pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
		vmx_cfg.preemption_quantum = min_t(u64, ticks >> rate, U32_MAX);
	}
	ret = vmx_adjust_controls(msr_proc, CPU_BASED_HLT_EXITING |
				  CPU_BASED_MWAIT_EXITING |
				  CPU_BASED_MONITOR_EXITING |
				  CPU_BASED_MOV_DR_EXITING |
				  /* No virtual PMU: host counters stay hidden. */
				  CPU_BASED_RDPMC_EXITING |
				  /*
				   * Without a TPR shadow CR8 is the host's
				   * TPR; vmx_irq_read_config() puts one in.
				   */
				  CPU_BASED_CR8_LOAD_EXITING |
				  CPU_BASED_CR8_STORE_EXITING |
				  CPU_BASED_UNCOND_IO_EXITING |
				  CPU_BASED_USE_MSR_BITMAPS |
				  CPU_BASED_USE_TSC_OFFSETTING |
				  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
				  "processor-based", &vmx_cfg.proc);
	if (ret)
		return ret;
	/*
	 * Not enabled, so the guest gets #UD without an exit: RDTSCP,
	 * INVPCID, XSAVES, VMFUNC.
	 */
	ret = vmx_adjust_controls(MSR_IA32_VMX_PROCBASED_CTLS2,
				  SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST,
				  "secondary", &vmx_cfg.proc2);
	if (ret)
		return ret;
	ret = vmx_irq_read_config(msr_proc);
	if (ret)
		return ret;
	/* Debug controls: the host's DR7 and DEBUGCTL never reach the guest. */
	ret = vmx_adjust_controls(msr_exit, VM_EXIT_HOST_ADDR_SPACE_SIZE |
				  VM_EXIT_SAVE_DEBUG_CONTROLS |
				  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
				  VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER,
				  "VM-exit", &vmx_cfg.exit);
	if (ret)
		return ret;
	ret = vmx_adjust_controls(msr_entry, VM_ENTRY_LOAD_DEBUG_CONTROLS |
				  VM_ENTRY_LOAD_IA32_PAT |
				  VM_ENTRY_LOAD_IA32_EFER, "VM-entry",
				  &vmx_cfg.entry);
	if (ret)
		return ret;
	/* Set per vCPU from the guest's EFER.LMA. */
	vmx_cfg.entry &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_cfg.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_cfg.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_cfg.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_cfg.cr4_fixed1);
	return 0;
}

static void vmx_free_percpu(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *c = per_cpu_ptr(&vmx_cpus, cpu);

		free_page((unsigned long)c->vmxon_region);
		c->vmxon_region = NULL;
	}
	free_page((unsigned long)vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
}

static void vmx_unload(void)
{
	vmx_free_percpu();
}

static int vmx_probe(struct hvm_caps *caps)
{
	u64 feature_control;
	int cpu, ret;

	/* Raw CPUID: the kernel clears its flag when firmware locked VMX off. */
	if (!(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31))) {
		pr_err("CPU has no Intel VMX\n");
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feature_control);
	if ((feature_control & FEAT_CTL_LOCKED) &&
	    !(feature_control & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL locked)\n");
		return -EPERM;
	}
	ret = vmx_read_config();
	if (ret)
		return ret;
	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("VMX is in use by another hypervisor (kvm_intel?)\n");
		return -EBUSY;
	}

	caps->features = HVM_CAP_NESTED_PAGING | HVM_CAP_VPID |
			 HVM_CAP_UNRESTRICTED;
	if (vmx_cfg.proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING)
		caps->features |= HVM_CAP_PAUSE_EXITS;
	/* VPID 0 is the host's. */
	caps->nr_asids = VMX_NR_VPIDS - 1;

	/* Every MSR access exits: deny by default. */
	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		goto nomem;
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *c = per_cpu_ptr(&vmx_cpus, cpu);

		c->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!c->vmxon_region)
			goto nomem;
		*(u32 *)c->vmxon_region = vmx_cfg.revision;
		INIT_LIST_HEAD(&c->loaded);
	}
	return 0;

nomem:
	vmx_free_percpu();
	return -ENOMEM;
}

/* ---- per-CPU VMXON/VMXOFF ------------------------------------------------- */

static bool vmx_cr_fits(u64 value, u64 fixed0, u64 fixed1)
{
	return (value & fixed0) == fixed0 && !(value & ~fixed1);
}

static int vmx_vmxon(u64 pa)
{
	/* A fault (#GP, #UD) resumes at 2: and fails like VMfail does. */
	asm goto("1: vmxon %[pa]\n\t"
		 "ja %l[done]\n"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : done);
	return -EIO;
done:
	return 0;
}

/* Both flush everything tagged; used when VMX operation starts. */
static void vmx_flush_all_tags(void)
{
	vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	int cpu = smp_processor_id();
	u64 feature_control;

	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err_ratelimited("CPU %d: VMX already on: in use by another hypervisor (kvm_intel?)\n",
				   cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feature_control);
	if (!(feature_control & FEAT_CTL_LOCKED)) {
		feature_control |= FEAT_CTL_LOCKED |
				   FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		wrmsrl(MSR_IA32_FEAT_CTL, feature_control);
	} else if (!(feature_control & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err_ratelimited("CPU %d: VMX disabled by firmware\n", cpu);
		return -EPERM;
	}
	if (!vmx_cr_fits(read_cr0(), vmx_cfg.cr0_fixed0, vmx_cfg.cr0_fixed1) ||
	    !vmx_cr_fits(__read_cr4() | X86_CR4_VMXE, vmx_cfg.cr4_fixed0,
			 vmx_cfg.cr4_fixed1)) {
		pr_err_ratelimited("CPU %d: host CR0/CR4 do not meet VMX's fixed bits\n",
				   cpu);
		return -EIO;
	}

	cr4_set_bits(X86_CR4_VMXE);
	if (vmx_vmxon(__pa(c->vmxon_region))) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err_ratelimited("CPU %d: VMXON failed\n", cpu);
		return -EIO;
	}
	c->enabled = true;
	c->current_vmcs = 0;
	c->last_vm = NULL;
	vmx_flush_all_tags();
	return 0;
}

static void vmx_clear_loaded(struct vmx_vcpu *vmx, struct vmx_cpu *c)
{
	vmx_vmclear(vmx->vmcs_pa);
	list_del_init(&vmx->loaded_link);
	if (c->current_vmcs == vmx->vmcs_pa)
		c->current_vmcs = 0;
	vmx->launched = false;
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_cpu_disable(void)
{
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vmx, *next;

	if (!c->enabled)
		return;
	/* VMXOFF leaves active VMCSs in an undefined state: flush them. */
	list_for_each_entry_safe(vmx, next, &c->loaded, loaded_link)
		vmx_clear_loaded(vmx, c);
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
	c->enabled = false;
	c->current_vmcs = 0;
}

/* ---- VMs -------------------------------------------------------------------- */

static int vmx_vm_init(struct hvm_vm *vm)
{
	struct vmx_vm *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);

	if (!vmx)
		return -ENOMEM;
	vm->arch = vmx;
	vmx->eptp = __pa(vm->mmu.root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

static void vmx_vm_destroy(struct hvm_vm *vm)
{
	int cpu;

	if (!vm->arch)
		return;
	kfree(vm->arch);
	vm->arch = NULL;
	/* A later VM at the same address must still get its IBPB. */
	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(&vmx_cpus, cpu)->last_vm, vm, NULL);
}

/* ---- making a VMCS current ---------------------------------------------- */

/* IPI target: VMCLEAR on the CPU the VMCS is active on. */
static void vmx_clear_remote(void *info)
{
	struct vmx_vcpu *vmx = info;

	/* The CPU may have gone offline and cleared it meanwhile. */
	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		vmx_clear_loaded(vmx, this_cpu_ptr(&vmx_cpus));
}

static void vmx_clear_everywhere(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_remote, vmx, 1);
}

/* Host state that differs between CPUs (SDM 24.5). */
static void vmx_write_host_percpu(void)
{
	struct desc_ptr gdt, idt;
	struct desc_struct *tss_desc;
	u64 tr_base, gs_base, sysenter_esp;

	native_store_gdt(&gdt);
	store_idt(&idt);
	tss_desc = (struct desc_struct *)(gdt.address + GDT_ENTRY_TSS * 8);
	tr_base = get_desc_base(tss_desc) |
		  ((u64)*(u32 *)(tss_desc + 1) << 32);
	rdmsrl(MSR_GS_BASE, gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmx_write(HOST_GDTR_BASE, gdt.address);
	vmx_write(HOST_IDTR_BASE, idt.address);
	vmx_write(HOST_TR_BASE, tr_base);
	vmx_write(HOST_GS_BASE, gs_base);
	vmx_write(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/*
 * Make this vCPU's VMCS current on this CPU.  Caller has preemption off
 * and IRQs on (a VMCS active elsewhere is cleared by IPI).  Returns true
 * when it moved here, so that cached translations must go.
 */
static bool vmx_vcpu_load(struct vmx_vcpu *vmx)
{
	int cpu = smp_processor_id();
	struct vmx_cpu *c = this_cpu_ptr(&vmx_cpus);
	unsigned long flags;
	bool moved = false;

	if (READ_ONCE(vmx->cpu) != cpu) {
		vmx_clear_everywhere(vmx);
		local_irq_save(flags);
		list_add(&vmx->loaded_link, &c->loaded);
		WRITE_ONCE(vmx->cpu, cpu);
		vmx->launched = false;
		c->current_vmcs = 0;
		local_irq_restore(flags);
		moved = true;
	}
	if (c->current_vmcs != vmx->vmcs_pa) {
		if (!vmx_vmptrld(vmx->vmcs_pa))
			pr_warn_ratelimited("VMPTRLD failed\n");
		c->current_vmcs = vmx->vmcs_pa;
	}
	if (moved)
		vmx_write_host_percpu();
	return moved;
}

struct vmx_vcpu *vmx_vcpu_get(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	preempt_disable();
	vmx_vcpu_load(vmx);
	return vmx;
}

void vmx_vcpu_put(void)
{
	preempt_enable();
}

/* ---- vCPUs ---------------------------------------------------------------- */

static void vmx_write_controls(struct vmx_vcpu *vmx, struct vmx_vm *vmx_vm)
{
	vmx_write(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
	vmx_irq_write_controls(vmx);
	vmx_write(SECONDARY_VM_EXEC_CONTROL, vmx_cfg.proc2);
	vmx_write(VM_EXIT_CONTROLS, vmx_cfg.exit);
	vmx_write(VM_ENTRY_CONTROLS, vmx_cfg.entry);
	/*
	 * #AC and #DB always exit: a guest that makes their delivery fault
	 * again would hold the CPU in microcode without an exit
	 * (CVE-2015-5307, CVE-2015-8104).  vmx_reflect_exception() hands them
	 * back to the guest.
	 */
	vmx_write(EXCEPTION_BITMAP, BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC));
	vmx_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmx_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmx_write(CR3_TARGET_COUNT, 0);
	vmx_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmx_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmx_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmx_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx_write(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmx_write(EPT_POINTER, vmx_vm->eptp);
	vmx_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmx_write(TSC_OFFSET, 0);
	vmx_write(VMCS_LINK_POINTER, ~0ULL);
	vmx_write(CR0_GUEST_HOST_MASK, vmx_cr0_host_mask());
	vmx_write(CR4_GUEST_HOST_MASK, vmx_cr4_host_mask());
}

/* Host state that is the same on every CPU and for every entry. */
static void vmx_write_host_constant(void)
{
	u64 sysenter_cs, sysenter_eip, efer, pat;

	vmx_write(HOST_CR0, read_cr0());
	vmx_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmx_write(HOST_SS_SELECTOR, __KERNEL_DS);
	/* Null selectors: vmx_vcpu_run() reloads the real ones after exit. */
	vmx_write(HOST_DS_SELECTOR, 0);
	vmx_write(HOST_ES_SELECTOR, 0);
	vmx_write(HOST_FS_SELECTOR, 0);
	vmx_write(HOST_GS_SELECTOR, 0);
	vmx_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_IA32_SYSENTER_CS, sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_EIP, sysenter_eip);
	vmx_write(HOST_IA32_SYSENTER_CS, sysenter_cs);
	vmx_write(HOST_IA32_SYSENTER_EIP, sysenter_eip);
	rdmsrl(MSR_EFER, efer);
	rdmsrl(MSR_IA32_CR_PAT, pat);
	vmx_write(HOST_IA32_EFER, efer);
	vmx_write(HOST_IA32_PAT, pat);
	vmx_write(HOST_RIP, (unsigned long)hvm_vmx_exit_point);
}

static int vmx_vcpu_init(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	int vpid;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vpid = ida_alloc_range(&vmx_vpids, 1, VMX_NR_VPIDS - 1, GFP_KERNEL);
	if (!vmx->vmcs || vpid < 0 || vmx_irq_vcpu_alloc(vmx)) {
		if (vpid >= 0)
			ida_free(&vmx_vpids, vpid);
		vmx_irq_vcpu_free(vmx);
		free_page((unsigned long)vmx->vmcs);
		kfree(vmx);
		return vpid < 0 ? vpid : -ENOMEM;
	}
	*(u32 *)vmx->vmcs = vmx_cfg.revision;
	vmx->vmcs_pa = __pa(vmx->vmcs);
	vmx->vpid = vpid;
	vmx->vcpu = vcpu;
	vmx->cpu = -1;
	/* A VPID or EPT root page used before may still be cached. */
	vmx->need_flush = true;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vcpu->arch = vmx;

	preempt_disable();
	/* A new VMCS must be cleared once before its first VMPTRLD. */
	vmx_vmclear(vmx->vmcs_pa);
	vmx_vcpu_load(vmx);
	vmx_write_controls(vmx, vcpu->vm->arch);
	vmx_write_host_constant();
	vmx_reset_state(vcpu);
	vmx_vcpu_put();
	return 0;
}

static void vmx_vcpu_destroy(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (!vmx)
		return;
	preempt_disable();
	vmx_clear_everywhere(vmx);
	preempt_enable();
	ida_free(&vmx_vpids, vmx->vpid);
	vmx_irq_vcpu_free(vmx);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->arch = NULL;
}

/* Exits for "#UD only" instructions: the guest sees no VMX. */
static bool vmx_exit_is_ud(u32 reason)
{
	switch (reason) {
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_RDTSCP:
		return true;
	default:
		return false;
	}
}

/*
 * An intercepted #DB or #AC goes back to the guest, replacing the event
 * vmx_irq_after_exit() found being delivered (both are benign: delivered
 * serially; an interrupt or NMI waits, see vmx_queue_exception()).  A
 * delivery that faults again is one more exit, so a signal still ends
 * HVM_RUN.  False for any other exception.
 */
static bool vmx_reflect_exception(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx,
				  u32 info, u64 qual)
{
	switch (info & INTR_INFO_VECTOR_MASK) {
	case X86_TRAP_AC:
		vmx_queue_exception(vmx, X86_TRAP_AC, true, 0);
		return true;
	case X86_TRAP_DB:
		/*
		 * INT1 (ICEBP) exits before it retires and sets no DR6 flag.
		 * Otherwise the CPU left DR6 alone: the qualification holds
		 * the flags it would have set (SDM 27.2.1).
		 */
		if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION) {
			vcpu->rip += vmx_read(VM_EXIT_INSTRUCTION_LEN);
			qual = 0;
		}
		hvm_dr_deliver_db(vcpu, qual);
		vmx_queue_exception(vmx, X86_TRAP_DB, false, 0);
		return true;
	default:
		return false;
	}
}

/* Caller has the VMCS current. */
static void vmx_decode_exit(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx,
			    u32 reason)
{
	struct hvm_exit *exit = &vcpu->exit;
	u64 qual = vmx_read(EXIT_QUALIFICATION);

	memset(exit, 0, sizeof(*exit));
	exit->hw_code = reason;
	exit->info1 = qual;

	if (reason & VMX_EXIT_REASON_FAILED_ENTRY) {
		exit->kind = HVM_X_FAIL_ENTRY;
		return;
	}
	/* Bits 31:16 are flags (SDM 24.9.1); the basic reason is below. */
	reason &= 0xffff;
	switch (reason) {
	case EXIT_REASON_CPUID:
	case EXIT_REASON_HLT:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_XSETBV:
		exit->insn_len = vmx_read(VM_EXIT_INSTRUCTION_LEN);
		break;
	}

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		/* NMIs were handled right after the exit. */
		exit->info2 = vmx_read(VM_EXIT_INTR_INFO);
		if ((exit->info2 & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR ||
		    vmx_reflect_exception(vcpu, vmx, exit->info2, qual))
			exit->kind = HVM_X_NONE;
		else
			exit->kind = HVM_X_UNHANDLED;
		break;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
		exit->kind = HVM_X_NONE;
		break;
	case EXIT_REASON_TRIPLE_FAULT:
		exit->kind = HVM_X_SHUTDOWN;
		break;
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
	case EXIT_REASON_PAUSE_INSTRUCTION:
	case EXIT_REASON_TPR_BELOW_THRESHOLD:
		exit->kind = vmx_irq_exit_kind(vcpu, vmx, reason);
		break;
	case EXIT_REASON_CPUID:
		exit->kind = HVM_X_CPUID;
		break;
	case EXIT_REASON_HLT:
		exit->kind = HVM_X_HLT;
		break;
	case EXIT_REASON_MSR_READ:
		exit->kind = HVM_X_RDMSR;
		break;
	case EXIT_REASON_MSR_WRITE:
		exit->kind = HVM_X_WRMSR;
		break;
	case EXIT_REASON_XSETBV:
		exit->kind = HVM_X_XSETBV;
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		exit->kind = HVM_X_IO;
		exit->io.port = IO_QUAL_PORT(qual);
		exit->io.size = IO_QUAL_SIZE(qual);
		exit->io.in = qual & IO_QUAL_IN;
		exit->io.string = qual & IO_QUAL_STRING;
		exit->io.rep = qual & IO_QUAL_REP;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		exit->kind = HVM_X_NPF;
		exit->npf.gpa = vmx_read(GUEST_PHYSICAL_ADDRESS);
		exit->npf.write = qual & EPT_QUAL_WRITE;
		exit->npf.fetch = qual & EPT_QUAL_FETCH;
		exit->npf.present = qual & EPT_QUAL_PRESENT;
		exit->info2 = exit->npf.gpa;
		break;
	case EXIT_REASON_EPT_MISCONFIG:
		/* vmx_ept.c never writes one: a bug worth a line in dmesg. */
		exit->kind = HVM_X_NPF;
		exit->npf.gpa = vmx_read(GUEST_PHYSICAL_ADDRESS);
		exit->npf.present = true;
		exit->info2 = exit->npf.gpa;
		pr_warn_ratelimited("EPT misconfiguration at GPA %#llx\n",
				    exit->npf.gpa);
		break;
	case EXIT_REASON_CR_ACCESS:
		vmx_handle_cr_access(vcpu, qual);
		exit->kind = HVM_X_NONE;
		break;
	case EXIT_REASON_DR_ACCESS:
		vmx_handle_dr_access(vcpu, qual);
		exit->kind = HVM_X_NONE;
		break;
	case EXIT_REASON_RDPMC:
		/* No counter exists for the guest (SDM: RDPMC, #GP cases). */
		vmx_queue_exception(vmx, GP_VECTOR, true, 0);
		exit->kind = HVM_X_NONE;
		break;
	case EXIT_REASON_INVD:
		/* Dropping dirty lines would hurt the host: act as a no-op. */
		vcpu->rip += vmx_read(VM_EXIT_INSTRUCTION_LEN);
		exit->kind = HVM_X_NONE;
		break;
	case EXIT_REASON_VMCALL:
		/* VMCALL exits at any CPL: a hypercall only from CPL 0. */
		if ((vmx_read(GUEST_SS_AR_BYTES) >> 5) & 3) {
			vmx_queue_exception(vmx, UD_VECTOR, false, 0);
			exit->kind = HVM_X_NONE;
			break;
		}
		exit->kind = HVM_X_HYPERCALL;
		exit->insn_len = vmx_read(VM_EXIT_INSTRUCTION_LEN);
		break;
	default:
		if (vmx_exit_is_ud(reason)) {
			vmx_queue_exception(vmx, UD_VECTOR, false, 0);
			exit->kind = HVM_X_NONE;
		} else {
			exit->kind = HVM_X_UNHANDLED;
		}
		break;
	}
}

/* Host selectors VM exit does not restore (it loads null ones). */
struct vmx_host_segs {
	u16 ds, es, fs, gs;
	u64 fs_base;
	u64 kernel_gs_base;
	u64 star, lstar, cstar, sfmask;
	struct desc_ptr gdt, idt;
	unsigned long debugctl;
};

static void vmx_switch_to_guest_msrs(struct vmx_vcpu *vmx,
				     struct vmx_host_segs *host)
{
	savesegment(ds, host->ds);
	savesegment(es, host->es);
	savesegment(fs, host->fs);
	savesegment(gs, host->gs);
	rdmsrl(MSR_FS_BASE, host->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, host->kernel_gs_base);
	rdmsrl(MSR_STAR, host->star);
	rdmsrl(MSR_LSTAR, host->lstar);
	rdmsrl(MSR_CSTAR, host->cstar);
	rdmsrl(MSR_SYSCALL_MASK, host->sfmask);
	native_store_gdt(&host->gdt);
	store_idt(&host->idt);
	host->debugctl = get_debugctlmsr();
	vmx_write(HOST_FS_BASE, host->fs_base);

	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_STAR, vmx->star);
	wrmsrl(MSR_LSTAR, vmx->lstar);
	wrmsrl(MSR_CSTAR, vmx->cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
}

static void vmx_switch_to_host_msrs(struct vmx_vcpu *vmx,
				    struct vmx_host_segs *host)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_STAR, host->star);
	wrmsrl(MSR_LSTAR, host->lstar);
	wrmsrl(MSR_CSTAR, host->cstar);
	wrmsrl(MSR_SYSCALL_MASK, host->sfmask);

	/* VM exit set both limits to 0xffff and DEBUGCTL to 0. */
	native_load_gdt(&host->gdt);
	load_idt(&host->idt);
	if (host->debugctl)
		update_debugctlmsr(host->debugctl);

	loadsegment(ds, host->ds);
	loadsegment(es, host->es);
	if (host->fs) {
		loadsegment(fs, host->fs);
		wrmsrl(MSR_FS_BASE, host->fs_base);
	}
	/* Loads the user GS selector and base; the MSR below fixes the base. */
	if (host->gs)
		load_gs_index(host->gs);
	wrmsrl(MSR_KERNEL_GS_BASE, host->kernel_gs_base);
}

static void vmx_prepare_host_state(struct vmx_vcpu *vmx)
{
	unsigned long cr3 = __read_cr3(), cr4 = __read_cr4();

	if (cr3 != vmx->host_cr3) {
		vmx_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmx_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
}

static void vmx_flush_translations(struct vmx_vcpu *vmx, struct vmx_vm *vmx_vm)
{
	if (vmx_cfg.invept_single)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, vmx_vm->eptp);
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	vmx_flush_guest_tlb(vmx);
}

static int vmx_vcpu_run(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	struct hvm_vm *vm = vcpu->vm;
	struct vmx_host_segs host;
	struct vmx_cpu *c;
	bool moved, failed;
	u64 guest_cr4;
	u64 pdpte[4] = {};
	u32 reason = 0;
	bool guest_dbg;
	int cpu, tlb_gen, i;

	/* Outside the slots the entries read as not present. */
	if (vmx->pdptr_pending &&
	    hvm_read_guest_phys(vm, vmx->pdptr_gpa, pdpte, sizeof(pdpte)))
		memset(pdpte, 0, sizeof(pdpte));

	/* Until the exit: the guest's FPU registers in the CPU (fpu.c). */
	kernel_fpu_begin();
	preempt_disable();
	moved = vmx_vcpu_load(vmx);
	if (vmx->pdptr_pending) {
		for (i = 0; i < ARRAY_SIZE(pdpte); i++)
			vmx_write(GUEST_PDPTR0 + i * 2, pdpte[i]);
		vmx->pdptr_pending = false;
	}
	vmx_write(GUEST_RIP, vcpu->rip);
	vmx_write(GUEST_RSP, vcpu->gprs[HVM_RSP]);
	vmx_write(GUEST_RFLAGS, vcpu->rflags);
	/* The core skipped the exiting insn: its STI/MOV SS shadow is over. */
	if (vcpu->rip != vmx->exit_rip) {
		u32 intr = vmx_read(GUEST_INTERRUPTIBILITY_INFO);

		if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
			vmx_write(GUEST_INTERRUPTIBILITY_INFO,
				  intr & ~(GUEST_INTR_STATE_STI |
					   GUEST_INTR_STATE_MOV_SS));
	}
	if (vmx_cfg.preemption_quantum)
		vmx_write(VMX_PREEMPTION_TIMER_VALUE, vmx_cfg.preemption_quantum);
	vmx_write(GUEST_DR7, hvm_dr7_hw(vcpu));
	guest_cr4 = vmx_guest_cr4();

	local_irq_disable();
	cpu = smp_processor_id();
	c = this_cpu_ptr(&vmx_cpus);
	WRITE_ONCE(vcpu->guest_cpu, cpu);
	/* Pairs with hvm_kick_vcpus(): see tlb_gen after publishing cpu. */
	smp_mb();
	vmx_irq_before_entry(vcpu, vmx);
	tlb_gen = atomic_read(&vm->tlb_gen);
	if (moved || vmx->need_flush || vmx->tlb_gen != tlb_gen) {
		vmx_flush_translations(vmx, vm->arch);
		vmx->tlb_gen = tlb_gen;
		vmx->need_flush = false;
	}
	if (c->last_vm != vm) {
		hvm_ibpb();
		c->last_vm = vm;
	}
	vmx_prepare_host_state(vmx);
	vmx_switch_to_guest_msrs(vmx, &host);
	guest_dbg = hvm_dr_load_guest(vcpu);
	hvm_load_guest_xstate(vcpu, guest_cr4);
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	/* L1TF: no host data in L1D for the guest to speculate on. */
	if (boot_cpu_has_bug(X86_BUG_L1TF) && boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);

	failed = hvm_vmx_enter(vcpu->gprs, vmx->launched);

	vmx->cr2 = native_read_cr2();
	if (!failed) {
		reason = vmx_read(VM_EXIT_REASON);
		/*
		 * An entry refused for its guest state leaves the launch
		 * state as it was: after a failed VMLAUNCH only VMLAUNCH
		 * works (VMRESUME fails for good).
		 */
		if (!(reason & VMX_EXIT_REASON_FAILED_ENTRY))
			vmx->launched = true;
		/* NMI exiting consumed the host's NMI: hand it to the host. */
		if ((reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI &&
		    (vmx_read(VM_EXIT_INTR_INFO) & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_NMI_INTR)
			asm volatile("int $2");
	}
	vmx_switch_to_host_msrs(vmx, &host);
	guest_cr4 = vmx_guest_cr4();
	hvm_load_host_xstate(vcpu, guest_cr4);
	/*
	 * VM exit loaded DR7 = 0x400; DR6 is never the guest's here: MOV DR
	 * and #DB exit, and a #DB that exits does not write DR6.
	 */
	hvm_dr_load_host(guest_dbg, false);
	/* VM exit left the TSS limit at 0x67: I/O bitmaps need it back. */
	invalidate_tss_limit();
	WRITE_ONCE(vcpu->guest_cpu, -1);
	local_irq_enable();
	kernel_fpu_end();

	if (failed) {
		vmx_irq_entry_failed(vcpu, vmx);
		memset(&vcpu->exit, 0, sizeof(vcpu->exit));
		vcpu->exit.kind = HVM_X_FAIL_ENTRY;
		vcpu->exit.hw_code = VMX_HW_CODE_VMFAIL;
		vcpu->exit.info1 = vmx_read(VM_INSTRUCTION_ERROR);
		vmx_vcpu_put();
		return 0;
	}
	vmx_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vcpu->rip = vmx_read(GUEST_RIP);
	vcpu->rflags = vmx_read(GUEST_RFLAGS);
	vcpu->gprs[HVM_RSP] = vmx_read(GUEST_RSP);
	vmx->exit_rip = vcpu->rip;
	if (!(reason & VMX_EXIT_REASON_FAILED_ENTRY)) {
		/* The guest's own MOV CR0 may have switched IA-32e mode. */
		vmx_write_efer(vmx_read(GUEST_IA32_EFER));
		vmx_irq_after_exit(vcpu, vmx, reason & 0xffff);
	} else {
		vmx_irq_entry_failed(vcpu, vmx);
	}
	vmx_decode_exit(vcpu, vmx, reason);
	vmx_vcpu_put();
	return 0;
}

/*
 * The secondary controls leave "enable RDTSCP" (RDTSCP and RDPID),
 * "enable INVPCID" and "enable XSAVES/XRSTORS" clear: those instructions
 * raise #UD in the guest, so their features are not offered.
 */
static void vmx_cpuid_filter(u32 function, u32 index, u32 regs[4])
{
	if (function == 7 && index == 0) {
		regs[HVM_CPUID_EBX] &= ~BIT(X86_FEATURE_INVPCID & 31);
		regs[HVM_CPUID_ECX] &= ~BIT(X86_FEATURE_RDPID & 31);
	} else if (function == 0xd && index == 1) {
		regs[HVM_CPUID_EAX] &= ~BIT(X86_FEATURE_XSAVES & 31);
	} else if (function == 0x80000001) {
		regs[HVM_CPUID_EDX] &= ~BIT(X86_FEATURE_RDTSCP & 31);
	}
}

const struct hvm_backend_ops hvm_vmx_ops = {
	.name			= "Intel VMX",
	.vendor			= HVM_VENDOR_INTEL,
	.probe			= vmx_probe,
	.unload			= vmx_unload,
	.cpu_enable		= vmx_cpu_enable,
	.cpu_disable		= vmx_cpu_disable,
	.vm_init		= vmx_vm_init,
	.vm_destroy		= vmx_vm_destroy,
	.pt_format		= &vmx_ept_format,
	.vcpu_init		= vmx_vcpu_init,
	.vcpu_destroy		= vmx_vcpu_destroy,
	.vcpu_run		= vmx_vcpu_run,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.inject_exception	= vmx_inject_exception,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.cpuid_filter		= vmx_cpuid_filter,
	.irq_allowed		= vmx_irq_allowed,
	.nmi_allowed		= vmx_nmi_allowed,
	.inject_irq		= vmx_inject_irq,
	.inject_nmi		= vmx_inject_nmi,
	.request_irq_window	= vmx_request_irq_window,
	.request_nmi_window	= vmx_request_nmi_window,
	.reset_events		= vmx_reset_events,
};
