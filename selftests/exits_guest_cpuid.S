/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPUID.  Runs CPUID for each (leaf, subleaf) pair below and stores
 * EAX, EBX, ECX, EDX as four 32-bit words at GUEST_RESULT_GPA + 16 * n.
 * The test compares them with the table it gave HVM_SET_CPUID.
 */
#include "guest_macros.h"

.macro query n, leaf, subleaf
	mov	$\leaf, %eax
	mov	$\subleaf, %ecx
	cpuid
	mov	%eax, GUEST_RESULT_GPA + 16 * \n
	mov	%ebx, GUEST_RESULT_GPA + 16 * \n + 4
	mov	%ecx, GUEST_RESULT_GPA + 16 * \n + 8
	mov	%edx, GUEST_RESULT_GPA + 16 * \n + 12
.endm

	.code64
GUEST_START
	query	0, 0x0, 0
	query	1, 0x4, 0
	query	2, 0x4, 1
	query	3, 0x40000000, 0
	/* A leaf the test invented, twice: its subleaf does not matter. */
	query	4, 0x4fff0001, 0
	query	5, 0x4fff0001, 5
	hlt
