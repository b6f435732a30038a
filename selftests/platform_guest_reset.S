/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resets the machine through the FADT's reset register (port 0xcf9,
 * value 6): platform_test expects hvm-run's reboot status.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	mov	$0xcf9, %dx
	mov	$0x06, %al
	out	%al, %dx
	hlt
