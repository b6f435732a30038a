// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: the platform MSRs a guest kernel touches while it boots, answered
 * in the kernel with what a real CPU of the host's vendor would give, so
 * that Linux finds its MTRRs, microcode revision and the AMD configuration
 * registers without a return to userspace.  Every other MSR keeps its
 * documented path (the backend's, else HVM_EXIT_MSR).
 *
 * Nothing here reaches hardware: MTRRs are storage (with nested paging the
 * CPU does not apply the guest's MTRRs), and the configuration registers
 * read fixed values describing how the guest's instructions really behave.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <asm/msr-index.h>
#include <asm/processor.h>

#include "hvm.h"

/* IA32_MTRRCAP: 8 variable ranges, fixed ranges, write combining. */
#define MTRRCAP_VALUE		(HVM_MTRR_VAR_COUNT | BIT(8) | BIT(10))
#define MTRR_TYPE_UC		0
#define MTRR_TYPE_WB		6
#define MTRR_DEF_TYPE_FE	BIT_ULL(10)
#define MTRR_DEF_TYPE_E		BIT_ULL(11)
#define MTRR_DEF_TYPE_MASK	(0xffULL | MTRR_DEF_TYPE_FE | MTRR_DEF_TYPE_E)
#define MTRR_PHYS_MASK_VALID	BIT_ULL(11)
#define MTRR_WB_BYTES		0x0606060606060606ULL
#define MTRR_PHYS_BASE(n)	(0x200 + 2 * (n))
#define MTRR_PHYS_MASK(n)	(0x201 + 2 * (n))
/* msr-index.h spells these in CamelCase; the SDM's numbers instead. */
#define MTRR_CAP		0xfe
#define MTRR_DEF_TYPE		0x2ff
/*
 * The fixed-range MSRs, in the order of hvm_platform_msrs.mtrr_fixed:
 * 64K_00000, 16K_80000, 16K_A0000, then 4K_C0000 to 4K_F8000.
 */
static const u32 mtrr_fixed_msrs[HVM_MTRR_FIXED_COUNT] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
	0x26e, 0x26f,
};

/*
 * IA32_MISC_ENABLE: fast strings on, no BTS and no PEBS (there is no
 * debug store).  Linux may turn fast strings off; it only ever clears
 * LIMIT_CPUID and XD_DISABLE, which hvm cannot honour when set.
 */
#define MISC_ENABLE_RESET	(MSR_IA32_MISC_ENABLE_FAST_STRING |	\
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |	\
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_WRITABLE	MSR_IA32_MISC_ENABLE_FAST_STRING
#define MISC_ENABLE_READ_ONLY	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |	\
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/* AMD HWCR: SMM locked by firmware, TSC counts at the P0 frequency. */
#define HWCR_SMMLOCK		BIT_ULL(0)
#define HWCR_MCSTATUS_WREN	BIT_ULL(18)
#define HWCR_TSCFREQSEL		BIT_ULL(24)
#define HWCR_RESET		(HWCR_SMMLOCK | HWCR_TSCFREQSEL)

static bool mtrr_type_valid(u8 type)
{
	/* UC, WC, WT, WP, WB (SDM 11.11.1). */
	return type == 0 || type == 1 || (type >= 4 && type <= 6);
}

/* Bits a physical address may not have: at and above MAXPHYADDR. */
static u64 mtrr_phys_reserved(void)
{
	return ~0ULL << boot_cpu_data.x86_phys_bits;
}

void hvm_msr_reset(struct hvm_vcpu *vcpu)
{
	struct hvm_platform_msrs *m = &vcpu->platform_msrs;
	int i;

	memset(m, 0, sizeof(*m));
	/*
	 * As firmware leaves them: MTRRs on, RAM write-back by default, the
	 * legacy VGA window 0xa0000-0xbffff uncacheable.
	 */
	m->mtrr_def_type = MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | MTRR_TYPE_WB;
	for (i = 0; i < HVM_MTRR_FIXED_COUNT; i++)
		m->mtrr_fixed[i] = MTRR_WB_BYTES;
	m->mtrr_fixed[2] = MTRR_TYPE_UC;
	m->misc_enable = MISC_ENABLE_RESET;
}

static int msr_mtrr(struct hvm_vcpu *vcpu, u32 index, bool is_write, u64 *data)
{
	struct hvm_platform_msrs *m = &vcpu->platform_msrs;
	u64 *reg = NULL, reserved = 0;
	int i;

	if (index == MTRR_CAP) {
		if (is_write)
			return -EINVAL;
		*data = MTRRCAP_VALUE;
		return 0;
	}
	if (index == MTRR_DEF_TYPE) {
		if (is_write && ((*data & ~MTRR_DEF_TYPE_MASK) ||
				 !mtrr_type_valid(*data & 0xff)))
			return -EINVAL;
		reg = &m->mtrr_def_type;
	} else if (index >= MTRR_PHYS_BASE(0) &&
		   index <= MTRR_PHYS_MASK(HVM_MTRR_VAR_COUNT - 1)) {
		reg = &m->mtrr_var[index - MTRR_PHYS_BASE(0)];
		if (index & 1) {	/* mask: bits 10:0 reserved */
			reserved = mtrr_phys_reserved() | GENMASK_ULL(10, 0);
		} else {		/* base: type, bits 11:8 reserved */
			reserved = mtrr_phys_reserved() | GENMASK_ULL(11, 8);
			if (is_write && !mtrr_type_valid(*data & 0xff))
				return -EINVAL;
		}
		if (is_write && (*data & reserved))
			return -EINVAL;
	} else {
		for (i = 0; i < HVM_MTRR_FIXED_COUNT; i++) {
			if (index == mtrr_fixed_msrs[i])
				break;
		}
		if (i == HVM_MTRR_FIXED_COUNT)
			return -ENOENT;
		if (is_write) {
			int byte;

			for (byte = 0; byte < 8; byte++) {
				if (!mtrr_type_valid(*data >> (8 * byte)))
					return -EINVAL;
			}
		}
		reg = &m->mtrr_fixed[i];
	}
	if (is_write)
		*reg = *data;
	else
		*data = *reg;
	return 0;
}

/* A register that reads value and takes writes of exactly that value. */
static int msr_fixed(bool is_write, u64 *data, u64 value)
{
	if (is_write)
		return *data == value ? 0 : -EINVAL;
	*data = value;
	return 0;
}

static int msr_intel(struct hvm_vcpu *vcpu, u32 index, bool is_write,
		     u64 *data)
{
	struct hvm_platform_msrs *m = &vcpu->platform_msrs;

	switch (index) {
	case MSR_IA32_UCODE_REV:
		/*
		 * The host's revision, in EDX as RDMSR after CPUID reports it.
		 * Linux writes 0 before that CPUID: writes are ignored.
		 */
		if (!is_write)
			*data = (u64)boot_cpu_data.microcode << 32;
		return 0;
	case MSR_IA32_PLATFORM_ID:
		return is_write ? -EINVAL : msr_fixed(false, data, 0);
	case MSR_IA32_FEAT_CTL:
		/* Locked by "firmware" with VMX off: no nested VMX. */
		return is_write ? -EINVAL :
				  msr_fixed(false, data, FEAT_CTL_LOCKED);
	case MSR_IA32_MISC_ENABLE:
		if (!is_write) {
			*data = m->misc_enable;
			return 0;
		}
		if (*data & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_READ_ONLY))
			return -EINVAL;
		m->misc_enable = (m->misc_enable & ~MISC_ENABLE_WRITABLE) |
				 (*data & MISC_ENABLE_WRITABLE);
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		/* No CPUID faulting (PLATFORM_INFO does not offer it). */
		return msr_fixed(is_write, data, 0);
	default:
		return -ENOENT;
	}
}

static int msr_amd(struct hvm_vcpu *vcpu, u32 index, bool is_write, u64 *data)
{
	u64 de_cfg = 0;

	switch (index) {
	case MSR_AMD64_PATCH_LEVEL:	/* same index as IA32_UCODE_REV */
		if (!is_write)
			*data = boot_cpu_data.microcode;
		return 0;
	case MSR_K7_HWCR:
		if (!is_write) {
			*data = HWCR_RESET;
			return 0;
		}
		/* McStatusWrEn has no effect without machine checks. */
		return (*data & ~HWCR_MCSTATUS_WREN) == HWCR_RESET ? 0 : -EINVAL;
	case MSR_AMD64_DE_CFG:
		/*
		 * Bit 1: LFENCE is dispatch serializing.  The guest's LFENCE
		 * runs natively, so the bit says what the host made it.
		 * Linux sets the bit and reads it back: setting it is a no-op.
		 */
		if (boot_cpu_has(X86_FEATURE_LFENCE_RDTSC))
			de_cfg = BIT_ULL(MSR_AMD64_DE_CFG_LFENCE_SERIALIZE_BIT);
		if (!is_write) {
			*data = de_cfg;
			return 0;
		}
		return *data & ~BIT_ULL(MSR_AMD64_DE_CFG_LFENCE_SERIALIZE_BIT) ?
		       -EINVAL : 0;
	case MSR_AMD64_NB_CFG:
		/* No extended PCI configuration access, APIC IDs as given. */
		if (!is_write)
			*data = 0;
		return 0;
	case MSR_AMD64_OSVW_ID_LENGTH:
	case MSR_AMD64_OSVW_STATUS:
		/* No OS-visible workarounds are known to the guest. */
		return is_write ? -EINVAL : msr_fixed(false, data, 0);
	case MSR_AMD64_SYSCFG:
		/* No MTRR DRAM bits, no memory encryption. */
		return msr_fixed(is_write, data, 0);
	default:
		return -ENOENT;
	}
}

int hvm_msr_emulate(struct hvm_vcpu *vcpu, u32 index, bool is_write,
		    u64 *data)
{
	int ret = msr_mtrr(vcpu, index, is_write, data);

	if (ret != -ENOENT)
		return ret;
	if (hvm_ops->vendor == HVM_VENDOR_AMD)
		return msr_amd(vcpu, index, is_write, data);
	return msr_intel(vcpu, index, is_write, data);
}
