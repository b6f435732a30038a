// SPDX-License-Identifier: GPL-2.0
/*
 * hvm AMD SVM backend (AMD APM vol. 2, chapter 15).
 */
#define pr_fmt(fmt) "hvm: svm: " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/nospec-branch.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "svm.h"
#include "../emulate.h"

/* Sizes fixed by the APM: 12 KiB I/O and 8 KiB MSR permission maps. */
#define SVM_IOPM_PAGES		3
#define SVM_MSRPM_PAGES		2

#define SVM_SEG_CODE_RESET	0x9b	/* P, S, code, read, accessed */
#define SVM_SEG_DATA_RESET	0x93	/* P, S, data, write, accessed */
#define SVM_SEG_TSS_RESET	0x8b	/* P, 32-bit busy TSS */
#define SVM_SEG_LDT_RESET	0x82	/* P, LDT */

#define SVM_PAT_DEFAULT		0x0007040600070406ULL

#define UD_VECTOR		6
#define GP_VECTOR		13

struct svm_cpu {
	void *hsave;		/* VM_HSAVE_PA area */
	void *host_save;	/* host VMSAVE area */
	u64 host_save_pa;
	/* The kernel's CPU/node number for RDTSCP/RDPID (set at boot). */
	u64 host_tsc_aux;
	bool enabled;		/* EFER.SVME set by us */
	u64 asid_gen;
	u32 next_asid;
	struct hvm_vm *last_vm;
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);
static void *svm_iopm;
static void *svm_msrpm;
static u32 svm_nr_asids;

/* ---- load time, per-CPU enable ------------------------------------------ */

/* TSC_AUX exists (and RDTSCP/RDPID read it) on this CPU. */
static bool svm_has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) ||
	       boot_cpu_has(X86_FEATURE_RDPID);
}

static void svm_free_percpu(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *c = per_cpu_ptr(&svm_cpus, cpu);

		free_page((unsigned long)c->hsave);
		free_page((unsigned long)c->host_save);
		c->hsave = NULL;
		c->host_save = NULL;
	}
	free_pages((unsigned long)svm_iopm, get_order(SVM_IOPM_PAGES * PAGE_SIZE));
	free_pages((unsigned long)svm_msrpm, get_order(SVM_MSRPM_PAGES * PAGE_SIZE));
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static void svm_unload(void)
{
	svm_free_percpu();
}

struct hvm_pt_format svm_npt_format __ro_after_init = {
	.present	= _PAGE_PRESENT,
	.table		= _PAGE_PRESENT | _PAGE_RW | _PAGE_USER,
	.leaf		= _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	.writable	= _PAGE_RW | _PAGE_DIRTY,
	.large		= _PAGE_PSE,
	.max_level	= 1,
};

static int svm_probe(struct hvm_caps *caps)
{
	u64 vm_cr, efer;
	int cpu;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("CPU has no AMD SVM\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("SVM disabled by firmware (VM_CR.SVMDIS)\n");
		return -EPERM;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("CPU has SVM but no nested paging (NPT)\n");
		return -ENODEV;
	}
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("SVM is in use by another hypervisor (kvm_amd?)\n");
		return -EBUSY;
	}

	svm_nr_asids = cpuid_ebx(SVM_CPUID_FUNC);
	if (svm_nr_asids < 2) {
		pr_err("SVM reports no usable ASID\n");
		return -ENODEV;
	}
	caps->nr_asids = svm_nr_asids;
	/* NPT leaves follow the host's page sizes (APM vol. 2 15.25.5). */
	svm_npt_format.max_level = boot_cpu_has(X86_FEATURE_GBPAGES) ? 3 : 2;
	caps->features = HVM_CAP_NESTED_PAGING;
	if (boot_cpu_has(X86_FEATURE_NRIPS))
		caps->features |= HVM_CAP_NRIP_SAVE;
	if (boot_cpu_has(X86_FEATURE_DECODEASSISTS))
		caps->features |= HVM_CAP_DECODE_ASSISTS;
	if (boot_cpu_has(X86_FEATURE_FLUSHBYASID))
		caps->features |= HVM_CAP_FLUSH_BY_ASID;
	if (boot_cpu_has(X86_FEATURE_VMCBCLEAN))
		caps->features |= HVM_CAP_VMCB_CLEAN;
	if (boot_cpu_has(X86_FEATURE_VGIF))
		caps->features |= HVM_CAP_VGIF;
	/* svm_irq_vcpu_init() intercepts PAUSE only behind the filter. */
	if (boot_cpu_has(X86_FEATURE_PAUSEFILTER))
		caps->features |= HVM_CAP_PAUSE_EXITS;

	/* Every port and every MSR is intercepted: deny by default. */
	svm_iopm = (void *)__get_free_pages(GFP_KERNEL,
					    get_order(SVM_IOPM_PAGES * PAGE_SIZE));
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL,
					     get_order(SVM_MSRPM_PAGES * PAGE_SIZE));
	if (!svm_iopm || !svm_msrpm)
		goto nomem;
	memset(svm_iopm, 0xff, SVM_IOPM_PAGES * PAGE_SIZE);
	memset(svm_msrpm, 0xff, SVM_MSRPM_PAGES * PAGE_SIZE);

	for_each_possible_cpu(cpu) {
		struct svm_cpu *c = per_cpu_ptr(&svm_cpus, cpu);

		c->hsave = (void *)get_zeroed_page(GFP_KERNEL);
		c->host_save = (void *)get_zeroed_page(GFP_KERNEL);
		if (!c->hsave || !c->host_save)
			goto nomem;
		c->host_save_pa = __pa(c->host_save);
	}
	return 0;

nomem:
	svm_free_percpu();
	return -ENOMEM;
}

static int svm_cpu_enable(void)
{
	struct svm_cpu *c = this_cpu_ptr(&svm_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err_ratelimited("CPU %d: SVM already on: in use by another hypervisor (kvm_amd?)\n",
				   smp_processor_id());
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, __pa(c->hsave));
	if (svm_has_tsc_aux())
		rdmsrl(MSR_TSC_AUX, c->host_tsc_aux);
	c->enabled = true;
	/* TLB entries from before are unknown: the first ASID flushes all. */
	c->asid_gen++;
	c->next_asid = svm_nr_asids;
	c->last_vm = NULL;
	return 0;
}

static void svm_cpu_disable(void)
{
	struct svm_cpu *c = this_cpu_ptr(&svm_cpus);
	u64 efer;

	if (!c->enabled)
		return;
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	c->enabled = false;
}

/* ---- VMs ------------------------------------------------------------------ */

/* The core owns the nested page tables: nothing per VM here. */
static int svm_vm_init(struct hvm_vm *vm)
{
	return 0;
}

static void svm_vm_destroy(struct hvm_vm *vm)
{
	int cpu;

	/* A later VM at the same address must still get its IBPB. */
	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(&svm_cpus, cpu)->last_vm, vm, NULL);
}

/* ---- vCPUs ---------------------------------------------------------------- */

static void svm_set_seg(struct vmcb_seg *seg, u16 sel, u16 attrib, u32 limit,
			u64 base)
{
	seg->selector = sel;
	seg->attrib = attrib;
	seg->limit = limit;
	seg->base = base;
}

/* Architectural reset state (APM 14.1.3), entry at F000:FFF0. */
static void svm_reset_state(struct hvm_vcpu *vcpu)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;

	svm_set_seg(&save->cs, 0xf000, SVM_SEG_CODE_RESET, 0xffff, 0xffff0000);
	svm_set_seg(&save->ds, 0, SVM_SEG_DATA_RESET, 0xffff, 0);
	svm_set_seg(&save->es, 0, SVM_SEG_DATA_RESET, 0xffff, 0);
	svm_set_seg(&save->fs, 0, SVM_SEG_DATA_RESET, 0xffff, 0);
	svm_set_seg(&save->gs, 0, SVM_SEG_DATA_RESET, 0xffff, 0);
	svm_set_seg(&save->ss, 0, SVM_SEG_DATA_RESET, 0xffff, 0);
	svm_set_seg(&save->tr, 0, SVM_SEG_TSS_RESET, 0xffff, 0);
	svm_set_seg(&save->ldtr, 0, SVM_SEG_LDT_RESET, 0xffff, 0);
	svm_set_seg(&save->gdtr, 0, 0, 0xffff, 0);
	svm_set_seg(&save->idtr, 0, 0, 0xffff, 0);
	save->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	save->cr4 = 0;
	save->efer = EFER_SVME;
	hvm_dr_reset(vcpu);
	save->dr6 = DR6_RESERVED;
	save->dr7 = hvm_dr7_hw(vcpu);
	save->g_pat = SVM_PAT_DEFAULT;
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
}

static void svm_set_intercepts(struct vmcb_control_area *ctl)
{
	static const int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_INIT,
		INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT,
		/* No virtual PMU: the host's counters stay the host's. */
		INTERCEPT_RDPMC,
		INTERCEPT_MONITOR, INTERCEPT_MWAIT, INTERCEPT_MWAIT_COND,
		INTERCEPT_XSETBV, INTERCEPT_RDPRU,
		/* ICEBP's #DB leaves RIP on it: it is stepped over here. */
		INTERCEPT_ICEBP,
		/*
		 * #AC and #DB always exit: a guest that makes their delivery
		 * fault again would hold the CPU in microcode without an exit
		 * (CVE-2015-5307, CVE-2015-8104).  Reflected to the guest.
		 */
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_DB,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_AC,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		__set_bit(intercepts[i], (unsigned long *)ctl->intercepts);
	/* Debug registers are the vCPU's own: every MOV DR is emulated. */
	for (i = 0; i < 8; i++) {
		__set_bit(INTERCEPT_DR0_READ + i, (unsigned long *)ctl->intercepts);
		__set_bit(INTERCEPT_DR0_WRITE + i, (unsigned long *)ctl->intercepts);
	}
}

static int svm_vcpu_init(struct hvm_vcpu *vcpu)
{
	struct vmcb_control_area *ctl;
	struct svm_vcpu *svm;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	svm->vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = __pa(svm->vmcb);
	svm->last_cpu = -1;
	vcpu->arch = svm;

	ctl = &svm->vmcb->control;
	svm_set_intercepts(ctl);
	ctl->iopm_base_pa = __pa(svm_iopm);
	ctl->msrpm_base_pa = __pa(svm_msrpm);
	ctl->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	ctl->nested_cr3 = __pa(vcpu->vm->mmu.root);
	svm_irq_vcpu_init(svm);
	svm_reset_state(vcpu);
	return 0;
}

static void svm_vcpu_destroy(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	if (!svm)
		return;
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->arch = NULL;
}

static void svm_pick_asid(struct svm_vcpu *svm, struct svm_cpu *c)
{
	if (c->next_asid >= svm_nr_asids) {
		/* ASIDs run out: reuse them all, after one full flush. */
		c->asid_gen++;
		c->next_asid = 1;
		svm->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = c->next_asid++;
	svm->asid_gen = c->asid_gen;
	svm->vmcb->control.asid = svm->asid;
}

static void svm_inject_exception(struct hvm_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error_code)
{
	struct vmcb_control_area *ctl = &((struct svm_vcpu *)vcpu->arch)->vmcb->control;

	hvm_note_injection(vcpu, vector, has_error, error_code);
	ctl->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
			 (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	ctl->event_inj_err = error_code;
}

/*
 * An event the CPU was delivering when the guest left (e.g. an exception
 * whose IDT entry sat in a page not yet mapped) must be delivered again.
 * Software interrupts are not re-injected: RIP still points at INTn/INT3,
 * which runs again.
 */
static void svm_requeue_event(struct vmcb_control_area *ctl)
{
	u32 info = ctl->exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;

	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	if (type == SVM_EXITINTINFO_TYPE_SOFT)
		return;
	if (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	    ((info & SVM_EXITINTINFO_VEC_MASK) == 3 ||
	     (info & SVM_EXITINTINFO_VEC_MASK) == 4))
		return;
	ctl->event_inj = info;
	ctl->event_inj_err = ctl->exit_int_info_err;
}

static int svm_read_guest_phys(void *opaque, u64 gpa, void *buf,
			       unsigned int len)
{
	return hvm_read_guest_phys(opaque, gpa, buf, len);
}

static const struct hvm_emul_ops svm_fetch_ops = {
	.read_phys	= svm_read_guest_phys,
};

/*
 * The general register of the MOV DR at RIP (0F 21/23 /r: ModRM.rm, REX.B)
 * and the instruction's length, read from the instruction itself since
 * without decode assists the exit does not say.  -EFAULT when it cannot be
 * read, -EINVAL when something else sits there now (changed since).
 */
static int svm_decode_mov_dr(struct hvm_vcpu *vcpu, struct vmcb_save_area *save,
			     bool to_dr, u8 *len)
{
	struct hvm_emul_ctxt ctxt = {
		.rip = vcpu->rip, .rflags = vcpu->rflags,
		.cr0 = save->cr0, .cr3 = save->cr3, .cr4 = save->cr4,
		.efer = save->efer, .cs_base = save->cs.base,
		.cs_l = save->cs.attrib & SVM_SELECTOR_L_MASK,
		.cs_d = save->cs.attrib & SVM_SELECTOR_DB_MASK,
		.cpl = save->cpl, .ops = &svm_fetch_ops, .opaque = vcpu->vm,
	};
	bool long64 = (save->efer & EFER_LMA) && ctxt.cs_l;
	unsigned int i = 0;
	u8 rex = 0, b;

	if (hvm_emulate_fetch(&ctxt))
		return -EFAULT;
	for (; i < ctxt.insn_len; i++) {
		b = ctxt.insn[i];
		if (long64 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
		    b != 0x64 && b != 0x65 && b != 0x66 && b != 0x67 &&
		    b != 0xf2 && b != 0xf3)
			break;
		/* A REX prefix counts only right before the opcode. */
		rex = 0;
	}
	if (i + 3 > ctxt.insn_len || ctxt.insn[i] != 0x0f ||
	    ctxt.insn[i + 1] != (to_dr ? 0x23 : 0x21))
		return -EINVAL;
	*len = i + 3;
	return (ctxt.insn[i + 2] & 7) | ((rex & 1) << 3);
}

/* MOV DR: the vCPU's own registers (debugreg.c). */
static void svm_handle_dr_access(struct hvm_vcpu *vcpu, struct svm_vcpu *svm,
				 u32 code)
{
	struct vmcb_save_area *save = &svm->vmcb->save;
	bool to_dr = code >= SVM_EXIT_WRITE_DR0;
	u8 len = vcpu->exit.insn_len;
	int gpr, vector;

	if (boot_cpu_has(X86_FEATURE_DECODEASSISTS) && len)
		gpr = svm->vmcb->control.exit_info_1 & 0xf;
	else
		gpr = svm_decode_mov_dr(vcpu, save, to_dr, &len);
	if (gpr < 0) {
		vcpu->exit.kind = HVM_X_UNHANDLED;
		return;
	}
	vector = hvm_dr_mov(vcpu, code & 7, to_dr, gpr, save->cr4 & X86_CR4_DE,
			    (save->efer & EFER_LMA) &&
			    (save->cs.attrib & SVM_SELECTOR_L_MASK), save->cpl);
	if (vector)
		svm_inject_exception(vcpu, vector, vector == X86_TRAP_GP, 0);
	else
		vcpu->rip += len;
	vcpu->exit.kind = HVM_X_NONE;
}

static void svm_decode_exit(struct hvm_vcpu *vcpu, struct svm_vcpu *svm)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	struct hvm_exit *exit = &vcpu->exit;
	u64 info1 = ctl->exit_info_1;
	u32 code = ctl->exit_code;

	memset(exit, 0, sizeof(*exit));
	exit->hw_code = code;
	exit->info1 = info1;
	exit->info2 = ctl->exit_info_2;
	if (boot_cpu_has(X86_FEATURE_NRIPS) && ctl->next_rip > vcpu->rip &&
	    ctl->next_rip - vcpu->rip <= 15)
		exit->insn_len = ctl->next_rip - vcpu->rip;

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		exit->kind = HVM_X_NONE;
		break;
	case SVM_EXIT_CPUID:
		exit->kind = HVM_X_CPUID;
		break;
	case SVM_EXIT_HLT:
		exit->kind = HVM_X_HLT;
		break;
	case SVM_EXIT_MSR:
		exit->kind = info1 ? HVM_X_WRMSR : HVM_X_RDMSR;
		break;
	case SVM_EXIT_XSETBV:
		exit->kind = HVM_X_XSETBV;
		break;
	case SVM_EXIT_IOIO:
		exit->kind = HVM_X_IO;
		exit->io.port = info1 >> 16;
		exit->io.in = info1 & SVM_IOIO_TYPE_MASK;
		exit->io.string = info1 & SVM_IOIO_STR_MASK;
		exit->io.rep = info1 & SVM_IOIO_REP_MASK;
		exit->io.size = (info1 & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
		if (exit->io.size == 4)
			exit->io.size = 4;
		else if (exit->io.size == 2)
			exit->io.size = 2;
		else
			exit->io.size = 1;
		/* EXITINFO2 holds the next RIP for IOIO, NRIP_SAVE or not. */
		exit->insn_len = ctl->exit_info_2 - vcpu->rip;
		break;
	case SVM_EXIT_NPF:
		exit->kind = HVM_X_NPF;
		exit->npf.gpa = ctl->exit_info_2;
		exit->npf.present = info1 & X86_PF_PROT;
		exit->npf.write = info1 & X86_PF_WRITE;
		exit->npf.fetch = info1 & X86_PF_INSTR;
		break;
	case SVM_EXIT_SHUTDOWN:
		exit->kind = HVM_X_SHUTDOWN;
		break;
	case SVM_EXIT_ERR:
		exit->kind = HVM_X_FAIL_ENTRY;
		break;
	case SVM_EXIT_RDPMC:
		/* No counter exists for the guest (APM: RDPMC, #GP cases). */
		svm_inject_exception(vcpu, GP_VECTOR, true, 0);
		exit->kind = HVM_X_NONE;
		break;
	case SVM_EXIT_INVD:
		/* Dropping dirty lines would hurt the host: act as a no-op. */
		exit->kind = HVM_X_NONE;
		vcpu->rip += 2;
		break;
	case SVM_EXIT_VMMCALL:
		/* A hypercall from the guest kernel; #UD from anywhere else. */
		if (svm->vmcb->save.cpl) {
			svm_inject_exception(vcpu, UD_VECTOR, false, 0);
			exit->kind = HVM_X_NONE;
			break;
		}
		exit->kind = HVM_X_HYPERCALL;
		if (!exit->insn_len)
			exit->insn_len = 3;	/* 0f 01 d9 */
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_RDPRU:
		svm_inject_exception(vcpu, UD_VECTOR, false, 0);
		exit->kind = HVM_X_NONE;
		break;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7:
		svm_handle_dr_access(vcpu, svm, code);
		break;
	/*
	 * Reflected exceptions replace whatever svm_requeue_event() found
	 * being delivered: #DB and #AC are benign, delivered serially.  A
	 * delivery that faults again is one more exit, so a signal still
	 * ends HVM_RUN.
	 */
	case SVM_EXIT_EXCP_BASE + X86_TRAP_DB:
		/* The VMCB's DR6 went in as DR6_RESERVED: what changed is ours. */
		hvm_dr_deliver_db(vcpu, svm->vmcb->save.dr6 ^ DR6_RESERVED);
		svm_inject_exception(vcpu, X86_TRAP_DB, false, 0);
		exit->kind = HVM_X_NONE;
		break;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_AC:
		svm_inject_exception(vcpu, X86_TRAP_AC, true, 0);
		exit->kind = HVM_X_NONE;
		break;
	case SVM_EXIT_ICEBP:
		/* INT1 sets no DR6 flag; its #DB is a trap after it. */
		vcpu->rip += exit->insn_len ? exit->insn_len : 1;
		hvm_dr_deliver_db(vcpu, 0);
		svm_inject_exception(vcpu, X86_TRAP_DB, false, 0);
		exit->kind = HVM_X_NONE;
		break;
	default:
		exit->kind = HVM_X_UNHANDLED;
		break;
	}
}

/*
 * Hardware refuses a VMCB at VMRUN, before the guest runs, and leaves it
 * alone.  QEMU stores its own registers into a VMCB it refuses (host RIP,
 * RSP, RAX, CR3, descriptor table bases: they must reach neither the guest
 * nor userspace), and gives the same exit for a guest's MOV to CR4 with a
 * reserved bit.  Either way the VMCB's guest state goes back to the one
 * last entered (general registers keep what the guest left in them); an
 * event left in EXITINTINFO is requeued as after any exit.
 */
static void svm_undo_refused_entry(struct svm_vcpu *svm)
{
	memcpy(&svm->vmcb->save, &svm->entry_save, sizeof(svm->vmcb->save));
}

static int svm_vcpu_run(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;
	struct hvm_vm *vm = vcpu->vm;
	bool switch_tsc_aux;
	struct svm_cpu *c;
	bool guest_dbg;
	int cpu, tlb_gen;
	bool irq_exit;

	/* An instruction the core completed ends its STI/MOV SS shadow. */
	if (vmcb->save.rip != vcpu->rip)
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;
	vmcb->save.rsp = vcpu->gprs[HVM_RSP];
	vmcb->save.rax = vcpu->gprs[HVM_RAX];
	vmcb->save.dr7 = hvm_dr7_hw(vcpu);
	/*
	 * The guest's DR6 lives in vcpu->dbg (MOV DR exits): the hardware's
	 * starts from its reset value, so that a #DB leaves just its cause.
	 */
	vmcb->save.dr6 = DR6_RESERVED;
	/* No clean bits are used: the CPU reloads the whole VMCB. */
	vmcb->control.clean = 0;
	memcpy(&svm->entry_save, &vmcb->save, sizeof(vmcb->save));

	/* Until the exit: the guest's FPU registers in the CPU (fpu.c). */
	kernel_fpu_begin();
	local_irq_disable();
	cpu = smp_processor_id();
	c = per_cpu_ptr(&svm_cpus, cpu);
	WRITE_ONCE(vcpu->guest_cpu, cpu);
	/* Pairs with hvm_kick_vcpus(): see tlb_gen after publishing cpu. */
	smp_mb();
	/*
	 * int_ctl is written on every entry, not once: QEMU's VMRUN, when it
	 * refuses a VMCB, stores its own interrupt control (V_INTR_MASKING
	 * clear) and registers into it (svm_undo_refused_entry()).  Without
	 * V_INTR_MASKING a guest running with IF=0 holds off every host
	 * interrupt, kicks included, for as long as it loops.  The guest's
	 * TPR rides in V_TPR and is read back after every exit.
	 */
	svm_irq_before_entry(vcpu);
	tlb_gen = atomic_read(&vm->tlb_gen);
	if (svm->last_cpu != cpu || svm->asid_gen != c->asid_gen ||
	    svm->tlb_gen != tlb_gen) {
		svm_pick_asid(svm, c);
		svm->tlb_gen = tlb_gen;
		svm->last_cpu = cpu;
	}
	if (c->last_vm != vm) {
		hvm_ibpb();
		c->last_vm = vm;
	}

	guest_dbg = hvm_dr_load_guest(vcpu);
	hvm_load_guest_xstate(vcpu, vmcb->save.cr4);
	asm volatile("clgi" ::: "memory");
	/*
	 * RDPID cannot be intercepted and RDTSCP is not: both must read the
	 * guest's TSC_AUX.  The host's goes back before STGI, since an NMI's
	 * paranoid entry finds its per-CPU base with RDPID.
	 */
	switch_tsc_aux = svm_has_tsc_aux() && svm->tsc_aux != c->host_tsc_aux;
	if (switch_tsc_aux)
		wrmsrl(MSR_TSC_AUX, svm->tsc_aux);
	/*
	 * With V_INTR_MASKING the host's RFLAGS.IF at VMRUN decides whether
	 * a physical interrupt ends guest mode: it must be set, while GIF=0
	 * keeps interrupts from being taken here before the entry.
	 */
	local_irq_enable();
	hvm_svm_vmrun(svm->vmcb_pa, vcpu->gprs, c->host_save_pa);
	local_irq_disable();
	if (switch_tsc_aux)
		wrmsrl(MSR_TSC_AUX, c->host_tsc_aux);
	/* Before anything reads the VMCB, its CR4 included. */
	if (vmcb->control.exit_code == SVM_EXIT_ERR)
		svm_undo_refused_entry(svm);
	hvm_load_host_xstate(vcpu, vmcb->save.cr4);
	/* #VMEXIT leaves DR6 as the guest had it, DR7 disabled (APM 15.5.2). */
	hvm_dr_load_host(guest_dbg, vmcb->save.dr6 != DR6_RESERVED);
	asm volatile("stgi" ::: "memory");
	WRITE_ONCE(vcpu->guest_cpu, -1);
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	vmcb->control.event_inj = 0;
	local_irq_enable();
	kernel_fpu_end();

	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	vcpu->gprs[HVM_RSP] = vmcb->save.rsp;
	vcpu->gprs[HVM_RAX] = vmcb->save.rax;
	/* A hardware task switch clears the local enables L0-3. */
	vcpu->dbg.dr7 = vmcb->save.dr7 | (vcpu->dbg.dr7 & HVM_DR7_GD);
	/* A refused VMCB's int_ctl is not the guest's. */
	irq_exit = vmcb->control.exit_code != SVM_EXIT_ERR &&
		   svm_irq_after_exit(vcpu);
	/* A shutdown ends all delivery: nothing is left to re-inject. */
	if (vmcb->control.exit_code != SVM_EXIT_SHUTDOWN)
		svm_requeue_event(&vmcb->control);
	if (!irq_exit)
		svm_decode_exit(vcpu, svm);
	return 0;
}

/* ---- guest state -------------------------------------------------------- */

static void svm_seg_get(const struct vmcb_seg *in, struct hvm_segment *out)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attrib = in->attrib;
}

static void svm_seg_set(const struct hvm_segment *in, struct vmcb_seg *out)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attrib = in->attrib & 0xfff;
}

static void svm_get_sregs(struct hvm_vcpu *vcpu, struct hvm_sregs *sregs)
{
	struct vmcb_save_area *save = &((struct svm_vcpu *)vcpu->arch)->vmcb->save;

	svm_seg_get(&save->cs, &sregs->cs);
	svm_seg_get(&save->ds, &sregs->ds);
	svm_seg_get(&save->es, &sregs->es);
	svm_seg_get(&save->fs, &sregs->fs);
	svm_seg_get(&save->gs, &sregs->gs);
	svm_seg_get(&save->ss, &sregs->ss);
	svm_seg_get(&save->tr, &sregs->tr);
	svm_seg_get(&save->ldtr, &sregs->ldt);
	sregs->gdt.base = save->gdtr.base;
	sregs->gdt.limit = save->gdtr.limit;
	sregs->idt.base = save->idtr.base;
	sregs->idt.limit = save->idtr.limit;
	sregs->cr0 = save->cr0;
	sregs->cr2 = save->cr2;
	sregs->cr3 = save->cr3;
	sregs->cr4 = save->cr4;
	sregs->cr8 = hvm_lapic_get_cr8(vcpu);
	sregs->efer = save->efer & ~EFER_SVME;
}

#define SVM_GUEST_EFER_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static int svm_set_sregs(struct hvm_vcpu *vcpu, const struct hvm_sregs *sregs)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_save_area *save = &svm->vmcb->save;

	/* The rest is checked by VMRUN itself and reported as FAIL_ENTRY. */
	if ((sregs->efer & ~SVM_GUEST_EFER_BITS) || sregs->cr0 >> 32 ||
	    sregs->cr8 > V_TPR_MASK ||
	    sregs->gdt.limit > 0xffff || sregs->idt.limit > 0xffff)
		return -EINVAL;

	svm_seg_set(&sregs->cs, &save->cs);
	svm_seg_set(&sregs->ds, &save->ds);
	svm_seg_set(&sregs->es, &save->es);
	svm_seg_set(&sregs->fs, &save->fs);
	svm_seg_set(&sregs->gs, &save->gs);
	svm_seg_set(&sregs->ss, &save->ss);
	svm_seg_set(&sregs->tr, &save->tr);
	svm_seg_set(&sregs->ldt, &save->ldtr);
	save->gdtr.base = sregs->gdt.base;
	save->gdtr.limit = sregs->gdt.limit;
	save->idtr.base = sregs->idt.base;
	save->idtr.limit = sregs->idt.limit;
	save->cr0 = sregs->cr0;
	save->cr2 = sregs->cr2;
	save->cr3 = sregs->cr3;
	save->cr4 = sregs->cr4;
	save->efer = sregs->efer | EFER_SVME;
	save->cpl = (sregs->ss.attrib >> 5) & 3;
	svm->v_tpr = sregs->cr8;
	hvm_lapic_set_cr8(vcpu, sregs->cr8);
	return 0;
}

static int svm_get_msr(struct hvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (index) {
	case MSR_EFER:
		*data = save->efer & ~EFER_SVME;
		break;
	case MSR_STAR:
		*data = save->star;
		break;
	case MSR_LSTAR:
		*data = save->lstar;
		break;
	case MSR_CSTAR:
		*data = save->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = save->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = save->kernel_gs_base;
		break;
	case MSR_FS_BASE:
		*data = save->fs.base;
		break;
	case MSR_GS_BASE:
		*data = save->gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = save->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = save->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = save->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = save->g_pat;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + svm->vmcb->control.tsc_offset;
		break;
	case MSR_TSC_AUX:
		*data = svm->tsc_aux;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int svm_set_msr(struct hvm_vcpu *vcpu, u32 index, u64 data)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (index) {
	case MSR_EFER:
		if (data & ~SVM_GUEST_EFER_BITS)
			return -EINVAL;
		/* LME cannot change while paging is on; LMA is read-only. */
		if ((save->cr0 & X86_CR0_PG) &&
		    ((data ^ save->efer) & EFER_LME))
			return -EINVAL;
		save->efer = (data & ~EFER_LMA) | (save->efer & EFER_LMA) |
			     EFER_SVME;
		return 0;
	case MSR_STAR:
		save->star = data;
		return 0;
	case MSR_SYSCALL_MASK:
		save->sfmask = data;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		save->sysenter_cs = data;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!hvm_pat_valid(data))
			return -EINVAL;
		save->g_pat = data;
		return 0;
	case MSR_IA32_TSC:
		svm->vmcb->control.tsc_offset = data - rdtsc();
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		svm->tsc_aux = data;
		return 0;
	}

	/* The rest hold addresses. */
	if (!hvm_is_canonical(data)) {
		switch (index) {
		case MSR_LSTAR: case MSR_CSTAR: case MSR_KERNEL_GS_BASE:
		case MSR_FS_BASE: case MSR_GS_BASE:
		case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
			return -EINVAL;
		default:
			return -ENOENT;
		}
	}
	switch (index) {
	case MSR_LSTAR:
		save->lstar = data;
		break;
	case MSR_CSTAR:
		save->cstar = data;
		break;
	case MSR_KERNEL_GS_BASE:
		save->kernel_gs_base = data;
		break;
	case MSR_FS_BASE:
		save->fs.base = data;
		break;
	case MSR_GS_BASE:
		save->gs.base = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		save->sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		save->sysenter_eip = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

const struct hvm_backend_ops hvm_svm_ops = {
	.name			= "AMD SVM",
	.vendor			= HVM_VENDOR_AMD,
	.probe			= svm_probe,
	.unload			= svm_unload,
	.cpu_enable		= svm_cpu_enable,
	.cpu_disable		= svm_cpu_disable,
	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
	.pt_format		= &svm_npt_format,
	.vcpu_init		= svm_vcpu_init,
	.vcpu_destroy		= svm_vcpu_destroy,
	.vcpu_run		= svm_vcpu_run,
	.get_sregs		= svm_get_sregs,
	.set_sregs		= svm_set_sregs,
	.inject_exception	= svm_inject_exception,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	/* No cpuid_filter: RDTSCP and RDPID read the guest's TSC_AUX. */
	.irq_allowed		= svm_irq_allowed,
	.nmi_allowed		= svm_nmi_allowed,
	.inject_irq		= svm_inject_irq,
	.inject_nmi		= svm_inject_nmi,
	.request_irq_window	= svm_request_irq_window,
	.request_nmi_window	= svm_request_nmi_window,
	.reset_events		= svm_reset_events,
};
