// SPDX-License-Identifier: GPL-2.0
/*
 * hvm AMD SVM backend: interrupt and NMI delivery (APM vol. 2, 15.20-15.21).
 *
 * External interrupts go in as virtual interrupts (V_IRQ, V_INTR_VECTOR,
 * V_IGN_TPR: the local APIC already applied the priority rules), which the
 * CPU takes as soon as the guest is interruptible, never through EVENTINJ:
 * QEMU 7.2's SVM, given an interrupt through EVENTINJ, delivers it and
 * leaves the vector pending as an exception, so the guest takes it twice.
 * The interrupt window is a V_IRQ with no vector behind it and the VINTR
 * intercept: the exit comes where the guest could take it.  NMIs go
 * through EVENTINJ (not affected) and the IRET intercept finds the end of
 * NMI blocking.
 *
 * QEMU 7.2 also aborts on a guest MOV to CR8 while V_IRQ is pending:
 * CR8 writes are intercepted exactly while V_IRQ is armed; the exit takes
 * the interrupt back and lets the guest write CR8 once without V_IRQ.
 *
 * And QEMU before 9.1 does not load the STI/MOV SS shadow from int_state
 * at VMRUN: after an exit inside a shadow that left the instruction
 * undone (a nested page fault, a host interrupt), a V_IRQ armed for the
 * next entry is taken before that instruction.  So an entry inside a
 * shadow arms no V_IRQ, neither vector nor window; the guest runs the
 * shadowed instruction and the next exit of any kind (at worst a host
 * tick later) arms it.  Hardware honours the shadow: there this costs
 * only that delay, and only after an exit inside a shadow.
 */
#include "svm.h"

#define NMI_VECTOR		2

static bool svm_event_pending(struct svm_vcpu *svm)
{
	return svm->vmcb->control.event_inj & SVM_EVTINJ_VALID;
}

static bool svm_in_shadow(struct svm_vcpu *svm)
{
	return svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

bool svm_irq_allowed(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	return (vcpu->rflags & X86_EFLAGS_IF) && !svm_in_shadow(svm) &&
	       !svm_event_pending(svm) && !svm->virq_armed;
}

bool svm_nmi_allowed(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	return !svm->nmi_masked && !svm_in_shadow(svm) &&
	       !svm_event_pending(svm);
}

void svm_inject_irq(struct hvm_vcpu *vcpu, u8 vector)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->virq_armed = true;
	svm->virq_vector = vector;
	hvm_stat_inc(vcpu, irq_injections);
}

void svm_inject_nmi(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->control.event_inj = NMI_VECTOR | SVM_EVTINJ_TYPE_NMI |
				       SVM_EVTINJ_VALID;
	svm->nmi_masked = true;
	svm->iret_seen = false;
	hvm_stat_inc(vcpu, irq_injections);
}

void svm_request_irq_window(struct hvm_vcpu *vcpu)
{
	((struct svm_vcpu *)vcpu->arch)->irq_window = true;
}

/*
 * While the handler runs, the IRET intercept is armed.  Once its IRET was
 * seen with IF=0, an interrupt window exits right after it if it restores
 * IF=1; in every other case the next exit of any kind ends the blocking
 * (a window at the IRET itself would exit there again and again).
 */
void svm_request_nmi_window(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	if (!svm->nmi_masked ||
	    (svm->iret_seen && !(vcpu->rflags & X86_EFLAGS_IF)))
		svm->irq_window = true;
}

void svm_reset_events(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->control.event_inj = 0;
	svm->vmcb->control.int_state = 0;
	svm->virq_armed = false;
	svm->irq_window = false;
	svm->nmi_masked = false;
	svm->iret_seen = false;
	svm->cr8_unarmed_once = false;
	svm->virq_held = false;
}

static void svm_set_intercept(struct vmcb_control_area *ctl, int bit, bool on)
{
	if (on)
		__set_bit(bit, (unsigned long *)ctl->intercepts);
	else
		__clear_bit(bit, (unsigned long *)ctl->intercepts);
}

void svm_irq_before_entry(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	u32 int_ctl;
	bool virq;

	svm->v_tpr = hvm_lapic_get_cr8(vcpu);
	hvm_irq_before_entry(vcpu);

	int_ctl = V_INTR_MASKING_MASK | svm->v_tpr;
	virq = false;
	svm->virq_held = svm_in_shadow(svm) &&
			 (svm->virq_armed || svm->irq_window);
	if (svm->virq_armed && !svm->virq_held) {
		int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
			   (0xf << V_INTR_PRIO_SHIFT);
		ctl->int_vector = svm->virq_vector;
		virq = true;
	} else if (svm->irq_window && !svm->cr8_unarmed_once &&
		   !svm->virq_held) {
		int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK;
		ctl->int_vector = 0;
		virq = true;
	}
	ctl->int_ctl = int_ctl;
	svm_set_intercept(ctl, INTERCEPT_VINTR, virq && !svm->virq_armed);
	svm_set_intercept(ctl, INTERCEPT_CR8_WRITE, virq);
	svm_set_intercept(ctl, INTERCEPT_IRET,
			  svm->nmi_masked && !svm->iret_seen);
	svm->irq_window = false;
	svm->cr8_unarmed_once = false;
}

/*
 * After an exit, before svm_requeue_event(): the TPR back to the APIC,
 * what became of V_IRQ, NMI blocking.  Returns true when it decoded the
 * exit itself (into vcpu->exit).
 */
bool svm_irq_after_exit(struct hvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	u32 info = ctl->exit_int_info;
	u8 tpr = ctl->int_ctl & V_TPR_MASK;

	if (tpr != svm->v_tpr) {
		svm->v_tpr = tpr;
		hvm_lapic_set_cr8(vcpu, tpr);
	}
	/* The CPU clears V_IRQ when it takes the interrupt. */
	if (svm->virq_armed && !svm->virq_held &&
	    !(ctl->int_ctl & V_IRQ_MASK))
		svm->virq_armed = false;
	/*
	 * An interrupt whose delivery the exit cut short goes back in the
	 * way it came, as V_IRQ, not through EVENTINJ.
	 */
	if ((info & SVM_EXITINTINFO_VALID) &&
	    (info & SVM_EXITINTINFO_TYPE_MASK) == SVM_EXITINTINFO_TYPE_INTR) {
		svm->virq_armed = true;
		svm->virq_vector = info & SVM_EXITINTINFO_VEC_MASK;
		ctl->exit_int_info = 0;
	}
	if (svm->nmi_masked && svm->iret_seen && vcpu->rip != svm->iret_rip) {
		svm->nmi_masked = false;
		svm->iret_seen = false;
	}

	memset(&vcpu->exit, 0, sizeof(vcpu->exit));
	vcpu->exit.hw_code = ctl->exit_code;
	switch (ctl->exit_code) {
	case SVM_EXIT_VINTR:
		vcpu->exit.kind = HVM_X_IRQ_WINDOW;
		return true;
	case SVM_EXIT_WRITE_CR8:
		/* The guest writes CR8 again, natively, without V_IRQ. */
		if (svm->virq_armed) {
			hvm_irq_cancel(vcpu, svm->virq_vector);
			svm->virq_armed = false;
		}
		svm->cr8_unarmed_once = true;
		vcpu->exit.kind = HVM_X_NONE;
		return true;
	case SVM_EXIT_IRET:
		/* Blocking ends once this IRET has run: at an exit elsewhere. */
		svm->iret_seen = true;
		svm->iret_rip = vcpu->rip;
		vcpu->exit.kind = HVM_X_NMI_WINDOW;
		return true;
	case SVM_EXIT_PAUSE:
		vcpu->exit.kind = HVM_X_PAUSE;
		return true;
	default:
		return false;
	}
}

/* PAUSE exits only with the pause filter: else every PAUSE would exit. */
void svm_irq_vcpu_init(struct svm_vcpu *svm)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	if (!boot_cpu_has(X86_FEATURE_PAUSEFILTER))
		return;
	ctl->pause_filter_count = 3000;
	if (boot_cpu_has(X86_FEATURE_PFTHRESHOLD))
		ctl->pause_filter_thresh = 128;
	svm_set_intercept(ctl, INTERCEPT_PAUSE, true);
}
