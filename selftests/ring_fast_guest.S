/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring_fast_test's guest: touches its result page and reads
 * GUEST_MMIO_GPA once (the guest page tables on the way to it are faulted
 * in), halts (the test's starting point: no first-touch fault comes after
 * it), then reads
 * GUEST_PORT_DATA three times, GUEST_PORT_DATA + 1 once (the read the test
 * holds up) and GUEST_MMIO_GPA once, into GUEST_RESULT(0..4), and halts.
 * Every exit after the first HLT is one of those five reads or the HLT.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	xor	%eax, %eax
	mov	%rax, GUEST_RESULT(0)
	movabs	$GUEST_MMIO_GPA, %rdx
	mov	(%rdx), %eax
	xor	%eax, %eax
	hlt

	in	$GUEST_PORT_DATA, %al
	mov	%rax, GUEST_RESULT(0)
	in	$GUEST_PORT_DATA, %al
	mov	%rax, GUEST_RESULT(1)
	in	$GUEST_PORT_DATA, %al
	mov	%rax, GUEST_RESULT(2)
	in	$(GUEST_PORT_DATA + 1), %al
	mov	%rax, GUEST_RESULT(3)
	movabs	$GUEST_MMIO_GPA, %rdx
	mov	(%rdx), %eax
	mov	%rax, GUEST_RESULT(4)
	hlt
