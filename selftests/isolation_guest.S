/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest writes around and outside its slots (no ring: each MMIO access
 * exits to the test).  RAX = PATTERN throughout.
 *   Inside slot 1 (first and last word): plain RAM, no exit.
 *   Just past slot 1, just below it, just past slot 0, at 2 GiB and in
 *   the last page below 4 GiB: each an MMIO exit, never host memory.
 *   Read-only slot 2: a load reads the host's page (GUEST_RESULT(0)), a
 *   store is an MMIO exit, a second load still sees the host's data
 *   (GUEST_RESULT(1)).
 */
#include "guest_macros.h"
#include "isolation.h"

	.code64
GUEST_START
	movabs	$PATTERN, %rax

	mov	%rax, SLOT1_GPA
	mov	%rax, SLOT1_GPA + SLOT1_SIZE - 8

	mov	%rax, SLOT1_GPA + SLOT1_SIZE
	mov	%rax, SLOT1_GPA - 8
	mov	%rax, GUEST_RAM_GPA + GUEST_RAM_SIZE
	mov	$0x80000000, %edi
	mov	%rax, (%rdi)
	mov	$0xfffff000, %edi
	mov	%rax, (%rdi)

	mov	SLOT2_GPA, %rbx
	mov	%rbx, GUEST_RESULT(0)
	mov	%rax, SLOT2_GPA
	mov	SLOT2_GPA, %rbx
	mov	%rbx, GUEST_RESULT(1)
	hlt
