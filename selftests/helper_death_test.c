// SPDX-License-Identifier: GPL-2.0
/*
 * A device helper dies in the middle of a request (see
 * helper_death_guest.S).
 *
 * killed_while_processing: a forked helper maps the ring, takes the
 *   guest's IN request (PENDING -> PROCESSING) and is SIGKILLed before
 *   completing it.  The HVM_RUN waiting for it fails with EPIPE within a
 *   second or two; a further HVM_RUN fails with EPIPE at once instead of
 *   waiting for a helper that will never come; the guest never saw a
 *   value; the VM and vCPU close without hanging.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(helper_death_guest);

/*
 * The doomed helper: claim the first PENDING slot, tell the parent which
 * one, then wait to be killed.  Never returns.
 */
static void doomed_helper(int ring_fd, int report_fd)
{
	struct hvm_ring_map map;
	double deadline = now_seconds() + 20;
	uint32_t i, expected;

	if (hvm_ring_map(ring_fd, &map) < 0)
		_exit(2);
	while (now_seconds() < deadline) {
		for (i = 0; i < map.hdr->nr_slots; i++) {
			expected = HVM_SLOT_PENDING;
			if (__atomic_compare_exchange_n(&map.slots[i].state,
							&expected,
							HVM_SLOT_PROCESSING,
							false,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				if (write(report_fd, &i, sizeof(i)) !=
				    sizeof(i))
					_exit(3);
				for (;;)
					pause();
			}
		}
		usleep(1000);
	}
	_exit(4);
}

FIXTURE(vm) {
	struct test_vm t;
	struct vcpu_thread vt;
	bool running;
	pid_t helper;
};

FIXTURE_SETUP(vm)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(helper_death_guest),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(vm)
{
	if (self->helper > 0) {
		kill(self->helper, SIGKILL);
		waitpid(self->helper, NULL, 0);
	}
	if (self->running)
		pthread_join(self->vt.thread, NULL);
	test_vm_destroy(&self->t);
}

TEST_F_TIMEOUT(vm, killed_while_processing, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct pollfd pfd;
	int report[2], ring_fd, ret;
	uint32_t claimed_slot;
	double killed_at, start;

	ring_fd = hvm_ring_create(&self->t.vm);
	ASSERT_LE(0, ring_fd) TH_LOG("ring: %s", strerror(-ring_fd));
	ASSERT_EQ(0, pipe(report));
	self->helper = fork();
	ASSERT_LE(0, self->helper);
	if (self->helper == 0) {
		close(report[0]);
		doomed_helper(ring_fd, report[1]);
	}
	/* The helper must hold the only references to the ring. */
	close(ring_fd);
	close(report[1]);

	ASSERT_EQ(0, vcpu_thread_start(&self->vt, vcpu));
	self->running = true;

	pfd.fd = report[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 20000)) TH_LOG("helper never got a request");
	ASSERT_EQ((ssize_t)sizeof(claimed_slot),
		  read(report[0], &claimed_slot, sizeof(claimed_slot)));
	close(report[0]);
	EXPECT_EQ(0ULL, claimed_slot);

	/* The vCPU must be waiting for the claimed request. */
	usleep(100000);
	ASSERT_FALSE(atomic_load(&self->vt.done))
		TH_LOG("HVM_RUN returned before the helper died: %d, exit %s",
		       self->vt.ret, exit_reason_str(vcpu->run->exit_reason));

	killed_at = now_seconds();
	ASSERT_EQ(0, kill(self->helper, SIGKILL));
	ASSERT_EQ(self->helper, waitpid(self->helper, NULL, 0));
	self->helper = 0;

	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 5))
		TH_LOG("HVM_RUN still waiting 5s after the helper died");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	EXPECT_EQ(-EPIPE, self->vt.ret)
		TH_LOG("HVM_RUN: %s", strerror(-self->vt.ret));
	EXPECT_GT(2.0, self->vt.returned_at - killed_at);
	EXPECT_EQ(0ULL, guest_result(&self->t, 0));

	/* Future requests fail at once too. */
	start = now_seconds();
	ASSERT_EQ(0, vcpu_thread_start(&self->vt, self->vt.vcpu));
	self->running = true;
	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 5))
		TH_LOG("second HVM_RUN waits for a dead helper");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	ret = self->vt.ret;
	EXPECT_EQ(-EPIPE, ret) TH_LOG("second HVM_RUN: %s", strerror(-ret));
	EXPECT_GT(2.0, self->vt.returned_at - start);
	EXPECT_EQ(0ULL, guest_result(&self->t, 0));

	start = now_seconds();
	test_vm_destroy(&self->t);
	EXPECT_GT(2.0, now_seconds() - start);
}

TEST_HARNESS_MAIN
