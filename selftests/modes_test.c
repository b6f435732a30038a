// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in each CPU mode compute something and leave results in registers
 * and memory (see the modes_guest_*.S files for what each proves).
 *
 * real_mode: 16-bit code, segment bases applied to data accesses.
 * protected_mode_32: flat 32-bit code, stack, addressing past 64 KiB.
 * long_mode_64: 64-bit code with paging on (CR0.PG, CR4.PAE, EFER.LMA as
 *   the guest reads them and as HVM_GET_SREGS reports them).
 * Each ends in HLT with RIP inside the guest image.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(modes_guest_real);
DECLARE_GUEST(modes_guest_prot32);
DECLARE_GUEST(modes_guest_long64);

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define SEG_ATTR_L	(1U << 9)
#define SEG_ATTR_DB	(1U << 10)

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

static void expect_rip_in_image(struct __test_metadata *_metadata,
				struct hvm_vcpu_handle *vcpu,
				struct guest_blob guest)
{
	uint64_t rip = vcpu->run->regs.rip;

	EXPECT_LT(GUEST_CODE_GPA, rip);
	EXPECT_GE(GUEST_CODE_GPA + (guest.end - guest.start), rip)
		TH_LOG("RIP %#llx outside the guest", (unsigned long long)rip);
}

TEST_F(guest, real_mode)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_regs *regs;
	struct hvm_sregs sregs;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(modes_guest_real),
				    GUEST_MODE_REAL));
	regs = &vcpu->run->regs;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);

	EXPECT_EQ(5050ULL, regs->rax & 0xffff);
	EXPECT_EQ(5050ULL, guest_result(&self->t, 0) & 0xffff);
	EXPECT_EQ(5050ULL, regs->rbx & 0xffff);
	EXPECT_EQ(5050ULL, regs->rsi & 0xffff);
	EXPECT_EQ(0x12345678ULL, guest_result(&self->t, 1) & 0xffffffff);
	/* Nothing may land where a segment-less store would have gone. */
	EXPECT_EQ(0, *(uint16_t *)guest_ptr(&self->t, 0));
	expect_rip_in_image(_metadata, vcpu, GUEST(modes_guest_real));

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_SREGS, &sregs));
	EXPECT_EQ(0ULL, sregs.cr0 & X86_CR0_PE);
	EXPECT_EQ(GUEST_RESULT_GPA >> 4, sregs.ds.selector);
	EXPECT_EQ(GUEST_RESULT_GPA, sregs.ds.base);
}

TEST_F(guest, protected_mode_32)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_regs *regs;
	struct hvm_sregs sregs;
	uint32_t scratch;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(modes_guest_prot32),
				    GUEST_MODE_PROT32));
	regs = &vcpu->run->regs;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);

	EXPECT_EQ(832040ULL, regs->rax & 0xffffffff);
	EXPECT_EQ(832040ULL, guest_result(&self->t, 0) & 0xffffffff);
	EXPECT_EQ(832040ULL, regs->rsi & 0xffffffff);
	EXPECT_TRUE(!!(guest_result(&self->t, 1) & X86_CR0_PE));
	EXPECT_FALSE(!!(guest_result(&self->t, 1) & X86_CR0_PG));
	memcpy(&scratch, guest_ptr(&self->t, GUEST_SCRATCH_GPA + 0x12345), 4);
	EXPECT_EQ(0xdeadbeef, scratch);
	expect_rip_in_image(_metadata, vcpu, GUEST(modes_guest_prot32));

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_SREGS, &sregs));
	EXPECT_TRUE(!!(sregs.cr0 & X86_CR0_PE));
	EXPECT_TRUE(!!(sregs.cs.attrib & SEG_ATTR_DB));
	EXPECT_FALSE(!!(sregs.efer & EFER_LMA));
}

TEST_F(guest, long_mode_64)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_regs *regs;
	struct hvm_sregs sregs;
	uint64_t cr3;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(modes_guest_long64),
				    GUEST_MODE_LONG64));
	regs = &vcpu->run->regs;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);

	EXPECT_EQ(2880067194370816120ULL, guest_result(&self->t, 0));
	EXPECT_EQ(X86_CR0_PE | X86_CR0_PG,
		  guest_result(&self->t, 1) & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_TRUE(!!(guest_result(&self->t, 2) & X86_CR4_PAE));
	EXPECT_EQ(EFER_LME | EFER_LMA,
		  guest_result(&self->t, 3) & (EFER_LME | EFER_LMA));
	cr3 = guest_result(&self->t, 4);
	EXPECT_LE(GUEST_PT_GPA, cr3);
	EXPECT_GT(GUEST_PT_GPA + 6 * 4096, cr3);
	EXPECT_EQ(0x0123456789abcdefULL, regs->r15);
	EXPECT_EQ(0x0123456789abcdefULL, regs->r14);
	expect_rip_in_image(_metadata, vcpu, GUEST(modes_guest_long64));

	ASSERT_EQ(0, ioctl(vcpu->fd, HVM_GET_SREGS, &sregs));
	EXPECT_TRUE(!!(sregs.efer & EFER_LMA));
	EXPECT_TRUE(!!(sregs.cs.attrib & SEG_ATTR_L));
	EXPECT_EQ(cr3, sregs.cr3);
}

TEST_HARNESS_MAIN
