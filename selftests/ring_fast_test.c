// SPDX-License-Identifier: GPL-2.0
/*
 * The fast paths of guest reads (see ring_fast_guest.S): hvm_run.nr_exits
 * counts the exits the guest's instructions cost (not host interrupts),
 * so a read that costs a second exit shows.
 *
 * user_read_one_exit: without a ring, each port and MMIO read exits to
 *   userspace once; the next HVM_RUN finishes it with the answer (the guest
 *   finds the value) and the guest's next exit is the next read: one exit
 *   per read, nothing more.
 *
 * set_regs_runs_again: after HVM_SET_REGS between the exit and the answer
 *   the kernel does not finish the read on the old state; the guest
 *   executes the instruction again (a second exit, counted) and still
 *   gets the answer.  This is the path the fast one must not take.
 *
 * eintr_while_polling: through the ring, with ring_poll_max_ns raised so
 *   that the vCPU polls: a signal while the helper holds the read makes
 *   HVM_RUN fail with EINTR; once the helper answers, the next HVM_RUN
 *   finishes the read without re-entering the guest for it (one exit per
 *   read across the interruption) and the guest got every answer.
 *
 * helper_death_while_polling: the helper process dies while it holds a
 *   read and the vCPU polls for it: HVM_RUN fails with EPIPE and the guest
 *   did not get a value for that read.
 *
 * Both ring cases save ring_poll_max_ns and put it back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(ring_fast_guest);

#define POLL_PARAM	"/sys/module/hvm/parameters/ring_poll_max_ns"
/* Long enough that the vCPU is still polling when the test acts. */
#define POLL_LONG_NS	"2000000000"
#define HELD_PORT	(GUEST_PORT_DATA + 1)
#define VALUE_DATA	0x5aULL
#define VALUE_HELD	0xa5ULL
#define VALUE_MMIO	0x12345678ULL

static int read_param(char *buf, size_t size)
{
	FILE *f = fopen(POLL_PARAM, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	return ok ? 0 : -EIO;
}

static int write_param(const char *value)
{
	FILE *f = fopen(POLL_PARAM, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(value, f) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* The helper's answers; the held read waits for release. */
struct answers {
	atomic_bool held;	/* the held read arrived */
	atomic_bool release;	/* the test lets it go */
	bool die_on_held;	/* helper process: exit instead */
};

static int answer(void *opaque, struct hvm_ring_slot *slot)
{
	struct answers *a = opaque;

	if (slot->is_write)
		return 0;
	if (slot->space == HVM_IO_MMIO) {
		slot->data = VALUE_MMIO;
		return 0;
	}
	if (slot->addr != HELD_PORT) {
		slot->data = VALUE_DATA;
		return 0;
	}
	if (a->die_on_held)
		_exit(0);
	atomic_store(&a->held, true);
	while (!atomic_load(&a->release))
		usleep(1000);
	slot->data = VALUE_HELD;
	return 0;
}

FIXTURE(vm) {
	struct test_vm t;
	struct vcpu_thread vt;
	bool running;
	struct ring_helper helper;
	struct answers answers;
	char saved[32];
	pid_t child;
};

FIXTURE_SETUP(vm)
{
	ASSERT_EQ(0, sigusr1_interrupts());
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(ring_fast_guest),
				    GUEST_MODE_LONG64));
	/*
	 * To the first HLT: the pages the reads store to and the guest page
	 * tables of the MMIO read are mapped after it.
	 */
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_MMIO);
	self->t.vcpus[0].run->io.data = 0;
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
}

FIXTURE_TEARDOWN(vm)
{
	atomic_store(&self->answers.release, true);
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->running)
		pthread_join(self->vt.thread, NULL);
	ring_helper_stop(&self->helper);
	test_vm_destroy(&self->t);
	if (self->saved[0])
		write_param(self->saved);
}

static uint64_t exits(struct hvm_vcpu_handle *vcpu)
{
	return __atomic_load_n(&vcpu->run->nr_exits, __ATOMIC_RELAXED);
}

TEST_F(vm, user_read_one_exit)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_run *run = vcpu->run;
	uint64_t before;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		before = exits(vcpu);
		RUN_EXPECT(vcpu, i < 4 ? HVM_EXIT_IO : HVM_EXIT_MMIO);
		EXPECT_EQ(before + 1, exits(vcpu)) TH_LOG("read %u", i);
		EXPECT_EQ(0, run->io.is_write);
		run->io.data = i < 4 ? VALUE_DATA + i : VALUE_MMIO;
	}
	before = exits(vcpu);
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(before + 1, exits(vcpu));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(VALUE_DATA + i, guest_result(&self->t, i) & 0xff);
	EXPECT_EQ(VALUE_MMIO, guest_result(&self->t, 4));
}

TEST_F(vm, set_regs_runs_again)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_run *run = vcpu->run;
	struct hvm_regs regs;
	uint64_t before;

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	run->io.data = VALUE_DATA;
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &regs));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_REGS, &regs));
	before = exits(vcpu);
	/* The IN again (answered from what we gave), then the next IN. */
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	EXPECT_EQ(before + 2, exits(vcpu));
	EXPECT_EQ(VALUE_DATA, guest_result(&self->t, 0) & 0xff);
}

/* Raise the poll time; the first reads teach the vCPU to poll. */
static int poll_long(struct __test_metadata *_metadata,
		     FIXTURE_DATA(vm) *self)
{
	int ret = read_param(self->saved, sizeof(self->saved));

	if (ret)
		return ret;
	return write_param(POLL_LONG_NS);
}

TEST_F_TIMEOUT(vm, eintr_while_polling, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint64_t before = exits(vcpu);
	unsigned int i;

	ASSERT_EQ(0, poll_long(_metadata, self));
	ASSERT_EQ(0, ring_helper_start(&self->helper, &self->t.vm, NULL,
				       answer, &self->answers));

	ASSERT_EQ(0, vcpu_thread_start(&self->vt, vcpu));
	self->running = true;
	while (!atomic_load(&self->answers.held))
		usleep(1000);
	ASSERT_EQ(0, pthread_kill(self->vt.thread, SIGUSR1));
	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 30))
		TH_LOG("HVM_RUN did not return for the signal");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	EXPECT_EQ(-EINTR, self->vt.ret)
		TH_LOG("HVM_RUN: %s", strerror(-self->vt.ret));
	EXPECT_EQ((uint32_t)HVM_EXIT_INTR, vcpu->run->exit_reason);

	atomic_store(&self->answers.release, true);
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	/* Five reads and the HLT: no read entered the guest twice. */
	EXPECT_EQ(before + 6, exits(vcpu));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(VALUE_DATA, guest_result(&self->t, i) & 0xff);
	EXPECT_EQ(VALUE_HELD, guest_result(&self->t, 3) & 0xff);
	EXPECT_EQ(VALUE_MMIO, guest_result(&self->t, 4));
	EXPECT_EQ(0, ring_helper_stop(&self->helper));
}

TEST_F_TIMEOUT(vm, helper_death_while_polling, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_ring_map map;
	int ring_fd, ret;

	ASSERT_EQ(0, poll_long(_metadata, self));
	ring_fd = hvm_ring_create(&self->t.vm);
	ASSERT_LE(0, ring_fd) TH_LOG("ring: %s", strerror(-ring_fd));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		self->answers.die_on_held = true;
		if (hvm_ring_map(ring_fd, &map))
			_exit(2);
		for (;;) {
			ret = hvm_ring_serve(&map, -1, NULL, answer,
					     &self->answers);
			if (ret && ret != -EINTR)
				_exit(3);
		}
	}
	/* The helper holds the only reference: its death closes the ring. */
	close(ring_fd);

	ASSERT_EQ(0, vcpu_thread_start(&self->vt, vcpu));
	self->running = true;
	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 30))
		TH_LOG("HVM_RUN still waits for a dead helper");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	EXPECT_EQ(-EPIPE, self->vt.ret)
		TH_LOG("HVM_RUN: %s", strerror(-self->vt.ret));
	EXPECT_EQ(self->child, waitpid(self->child, &ret, 0));
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	for (unsigned int i = 0; i < 3; i++)
		EXPECT_EQ(VALUE_DATA, guest_result(&self->t, i) & 0xff);
	EXPECT_EQ(0ULL, guest_result(&self->t, 3));
}

TEST_HARNESS_MAIN
