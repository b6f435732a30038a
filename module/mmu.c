// SPDX-License-Identifier: GPL-2.0
/*
 * hvm guest memory: memory slots and the nested page tables.
 *
 * A slot is a window onto whatever the VM's process maps at its userspace
 * address, as it is now: no page is pinned.  A nested page fault looks the
 * page up in the process's page tables (get_user_pages), maps it, and
 * drops the reference at once; an MMU notifier on the process's mm zaps
 * the nested entries of any range the host is about to change (munmap,
 * MADV_DONTNEED, mremap, THP split and collapse, KSM, migration, swap-out,
 * memory failure) and makes every vCPU flush its guest TLB before the
 * callback returns, that is before the host may reuse the page.  A fault
 * that took its page while an invalidation ran retries (mmu.seq).
 *
 * One walker serves NPT and EPT: the backend's struct hvm_pt_format says
 * which bits mean what.  Tables are freed with the VM; leaves are 4 KiB,
 * or 2 MiB / 1 GiB where the host maps the page that large and the slot's
 * guest and host addresses agree on the alignment.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hvm.h"
#include "mmu.h"

#define PT_LEVELS	4
#define PT_ADDR_MASK	0x000ffffffffff000ULL
/* Fault-around: present neighbours in this aligned block of pages. */
#define FAULT_AROUND_PAGES	16

static inline const struct hvm_pt_format *pt_fmt(void)
{
	return hvm_ops->pt_format;
}

static inline u64 level_size(int level)
{
	return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}

static inline unsigned int pt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

static inline bool pt_present(u64 entry)
{
	return entry & pt_fmt()->present;
}

static inline bool pt_is_leaf(u64 entry, int level)
{
	return level == 1 || (entry & pt_fmt()->large);
}

static inline u64 *pt_table(u64 entry)
{
	return __va(entry & PT_ADDR_MASK);
}

long hvm_mmu_largest_leaf_kib(void)
{
	return level_size(pt_fmt()->max_level) >> 10;
}

/* ---- slots ---------------------------------------------------------------- */

/* Caller holds mmu.lock (either side) or slots_lock. */
static struct hvm_slot *hvm_find_slot(struct hvm_vm *vm, u64 gpa)
{
	int i;

	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		struct hvm_slot *slot = &vm->mmu.slots[i];

		if (slot->used && gpa >= slot->gpa &&
		    gpa - slot->gpa < slot->size)
			return slot;
	}
	return NULL;
}

static void mark_dirty(struct hvm_slot *slot, u64 gpa)
{
	set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
}

/* ---- zapping -------------------------------------------------------------- */

/* Clears the leaves that map any part of [start, end); true if any did. */
static bool zap_table(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 size = level_size(level);
	bool zapped = false;
	unsigned int i;

	for (i = pt_index(start, level); i < 512; i++) {
		u64 addr = base + i * size;
		u64 entry;

		if (addr >= end)
			break;
		entry = READ_ONCE(table[i]);
		if (!pt_present(entry))
			continue;
		if (pt_is_leaf(entry, level)) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= zap_table(pt_table(entry), level - 1, addr,
					    max(start, addr),
					    min(end, addr + size));
		}
	}
	return zapped;
}

/*
 * Zap a guest range under the write lock.  Returns true when vCPUs must
 * flush before the caller lets the pages go: the caller then calls
 * hvm_kick_vcpus() after dropping the lock.
 */
static bool zap_gpa_range(struct hvm_vm *vm, u64 start, u64 end)
{
	lockdep_assert_held_write(&vm->mmu.lock);
	if (!zap_table(vm->mmu.root, PT_LEVELS, 0, start, end))
		return false;
	/* Every vCPU flushes its guest TLB before its next entry. */
	atomic_inc(&vm->tlb_gen);
	return true;
}

/* Zap what the slots map of host range [start, end). */
static bool zap_hva_range(struct hvm_vm *vm, unsigned long start,
			  unsigned long end)
{
	bool zapped = false;
	int i;

	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		struct hvm_slot *slot = &vm->mmu.slots[i];
		unsigned long s, e;

		if (!slot->used || end <= slot->hva ||
		    start >= slot->hva + slot->size)
			continue;
		s = max(start, slot->hva);
		e = min(end, (unsigned long)(slot->hva + slot->size));
		zapped |= zap_gpa_range(vm, slot->gpa + (s - slot->hva),
					slot->gpa + (e - slot->hva));
	}
	return zapped;
}

/* ---- MMU notifier ----------------------------------------------------------- */

static int hvm_mn_invalidate_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct hvm_vm *vm = container_of(mn, struct hvm_vm, mmu.notifier);
	bool zapped;

	write_lock(&vm->mmu.lock);
	if (!vm->mmu.in_progress++) {
		vm->mmu.range_start = range->start;
		vm->mmu.range_end = range->end;
	} else {
		vm->mmu.range_start = min(vm->mmu.range_start, range->start);
		vm->mmu.range_end = max(vm->mmu.range_end, range->end);
	}
	zapped = zap_hva_range(vm, range->start, range->end);
	write_unlock(&vm->mmu.lock);
	if (zapped) {
		atomic64_inc(&vm->mmu.stats.invalidations);
		hvm_kick_vcpus(vm);
	}
	return 0;
}

static void hvm_mn_invalidate_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct hvm_vm *vm = container_of(mn, struct hvm_vm, mmu.notifier);

	write_lock(&vm->mmu.lock);
	vm->mmu.seq++;
	vm->mmu.in_progress--;
	write_unlock(&vm->mmu.lock);
}

/* The process's address space is going away: nothing stays mapped. */
static void hvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct hvm_vm *vm = container_of(mn, struct hvm_vm, mmu.notifier);
	bool zapped;

	write_lock(&vm->mmu.lock);
	zapped = zap_gpa_range(vm, 0, HVM_MAX_GPA);
	vm->mmu.seq++;
	write_unlock(&vm->mmu.lock);
	if (zapped)
		hvm_kick_vcpus(vm);
}

static const struct mmu_notifier_ops hvm_mn_ops = {
	.invalidate_range_start	= hvm_mn_invalidate_start,
	.invalidate_range_end	= hvm_mn_invalidate_end,
	.release		= hvm_mn_release,
};

/* Under the read lock: may a page taken at seq for hva be mapped now? */
static bool fault_must_retry(struct hvm_vm *vm, unsigned long seq,
			     unsigned long hva)
{
	if (vm->mmu.seq != seq)
		return true;
	return vm->mmu.in_progress && hva >= vm->mmu.range_start &&
	       hva < vm->mmu.range_end;
}

/* ---- tables and faults ------------------------------------------------------ */

/*
 * Table pages, charged to the caller's memory cgroup and counted where
 * the host counts other hypervisors' (SecPageTables in /proc/meminfo,
 * sec_pagetables in memory.stat).
 */
static u64 *table_alloc(void)
{
	u64 *table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (table)
		mod_lruvec_page_state(virt_to_page(table),
				      NR_SECONDARY_PAGETABLE, 1);
	return table;
}

static void table_free(u64 *table)
{
	mod_lruvec_page_state(virt_to_page(table), NR_SECONDARY_PAGETABLE, -1);
	free_page((unsigned long)table);
}

static int cache_fill(struct hvm_mmu_cache *cache)
{
	while (cache->nr < HVM_MMU_CACHE_PAGES) {
		u64 *page = table_alloc();

		if (!page)
			return -ENOMEM;
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

void hvm_mmu_cache_free(struct hvm_mmu_cache *cache)
{
	while (cache->nr)
		table_free(cache->pages[--cache->nr]);
}

/*
 * Install a leaf for the 4 KiB page pfn at gpa, as a leaf of level (the
 * caller checked alignment and slot bounds) unless a table already hangs
 * where that leaf would go: then one level lower, down to 4 KiB.  Under
 * the read lock: racing installs meet in cmpxchg.  Returns the level used.
 */
static int install_leaf(struct hvm_vm *vm, struct hvm_mmu_cache *cache,
			u64 gpa, u64 pfn, int level, bool writable)
{
	const struct hvm_pt_format *fmt = pt_fmt();
	u64 *table = vm->mmu.root;
	u64 leaf;
	int l;

	for (l = PT_LEVELS; l > 1; l--) {
		u64 *slot = &table[pt_index(gpa, l)];
		u64 entry = READ_ONCE(*slot);

		if (l == level &&
		    (!pt_present(entry) || pt_is_leaf(entry, l)))
			break;
		if (!pt_present(entry) || pt_is_leaf(entry, l)) {
			u64 *next = cache->pages[--cache->nr];
			u64 new = __pa(next) | fmt->table;

			/*
			 * A large leaf gives way to a table: the pages it
			 * mapped are still the process's (no invalidation
			 * ran), so stale TLB entries for them stay correct
			 * until the next flush.
			 */
			if (cmpxchg(slot, entry, new) != entry) {
				cache->pages[cache->nr++] = next;
				l++;	/* look at this entry again */
				continue;
			}
			atomic64_inc(&vm->mmu.stats.table_pages);
			entry = new;
		}
		table = pt_table(entry);
	}
	leaf = ((pfn << PAGE_SHIFT) & ~(level_size(l) - 1)) | fmt->leaf |
	       (l > 1 ? fmt->large : 0) | (writable ? fmt->writable : 0);
	WRITE_ONCE(table[pt_index(gpa, l)], leaf);
	atomic64_inc(&vm->mmu.stats.leaves[l - 1]);
	return l;
}

/* The leaf entry for gpa at level 1, or NULL; under the lock. */
static u64 *find_leaf_4k(struct hvm_vm *vm, u64 gpa)
{
	u64 *table = vm->mmu.root;
	int l;

	for (l = PT_LEVELS; l > 1; l--) {
		u64 entry = READ_ONCE(table[pt_index(gpa, l)]);

		if (!pt_present(entry) || pt_is_leaf(entry, l))
			return NULL;
		table = pt_table(entry);
	}
	return &table[pt_index(gpa, 1)];
}

/*
 * How large the host maps hva: 1, 2 or 3 (4 KiB, 2 MiB, 1 GiB).  A lockless
 * peek with IRQs off, as get_user_pages_fast does (tables are not freed
 * under it); what it sees is only trusted once the fault passes its retry
 * check, since splitting or collapsing a huge page notifies first.
 */
static int host_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_leaf(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/* The largest leaf for gpa that the slot's bounds and alignment allow. */
static int leaf_level(const struct hvm_slot *slot, u64 gpa, unsigned long hva,
		      int host)
{
	int level = min(host, pt_fmt()->max_level);

	for (; level > 1; level--) {
		u64 size = level_size(level), base = gpa & ~(size - 1);

		if ((gpa & (size - 1)) == (hva & (size - 1)) &&
		    base >= slot->gpa && base + size <= slot->gpa + slot->size)
			break;
	}
	return level;
}

/*
 * Map the present neighbours of gpa (4 KiB, same aligned block, same
 * slot) that are not mapped yet, so that touching memory the host already
 * has costs one exit per block, not per page.  Under the read lock with
 * no invalidation of this range running: get_user_pages_fast_only() does
 * not sleep, and an invalidation starting now waits for the lock and then
 * zaps what is installed here.
 */
static void fault_around(struct hvm_vm *vm, const struct hvm_slot *slot,
			 u64 gpa)
{
	u64 block = FAULT_AROUND_PAGES * PAGE_SIZE;
	u64 start = max(gpa & ~(block - 1), slot->gpa);
	u64 end = min((gpa & ~(block - 1)) + block, slot->gpa + slot->size);
	bool writable = !(slot->flags & HVM_MEM_READONLY);
	u64 *leaf = find_leaf_4k(vm, gpa);
	u64 addr;

	if (!leaf)
		return;
	/* The block lies in the one table that holds gpa's leaf. */
	leaf -= pt_index(gpa, 1);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		unsigned long hva = slot->hva + (addr - slot->gpa);
		u64 *entry = &leaf[pt_index(addr, 1)];
		struct page *page;
		bool w = writable;

		if (addr == (gpa & PAGE_MASK) || pt_present(READ_ONCE(*entry)))
			continue;
		if (get_user_pages_fast_only(hva, 1, w ? FOLL_WRITE : 0,
					     &page) != 1) {
			if (!w || get_user_pages_fast_only(hva, 1, 0,
							   &page) != 1)
				continue;
			w = false;
		}
		WRITE_ONCE(*entry, (page_to_pfn(page) << PAGE_SHIFT) |
				   pt_fmt()->leaf |
				   (w ? pt_fmt()->writable : 0));
		put_page(page);
		atomic64_inc(&vm->mmu.stats.prefaults);
		atomic64_inc(&vm->mmu.stats.leaves[0]);
	}
}

int hvm_mmu_fault(struct hvm_vcpu *vcpu, u64 gpa, bool write)
{
	struct hvm_vm *vm = vcpu->vm;
	struct hvm_slot *found, slot;
	bool writable, logging, resident;
	unsigned long hva, seq;
	struct page *page;
	int level, ret;

	ret = cache_fill(&vcpu->mmu_cache);
	if (ret)
		return ret;

	read_lock(&vm->mmu.lock);
	found = hvm_find_slot(vm, gpa);
	if (found)
		slot = *found;
	seq = vm->mmu.seq;
	read_unlock(&vm->mmu.lock);
	if (!found || (write && (slot.flags & HVM_MEM_READONLY)))
		return -ENOENT;

	hva = slot.hva + ((gpa & PAGE_MASK) - slot.gpa);
	logging = slot.flags & HVM_MEM_LOG_DIRTY;
	writable = !(slot.flags & HVM_MEM_READONLY);
	/*
	 * A writable slot maps writable at once when the host page is
	 * (no copy-on-write, no KSM page to break); a read leaves such a
	 * page shared, and maps it read-only until the guest writes.
	 */
	ret = 0;
	if (writable && (!logging || write))
		ret = get_user_pages_fast_only(hva, 1, FOLL_WRITE, &page);
	if (ret != 1 && !write) {
		writable = false;
		ret = get_user_pages_fast_only(hva, 1, 0, &page);
	}
	/*
	 * Only memory the host already has is worth looking around in:
	 * on fresh memory the neighbours are absent too, and looking costs
	 * as much as the fault.
	 */
	resident = ret == 1;
	if (ret != 1) {
		/* A write reaches here only for a writable slot. */
		writable = write;
		ret = get_user_pages_fast(hva, 1, write ? FOLL_WRITE : 0, &page);
	}
	if (ret != 1)
		return ret == -EINTR || ret == -ENOMEM ? ret : -EFAULT;

	level = logging ? 1 : leaf_level(&slot, gpa, hva,
					 host_level(vm->mm, hva));

	read_lock(&vm->mmu.lock);
	if (fault_must_retry(vm, seq, hva)) {
		read_unlock(&vm->mmu.lock);
		put_page(page);
		return 0;
	}
	install_leaf(vm, &vcpu->mmu_cache, gpa, page_to_pfn(page), level,
		     writable);
	if (logging && writable) {
		/* A writable leaf of a logging slot is always marked. */
		mark_dirty(hvm_find_slot(vm, gpa), gpa);
		atomic64_inc(&vm->mmu.stats.dirty_faults);
	}
	if (level == 1 && resident && !logging && !vm->mmu.in_progress)
		fault_around(vm, &slot, gpa);
	read_unlock(&vm->mmu.lock);
	put_page(page);
	atomic64_inc(&vm->mmu.stats.faults);
	return 0;
}

/* ---- hvm's own accesses --------------------------------------------------- */

static int hvm_access_guest_phys(struct hvm_vm *vm, u64 gpa, void *buf,
				 size_t len, bool write)
{
	while (len) {
		size_t chunk = min_t(size_t, len,
				     PAGE_SIZE - offset_in_page(gpa));
		struct hvm_slot *slot;
		void __user *uaddr;
		unsigned long left;
		u32 flags = 0;

		read_lock(&vm->mmu.lock);
		slot = hvm_find_slot(vm, gpa);
		if (slot) {
			flags = slot->flags;
			uaddr = (void __user *)(slot->hva + (gpa - slot->gpa));
		}
		read_unlock(&vm->mmu.lock);
		if (!slot || (write && (flags & HVM_MEM_READONLY)))
			return -EFAULT;

		/* The process's view of the page is the guest's. */
		if (write)
			left = copy_to_user(uaddr, buf, chunk);
		else
			left = copy_from_user(buf, uaddr, chunk);
		if (left)
			return -EFAULT;
		if (write && (flags & HVM_MEM_LOG_DIRTY)) {
			read_lock(&vm->mmu.lock);
			slot = hvm_find_slot(vm, gpa);
			if (slot && (slot->flags & HVM_MEM_LOG_DIRTY))
				mark_dirty(slot, gpa);
			read_unlock(&vm->mmu.lock);
		}
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int hvm_read_guest_phys(struct hvm_vm *vm, u64 gpa, void *buf, size_t len)
{
	return hvm_access_guest_phys(vm, gpa, buf, len, false);
}

int hvm_write_guest_phys(struct hvm_vm *vm, u64 gpa, const void *buf,
			 size_t len)
{
	return hvm_access_guest_phys(vm, gpa, (void *)buf, len, true);
}

/* ---- ioctls ------------------------------------------------------------------- */

static int hvm_slot_delete(struct hvm_vm *vm, struct hvm_slot *slot)
{
	unsigned long *dirty;
	bool zapped;

	write_lock(&vm->mmu.lock);
	zapped = zap_gpa_range(vm, slot->gpa, slot->gpa + slot->size);
	dirty = slot->dirty;
	memset(slot, 0, sizeof(*slot));
	/* Faults that looked the slot up before must not map it. */
	vm->mmu.seq++;
	write_unlock(&vm->mmu.lock);
	if (zapped)
		hvm_kick_vcpus(vm);
	kvfree(dirty);
	return 0;
}

long hvm_set_memory_slot(struct hvm_vm *vm,
			 const struct hvm_memory_slot __user *uarg)
{
	struct hvm_memory_slot req;
	unsigned long *dirty = NULL;
	struct hvm_slot *slot;
	int i, ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.slot >= HVM_MAX_SLOTS ||
	    (req.flags & ~(HVM_MEM_READONLY | HVM_MEM_LOG_DIRTY)))
		return -EINVAL;

	mutex_lock(&vm->mmu.slots_lock);
	slot = &vm->mmu.slots[req.slot];
	if (req.size == 0) {
		ret = slot->used ? hvm_slot_delete(vm, slot) : -ENOENT;
		goto out;
	}
	if (!PAGE_ALIGNED(req.guest_phys) || !PAGE_ALIGNED(req.size) ||
	    !PAGE_ALIGNED(req.userspace_addr) ||
	    req.guest_phys >= HVM_MAX_GPA ||
	    req.size > HVM_MAX_GPA - req.guest_phys) {
		ret = -EINVAL;
		goto out;
	}
	if (!req.userspace_addr ||
	    !access_ok((void __user *)(unsigned long)req.userspace_addr,
		       req.size)) {
		ret = -EFAULT;
		goto out;
	}
	if (slot->used) {
		ret = -EEXIST;
		goto out;
	}
	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		struct hvm_slot *other = &vm->mmu.slots[i];

		if (other->used && req.guest_phys < other->gpa + other->size &&
		    other->gpa < req.guest_phys + req.size) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (req.flags & HVM_MEM_LOG_DIRTY) {
		/* The caller picks the size: one too large must fail quietly. */
		dirty = kvcalloc(BITS_TO_LONGS(req.size >> PAGE_SHIFT),
				 sizeof(long), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!dirty) {
			ret = -ENOMEM;
			goto out;
		}
	}
	write_lock(&vm->mmu.lock);
	slot->gpa = req.guest_phys;
	slot->size = req.size;
	slot->hva = req.userspace_addr;
	slot->flags = req.flags;
	slot->dirty = dirty;
	slot->used = true;
	write_unlock(&vm->mmu.lock);
out:
	mutex_unlock(&vm->mmu.slots_lock);
	return ret;
}

/* Take the slot's dirty bits into out, clearing them, and write-protect. */
static bool harvest_dirty(struct hvm_vm *vm, struct hvm_slot *slot, u64 *out)
{
	unsigned long npages = slot->size >> PAGE_SHIFT, i;
	u64 wp = pt_fmt()->writable;
	bool flush = false;

	lockdep_assert_held_write(&vm->mmu.lock);
	for (i = 0; i < BITS_TO_LONGS(npages); i++) {
		unsigned long bits = xchg(&slot->dirty[i], 0);
		unsigned long bit;

		out[i] = bits;
		for_each_set_bit(bit, &bits, BITS_PER_LONG) {
			u64 *leaf = find_leaf_4k(vm, slot->gpa +
					((u64)(i * BITS_PER_LONG + bit) <<
					 PAGE_SHIFT));
			u64 entry = leaf ? READ_ONCE(*leaf) : 0;

			if (entry & wp) {
				WRITE_ONCE(*leaf, entry & ~wp);
				flush = true;
			}
		}
	}
	if (flush)
		atomic_inc(&vm->tlb_gen);
	return flush;
}

long hvm_get_dirty_log(struct hvm_vm *vm, struct hvm_dirty_log __user *uarg)
{
	struct hvm_dirty_log req;
	struct hvm_slot *slot;
	size_t bytes;
	u64 *bitmap;
	long ret = 0;
	bool flush;

	BUILD_BUG_ON(sizeof(long) != sizeof(u64));
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.slot >= HVM_MAX_SLOTS || req.reserved)
		return -EINVAL;

	mutex_lock(&vm->mmu.slots_lock);
	slot = &vm->mmu.slots[req.slot];
	if (!slot->used) {
		ret = -ENOENT;
		goto out;
	}
	if (!(slot->flags & HVM_MEM_LOG_DIRTY)) {
		ret = -EINVAL;
		goto out;
	}
	bytes = BITS_TO_LONGS(slot->size >> PAGE_SHIFT) * sizeof(u64);
	bitmap = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!bitmap) {
		ret = -ENOMEM;
		goto out;
	}
	write_lock(&vm->mmu.lock);
	flush = harvest_dirty(vm, slot, bitmap);
	write_unlock(&vm->mmu.lock);
	/* No vCPU writes through an old writable entry after this. */
	if (flush)
		hvm_kick_vcpus(vm);
	if (copy_to_user(u64_to_user_ptr(req.bitmap), bitmap, bytes)) {
		/* Not lost: the pages count as written again. */
		write_lock(&vm->mmu.lock);
		bitmap_or(slot->dirty, slot->dirty, (unsigned long *)bitmap,
			  slot->size >> PAGE_SHIFT);
		write_unlock(&vm->mmu.lock);
		ret = -EFAULT;
	}
	kvfree(bitmap);
out:
	mutex_unlock(&vm->mmu.slots_lock);
	return ret;
}

long hvm_get_memory_stats(struct hvm_vm *vm,
			  struct hvm_memory_stats __user *uarg)
{
	struct hvm_memory_stats st = {
		.faults = atomic64_read(&vm->mmu.stats.faults),
		.prefaults = atomic64_read(&vm->mmu.stats.prefaults),
		.invalidations = atomic64_read(&vm->mmu.stats.invalidations),
		.leaves_4k = atomic64_read(&vm->mmu.stats.leaves[0]),
		.leaves_2m = atomic64_read(&vm->mmu.stats.leaves[1]),
		.leaves_1g = atomic64_read(&vm->mmu.stats.leaves[2]),
		.dirty_faults = atomic64_read(&vm->mmu.stats.dirty_faults),
		.table_pages = atomic64_read(&vm->mmu.stats.table_pages),
	};

	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

/* ---- VM lifetime ---------------------------------------------------------------- */

int hvm_mmu_init(struct hvm_vm *vm)
{
	int ret;

	rwlock_init(&vm->mmu.lock);
	mutex_init(&vm->mmu.slots_lock);
	vm->mmu.root = table_alloc();
	if (!vm->mmu.root)
		return -ENOMEM;
	atomic64_set(&vm->mmu.stats.table_pages, 1);
	vm->mmu.notifier.ops = &hvm_mn_ops;
	ret = mmu_notifier_register(&vm->mmu.notifier, vm->mm);
	if (ret) {
		table_free(vm->mmu.root);
		vm->mmu.root = NULL;
		return ret;
	}
	vm->mmu.notifier_registered = true;
	return 0;
}

static void free_table(u64 *table, int level)
{
	int i;

	for (i = 0; level > 1 && i < 512; i++) {
		if (pt_present(table[i]) && !pt_is_leaf(table[i], level))
			free_table(pt_table(table[i]), level - 1);
	}
	table_free(table);
}

void hvm_mmu_destroy(struct hvm_vm *vm)
{
	int i;

	/* No callback runs once this returns. */
	if (vm->mmu.notifier_registered)
		mmu_notifier_unregister(&vm->mmu.notifier, vm->mm);
	vm->mmu.notifier_registered = false;
	for (i = 0; i < HVM_MAX_SLOTS; i++)
		kvfree(vm->mmu.slots[i].dirty);
	memset(vm->mmu.slots, 0, sizeof(vm->mmu.slots));
	if (vm->mmu.root)
		free_table(vm->mmu.root, PT_LEVELS);
	vm->mmu.root = NULL;
}
