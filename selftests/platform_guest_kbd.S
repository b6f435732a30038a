/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resets the machine through the i8042's pulse-reset command (0xfe to
 * port 0x64), Linux's fallback: platform_test expects hvm-run's reboot
 * status.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$0xfe, %al
	out	%al, $0x64
	hlt
