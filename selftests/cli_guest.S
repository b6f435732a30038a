/* SPDX-License-Identifier: GPL-2.0 */
/* For cli_test's hvm-stat case: three HLT exits, then it stays halted. */
#include "guest_macros.h"

	.code64
GUEST_START
	hlt
	hlt
	hlt
1:	hlt
	jmp	1b
