/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a call refused by misc_fail's kprobe resumes: a bare return to
 * misc_register()'s caller, the stack as it was at the function's entry.
 */
#include <linux/linkage.h>
#include <asm/linkage.h>
#include "misc_fail.h"

SYM_FUNC_START(misc_fail_return)
	RET
SYM_FUNC_END(misc_fail_return)
