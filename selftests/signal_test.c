// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and HVM_RUN (see signal_guest.S).
 *
 * eintr_and_resume: a signal to the thread sitting in HVM_RUN (guest in a
 *   tight loop, no exits of its own) makes HVM_RUN fail with EINTR
 *   promptly, with exit reason HVM_EXIT_INTR and RIP inside the loop; a
 *   second HVM_RUN continues the same guest (the counter keeps growing
 *   from where it was) until the test lets it halt.
 *
 * eintr_after_refusal: entries the CPU refuses (AMD: CR0.NW without
 *   CR0.CD; both vendors: CR0.PG without CR0.PE in long mode) give
 *   HVM_EXIT_FAIL_ENTRY (or EINVAL from HVM_SET_SREGS) and leave the
 *   vCPU's registers exactly as set: no value of the CPU's own reaches
 *   userspace.  After a valid state is back, the guest runs again (on VMX
 *   a VMLAUNCH refused for its guest state leaves the VMCS unlaunched), and
 *   the tight loop with IF=0 is still taken out of the guest by a signal.  (QEMU's SVM stores its own
 *   registers and interrupt control into a refused VMCB; before hvm undid
 *   that, this guest held off every host interrupt of its CPU for good.)
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(signal_guest);

FIXTURE(vm) {
	struct test_vm t;
	struct vcpu_thread vt;
	bool running;
};

FIXTURE_SETUP(vm)
{
	ASSERT_EQ(0, sigusr1_interrupts());
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

/* HVM_RUN of vCPU 0 on a thread, until the guest loop is seen counting. */
static void start_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(vm) *self)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	double deadline;

	ASSERT_EQ(0, vcpu_thread_start(&self->vt, vcpu));
	self->running = true;
	deadline = now_seconds() + 20;
	while (loop_count(&self->t) == 0 && now_seconds() < deadline)
		usleep(1000);
	ASSERT_NE(0ULL, loop_count(&self->t))
		TH_LOG("the guest never ran: HVM_RUN %s, %d, exit %s",
		       atomic_load(&self->vt.done) ? "returned" : "running",
		       self->vt.ret, exit_reason_str(vcpu->run->exit_reason));
	ASSERT_FALSE(atomic_load(&self->vt.done))
		TH_LOG("HVM_RUN returned on its own: %d, exit %s", self->vt.ret,
		       exit_reason_str(vcpu->run->exit_reason));
}

/* A signal to the thread in HVM_RUN: EINTR and HVM_EXIT_INTR, promptly. */
static void kick_loop(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vm) *self)
{
	struct hvm_vcpu_handle *vcpu = self->vt.vcpu;
	double sent = now_seconds();

	ASSERT_EQ(0, pthread_kill(self->vt.thread, SIGUSR1));
	/* If not, the teardown lets the guest halt, which ends HVM_RUN. */
	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 5))
		TH_LOG("HVM_RUN did not return within 5s of the signal");
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	TH_LOG("HVM_RUN returned %.1f ms after the signal",
	       (self->vt.returned_at - sent) * 1000);
	EXPECT_EQ(-EINTR, self->vt.ret)
		TH_LOG("HVM_RUN: %s", strerror(-self->vt.ret));
	EXPECT_EQ((uint32_t)HVM_EXIT_INTR, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
}

TEST_F_TIMEOUT(vm, eintr_and_resume, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint64_t at_signal, rip;
	double deadline;

	start_loop(_metadata, self);
	kick_loop(_metadata, self);
	rip = vcpu->run->regs.rip;
	EXPECT_LE(guest_result(&self->t, 1), rip);
	EXPECT_GT(guest_result(&self->t, 2), rip)
		TH_LOG("RIP %#llx outside the loop", (unsigned long long)rip);
	at_signal = loop_count(&self->t);

	/* Resume: the same loop continues. */
	ASSERT_EQ(0, vcpu_thread_start(&self->vt, self->vt.vcpu));
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
	ASSERT_TRUE(vcpu_thread_wait(&self->vt, 10));
	pthread_join(self->vt.thread, NULL);
	self->running = false;
	EXPECT_EQ(0, self->vt.ret);
	EXPECT_EQ((uint32_t)HVM_EXIT_HLT, vcpu->run->exit_reason);
	EXPECT_EQ(guest_result(&self->t, 2) + 1, vcpu->run->regs.rip);
}

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)
#define VMEXIT_INVALID	0xffffffffULL

struct bad_state {
	const char *name;
	uint64_t cr0_set, cr0_clear;
	bool amd_only;
};

static const struct bad_state bad_states[] = {
	/* Refused by QEMU before it loads the guest's interrupt control. */
	{ "CR0.NW without CR0.CD", X86_CR0_NW, X86_CR0_CD, true },
	{ "CR0.PG without CR0.PE", X86_CR0_PG, X86_CR0_PE, false },
};

TEST_F_TIMEOUT(vm, eintr_after_refusal, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_sregs good, bad, seen;
	struct hvm_regs regs, seen_regs;
	struct hvm_caps caps = { .size = sizeof(caps) };
	unsigned int i, refused = 0;

	ASSERT_EQ(0, hvm_get_caps(self->t.vm.sys_fd, &caps));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_SREGS, &good));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &regs));
	for (i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		const struct bad_state *b = &bad_states[i];

		if (b->amd_only && caps.vendor != HVM_VENDOR_AMD)
			continue;
		bad = good;
		bad.cr0 = (bad.cr0 | b->cr0_set) & ~b->cr0_clear;
		if (ioctl(vcpu->fd, HVM_SET_SREGS, &bad) < 0) {
			EXPECT_EQ(EINVAL, errno);
			TH_LOG("%s: HVM_SET_SREGS refuses it", b->name);
			continue;
		}
		ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_REGS, &regs));
		RUN_EXPECT(vcpu, HVM_EXIT_FAIL_ENTRY);
		if (caps.vendor == HVM_VENDOR_AMD)
			EXPECT_EQ(VMEXIT_INVALID, vcpu->run->hw.hw_exit_code);
		refused++;

		ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_SREGS, &seen));
		ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &seen_regs));
		EXPECT_EQ(bad.cr0, seen.cr0) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.cr3, seen.cr3) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.cr4, seen.cr4) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.efer, seen.efer) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.gdt.base, seen.gdt.base) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.idt.base, seen.idt.base) TH_LOG("%s", b->name);
		EXPECT_EQ(bad.cs.selector, seen.cs.selector)
			TH_LOG("%s", b->name);
		EXPECT_EQ(bad.ss.selector, seen.ss.selector)
			TH_LOG("%s", b->name);
		EXPECT_EQ(regs.rip, seen_regs.rip) TH_LOG("%s", b->name);
		EXPECT_EQ(regs.rsp, seen_regs.rsp) TH_LOG("%s", b->name);
		EXPECT_EQ(regs.rax, seen_regs.rax) TH_LOG("%s", b->name);
		EXPECT_EQ(regs.rflags, seen_regs.rflags) TH_LOG("%s", b->name);
	}
	TH_LOG("%u refused entries", refused);

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_SREGS, &good));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_SET_REGS, &regs));
	/* The loop runs with IF=0 (libhvm's reset RFLAGS). */
	ASSERT_EQ(0ULL, regs.rflags & (1ULL << 9));
	start_loop(_metadata, self);
	kick_loop(_metadata, self);
}

TEST_HARNESS_MAIN
