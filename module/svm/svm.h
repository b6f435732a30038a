/* SPDX-License-Identifier: GPL-2.0 */
/* hvm AMD SVM backend: private objects. */
#ifndef HVM_SVM_H
#define HVM_SVM_H

#include <asm/svm.h>
#include "../hvm.h"

struct svm_vm {
	u64 *npt_root;		/* PML4 of the nested page tables */
};

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

/* svm_npt.c: caller holds vm->mmu_lock. */
int svm_npt_init(struct hvm_vm *vm);
void svm_npt_destroy(struct hvm_vm *vm);
int svm_npt_map_page(struct hvm_vm *vm, u64 gpa, u64 pfn, bool writable);
void svm_npt_unmap_range(struct hvm_vm *vm, u64 gpa, u64 size);

/* svm_entry.S: VMLOAD/VMRUN/VMSAVE with guest GPRs from gprs[]. */
void hvm_svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_save_pa);

#endif /* HVM_SVM_H */
