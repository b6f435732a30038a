/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm AMD SVM: one guest entry.
 *
 * void hvm_svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_save_pa)
 *
 * Called with IRQs off and GIF clear.  VMRUN/#VMEXIT switch RAX, RSP, RIP,
 * RFLAGS, segment registers and control registers; VMLOAD/VMSAVE switch
 * FS/GS/TR/LDTR with their hidden state, KERNEL_GS_BASE and the syscall
 * MSRs.  The host's copy of the latter goes to host_save_pa first, and is
 * back before anything here can touch per-CPU data through GS.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define GPR(n)	((n) * 8)

	.text
SYM_FUNC_START(hvm_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi		/* gprs */
	push	%rdx		/* host save area */

	mov	%rdx, %rax
	vmsave	%rax

	push	%rdi		/* vmcb */
	mov	%rsi, %rax
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
	pop	%rax		/* vmcb */

	vmload	%rax
	vmrun	%rax
	vmsave	%rax

	/* Guest GPRs are live; the stack holds host save area, gprs. */
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

	pop	%rax		/* host save area */
	vmload	%rax
	add	$8, %rsp	/* gprs */

	/* The guest may have trained the return predictor: refill it. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest value in a register speculation could use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(hvm_svm_vmrun)
