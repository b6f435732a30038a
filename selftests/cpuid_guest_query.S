/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid_test's query guest: executes CPUID for each (leaf, subleaf) pair
 * the test put at GUEST_PARAM(1) (GUEST_PARAM(0) pairs, two words each)
 * and stores EAX, EBX, ECX, EDX of query i at GUEST_RESULT(4 * i) on.
 * Every vCPU runs it from the start, one after the other.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$GUEST_PARAM(1), %rsi
	mov	$GUEST_RESULT(0), %rdi
	xor	%r8, %r8
1:	cmp	GUEST_PARAM(0), %r8
	jae	2f
	mov	(%rsi), %eax
	mov	8(%rsi), %ecx
	cpuid
	mov	%rax, (%rdi)
	mov	%rbx, 8(%rdi)
	mov	%rcx, 16(%rdi)
	mov	%rdx, 24(%rdi)
	add	$16, %rsi
	add	$32, %rdi
	inc	%r8
	jmp	1b
2:	hlt
