/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 32-bit protected mode, flat segments, no paging.  Proves 32-bit
 * arithmetic, a working stack and addressing past 64 KiB:
 *   GUEST_RESULT(0) = EAX = fib(30) = 832040;
 *   GUEST_RESULT(1) = CR0 as the guest sees it (PE set, PG clear);
 *   0xdeadbeef stored at GUEST_SCRATCH_GPA + 0x12345 (unaligned, > 64 KiB);
 *   ESI = EAX through push/pop.
 */
#include "guest_macros.h"

	.code32
GUEST_START
	mov	$GUEST_STACK_TOP, %esp

	xor	%eax, %eax
	mov	$1, %ebx
	mov	$30, %ecx
1:	lea	(%eax, %ebx), %edx
	mov	%ebx, %eax
	mov	%edx, %ebx
	loop	1b
	mov	%eax, GUEST_RESULT(0)

	mov	%cr0, %edx
	mov	%edx, GUEST_RESULT(1)

	movl	$0xdeadbeef, GUEST_SCRATCH_GPA + 0x12345

	push	%eax
	pop	%esi
	hlt
