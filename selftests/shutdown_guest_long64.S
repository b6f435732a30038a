/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Triple fault in long mode: load an empty IDT, then UD2.  #UD cannot be
 * delivered (#GP), nor can that (#DF), nor that: the CPU shuts down.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	movw	$0, IDT64_DESC
	movq	$0, IDT64_DESC + 2
	lidt	IDT64_DESC
	ud2
	hlt
