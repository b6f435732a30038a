/* SPDX-License-Identifier: GPL-2.0 */
/* hvm AMD SVM backend: private objects. */
#ifndef HVM_SVM_H
#define HVM_SVM_H

#include <asm/svm.h>
#include "../hvm.h"

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	int last_cpu;
	u32 asid;
	u64 asid_gen;		/* per-CPU generation the ASID belongs to */
	int tlb_gen;		/* vm->tlb_gen when the ASID was picked */
	u64 tsc_aux;
	/*
	 * The guest's TPR (CR8).  With V_INTR_MASKING its MOV CR8 reaches
	 * V_TPR in int_ctl, which is rewritten before every entry.
	 */
	u8 v_tpr;
	/* Interrupt delivery (svm_irq.c). */
	bool virq_armed;	/* virq_vector sits in V_IRQ, taken from IRR */
	u8 virq_vector;
	bool irq_window;	/* an empty V_IRQ + VINTR intercept next entry */
	bool cr8_unarmed_once;	/* a CR8 write exit: one entry without V_IRQ */
	bool virq_held;		/* this entry is in a shadow: V_IRQ left off */
	bool nmi_masked;	/* an injected NMI's handler runs */
	bool iret_seen;		/* its IRET exited at iret_rip */
	u64 iret_rip;
	/* The guest state as last entered, for svm_undo_refused_entry(). */
	struct vmcb_save_area entry_save;
};

/*
 * NPT entries are long-mode page-table entries; every guest access is a
 * user access to the nested walk, so every level carries U/S.  Leaves
 * are made accessed and (writable ones) dirty: the CPU never writes them.
 */
extern struct hvm_pt_format svm_npt_format;

/* svm_irq.c: the interrupt ops, and the run loop's hooks. */
bool svm_irq_allowed(struct hvm_vcpu *vcpu);
bool svm_nmi_allowed(struct hvm_vcpu *vcpu);
void svm_inject_irq(struct hvm_vcpu *vcpu, u8 vector);
void svm_inject_nmi(struct hvm_vcpu *vcpu);
void svm_request_irq_window(struct hvm_vcpu *vcpu);
void svm_request_nmi_window(struct hvm_vcpu *vcpu);
void svm_reset_events(struct hvm_vcpu *vcpu);
void svm_irq_vcpu_init(struct svm_vcpu *svm);
/* IRQs off, guest_cpu published: injects, builds int_ctl. */
void svm_irq_before_entry(struct hvm_vcpu *vcpu);
/* After an exit: true when it decoded the exit into vcpu->exit. */
bool svm_irq_after_exit(struct hvm_vcpu *vcpu);

/* svm_entry.S: VMLOAD/VMRUN/VMSAVE with guest GPRs from gprs[]. */
void hvm_svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_save_pa);

#endif /* HVM_SVM_H */
