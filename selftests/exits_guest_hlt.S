/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HLT exits.  Before each HLT the guest puts the address of the next
 * instruction in RBX: the exit's RIP must equal it.  Between the two HLTs
 * it copies RAX (which the test edits through the run page) to
 * GUEST_RESULT(0), proving edited registers reach the guest.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$1f, %ebx
	hlt
1:	mov	%rax, GUEST_RESULT(0)
	mov	$2f, %ebx
	hlt
2:	hlt
