/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fpu_test's guest (64-bit mode): turn SSE on, put a pattern of its own in
 * XMM0-XMM15 and MXCSR, then GUEST_PARAM(0) times: an OUT that exits to
 * the VMM process, a CPUID the kernel answers, and a check of every
 * register.  GUEST_RESULT(0) = 1 when all held, else 2 + the first XMM
 * register found changed (18: MXCSR); GUEST_RESULT(1) = iterations done.
 */
#include "guest_macros.h"

#define PATTERN(i)	(0x0101010101010101 * ((i) + 1) + 0x10)
#define GUEST_MXCSR	0x3f80		/* exceptions masked, round down */

	.code64
GUEST_START
	mov	%cr0, %rax
	and	$~(1 << 2), %rax		/* EM off */
	or	$(1 << 1), %rax			/* MP on */
	mov	%rax, %cr0
	mov	%cr4, %rax
	or	$((1 << 9) | (1 << 10)), %rax	/* OSFXSR, OSXMMEXCPT */
	mov	%rax, %cr4

	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movabs	$PATTERN(\i), %rax
	movq	%rax, %xmm\i
	punpcklqdq %xmm\i, %xmm\i
	.endr
	movl	$GUEST_MXCSR, GUEST_RESULT(2)
	ldmxcsr	GUEST_RESULT(2)

	movq	$0, GUEST_RESULT(1)
	mov	GUEST_PARAM(0), %rsi
1:	out	%al, $GUEST_PORT_DATA
	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	mov	$(2 + \i), %ebx
	movabs	$PATTERN(\i), %rdx
	movq	%xmm\i, %rax
	cmp	%rdx, %rax
	jne	3f
	movhlps	%xmm\i, %xmm\i		/* the high half, checked too */
	movq	%xmm\i, %rax
	cmp	%rdx, %rax
	jne	3f
	movq	%rdx, %xmm\i
	punpcklqdq %xmm\i, %xmm\i
	.endr
	stmxcsr	GUEST_RESULT(2)
	mov	$18, %ebx
	cmpl	$GUEST_MXCSR, GUEST_RESULT(2)
	jne	3f
	incq	GUEST_RESULT(1)
	dec	%rsi
	jnz	1b
	movq	$1, GUEST_RESULT(0)
	hlt
3:	mov	%rbx, GUEST_RESULT(0)
	hlt
