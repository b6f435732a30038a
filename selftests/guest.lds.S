/* SPDX-License-Identifier: GPL-2.0 */
/* Flat guest image: everything in one blob loaded at GUEST_CODE_GPA. */
#include "guest_layout.h"

OUTPUT_FORMAT(binary)
ENTRY(_start)
SECTIONS
{
	. = GUEST_CODE_GPA;
	.text : {
		*(.text.start)
		*(.text*)
		*(.rodata*)
		*(.data*)
		*(.bss*)
	}
	/DISCARD/ : {
		*(.note*)
		*(.comment)
		*(.eh_frame)
	}
}
