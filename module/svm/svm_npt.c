// SPDX-License-Identifier: GPL-2.0
/*
 * hvm AMD SVM: nested page tables.
 *
 * NPT uses the host's 4-level long-mode format.  Every guest access is a
 * user access to the nested walk, so every level carries U/S.  Only 4 KiB
 * leaves are made; tables are freed with the VM.  The caller serialises
 * all updates with vm->mmu_lock; the hardware may walk concurrently, so
 * entries are written whole.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/pgtable_types.h>

#include "svm.h"

#define NPT_LEVELS	4
#define NPT_TABLE_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define NPT_ADDR_MASK	0x000ffffffffff000ULL

static inline unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

static u64 *npt_alloc_table(void)
{
	return (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

int svm_npt_init(struct hvm_vm *vm)
{
	struct svm_vm *svm = vm->arch;

	svm->npt_root = npt_alloc_table();
	return svm->npt_root ? 0 : -ENOMEM;
}

static void npt_free_table(u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < 512; i++) {
			if (table[i] & _PAGE_PRESENT)
				npt_free_table(__va(table[i] & NPT_ADDR_MASK),
					       level - 1);
		}
	}
	free_page((unsigned long)table);
}

void svm_npt_destroy(struct hvm_vm *vm)
{
	struct svm_vm *svm = vm->arch;

	if (svm->npt_root)
		npt_free_table(svm->npt_root, NPT_LEVELS);
	svm->npt_root = NULL;
}

/* Leaf entry slot for gpa; allocates missing tables when create. */
static u64 *npt_walk(struct hvm_vm *vm, u64 gpa, bool create)
{
	struct svm_vm *svm = vm->arch;
	u64 *table = svm->npt_root;
	int level;

	for (level = NPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[npt_index(gpa, level)];
		u64 *next;

		if (!(READ_ONCE(*entry) & _PAGE_PRESENT)) {
			if (!create)
				return NULL;
			next = npt_alloc_table();
			if (!next)
				return NULL;
			WRITE_ONCE(*entry, __pa(next) | NPT_TABLE_FLAGS);
		}
		table = __va(READ_ONCE(*entry) & NPT_ADDR_MASK);
	}
	return &table[npt_index(gpa, 1)];
}

int svm_npt_map_page(struct hvm_vm *vm, u64 gpa, u64 pfn, bool writable)
{
	u64 *leaf = npt_walk(vm, gpa, true);

	if (!leaf)
		return -ENOMEM;
	WRITE_ONCE(*leaf, (pfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_USER |
			  _PAGE_ACCESSED | (writable ? _PAGE_RW | _PAGE_DIRTY : 0));
	return 0;
}

void svm_npt_unmap_range(struct hvm_vm *vm, u64 gpa, u64 size)
{
	u64 end = gpa + size;

	for (; gpa < end; gpa += PAGE_SIZE) {
		u64 *leaf = npt_walk(vm, gpa, false);

		if (leaf)
			WRITE_ONCE(*leaf, 0);
	}
	atomic_inc(&vm->tlb_gen);
}
