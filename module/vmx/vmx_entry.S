/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm Intel VMX: one guest entry.
 *
 * int hvm_vmx_enter(u64 *gprs, bool launched)
 *
 * Called with IRQs off and this vCPU's VMCS current.  VM entry and VM exit
 * switch RSP, RIP, RFLAGS, segment and control registers through the VMCS;
 * the other GPRs are switched here.  A VM exit lands on hvm_vmx_exit_point
 * (HOST_RIP) with RSP = HOST_RSP, which is written here on every entry
 * because the caller's stack depth may differ between calls.
 */
#include <linux/linkage.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define GPR(n)		((n) * 8)
#define VMCS_HOST_RSP	0x00006c14

	.text
SYM_FUNC_START(hvm_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* gprs, found again at HOST_RSP after exit */

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jna	.Lvmwrite_failed

	/*
	 * MDS and friends: no host data left in CPU buffers for the guest.
	 * VERW with any valid writable selector flushes them (on CPUs whose
	 * microcode has MD_CLEAR); the kernel's own selector word is
	 * exported to KVM only on newer kernels, so hvm keeps its own.
	 */
	ALTERNATIVE "jmp .Lskip_verw", "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw	hvm_verw_sel(%rip)
.Lskip_verw:

	/* Flags from here survive the register loads (MOV does not touch them). */
	test	%sil, %sil

	mov	%rdi, %rax
	mov	GPR(1)(%rax), %rcx
	mov	GPR(2)(%rax), %rdx
	mov	GPR(3)(%rax), %rbx
	mov	GPR(5)(%rax), %rbp
	mov	GPR(6)(%rax), %rsi
	mov	GPR(7)(%rax), %rdi
	mov	GPR(8)(%rax), %r8
	mov	GPR(9)(%rax), %r9
	mov	GPR(10)(%rax), %r10
	mov	GPR(11)(%rax), %r11
	mov	GPR(12)(%rax), %r12
	mov	GPR(13)(%rax), %r13
	mov	GPR(14)(%rax), %r14
	mov	GPR(15)(%rax), %r15
	mov	GPR(0)(%rax), %rax

	jnz	.Lresume
	UNWIND_HINT_SAVE
	vmlaunch
	jmp	.Lentry_failed
.Lresume:
	UNWIND_HINT_SAVE
	vmresume
	jmp	.Lentry_failed

SYM_INNER_LABEL(hvm_vmx_exit_point, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ANNOTATE_NOENDBR
	/* Guest GPRs are live; the stack top holds gprs. */
	push	%rax
	mov	8(%rsp), %rax
	mov	%rcx, GPR(1)(%rax)
	mov	%rdx, GPR(2)(%rax)
	mov	%rbx, GPR(3)(%rax)
	mov	%rbp, GPR(5)(%rax)
	mov	%rsi, GPR(6)(%rax)
	mov	%rdi, GPR(7)(%rax)
	mov	%r8, GPR(8)(%rax)
	mov	%r9, GPR(9)(%rax)
	mov	%r10, GPR(10)(%rax)
	mov	%r11, GPR(11)(%rax)
	mov	%r12, GPR(12)(%rax)
	mov	%r13, GPR(13)(%rax)
	mov	%r14, GPR(14)(%rax)
	mov	%r15, GPR(15)(%rax)
	popq	GPR(0)(%rax)

	/* The guest may have trained the return predictor: refill it. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	ALTERNATIVE "", "call hvm_vmx_clear_bhb", X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT

	xor	%eax, %eax
	jmp	.Lout

.Lentry_failed:
	/* VMfailInvalid/VMfailValid: no exit happened, RSP is ours. */
	mov	$1, %eax
	jmp	.Lout

.Lvmwrite_failed:
	mov	$1, %eax

.Lout:
	/* Leave no guest value in a register speculation could use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp	/* gprs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(hvm_vmx_enter)

/*
 * Branch History Injection: where the CPU picks indirect branch targets
 * by the history of recent taken branches, the guest's last branches
 * could steer the host's first indirect branches after a VM exit.  When
 * the kernel mitigates that with software (CLEAR_BHB_LOOP_ON_VMEXIT), VM
 * exits first overwrite the history with branches of known addresses:
 * Intel's sequence of nested rounds, each a call and then a few taken
 * jumps on 64-byte aligned code, unwound by as many returns.  CPUs with
 * BHI_DIS_S keep a longer history and need more rounds (12 of 7 jumps
 * rather than 5 of 5).  The kernel's own loop is exported to KVM only on
 * newer kernels, hence this one.
 *
 * Clobbers RAX, RCX and RDX; called only from hvm_vmx_enter.
 */
SYM_FUNC_START_LOCAL(hvm_vmx_clear_bhb)
	ALTERNATIVE "mov $5, %ecx; mov $5, %edx", \
		    "mov $12, %ecx; mov $7, %edx", X86_FEATURE_BHI_CTRL
	call	hvm_vmx_bhb_round
	/* No speculation past the returns into code the history steers. */
	lfence
	RET
SYM_FUNC_END(hvm_vmx_clear_bhb)

/* One round, then the next ones nested (ECX: rounds left, EDX: jumps). */
	.balign	64, 0xcc
SYM_FUNC_START_LOCAL(hvm_vmx_bhb_round)
	push	%rbp
	mov	%rsp, %rbp
	mov	%edx, %eax
.Lbhb_jump:
	jmp	.Lbhb_jumped
	nop
.Lbhb_jumped:
	sub	$1, %eax
	jnz	.Lbhb_jump
	sub	$1, %ecx
	jz	.Lbhb_last
	call	hvm_vmx_bhb_round
.Lbhb_last:
	pop	%rbp
	RET
SYM_FUNC_END(hvm_vmx_bhb_round)

	.pushsection .rodata
	.balign	2
hvm_verw_sel:
	.word	__KERNEL_DS
	.popsection
