// SPDX-License-Identifier: GPL-2.0
/*
 * The platform MSRs hvm answers in the kernel (module/msr.c), as a guest
 * kernel sees them with RDMSR and WRMSR.
 *
 * mtrrs: MTRRcap (8 variable ranges, fixed ranges, WC; read-only), the
 *   default type as firmware leaves it (enabled, fixed on, WB), variable
 *   and fixed ranges written and read back, invalid memory types and
 *   reserved bits (including bits past MAXPHYADDR) refused with #GP; a
 *   second vCPU still has the reset values: the MTRRs are per vCPU.
 * vendor_msrs: on Intel the microcode revision (EDX, the host's), a zero
 *   PLATFORM_ID, FEATURE_CONTROL locked with VMX off (writes #GP),
 *   MISC_ENABLE (fast strings, no BTS/PEBS; fast strings may be turned
 *   off, LIMIT_CPUID may not be set), MISC_FEATURES_ENABLES 0; on AMD the
 *   patch level (EAX, the host's), HWCR (SMM lock, TscFreqSel; other
 *   values #GP), DE_CFG (setting LFENCE serializing is accepted), NB_CFG,
 *   OSVW and SYSCFG zero.  Not a single access leaves the kernel.
 * others_exit: an MSR hvm does not know, and the other vendor's platform
 *   MSRs, still exit to userspace as HVM_EXIT_MSR (api.rst).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <cpuid.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(msr_guest);

#define NO_FAULT	0xff
#define GP		13
#define MAX_ACCESSES	64U

struct msr_access {
	uint32_t index;
	bool write;
	uint64_t value;		/* to write */
	uint8_t vector;		/* expected: NO_FAULT or GP */
	bool check;		/* a read: compare with want */
	uint64_t want;
};

#define RD(i, w)	{ .index = (i), .vector = NO_FAULT, .check = true, .want = (w) }
#define RD_ANY(i)	{ .index = (i), .vector = NO_FAULT }
#define WR(i, v)	{ .index = (i), .write = true, .value = (v), .vector = NO_FAULT }
#define WR_GP(i, v)	{ .index = (i), .write = true, .value = (v), .vector = GP }

#define MTRRCAP		0xfe
#define MTRR_DEF_TYPE	0x2ff
#define MTRR_BASE0	0x200
#define MTRR_MASK0	0x201
#define MTRR_BASE7	0x20e
#define MTRR_FIX64K	0x250
#define MTRR_FIX16K_A	0x259
#define MTRR_FIX4K_F8	0x26f
#define WB_BYTES	0x0606060606060606ULL

FIXTURE(guest) {
	struct test_vm t;
	unsigned int user_exits;	/* HVM_EXIT_MSR seen */
	uint32_t user_index[MAX_ACCESSES];
};

FIXTURE_SETUP(guest)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(msr_guest),
				    GUEST_MODE_LONG64));
}

FIXTURE_TEARDOWN(guest)
{
	test_vm_destroy(&self->t);
}

/*
 * Runs the accesses on vCPU vcpu_idx to its HLT, answering (with #GP) the
 * MSRs that went to userspace, then checks each access.
 */
static void run_accesses(struct __test_metadata *_metadata,
			 FIXTURE_DATA(guest) *self, unsigned int vcpu_idx,
			 const struct msr_access *acc, unsigned int n)
{
	struct test_vm *t = &self->t;
	struct hvm_vcpu_handle *vcpu = &t->vcpus[vcpu_idx];
	char desc[160];
	unsigned int i;

	ASSERT_GE(MAX_ACCESSES, n);
	memset(guest_ptr(t, GUEST_RESULT_GPA), 0, 16 * n);
	guest_set_param(t, 0, n);
	for (i = 0; i < n; i++) {
		guest_set_param(t, 1 + 3 * i, acc[i].index);
		guest_set_param(t, 2 + 3 * i, acc[i].write);
		guest_set_param(t, 3 + 3 * i, acc[i].value);
	}
	self->user_exits = 0;
	for (;;) {
		ASSERT_EQ(0, hvm_vcpu_run(vcpu));
		if (vcpu->run->exit_reason == HVM_EXIT_HLT)
			break;
		ASSERT_EQ((uint32_t)HVM_EXIT_MSR, vcpu->run->exit_reason)
			TH_LOG("exit %s", exit_describe(vcpu->run, desc,
							sizeof(desc)));
		ASSERT_GT(MAX_ACCESSES, self->user_exits);
		self->user_index[self->user_exits++] = vcpu->run->msr.index;
		vcpu->run->msr.error = 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t value = guest_result(t, 2 * i);
		uint64_t vector = guest_result(t, 2 * i + 1);

		TH_LOG("%s %#x: %#llx vector %#llx",
		       acc[i].write ? "wrmsr" : "rdmsr", acc[i].index,
		       (unsigned long long)(acc[i].write ? acc[i].value : value),
		       (unsigned long long)vector);
		EXPECT_EQ(acc[i].vector, vector)
			TH_LOG("access %u (%#x): vector", i, acc[i].index);
		if (acc[i].check && vector == NO_FAULT)
			EXPECT_EQ(acc[i].want, value)
				TH_LOG("access %u: rdmsr %#x", i, acc[i].index);
	}
}

static unsigned int host_phys_bits(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx))
		return eax & 0xff;
	return 36;
}

TEST_F(guest, mtrrs)
{
	uint64_t phys_top = 1ULL << host_phys_bits();
	uint64_t mask = ((phys_top - 1) & ~0xfffffffULL) | 0x800;
	const struct msr_access acc[] = {
		RD(MTRRCAP, 0x508),
		WR_GP(MTRRCAP, 0x508),
		RD(MTRR_DEF_TYPE, 0xc06),
		WR(MTRR_DEF_TYPE, 0xc00),
		RD(MTRR_DEF_TYPE, 0xc00),
		WR_GP(MTRR_DEF_TYPE, 0xc02),		/* type 2 reserved */
		WR_GP(MTRR_DEF_TYPE, 0x1c06),		/* bit 12 reserved */
		RD(MTRR_BASE0, 0),
		WR(MTRR_BASE0, 0x80000006),
		WR(MTRR_MASK0, mask),
		RD(MTRR_BASE0, 0x80000006),
		RD(MTRR_MASK0, mask),
		WR(MTRR_BASE7, 0x1000001),		/* WC */
		RD(MTRR_BASE7, 0x1000001),
		WR_GP(MTRR_BASE0, 0x80000007),		/* type 7 */
		WR_GP(MTRR_BASE0, 0x80000106),		/* bit 8 reserved */
		WR_GP(MTRR_BASE0, phys_top | 6),	/* past MAXPHYADDR */
		WR_GP(MTRR_MASK0, mask | 1),		/* bit 0 reserved */
		RD(MTRR_BASE0, 0x80000006),
		RD(MTRR_FIX64K, WB_BYTES),
		RD(MTRR_FIX16K_A, 0),
		RD(MTRR_FIX4K_F8, WB_BYTES),
		WR(MTRR_FIX16K_A, 0x0001040500010405ULL),
		RD(MTRR_FIX16K_A, 0x0001040500010405ULL),
		WR_GP(MTRR_FIX4K_F8, 0x0606060606060602ULL),
		RD(MTRR_FIX4K_F8, WB_BYTES),
	};
	const struct msr_access fresh[] = {
		RD(MTRR_DEF_TYPE, 0xc06),
		RD(MTRR_BASE0, 0),
		RD(MTRR_MASK0, 0),
		RD(MTRR_FIX16K_A, 0),
	};
	struct hvm_vcpu_handle *second;

	run_accesses(_metadata, self, 0, acc, ARRAY_SIZE(acc));
	EXPECT_EQ(0U, self->user_exits);

	ASSERT_EQ(0, test_vm_add_vcpu(&self->t, &second));
	run_accesses(_metadata, self, 1, fresh, ARRAY_SIZE(fresh));
	EXPECT_EQ(0U, self->user_exits);
}

/* The host's microcode revision, as /proc/cpuinfo shows it. */
static bool host_microcode(uint64_t *rev)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool found = false;
	unsigned long long v;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "microcode : %llx", &v) == 1) {
			*rev = v;
			found = true;
		}
	}
	fclose(f);
	return found;
}

TEST_F(guest, vendor_msrs)
{
	const struct msr_access intel[] = {
		WR(0x8b, 0),
		RD_ANY(0x8b),
		RD(0x17, 0),
		RD(0x3a, 1),
		WR_GP(0x3a, 5),
		RD(0x1a0, 0x1801),
		WR(0x1a0, 0x1800),
		RD(0x1a0, 0x1800),
		WR_GP(0x1a0, 0x401801),			/* LIMIT_CPUID */
		RD(0x140, 0),
		WR(0x140, 0),
		WR_GP(0x140, 1),
	};
	const struct msr_access amd[] = {
		WR(0x8b, 0),
		RD_ANY(0x8b),
		RD(0xc0010015, 0x1000001),
		WR(0xc0010015, 0x1040001),		/* McStatusWrEn */
		WR_GP(0xc0010015, 0),
		WR(0xc0011029, 2),			/* LFENCE serializing */
		RD_ANY(0xc0011029),
		WR_GP(0xc0011029, 1 << 9),
		RD(0xc001001f, 0),
		WR(0xc001001f, 0),
		RD(0xc0010140, 0),
		RD(0xc0010141, 0),
		RD(0xc0010010, 0),
		WR(0xc0010010, 0),
		WR_GP(0xc0010010, 1 << 23),
	};
	bool is_amd = cpu_is_amd();
	const struct msr_access *acc = is_amd ? amd : intel;
	unsigned int n = is_amd ? ARRAY_SIZE(amd) : ARRAY_SIZE(intel);
	uint64_t ucode, rev;

	run_accesses(_metadata, self, 0, acc, n);
	EXPECT_EQ(0U, self->user_exits);

	/* Intel: the revision in EDX; AMD: the patch level in EAX. */
	ucode = guest_result(&self->t, 2);
	if (host_microcode(&rev))
		EXPECT_EQ(rev, is_amd ? ucode : ucode >> 32);
	if (is_amd)
		EXPECT_EQ(0ULL, guest_result(&self->t, 12) & ~2ULL);
}

TEST_F(guest, others_exit)
{
	const struct msr_access acc[] = {
		{ .index = 0x1abc, .vector = GP },
		/* The other vendor's platform MSR. */
		{ .index = cpu_is_amd() ? 0x3a : 0xc0010015, .vector = GP },
		{ .index = 0x1abc, .write = true, .vector = GP },
	};
	unsigned int i;

	run_accesses(_metadata, self, 0, acc, ARRAY_SIZE(acc));
	ASSERT_EQ(ARRAY_SIZE(acc), self->user_exits);
	for (i = 0; i < ARRAY_SIZE(acc); i++)
		EXPECT_EQ(acc[i].index, self->user_index[i]);
}

TEST_HARNESS_MAIN
