/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 64-bit long mode with paging (libhvm's identity map).  Proves 64-bit
 * arithmetic and that the guest really runs paged in long mode:
 *   GUEST_RESULT(0) = fib(90) = 2880067194370816120 (needs 64 bits);
 *   GUEST_RESULT(1..4) = CR0, CR4, EFER (RDMSR, handled in the kernel)
 *   and CR3 as the guest sees them;
 *   R14 = R15 = 0x0123456789abcdef through push/pop.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp

	xor	%eax, %eax
	mov	$1, %ebx
	mov	$90, %ecx
1:	lea	(%rax, %rbx), %rdx
	mov	%rbx, %rax
	mov	%rdx, %rbx
	loop	1b
	mov	%rax, GUEST_RESULT(0)

	mov	%cr0, %rdx
	mov	%rdx, GUEST_RESULT(1)
	mov	%cr4, %rdx
	mov	%rdx, GUEST_RESULT(2)
	mov	$0xc0000080, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, GUEST_RESULT(3)
	mov	%cr3, %rdx
	mov	%rdx, GUEST_RESULT(4)

	movabs	$0x0123456789abcdef, %r15
	push	%r15
	pop	%r14
	hlt
