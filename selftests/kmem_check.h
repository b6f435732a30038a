/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel memory and module reference figures for the reliability tests:
 * a leak shows as kernel memory (Slab + VmallocUsed + PageTables +
 * KernelStack) or the module's refcount not coming back to its baseline.
 */
#ifndef HVM_SELFTEST_KMEM_CHECK_H
#define HVM_SELFTEST_KMEM_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct kmem_figures {
	long slab_kb;
	long vmalloc_kb;
	long page_tables_kb;
	long kernel_stack_kb;
	long available_kb;
};

static inline long kmem_kernel_kb(const struct kmem_figures *k)
{
	return k->slab_kb + k->vmalloc_kb + k->page_tables_kb +
	       k->kernel_stack_kb;
}

/*
 * Shrink every slab cache (SLUB's /sys/kernel/slab/<cache>/shrink): the
 * per-CPU and partial slabs go back to the page allocator, and under KASAN
 * kmem_cache_shrink() also frees the cache's objects from the quarantine,
 * which otherwise holds up to 1/32 of memory of freed objects and moves
 * Slab: by megabytes between two reads.  Merged caches appear as symlinks
 * to their cache; only the caches themselves are shrunk.  Its cost grows
 * with the quarantine (each cache's shrink walks all of it): about 0.3 s
 * in the SVM debug lab after lifetime_test's rounds, 13 s after 2,000 of
 * ring_leak_test's rings; so only the tests that need it call it, through
 * kmem_read_settled().
 */
static inline void kmem_shrink_slabs(void)
{
	DIR *dir = opendir("/sys/kernel/slab");
	char path[320];
	struct dirent *d;
	FILE *f;

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 d->d_name);
		f = fopen(path, "w");
		if (f) {
			fputs("1\n", f);
			fclose(f);
		}
	}
	closedir(dir);
}

/* Written-back and dropped page cache and slabs blur no figure. */
static inline void kmem_drop_caches(void)
{
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
}

/* The figures as they are: see kmem_read() and kmem_read_settled(). */
static inline int kmem_read_meminfo(struct kmem_figures *k)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "Slab:", offsetof(struct kmem_figures, slab_kb) },
		{ "VmallocUsed:", offsetof(struct kmem_figures, vmalloc_kb) },
		{ "PageTables:", offsetof(struct kmem_figures, page_tables_kb) },
		{ "KernelStack:",
		  offsetof(struct kmem_figures, kernel_stack_kb) },
		{ "MemAvailable:",
		  offsetof(struct kmem_figures, available_kb) },
	};
	unsigned int i, found = 0;
	char name[32];
	long value;
	FILE *f;

	memset(k, 0, sizeof(*k));
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%31s %ld kB\n", name, &value) == 2) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (!strcmp(name, fields[i].name)) {
				*(long *)((char *)k + fields[i].offset) = value;
				found++;
			}
		}
	}
	fclose(f);
	return found == 5 ? 0 : -EPROTO;
}

/* Drops caches first so freed slabs and page cache do not blur it. */
static inline int kmem_read(struct kmem_figures *k)
{
	kmem_drop_caches();
	return kmem_read_meminfo(k);
}

/*
 * kmem_read() with the slabs shrunk after the caches were dropped (the
 * dentries and inodes dropped go through the quarantine too).
 */
static inline int kmem_read_settled(struct kmem_figures *k)
{
	kmem_drop_caches();
	kmem_shrink_slabs();
	return kmem_read_meminfo(k);
}

/*
 * Free memory in kB, counting the pages on the per-CPU free lists too
 * (MemFree leaves those out, and they move by megabytes); caches dropped
 * first.  For page allocations that no other figure shows (alloc_pages).
 */
static inline long kmem_free_kb(void)
{
	char line[256];
	long pages = 0, value;
	FILE *f;

	kmem_drop_caches();
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %ld", &value) == 1 ||
		    sscanf(line, " count: %ld", &value) == 1)
			pages += value;
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) >> 10);
}

/*
 * The lab's debug kernel (lockdep, KASAN, kmemleak): KASAN's quarantine
 * holds freed objects back and kmemleak adds metadata to each, so kernel
 * memory figures wander by megabytes there; kmemleak itself reports real
 * leaks in that lab.
 */
static inline bool kmem_debug_kernel(void)
{
	return access("/proc/lockdep_stats", F_OK) == 0;
}

/* /sys/module/hvm/refcnt, or -1 when it cannot be read. */
static inline long hvm_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/hvm/refcnt", "r");
	long refcnt = -1;

	if (f) {
		if (fscanf(f, "%ld", &refcnt) != 1)
			refcnt = -1;
		fclose(f);
	}
	return refcnt;
}

/*
 * Teardown of a dead process's VMs may finish after waitpid() (the last
 * fput runs from task work or a workqueue): poll for up to timeout_ms.
 */
static inline long hvm_module_refcnt_wait(long want, int timeout_ms)
{
	long refcnt = hvm_module_refcnt();

	while (refcnt != want && timeout_ms > 0) {
		usleep(10000);
		timeout_ms -= 10;
		refcnt = hvm_module_refcnt();
	}
	return refcnt;
}

#endif /* HVM_SELFTEST_KMEM_CHECK_H */
