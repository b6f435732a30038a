/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm guest memory: memory slots and the nested page tables (NPT or EPT)
 * that follow the process's mappings through an MMU notifier.
 */
#ifndef HVM_MMU_H
#define HVM_MMU_H

#include <linux/types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include "../uapi/linux/hvm.h"

struct hvm_vm;
struct hvm_vcpu;

/*
 * A vendor's page-table entry format.  NPT and EPT share the shape that
 * matters here: 4 levels of 512 entries, the address in bits 12-51, a
 * "large" bit 7 in leaves above level 1.  Backends differ in the bits.
 */
struct hvm_pt_format {
	u64 present;		/* any of these set: the entry is present */
	u64 table;		/* an entry pointing to a table */
	u64 leaf;		/* every leaf */
	u64 writable;		/* added to a leaf the guest may write */
	u64 large;		/* a leaf at level 2 or 3 */
	int max_level;		/* largest leaf: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB */
};

struct hvm_slot {
	bool used;
	u32 flags;
	u64 gpa;
	u64 size;
	unsigned long hva;
	/* HVM_MEM_LOG_DIRTY: one bit per page, written since the last get. */
	unsigned long *dirty;
};

/* Page-table pages a fault may need, taken before the lock. */
#define HVM_MMU_CACHE_PAGES	3

struct hvm_mmu_cache {
	int nr;
	u64 *pages[HVM_MMU_CACHE_PAGES];
};

struct hvm_mmu {
	/*
	 * Read side: faults and slot lookups, any number of vCPUs at once.
	 * Write side: zapping (MMU notifier, slot deletion), write
	 * protection for dirty logging, slot changes.  A spinning lock:
	 * notifier callbacks may not sleep.
	 */
	rwlock_t lock;
	struct mutex slots_lock;	/* serialises slot changes */
	struct hvm_slot slots[HVM_MAX_SLOTS];
	u64 *root;

	struct mmu_notifier notifier;
	bool notifier_registered;
	/*
	 * Invalidations in progress and the host range they cover; seq is
	 * bumped when one ends (or a slot goes), so that a fault that took
	 * its page before can tell it must retry.
	 */
	unsigned long seq;
	int in_progress;
	unsigned long range_start, range_end;

	struct {
		atomic64_t faults, prefaults, invalidations, dirty_faults;
		atomic64_t leaves[3];	/* 4 KiB, 2 MiB, 1 GiB */
		atomic64_t table_pages;
	} stats;
};

int hvm_mmu_init(struct hvm_vm *vm);
/* After the last vCPU is gone: unregister, free tables and bitmaps. */
void hvm_mmu_destroy(struct hvm_vm *vm);
void hvm_mmu_cache_free(struct hvm_mmu_cache *cache);

/*
 * A nested page fault at gpa.  0: mapped (or raced with an invalidation:
 * enter again), -ENOENT: not slot memory the access may use (MMIO),
 * -EFAULT: the process maps nothing usable there, -ENOMEM, -EINTR.
 */
int hvm_mmu_fault(struct hvm_vcpu *vcpu, u64 gpa, bool write);

long hvm_set_memory_slot(struct hvm_vm *vm,
			 const struct hvm_memory_slot __user *uarg);
long hvm_get_dirty_log(struct hvm_vm *vm, struct hvm_dirty_log __user *uarg);
long hvm_get_memory_stats(struct hvm_vm *vm,
			  struct hvm_memory_stats __user *uarg);
/* HVM_EXT_LARGEST_LEAF */
long hvm_mmu_largest_leaf_kib(void);

#endif /* HVM_MMU_H */
