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
	/* The guest state as last entered, for svm_undo_refused_entry(). */
	struct vmcb_save_area entry_save;
};

/*
 * NPT entries are long-mode page-table entries; every guest access is a
 * user access to the nested walk, so every level carries U/S.  Leaves
 * are made accessed and (writable ones) dirty: the CPU never writes them.
 */
extern struct hvm_pt_format svm_npt_format;

/* svm_entry.S: VMLOAD/VMRUN/VMSAVE with guest GPRs from gprs[]. */
void hvm_svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_save_pa);

#endif /* HVM_SVM_H */
