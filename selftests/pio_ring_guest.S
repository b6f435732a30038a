/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port I/O served by a device helper through the ring.
 * Writes: bytes/words/dwords with junk in the unused upper bits of RAX
 * (the helper must see only the access size), and a write through DX.
 * Reads: IN AL / AX / EAX with RAX preset to all 0x11, and IN EAX through
 * DX; RAX after each -> GUEST_RESULT(0..3).  IN AL and IN AX must leave
 * the rest of RAX alone, IN EAX zero-extends.
 */
#include "guest_macros.h"

#define PORT_WIDE	0x1234

	.code64
GUEST_START
	movabs	$0xffffffffffffff5a, %rax
	out	%al, $GUEST_PORT_DATA
	movabs	$0xffffffffffffbeef, %rax
	out	%ax, $(GUEST_PORT_DATA + 2)
	movabs	$0xffffffffdeadbeef, %rax
	out	%eax, $(GUEST_PORT_DATA + 4)
	mov	$PORT_WIDE, %edx
	mov	$0x77, %eax
	out	%al, %dx

	movabs	$0x1111111111111111, %rax
	in	$GUEST_PORT_DATA, %al
	mov	%rax, GUEST_RESULT(0)
	movabs	$0x1111111111111111, %rax
	in	$(GUEST_PORT_DATA + 2), %ax
	mov	%rax, GUEST_RESULT(1)
	movabs	$0x1111111111111111, %rax
	in	$(GUEST_PORT_DATA + 4), %eax
	mov	%rax, GUEST_RESULT(2)
	movabs	$0x1111111111111111, %rax
	in	%dx, %eax
	mov	%rax, GUEST_RESULT(3)
	hlt
