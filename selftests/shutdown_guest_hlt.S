/* SPDX-License-Identifier: GPL-2.0 */
/* A guest that only halts: proves a new VM runs after a shut-down one. */
#include "guest_macros.h"

	.code64
GUEST_START
	hlt
