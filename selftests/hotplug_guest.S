/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counts its runs in GUEST_RESULT(0) and halts; every HVM_RUN after a HLT
 * exit comes back here for one more.
 */
#include "guest_macros.h"

	.code64
GUEST_START
1:	incq	GUEST_RESULT(0)
	hlt
	jmp	1b
