/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tight loop that never exits on its own: increment GUEST_RESULT(0)
 * until the test sets GUEST_PARAM(0), then halt.  The loop's bounds go to
 * GUEST_RESULT(1) and (2) so the test can tell where the guest stopped.
 */
#include "guest_macros.h"

	.code64
GUEST_START
	movq	$loop_start, GUEST_RESULT(1)
	movq	$loop_end, GUEST_RESULT(2)
loop_start:
	incq	GUEST_RESULT(0)
	cmpq	$0, GUEST_PARAM(0)
	je	loop_start
loop_end:
	hlt
