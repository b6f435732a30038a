// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is a window onto whatever the process maps at the slot's
 * address now: hvm follows the process's mappings through an MMU notifier
 * instead of pinning pages, maps huge leaves where the backing allows and
 * tracks guest writes for dirty logging.  The guest (guest_memory_guest.S,
 * modes in guest_memory.h) works on slot 1 at MEM_GPA; slot 0 holds its
 * code and a control block per vCPU.
 *
 * thp: 64 MiB from MADV_HUGEPAGE memory, hva and gpa 2 MiB aligned; the
 *   guest writes every 4 KiB page.  Then the same with MADV_NOHUGEPAGE.
 *   The THP run installs 2 MiB leaves and takes at least 8 times fewer
 *   nested page faults.  Skipped when THP is "never".
 * hugetlb: up to HUGETLB_PAGES 2 MiB pages reserved through
 *   /proc/sys/vm/nr_hugepages (restored afterwards), a MAP_HUGETLB slot the
 *   guest writes every 4 KiB page of: at least one 2 MiB leaf per huge
 *   page.  Skipped when none can be reserved.
 * munmap_then_map_anew: the guest checks and rewrites a pattern in rounds,
 *   exiting after each.  After munmap its next access makes HVM_RUN fail
 *   with EFAULT, again on a retry, with RIP on the load; after a new mmap
 *   (filled with HOST_FILL) the retried load sees the new memory, and the
 *   guest's next round lands in it.
 * mremap_away: after mremap to another address the old one behaves like
 *   munmap (EFAULT); with the slot deleted and set again at the new address
 *   the guest finds its data there and goes on.
 * dontneed: MADV_DONTNEED on private anonymous memory: the guest reads
 *   zeros, then its next round lands in the process's memory.
 * munmap_while_writing: the same munmap and new mmap while a vCPU thread
 *   runs the rounds without exits: exactly one EFAULT, exactly one word
 *   the guest did not store (HOST_FILL, from the new memory; none when the
 *   EFAULT hit a round's first store, which rewrites the memory before any
 *   read), later rounds clean, and the new memory holds the last round.
 * mremap_while_writing: mremap while the rounds run: one EFAULT; with the
 *   slot deleted and set at the new address the guest goes on without a
 *   single word it did not store, into the moved memory.
 * dontneed_while_writing: DONTNEED_TIMES MADV_DONTNEEDs while the rounds
 *   run: no EFAULT, at least one and at most one per MADV_DONTNEED zero
 *   word seen, nothing else wrong.
 * emulator_after_remap: the guest stores a word, the process replaces the
 *   memory; a MOVS from that word to MMIO sends the new memory's value, a
 *   MOVS from MMIO lands in the new memory.
 * migration: move_pages() back and forth between nodes 0 and 1 and one
 *   migrate_pages() while a vCPU thread runs the rounds: the pages really
 *   move, the guest never sees a wrong word, the memory holds the last
 *   round.  Skipped without a node 1 with memory.
 * ksm: two VMs with identical pages, MADV_MERGEABLE, KSM running fast:
 *   pages_sharing > 0 (waiting at most KSM_WAIT s, skipped without KSM);
 *   both guests read their data back, one rewrites its pages, each still
 *   reads its own pattern.
 * dirty_log_exact: the guest writes a set of pages and reads all: the
 *   dirty log is exactly that set, then empty, then exactly the next set.
 * dirty_log_rounds: DIRTY_ROUNDS get-and-clear rounds while 2 vCPUs write
 *   random pages (up to GM_DIRTY_BURST each per round, 1 ms between
 *   rounds), logging each write with the host
 *   round it saw before the store: every write shows in a bitmap taken
 *   after that round and no later than the first round whose start saw it
 *   done; every page holds each vCPU's last write to it.
 * dirty_log_errors: HVM_GET_DIRTY_LOG errnos (ENOENT, EINVAL, EFAULT),
 *   unknown slot flags, HVM_CHECK_EXTENSION of the three new extensions.
 * parallel_faults: 4 vCPUs write interleaved pages of a fresh 16 MiB slot
 *   at once: all halt, every word right.
 * memcg: in a child memory cgroup, a 1 GiB slot whose pages the process
 *   already touched (one per 2 MiB): the guest touching them raises
 *   memory.current by the nested page tables the VM reports, less the
 *   memcg's per-CPU charge batches.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "guest_memory.h"

DECLARE_GUEST(guest_memory_guest);

#define PAGE			0x1000UL
#define HUGE_2M			0x200000UL
#define MEM_SLOT		1
#define MEM_GPA			0x40000000ULL	/* 1 GiB: 2M and 1G aligned */

#define THP_SIZE		(64UL << 20)
#define HUGETLB_PAGES		16
#define ROUND_PAGES		16
#define MIGRATE_PAGES		256
#define MIGRATIONS		10
#define DONTNEED_TIMES		5
#define KSM_PAGES		64
#define KSM_WAIT		60
#define DIRTY_PAGES		512
#define DIRTY_WORDS		(DIRTY_PAGES / 64)
#define DIRTY_ROUNDS		1000
#define DIRTY_LOG_MAX		0x8000
#define PARALLEL_VCPUS		4
#define PARALLEL_SIZE		(16UL << 20)
#define MEMCG_SIZE		(1UL << 30)
#define MEMCG_TOUCHED		(MEMCG_SIZE / HUGE_2M)
/* Pages a memcg may have charged ahead per CPU (MEMCG_CHARGE_BATCH). */
#define MEMCG_BATCH_PAGES	64

/* What the process maps anew: no guest pattern has this value. */
#define HOST_FILL		0x486f737446696c6cULL	/* "HostFill" */
#define KSM_KEY_A		0x6b736d2d61616161ULL
#define KSM_KEY_B		0x6b736d2d62626262ULL
#define WAIT_S			30

/* What a guest run is asked to do: the input half of its block. */
struct gm_args {
	uint64_t mode, base, pages, stride, words, value;
	uint64_t exit_every, log, log_max, offset;
};

static uint64_t *block_word(struct test_vm *t, unsigned int vcpu,
			    unsigned int offset)
{
	return guest_ptr(t, GM_BLOCK(vcpu) + offset);
}

static uint64_t block_get(struct test_vm *t, unsigned int vcpu,
			  unsigned int offset)
{
	return __atomic_load_n(block_word(t, vcpu, offset), __ATOMIC_ACQUIRE);
}

static void block_set(struct test_vm *t, unsigned int vcpu,
		      unsigned int offset, uint64_t value)
{
	__atomic_store_n(block_word(t, vcpu, offset), value, __ATOMIC_RELEASE);
}

/*
 * vCPU vcpu's block gets args (results cleared), and the vCPU starts over
 * at the guest's entry with RSI pointing at it.
 */
static int gm_prepare(struct test_vm *t, unsigned int vcpu,
		      const struct gm_args *a)
{
	struct hvm_regs regs = {};

	memset(block_word(t, vcpu, 0), 0, 0x200);
	block_set(t, vcpu, GM_MODE, a->mode);
	block_set(t, vcpu, GM_BASE, a->base);
	block_set(t, vcpu, GM_PAGES, a->pages);
	block_set(t, vcpu, GM_STRIDE, a->stride ? a->stride : PAGE);
	block_set(t, vcpu, GM_WORDS, a->words ? a->words : 1);
	block_set(t, vcpu, GM_VALUE, a->value);
	block_set(t, vcpu, GM_EXIT_EVERY, a->exit_every);
	block_set(t, vcpu, GM_LOG, a->log);
	block_set(t, vcpu, GM_LOG_MAX, a->log_max);
	block_set(t, vcpu, GM_OFFSET, a->offset);
	regs.rip = GUEST_CODE_GPA;
	regs.rsi = GM_BLOCK(vcpu);
	regs.rsp = GUEST_STACK_TOP - 0x400 * vcpu;
	regs.rflags = 0x2;
	return ioctl(t->vcpus[vcpu].fd, HVM_SET_REGS, &regs) ? -errno : 0;
}

static int set_slot(struct test_vm *t, uint32_t slot, uint32_t flags,
		    uint64_t gpa, uint64_t size, void *hva)
{
	struct hvm_memory_slot s = {
		.slot = slot, .flags = flags, .guest_phys = gpa, .size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(t->vm.vm_fd, HVM_SET_MEMORY_SLOT, &s) ? -errno : 0;
}

static int get_stats(struct test_vm *t, struct hvm_memory_stats *s)
{
	memset(s, 0, sizeof(*s));
	return ioctl(t->vm.vm_fd, HVM_GET_MEMORY_STATS, s) ? -errno : 0;
}

/* Anonymous private memory of size bytes at an align-aligned address. */
static void *map_aligned(size_t size, size_t align, int extra_flags)
{
	uint8_t *raw, *p;
	size_t lead;

	raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	lead = p - raw;
	if (lead)
		munmap(raw, lead);
	munmap(p + size, align - lead);
	return p;
}

static void fill_host(void *area, size_t size, uint64_t value)
{
	uint64_t *w = area;
	size_t i;

	for (i = 0; i < size / 8; i++)
		w[i] = value;
}

/* Words of the rounds pattern of round r in host memory that differ. */
static unsigned int rounds_mismatches(const uint8_t *area, unsigned int pages,
				      uint64_t r)
{
	unsigned int i, bad = 0;

	for (i = 0; i < pages; i++) {
		const uint64_t *page = (const uint64_t *)(area + i * PAGE);

		bad += page[0] != GM_PATTERN(r, (uint64_t)i);
		bad += page[511] != GM_PATTERN(r, (uint64_t)i);
	}
	return bad;
}

/* Host view of GM_WRITE's words: how many differ. */
static size_t fill_mismatches(const uint8_t *area, uint64_t pages,
			      uint64_t stride, uint64_t words, uint64_t key)
{
	size_t bad = 0;
	uint64_t i, j;

	for (i = 0; i < pages; i++)
		for (j = 0; j < words; j++) {
			uint64_t off = i * stride + 8 * j;

			bad += *(const uint64_t *)(area + off) != (key ^ off);
		}
	return bad;
}

/* A VM of test_vm_create() plus vCPUs up to nr_vcpus. */
static int gm_vm(struct test_vm *t, unsigned int nr_vcpus)
{
	struct hvm_vcpu_handle *vcpu;
	int ret = test_vm_create(t, GUEST(guest_memory_guest),
				 GUEST_MODE_LONG64);

	while (!ret && t->nr_vcpus < nr_vcpus)
		ret = test_vm_add_vcpu(t, &vcpu);
	return ret;
}

/* Runs vCPU 0 of t with args to its HLT: the guest's mismatch count. */
#define RUN_TO_HLT(t, args) ({						\
	ASSERT_EQ(0, gm_prepare((t), 0, (args)));			\
	RUN_EXPECT(&(t)->vcpus[0], HVM_EXIT_HLT);			\
	block_get((t), 0, GM_BAD);					\
})

FIXTURE(mem) {
	struct test_vm t;
	uint8_t *area;
	size_t area_size;
	char hugepages_saved[32];
	char memcg_dir[64];
};

FIXTURE_SETUP(mem)
{
}

FIXTURE_TEARDOWN(mem)
{
	test_vm_destroy(&self->t);
	if (self->area)
		munmap(self->area, self->area_size);
	if (self->hugepages_saved[0])
		sysfs_write("/proc/sys/vm/nr_hugepages", self->hugepages_saved);
	memcg_leave(self->memcg_dir);
}

/* ---- huge leaves --------------------------------------------------------- */

/* One 64 MiB run: the guest writes every page; faults and 2M leaves. */
static void thp_run(struct __test_metadata *_metadata,
		    FIXTURE_DATA(mem) *self, int advice,
		    struct hvm_memory_stats *stats)
{
	struct gm_args a = {
		.mode = GM_WRITE_CHECK, .base = MEM_GPA,
		.pages = THP_SIZE / PAGE, .value = 0x7468700000000000ULL,
	};

	ASSERT_EQ(0, gm_vm(&self->t, 1));
	self->area = map_aligned(THP_SIZE, HUGE_2M, 0);
	ASSERT_NE(NULL, self->area);
	self->area_size = THP_SIZE;
	ASSERT_EQ(0, madvise(self->area, THP_SIZE, advice));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, THP_SIZE,
			      self->area));
	EXPECT_EQ(0ULL, RUN_TO_HLT(&self->t, &a));
	ASSERT_EQ(0, get_stats(&self->t, stats));
	EXPECT_EQ(0ULL, fill_mismatches(self->area, a.pages, PAGE, 1, a.value));
	test_vm_destroy(&self->t);
	munmap(self->area, THP_SIZE);
	self->area = NULL;
}

TEST_F_TIMEOUT(mem, thp, 120)
{
	static const char enabled[] =
		"/sys/kernel/mm/transparent_hugepage/enabled";
	struct hvm_memory_stats thp, small;

	if (access(enabled, R_OK))
		SKIP(return, "no transparent huge pages in this kernel");
	if (sysfs_has_word(enabled, "[never]"))
		SKIP(return, "transparent huge pages are off (never)");
	thp_run(_metadata, self, MADV_HUGEPAGE, &thp);
	thp_run(_metadata, self, MADV_NOHUGEPAGE, &small);
	TH_LOG("64 MiB first touch: THP %llu faults (%llu 2M leaves, %llu 4K), 4K backing %llu faults (%llu 4K leaves, %llu prefaulted)",
	       (unsigned long long)thp.faults,
	       (unsigned long long)thp.leaves_2m,
	       (unsigned long long)thp.leaves_4k,
	       (unsigned long long)small.faults,
	       (unsigned long long)small.leaves_4k,
	       (unsigned long long)small.prefaults);
	EXPECT_LT(0ULL, thp.leaves_2m);
	EXPECT_EQ(0ULL, small.leaves_2m) TH_LOG("2M leaves over 4K backing");
	EXPECT_LE(8 * thp.faults, small.faults)
		TH_LOG("THP saved less than 8x the faults");
}

/*
 * Memory the host already has (the process wrote it first) costs one
 * exit per aligned 16-page block: the fault maps its present neighbours.
 */
TEST_F_TIMEOUT(mem, fault_around, 60)
{
	const size_t size = 4UL << 20;
	struct gm_args a = {
		.mode = GM_WRITE_CHECK, .base = MEM_GPA,
		.pages = size / PAGE, .value = 0x6172756e64000000ULL,
	};
	struct hvm_memory_stats st;
	size_t i;

	ASSERT_EQ(0, gm_vm(&self->t, 1));
	self->area = map_aligned(size, HUGE_2M, 0);
	ASSERT_NE(NULL, self->area);
	self->area_size = size;
	/* 4 KiB pages: THP would map the whole area in two faults. */
	ASSERT_EQ(0, madvise(self->area, size, MADV_NOHUGEPAGE));
	for (i = 0; i < size; i += PAGE)
		self->area[i] = 1;
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, size,
			      self->area));
	EXPECT_EQ(0ULL, RUN_TO_HLT(&self->t, &a));
	ASSERT_EQ(0, get_stats(&self->t, &st));
	EXPECT_EQ(0ULL, fill_mismatches(self->area, a.pages, PAGE, 1, a.value));
	TH_LOG("%llu resident pages written by the guest: %llu faults, %llu prefaulted",
	       (unsigned long long)a.pages, (unsigned long long)st.faults,
	       (unsigned long long)st.prefaults);
	EXPECT_LT(0ULL, st.prefaults);
	/* 64 blocks, plus the guest's own code, stack and page tables. */
	EXPECT_LE(8 * st.faults, a.pages)
		TH_LOG("fault-around saved less than 8x the faults");
}

TEST_F_TIMEOUT(mem, hugetlb, 60)
{
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	struct hvm_memory_stats stats;
	struct gm_args a = {
		.mode = GM_WRITE_CHECK, .base = MEM_GPA,
		.value = 0x6875676500000000ULL,
	};
	long saved, got;
	char text[32];
	size_t size;
	FILE *f;

	f = fopen(nr, "r");
	if (!f)
		SKIP(return, "no hugetlb in this kernel");
	if (!fgets(self->hugepages_saved, sizeof(self->hugepages_saved), f))
		self->hugepages_saved[0] = 0;
	fclose(f);
	saved = sysfs_read_number(nr);
	ASSERT_LE(0, saved);
	snprintf(text, sizeof(text), "%ld", saved + HUGETLB_PAGES);
	ASSERT_EQ(0, sysfs_write(nr, text));
	got = sysfs_read_number(nr) - saved;
	if (got <= 0)
		SKIP(return, "no 2 MiB page could be reserved");
	size = got * HUGE_2M;
	self->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area) TH_LOG("MAP_HUGETLB: %s",
						 strerror(errno));
	self->area_size = size;
	ASSERT_EQ(0, gm_vm(&self->t, 1));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, size,
			      self->area));
	a.pages = size / PAGE;
	EXPECT_EQ(0ULL, RUN_TO_HLT(&self->t, &a));
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	TH_LOG("%ld huge pages: %llu faults, leaves %llu 2M, %llu 4K",
	       got, (unsigned long long)stats.faults,
	       (unsigned long long)stats.leaves_2m,
	       (unsigned long long)stats.leaves_4k);
	EXPECT_LE((unsigned long long)got, stats.leaves_2m);
	EXPECT_EQ(0ULL, fill_mismatches(self->area, a.pages, PAGE, 1, a.value));
}

/* ---- the slot follows the process's mappings ----------------------------- */

/* Slot 1 = ROUND_PAGES (or pages) of private anonymous memory. */
static void rounds_vm(struct __test_metadata *_metadata,
		      FIXTURE_DATA(mem) *self, unsigned int pages,
		      bool exit_every)
{
	struct gm_args a = {
		.mode = GM_ROUNDS, .base = MEM_GPA, .pages = pages,
		.exit_every = exit_every,
	};

	ASSERT_EQ(0, gm_vm(&self->t, 1));
	self->area_size = pages * PAGE;
	self->area = map_aligned(self->area_size, PAGE, 0);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA,
			      self->area_size, self->area));
	ASSERT_EQ(0, gm_prepare(&self->t, 0, &a));
}

/* The rounds guest's next exit is the end of round r. */
static void expect_round(struct __test_metadata *_metadata,
			 struct test_vm *t, uint64_t r)
{
	struct hvm_vcpu_handle *vcpu = &t->vcpus[0];

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	ASSERT_EQ((uint64_t)GM_PORT_ROUND, vcpu->run->io.addr)
		TH_LOG("round %llu: mismatch at %#llx: %#llx (phase %llu)",
		       (unsigned long long)r,
		       (unsigned long long)block_get(t, 0, GM_BAD_ADDR),
		       (unsigned long long)block_get(t, 0, GM_BAD_VALUE),
		       (unsigned long long)block_get(t, 0, GM_BAD_PHASE));
	ASSERT_EQ(r, (uint32_t)vcpu->run->io.data);
}

/* The rounds guest's next exit reports a word it did not store. */
static void expect_bad(struct __test_metadata *_metadata,
		       struct test_vm *t, uint64_t phase, uint64_t page,
		       uint64_t value)
{
	struct hvm_vcpu_handle *vcpu = &t->vcpus[0];

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	ASSERT_EQ((uint64_t)GM_PORT_BAD, vcpu->run->io.addr)
		TH_LOG("the guest saw no change of its memory");
	EXPECT_EQ(phase, block_get(t, 0, GM_BAD_PHASE));
	EXPECT_EQ(MEM_GPA + page * PAGE, block_get(t, 0, GM_BAD_ADDR));
	EXPECT_EQ(value, block_get(t, 0, GM_BAD_VALUE))
		TH_LOG("the guest read %#llx, wanted %#llx",
		       (unsigned long long)block_get(t, 0, GM_BAD_VALUE),
		       (unsigned long long)value);
}

/* HVM_RUN fails with EFAULT and the vCPU stays on the check's load. */
static void expect_efault(struct __test_metadata *_metadata,
			  struct test_vm *t)
{
	struct hvm_vcpu_handle *vcpu = &t->vcpus[0];
	struct hvm_regs regs;
	int ret = hvm_vcpu_run(vcpu);

	ASSERT_EQ(-EFAULT, ret)
		TH_LOG("guest access to unmapped slot memory: %s, exit %s",
		       strerror(-ret), exit_reason_str(vcpu->run->exit_reason));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &regs));
	EXPECT_EQ(block_get(t, 0, GM_CHECK_RIP), regs.rip)
		TH_LOG("RIP %#llx after EFAULT, the load is at %#llx",
		       (unsigned long long)regs.rip,
		       (unsigned long long)block_get(t, 0, GM_CHECK_RIP));
}

TEST_F_TIMEOUT(mem, munmap_then_map_anew, 60)
{
	struct hvm_memory_stats stats;
	void *fresh;

	rounds_vm(_metadata, self, ROUND_PAGES, true);
	expect_round(_metadata, &self->t, 1);
	expect_round(_metadata, &self->t, 2);
	ASSERT_EQ(0, munmap(self->area, self->area_size));
	expect_efault(_metadata, &self->t);
	expect_efault(_metadata, &self->t);

	fresh = mmap(self->area, self->area_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)self->area, fresh);
	fill_host(fresh, self->area_size, HOST_FILL);
	expect_bad(_metadata, &self->t, 1, 0, HOST_FILL);
	expect_round(_metadata, &self->t, 3);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, 3))
		TH_LOG("round 3 did not land in the new memory");
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	EXPECT_LT(0ULL, stats.invalidations);
}

TEST_F_TIMEOUT(mem, mremap_away, 60)
{
	struct hvm_memory_stats stats;
	void *target, *moved;

	rounds_vm(_metadata, self, ROUND_PAGES, true);
	expect_round(_metadata, &self->t, 1);
	expect_round(_metadata, &self->t, 2);
	target = mmap(NULL, self->area_size, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	moved = mremap(self->area, self->area_size, self->area_size,
		       MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, moved) TH_LOG("mremap: %s", strerror(errno));
	self->area = moved;
	expect_efault(_metadata, &self->t);

	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, 0, NULL));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA,
			      self->area_size, self->area));
	/* Round 3's check finds round 2 at the new address. */
	expect_round(_metadata, &self->t, 3);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, 3));
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	EXPECT_LT(0ULL, stats.invalidations);
}

TEST_F_TIMEOUT(mem, dontneed, 60)
{
	rounds_vm(_metadata, self, ROUND_PAGES, true);
	expect_round(_metadata, &self->t, 1);
	expect_round(_metadata, &self->t, 2);
	ASSERT_EQ(0, madvise(self->area, self->area_size, MADV_DONTNEED));
	expect_bad(_metadata, &self->t, 1, 0, 0);
	expect_round(_metadata, &self->t, 3);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, 3));
}

/*
 * HVM_RUN of the rounds guest on a thread of its own, in a loop: EFAULT
 * is counted and retried once the main thread bumps resume; mismatches
 * are recorded and the guest goes on; anything else ends the loop.
 */
struct rounds_runner {
	pthread_t thread;
	struct test_vm *t;
	atomic_uint efaults;
	atomic_uint resume;
	atomic_bool done;
	int ret;		/* the failing HVM_RUN's -errno, or 0 */
	uint32_t exit_reason;	/* the exit that ended the loop */
	unsigned int bad;
	uint64_t bad_value[8], bad_phase[8];
	struct hvm_regs efault_regs;	/* at the first EFAULT */
};

static void *rounds_thread(void *arg)
{
	struct rounds_runner *rr = arg;
	struct hvm_vcpu_handle *vcpu = &rr->t->vcpus[0];
	double deadline;
	int ret;

	for (;;) {
		ret = hvm_vcpu_run(vcpu);
		if (ret == -EFAULT) {
			unsigned int n = atomic_load(&rr->efaults) + 1;

			if (n == 1 &&
			    ioctl(vcpu->fd, HVM_GET_REGS, &rr->efault_regs)) {
				rr->ret = -errno;
				break;
			}
			atomic_store(&rr->efaults, n);
			deadline = now_seconds() + WAIT_S;
			while (atomic_load(&rr->resume) < n &&
			       now_seconds() < deadline)
				usleep(1000);
			if (atomic_load(&rr->resume) < n) {
				rr->ret = ret;
				break;
			}
			continue;
		}
		if (ret) {
			rr->ret = ret;
			break;
		}
		if (vcpu->run->exit_reason == HVM_EXIT_IO &&
		    vcpu->run->io.addr == GM_PORT_BAD) {
			if (rr->bad < ARRAY_SIZE(rr->bad_value)) {
				rr->bad_value[rr->bad] =
					block_get(rr->t, 0, GM_BAD_VALUE);
				rr->bad_phase[rr->bad] =
					block_get(rr->t, 0, GM_BAD_PHASE);
			}
			rr->bad++;
			continue;
		}
		rr->exit_reason = vcpu->run->exit_reason;
		break;
	}
	atomic_store(&rr->done, true);
	return NULL;
}

/* Waits until the guest has verified round r; false on timeout or end. */
static bool wait_round(struct rounds_runner *rr, uint64_t r)
{
	double deadline = now_seconds() + WAIT_S;

	while (block_get(rr->t, 0, GM_ROUND) < r && !atomic_load(&rr->done) &&
	       now_seconds() < deadline)
		usleep(1000);
	return block_get(rr->t, 0, GM_ROUND) >= r;
}

/* Stops the guest at the end of its round; the last round verified. */
static uint64_t rounds_stop(struct __test_metadata *_metadata,
			    struct rounds_runner *rr)
{
	double deadline = now_seconds() + WAIT_S;

	block_set(rr->t, 0, GM_STOP, 1);
	while (!atomic_load(&rr->done) && now_seconds() < deadline)
		usleep(1000);
	ASSERT_TRUE(atomic_load(&rr->done)) TH_LOG("the guest did not stop");
	pthread_join(rr->thread, NULL);
	EXPECT_EQ(0, rr->ret) TH_LOG("HVM_RUN: %s", strerror(-rr->ret));
	EXPECT_EQ((uint32_t)HVM_EXIT_HLT, rr->exit_reason)
		TH_LOG("exit %s", exit_reason_str(rr->exit_reason));
	return block_get(rr->t, 0, GM_ROUND);
}

static void rounds_start(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mem) *self, struct rounds_runner *rr,
			 unsigned int pages)
{
	rounds_vm(_metadata, self, pages, false);
	memset(rr, 0, sizeof(*rr));
	rr->t = &self->t;
	ASSERT_EQ(0, pthread_create(&rr->thread, NULL, rounds_thread, rr));
	ASSERT_TRUE(wait_round(rr, 3)) TH_LOG("the rounds never started");
}

TEST_F_TIMEOUT(mem, munmap_while_writing, 90)
{
	struct rounds_runner rr;
	bool first_store;
	double deadline;
	uint64_t r, last;
	void *fresh;

	rounds_start(_metadata, self, &rr, ROUND_PAGES);
	ASSERT_EQ(0, munmap(self->area, self->area_size));
	deadline = now_seconds() + WAIT_S;
	while (!atomic_load(&rr.efaults) && !atomic_load(&rr.done) &&
	       now_seconds() < deadline)
		usleep(1000);
	r = block_get(&self->t, 0, GM_ROUND);
	fresh = mmap(self->area, self->area_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)self->area, fresh);
	fill_host(fresh, self->area_size, HOST_FILL);
	atomic_store(&rr.resume, 1);
	EXPECT_TRUE(wait_round(&rr, r + 3)) TH_LOG("no rounds after the remap");
	last = rounds_stop(_metadata, &rr);
	TH_LOG("munmap after round %llu, %u EFAULT, %u mismatch(es), last round %llu",
	       (unsigned long long)r, atomic_load(&rr.efaults), rr.bad,
	       (unsigned long long)last);
	EXPECT_EQ(1ULL, atomic_load(&rr.efaults));
	/*
	 * The first access after the munmap faults.  Only when that is the
	 * round's very first store (page 0) does the guest rewrite all of
	 * the new memory before it reads any: then it sees nothing wrong.
	 */
	first_store = rr.efault_regs.rip == block_get(&self->t, 0, GM_WRITE_RIP) &&
		      rr.efault_regs.rcx == 0;
	TH_LOG("EFAULT at RIP %#llx, page %llu%s",
	       (unsigned long long)rr.efault_regs.rip,
	       (unsigned long long)rr.efault_regs.rcx,
	       first_store ? ", the round's first store" : "");
	ASSERT_EQ(first_store ? 0U : 1U, rr.bad)
		TH_LOG("the guest saw %u words it did not store", rr.bad);
	if (!first_store)
		EXPECT_EQ(HOST_FILL, rr.bad_value[0])
		TH_LOG("phase %llu read %#llx", (unsigned long long)rr.bad_phase[0],
		       (unsigned long long)rr.bad_value[0]);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, last));
}

TEST_F_TIMEOUT(mem, mremap_while_writing, 90)
{
	struct rounds_runner rr;
	void *target, *moved;
	double deadline;
	uint64_t r, last;

	rounds_start(_metadata, self, &rr, ROUND_PAGES);
	target = mmap(NULL, self->area_size, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	moved = mremap(self->area, self->area_size, self->area_size,
		       MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, moved) TH_LOG("mremap: %s", strerror(errno));
	self->area = moved;
	deadline = now_seconds() + WAIT_S;
	while (!atomic_load(&rr.efaults) && !atomic_load(&rr.done) &&
	       now_seconds() < deadline)
		usleep(1000);
	ASSERT_EQ(1U, atomic_load(&rr.efaults))
		TH_LOG("the guest ran on after mremap");
	/* The vCPU thread waits for resume: the slot follows the data. */
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, 0, NULL));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA,
			      self->area_size, self->area));
	r = block_get(&self->t, 0, GM_ROUND);
	atomic_store(&rr.resume, 1);
	EXPECT_TRUE(wait_round(&rr, r + 3)) TH_LOG("no rounds after the move");
	last = rounds_stop(_metadata, &rr);
	TH_LOG("mremap after round %llu, %u EFAULT, %u mismatch(es), last round %llu",
	       (unsigned long long)r, atomic_load(&rr.efaults), rr.bad,
	       (unsigned long long)last);
	EXPECT_EQ(1U, atomic_load(&rr.efaults));
	EXPECT_EQ(0U, rr.bad) TH_LOG("the guest read %#llx (phase %llu)",
				    (unsigned long long)rr.bad_value[0],
				    (unsigned long long)rr.bad_phase[0]);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, last));
}

TEST_F_TIMEOUT(mem, dontneed_while_writing, 90)
{
	struct rounds_runner rr;
	unsigned int i;
	uint64_t last;

	rounds_start(_metadata, self, &rr, ROUND_PAGES);
	for (i = 0; i < DONTNEED_TIMES; i++) {
		ASSERT_EQ(0, madvise(self->area, self->area_size,
				     MADV_DONTNEED));
		ASSERT_TRUE(wait_round(&rr, block_get(&self->t, 0, GM_ROUND) + 2))
			TH_LOG("no rounds after MADV_DONTNEED %u", i);
	}
	last = rounds_stop(_metadata, &rr);
	TH_LOG("%d MADV_DONTNEED: %u zero word(s) seen, last round %llu",
	       DONTNEED_TIMES, rr.bad, (unsigned long long)last);
	EXPECT_EQ(0ULL, atomic_load(&rr.efaults));
	EXPECT_LE(1ULL, rr.bad) TH_LOG("the guest never saw the zeroed pages");
	EXPECT_GE((unsigned int)DONTNEED_TIMES, rr.bad);
	for (i = 0; i < rr.bad && i < ARRAY_SIZE(rr.bad_value); i++)
		EXPECT_EQ(0ULL, rr.bad_value[i])
			TH_LOG("mismatch %u (phase %llu): %#llx", i,
			       (unsigned long long)rr.bad_phase[i],
			       (unsigned long long)rr.bad_value[i]);
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, ROUND_PAGES, last));
}

TEST_F_TIMEOUT(mem, emulator_after_remap, 60)
{
	static const uint64_t device = 0x4465766963654d6dULL;
	struct hvm_vcpu_handle *vcpu;
	struct gm_args a = {
		.mode = GM_MOVS, .base = MEM_GPA, .pages = 1,
		.value = 0x4775657374574f72ULL,
	};
	uint64_t *fresh;

	ASSERT_EQ(0, gm_vm(&self->t, 1));
	vcpu = &self->t.vcpus[0];
	self->area_size = PAGE;
	self->area = map_aligned(PAGE, PAGE, 0);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, PAGE,
			      self->area));
	ASSERT_EQ(0, gm_prepare(&self->t, 0, &a));
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	ASSERT_EQ((uint64_t)GM_PORT_ROUND, vcpu->run->io.addr);
	ASSERT_EQ(a.value, *(uint64_t *)self->area);

	ASSERT_EQ(0, munmap(self->area, PAGE));
	fresh = mmap(self->area, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)self->area, (void *)fresh);
	fill_host(fresh, PAGE, HOST_FILL);

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA, vcpu->run->io.addr);
	EXPECT_EQ(1, vcpu->run->io.is_write);
	EXPECT_EQ(8, vcpu->run->io.size);
	EXPECT_EQ(HOST_FILL, vcpu->run->io.data)
		TH_LOG("MOVS RAM->MMIO sent %#llx: not the new memory's word",
		       (unsigned long long)vcpu->run->io.data);
	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA, vcpu->run->io.addr);
	EXPECT_EQ(0, vcpu->run->io.is_write);
	vcpu->run->io.data = device;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(device, fresh[1])
		TH_LOG("MOVS MMIO->RAM did not land in the new memory");
	EXPECT_EQ(device, block_get(&self->t, 0, GM_READBACK));
	EXPECT_EQ(HOST_FILL, fresh[0]);
}

/* ---- page migration ------------------------------------------------------ */

/* Whether node 1 exists and has memory (has_memory: "0-1", "0,1", ...). */
static bool have_node1(void)
{
	char buf[64] = "";
	unsigned int a, b;
	char *p;
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (p = strtok(buf, ",\n"); p; p = strtok(NULL, ",\n")) {
		if (sscanf(p, "%u-%u", &a, &b) == 2 && a <= 1 && b >= 1)
			return true;
		if (sscanf(p, "%u", &a) == 1 && a == 1)
			return true;
	}
	return false;
}

TEST_F_TIMEOUT(mem, migration, 120)
{
	static void *pages[MIGRATE_PAGES];
	static int nodes[MIGRATE_PAGES], status[MIGRATE_PAGES];
	unsigned long from = 1UL << 0, to = 1UL << 1;
	struct hvm_memory_stats stats;
	struct rounds_runner rr;
	unsigned int i, m, on_target;
	uint64_t last;
	long ret;

	if (!have_node1())
		SKIP(return, "one NUMA node with memory only");
	rounds_start(_metadata, self, &rr, MIGRATE_PAGES);
	for (m = 0; m < MIGRATIONS; m++) {
		int target = (m & 1) ? 0 : 1;

		for (i = 0; i < MIGRATE_PAGES; i++) {
			pages[i] = self->area + i * PAGE;
			nodes[i] = target;
			status[i] = -1;
		}
		ret = syscall(SYS_move_pages, 0, MIGRATE_PAGES, pages, nodes,
			      status, MPOL_MF_MOVE);
		ASSERT_LE(0, ret) TH_LOG("move_pages: %s", strerror(errno));
		for (i = on_target = 0; i < MIGRATE_PAGES; i++)
			on_target += status[i] == target;
		EXPECT_LE(MIGRATE_PAGES / 2U, on_target)
			TH_LOG("move %u: %u of %d pages on node %d (%ld not moved, status[0] %d)",
			       m, on_target, MIGRATE_PAGES, target, ret,
			       status[0]);
		ASSERT_TRUE(wait_round(&rr, block_get(&self->t, 0, GM_ROUND) + 2))
			TH_LOG("no rounds after move %u", m);
	}
	/*
	 * The moves end on node 0: all of the process's pages there (the
	 * guest's code and page tables in slot 0 too) to node 1 in one call.
	 */
	ret = syscall(SYS_migrate_pages, 0, 8 * sizeof(unsigned long), &from,
		      &to);
	EXPECT_LE(0, ret) TH_LOG("migrate_pages: %s", strerror(errno));
	EXPECT_TRUE(wait_round(&rr, block_get(&self->t, 0, GM_ROUND) + 2));
	for (i = on_target = 0; i < MIGRATE_PAGES; i++) {
		nodes[i] = 0;
		status[i] = -1;
	}
	/* nodes NULL: only ask where each page is. */
	ASSERT_EQ(0, syscall(SYS_move_pages, 0, MIGRATE_PAGES, pages, NULL,
			     status, 0));
	for (i = 0; i < MIGRATE_PAGES; i++)
		on_target += status[i] == 1;
	last = rounds_stop(_metadata, &rr);
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	TH_LOG("%d moves of %d pages, migrate_pages: %u on node 1, %llu rounds, %llu invalidations",
	       MIGRATIONS, MIGRATE_PAGES, on_target, (unsigned long long)last,
	       (unsigned long long)stats.invalidations);
	EXPECT_LE(MIGRATE_PAGES / 2U, on_target);
	EXPECT_EQ(0ULL, rr.bad) TH_LOG("the guest read %#llx (phase %llu)",
				    (unsigned long long)rr.bad_value[0],
				    (unsigned long long)rr.bad_phase[0]);
	EXPECT_EQ(0ULL, atomic_load(&rr.efaults));
	EXPECT_EQ(0ULL, rounds_mismatches(self->area, MIGRATE_PAGES, last));
	EXPECT_LT(0ULL, stats.invalidations);
}

/* ---- KSM ----------------------------------------------------------------- */

#define KSM_DIR "/sys/kernel/mm/ksm/"

static const char *const ksm_knobs[] = {
	KSM_DIR "run", KSM_DIR "pages_to_scan", KSM_DIR "sleep_millisecs",
};

FIXTURE(ksm) {
	struct test_vm vm[2];
	uint8_t *area[2];
	long saved[3];
	bool changed;
};

FIXTURE_SETUP(ksm)
{
}

FIXTURE_TEARDOWN(ksm)
{
	char text[32];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		test_vm_destroy(&self->vm[i]);
		if (self->area[i])
			munmap(self->area[i], KSM_PAGES * PAGE);
	}
	if (!self->changed)
		return;
	/* run = 2 unmerges what is left; then the old settings. */
	sysfs_write(KSM_DIR "run", "2");
	for (i = ARRAY_SIZE(ksm_knobs); i-- > 0;) {
		snprintf(text, sizeof(text), "%ld", self->saved[i]);
		sysfs_write(ksm_knobs[i], text);
	}
}

/* Runs VM i's guest in mode with key over its slot: its mismatches. */
static uint64_t ksm_guest(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ksm) *self, unsigned int i,
			  uint64_t mode, uint64_t key)
{
	struct gm_args a = {
		.mode = mode, .base = MEM_GPA, .pages = KSM_PAGES,
		.words = PAGE / 8, .value = key,
	};

	return RUN_TO_HLT(&self->vm[i], &a);
}

TEST_F_TIMEOUT(ksm, merge_then_write, 120)
{
	struct hvm_memory_stats stats[2];
	long sharing = 0;
	double deadline;
	unsigned int i;

	if (access(KSM_DIR "run", W_OK))
		SKIP(return, "no KSM in this kernel");
	for (i = 0; i < ARRAY_SIZE(ksm_knobs); i++) {
		self->saved[i] = sysfs_read_number(ksm_knobs[i]);
		ASSERT_LE(0, self->saved[i]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, gm_vm(&self->vm[i], 1));
		self->area[i] = map_aligned(KSM_PAGES * PAGE, PAGE, 0);
		ASSERT_NE(NULL, self->area[i]);
		ASSERT_EQ(0, madvise(self->area[i], KSM_PAGES * PAGE,
				     MADV_MERGEABLE))
			TH_LOG("MADV_MERGEABLE: %s", strerror(errno));
		ASSERT_EQ(0, set_slot(&self->vm[i], MEM_SLOT, 0, MEM_GPA,
				      KSM_PAGES * PAGE, self->area[i]));
		/* Identical contents in both VMs, different pages within. */
		EXPECT_EQ(0ULL, ksm_guest(_metadata, self, i, GM_WRITE_CHECK,
				       KSM_KEY_A));
	}

	self->changed = true;
	ASSERT_EQ(0, sysfs_write(KSM_DIR "pages_to_scan", "1000"));
	ASSERT_EQ(0, sysfs_write(KSM_DIR "sleep_millisecs", "10"));
	ASSERT_EQ(0, sysfs_write(KSM_DIR "run", "1"));
	deadline = now_seconds() + KSM_WAIT;
	while ((sharing = sysfs_read_number(KSM_DIR "pages_sharing")) <= 0 &&
	       now_seconds() < deadline)
		usleep(50000);
	ASSERT_LT(0, sharing) TH_LOG("KSM merged nothing in %d s", KSM_WAIT);

	/* Both guests read through the merged pages... */
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0ULL, ksm_guest(_metadata, self, i, GM_CHECK,
				       KSM_KEY_A));
	/* ...one writes new contents: its copy only. */
	EXPECT_EQ(0ULL, ksm_guest(_metadata, self, 0, GM_WRITE_CHECK, KSM_KEY_B));
	EXPECT_EQ(0ULL, ksm_guest(_metadata, self, 1, GM_CHECK, KSM_KEY_A))
		TH_LOG("the other VM's write showed through a merged page");
	EXPECT_EQ(0ULL, ksm_guest(_metadata, self, 0, GM_CHECK, KSM_KEY_B));
	EXPECT_EQ(0ULL, fill_mismatches(self->area[0], KSM_PAGES, PAGE, PAGE / 8,
				     KSM_KEY_B));
	EXPECT_EQ(0ULL, fill_mismatches(self->area[1], KSM_PAGES, PAGE, PAGE / 8,
				     KSM_KEY_A));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, get_stats(&self->vm[i], &stats[i]));
	TH_LOG("pages_sharing %ld; invalidations %llu and %llu",
	       sharing, (unsigned long long)stats[0].invalidations,
	       (unsigned long long)stats[1].invalidations);
	EXPECT_LT(0ULL, stats[0].invalidations + stats[1].invalidations);
}

/* ---- dirty logging ------------------------------------------------------- */

static int get_dirty(struct test_vm *t, uint32_t slot, uint64_t *bitmap)
{
	struct hvm_dirty_log log = { .slot = slot, .bitmap = (uintptr_t)bitmap };

	return ioctl(t->vm.vm_fd, HVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

static bool test_bit64(const uint64_t *bitmap, unsigned int n)
{
	return bitmap[n / 64] >> (n % 64) & 1;
}

/* Slot 1 = DIRTY_PAGES of memory with dirty logging. */
static void dirty_vm(struct __test_metadata *_metadata,
		     FIXTURE_DATA(mem) *self, unsigned int nr_vcpus)
{
	ASSERT_EQ(0, gm_vm(&self->t, nr_vcpus));
	self->area_size = DIRTY_PAGES * PAGE;
	self->area = map_aligned(self->area_size, PAGE, 0);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, HVM_MEM_LOG_DIRTY, MEM_GPA,
			      self->area_size, self->area));
}

/* The log equals pages first, first + stride, ... (count of them). */
static void expect_dirty_set(struct __test_metadata *_metadata,
			     struct test_vm *t, unsigned int first,
			     unsigned int stride, unsigned int count)
{
	uint64_t bitmap[DIRTY_WORDS];
	unsigned int n, wrong = 0;

	memset(bitmap, 0xa5, sizeof(bitmap));
	ASSERT_EQ(0, get_dirty(t, MEM_SLOT, bitmap));
	for (n = 0; n < DIRTY_PAGES; n++) {
		bool want = n >= first && (n - first) % stride == 0 &&
			    (n - first) / stride < count;

		if (test_bit64(bitmap, n) != want && wrong++ < 4)
			TH_LOG("page %u: %s", n, want ? "written, not in the log" :
			       "in the log, not written");
	}
	EXPECT_EQ(0ULL, wrong);
}

TEST_F_TIMEOUT(mem, dirty_log_exact, 60)
{
	struct hvm_memory_stats stats;
	struct gm_args a = {
		.mode = GM_WRITE, .base = MEM_GPA, .stride = 3 * PAGE,
		.pages = DIRTY_PAGES / 3, .value = 0x6469727479000000ULL,
	};
	struct gm_args read_all = {
		.mode = GM_CHECK, .base = MEM_GPA + PAGE, .stride = 3 * PAGE,
		.pages = DIRTY_PAGES / 3,
	};

	dirty_vm(_metadata, self, 1);
	(void)RUN_TO_HLT(&self->t, &a);
	/* Reads of pages never written: 1, 4, 7, ... */
	(void)RUN_TO_HLT(&self->t, &read_all);
	expect_dirty_set(_metadata, &self->t, 0, 3, DIRTY_PAGES / 3);
	expect_dirty_set(_metadata, &self->t, 0, 1, 0);

	/* Another set, overlapping the first: pages written again count. */
	a.base = MEM_GPA + 2 * PAGE;
	a.stride = 5 * PAGE;
	a.pages = DIRTY_PAGES / 5;
	(void)RUN_TO_HLT(&self->t, &a);
	expect_dirty_set(_metadata, &self->t, 2, 5, DIRTY_PAGES / 5);
	EXPECT_EQ(0ULL, fill_mismatches(self->area + 2 * PAGE, a.pages, a.stride,
				     1, a.value));
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	TH_LOG("dirty faults %llu", (unsigned long long)stats.dirty_faults);
	EXPECT_LE((uint64_t)DIRTY_PAGES / 3 + DIRTY_PAGES / 5, stats.dirty_faults);
}

TEST_F_TIMEOUT(mem, dirty_log_rounds, 120)
{
	enum { V = 2 };
	uint64_t (*bitmaps)[DIRTY_WORDS];
	uint64_t (*seen)[V], *log[V], final[V];
	unsigned int k, v, missing = 0, stale = 0;
	uint64_t idx, total = 0;
	double deadline, start;
	struct vcpu_thread threads[V];

	dirty_vm(_metadata, self, V);
	bitmaps = calloc(DIRTY_ROUNDS + 2, sizeof(*bitmaps));
	seen = calloc(DIRTY_ROUNDS + 2, sizeof(*seen));
	ASSERT_NE(NULL, bitmaps);
	ASSERT_NE(NULL, seen);
	*(uint64_t *)guest_ptr(&self->t, GM_HOST_ROUND_GPA) = 0;
	for (v = 0; v < V; v++) {
		struct gm_args a = {
			.mode = GM_DIRTY, .base = MEM_GPA,
			.pages = DIRTY_PAGES, .value = 0x9e3779b97f4a7c15ULL + v,
			.log = GUEST_SCRATCH_GPA + v * DIRTY_LOG_MAX * 8,
			.log_max = DIRTY_LOG_MAX, .offset = 8 * v,
		};

		log[v] = guest_ptr(&self->t, a.log);
		ASSERT_EQ(0, gm_prepare(&self->t, v, &a));
	}
	for (v = 0; v < V; v++)
		ASSERT_EQ(0, vcpu_thread_start(&threads[v],
					       &self->t.vcpus[v]));
	/* Both guests write before the rounds: the check is never empty. */
	deadline = now_seconds() + WAIT_S;
	for (v = 0; v < V; v++) {
		while (!block_get(&self->t, v, GM_COUNT) &&
		       now_seconds() < deadline)
			usleep(1000);
		ASSERT_LT(0ULL, block_get(&self->t, v, GM_COUNT))
			TH_LOG("vCPU %u never wrote", v);
	}

	/*
	 * Round k: what each vCPU had logged as done, then the get-and-clear,
	 * then the round number the guests put in their next writes, then
	 * 1 ms for the guests to write (without it the rounds ran ahead of
	 * them).  No waiting for the guests themselves: with one CPU (the
	 * Bochs lab) that made every round a string of VM exits and context
	 * switches, too slow for the lab.  A line every DIRTY_ROUNDS / 4
	 * rounds shows the progress.
	 */
	start = now_seconds();
	for (k = 1; k <= DIRTY_ROUNDS; k++) {
		for (v = 0; v < V; v++)
			seen[k][v] = block_get(&self->t, v, GM_COUNT);
		ASSERT_EQ(0, get_dirty(&self->t, MEM_SLOT, bitmaps[k]));
		__atomic_store_n((uint64_t *)guest_ptr(&self->t,
						       GM_HOST_ROUND_GPA),
				 k, __ATOMIC_RELEASE);
		usleep(1000);
		if (k % (DIRTY_ROUNDS / 4) == 0)
			TH_LOG("round %u after %.1f s: %llu and %llu writes",
			       k, now_seconds() - start,
			       (unsigned long long)seen[k][0],
			       (unsigned long long)seen[k][1]);
	}
	for (v = 0; v < V; v++)
		block_set(&self->t, v, GM_STOP, 1);
	for (v = 0; v < V; v++) {
		ASSERT_TRUE(vcpu_thread_wait(&threads[v], WAIT_S));
		pthread_join(threads[v].thread, NULL);
		ASSERT_EQ(0, threads[v].ret);
		ASSERT_EQ((uint32_t)HVM_EXIT_HLT, self->t.vcpus[v].run->exit_reason);
	}
	/* The last round, with the guests halted: every write is done. */
	k = DIRTY_ROUNDS + 1;
	for (v = 0; v < V; v++)
		final[v] = seen[k][v] = block_get(&self->t, v, GM_COUNT);
	ASSERT_EQ(0, get_dirty(&self->t, MEM_SLOT, bitmaps[k]));

	for (v = 0; v < V; v++) {
		unsigned int done = 1;
		uint64_t last_write[DIRTY_PAGES] = {};

		ASSERT_GT(DIRTY_LOG_MAX + 1ULL, final[v]);
		for (idx = 0; idx < final[v]; idx++) {
			uint64_t entry = log[v][idx];
			unsigned int page = entry & 0xffffffff;
			unsigned int r = entry >> 32, j;
			bool found = false;

			while (seen[done][v] <= idx)
				done++;
			ASSERT_GT((unsigned int)DIRTY_PAGES, page);
			ASSERT_GT(done, r) TH_LOG("vCPU %u entry %llu: round %u, done by %u",
						  v, (unsigned long long)idx, r, done);
			for (j = r + 1; j <= done && !found; j++)
				found = test_bit64(bitmaps[j], page);
			if (!found && missing++ < 4)
				TH_LOG("vCPU %u write %llu to page %u after round %u, done by round %u: in no bitmap of rounds %u-%u",
				       v, (unsigned long long)idx, page, r,
				       done, r + 1, done);
			last_write[page] = entry;
		}
		for (idx = 0; idx < DIRTY_PAGES; idx++)
			stale += *(uint64_t *)(self->area + idx * PAGE + 8 * v) !=
				 last_write[idx];
		total += final[v];
	}
	TH_LOG("%d rounds, %llu writes logged by %d vCPUs: %u missing from the bitmaps, %u pages not holding the last write",
	       DIRTY_ROUNDS, (unsigned long long)total, V, missing, stale);
	EXPECT_EQ(0ULL, missing);
	EXPECT_EQ(0ULL, stale);
	free(bitmaps);
	free(seen);
}

TEST_F(mem, dirty_log_errors)
{
	struct hvm_dirty_log log = {};
	uint64_t bitmap[DIRTY_WORDS];
	int sys_fd, vm_fd;
	long leaf;

	dirty_vm(_metadata, self, 1);
	sys_fd = self->t.vm.sys_fd;
	vm_fd = self->t.vm.vm_fd;
	log.bitmap = (uintptr_t)bitmap;

	log.slot = 5;
	ASSERT_IOCTL_ERRNO(ENOENT, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.slot = 0;		/* exists, no HVM_MEM_LOG_DIRTY */
	ASSERT_IOCTL_ERRNO(EINVAL, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.slot = HVM_MAX_SLOTS;
	ASSERT_IOCTL_ERRNO(EINVAL, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.slot = ~0u;
	ASSERT_IOCTL_ERRNO(EINVAL, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.slot = MEM_SLOT;
	log.reserved = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.reserved = 0;
	log.bitmap = 8;
	ASSERT_IOCTL_ERRNO(EFAULT, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.bitmap = 0xffffffff81000000ULL;
	ASSERT_IOCTL_ERRNO(EFAULT, vm_fd, HVM_GET_DIRTY_LOG, &log);
	log.bitmap = (uintptr_t)bitmap;
	ASSERT_EQ(0, ioctl(vm_fd, HVM_GET_DIRTY_LOG, &log));
	ASSERT_IOCTL_ERRNO(EFAULT, vm_fd, HVM_GET_MEMORY_STATS, (void *)8);

	/* Unknown slot flags; the slot index stays free. */
	EXPECT_EQ(-EINVAL, set_slot(&self->t, 2, 1u << 2, 0x80000000ULL, PAGE,
				    self->area));
	EXPECT_EQ(-EINVAL, set_slot(&self->t, 2, ~0u, 0x80000000ULL, PAGE,
				    self->area));
	log.slot = 2;
	ASSERT_IOCTL_ERRNO(ENOENT, vm_fd, HVM_GET_DIRTY_LOG, &log);

	EXPECT_EQ(1, ioctl(sys_fd, HVM_CHECK_EXTENSION, HVM_EXT_DIRTY_LOG));
	EXPECT_EQ(1, ioctl(vm_fd, HVM_CHECK_EXTENSION, HVM_EXT_DIRTY_LOG));
	EXPECT_EQ(1, ioctl(sys_fd, HVM_CHECK_EXTENSION, HVM_EXT_MEMORY_STATS));
	EXPECT_EQ(1, ioctl(vm_fd, HVM_CHECK_EXTENSION, HVM_EXT_MEMORY_STATS));
	leaf = ioctl(sys_fd, HVM_CHECK_EXTENSION, HVM_EXT_LARGEST_LEAF);
	TH_LOG("largest leaf %ld KiB", leaf);
	EXPECT_TRUE(leaf == 2048 || leaf == 1048576);
	EXPECT_EQ(leaf, ioctl(vm_fd, HVM_CHECK_EXTENSION,
			      HVM_EXT_LARGEST_LEAF));
}

/* ---- many vCPUs, cgroup charges ------------------------------------------ */

TEST_F_TIMEOUT(mem, parallel_faults, 120)
{
	struct vcpu_thread threads[PARALLEL_VCPUS];
	const uint64_t key = 0x70617261006c6c00ULL;
	unsigned int v;

	ASSERT_EQ(0, gm_vm(&self->t, PARALLEL_VCPUS));
	self->area_size = PARALLEL_SIZE;
	self->area = map_aligned(PARALLEL_SIZE, HUGE_2M, 0);
	ASSERT_NE(NULL, self->area);
	/* 4 KiB pages: one nested fault per page, not per 2 MiB. */
	ASSERT_EQ(0, madvise(self->area, PARALLEL_SIZE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, PARALLEL_SIZE,
			      self->area));
	/* vCPU v writes pages v, v + 4, ...: neighbours fault at once. */
	for (v = 0; v < PARALLEL_VCPUS; v++) {
		struct gm_args a = {
			.mode = GM_WRITE_CHECK, .base = MEM_GPA + v * PAGE,
			.stride = PARALLEL_VCPUS * PAGE,
			.pages = PARALLEL_SIZE / PAGE / PARALLEL_VCPUS,
			.value = key ^ (v * PAGE),
		};

		ASSERT_EQ(0, gm_prepare(&self->t, v, &a));
	}
	for (v = 0; v < PARALLEL_VCPUS; v++)
		ASSERT_EQ(0, vcpu_thread_start(&threads[v],
					       &self->t.vcpus[v]));
	for (v = 0; v < PARALLEL_VCPUS; v++) {
		ASSERT_TRUE(vcpu_thread_wait(&threads[v], 100))
			TH_LOG("vCPU %u never finished", v);
		pthread_join(threads[v].thread, NULL);
		EXPECT_EQ(0, threads[v].ret);
		EXPECT_EQ((uint32_t)HVM_EXIT_HLT, self->t.vcpus[v].run->exit_reason)
			TH_LOG("vCPU %u: exit %s", v,
			       exit_reason_str(self->t.vcpus[v].run->exit_reason));
		EXPECT_EQ(0ULL, block_get(&self->t, v, GM_BAD));
	}
	/* Every page holds key ^ its offset, whoever wrote it. */
	EXPECT_EQ(0ULL, fill_mismatches(self->area, PARALLEL_SIZE / PAGE, PAGE,
				     1, key));
}

TEST_F_TIMEOUT(mem, memcg, 120)
{
	struct hvm_memory_stats stats;
	struct gm_args a = {
		.mode = GM_WRITE_CHECK, .base = MEM_GPA, .stride = HUGE_2M,
		.pages = MEMCG_TOUCHED, .value = 0x6d656d6367000000ULL,
	};
	long before, after, tables, slack;
	unsigned int i;
	int ret;

	ret = memcg_available();
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no cgroup v2 with the memory controller");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, memcg_enter(self->memcg_dir, sizeof(self->memcg_dir),
				 "hvm-memtest", 0));
	ASSERT_EQ(0, gm_vm(&self->t, 1));
	self->area_size = MEMCG_SIZE;
	self->area = map_aligned(MEMCG_SIZE, HUGE_2M, MAP_NORESERVE);
	ASSERT_NE(NULL, self->area);
	ASSERT_EQ(0, madvise(self->area, MEMCG_SIZE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, set_slot(&self->t, MEM_SLOT, 0, MEM_GPA, MEMCG_SIZE,
			      self->area));
	/*
	 * The process pays for the guest's pages (and its own page tables)
	 * now, so that what the guest adds is hvm's: one nested page table
	 * page per 2 MiB touched.
	 */
	for (i = 0; i < MEMCG_TOUCHED; i++)
		self->area[i * HUGE_2M] = 1;
	before = memcg_current(self->memcg_dir);
	ASSERT_LT(0, before);
	EXPECT_EQ(0ULL, RUN_TO_HLT(&self->t, &a));
	after = memcg_current(self->memcg_dir);
	ASSERT_EQ(0, get_stats(&self->t, &stats));
	tables = stats.table_pages * PAGE;
	slack = sysconf(_SC_NPROCESSORS_ONLN) * MEMCG_BATCH_PAGES * PAGE;
	TH_LOG("%lu pages touched: %llu table pages (%ld kB), memory.current %+ld kB",
	       MEMCG_TOUCHED, (unsigned long long)stats.table_pages,
	       tables >> 10, (after - before) >> 10);
	EXPECT_LE(MEMCG_TOUCHED, stats.table_pages);
	EXPECT_LE(tables - slack, after - before)
		TH_LOG("the nested page tables are not charged to the memcg");
}

TEST_HARNESS_MAIN
