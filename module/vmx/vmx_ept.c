// SPDX-License-Identifier: GPL-2.0
/*
 * hvm Intel VMX: extended page tables (SDM vol. 3C 29.3).
 *
 * Four levels, 4 KiB leaves only, filled lazily from the memory slots.  An
 * entry is present when any of R/W/X is set; leaves carry memory type WB
 * and let the guest's PAT combine with it.  Accessed/dirty flags are off
 * in the EPTP, so the CPU never writes to these tables.  The caller
 * serialises updates with vm->mmu_lock; the CPU may walk concurrently, so
 * entries are written whole.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "vmx.h"

#define EPT_LEVELS		4
#define EPT_READ		BIT_ULL(0)
#define EPT_WRITE		BIT_ULL(1)
#define EPT_EXEC		BIT_ULL(2)
#define EPT_PRESENT_MASK	(EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_WB		(6ULL << 3)
#define EPT_ADDR_MASK		0x000ffffffffff000ULL

static inline unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

static u64 *ept_alloc_table(void)
{
	return (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

int vmx_ept_init(struct hvm_vm *vm)
{
	struct vmx_vm *vmx = vm->arch;

	vmx->ept_root = ept_alloc_table();
	if (!vmx->ept_root)
		return -ENOMEM;
	vmx->eptp = __pa(vmx->ept_root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

static void ept_free_table(u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < 512; i++) {
			if (table[i] & EPT_PRESENT_MASK)
				ept_free_table(__va(table[i] & EPT_ADDR_MASK),
					       level - 1);
		}
	}
	free_page((unsigned long)table);
}

void vmx_ept_destroy(struct hvm_vm *vm)
{
	struct vmx_vm *vmx = vm->arch;

	if (vmx->ept_root)
		ept_free_table(vmx->ept_root, EPT_LEVELS);
	vmx->ept_root = NULL;
}

/* Leaf entry slot for gpa; allocates missing tables when create. */
static u64 *ept_walk(struct hvm_vm *vm, u64 gpa, bool create)
{
	struct vmx_vm *vmx = vm->arch;
	u64 *table = vmx->ept_root;
	int level;

	for (level = EPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[ept_index(gpa, level)];
		u64 *next;

		if (!(READ_ONCE(*entry) & EPT_PRESENT_MASK)) {
			if (!create)
				return NULL;
			next = ept_alloc_table();
			if (!next)
				return NULL;
			/* Non-leaf entries grant all; the leaf decides. */
			WRITE_ONCE(*entry, __pa(next) | EPT_PRESENT_MASK);
		}
		table = __va(READ_ONCE(*entry) & EPT_ADDR_MASK);
	}
	return &table[ept_index(gpa, 1)];
}

int vmx_ept_map_page(struct hvm_vm *vm, u64 gpa, u64 pfn, bool writable)
{
	u64 *leaf = ept_walk(vm, gpa, true);

	if (!leaf)
		return -ENOMEM;
	WRITE_ONCE(*leaf, (pfn << PAGE_SHIFT) | EPT_READ | EPT_EXEC |
			  (writable ? EPT_WRITE : 0) | EPT_MEMTYPE_WB);
	return 0;
}

void vmx_ept_unmap_range(struct hvm_vm *vm, u64 gpa, u64 size)
{
	u64 end = gpa + size;

	for (; gpa < end; gpa += PAGE_SIZE) {
		u64 *leaf = ept_walk(vm, gpa, false);

		if (leaf)
			WRITE_ONCE(*leaf, 0);
	}
	/* Every vCPU does INVEPT for this EPTP before its next entry. */
	atomic_inc(&vm->tlb_gen);
}
