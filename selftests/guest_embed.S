/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wraps one flat guest binary into the test program:
 * GUEST_NAME##_start .. GUEST_NAME##_end (see DECLARE_GUEST in test_util.h).
 */
#define CAT(a, b)	a##b
#define XCAT(a, b)	CAT(a, b)

	.section .rodata, "a"
	.balign 16
	.globl XCAT(GUEST_NAME, _start)
XCAT(GUEST_NAME, _start):
	.incbin GUEST_BIN
	.globl XCAT(GUEST_NAME, _end)
XCAT(GUEST_NAME, _end):

	.section .note.GNU-stack, "", @progbits
