/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run on every vCPU of the VM at once.  RSI (set by the test per vCPU)
 * points at this vCPU's counter: increment it until the test sets
 * GUEST_PARAM(0), then halt.
 */
#include "guest_macros.h"

	.code64
GUEST_START
1:	incq	(%rsi)
	cmpq	$0, GUEST_PARAM(0)
	je	1b
	hlt
