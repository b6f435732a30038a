// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers and the #DB/#AC intercepts (debugreg_guest_long64.S,
 * debugreg_guest_prot32.S; scenarios in debugreg.h).
 *
 * roundtrip: DR0-3, DR6 and DR7 written by the guest read back with their
 *   fixed bits, DR4/DR5 alias DR6/DR7 (CR4.DE clear), DR7 bits 63:32 are
 *   #GP and leave DR7 alone; HVM_GET_DEBUGREGS shows the same values, and
 *   HVM_SET_DEBUGREGS values reach the guest.
 * debugregs_errors: HVM_SET_DEBUGREGS refuses bits 63:32 of DR6/DR7,
 *   flags and reserved words (EINVAL), bad pointers (EFAULT).
 * data_breakpoint: a write breakpoint on the guest's own variable gives
 *   the guest's #DB handler DR6.B0, after the write.
 * host_breakpoint: the VMM watches a variable of its own with a perf
 *   hardware breakpoint at an address the guest also uses; the guest arms
 *   DR7 = 0x10403 without writing DR0 and writes there: no #DB in the
 *   guest, and the VMM's breakpoint still counts the VMM's own write
 *   after HVM_RUN.
 * single_step: RFLAGS.TF gives the guest's handler DR6.BS after the
 *   instruction that follows POPF.
 * general_detect: with DR7.GD a MOV from DR0 is a #DB with DR6.BD, GD
 *   clear in the handler, the MOV run again afterwards.
 * db_recursion (CVE-2015-8104): a #DB through an IST whose stack slot
 *   holds a write breakpoint recurses; a signal still ends HVM_RUN with
 *   HVM_EXIT_INTR.  Skipped where the CPU does not recurse.
 * alignment_check: CR0.AM and EFLAGS.AC at CPL 3, a misaligned load is
 *   an #AC (error code 0) in the guest's handler.  Skipped where the CPU
 *   has no alignment checking (QEMU's TCG).
 * ac_recursion (CVE-2015-5307): an #AC whose delivery raises #AC again;
 *   a signal still ends HVM_RUN with HVM_EXIT_INTR.  Skipped as above.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "debugreg.h"

DECLARE_GUEST(debugreg_guest_long64);
DECLARE_GUEST(debugreg_guest_prot32);

#define DR6_B0		0x1ULL
#define DR6_BD		0x2000ULL
#define DR6_BS		0x4000ULL
#define DR7_GD		0x2000ULL

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

FIXTURE(dbg) {
	struct test_vm t;
};

FIXTURE_SETUP(dbg)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(debugreg_guest_long64),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(dbg)
{
	test_vm_destroy(&self->t);
}

/* Runs scenario to its HLT; the exit and any stray vector asserted. */
#define RUN_SCENARIO(t, scenario) do {					\
	guest_set_param((t), 0, (scenario));				\
	RUN_EXPECT(&(t)->vcpus[0], HVM_EXIT_HLT);			\
} while (0)

static void log_db(struct __test_metadata *_metadata, struct test_vm *t)
{
	TH_LOG("#DB handler: %llu runs, DR6 %#llx, DR7 %#llx, RIP %#llx (expected %#llx); other vector %llu",
	       (unsigned long long)guest_result(t, RES_DB_COUNT),
	       (unsigned long long)guest_result(t, RES_DB_DR6),
	       (unsigned long long)guest_result(t, RES_DB_DR7),
	       (unsigned long long)guest_result(t, RES_DB_RIP),
	       (unsigned long long)guest_result(t, RES_EXPECT_RIP),
	       (unsigned long long)guest_result(t, RES_OTHER_VECTOR));
}

/*
 * QEMU 7.2's emulated VMRUN loads the guest's DR7 without arming its
 * breakpoints (QEMU arms them only on MOV to DR7; later QEMU fixed its
 * VMRUN), so in the SVM lab a guest breakpoint never fires.  True on an
 * AMD CPU behind a hypervisor, where that may be the case.
 */
static bool vmrun_may_not_arm_dr7(struct test_vm *t)
{
	struct hvm_caps caps = { .size = sizeof(caps) };
	char line[4096];
	bool found = false;
	FILE *f;

	if (hvm_get_caps(t->vm.sys_fd, &caps) || caps.vendor != HVM_VENDOR_AMD)
		return false;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) && strstr(line, " hypervisor");
	fclose(f);
	return found;
}

TEST_F(dbg, roundtrip)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_debugregs dbg;

	RUN_SCENARIO(&self->t, DBG_ROUNDTRIP);
	EXPECT_EQ(RT_DR0, guest_result(&self->t, 0));
	EXPECT_EQ(RT_DR1, guest_result(&self->t, 1));
	EXPECT_EQ(RT_DR2, guest_result(&self->t, 2));
	EXPECT_EQ(RT_DR3, guest_result(&self->t, 3));
	EXPECT_EQ(RT_DR6_OUT, guest_result(&self->t, 4));
	EXPECT_EQ(RT_DR7_OUT, guest_result(&self->t, 5));
	EXPECT_EQ(RT_DR6_OUT, guest_result(&self->t, 6));
	EXPECT_EQ(RT_DR7_OUT, guest_result(&self->t, 7));
	EXPECT_EQ(13ULL, guest_result(&self->t, RES_OTHER_VECTOR))
		TH_LOG("DR7 bits 63:32 did not raise #GP");

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_DEBUGREGS, &dbg));
	EXPECT_EQ(RT_DR0, dbg.db[0]);
	EXPECT_EQ(RT_DR1, dbg.db[1]);
	EXPECT_EQ(RT_DR2, dbg.db[2]);
	EXPECT_EQ(RT_DR3, dbg.db[3]);
	EXPECT_EQ(RT_DR6_OUT, dbg.dr6);
	EXPECT_EQ(RT_DR7_OUT, dbg.dr7);

	/* Set from the host, read by the guest's MOV DR (scenario 0 again). */
	dbg.db[0] = 0x1234;
	dbg.dr6 = 0;
	dbg.dr7 = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_DEBUGREGS, &dbg));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_DEBUGREGS, &dbg));
	EXPECT_EQ(0x1234ULL, dbg.db[0]);
	EXPECT_EQ(0xffff0ff0ULL, dbg.dr6);
	EXPECT_EQ(0x400ULL, dbg.dr7);
}

TEST_F(dbg, debugregs_errors)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_debugregs good, bad;

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_DEBUGREGS, &good));
	EXPECT_EQ(0xffff0ff0ULL, good.dr6);
	EXPECT_EQ(0x400ULL, good.dr7);

	bad = good;
	bad.dr6 = 1ULL << 32;
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_DEBUGREGS, &bad);
	bad = good;
	bad.dr7 = 0x400ULL | (1ULL << 63);
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_DEBUGREGS, &bad);
	bad = good;
	bad.flags = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_DEBUGREGS, &bad);
	bad = good;
	bad.reserved[8] = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_DEBUGREGS, &bad);
	ASSERT_IOCTL_ERRNO(EFAULT, vcpu->fd, HVM_SET_DEBUGREGS, NULL);
	ASSERT_IOCTL_ERRNO(EFAULT, vcpu->fd, HVM_GET_DEBUGREGS, NULL);
	/* A refused set changed nothing. */
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_DEBUGREGS, &bad));
	EXPECT_EQ(0, memcmp(&good, &bad, sizeof(good)));
}

TEST_F(dbg, data_breakpoint)
{
	RUN_SCENARIO(&self->t, DBG_DATA_BP);
	log_db(_metadata, &self->t);
	if (!guest_result(&self->t, RES_DB_COUNT) &&
	    !guest_result(&self->t, RES_OTHER_VECTOR) &&
	    vmrun_may_not_arm_dr7(&self->t))
		SKIP(return, "no #DB: this (emulated) VMRUN does not arm the DR7 it loads");
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_OTHER_VECTOR));
	EXPECT_EQ(1ULL, guest_result(&self->t, RES_DB_COUNT));
	EXPECT_EQ(DR6_B0, guest_result(&self->t, RES_DB_DR6) & 0xf);
	EXPECT_EQ(guest_result(&self->t, RES_EXPECT_RIP),
		  guest_result(&self->t, RES_DB_RIP));
	EXPECT_EQ(0x1234U, *(uint32_t *)guest_ptr(&self->t, DBG_VAR_GPA));
}

/* A counting perf hardware breakpoint on writes to addr by this thread. */
static int watch_writes(uint64_t addr)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = addr,
		.bp_len = HW_BREAKPOINT_LEN_1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t perf_count(int fd)
{
	uint64_t count = ~0ULL;

	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return ~0ULL;
	return count;
}

TEST_F(dbg, host_breakpoint)
{
	volatile uint8_t *host_var;
	uint64_t before, after;
	void *page;
	int fd;

	page = mmap((void *)DBG_HOST_PAGE, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)DBG_HOST_PAGE, page)
		TH_LOG("mmap at %#llx: %s", (unsigned long long)DBG_HOST_PAGE,
		       strerror(errno));
	host_var = (volatile uint8_t *)DBG_HOST_VAR;
	fd = watch_writes(DBG_HOST_VAR);
	ASSERT_LE(0, fd) TH_LOG("perf_event_open: %s", strerror(errno));

	before = perf_count(fd);
	RUN_SCENARIO(&self->t, DBG_HOST_PROBE);
	log_db(_metadata, &self->t);
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_DB_COUNT))
		TH_LOG("the guest trapped on the host's breakpoint address");
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_OTHER_VECTOR));
	/* The guest's writes all went through. */
	EXPECT_EQ(16ULL, *(uint64_t *)guest_ptr(&self->t, DBG_HOST_VAR + 8));

	/* The VMM's own breakpoint survived the guest's DR7. */
	*host_var = 1;
	after = perf_count(fd);
	EXPECT_EQ(before + 1, after)
		TH_LOG("host breakpoint count %llu -> %llu",
		       (unsigned long long)before, (unsigned long long)after);
	close(fd);
	munmap(page, 4096);
}

TEST_F(dbg, single_step)
{
	RUN_SCENARIO(&self->t, DBG_SINGLE_STEP);
	log_db(_metadata, &self->t);
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_OTHER_VECTOR));
	EXPECT_EQ(1ULL, guest_result(&self->t, RES_DB_COUNT));
	EXPECT_EQ(DR6_BS, guest_result(&self->t, RES_DB_DR6) & DR6_BS);
	EXPECT_EQ(guest_result(&self->t, RES_EXPECT_RIP),
		  guest_result(&self->t, RES_DB_RIP));
}

TEST_F(dbg, general_detect)
{
	RUN_SCENARIO(&self->t, DBG_GENERAL_DETECT);
	log_db(_metadata, &self->t);
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_OTHER_VECTOR));
	EXPECT_EQ(1ULL, guest_result(&self->t, RES_DB_COUNT));
	EXPECT_EQ(DR6_BD, guest_result(&self->t, RES_DB_DR6) & DR6_BD);
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_DB_DR7) & DR7_GD);
	EXPECT_EQ(guest_result(&self->t, RES_EXPECT_RIP),
		  guest_result(&self->t, RES_DB_RIP));
}

/* ---- recursion: HVM_RUN on a thread, ended by a signal ----------------- */

/*
 * Runs the guest on a thread until it armed its recursion, lets it
 * recurse for a while and signals the thread: HVM_RUN must come back with
 * EINTR and HVM_EXIT_INTR.  A guest that halts by itself instead met a
 * CPU that does not recurse: the test is skipped, saying so.
 */
static void expect_signal_ends_recursion(struct __test_metadata *_metadata,
					 struct test_vm *t, const char *what)
{
	struct vcpu_thread vt;
	double deadline;

	ASSERT_EQ(0, sigusr1_interrupts());
	ASSERT_EQ(0, vcpu_thread_start(&vt, &t->vcpus[0]));
	deadline = now_seconds() + 20;
	while (!guest_result(t, RES_ARMED) && !atomic_load(&vt.done) &&
	       now_seconds() < deadline)
		usleep(1000);
	/*
	 * Recursing, or about to: give it time to go round many times.  A
	 * tenth of a second is thousands of rounds in either lab; a whole
	 * second cost 170 s of Bochs wall time per case, whose clock stands
	 * nearly still while a guest does nothing but exit.
	 */
	vcpu_thread_wait(&vt, 0.1);
	if (atomic_load(&vt.done)) {
		pthread_join(vt.thread, NULL);
		log_db(_metadata, t);
		if (vt.ret == 0 && vt.vcpu->run->exit_reason == HVM_EXIT_HLT &&
		    guest_result(t, RES_ARMED))
			SKIP(return, "%s: no recursion on this CPU (handler ran %llu times, then vector %llu)",
			     what,
			     (unsigned long long)guest_result(t, RES_DB_COUNT),
			     (unsigned long long)guest_result(t, RES_OTHER_VECTOR));
		ASSERT_TRUE(false)
			TH_LOG("HVM_RUN returned %d, exit %s, armed %llu", vt.ret,
			       exit_reason_str(vt.vcpu->run->exit_reason),
			       (unsigned long long)guest_result(t, RES_ARMED));
	}
	ASSERT_EQ(0, pthread_kill(vt.thread, SIGUSR1));
	ASSERT_TRUE(vcpu_thread_wait(&vt, 30))
		TH_LOG("%s: HVM_RUN did not return within 30s of the signal",
		       what);
	pthread_join(vt.thread, NULL);
	EXPECT_EQ(-EINTR, vt.ret) TH_LOG("HVM_RUN: %s", strerror(-vt.ret));
	EXPECT_EQ((uint32_t)HVM_EXIT_INTR, vt.vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vt.vcpu->run->exit_reason));
	EXPECT_EQ(0ULL, guest_result(t, RES_DB_COUNT))
		TH_LOG("the handler ran: the delivery did not recurse");
}

TEST_F_TIMEOUT(dbg, db_recursion, 90)
{
	guest_set_param(&self->t, 0, DBG_IST_RECURSION);
	expect_signal_ends_recursion(_metadata, &self->t, "#DB through IST");
}

FIXTURE(ac) {
	struct test_vm t;
};

FIXTURE_SETUP(ac)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(debugreg_guest_prot32),
				    GUEST_MODE_PROT32));
}

FIXTURE_TEARDOWN(ac)
{
	test_vm_destroy(&self->t);
}

TEST_F(ac, alignment_check)
{
	guest_set_param(&self->t, 0, AC_BASIC);
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	log_db(_metadata, &self->t);
	if (!guest_result(&self->t, RES_DB_COUNT) &&
	    guest_result(&self->t, RES_OTHER_VECTOR) == 6)
		SKIP(return, "no #AC: this CPU does not check alignment at CPL 3");
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_OTHER_VECTOR));
	EXPECT_EQ(1ULL, guest_result(&self->t, RES_DB_COUNT));
	/* Error code, CS of the frame (ring 3), the faulting EIP. */
	EXPECT_EQ(0ULL, guest_result(&self->t, RES_DB_DR6));
	EXPECT_EQ(0x1bULL, guest_result(&self->t, RES_DB_DR7));
	EXPECT_EQ(guest_result(&self->t, RES_EXPECT_RIP),
		  guest_result(&self->t, RES_DB_RIP));
}

TEST_F_TIMEOUT(ac, ac_recursion, 90)
{
	guest_set_param(&self->t, 0, AC_RECURSION);
	expect_signal_ends_recursion(_metadata, &self->t, "#AC at CPL 3");
}

TEST_HARNESS_MAIN
