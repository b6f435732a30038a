/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real mode (CS:IP = 0:GUEST_CODE_GPA).  Proves 16-bit execution and
 * segment arithmetic:
 *   AX = 1 + 2 + ... + 100 = 5050, written through DS:0 with
 *   DS = GUEST_RESULT_GPA >> 4, so it reaches GUEST_RESULT(0) only if the
 *   segment base is applied;
 *   BX = the same word read back through ES:DI, a different split of the
 *   same linear address; SI = AX through the stack (push/pop);
 *   a 32-bit store with an operand-size prefix to GUEST_RESULT(1).
 */
#include "guest_macros.h"

	.code16
GUEST_START
	xor	%ax, %ax
	mov	%ax, %ss
	mov	$GUEST_STACK_TOP, %sp

	mov	$100, %cx
	xor	%ax, %ax
1:	add	%cx, %ax
	loop	1b

	mov	$(GUEST_RESULT_GPA >> 4), %dx
	mov	%dx, %ds
	mov	%ax, 0

	mov	$((GUEST_RESULT_GPA - 0x100) >> 4), %dx
	mov	%dx, %es
	mov	$0x100, %di
	mov	%es:(%di), %bx

	push	%ax
	pop	%si

	movl	$0x12345678, %edx
	movl	%edx, 8
	hlt
