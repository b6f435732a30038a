/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring traffic for stats_test: 2 OUT and 1 IN on GUEST_PORT_DATA
 * (synchronous requests), 4 OUT to GUEST_PORT_POSTED (posted writes once
 * the test made that port posted), then HLT.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$1, %eax
	out	%al, $GUEST_PORT_DATA
	out	%al, $GUEST_PORT_DATA
	in	$GUEST_PORT_DATA, %al
	.rept 4
	out	%al, $GUEST_PORT_POSTED
	.endr
	hlt
