/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A known mix of exits for stats_test: 5 CPUID, 3 OUT to GUEST_PORT_DATA
 * (no ring: each goes to the test), one MMIO store, one RDMSR of an MSR
 * nobody handles (the test answers with an error: the guest takes #GP),
 * and a HLT in the #GP handler.  GUEST_RESULT(0) is 1 once the handler ran.
 */
#include "guest_macros.h"

#define STATS_UNKNOWN_MSR	0x4b564dfe

	.code64
GUEST_START
	/* A stack for the #GP the test makes the RDMSR raise. */
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 13, gp_handler
	idt64_load
	.rept 5
	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	.endr
	.rept 3
	out	%al, $GUEST_PORT_DATA
	.endr
	mov	$GUEST_MMIO_GPA, %edi
	movl	$0x12345678, (%rdi)
	mov	$STATS_UNKNOWN_MSR, %ecx
	rdmsr
	/* Not reached: the RDMSR faults. */
	movq	$2, GUEST_RESULT(0)
	hlt

gp_handler:
	movq	$1, GUEST_RESULT(0)
	hlt
