// SPDX-License-Identifier: GPL-2.0
/*
 * Exits the kernel reports or handles, in 64-bit guests.
 *
 * hlt: HVM_EXIT_HLT with RIP just past the HLT, twice (the second run
 *   resumes after the first HLT); registers edited in the run page with
 *   regs_dirty reach the guest.
 * cpuid: the guest sees exactly the table given to HVM_SET_CPUID in leaves
 *   that hold no feature bits (cpuid_test covers the masked ones): vendor
 *   leaf, a subleaf-significant leaf (4.0 and 4.1 differ), the hypervisor
 *   leaf and a leaf the test invented (whose subleaf does not matter).
 * msr: RDMSR/WRMSR of an MSR the kernel does not handle exit with
 *   HVM_EXIT_MSR and the index; the value the test supplies reaches the
 *   guest; error = 1 makes the guest take #GP (handled by its IDT) at the
 *   RDMSR; LSTAR/STAR round-trip in the kernel without exits.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(exits_guest_hlt);
DECLARE_GUEST(exits_guest_cpuid);
DECLARE_GUEST(exits_guest_msr);

#define MSR_UNHANDLED	0x1abcU

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

TEST_F(guest, hlt)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_run *run;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(exits_guest_hlt),
				    GUEST_MODE_LONG64));
	run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(run->regs.rbx, run->regs.rip);
	EXPECT_LT(GUEST_CODE_GPA, run->regs.rip);

	run->regs.rax = 0x600dcafe12345678ULL;
	run->regs_dirty = 1;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(run->regs.rbx, run->regs.rip);
	EXPECT_EQ(0x600dcafe12345678ULL, guest_result(&self->t, 0));
}

static const struct hvm_cpuid_entry cpuid_table[] = {
	/* Max basic leaf 7, vendor "hvmSelfTests" (EBX, EDX, ECX). */
	{ .function = 0x0, .eax = 0x7, .ebx = 0x536d7668, .edx = 0x54666c65,
	  .ecx = 0x73747365 },
	{ .function = 0x4, .index = 0, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0x1, .ebx = 0x11111111, .ecx = 0x22222222,
	  .edx = 0x33333333 },
	{ .function = 0x4, .index = 1, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0x44444444, .ebx = 0x55555555, .ecx = 0x66666666,
	  .edx = 0x77777777 },
	{ .function = 0x40000000, .eax = 0x4fff0001, .ebx = 0x53535353,
	  .ecx = 0x54545454, .edx = 0x55555555 },
	{ .function = 0x4fff0001, .eax = 0xcafe0001, .ebx = 0xcafe0002,
	  .ecx = 0xcafe0003, .edx = 0xcafe0004 },
};

TEST_F(guest, cpuid)
{
	/* Guest query n -> table entry. */
	static const unsigned int expected[] = { 0, 1, 2, 3, 4, 4 };
	const size_t nent = ARRAY_SIZE(cpuid_table);
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_cpuid *cpuid;
	unsigned int n;
	uint32_t seen[4];

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(exits_guest_cpuid),
				    GUEST_MODE_LONG64));
	cpuid = calloc(1, sizeof(*cpuid) + sizeof(cpuid_table));
	ASSERT_NE(NULL, cpuid);
	cpuid->nent = nent;
	memcpy(cpuid->entries, cpuid_table, sizeof(cpuid_table));
	ASSERT_EQ(0, ioctl(self->t.vm.vm_fd, HVM_SET_CPUID, cpuid))
		TH_LOG("HVM_SET_CPUID: %s", strerror(errno));
	free(cpuid);

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	for (n = 0; n < ARRAY_SIZE(expected); n++) {
		const struct hvm_cpuid_entry *e = &cpuid_table[expected[n]];

		memcpy(seen, guest_ptr(&self->t, GUEST_RESULT_GPA + 16 * n),
		       sizeof(seen));
		EXPECT_EQ(e->eax, seen[0]) TH_LOG("query %u EAX", n);
		EXPECT_EQ(e->ebx, seen[1]) TH_LOG("query %u EBX", n);
		EXPECT_EQ(e->ecx, seen[2]) TH_LOG("query %u ECX", n);
		EXPECT_EQ(e->edx, seen[3]) TH_LOG("query %u EDX", n);
	}
}

TEST_F(guest, msr)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_run *run;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(exits_guest_msr),
				    GUEST_MODE_LONG64));
	run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	EXPECT_EQ(MSR_UNHANDLED, run->msr.index);
	EXPECT_EQ(0, run->msr.is_write);
	EXPECT_EQ(MSR_UNHANDLED, run->regs.rcx & 0xffffffff);
	run->msr.data = 0x1122334455667788ULL;
	run->msr.error = 0;

	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	EXPECT_EQ(0x1122334455667788ULL, guest_result(&self->t, 0));
	EXPECT_EQ(MSR_UNHANDLED, run->msr.index);
	EXPECT_EQ(1, run->msr.is_write);
	EXPECT_EQ(0xcafef00ddeadbeefULL, run->msr.data);
	run->msr.error = 0;

	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	EXPECT_EQ(MSR_UNHANDLED + 1, run->msr.index);
	EXPECT_EQ(0, run->msr.is_write);
	run->msr.data = 0x9999999999999999ULL;
	run->msr.error = 1;

	/* LSTAR and STAR must not exit: the next exit is the final HLT. */
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(1ULL, guest_result(&self->t, 5)) TH_LOG("#GP count");
	EXPECT_EQ(0ULL, guest_result(&self->t, 6)) TH_LOG("#GP error code");
	EXPECT_EQ(guest_result(&self->t, 2), guest_result(&self->t, 7))
		TH_LOG("#GP RIP is not the RDMSR");
	EXPECT_EQ(0x5a5a5a5aULL, guest_result(&self->t, 1) & 0xffffffff);
	EXPECT_EQ(0xffffffff81234560ULL, guest_result(&self->t, 3));
	EXPECT_EQ(0x001b000812345678ULL, guest_result(&self->t, 4));
}

TEST_HARNESS_MAIN
