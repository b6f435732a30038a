/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port and MMIO accesses with no ring: each one exits to the test.
 *   OUT of 0x5a (RAX upper bits set) to GUEST_PORT_DATA;
 *   IN AX from GUEST_PORT_DATA + 2 (RAX preset to all 0x11):
 *     RAX -> GUEST_RESULT(0), only AX may change;
 *   MOV dword 0xdeadbeef to GUEST_MMIO_GPA;
 *   MOV qword from GUEST_MMIO_GPA + 8 -> GUEST_RESULT(1);
 *   MOV word from GUEST_MMIO_GPA + 0x10 into CX (preset to all ones)
 *     -> GUEST_RESULT(2), only CX may change.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	movabs	$0xffffffffffffff5a, %rax
	out	%al, $GUEST_PORT_DATA

	movabs	$0x1111111111111111, %rax
	in	$(GUEST_PORT_DATA + 2), %ax
	mov	%rax, GUEST_RESULT(0)

	mov	$GUEST_MMIO_GPA, %edi
	movl	$0xdeadbeef, (%rdi)

	mov	$-1, %rbx
	mov	8(%rdi), %rbx
	mov	%rbx, GUEST_RESULT(1)

	mov	$-1, %rcx
	mov	0x10(%rdi), %cx
	mov	%rcx, GUEST_RESULT(2)
	hlt
