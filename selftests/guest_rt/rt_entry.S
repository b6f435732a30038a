/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest runtime entry and interrupt stubs: each vCPU takes a stack from
 * its APIC ID, runs guest_main(id), then halts with IF=0 for good.
 */
#include "guest_layout.h"

#define RT_APIC_ID	0xfee00020
#define RT_STACK_SIZE	0x1000

	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	movl	$RT_APIC_ID, %eax
	movl	(%rax), %edi
	shrl	$24, %edi
	movl	%edi, %eax
	shll	$12, %eax
	movq	$GUEST_STACK_TOP, %rsp
	subq	%rax, %rsp
	call	rt_main
1:	cli
	hlt
	jmp	1b

	.text
/* Vectors whose exceptions push an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.macro	stub v
	.balign	16
	.if	!HAS_ERR(\v)
	pushq	$0
	.endif
	pushq	$\v
	jmp	rt_common
	.endm

	.globl	rt_stubs
	.balign	16
rt_stubs:
	.set	vec, 0
	.rept	256
	stub	vec
	.set	vec, vec + 1
	.endr

rt_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	leaq	72(%rsp), %rdi
	cld
	call	rt_dispatch
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
