/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events whose delivery faults in the nested page tables.  Before each
 * event the guest moves its stack to the top of a page it never touched,
 * each in its own 64 KiB block (the kernel maps neighbours only of pages
 * it has seen), so that pushing the event's frame exits and the backend
 * has to deliver the same event again.
 *
 *   event        return address expected   handler count
 *   INT3         after the INT3: (0)        (12)
 *   INT $20      after the INT: (1)         (13)
 *   #UD (UD2)    the UD2: (2)               (14)
 *   #GP(0)       the load: (4), code (3)    (15)
 *
 * The addresses it expects are in GUEST_RESULT(8)-(11); a handler that
 * ran twice shows in its count.
 */
#include "guest_macros.h"

#define VEC_SOFT	20
#define FRESH_STACK(n)	(GUEST_SCRATCH_GPA + 0x40000 + (n) * 0x10000 + 0x1000)

.macro on_fresh_stack n
	mov	%rsp, %rbp
	mov	$FRESH_STACK(\n), %rsp
.endm

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 3, bp_handler
	idt64_set_gate 6, ud_handler
	idt64_set_gate 13, gp_handler
	idt64_set_gate VEC_SOFT, soft_handler
	idt64_load
	movq	$after_int3, GUEST_RESULT(8)
	movq	$after_int, GUEST_RESULT(9)
	movq	$ud_insn, GUEST_RESULT(10)
	movq	$gp_insn, GUEST_RESULT(11)

	on_fresh_stack 0
	int3
after_int3:
	mov	%rbp, %rsp

	on_fresh_stack 1
	int	$VEC_SOFT
after_int:
	mov	%rbp, %rsp

	on_fresh_stack 2
ud_insn:
	ud2
after_ud:
	mov	%rbp, %rsp

	on_fresh_stack 3
	movabs	$0x8000000000000000, %rax
gp_insn:
	mov	(%rax), %rax
after_gp:
	mov	%rbp, %rsp
	hlt

/* Traps: the frame's RIP is already past the instruction. */
bp_handler:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, GUEST_RESULT(0)
	incq	GUEST_RESULT(12)
	pop	%rax
	iretq

soft_handler:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, GUEST_RESULT(1)
	incq	GUEST_RESULT(13)
	pop	%rax
	iretq

/* Faults: record, then resume after the faulting instruction. */
ud_handler:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, GUEST_RESULT(2)
	incq	GUEST_RESULT(14)
	movq	$after_ud, 8(%rsp)
	pop	%rax
	iretq

/* [rsp] error code, [rsp + 8] RIP. */
gp_handler:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, GUEST_RESULT(3)
	mov	16(%rsp), %rax
	mov	%rax, GUEST_RESULT(4)
	incq	GUEST_RESULT(15)
	movq	$after_gp, 16(%rsp)
	pop	%rax
	add	$8, %rsp
	iretq
