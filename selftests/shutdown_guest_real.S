/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Triple fault in real mode: an IVT limit of 0 makes INT3 (and then the
 * #GP and #DF it raises) undeliverable.
 */
#include "guest_macros.h"

	.code16
GUEST_START
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$GUEST_STACK_TOP, %sp
	movw	$0, GUEST_IDT_GPA
	movl	$0, GUEST_IDT_GPA + 2
	lidt	GUEST_IDT_GPA
	int3
	hlt
