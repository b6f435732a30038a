// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: the CPUID a guest may be shown.  At load the host's CPUID is reduced
 * to what the loaded backend honours (HVM_GET_SUPPORTED_CPUID), and every
 * table a VMM sets is masked with that (HVM_SET_CPUID).
 *
 * A feature stays only if its instructions and state work in the guest
 * with nothing more from hvm than what exists: no PMU, IA32_XSS or nested
 * virtualization; the local APIC and its TSC-deadline timer only when the
 * in-kernel APIC exists (HVM_EXT_IRQCHIP); MSRs outside the in-kernel set
 * exit to userspace, so MSR-based features are not offered (MTRRs are:
 * msr.c keeps them); XSAVE state only as far as the host's XCR0 goes,
 * since XSETBV is checked against it.
 *
 * The table is per VM; what differs between vCPUs (APIC IDs) and what
 * follows the VM's number of vCPUs (topology) is filled in at each CPUID
 * exit by hvm_cpuid_lookup().
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include <linux/gcd.h>
#include <linux/log2.h>

#include "hvm.h"

/* The bit of a feature inside its CPUID register. */
#define F(name)		BIT(X86_FEATURE_##name & 31)

/* Features that work natively in the guest, per feature register. */
#define CPUID_1_ECX_OK	(F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(FMA) |	\
			 F(CX16) | F(PCID) | F(XMM4_1) | F(XMM4_2) |	\
			 F(MOVBE) | F(POPCNT) | F(AES) | F(XSAVE) |	\
			 F(AVX) | F(F16C) | F(RDRAND))
#define CPUID_1_EDX_OK	(F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) |	\
			 F(MSR) | F(PAE) | F(CX8) | F(SEP) | F(PGE) |	\
			 F(CMOV) | F(PAT) | F(PSE36) | F(CLFLUSH) |	\
			 F(MMX) | F(FXSR) | F(XMM) | F(XMM2) |		\
			 F(SELFSNOOP) | F(MTRR))
#define CPUID_7_EBX_OK	(F(FSGSBASE) | F(BMI1) | F(HLE) | F(AVX2) |	\
			 F(FDP_EXCPTN_ONLY) | F(SMEP) | F(BMI2) |	\
			 F(ERMS) | F(INVPCID) | F(RTM) |		\
			 F(ZERO_FCS_FDS) | F(MPX) | F(AVX512F) |	\
			 F(AVX512DQ) | F(RDSEED) | F(ADX) | F(SMAP) |	\
			 F(AVX512IFMA) | F(CLFLUSHOPT) | F(CLWB) |	\
			 F(AVX512PF) | F(AVX512ER) | F(AVX512CD) |	\
			 F(SHA_NI) | F(AVX512BW) | F(AVX512VL))
#define CPUID_7_ECX_OK	(F(AVX512VBMI) | F(UMIP) | F(PKU) |		\
			 F(AVX512_VBMI2) | F(GFNI) | F(VAES) |		\
			 F(VPCLMULQDQ) | F(AVX512_VNNI) |		\
			 F(AVX512_BITALG) | F(AVX512_VPOPCNTDQ) |	\
			 F(LA57) | F(RDPID) | F(CLDEMOTE) | F(MOVDIRI) | \
			 F(MOVDIR64B))
#define CPUID_7_EDX_OK	(F(AVX512_4VNNIW) | F(AVX512_4FMAPS) | F(FSRM) | \
			 F(AVX512_VP2INTERSECT) | F(MD_CLEAR) |		\
			 F(SERIALIZE) | F(TSXLDTRK) | F(AVX512_FP16))
#define CPUID_7_1_EAX_OK (F(AVX_VNNI) | F(AVX512_BF16))
#define CPUID_D_1_EAX_OK (F(XSAVEOPT) | F(XSAVEC) | F(XGETBV1))
/* 0x80000001 EDX repeats these bits of leaf 1 EDX on AMD. */
#define CPUID_81_EDX_FROM_1	0x0183f3ffU
#define CPUID_81_EDX_OK	((CPUID_1_EDX_OK & CPUID_81_EDX_FROM_1) |	\
			 F(SYSCALL) | F(NX) | F(MMXEXT) | F(GBPAGES) |	\
			 F(RDTSCP) | F(LM) | F(3DNOWEXT) | F(3DNOW))
#define CPUID_81_ECX_OK	(F(LAHF_LM) | F(CR8_LEGACY) | F(ABM) |		\
			 F(SSE4A) | F(MISALIGNSSE) | F(3DNOWPREFETCH) |	\
			 F(XOP) | F(FMA4) | F(TBM))
#define CPUID_87_EDX_INVARIANT_TSC	BIT(8)
#define CPUID_6_EAX_ARAT		F(ARAT)
#define CPUID_1_EDX_HTT			F(HT)
#define CPUID_88_EBX_OK	(F(CLZERO) | F(XSAVEERPTR))
#define CPUID_88_EAX_ADDR_SIZES		0xffffU

/* Features that need XSAVE-managed state, by the XCR0 bits they need. */
#define YMM_1_ECX	(F(AVX) | F(FMA) | F(F16C))
#define YMM_7_EBX	F(AVX2)
#define YMM_7_ECX	(F(VAES) | F(VPCLMULQDQ))
#define YMM_7_1_EAX	F(AVX_VNNI)
#define YMM_81_ECX	(F(XOP) | F(FMA4))
#define AVX512_7_EBX	(F(AVX512F) | F(AVX512DQ) | F(AVX512IFMA) |	\
			 F(AVX512PF) | F(AVX512ER) | F(AVX512CD) |	\
			 F(AVX512BW) | F(AVX512VL))
#define AVX512_7_ECX	(F(AVX512VBMI) | F(AVX512_VBMI2) |		\
			 F(AVX512_VNNI) | F(AVX512_BITALG) |		\
			 F(AVX512_VPOPCNTDQ))
#define AVX512_7_EDX	(F(AVX512_4VNNIW) | F(AVX512_4FMAPS) |		\
			 F(AVX512_VP2INTERSECT) | F(AVX512_FP16))
#define AVX512_7_1_EAX	F(AVX512_BF16)
#define XCR0_OFFERED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE |		\
			 XFEATURE_MASK_YMM | XFEATURE_MASK_BNDREGS |	\
			 XFEATURE_MASK_BNDCSR | XFEATURE_MASK_AVX512 |	\
			 XFEATURE_MASK_PKRU)
#define XSAVE_LEGACY_AND_HEADER	576

/* Leaf 1 EBX: initial APIC ID and logical processor count are the host's. */
#define CPUID_1_EBX_HOST_TOPOLOGY	0xffff0000U

/* Highest leaves offered (those up to here that are not zero). */
#define CPUID_MAX_BASIC		0x16
/* Leaf 0 reports at least this: 0xb (topology) exists on every vendor. */
#define CPUID_MIN_BASIC		0xb
#define CPUID_TOPOLOGY		0xb
#define CPUID_TOPO_SMT		1	/* leaf 0xb ECX[15:8] level types */
#define CPUID_TOPO_CORE		2
#define CPUID_TSC_CRYSTAL	0x15
#define CPUID_FREQUENCIES	0x16
/* Hypervisor leaves: the highest one and the signature "hvmhvmhvm". */
#define CPUID_HV_BASE		0x40000000
#define CPUID_HV_TIMING		0x40000010
#define CPUID_HV_SIGNATURE_EBX	0x686d7668	/* "hvmh" */
#define CPUID_HV_SIGNATURE_ECX	0x76686d76	/* "vmhv" */
#define CPUID_HV_SIGNATURE_EDX	0x0000006d	/* "m\0\0\0" */
/* Linux multiplies the crystal kHz by leaf 0x15 EBX in 32 bits. */
#define CPUID_15_EBX_MAX	(U32_MAX / (u32)(HVM_APIC_BUS_HZ / 1000))
#define CPUID_MAX_EXT		0x80000008
#define CPUID_MAX_CACHE_LEVELS	16
#define CPUID_4_CACHE_TYPE	0x1fU

/*
 * Leaves that describe hardware hvm does not give the guest: a table set
 * by the VMM reads zero there.  MONITOR/MWAIT, DCA, the
 * PMU, resource monitoring and allocation, SGX, processor trace, Key
 * Locker, PCONFIG, AMX tiles, SVM, IBS, SEV, AMD QoS and PMU v2.
 */
static const u32 cpuid_hidden_leaves[] = {
	0x5, 0x9, 0xa, 0xf, 0x10, 0x12, 0x14, 0x19, 0x1b, 0x1d, 0x1e,
	0x8000000a, 0x8000001b, 0x8000001f, 0x80000020, 0x80000022,
};

/* A set of registers of one leaf. */
#define REG(r)		BIT(HVM_CPUID_##r)

static struct hvm_cpuid_entry cpuid_supported[HVM_MAX_CPUID_ENTRIES];
static u32 cpuid_nr_supported;

static u64 cpuid_offered_xcr0(void)
{
	u64 xcr0 = hvm_host_xcr0() & XCR0_OFFERED;

	/* The core switches PKRU only when the host kernel uses PKU. */
	if (!cpu_feature_enabled(X86_FEATURE_PKU))
		xcr0 &= ~XFEATURE_MASK_PKRU;
	if ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
		xcr0 &= ~XFEATURE_MASK_AVX512;
	if (!(xcr0 & XFEATURE_MASK_BNDREGS) || !(xcr0 & XFEATURE_MASK_BNDCSR))
		xcr0 &= ~(XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR);
	if (!(xcr0 & XFEATURE_MASK_SSE))
		xcr0 &= ~XFEATURE_MASK_YMM;
	if (!(xcr0 & XFEATURE_MASK_YMM))
		xcr0 &= ~XFEATURE_MASK_AVX512;
	return xcr0;
}

/* The XSAVE area size (standard format) for the components in xcr0. */
static u32 cpuid_xsave_size(u64 xcr0)
{
	u32 size = XSAVE_LEGACY_AND_HEADER, eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 63; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

static void cpuid_clear(u32 *r, unsigned int regs)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (regs & BIT(i))
			r[i] = 0;
	}
}

/* The local APIC and its timer exist in the kernel (irq.c). */
static bool cpuid_have_apic(void)
{
	return hvm_check_extension(HVM_EXT_IRQCHIP) > 0;
}

/* Removes from one host leaf what the core cannot honour. */
static void cpuid_reduce(u32 function, u32 index, u32 *r, u64 xcr0)
{
	bool xsave = xcr0, ymm = xcr0 & XFEATURE_MASK_YMM;
	bool avx512 = xcr0 & XFEATURE_MASK_AVX512;
	bool mpx = xcr0 & XFEATURE_MASK_BNDREGS;
	bool pkru = xcr0 & XFEATURE_MASK_PKRU;

	switch (function) {
	case 0:
		r[HVM_CPUID_EAX] = min(r[HVM_CPUID_EAX], (u32)CPUID_MAX_BASIC);
		r[HVM_CPUID_EAX] = max(r[HVM_CPUID_EAX],
				       hvm_ops->vendor == HVM_VENDOR_INTEL ?
				       (u32)CPUID_FREQUENCIES :
				       (u32)CPUID_MIN_BASIC);
		break;
	case 1:
		r[HVM_CPUID_EBX] &= ~CPUID_1_EBX_HOST_TOPOLOGY;
		r[HVM_CPUID_ECX] &= CPUID_1_ECX_OK;
		if (!xsave)
			r[HVM_CPUID_ECX] &= ~F(XSAVE);
		if (!ymm)
			r[HVM_CPUID_ECX] &= ~YMM_1_ECX;
		r[HVM_CPUID_ECX] |= F(HYPERVISOR);
		r[HVM_CPUID_EDX] &= CPUID_1_EDX_OK;
		/* Emulated in the kernel, whatever the host has. */
		if (cpuid_have_apic()) {
			r[HVM_CPUID_EDX] |= F(APIC);
			r[HVM_CPUID_ECX] |= F(TSC_DEADLINE_TIMER);
		}
		break;
	case 7:
		if (index == 1) {
			r[HVM_CPUID_EAX] &= CPUID_7_1_EAX_OK;
			if (!ymm)
				r[HVM_CPUID_EAX] &= ~YMM_7_1_EAX;
			if (!avx512)
				r[HVM_CPUID_EAX] &= ~AVX512_7_1_EAX;
			cpuid_clear(r, REG(EBX) | REG(ECX) | REG(EDX));
			break;
		}
		r[HVM_CPUID_EAX] = min(r[HVM_CPUID_EAX], 1U);
		r[HVM_CPUID_EBX] &= CPUID_7_EBX_OK;
		r[HVM_CPUID_ECX] &= CPUID_7_ECX_OK;
		r[HVM_CPUID_EDX] &= CPUID_7_EDX_OK;
		if (!ymm) {
			r[HVM_CPUID_EBX] &= ~YMM_7_EBX;
			r[HVM_CPUID_ECX] &= ~YMM_7_ECX;
		}
		if (!avx512) {
			r[HVM_CPUID_EBX] &= ~AVX512_7_EBX;
			r[HVM_CPUID_ECX] &= ~AVX512_7_ECX;
			r[HVM_CPUID_EDX] &= ~AVX512_7_EDX;
		}
		if (!mpx)
			r[HVM_CPUID_EBX] &= ~F(MPX);
		if (!pkru)
			r[HVM_CPUID_ECX] &= ~F(PKU);
		break;
	case 0xd:
		if (index == 0) {
			r[HVM_CPUID_EAX] = lower_32_bits(xcr0);
			r[HVM_CPUID_EDX] = upper_32_bits(xcr0);
			r[HVM_CPUID_EBX] = cpuid_xsave_size(xcr0);
			r[HVM_CPUID_ECX] = r[HVM_CPUID_EBX];
		} else if (index == 1) {
			/* Nothing of IA32_XSS: the guest has no XSAVES. */
			r[HVM_CPUID_EAX] &= CPUID_D_1_EAX_OK;
			cpuid_clear(r, REG(EBX) | REG(ECX) | REG(EDX));
		} else {
			r[HVM_CPUID_EDX] = 0;
		}
		break;
	case 0x80000000:
		r[HVM_CPUID_EAX] = min(r[HVM_CPUID_EAX], (u32)CPUID_MAX_EXT);
		break;
	case 0x80000001:
		r[HVM_CPUID_ECX] &= CPUID_81_ECX_OK;
		if (!ymm)
			r[HVM_CPUID_ECX] &= ~YMM_81_ECX;
		r[HVM_CPUID_EDX] &= CPUID_81_EDX_OK;
		if (cpuid_have_apic() && hvm_ops->vendor == HVM_VENDOR_AMD)
			r[HVM_CPUID_EDX] |= F(APIC);
		break;
	case 0x80000007:
		/*
		 * The guest reads the host's TSC, and every CPU hvm accepts
		 * (SVM with NPT, VMX with EPT and unrestricted guest) has an
		 * invariant one; an emulator that does not say so still runs
		 * its TSC at one rate.
		 */
		cpuid_clear(r, REG(EAX) | REG(EBX) | REG(ECX));
		r[HVM_CPUID_EDX] = CPUID_87_EDX_INVARIANT_TSC;
		break;
	case 0x80000008:
		/* Address sizes only: no core count, no speculation MSRs. */
		r[HVM_CPUID_EAX] &= CPUID_88_EAX_ADDR_SIZES;
		r[HVM_CPUID_EBX] &= CPUID_88_EBX_OK;
		cpuid_clear(r, REG(ECX) | REG(EDX));
		break;
	}
}

static u32 cpuid_subleaf_eax(u32 function, u32 index)
{
	u32 eax, ebx, ecx, edx;

	cpuid_count(function, index, &eax, &ebx, &ecx, &edx);
	return eax;
}

/* Appends an entry with the given registers to the supported table. */
static void cpuid_add_regs(u32 function, u32 index, bool indexed,
			   const u32 *r)
{
	struct hvm_cpuid_entry *e;

	if (WARN_ON_ONCE(cpuid_nr_supported == HVM_MAX_CPUID_ENTRIES))
		return;
	e = &cpuid_supported[cpuid_nr_supported++];
	e->function = function;
	e->index = indexed ? index : 0;
	e->flags = indexed ? HVM_CPUID_SIGNIFICANT_INDEX : 0;
	e->eax = r[HVM_CPUID_EAX];
	e->ebx = r[HVM_CPUID_EBX];
	e->ecx = r[HVM_CPUID_ECX];
	e->edx = r[HVM_CPUID_EDX];
}

/* A leaf of the host's CPUID, reduced to what the guest may see. */
static void cpuid_add(u32 function, u32 index, bool indexed, u64 xcr0)
{
	u32 r[4];

	cpuid_count(function, index, &r[HVM_CPUID_EAX], &r[HVM_CPUID_EBX],
		    &r[HVM_CPUID_ECX], &r[HVM_CPUID_EDX]);
	cpuid_reduce(function, index, r, xcr0);
	if (hvm_ops->cpuid_filter)
		hvm_ops->cpuid_filter(function, index, r);
	cpuid_add_regs(function, index, indexed, r);
}

/*
 * num / den as p / q with p <= max_p: the last continued fraction
 * convergent that fits, so within 1 / q^2 of the ratio.  q = 0 if even
 * the integer part does not fit.
 */
static void cpuid_ratio(u64 num, u64 den, u64 max_p, u32 *p, u32 *q)
{
	u64 p0 = 0, q0 = 1, p1 = 1, q1 = 0;

	while (den) {
		u64 a = div64_u64(num, den), p2 = a * p1 + p0, q2 = a * q1 + q0;
		u64 rest = num - a * den;

		if (p2 > max_p || q2 > U32_MAX)
			break;
		p0 = p1;
		q0 = q1;
		p1 = p2;
		q1 = q2;
		num = den;
		den = rest;
	}
	*p = p1;
	*q = q1;
}

/*
 * Leaves hvm makes up rather than reduces: power (ARAT: the emulated APIC
 * timer never stops), topology (filled per vCPU at lookup), on Intel the
 * TSC/crystal ratio and frequencies, and the hypervisor leaves.  Leaf
 * 0x15's crystal is the APIC timer's input clock, HVM_APIC_BUS_HZ: Linux
 * takes its APIC timer rate from it instead of calibrating.
 */
static void cpuid_add_synthetic(void)
{
	u32 r[4] = {}, ratio_p, ratio_q;

	r[HVM_CPUID_EAX] = CPUID_6_EAX_ARAT;
	cpuid_add_regs(6, 0, false, r);
	memset(r, 0, sizeof(r));
	cpuid_add_regs(CPUID_TOPOLOGY, 0, true, r);
	cpuid_add_regs(CPUID_TOPOLOGY, 1, true, r);

	if (hvm_ops->vendor == HVM_VENDOR_INTEL && tsc_khz) {
		/* TSC Hz / crystal Hz = tsc_khz / (HVM_APIC_BUS_HZ / 1000). */
		cpuid_ratio(tsc_khz, HVM_APIC_BUS_HZ / 1000, CPUID_15_EBX_MAX,
			    &ratio_p, &ratio_q);
		if (ratio_q) {
			r[HVM_CPUID_EAX] = ratio_q;
			r[HVM_CPUID_EBX] = ratio_p;
			r[HVM_CPUID_ECX] = HVM_APIC_BUS_HZ;
			cpuid_add_regs(CPUID_TSC_CRYSTAL, 0, false, r);
		}
		/* Base and maximum MHz, bus (reference) MHz. */
		r[HVM_CPUID_EAX] = tsc_khz / 1000;
		r[HVM_CPUID_EBX] = tsc_khz / 1000;
		r[HVM_CPUID_ECX] = HVM_APIC_BUS_HZ / 1000000;
		r[HVM_CPUID_EDX] = 0;
		cpuid_add_regs(CPUID_FREQUENCIES, 0, false, r);
	}

	r[HVM_CPUID_EAX] = CPUID_HV_TIMING;
	r[HVM_CPUID_EBX] = CPUID_HV_SIGNATURE_EBX;
	r[HVM_CPUID_ECX] = CPUID_HV_SIGNATURE_ECX;
	r[HVM_CPUID_EDX] = CPUID_HV_SIGNATURE_EDX;
	cpuid_add_regs(CPUID_HV_BASE, 0, false, r);
	memset(r, 0, sizeof(r));
	r[HVM_CPUID_EAX] = tsc_khz;
	r[HVM_CPUID_EBX] = HVM_APIC_BUS_HZ / 1000;
	cpuid_add_regs(CPUID_HV_TIMING, 0, false, r);
}

void hvm_cpuid_init(void)
{
	u32 max_basic = cpuid_eax(0), max_ext = cpuid_eax(0x80000000);
	u64 xcr0 = cpuid_offered_xcr0();
	u32 leaf, n;

	cpuid_nr_supported = 0;
	for (leaf = 0; leaf <= 2 && leaf <= max_basic; leaf++)
		cpuid_add(leaf, 0, false, xcr0);
	/* Cache parameters, until the subleaf of cache type 0. */
	for (n = 0; max_basic >= 4 && n < CPUID_MAX_CACHE_LEVELS; n++) {
		if (!(cpuid_subleaf_eax(4, n) & CPUID_4_CACHE_TYPE))
			break;
		cpuid_add(4, n, true, xcr0);
	}
	if (max_basic >= 7) {
		cpuid_add(7, 0, true, xcr0);
		if (cpuid_subleaf_eax(7, 0) >= 1)
			cpuid_add(7, 1, true, xcr0);
	}
	if (max_basic >= 0xd && xcr0) {
		cpuid_add(0xd, 0, true, xcr0);
		cpuid_add(0xd, 1, true, xcr0);
		for (n = 2; n < 63; n++) {
			if (xcr0 & BIT_ULL(n))
				cpuid_add(0xd, n, true, xcr0);
		}
	}
	cpuid_add_synthetic();
	if (max_ext < 0x80000000)
		return;
	for (leaf = 0x80000000; leaf <= min_t(u32, max_ext, CPUID_MAX_EXT);
	     leaf++)
		cpuid_add(leaf, 0, false, xcr0);
}

static const struct hvm_cpuid_entry *cpuid_find_supported(u32 function,
							  u32 index)
{
	u32 i;

	for (i = 0; i < cpuid_nr_supported; i++) {
		const struct hvm_cpuid_entry *e = &cpuid_supported[i];

		if (e->function == function &&
		    (!(e->flags & HVM_CPUID_SIGNIFICANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

static bool cpuid_leaf_hidden(u32 function)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_hidden_leaves); i++) {
		if (function == cpuid_hidden_leaves[i])
			return true;
	}
	return false;
}

/*
 * Which registers of a leaf hold feature bits, masked with the supported
 * table (a leaf it lacks masks them to zero).
 */
static unsigned int cpuid_feature_regs(u32 function, u32 index)
{
	switch (function) {
	case 1:
	case 0x80000001:
		return REG(ECX) | REG(EDX);
	case 7:
		return index == 0 ? REG(EBX) | REG(ECX) | REG(EDX) :
				    REG(EAX) | REG(EBX) | REG(ECX) | REG(EDX);
	case 0xd:
		if (index == 0)
			return REG(EAX) | REG(EDX);
		if (index == 1)
			return REG(EAX) | REG(ECX) | REG(EDX);
		/* A component: all of it, if its XCR0 bit is offered. */
		return REG(EAX) | REG(EBX) | REG(ECX) | REG(EDX);
	case 6:
	case 0x80000007:
		return REG(EAX) | REG(EBX) | REG(ECX) | REG(EDX);
	case 0x80000008:
		return REG(EBX);
	default:
		if (cpuid_leaf_hidden(function))
			return REG(EAX) | REG(EBX) | REG(ECX) | REG(EDX);
		return 0;
	}
}

void hvm_cpuid_mask_entry(struct hvm_cpuid_entry *entry)
{
	u32 *r[4] = { &entry->eax, &entry->ebx, &entry->ecx, &entry->edx };
	const struct hvm_cpuid_entry *ok;
	u32 allowed[4] = {};
	unsigned int regs, i;

	regs = cpuid_feature_regs(entry->function, entry->index);
	if (!regs)
		return;
	ok = cpuid_find_supported(entry->function, entry->index);
	if (ok && entry->function == 0xd && entry->index >= 2) {
		/* An offered component: sizes and offsets are the VMM's. */
		return;
	}
	if (ok) {
		allowed[HVM_CPUID_EAX] = ok->eax;
		allowed[HVM_CPUID_EBX] = ok->ebx;
		allowed[HVM_CPUID_ECX] = ok->ecx;
		allowed[HVM_CPUID_EDX] = ok->edx;
	}
	/* Leaf 7.0 EAX is the highest subleaf, not a feature word. */
	if (entry->function == 7 && entry->index == 0)
		entry->eax = min(entry->eax, allowed[HVM_CPUID_EAX]);
	for (i = 0; i < 4; i++) {
		if (regs & BIT(i))
			*r[i] &= allowed[i];
	}
}

/* Copies n entries out; E2BIG with the count needed if they do not fit. */
static long cpuid_copy_out(struct hvm_cpuid __user *uarg,
			   const struct hvm_cpuid_entry *entries, u32 n)
{
	u32 room, reserved;

	if (get_user(room, &uarg->nent) || get_user(reserved, &uarg->reserved))
		return -EFAULT;
	if (reserved)
		return -EINVAL;
	if (room < n) {
		if (put_user(n, &uarg->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (copy_to_user(uarg->entries, entries, n * sizeof(*entries)) ||
	    put_user(n, &uarg->nent))
		return -EFAULT;
	return 0;
}

long hvm_get_supported_cpuid(struct hvm_cpuid __user *uarg)
{
	return cpuid_copy_out(uarg, cpuid_supported, cpuid_nr_supported);
}

long hvm_get_vm_cpuid(struct hvm_vm *vm, struct hvm_cpuid __user *uarg)
{
	struct hvm_cpuid_entry *copy = NULL;
	long ret;
	u32 n;

	/* Copied first: user memory may fault while vCPUs need vm->lock. */
	mutex_lock(&vm->lock);
	n = vm->nr_cpuid;
	if (n) {
		copy = kvmalloc_array(n, sizeof(*copy), GFP_KERNEL_ACCOUNT);
		if (copy)
			memcpy(copy, vm->cpuid, n * sizeof(*copy));
	}
	mutex_unlock(&vm->lock);
	if (n && !copy)
		return -ENOMEM;
	ret = cpuid_copy_out(uarg, copy, n);
	kvfree(copy);
	return ret;
}

/* The smallest power of two >= n (n >= 1): a topology field's width. */
static u32 cpuid_pow2(u32 n)
{
	return 1U << order_base_2(n);
}

/*
 * The vCPU's own fields of a leaf.  The VM is one package of span cores,
 * one thread each; APIC ID = vCPU id.  found: the table has the leaf and
 * subleaf; leaf_found: it has the leaf (leaf 0xb is filled for every
 * subleaf, as its EDX is the x2APIC ID whatever the subleaf).
 */
static void cpuid_fill_vcpu(u32 id, u32 span, u32 idx, bool found,
			    bool leaf_found, struct hvm_cpuid_entry *e)
{
	switch (e->function) {
	case 1:
		if (!found)
			break;
		e->ebx = (e->ebx & ~CPUID_1_EBX_HOST_TOPOLOGY) | (id << 24) |
			 (cpuid_pow2(span) << 16);
		e->edx &= ~CPUID_1_EDX_HTT;
		if (span > 1)
			e->edx |= CPUID_1_EDX_HTT;
		break;
	case CPUID_TOPOLOGY:
		if (!leaf_found)
			break;
		e->eax = 0;
		e->ebx = 0;
		e->ecx = idx & 0xff;
		if (idx == 0) {
			e->ebx = 1;
			e->ecx |= CPUID_TOPO_SMT << 8;
		} else if (idx == 1) {
			e->eax = order_base_2(span);
			e->ebx = span;
			e->ecx |= CPUID_TOPO_CORE << 8;
		}
		e->edx = id;
		break;
	case 0x80000008:
		if (!found)
			break;
		/* ApicIdSize and the number of cores - 1. */
		e->ecx = (order_base_2(span) << 12) | (span - 1);
		break;
	}
}

void hvm_cpuid_lookup(struct hvm_vcpu *vcpu, u32 fn, u32 idx,
		      struct hvm_cpuid_entry *out)
{
	struct hvm_vm *vm = vcpu->vm;
	bool found = false, leaf_found = false;
	u32 i, span;

	memset(out, 0, sizeof(*out));
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_cpuid; i++) {
		const struct hvm_cpuid_entry *e = &vm->cpuid[i];

		if (e->function != fn)
			continue;
		leaf_found = true;
		if (!(e->flags & HVM_CPUID_SIGNIFICANT_INDEX) ||
		    e->index == idx) {
			*out = *e;
			found = true;
			break;
		}
	}
	span = max(vm->vcpu_span, vcpu->id + 1);
	mutex_unlock(&vm->lock);
	out->function = fn;
	cpuid_fill_vcpu(vcpu->id, span, idx, found, leaf_found, out);
}
