/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest the ioctl fuzzer's vCPUs run, forever: a port write and a
 * port read (ring or userspace), an MMIO store and load, a store and load
 * in each slot the churner adds and deletes underneath (RAM or MMIO,
 * depending on the moment), a count in GUEST_RESULT(0).
 */
#include "guest_macros.h"
#include "fuzz_ioctl.h"

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
1:	out	%al, $GUEST_PORT_DATA
	in	$GUEST_PORT_DATA, %al
	mov	$GUEST_MMIO_GPA, %edi
	mov	%eax, (%rdi)
	mov	8(%rdi), %rbx
	mov	$FUZZ_SLOT_GPA, %edi
	mov	$FUZZ_SLOTS, %ecx
2:	mov	%rcx, (%rdi)
	mov	8(%rdi), %rbx
	add	$FUZZ_SLOT_STRIDE, %rdi
	loop	2b
	incq	GUEST_RESULT(0)
	jmp	1b
