// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: the guest's x87/SSE/AVX state.
 *
 * Each vCPU keeps its FPU registers in a buffer of its own, in the
 * standard (not compacted) XSAVE layout, or FXSAVE's on a host without
 * XSAVE.  They are loaded right before each guest entry and saved right
 * after the exit, inside a kernel_fpu_begin()/kernel_fpu_end() section
 * around the backend's run call: the kernel saves the task's own FPU
 * registers there (they come back on the return to userspace) and keeps
 * every other kernel user of the FPU away meanwhile.  This uses only what
 * any module may use; the kernel's guest-FPU helpers are KVM's alone on
 * newer kernels.  The cost is one XRSTOR and one XSAVE per entry.
 */
#include <linux/slab.h>
#include <linux/log2.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include "hvm.h"

/* The legacy area: FCW at byte 0, MXCSR at byte 24 (SDM vol. 1 10.5.1). */
#define FXSAVE_FCW		0
#define FXSAVE_MXCSR		24
#define FCW_RESET		0x037f
#define MXCSR_RESET		0x1f80
#define XSAVE_HEADER		512	/* XSTATE_BV, then XCOMP_BV */

/*
 * Components never loaded from the buffer: PKRU is switched on its own
 * (hvm_load_guest_xstate()), AMX tiles are not offered to guests and may
 * be disabled for this task by XFD.
 */
#define HVM_FPU_EXCLUDED	(XFEATURE_MASK_PKRU | XFEATURE_MASK_XTILE)

static unsigned int fpu_size;

void hvm_fpu_init(void)
{
	u32 eax, ebx, ecx, edx;

	fpu_size = sizeof(struct fxregs_state);
	if (hvm_host_xcr0()) {
		/* EBX: the standard layout's size for the XCR0 now set. */
		cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
		fpu_size = max_t(u32, ebx, XSAVE_HEADER + 64);
	}
}

int hvm_fpu_alloc(struct hvm_vcpu *vcpu)
{
	u8 *buf;

	/* A power of two: kmalloc aligns it to its size, XSAVE needs 64. */
	buf = kzalloc(roundup_pow_of_two(fpu_size), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	*(u16 *)(buf + FXSAVE_FCW) = FCW_RESET;
	*(u32 *)(buf + FXSAVE_MXCSR) = MXCSR_RESET;
	vcpu->fpu_state = buf;
	return 0;
}

void hvm_fpu_free(struct hvm_vcpu *vcpu)
{
	kfree(vcpu->fpu_state);
	vcpu->fpu_state = NULL;
}

/*
 * What XSAVE/XRSTOR touch: every component of the host's XCR0, which is
 * loaded while they run.  Not the guest's XCR0: SSE registers are in use
 * whatever XCR0 says, and XSAVE leaves out what XCR0 does not enable.
 */
static u64 hvm_fpu_mask(void)
{
	return hvm_host_xcr0() & ~HVM_FPU_EXCLUDED;
}

/* IRQs off, in a kernel_fpu_begin() section, the host's XCR0 loaded. */
void hvm_fpu_load_guest(struct hvm_vcpu *vcpu)
{
	u8 *buf = vcpu->fpu_state;
	u64 mask;

	if (!hvm_host_xcr0()) {
		asm volatile("fxrstor64 %0" : : "m" (*(struct fxregs_state *)buf));
		return;
	}
	mask = hvm_fpu_mask();
	asm volatile("xrstor64 %0"
		     : : "m" (*(struct xregs_state *)buf),
		       "a" ((u32)mask), "d" ((u32)(mask >> 32))
		     : "memory");
}

/* IRQs off, right after the exit, the host's XCR0 back. */
void hvm_fpu_save_guest(struct hvm_vcpu *vcpu)
{
	u8 *buf = vcpu->fpu_state;
	u64 mask;

	if (!hvm_host_xcr0()) {
		asm volatile("fxsave64 %0" : "=m" (*(struct fxregs_state *)buf));
		return;
	}
	mask = hvm_fpu_mask();
	asm volatile("xsave64 %0"
		     : "+m" (*(struct xregs_state *)buf)
		     : "a" ((u32)mask), "d" ((u32)(mask >> 32))
		     : "memory");
}
