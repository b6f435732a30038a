// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs of one VM running at the same time (see smp_guest.S).
 *
 * two_vcpus_concurrently: a thread per vCPU sits in HVM_RUN while both
 *   guests' counters (in shared guest memory) keep increasing over the
 *   same window: one vCPU running does not block the other.  Setting the
 *   stop flag in guest memory lets both halt, and each HVM_RUN returns
 *   HVM_EXIT_HLT on its own vCPU.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(smp_guest);

#define NR_VCPUS 2

FIXTURE(vm) {
	struct test_vm t;
	struct vcpu_thread threads[NR_VCPUS];
	unsigned int started;
};

FIXTURE_SETUP(vm)
{
	struct hvm_vcpu_handle *vcpu;
	struct hvm_regs regs;
	unsigned int i;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(smp_guest),
				    GUEST_MODE_LONG64));
	for (i = 1; i < NR_VCPUS; i++)
		ASSERT_EQ(0, test_vm_add_vcpu(&self->t, &vcpu));
	for (i = 0; i < NR_VCPUS; i++) {
		vcpu = &self->t.vcpus[i];
		ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &regs));
		/* Counters a cache line apart. */
		regs.rsi = GUEST_RESULT(8 * i);
		ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_REGS, &regs));
	}
}

FIXTURE_TEARDOWN(vm)
{
	unsigned int i;

	/* Let any guest still spinning halt, so the threads can be joined. */
	guest_set_param(&self->t, 0, 1);
	for (i = 0; i < self->started; i++)
		pthread_join(self->threads[i].thread, NULL);
	test_vm_destroy(&self->t);
}

static uint64_t counter(struct test_vm *t, unsigned int i)
{
	return __atomic_load_n((uint64_t *)guest_ptr(t, GUEST_RESULT(8 * i)),
			       __ATOMIC_RELAXED);
}

TEST_F_TIMEOUT(vm, two_vcpus_concurrently, 60)
{
	uint64_t before[NR_VCPUS], after[NR_VCPUS];
	double deadline;
	unsigned int i;
	bool all_running;

	for (i = 0; i < NR_VCPUS; i++) {
		ASSERT_EQ(0, vcpu_thread_start(&self->threads[i],
					       &self->t.vcpus[i]));
		self->started++;
	}

	deadline = now_seconds() + 20;
	do {
		all_running = true;
		for (i = 0; i < NR_VCPUS; i++)
			all_running &= counter(&self->t, i) != 0;
		if (!all_running)
			usleep(10000);
	} while (!all_running && now_seconds() < deadline);
	for (i = 0; i < NR_VCPUS; i++) {
		bool returned = atomic_load(&self->threads[i].done);

		ASSERT_NE(0ULL, counter(&self->t, i))
			TH_LOG("vCPU %u never ran (HVM_RUN %s)", i,
			       returned ? "returned" : "still running");
	}

	/* Both counters must move within the same window. */
	for (i = 0; i < NR_VCPUS; i++)
		before[i] = counter(&self->t, i);
	usleep(300000);
	for (i = 0; i < NR_VCPUS; i++)
		after[i] = counter(&self->t, i);
	for (i = 0; i < NR_VCPUS; i++) {
		bool returned = atomic_load(&self->threads[i].done);

		EXPECT_LT(before[i], after[i]) TH_LOG("vCPU %u stalled", i);
		EXPECT_FALSE(returned)
			TH_LOG("vCPU %u left HVM_RUN early: %d, exit %s", i,
			       self->threads[i].ret,
			       exit_reason_str(self->t.vcpus[i].run->exit_reason));
	}
	TH_LOG("counters in 0.3s: %llu, %llu",
	       (unsigned long long)(after[0] - before[0]),
	       (unsigned long long)(after[1] - before[1]));

	guest_set_param(&self->t, 0, 1);
	for (i = 0; i < NR_VCPUS; i++) {
		pthread_join(self->threads[i].thread, NULL);
		EXPECT_EQ(0, self->threads[i].ret)
			TH_LOG("vCPU %u: %s", i,
			       strerror(-self->threads[i].ret));
		EXPECT_EQ((uint32_t)HVM_EXIT_HLT, self->t.vcpus[i].run->exit_reason)
			TH_LOG("vCPU %u: exit %s", i,
			       exit_reason_str(self->t.vcpus[i].run->exit_reason));
	}
	self->started = 0;
}

TEST_HARNESS_MAIN
