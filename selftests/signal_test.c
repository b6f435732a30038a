// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and HVM_RUN (see signal_guest.S).
 *
 * eintr_and_resume: a signal to the thread sitting in HVM_RUN (guest in a
 *   tight loop, no exits of its own) makes HVM_RUN fail with EINTR
 *   promptly, with exit reason HVM_EXIT_INTR and RIP inside the loop; a
 *   second HVM_RUN continues the same guest (the counter keeps growing
 *   from where it was) until the test lets it halt.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(signal_guest);

struct vcpu_thread {
	pthread_t thread;
	struct hvm_vcpu_handle *vcpu;
	atomic_bool done;
	int ret;
	double returned_at;
};

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *vt = arg;

	vt->ret = hvm_vcpu_run(vt->vcpu);
	vt->returned_at = now_seconds();
	atomic_store(&vt->done, true);
	return NULL;
}

static void on_sigusr1(int sig)
{
}

static bool wait_done(struct vcpu_thread *vt, double seconds)
{
	double deadline = now_seconds() + seconds;

	while (!atomic_load(&vt->done) && now_seconds() < deadline)
		usleep(1000);
	return atomic_load(&vt->done);
}

FIXTURE(vm) {
	struct test_vm t;
	struct vcpu_thread vt;
	bool running;
};

FIXTURE_SETUP(vm)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	/* No SA_RESTART: the interrupted ioctl must come back as EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(signal_guest),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(vm)
{
	guest_set_param(&self->t, 0, 1);
	if (self->running)
		pthread_join(self->vt.thread, NULL);
	test_vm_destroy(&self->t);
}

static uint64_t loop_count(struct test_vm *t)
{
	return __atomic_load_n((uint64_t *)guest_ptr(t, GUEST_RESULT(0)),
			       __ATOMIC_RELAXED);
}

TEST_F_TIMEOUT(vm, eintr_and_resume, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint64_t at_signal, rip;
	double deadline, sent;

	self->vt.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&self->vt.thread, NULL, vcpu_thread_fn,
				    &self->vt));
	self->running = true;

	deadline = now_seconds() + 20;
	while (loop_count(&self->t) == 0 && now_seconds() < deadline)
		usleep(1000);
	ASSERT_NE(0ULL, loop_count(&self->t)) TH_LOG("the guest never ran");
	ASSERT_FALSE(atomic_load(&self->vt.done))
		TH_LOG("HVM_RUN returned on its own: %d, exit %s", self->vt.ret,
		       exit_reason_str(vcpu->run->exit_reason));

	sent = now_seconds();
	ASSERT_EQ(0, pthread_kill(self->vt.thread, SIGUSR1));
	ASSERT_TRUE(wait_done(&self->vt, 5))
		TH_LOG("HVM_RUN did not return within 5s of the signal");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	TH_LOG("HVM_RUN returned %.1f ms after the signal",
	       (self->vt.returned_at - sent) * 1000);

	EXPECT_EQ(-EINTR, self->vt.ret)
		TH_LOG("HVM_RUN: %s", strerror(-self->vt.ret));
	EXPECT_EQ((uint32_t)HVM_EXIT_INTR, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	rip = vcpu->run->regs.rip;
	EXPECT_LE(guest_result(&self->t, 1), rip);
	EXPECT_GT(guest_result(&self->t, 2), rip)
		TH_LOG("RIP %#llx outside the loop", (unsigned long long)rip);
	at_signal = loop_count(&self->t);

	/* Resume: the same loop continues. */
	atomic_store(&self->vt.done, false);
	ASSERT_EQ(0, pthread_create(&self->vt.thread, NULL, vcpu_thread_fn,
				    &self->vt));
	self->running = true;
	deadline = now_seconds() + 20;
	while (loop_count(&self->t) <= at_signal && now_seconds() < deadline)
		usleep(1000);
	EXPECT_LT(at_signal, loop_count(&self->t))
		TH_LOG("the guest did not continue");
	EXPECT_FALSE(atomic_load(&self->vt.done))
		TH_LOG("second HVM_RUN returned early: %d, exit %s",
		       self->vt.ret, exit_reason_str(vcpu->run->exit_reason));

	guest_set_param(&self->t, 0, 1);
	ASSERT_TRUE(wait_done(&self->vt, 10));
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	EXPECT_EQ(0, self->vt.ret);
	EXPECT_EQ((uint32_t)HVM_EXIT_HLT, vcpu->run->exit_reason);
	EXPECT_EQ(guest_result(&self->t, 2) + 1, vcpu->run->regs.rip);
}

TEST_HARNESS_MAIN
