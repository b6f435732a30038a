// SPDX-License-Identifier: GPL-2.0
/*
 * Triple fault.
 *
 * long_mode / real_mode (variants): a guest with an empty IDT faults;
 *   HVM_RUN reports HVM_EXIT_SHUTDOWN (SVM exit code 0x7f on AMD) instead
 *   of hanging or resetting; running it again does not crash the host
 *   (any result but success-with-a-new-exit is accepted: the vCPU is
 *   dead); the VM and vCPU can be closed, and a fresh VM afterwards runs a
 *   HLT guest normally.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(shutdown_guest_long64);
DECLARE_GUEST(shutdown_guest_real);
DECLARE_GUEST(shutdown_guest_hlt);

#define SVM_EXIT_SHUTDOWN	0x7fULL

FIXTURE(vm) {
	struct test_vm t;
	struct hvm_caps caps;
};

FIXTURE_VARIANT(vm) {
	const uint8_t *guest_start;
	const uint8_t *guest_end;
	enum guest_mode mode;
};

FIXTURE_VARIANT_ADD(vm, long_mode) {
	.guest_start = shutdown_guest_long64_start,
	.guest_end = shutdown_guest_long64_end,
	.mode = GUEST_MODE_LONG64,
};

FIXTURE_VARIANT_ADD(vm, real_mode) {
	.guest_start = shutdown_guest_real_start,
	.guest_end = shutdown_guest_real_end,
	.mode = GUEST_MODE_REAL,
};

FIXTURE_SETUP(vm)
{
	struct guest_blob guest = { variant->guest_start, variant->guest_end };

	ASSERT_EQ(0, test_vm_create(&self->t, guest, variant->mode));
	self->caps.size = sizeof(self->caps);
	ASSERT_EQ(0, hvm_get_caps(self->t.vm.sys_fd, &self->caps));
}

FIXTURE_TEARDOWN(vm)
{
	test_vm_destroy(&self->t);
}

TEST_F(vm, triple_fault)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct test_vm fresh;
	int ret;

	RUN_EXPECT(vcpu, HVM_EXIT_SHUTDOWN);
	if (self->caps.vendor == HVM_VENDOR_AMD)
		EXPECT_EQ(SVM_EXIT_SHUTDOWN, vcpu->run->hw.hw_exit_code);

	/* A shut-down vCPU must not run on as if nothing happened. */
	ret = hvm_vcpu_run(vcpu);
	if (ret == 0)
		EXPECT_EQ((uint32_t)HVM_EXIT_SHUTDOWN, vcpu->run->exit_reason)
			TH_LOG("second run after shutdown: exit %s",
			       exit_reason_str(vcpu->run->exit_reason));

	test_vm_destroy(&self->t);

	ASSERT_EQ(0, test_vm_create(&fresh, GUEST(shutdown_guest_hlt),
				    GUEST_MODE_LONG64));
	RUN_EXPECT(&fresh.vcpus[0], HVM_EXIT_HLT);
	test_vm_destroy(&fresh);
}

TEST_HARNESS_MAIN
