// SPDX-License-Identifier: GPL-2.0
/*
 * An event whose delivery exits (the frame's stack page is not in the
 * nested page tables yet) is delivered again, exactly once, as the guest
 * would have seen it without the exit (reinject_guest.S): INT3 and INT n
 * with the return address after the instruction (VMX re-injects them
 * with the exiting instruction's length; SVM runs the instruction
 * again), #UD at the UD2, #GP with its error code at the faulting load.
 */
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(reinject_guest);

FIXTURE(guest) {
	struct test_vm t;
};

FIXTURE_SETUP(guest)
{
}

FIXTURE_TEARDOWN(guest)
{
	test_vm_destroy(&self->t);
}

TEST_F(guest, delivery_on_unmapped_stack)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(reinject_guest),
				    GUEST_MODE_LONG64));
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);

	EXPECT_EQ(guest_result(&self->t, 8), guest_result(&self->t, 0))
		TH_LOG("INT3's return address");
	EXPECT_EQ(guest_result(&self->t, 9), guest_result(&self->t, 1))
		TH_LOG("INT $20's return address");
	EXPECT_EQ(guest_result(&self->t, 10), guest_result(&self->t, 2))
		TH_LOG("#UD's RIP");
	EXPECT_EQ(guest_result(&self->t, 11), guest_result(&self->t, 4))
		TH_LOG("#GP's RIP");
	EXPECT_EQ(0ULL, guest_result(&self->t, 3)) TH_LOG("#GP's error code");
	EXPECT_EQ(1ULL, guest_result(&self->t, 12)) TH_LOG("INT3 deliveries");
	EXPECT_EQ(1ULL, guest_result(&self->t, 13)) TH_LOG("INT $20 deliveries");
	EXPECT_EQ(1ULL, guest_result(&self->t, 14)) TH_LOG("#UD deliveries");
	EXPECT_EQ(1ULL, guest_result(&self->t, 15)) TH_LOG("#GP deliveries");
}

TEST_HARNESS_MAIN
