/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hypercall_test's CPL 0 guest (64-bit): two hypercalls, VMMCALL or
 * VMCALL as GUEST_PARAM(HC_P_AMD) says.  The first passes 64-bit values
 * in RAX, RBX, RCX, RDX and RSI; the guest stores the RAX it got back and
 * the other four registers as they were after it.  The second passes
 * HC_NR1 and stores RAX again (the test answers it differently).
 */
#include "guest_macros.h"
#include "hypercall.h"

.macro hypercall
	cmpq	$0, GUEST_PARAM(HC_P_AMD)
	je	1f
	vmmcall
	jmp	2f
1:	vmcall
2:
.endm

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	mov	$HC_NR0, %rax
	movabs	$HC_ARG0, %rbx
	movabs	$HC_ARG1, %rcx
	movabs	$HC_ARG2, %rdx
	movabs	$HC_ARG3, %rsi
	hypercall
	mov	%rax, GUEST_RESULT(HC_R_RET0)
	mov	%rbx, GUEST_RESULT(HC_R_RBX)
	mov	%rcx, GUEST_RESULT(HC_R_RCX)
	mov	%rdx, GUEST_RESULT(HC_R_RDX)
	mov	%rsi, GUEST_RESULT(HC_R_RSI)

	mov	$HC_NR1, %eax
	hypercall
	mov	%rax, GUEST_RESULT(HC_R_RET1)
	movq	$1, GUEST_RESULT(HC_R_DONE)
	hlt
