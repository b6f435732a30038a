/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Posted writes.  OUTs of 0, 1, 2, ... GUEST_PARAM(0) - 1 (dwords) to
 * GUEST_PORT_POSTED, which the helper registered as a posted range, then
 * one synchronous IN from the same port: the helper answers with the
 * number of posted writes it had consumed by then (GUEST_RESULT(0)), which
 * must be all of them.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	GUEST_PARAM(0), %rcx
	xor	%eax, %eax
1:	out	%eax, $GUEST_PORT_POSTED
	inc	%eax
	dec	%rcx
	jnz	1b

	in	$GUEST_PORT_POSTED, %eax
	mov	%rax, GUEST_RESULT(0)
	hlt
