/* SPDX-License-Identifier: GPL-2.0 */
/* Synchronous port reads, forever: each one waits for the helper. */
#include "guest_macros.h"

	.code64
GUEST_START
1:	in	$GUEST_PORT_DATA, %al
	incq	GUEST_RESULT(0)
	jmp	1b
