/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSR exits.
 *   1. RDMSR of MSR_UNHANDLED: the test supplies the value, stored to
 *      GUEST_RESULT(0).
 *   2. WRMSR of MSR_UNHANDLED with 0xcafef00d_deadbeef: the test checks
 *      the exit's data.
 *   3. RDMSR of MSR_UNHANDLED + 1: the test sets error = 1, so the guest
 *      takes #GP.  The handler counts it (GUEST_RESULT(5)), records the
 *      error code (6) and the faulting RIP (7; the address of the RDMSR
 *      is in GUEST_RESULT(2)) and skips the instruction; EAX keeps its
 *      marker (GUEST_RESULT(1)).
 *   4. LSTAR and STAR are written and read back with no exit
 *      (GUEST_RESULT(3), (4)).
 */
#include "guest_macros.h"

#define MSR_UNHANDLED	0x1abc
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 13, gp_handler
	idt64_load

	mov	$MSR_UNHANDLED, %ecx
	rdmsr
	mov	%eax, GUEST_RESULT(0)
	mov	%edx, GUEST_RESULT(0) + 4

	mov	$MSR_UNHANDLED, %ecx
	mov	$0xdeadbeef, %eax
	mov	$0xcafef00d, %edx
	wrmsr

	movq	$faulting_rdmsr, GUEST_RESULT(2)
	mov	$(MSR_UNHANDLED + 1), %ecx
	mov	$0x5a5a5a5a, %eax
faulting_rdmsr:
	rdmsr
	mov	%eax, GUEST_RESULT(1)

	mov	$MSR_LSTAR, %ecx
	mov	$0x81234560, %eax
	mov	$0xffffffff, %edx
	wrmsr
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%eax, GUEST_RESULT(3)
	mov	%edx, GUEST_RESULT(3) + 4

	mov	$MSR_STAR, %ecx
	mov	$0x12345678, %eax
	mov	$0x001b0008, %edx
	wrmsr
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%eax, GUEST_RESULT(4)
	mov	%edx, GUEST_RESULT(4) + 4
	hlt

/* #GP: [rsp] error code, [rsp + 8] RIP. */
gp_handler:
	push	%rax
	incq	GUEST_RESULT(5)
	mov	8(%rsp), %rax
	mov	%rax, GUEST_RESULT(6)
	mov	16(%rsp), %rax
	mov	%rax, GUEST_RESULT(7)
	addq	$2, 16(%rsp)
	pop	%rax
	add	$8, %rsp
	iretq
