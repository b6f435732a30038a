/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper's PC devices, as Linux polls them (platform_test).  Each
 * check that fails writes its number to the debug-exit port (hvm-run
 * exits with it); when all pass the guest powers off through the ACPI
 * sleep control register (hvm-run exits 0).
 *
 *  1  RTC register A: update-in-progress (bit 7) reads 0
 *  2  RTC register D: valid RAM and time (bit 7) reads 1
 *  3  RTC seconds: a BCD number below 0x60
 *  4  PIT channel 2 (mode 0, gate on through port 0x61) counts down
 *  5  port 0x61: bit 4 toggles between reads, gate bit 0 reads back
 *  6  i8042 status (0x64) reads all-ones: no controller
 *  7  ACPI sleep status reads 0 (no wake-up pending)
 *  8  UART: enabling the THR-empty interrupt makes IIR report it once
 *  9  I/O APIC version register: 24 pins
 */
#include "guest_macros.h"

#define DEBUG_EXIT	0xf4

.macro fail n
	mov	$\n, %al
	out	%al, $DEBUG_EXIT
	hlt
.endm

.macro rtc_read reg
	mov	$\reg, %al
	out	%al, $0x70
	in	$0x71, %al
.endm

	.code64
GUEST_START
	rtc_read 0x0a
	test	$0x80, %al
	jz	1f
	fail	1
1:	rtc_read 0x0d
	test	$0x80, %al
	jnz	1f
	fail	2
1:	rtc_read 0x00
	cmp	$0x60, %al
	jb	2f
	fail	3
2:	mov	%al, %bl
	and	$0x0f, %bl
	cmp	$10, %bl
	jb	1f
	fail	3

	/* PIT channel 2, the way Linux's calibration starts it. */
1:	in	$0x61, %al
	and	$0xfd, %al
	or	$0x01, %al
	out	%al, $0x61
	mov	$0xb0, %al		/* channel 2, LSB then MSB, mode 0 */
	out	%al, $0x43
	mov	$0xff, %al
	out	%al, $0x42
	out	%al, $0x42
	mov	$0x80, %al		/* latch channel 2 */
	out	%al, $0x43
	in	$0x42, %al
	mov	%al, %bl
	in	$0x42, %al
	mov	%al, %bh		/* bx = first count */
	mov	$10, %ecx		/* let time pass: 10 port reads, far less than the 55 ms the count takes to wrap */
2:	in	$0x80, %al
	loop	2b
	mov	$0x80, %al
	out	%al, $0x43
	in	$0x42, %al
	mov	%al, %dl
	in	$0x42, %al
	mov	%al, %dh		/* dx = second count */
	cmp	%bx, %dx
	jb	1f
	fail	4

1:	in	$0x61, %al
	mov	%al, %bl
	in	$0x61, %al
	xor	%al, %bl
	test	$0x10, %bl
	jnz	2f
	fail	5
2:	test	$0x01, %al
	jnz	1f
	fail	5

1:	in	$0x64, %al
	cmp	$0xff, %al
	je	1f
	fail	6

1:	mov	$0x601, %dx
	in	%dx, %al
	test	%al, %al
	jz	1f
	fail	7

	/* UART: IER THRI on, with MCR OUT2 set as Linux does. */
1:	mov	$0x3fc, %dx
	mov	$0x08, %al
	out	%al, %dx
	mov	$0x3f9, %dx
	mov	$0x02, %al
	out	%al, %dx
	mov	$0x3fa, %dx
	in	%dx, %al
	and	$0x0f, %al
	cmp	$0x02, %al
	je	2f
	fail	8
2:	in	%dx, %al
	and	$0x0f, %al
	cmp	$0x01, %al
	je	2f
	fail	8
2:	mov	$0x3f9, %dx
	xor	%eax, %eax
	out	%al, %dx

	/* I/O APIC: select the version register, read the window. */
	mov	$0xfec00000, %esi	/* zero-extended: above 2 GiB */
	movl	$1, (%rsi)
	mov	0x10(%rsi), %eax
	shr	$16, %eax
	and	$0xff, %eax
	cmp	$23, %eax
	je	1f
	fail	9

	/* Soft off: SLP_TYP 5 << 2 | SLP_EN. */
1:	mov	$0x600, %dx
	mov	$0x34, %al
	out	%al, %dx
	hlt
