/* SPDX-License-Identifier: GPL-2.0 */
/*
 * COM1's receiver (platform_test.console): waits until the UART has a
 * byte (LSR bit 0), reads it and exits with it as the debug-exit code.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$0x3fd, %dx
1:	in	%dx, %al
	test	$0x01, %al
	jz	1b
	mov	$0x3f8, %dx
	in	%dx, %al
	out	%al, $0xf4
	hlt
