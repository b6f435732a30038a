/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Touch TOUCH_PAGES pages of scratch RAM (so each VM maps and pins real
 * memory), then halt.
 */
#include "guest_macros.h"

#define TOUCH_PAGES	64

	.code64
GUEST_START
	mov	$GUEST_SCRATCH_GPA, %edi
	mov	$TOUCH_PAGES, %ecx
1:	movq	%rcx, (%rdi)
	add	$0x1000, %rdi
	loop	1b
	hlt
