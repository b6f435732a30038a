/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assembler helpers for the test guests.  Include after guest_layout.h.
 * A guest starts with GUEST_START and ends in HLT; the test reads
 * GUEST_RESULT(i) words and registers after the exit.
 */
#ifndef HVM_SELFTEST_GUEST_MACROS_H
#define HVM_SELFTEST_GUEST_MACROS_H

#include "guest_layout.h"

/* The first byte of the image, loaded at GUEST_CODE_GPA. */
#define GUEST_START			\
	.section .text.start, "ax";	\
	.globl _start;			\
_start:

#define IDT64_DESC	(GUEST_IDT_GPA + 0x800)

/*
 * 64-bit mode: point exception vector \vec at \handler with an interrupt
 * gate for the current CS (the GDT is libhvm's, so the selector is read
 * rather than assumed).  Clobbers RAX.
 */
.macro idt64_set_gate vec, handler
	mov	$\handler, %eax
	movw	%ax, GUEST_IDT_GPA + 16 * \vec
	movw	%cs, GUEST_IDT_GPA + 16 * \vec + 2
	movw	$0x8e00, GUEST_IDT_GPA + 16 * \vec + 4
	shr	$16, %eax
	movw	%ax, GUEST_IDT_GPA + 16 * \vec + 6
	movl	$0, GUEST_IDT_GPA + 16 * \vec + 8
	movl	$0, GUEST_IDT_GPA + 16 * \vec + 12
.endm

/* 64-bit mode: load the IDT built by idt64_set_gate (vectors 0-31). */
.macro idt64_load
	movw	$IDT64_LIMIT, IDT64_DESC
	movq	$GUEST_IDT_GPA, IDT64_DESC + 2
	lidt	IDT64_DESC
.endm

#endif /* HVM_SELFTEST_GUEST_MACROS_H */
