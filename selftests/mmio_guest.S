/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MMIO through the in-kernel decoder and the ring.  RDI points at
 * GUEST_MMIO_GPA, where the helper emulates a small byte-addressed device
 * memory.
 *   Stores of 1, 2, 4, 8 bytes from RAX (junk above the access size) at
 *   offsets 0, 2, 4, 8, and a 4-byte immediate store at 0x18.
 *   Loads of 1, 2, 4, 8 bytes back into RBX preset to all ones
 *     -> GUEST_RESULT(0..3): byte/word loads keep the rest of RBX, the
 *     dword load zero-extends.
 *   MOVZX/MOVSX of the byte at 0x20 and the word at 0x22 (the test put
 *     0x80 and 0x8590 there) -> GUEST_RESULT(4..7).
 *   OR $0x0f00 into the dword at 0x28 (read-modify-write).
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$GUEST_MMIO_GPA, %edi

	movabs	$0xffffffffffffff11, %rax
	mov	%al, (%rdi)
	movabs	$0xffffffffffff2233, %rax
	mov	%ax, 2(%rdi)
	movabs	$0xffffffff44556677, %rax
	mov	%eax, 4(%rdi)
	movabs	$0x8899aabbccddeeff, %rax
	mov	%rax, 8(%rdi)
	movl	$0x12345678, 0x18(%rdi)

	mov	$-1, %rbx
	mov	(%rdi), %bl
	mov	%rbx, GUEST_RESULT(0)
	mov	$-1, %rbx
	mov	2(%rdi), %bx
	mov	%rbx, GUEST_RESULT(1)
	mov	$-1, %rbx
	mov	4(%rdi), %ebx
	mov	%rbx, GUEST_RESULT(2)
	mov	8(%rdi), %rbx
	mov	%rbx, GUEST_RESULT(3)

	mov	$-1, %rbx
	movzbq	0x20(%rdi), %rbx
	mov	%rbx, GUEST_RESULT(4)
	movsbq	0x20(%rdi), %rbx
	mov	%rbx, GUEST_RESULT(5)
	mov	$-1, %rbx
	movzwl	0x22(%rdi), %ebx
	mov	%rbx, GUEST_RESULT(6)
	movswq	0x22(%rdi), %rbx
	mov	%rbx, GUEST_RESULT(7)

	orl	$0x0f00, 0x28(%rdi)
	hlt
