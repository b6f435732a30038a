// SPDX-License-Identifier: GPL-2.0
/*
 * I/O without a ring: HVM_RUN returns HVM_EXIT_IO / HVM_EXIT_MMIO with the
 * access in run->io, and a read completes with the value the test puts in
 * run->io.data before the next HVM_RUN.
 *
 * pio_and_mmio: an OUT byte (value masked to the access size), an IN word
 *   (only AX changes), a 4-byte MMIO store of an immediate, an 8-byte MMIO
 *   load and a 2-byte MMIO load into CX (the rest of RCX kept), each
 *   reported with the right port/gpa, size, direction and data.
 */
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(user_exit_guest);

FIXTURE(guest) {
	struct test_vm t;
};

FIXTURE_SETUP(guest)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(user_exit_guest),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(guest)
{
	test_vm_destroy(&self->t);
}

static void expect_io(struct __test_metadata *_metadata,
		      const struct hvm_run *run, uint64_t addr, int size,
		      int is_write)
{
	EXPECT_EQ(addr, run->io.addr);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(is_write, run->io.is_write);
}

TEST_F(guest, pio_and_mmio)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_run *run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	expect_io(_metadata, run, GUEST_PORT_DATA, 1, 1);
	EXPECT_EQ(0x5aULL, run->io.data);

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	expect_io(_metadata, run, GUEST_PORT_DATA + 2, 2, 0);
	run->io.data = 0xbeef;

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(0x111111111111beefULL, guest_result(&self->t, 0));
	expect_io(_metadata, run, GUEST_MMIO_GPA, 4, 1);
	EXPECT_EQ(0xdeadbeef, run->io.data);

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	expect_io(_metadata, run, GUEST_MMIO_GPA + 8, 8, 0);
	run->io.data = 0x0123456789abcdefULL;

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	expect_io(_metadata, run, GUEST_MMIO_GPA + 0x10, 2, 0);
	run->io.data = 0x4321;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(0x0123456789abcdefULL, guest_result(&self->t, 1));
	EXPECT_EQ(0xffffffffffff4321ULL, guest_result(&self->t, 2));
}

TEST_HARNESS_MAIN
