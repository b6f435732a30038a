// SPDX-License-Identifier: GPL-2.0
/*
 * hvm Intel VMX: event injection for the local APIC and the exits that go
 * with it (Intel SDM vol. 3C 25.2-25.3, 26.5-26.6, 27.2-27.3, 29.1).
 *
 * One event enters with the guest: vmx->inject_info.  An event whose
 * delivery a VM exit cut short (IDT-vectoring information) is put back
 * there and goes in again, unchanged, at the next entry: with its error
 * code, and with its instruction length when it came from INTn, INT3,
 * INTO or INT1.  While one waits, irq_allowed and nmi_allowed say no, so
 * nothing new overwrites it.  An exception raised meanwhile by the
 * backend or the core (vmx_queue_exception()) replaces a re-injected
 * exception, which delivery would handle serially anyway, but an
 * interrupt or NMI it displaces waits in deferred_info for the entry
 * after.
 *
 * Virtual NMIs give the guest its own NMI blocking: injecting an NMI sets
 * it, the guest's IRET clears it.  The guest's CR8 is its APIC's TPR
 * bits 7:4: with a TPR shadow MOV CR8 only touches the virtual-APIC page,
 * read back after each exit, and the TPR threshold makes a write that
 * lowers it exit, so that an interrupt the old TPR held back is delivered
 * at once.  Without a TPR shadow, MOV CR8 exits (vmx_state.c).
 */
#define pr_fmt(fmt) "hvm: vmx: " fmt

#include <linux/gfp.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmx.h"

/* The TPR in the virtual-APIC page, as an index of u32 (SDM 29.1.1). */
#define VMX_VAPIC_TPR		(0x80 / sizeof(u32))

/*
 * PAUSE-loop exiting (SDM 25.1.3): PAUSEs at most PLE_GAP TSC cycles
 * apart belong to one loop, which exits once it spins longer than
 * PLE_WINDOW cycles.  KVM's defaults.
 */
#define VMX_PLE_GAP		128
#define VMX_PLE_WINDOW		4096

/* EPT violation qualification: IRET unblocked NMIs (SDM table 28-7). */
#define EPT_QUAL_NMI_UNBLOCK	BIT(12)

/* The fields of IDT-vectoring information an entry may inject again. */
#define VMX_EVENT_BITS		(INTR_INFO_VECTOR_MASK | \
				 INTR_INFO_INTR_TYPE_MASK | \
				 INTR_INFO_DELIVER_CODE_MASK | \
				 INTR_INFO_VALID_MASK)

#define VMX_SHADOW_BITS		(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

/* ---- load time and vCPU set-up ------------------------------------------ */

/*
 * After vmx_read_config() chose the required controls: the window exits
 * must exist (they do wherever virtual NMIs do, which probe requires);
 * the TPR shadow replaces CR8 exiting where the CPU has one.
 */
int vmx_irq_read_config(u32 msr_proc)
{
	u64 cap = native_read_msr(msr_proc);
	u32 must = cap, may = cap >> 32;
	u32 windows = CPU_BASED_INTR_WINDOW_EXITING |
		      CPU_BASED_NMI_WINDOW_EXITING;
	u32 cr8_exits = CPU_BASED_CR8_LOAD_EXITING |
			CPU_BASED_CR8_STORE_EXITING;

	if ((may & windows) != windows) {
		pr_err("CPU lacks interrupt- or NMI-window exiting\n");
		return -ENODEV;
	}
	if ((may & CPU_BASED_TPR_SHADOW) && !(must & cr8_exits)) {
		vmx_cfg.proc = (vmx_cfg.proc & ~cr8_exits) | CPU_BASED_TPR_SHADOW;
		vmx_cfg.tpr_shadow = true;
	}
	/* Without it a spinning vCPU yields only at the preemption timer. */
	if ((native_read_msr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) &
	    SECONDARY_EXEC_PAUSE_LOOP_EXITING)
		vmx_cfg.proc2 |= SECONDARY_EXEC_PAUSE_LOOP_EXITING;
	return 0;
}

int vmx_irq_vcpu_alloc(struct vmx_vcpu *vmx)
{
	if (!vmx_cfg.tpr_shadow)
		return 0;
	vmx->vapic = (u32 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return vmx->vapic ? 0 : -ENOMEM;
}

void vmx_irq_vcpu_free(struct vmx_vcpu *vmx)
{
	free_page((unsigned long)vmx->vapic);
	vmx->vapic = NULL;
}

void vmx_irq_write_controls(struct vmx_vcpu *vmx)
{
	vmx->proc = vmx_cfg.proc;
	vmx_write(CPU_BASED_VM_EXEC_CONTROL, vmx->proc);
	if (vmx->vapic) {
		vmx_write(VIRTUAL_APIC_PAGE_ADDR, __pa(vmx->vapic));
		vmx_write(TPR_THRESHOLD, 0);
		vmx->entry_cr8 = 0;
	}
	if (vmx_cfg.proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING) {
		vmx_write(PLE_GAP, VMX_PLE_GAP);
		vmx_write(PLE_WINDOW, VMX_PLE_WINDOW);
	}
}

static void vmx_set_proc(struct vmx_vcpu *vmx, u32 proc)
{
	if (proc == vmx->proc)
		return;
	vmx->proc = proc;
	vmx_write(CPU_BASED_VM_EXEC_CONTROL, proc);
}

/* ---- CR8 ------------------------------------------------------------------ */

u8 vmx_get_cr8(struct hvm_vcpu *vcpu)
{
	return hvm_lapic_get_cr8(vcpu);
}

void vmx_set_cr8(struct hvm_vcpu *vcpu, u8 cr8)
{
	hvm_lapic_set_cr8(vcpu, cr8);
}

/*
 * The TPR threshold (bits 3:0, compared with VTPR bits 7:4 after each
 * MOV CR8, SDM 29.1.2) is the TPR at entry: any write that lowers it
 * exits, so that the APIC can deliver what the old TPR held back.  The
 * entry checks want it no higher than the TPR, which it is.
 */
static void vmx_tpr_before_entry(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u8 cr8;

	if (!vmx->vapic)
		return;
	cr8 = vmx_get_cr8(vcpu);
	WRITE_ONCE(vmx->vapic[VMX_VAPIC_TPR], (u32)cr8 << 4);
	if (cr8 != vmx->entry_cr8)
		vmx_write(TPR_THRESHOLD, cr8);
	vmx->entry_cr8 = cr8;
}

static void vmx_tpr_after_exit(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u8 cr8;

	if (!vmx->vapic)
		return;
	cr8 = (READ_ONCE(vmx->vapic[VMX_VAPIC_TPR]) >> 4) & 0xf;
	if (cr8 != vmx->entry_cr8)
		vmx_set_cr8(vcpu, cr8);
}

/* ---- around each entry ----------------------------------------------------- */

static bool vmx_event_pending(struct vmx_vcpu *vmx)
{
	return (vmx->inject_info & INTR_INFO_VALID_MASK) || vmx->deferred_info;
}

/*
 * Blocking by STI or MOV SS, and by NMI.  The shadow is over once the
 * core stepped over the exiting instruction (vmx_vcpu_run() clears it
 * from the VMCS then too).
 */
static u32 vmx_guest_blocking(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 intr = vmx_read(GUEST_INTERRUPTIBILITY_INFO);

	if (vcpu->rip != vmx->exit_rip)
		intr &= ~VMX_SHADOW_BITS;
	return intr;
}

void vmx_irq_before_entry(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 info, type;

	if (!(vmx->inject_info & INTR_INFO_VALID_MASK) && vmx->deferred_info) {
		vmx->inject_info = vmx->deferred_info;
		vmx->inject_error = 0;
		vmx->inject_len = 0;
		vmx->deferred_info = 0;
	}
	/* The local APIC injects or asks for a window through the ops. */
	hvm_irq_before_entry(vcpu);
	vmx_tpr_before_entry(vcpu, vmx);

	info = vmx->inject_info;
	if (!(info & INTR_INFO_VALID_MASK))
		return;
	type = info & INTR_INFO_INTR_TYPE_MASK;
	/* Real mode delivers no error code (SDM 26.2.1.3). */
	if (!(vmx_read(GUEST_CR0) & X86_CR0_PE))
		info &= ~INTR_INFO_DELIVER_CODE_MASK;
	/*
	 * A vectoring entry leaves no STI or MOV SS blocking behind (SDM
	 * 26.6.1), yet for an interrupt or NMI the entry checks refuse
	 * those bits, and an NMI whose delivery exited left virtual-NMI
	 * blocking set, which its injection sets again anyway.
	 */
	if (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR) {
		u32 intr = vmx_read(GUEST_INTERRUPTIBILITY_INFO);
		u32 clear = VMX_SHADOW_BITS;

		if (type == INTR_TYPE_NMI_INTR)
			clear |= GUEST_INTR_STATE_NMI;
		if (intr & clear)
			vmx_write(GUEST_INTERRUPTIBILITY_INFO, intr & ~clear);
	}
	vmx_write(VM_ENTRY_INTR_INFO_FIELD, info);
	vmx_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->inject_error);
	vmx_write(VM_ENTRY_INSTRUCTION_LEN, vmx->inject_len);
}

/*
 * Whatever was injected was delivered, unless the IDT-vectoring
 * information says otherwise: then it goes in again.
 */
void vmx_irq_after_exit(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx,
			u32 reason)
{
	u32 idt = vmx_read(IDT_VECTORING_INFO_FIELD);
	bool unblocked = false;

	vmx->inject_info = 0;
	vmx_tpr_after_exit(vcpu, vmx);
	if (idt & INTR_INFO_VALID_MASK) {
		u32 type = idt & INTR_INFO_INTR_TYPE_MASK;

		vmx->inject_info = idt & VMX_EVENT_BITS;
		vmx->inject_error = vmx_read(IDT_VECTORING_ERROR_CODE);
		vmx->inject_len = 0;
		if (type == INTR_TYPE_SOFT_INTR ||
		    type == INTR_TYPE_SOFT_EXCEPTION ||
		    type == INTR_TYPE_PRIV_SW_EXCEPTION)
			vmx->inject_len = vmx_read(VM_EXIT_INSTRUCTION_LEN);
		return;
	}
	/*
	 * A fault in an IRET that had already ended virtual-NMI blocking:
	 * the IRET runs again (or the guest handles the fault) with NMIs
	 * still blocked, as on hardware (SDM 27.2.3, 31.7.1.2).
	 */
	if (reason == EXIT_REASON_EXCEPTION_NMI)
		unblocked = vmx_read(VM_EXIT_INTR_INFO) & INTR_INFO_UNBLOCK_NMI;
	else if (reason == EXIT_REASON_EPT_VIOLATION)
		unblocked = vmx_read(EXIT_QUALIFICATION) & EPT_QUAL_NMI_UNBLOCK;
	if (unblocked)
		vmx_write(GUEST_INTERRUPTIBILITY_INFO,
			  vmx_read(GUEST_INTERRUPTIBILITY_INFO) |
			  GUEST_INTR_STATE_NMI);
}

/*
 * The entry failed: nothing went in.  An interrupt goes back to the
 * APIC's IRR, to come again if userspace fixes the state and runs again.
 */
void vmx_irq_entry_failed(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 info = vmx->inject_info;

	vmx->inject_info = 0;
	if ((info & INTR_INFO_VALID_MASK) &&
	    (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_EXT_INTR)
		hvm_irq_cancel(vcpu, info & INTR_INFO_VECTOR_MASK);
}

enum hvm_exit_kind vmx_irq_exit_kind(struct hvm_vcpu *vcpu,
				     struct vmx_vcpu *vmx, u32 reason)
{
	switch (reason) {
	case EXIT_REASON_INTERRUPT_WINDOW:
		vmx_set_proc(vmx, vmx->proc & ~CPU_BASED_INTR_WINDOW_EXITING);
		return HVM_X_IRQ_WINDOW;
	case EXIT_REASON_NMI_WINDOW:
		vmx_set_proc(vmx, vmx->proc & ~CPU_BASED_NMI_WINDOW_EXITING);
		return HVM_X_NMI_WINDOW;
	case EXIT_REASON_PAUSE_INSTRUCTION:
		/* Fault-like: RIP is at the PAUSE, which may run again. */
		vcpu->exit.insn_len = vmx_read(VM_EXIT_INSTRUCTION_LEN);
		return HVM_X_PAUSE;
	default:
		/* TPR below threshold: the new TPR is the APIC's already. */
		return HVM_X_NONE;
	}
}

/* ---- backend ops ----------------------------------------------------------- */

bool vmx_irq_allowed(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);
	bool allowed;

	allowed = !vmx_event_pending(vmx) && (vcpu->rflags & X86_EFLAGS_IF) &&
		  !(vmx_guest_blocking(vcpu, vmx) & VMX_SHADOW_BITS);
	vmx_vcpu_put();
	return allowed;
}

/*
 * Blocking by STI does not count: some CPUs let it hold the NMI-window
 * exit back, others do not, and injection clears it anyway.
 */
bool vmx_nmi_allowed(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);
	bool allowed;

	allowed = !vmx_event_pending(vmx) &&
		  !(vmx_guest_blocking(vcpu, vmx) &
		    (GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_NMI));
	vmx_vcpu_put();
	return allowed;
}

void vmx_inject_irq(struct hvm_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	vmx->inject_info = vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;
	vmx->inject_error = 0;
	vmx->inject_len = 0;
	hvm_stat_inc(vcpu, irq_injections);
}

void vmx_inject_nmi(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	vmx->inject_info = X86_TRAP_NMI | INTR_TYPE_NMI_INTR |
			   INTR_INFO_VALID_MASK;
	vmx->inject_error = 0;
	vmx->inject_len = 0;
	hvm_stat_inc(vcpu, irq_injections);
}

void vmx_request_irq_window(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);

	vmx_set_proc(vmx, vmx->proc | CPU_BASED_INTR_WINDOW_EXITING);
	vmx_vcpu_put();
}

void vmx_request_nmi_window(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);

	vmx_set_proc(vmx, vmx->proc | CPU_BASED_NMI_WINDOW_EXITING);
	vmx_vcpu_put();
}

/*
 * INIT: no event, no shadow, no NMI blocking.  A window asked for stays
 * asked for: at worst it costs one exit the core ignores.
 */
void vmx_reset_events(struct hvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);

	vmx->inject_info = 0;
	vmx->inject_error = 0;
	vmx->inject_len = 0;
	vmx->deferred_info = 0;
	vmx_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmx_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmx_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx_vcpu_put();
}
