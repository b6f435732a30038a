// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID that tells the truth.
 *
 * default_cpuid_honest: a guest under libhvm's default CPUID reads the
 *   feature words, then executes RDTSCP, RDPID, INVPCID, MOV CR4.OSXSAVE,
 *   XSETBV, XSAVE, XSAVES and an AVX instruction.  Every one whose feature
 *   is advertised must run without #UD/#GP.  In the VMX lab (Bochs: VMX
 *   leaves RDTSCP, INVPCID and XSAVES disabled, the host runs without
 *   XSAVE) an advertised feature faults; under QEMU's SVM every host
 *   feature works, so there the test only shows that nothing advertised
 *   faults.
 * supported_cpuid: HVM_GET_SUPPORTED_CPUID gives E2BIG and the count when
 *   nent is too small, then the table; it never offers VMX, SVM, MONITOR,
 *   x2APIC, TSC-deadline, OSXSAVE, XSAVES, the PMU leaf or the SVM leaf,
 *   it sets the hypervisor bit, offers XSAVE only when the host runs with
 *   it, and on VMX hides RDTSCP, RDPID and INVPCID.
 * set_cpuid_masks: a table offering everything (all feature bits set,
 *   VMX, SVM, XSAVES, a PMU) is accepted; HVM_GET_CPUID reads it back
 *   masked with the supported table, untouched outside the feature
 *   registers, and the guest's CPUID sees the masked values.
 * get_cpuid: HVM_GET_CPUID of a VM without a table is empty; E2BIG and the
 *   count when nent is too small; EINVAL for a non-zero reserved field.
 * per_vcpu_leaves: three vCPUs of one VM under the default table each read
 *   their own initial APIC ID (leaf 1 EBX) and x2APIC ID (leaf 0xb EDX,
 *   every subleaf), and all read one package of three cores with one
 *   thread each (leaf 1's logical count 4 with HTT, leaf 0xb's levels, on
 *   AMD 0x80000008 ECX); the hypervisor leaves give the signature
 *   "hvmhvmhvm", the TSC rate HVM_EXT_TSC_KHZ and a 1 GHz APIC bus; leaf 6
 *   has ARAT, 0x80000007 invariant TSC; APIC and TSC-deadline exactly when
 *   the in-kernel APIC exists (HVM_EXT_IRQCHIP), x2APIC never; on Intel
 *   leaf 0x15's crystal is the APIC bus and its ratio gives the TSC rate.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "cpuid_steps.h"

DECLARE_GUEST(cpuid_guest);
DECLARE_GUEST(cpuid_guest_query);

/* One feature the guest exercises: the CPUID bit that advertises it. */
struct feature_check {
	const char *name;
	unsigned int word;	/* CPUID_R_* */
	uint32_t bit;
	unsigned int step;	/* CPUID_S_* */
};

#define F_1_ECX_XSAVE		(1U << 26)
#define F_1_ECX_AVX		(1U << 28)
#define F_7_EBX_INVPCID		(1U << 10)
#define F_7_ECX_RDPID		(1U << 22)
#define F_81_EDX_RDTSCP		(1U << 27)
#define F_D1_EAX_XSAVES		(1U << 3)

static const struct feature_check feature_checks[] = {
	{ "RDTSCP", CPUID_R_81_EDX, F_81_EDX_RDTSCP, CPUID_S_RDTSCP },
	{ "RDPID", CPUID_R_7_ECX, F_7_ECX_RDPID, CPUID_S_RDPID },
	{ "INVPCID", CPUID_R_7_EBX, F_7_EBX_INVPCID, CPUID_S_INVPCID },
	{ "XSAVE (CR4.OSXSAVE)", CPUID_R_1_ECX, F_1_ECX_XSAVE,
	  CPUID_S_CR4_OSXSAVE },
	{ "XSAVE (XSETBV)", CPUID_R_1_ECX, F_1_ECX_XSAVE, CPUID_S_XSETBV },
	{ "XSAVE (XSAVE)", CPUID_R_1_ECX, F_1_ECX_XSAVE, CPUID_S_XSAVE },
	{ "XSAVES", CPUID_R_D1_EAX, F_D1_EAX_XSAVES, CPUID_S_XSAVES },
};

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

/* Runs the guest to its HLT and logs what it found. */
static void run_cpuid_guest(struct __test_metadata *_metadata,
			    struct test_vm *t)
{
	struct hvm_vcpu_handle *vcpu = &t->vcpus[0];
	unsigned int i;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(1ULL, guest_result(t, CPUID_DONE));
	TH_LOG("guest CPUID: 1.ecx %#llx 1.edx %#llx 7.ebx %#llx 7.ecx %#llx 80000001.edx %#llx d.1.eax %#llx",
	       (unsigned long long)guest_result(t, CPUID_R_1_ECX),
	       (unsigned long long)guest_result(t, CPUID_R_1_EDX),
	       (unsigned long long)guest_result(t, CPUID_R_7_EBX),
	       (unsigned long long)guest_result(t, CPUID_R_7_ECX),
	       (unsigned long long)guest_result(t, CPUID_R_81_EDX),
	       (unsigned long long)guest_result(t, CPUID_R_D1_EAX));
	for (i = 0; i < CPUID_NR_STEPS; i++)
		TH_LOG("step %u: vector %#llx", i,
		       (unsigned long long)guest_result(t, CPUID_S_RDTSCP + i));
}

static bool advertised(struct test_vm *t, unsigned int word, uint32_t bit)
{
	return guest_result(t, word) & bit;
}

TEST_F(guest, default_cpuid_honest)
{
	struct test_vm *t = &self->t;
	unsigned int i, eax, ebx, ecx, edx;
	bool ymm;

	ASSERT_EQ(0, test_vm_create(t, GUEST(cpuid_guest), GUEST_MODE_LONG64));
	run_cpuid_guest(_metadata, t);

	for (i = 0; i < ARRAY_SIZE(feature_checks); i++) {
		const struct feature_check *c = &feature_checks[i];

		if (!advertised(t, c->word, c->bit))
			continue;
		EXPECT_EQ(CPUID_NO_FAULT, guest_result(t, c->step))
			TH_LOG("%s is advertised but raised vector %llu",
			       c->name,
			       (unsigned long long)guest_result(t, c->step));
	}
	ymm = guest_result(t, CPUID_R_XCR0) & 4;
	if (advertised(t, CPUID_R_1_ECX, F_1_ECX_AVX) && ymm)
		EXPECT_EQ(CPUID_NO_FAULT, guest_result(t, CPUID_S_AVX))
			TH_LOG("AVX is advertised but raised vector %llu",
			       (unsigned long long)guest_result(t,
							       CPUID_S_AVX));

	/* A host kernel without XSAVE (OSXSAVE clear) cannot give XSAVE. */
	__cpuid(1, eax, ebx, ecx, edx);
	if (!(ecx & (1U << 27)))
		EXPECT_FALSE(advertised(t, CPUID_R_1_ECX, F_1_ECX_XSAVE))
			TH_LOG("XSAVE advertised while the host runs without it");
}

static const struct hvm_cpuid_entry *find_entry(const struct hvm_cpuid *c,
					       uint32_t function,
					       uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		const struct hvm_cpuid_entry *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & HVM_CPUID_SIGNIFICANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

static struct hvm_cpuid *alloc_cpuid(uint32_t nent)
{
	struct hvm_cpuid *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	if (c)
		c->nent = nent;
	return c;
}

#define F_1_ECX_MONITOR		(1U << 3)
#define F_1_ECX_VMX		(1U << 5)
#define F_1_ECX_X2APIC		(1U << 21)
#define F_1_ECX_TSC_DEADLINE	(1U << 24)
#define F_1_ECX_OSXSAVE		(1U << 27)
#define F_1_ECX_HYPERVISOR	(1U << 31)
#define F_81_ECX_SVM		(1U << 2)
#define F_1_EDX_APIC		(1U << 9)
#define F_1_EDX_HTT		(1U << 28)
#define F_6_EAX_ARAT		(1U << 2)
#define F_87_EDX_INVARIANT_TSC	(1U << 8)

TEST(supported_cpuid)
{
	const struct hvm_cpuid_entry *e;
	struct hvm_cpuid *c;
	unsigned int eax, ebx, ecx, edx;
	struct hvm_caps caps;
	uint32_t needed;
	int fd;

	fd = hvm_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hvm_get_caps(fd, &caps));

	c = alloc_cpuid(0);
	ASSERT_NE(NULL, c);
	ASSERT_IOCTL_ERRNO(E2BIG, fd, HVM_GET_SUPPORTED_CPUID, c);
	needed = c->nent;
	ASSERT_LT(0U, needed);
	ASSERT_GE((uint32_t)HVM_MAX_CPUID_ENTRIES, needed);
	free(c);

	c = alloc_cpuid(needed - 1);
	ASSERT_NE(NULL, c);
	ASSERT_IOCTL_ERRNO(E2BIG, fd, HVM_GET_SUPPORTED_CPUID, c);
	EXPECT_EQ(needed, c->nent);
	free(c);

	c = alloc_cpuid(needed + 5);
	ASSERT_NE(NULL, c);
	c->reserved = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, fd, HVM_GET_SUPPORTED_CPUID, c);
	c->reserved = 0;
	ASSERT_EQ(0, ioctl(fd, HVM_GET_SUPPORTED_CPUID, c))
		TH_LOG("HVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	EXPECT_EQ(needed, c->nent);

	e = find_entry(c, 0, 0);
	ASSERT_NE(NULL, e);
	EXPECT_LE(1U, e->eax);
	e = find_entry(c, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0U, e->ecx & (F_1_ECX_MONITOR | F_1_ECX_VMX |
				F_1_ECX_X2APIC | F_1_ECX_OSXSAVE));
	EXPECT_EQ(F_1_ECX_HYPERVISOR, e->ecx & F_1_ECX_HYPERVISOR);
	/* The APIC and its deadline timer are emulated, when they exist. */
	if (ioctl(fd, HVM_CHECK_EXTENSION, HVM_EXT_IRQCHIP) > 0) {
		EXPECT_EQ(F_1_ECX_TSC_DEADLINE, e->ecx & F_1_ECX_TSC_DEADLINE);
		EXPECT_EQ(F_1_EDX_APIC, e->edx & F_1_EDX_APIC);
	} else {
		EXPECT_EQ(0U, e->ecx & F_1_ECX_TSC_DEADLINE);
		EXPECT_EQ(0U, e->edx & F_1_EDX_APIC);
	}

	__cpuid(1, eax, ebx, ecx, edx);
	if (!(ecx & F_1_ECX_OSXSAVE)) {
		EXPECT_EQ(0U, e->ecx & (F_1_ECX_XSAVE | F_1_ECX_AVX));
		EXPECT_EQ(NULL, find_entry(c, 0xd, 0));
	}
	e = find_entry(c, 0xd, 1);
	if (e)
		EXPECT_EQ(0U, e->eax & F_D1_EAX_XSAVES);
	EXPECT_EQ(NULL, find_entry(c, 0xa, 0)) TH_LOG("PMU leaf offered");
	EXPECT_EQ(NULL, find_entry(c, 0x8000000a, 0)) TH_LOG("SVM leaf");
	e = find_entry(c, 0x80000001, 0);
	if (e) {
		EXPECT_EQ(0U, e->ecx & F_81_ECX_SVM);
		if (caps.vendor == HVM_VENDOR_INTEL)
			EXPECT_EQ(0U, e->edx & F_81_EDX_RDTSCP);
	}
	e = find_entry(c, 7, 0);
	if (e && caps.vendor == HVM_VENDOR_INTEL) {
		EXPECT_EQ(0U, e->ebx & F_7_EBX_INVPCID);
		EXPECT_EQ(0U, e->ecx & F_7_ECX_RDPID);
	}
	free(c);
	close(fd);
}

/* Every feature bit set, plus leaves hvm hides. */
static const struct hvm_cpuid_entry greedy_table[] = {
	{ .function = 0x0, .eax = 0xd, .ebx = 0x756e6547, .edx = 0x49656e69,
	  .ecx = 0x6c65746e },
	{ .function = 0x1, .eax = 0x50654, .ebx = 0x12345678,
	  .ecx = 0xffffffff, .edx = 0xffffffff },
	{ .function = 0x7, .index = 0, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 5, .ebx = 0xffffffff, .ecx = 0xffffffff, .edx = 0xffffffff },
	{ .function = 0x7, .index = 3, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0xffffffff, .ebx = 0xffffffff },
	{ .function = 0xa, .eax = 0x07300805, .edx = 0x603 },
	{ .function = 0xd, .index = 0, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0xffffffff, .ebx = 0x1000, .ecx = 0x2000,
	  .edx = 0xffffffff },
	{ .function = 0xd, .index = 1, .flags = HVM_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0xffffffff, .ecx = 0xffffffff, .edx = 0xffffffff },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4d564d48 },
	{ .function = 0x80000001, .eax = 0x50654, .ecx = 0xffffffff,
	  .edx = 0xffffffff },
	{ .function = 0x8000000a, .eax = 1, .ebx = 16, .edx = 0xffffffff },
};

/* The masking api.rst describes, applied to one entry of greedy_table. */
static void expect_masked(struct hvm_cpuid_entry *want,
			  const struct hvm_cpuid *supported)
{
	const struct hvm_cpuid_entry *ok;
	uint32_t zero[4] = {}, allowed[4];

	ok = find_entry(supported, want->function, want->index);
	if (ok) {
		allowed[0] = ok->eax;
		allowed[1] = ok->ebx;
		allowed[2] = ok->ecx;
		allowed[3] = ok->edx;
	} else {
		memcpy(allowed, zero, sizeof(allowed));
	}
	switch (want->function) {
	case 0x1:
	case 0x80000001:
		want->ecx &= allowed[2];
		want->edx &= allowed[3];
		break;
	case 0x7:
		if (want->index == 0) {
			if (want->eax > allowed[0])
				want->eax = allowed[0];
			want->ebx &= allowed[1];
			want->ecx &= allowed[2];
			want->edx &= allowed[3];
		} else {
			want->eax &= allowed[0];
			want->ebx &= allowed[1];
			want->ecx &= allowed[2];
			want->edx &= allowed[3];
		}
		break;
	case 0xd:
		want->eax &= allowed[0];
		want->edx &= allowed[3];
		if (want->index == 1)
			want->ecx &= allowed[2];
		break;
	case 0xa:
	case 0x8000000a:
		want->eax = want->ebx = want->ecx = want->edx = 0;
		break;
	}
}

TEST_F(guest, set_cpuid_masks)
{
	const size_t nent = ARRAY_SIZE(greedy_table);
	struct test_vm *t = &self->t;
	struct hvm_cpuid_entry want[ARRAY_SIZE(greedy_table)];
	struct hvm_cpuid *supported, *c;
	const struct hvm_cpuid_entry *e;
	unsigned int i;

	ASSERT_EQ(0, test_vm_create(t, GUEST(cpuid_guest), GUEST_MODE_LONG64));
	ASSERT_EQ(0, hvm_get_supported_cpuid(t->vm.sys_fd, &supported));

	c = alloc_cpuid(nent);
	ASSERT_NE(NULL, c);
	memcpy(c->entries, greedy_table, sizeof(greedy_table));
	ASSERT_EQ(0, ioctl(t->vm.vm_fd, HVM_SET_CPUID, c))
		TH_LOG("HVM_SET_CPUID: %s", strerror(errno));
	memset(c->entries, 0, nent * sizeof(c->entries[0]));
	ASSERT_EQ(0, ioctl(t->vm.vm_fd, HVM_GET_CPUID, c))
		TH_LOG("HVM_GET_CPUID: %s", strerror(errno));
	ASSERT_EQ(nent, c->nent);

	memcpy(want, greedy_table, sizeof(want));
	for (i = 0; i < nent; i++) {
		expect_masked(&want[i], supported);
		EXPECT_EQ(0, memcmp(&want[i], &c->entries[i], sizeof(want[i])))
			TH_LOG("leaf %#x.%u: got %08x %08x %08x %08x, want %08x %08x %08x %08x",
			       want[i].function, want[i].index,
			       c->entries[i].eax, c->entries[i].ebx,
			       c->entries[i].ecx, c->entries[i].edx,
			       want[i].eax, want[i].ebx, want[i].ecx,
			       want[i].edx);
	}
	/* The bits no backend honours, whatever the host has. */
	e = find_entry(c, 1, 0);
	EXPECT_EQ(0U, e->ecx & (F_1_ECX_VMX | F_1_ECX_MONITOR |
				F_1_ECX_X2APIC | F_1_ECX_OSXSAVE));
	EXPECT_EQ(F_1_ECX_HYPERVISOR, e->ecx & F_1_ECX_HYPERVISOR);
	EXPECT_EQ(0U, find_entry(c, 0xd, 1)->eax & F_D1_EAX_XSAVES);
	EXPECT_EQ(0U, find_entry(c, 0x80000001, 0)->ecx & F_81_ECX_SVM);
	EXPECT_EQ(0U, find_entry(c, 0xa, 0)->eax);
	EXPECT_EQ(0x4d564d48U, find_entry(c, 0x40000000, 0)->ebx);

	/* The guest reads the masked table (CR4.OSXSAVE is still clear). */
	run_cpuid_guest(_metadata, t);
	e = find_entry(c, 1, 0);
	EXPECT_EQ(e->ecx, guest_result(t, CPUID_R_1_ECX));
	EXPECT_EQ(e->edx, guest_result(t, CPUID_R_1_EDX));
	e = find_entry(c, 7, 0);
	EXPECT_EQ(e->ebx, guest_result(t, CPUID_R_7_EBX));
	EXPECT_EQ(e->ecx, guest_result(t, CPUID_R_7_ECX));
	EXPECT_EQ(e->edx, guest_result(t, CPUID_R_7_EDX));
	e = find_entry(c, 0x80000001, 0);
	EXPECT_EQ(e->ecx, guest_result(t, CPUID_R_81_ECX));
	EXPECT_EQ(e->edx, guest_result(t, CPUID_R_81_EDX));
	EXPECT_EQ(find_entry(c, 0xd, 0)->eax, guest_result(t, CPUID_R_D0_EAX));
	EXPECT_EQ(find_entry(c, 0xd, 1)->eax, guest_result(t, CPUID_R_D1_EAX));
	free(c);
	free(supported);
}

TEST_F(guest, get_cpuid)
{
	struct test_vm *t = &self->t;
	struct hvm_cpuid *c, *supported;

	ASSERT_EQ(0, hvm_vm_create(&t->vm));
	c = alloc_cpuid(4);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, ioctl(t->vm.vm_fd, HVM_GET_CPUID, c))
		TH_LOG("HVM_GET_CPUID: %s", strerror(errno));
	EXPECT_EQ(0U, c->nent);

	ASSERT_EQ(0, hvm_vm_set_default_cpuid(&t->vm));
	ASSERT_EQ(0, hvm_get_supported_cpuid(t->vm.sys_fd, &supported));
	c->nent = 1;
	ASSERT_IOCTL_ERRNO(E2BIG, t->vm.vm_fd, HVM_GET_CPUID, c);
	EXPECT_EQ(supported->nent, c->nent);
	c->nent = 4;
	c->reserved = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, t->vm.vm_fd, HVM_GET_CPUID, c);
	free(c);

	/* The supported table is a fixed point of the masking. */
	c = alloc_cpuid(supported->nent);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, ioctl(t->vm.vm_fd, HVM_GET_CPUID, c));
	ASSERT_EQ(supported->nent, c->nent);
	EXPECT_EQ(0, memcmp(supported->entries, c->entries,
			    c->nent * sizeof(c->entries[0])));
	free(c);
	free(supported);
}

/* The queries of per_vcpu_leaves, in the order the guest runs them. */
static const uint32_t vcpu_queries[][2] = {
	{ 0, 0 }, { 1, 0 }, { 0xb, 0 }, { 0xb, 1 }, { 0xb, 2 },
	{ 0x80000008, 0 }, { 0x40000000, 0 }, { 0x40000010, 0 }, { 6, 0 },
	{ 0x80000007, 0 }, { 0x15, 0 },
};

enum { Q_0, Q_1, Q_B0, Q_B1, Q_B2, Q_88, Q_HV, Q_HV_TIMING, Q_6, Q_87, Q_15 };

#define NR_TOPO_VCPUS	3U

static uint32_t reg(struct test_vm *t, unsigned int query, unsigned int r)
{
	return guest_result(t, 4 * query + r);
}

TEST_F(guest, per_vcpu_leaves)
{
	struct test_vm *t = &self->t;
	struct hvm_vcpu_handle *vcpu;
	bool irqchip, amd = cpu_is_amd();
	uint32_t signature[3];
	unsigned int i, q;
	long tsc_khz;

	ASSERT_EQ(0, test_vm_create(t, GUEST(cpuid_guest_query),
				    GUEST_MODE_LONG64));
	for (i = 1; i < NR_TOPO_VCPUS; i++)
		ASSERT_EQ(0, test_vm_add_vcpu(t, &vcpu));
	irqchip = ioctl(t->vm.vm_fd, HVM_CHECK_EXTENSION, HVM_EXT_IRQCHIP) > 0;
	tsc_khz = ioctl(t->vm.vm_fd, HVM_CHECK_EXTENSION, HVM_EXT_TSC_KHZ);
	ASSERT_LT(0, tsc_khz);

	guest_set_param(t, 0, ARRAY_SIZE(vcpu_queries));
	for (q = 0; q < ARRAY_SIZE(vcpu_queries); q++) {
		guest_set_param(t, 1 + 2 * q, vcpu_queries[q][0]);
		guest_set_param(t, 2 + 2 * q, vcpu_queries[q][1]);
	}
	for (i = 0; i < NR_TOPO_VCPUS; i++) {
		memset(guest_ptr(t, GUEST_RESULT_GPA), 0,
		       32 * ARRAY_SIZE(vcpu_queries));
		RUN_EXPECT(&t->vcpus[i], HVM_EXIT_HLT);
		TH_LOG("vCPU %u: 1.ebx %#x 0xb.0 %#x/%#x/%#x 0xb.1 %#x/%#x/%#x 0x80000008.ecx %#x",
		       i, reg(t, Q_1, 1), reg(t, Q_B0, 1), reg(t, Q_B0, 2),
		       reg(t, Q_B0, 3), reg(t, Q_B1, 0), reg(t, Q_B1, 1),
		       reg(t, Q_B1, 2), reg(t, Q_88, 2));

		EXPECT_LE(0xbU, reg(t, Q_0, 0));
		/* Initial APIC ID, logical count (a power of two), HTT. */
		EXPECT_EQ(i, reg(t, Q_1, 1) >> 24);
		EXPECT_EQ(4U, (reg(t, Q_1, 1) >> 16) & 0xff);
		EXPECT_EQ(F_1_EDX_HTT, reg(t, Q_1, 3) & F_1_EDX_HTT);
		EXPECT_EQ(0U, reg(t, Q_1, 2) & F_1_ECX_X2APIC);
		EXPECT_EQ(irqchip ? F_1_EDX_APIC : 0, reg(t, Q_1, 3) & F_1_EDX_APIC);
		EXPECT_EQ(irqchip ? F_1_ECX_TSC_DEADLINE : 0,
			  reg(t, Q_1, 2) & F_1_ECX_TSC_DEADLINE);
		EXPECT_EQ(F_1_ECX_HYPERVISOR, reg(t, Q_1, 2) & F_1_ECX_HYPERVISOR);

		/* SMT level: 1 thread; core level: 3 cores, shift 2. */
		EXPECT_EQ(0U, reg(t, Q_B0, 0));
		EXPECT_EQ(1U, reg(t, Q_B0, 1));
		EXPECT_EQ(0x100U, reg(t, Q_B0, 2));
		EXPECT_EQ(2U, reg(t, Q_B1, 0));
		EXPECT_EQ(NR_TOPO_VCPUS, reg(t, Q_B1, 1));
		EXPECT_EQ(0x201U, reg(t, Q_B1, 2));
		EXPECT_EQ(0x2U, reg(t, Q_B2, 2));
		EXPECT_EQ(i, reg(t, Q_B0, 3));
		EXPECT_EQ(i, reg(t, Q_B1, 3));
		EXPECT_EQ(i, reg(t, Q_B2, 3));
		if (amd)
			EXPECT_EQ((2U << 12) | (NR_TOPO_VCPUS - 1),
				  reg(t, Q_88, 2));

		EXPECT_EQ(0x40000010U, reg(t, Q_HV, 0));
		signature[0] = reg(t, Q_HV, 1);
		signature[1] = reg(t, Q_HV, 2);
		signature[2] = reg(t, Q_HV, 3);
		EXPECT_EQ(0, memcmp(signature, "hvmhvmhvm\0\0", 12));
		EXPECT_EQ((uint32_t)tsc_khz, reg(t, Q_HV_TIMING, 0));
		EXPECT_EQ(1000000U, reg(t, Q_HV_TIMING, 1));
		EXPECT_EQ(F_6_EAX_ARAT, reg(t, Q_6, 0) & F_6_EAX_ARAT);
		EXPECT_EQ(F_87_EDX_INVARIANT_TSC,
			  reg(t, Q_87, 3) & F_87_EDX_INVARIANT_TSC);

		if (!amd) {
			/* crystal Hz * EBX / EAX = the TSC rate, 10 ppm. */
			double khz;

			ASSERT_NE(0U, reg(t, Q_15, 0));
			EXPECT_EQ(1000000000U, reg(t, Q_15, 2));
			khz = 1e6 * reg(t, Q_15, 1) / reg(t, Q_15, 0);
			EXPECT_GT(tsc_khz * 1e-5, khz > tsc_khz ?
				  khz - tsc_khz : tsc_khz - khz)
				TH_LOG("leaf 0x15 says %.1f kHz", khz);
		}
	}
}

TEST_HARNESS_MAIN
