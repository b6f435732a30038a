// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC timer (apic_timer_guest.c).  Times are taken
 * on the host around the guest's rt_sync() before arming and its end after
 * the last interrupt, so they can only be late, never early: the tests
 * assert counts and lower bounds, never latency.
 *
 * oneshot: 20 ms at divide-by-1 (the input clock is HVM_APIC_BUS_HZ);
 *   one interrupt, no earlier than 20 ms; the current count runs down.
 * periodic: N periods of 2 ms; the N-th tick no earlier than N * 2 ms
 *   after the start (ticks stay on the start's grid).
 * tsc_deadline: the handler's TSC is past the deadline; the MSR reads
 *   back the deadline while armed and 0 once it fired.
 * past_deadline_fires_at_once: a deadline already passed fires.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "apic_timer_test.h"

DECLARE_GUEST(apic_timer_guest);

#define ONESHOT_COUNT		20000000ULL	/* 20 ms at 1 GHz */
#define PERIOD_COUNT		2000000ULL	/* 2 ms */
#define PERIODS			10

FIXTURE(timer) {
	struct test_vm t;
};

FIXTURE_SETUP(timer)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(apic_timer_guest),
				    GUEST_MODE_LONG64));
	if (hvm_vm_check_extension(&self->t.vm, HVM_EXT_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel local APIC on this backend");
}

FIXTURE_TEARDOWN(timer)
{
	test_vm_destroy(&self->t);
}

#define R(i) guest_result(&self->t, (i))

/* Seconds between the guest's rt_sync() and its end. */
static double run_timed(struct __test_metadata *_metadata,
			FIXTURE_DATA(timer) *self)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	double start;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	start = now_seconds();
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(1ULL, R(0)) LOG_VCPU_STATE(vcpu);
	EXPECT_EQ(0ULL, R(63)) TH_LOG("unexpected vector %#llx",
				      (unsigned long long)R(63));
	return now_seconds() - start;
}

TEST_F_TIMEOUT(timer, oneshot, 60)
{
	double elapsed;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, TIMER_P_CASE, TIMER_CASE_ONESHOT);
	guest_set_param(&self->t, TIMER_P_COUNT, ONESHOT_COUNT);
	elapsed = run_timed(_metadata, self);
	EXPECT_EQ(1ULL, R(TIMER_R_COUNT));
	EXPECT_GE(elapsed, ONESHOT_COUNT / 1e9);
	EXPECT_NE(0ULL, R(TIMER_R_TMCCT));
	EXPECT_LE(R(TIMER_R_TMCCT), ONESHOT_COUNT);
	TH_LOG("one-shot of %.3f s took %.3f s", ONESHOT_COUNT / 1e9, elapsed);
}

TEST_F_TIMEOUT(timer, periodic, 60)
{
	double elapsed;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, TIMER_P_CASE, TIMER_CASE_PERIODIC);
	guest_set_param(&self->t, TIMER_P_COUNT, PERIOD_COUNT);
	guest_set_param(&self->t, TIMER_P_PERIODS, PERIODS);
	elapsed = run_timed(_metadata, self);
	EXPECT_EQ((uint64_t)PERIODS, R(TIMER_R_COUNT));
	EXPECT_GE(elapsed, PERIODS * PERIOD_COUNT / 1e9);
	TH_LOG("%d periods of %.4f s took %.4f s", PERIODS,
	       PERIOD_COUNT / 1e9, elapsed);
}

TEST_F_TIMEOUT(timer, tsc_deadline, 60)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, TIMER_P_CASE, TIMER_CASE_DEADLINE);
	guest_set_param(&self->t, TIMER_P_COUNT, 20000000);
	run_timed(_metadata, self);
	EXPECT_EQ(1ULL, R(TIMER_R_COUNT));
	EXPECT_EQ(R(TIMER_R_DEADLINE), R(TIMER_R_READBACK));
	EXPECT_GE(R(TIMER_R_TSC_AT_IRQ), R(TIMER_R_DEADLINE));
	EXPECT_EQ(0ULL, R(TIMER_R_AFTER));
}

TEST_F_TIMEOUT(timer, past_deadline_fires_at_once, 60)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, TIMER_P_CASE, TIMER_CASE_PAST_DEADLINE);
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	EXPECT_EQ(1ULL, R(TIMER_R_DONE));
	EXPECT_EQ(1ULL, R(TIMER_R_COUNT));
	EXPECT_EQ(0ULL, R(TIMER_R_AFTER));
}

TEST_HARNESS_MAIN
