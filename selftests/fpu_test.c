// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's FPU registers are its own, and the VMM process's are its own.
 *
 * guest_state_kept: the guest (fpu_guest.S) fills XMM0-XMM15 and MXCSR and
 *   checks them after each of 500 rounds of an exit to this process (which
 *   meanwhile runs with MXCSR and the x87 control word of its own and
 *   clobbers its XMM registers) and an exit the kernel handles: every
 *   register held in every round.
 * host_state_kept: across each HVM_RUN this process's MXCSR and x87
 *   control word (callee-saved in the x86-64 ABI, so the C library keeps
 *   them) come back as they were, not as the guest left them.
 */
#include <stdint.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(fpu_guest);

#define ROUNDS		500
#define HOST_MXCSR	0x5f80		/* round up: the guest rounds down */
#define HOST_FCW	0x027f		/* 53-bit precision */

static uint32_t read_mxcsr(void)
{
	uint32_t v;

	asm volatile("stmxcsr %0" : "=m" (v));
	return v;
}

static uint16_t read_fcw(void)
{
	uint16_t v;

	asm volatile("fnstcw %0" : "=m" (v));
	return v;
}

FIXTURE(fpu) {
	struct test_vm t;
};

FIXTURE_SETUP(fpu)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(fpu_guest),
				    GUEST_MODE_LONG64));
	guest_set_param(&self->t, 0, ROUNDS);
}

FIXTURE_TEARDOWN(fpu)
{
	test_vm_destroy(&self->t);
}

TEST_F(fpu, guest_and_host_state_kept)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint32_t mxcsr = HOST_MXCSR, saved_mxcsr = read_mxcsr();
	uint16_t fcw = HOST_FCW, saved_fcw = read_fcw();
	unsigned int outs = 0, host_changed = 0;
	int ret;

	asm volatile("ldmxcsr %0" : : "m" (mxcsr));
	asm volatile("fldcw %0" : : "m" (fcw));
	for (;;) {
		ret = hvm_vcpu_run(vcpu);
		if (ret || vcpu->run->exit_reason != HVM_EXIT_IO)
			break;
		if (read_mxcsr() != HOST_MXCSR || read_fcw() != HOST_FCW)
			host_changed++;
		outs++;
		/* Registers the guest must not see: every XMM of ours. */
		asm volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			     "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm7\n\t"
			     "movdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm15"
			     : : : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
	}
	if (read_mxcsr() != HOST_MXCSR || read_fcw() != HOST_FCW)
		host_changed++;
	mxcsr = read_mxcsr();
	fcw = read_fcw();
	asm volatile("ldmxcsr %0" : : "m" (saved_mxcsr));
	asm volatile("fldcw %0" : : "m" (saved_fcw));

	ASSERT_EQ(0, ret);
	ASSERT_EQ((uint32_t)HVM_EXIT_HLT, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(1ULL, guest_result(&self->t, 0))
		TH_LOG("guest register %llu (2 + XMM number, 18 = MXCSR) changed after %llu rounds",
		       (unsigned long long)guest_result(&self->t, 0),
		       (unsigned long long)guest_result(&self->t, 1));
	EXPECT_EQ((uint64_t)ROUNDS, guest_result(&self->t, 1));
	EXPECT_EQ((unsigned int)ROUNDS, outs);
	EXPECT_EQ(0U, host_changed)
		TH_LOG("host MXCSR %#x FCW %#x after HVM_RUN", mxcsr, fcw);
}

TEST_HARNESS_MAIN
