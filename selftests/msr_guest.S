/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msr_test's guest: runs the list of MSR accesses the test put at
 * GUEST_PARAM(1) (GUEST_PARAM(0) of them, three words each: index,
 * write flag, value to write) and stores for access i the value read
 * (0 for a write) at GUEST_RESULT(2 * i) and the vector it raised, or
 * STEP_NO_FAULT, at GUEST_RESULT(2 * i + 1).
 */
#include "guest_macros.h"

.set	step_last_vector, GUEST_RESULT(510)
.set	step_resume_rip, GUEST_RESULT(511)

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 6, ud_handler
	idt64_set_gate 7, nm_handler
	idt64_set_gate 13, gp_handler
	idt64_set_gate 14, pf_handler
	idt64_load

	xor	%r12, %r12
	mov	$GUEST_PARAM(1), %r13
	mov	$GUEST_RESULT(0), %r14
next_access:
	cmp	GUEST_PARAM(0), %r12
	jae	done
	mov	(%r13), %ecx
	cmpq	$0, 8(%r13)
	jne	write
	xor	%eax, %eax
	xor	%edx, %edx
	step	8(%r14), rdmsr
	mov	%eax, %eax
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, (%r14)
	jmp	advance
write:
	mov	16(%r13), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	step	8(%r14), wrmsr
	movq	$0, (%r14)
advance:
	add	$24, %r13
	add	$16, %r14
	inc	%r12
	jmp	next_access
done:
	hlt

	step_handlers
