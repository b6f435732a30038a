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

/*
 * One-instruction steps.  "step DEST, INSN" runs INSN and stores at DEST
 * the vector it raised, or STEP_NO_FAULT.  The guest sets the assembler
 * symbols step_last_vector and step_resume_rip (.set) to two words of its
 * results, places step_handlers once and points its IDT gates at
 * ud_handler, nm_handler, gp_handler and pf_handler, which record the
 * vector and resume after the step.
 */
#define STEP_NO_FAULT	0xff

.macro step dest, insn:vararg
	movq	$STEP_NO_FAULT, step_last_vector
	movq	$.Lresume\@, step_resume_rip
	\insn
.Lresume\@:
	push	%rax
	mov	step_last_vector, %rax
	mov	%rax, \dest
	pop	%rax
.endm

.macro step_handlers
ud_handler:
	movq	$6, step_last_vector
	jmp	step_resume
nm_handler:
	movq	$7, step_last_vector
	jmp	step_resume
gp_handler:
	movq	$13, step_last_vector
	add	$8, %rsp		/* error code */
	jmp	step_resume
pf_handler:
	movq	$14, step_last_vector
	add	$8, %rsp		/* error code */
step_resume:
	push	%rax
	mov	step_resume_rip, %rax
	mov	%rax, 8(%rsp)		/* the frame's RIP */
	pop	%rax
	iretq
.endm

#endif /* HVM_SELFTEST_GUEST_MACROS_H */
