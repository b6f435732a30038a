/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events for trace_test: CPUID, an OUT to GUEST_PORT_DATA, an OUT to
 * GUEST_PORT_POSTED, a 4-byte MMIO store, and a RDMSR of an MSR nobody
 * handles (the test answers with an error: the guest takes #GP and halts
 * in its handler).  The addresses of the CPUID and the handler's HLT go
 * to GUEST_RESULT(0) and (1) for the test to find in the exit events.
 */
#include "guest_macros.h"

#define TRACE_UNKNOWN_MSR	0x4b564dfe

	.code64
GUEST_START
	/* A stack for the #GP the test makes the RDMSR raise. */
	mov	$GUEST_STACK_TOP, %rsp
	movq	$cpuid_insn, GUEST_RESULT(0)
	movq	$hlt_insn, GUEST_RESULT(1)
	idt64_set_gate 13, gp_handler
	idt64_load
	xor	%eax, %eax
	xor	%ecx, %ecx
cpuid_insn:
	cpuid
	mov	$0x5a, %eax
	out	%al, $GUEST_PORT_DATA
	out	%al, $GUEST_PORT_POSTED
	mov	$GUEST_MMIO_GPA, %edi
	movl	$0x12345678, (%rdi)
	mov	$TRACE_UNKNOWN_MSR, %ecx
	rdmsr
	hlt

gp_handler:
hlt_insn:
	hlt
