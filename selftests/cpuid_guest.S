/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid_test's guest: read the feature words of CPUID, then execute the
 * instruction behind each feature whether or not it is advertised, storing
 * the vector it raised (cpuid.h).  The test judges only the advertised
 * ones: each of those must run without a fault.
 */
#include "guest_macros.h"
#include "cpuid_steps.h"

#define RESULT_AT(i)	(GUEST_RESULT_GPA + 8 * (i))
#define LAST_VECTOR	RESULT_AT(CPUID_LAST_VECTOR)
#define RESUME_RIP	RESULT_AT(CPUID_RESUME_RIP)
/* 64-byte aligned XSAVE area and a zeroed INVPCID descriptor. */
#define XSAVE_AREA	GUEST_SCRATCH_GPA
#define INVPCID_DESC	(GUEST_SCRATCH_GPA + 0x2000)

#define CR4_OSXSAVE	(1 << 18)
#define INVPCID_ALL_INCL_GLOBAL	2

.set	step_last_vector, LAST_VECTOR
.set	step_resume_rip, RESUME_RIP
.if CPUID_NO_FAULT - STEP_NO_FAULT
.error "CPUID_NO_FAULT differs from STEP_NO_FAULT"
.endif

.macro read_cpuid leaf, subleaf, reg, n
	mov	$\leaf, %eax
	mov	$\subleaf, %ecx
	cpuid
	mov	\reg, RESULT_AT(\n)
.endm

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 6, ud_handler
	idt64_set_gate 7, nm_handler
	idt64_set_gate 13, gp_handler
	idt64_set_gate 14, pf_handler
	idt64_load

	read_cpuid 1, 0, %rcx, CPUID_R_1_ECX
	read_cpuid 1, 0, %rdx, CPUID_R_1_EDX
	read_cpuid 7, 0, %rbx, CPUID_R_7_EBX
	read_cpuid 7, 0, %rcx, CPUID_R_7_ECX
	read_cpuid 7, 0, %rdx, CPUID_R_7_EDX
	read_cpuid 0x80000001, 0, %rcx, CPUID_R_81_ECX
	read_cpuid 0x80000001, 0, %rdx, CPUID_R_81_EDX
	read_cpuid 0xd, 0, %rax, CPUID_R_D0_EAX
	read_cpuid 0xd, 1, %rax, CPUID_R_D1_EAX

	step	RESULT_AT(CPUID_S_RDTSCP), rdtscp
	step	RESULT_AT(CPUID_S_RDPID), rdpid %rax
	mov	$INVPCID_ALL_INCL_GLOBAL, %eax
	mov	$INVPCID_DESC, %edi
	step	RESULT_AT(CPUID_S_INVPCID), invpcid (%rdi), %rax

	mov	%cr4, %rax
	or	$CR4_OSXSAVE, %rax
	step	RESULT_AT(CPUID_S_CR4_OSXSAVE), mov %rax, %cr4
	/* x87 and SSE, plus AVX state if leaf 0xd offers it. */
	mov	RESULT_AT(CPUID_R_D0_EAX), %rax
	and	$4, %eax
	or	$3, %eax
	mov	%rax, RESULT_AT(CPUID_R_XCR0)
	xor	%edx, %edx
	xor	%ecx, %ecx
	step	RESULT_AT(CPUID_S_XSETBV), xsetbv
	mov	$XSAVE_AREA, %edi
	mov	$3, %eax
	xor	%edx, %edx
	step	RESULT_AT(CPUID_S_XSAVE), xsave (%rdi)
	xor	%eax, %eax
	step	RESULT_AT(CPUID_S_XSAVES), xsaves (%rdi)
	step	RESULT_AT(CPUID_S_AVX), vxorps %ymm0, %ymm0, %ymm0

	movq	$1, RESULT_AT(CPUID_DONE)
	hlt

	step_handlers
