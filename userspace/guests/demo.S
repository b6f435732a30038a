/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demo.bin: a tiny 64-bit guest for hvm-run.
 *
 * Entered in long mode (hvm-run's default for flat binaries) with paging,
 * a stack and rdi = vCPU number already set up.  vCPU 0 programs the COM1
 * UART, prints a greeting, the CPU vendor and brand strings it gets from
 * CPUID, a number it computes and a check of the UART scratch register,
 * then writes 0 to the debug-exit port: hvm-run exits with status 0.
 * Other vCPUs just halt.
 *
 * The code is position independent (RIP-relative data), so any --load
 * address works.
 */

#define COM1		0x3f8
#define UART_DLL	(COM1 + 0)	/* with LCR.DLAB set */
#define UART_DLM	(COM1 + 1)	/* with LCR.DLAB set */
#define UART_FCR	(COM1 + 2)
#define UART_LCR	(COM1 + 3)
#define UART_MCR	(COM1 + 4)
#define UART_LSR	(COM1 + 5)
#define UART_SCR	(COM1 + 7)
#define LSR_THRE	0x20
#define DEBUG_EXIT	0xf4

	.code64
	.text
	.globl _start
_start:
	test	%rdi, %rdi
	jnz	park

	call	uart_init

	lea	msg_hello(%rip), %rsi
	call	puts

	/* CPUID leaf 0: vendor string in ebx, edx, ecx. */
	sub	$64, %rsp
	xor	%eax, %eax
	cpuid
	mov	%ebx, 0(%rsp)
	mov	%edx, 4(%rsp)
	mov	%ecx, 8(%rsp)
	movb	$0, 12(%rsp)
	lea	msg_vendor(%rip), %rsi
	call	puts
	mov	%rsp, %rsi
	call	puts
	call	newline

	/* Leaves 0x80000002-4: the brand string, if the CPU has one. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000004, %eax
	jb	no_brand
	mov	$0x80000002, %r8d
	mov	%rsp, %r9
1:	mov	%r8d, %eax
	cpuid
	mov	%eax, 0(%r9)
	mov	%ebx, 4(%r9)
	mov	%ecx, 8(%r9)
	mov	%edx, 12(%r9)
	add	$16, %r9
	inc	%r8d
	cmp	$0x80000004, %r8d
	jbe	1b
	movb	$0, 48(%rsp)
	lea	msg_brand(%rip), %rsi
	call	puts
	mov	%rsp, %rsi
2:	cmpb	$' ', (%rsi)		/* brand strings may start with blanks */
	jne	3f
	inc	%rsi
	jmp	2b
3:	call	puts
	call	newline
no_brand:
	add	$64, %rsp

	/* Something computed in the guest: fib(90) with 64-bit adds. */
	xor	%eax, %eax
	mov	$1, %edx
	mov	$90, %ecx
4:	lea	(%rax, %rdx), %rbx
	mov	%rdx, %rax
	mov	%rbx, %rdx
	loop	4b
	push	%rax
	lea	msg_fib(%rip), %rsi
	call	puts
	pop	%rax
	call	put_decimal
	call	newline

	/* The scratch register must read back what was written. */
	mov	$UART_SCR, %dx
	mov	$0x5a, %al
	out	%al, %dx
	in	%dx, %al
	lea	msg_scratch_ok(%rip), %rsi
	cmp	$0x5a, %al
	je	5f
	lea	msg_scratch_bad(%rip), %rsi
5:	call	puts

	lea	msg_bye(%rip), %rsi
	call	puts

	/* Stop the VM: hvm-run exits with the value written, 0. */
	xor	%eax, %eax
	out	%eax, $DEBUG_EXIT
park:
	hlt
	jmp	park

/* 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on. */
uart_init:
	mov	$UART_LCR, %dx
	mov	$0x80, %al		/* DLAB: next two are the divisor */
	out	%al, %dx
	mov	$UART_DLL, %dx
	mov	$1, %al
	out	%al, %dx
	mov	$UART_DLM, %dx
	xor	%al, %al
	out	%al, %dx
	mov	$UART_LCR, %dx
	mov	$0x03, %al		/* 8N1, DLAB off */
	out	%al, %dx
	mov	$UART_FCR, %dx
	mov	$0x07, %al		/* enable and clear the FIFOs */
	out	%al, %dx
	mov	$UART_MCR, %dx
	mov	$0x03, %al		/* DTR, RTS */
	out	%al, %dx
	ret

/* Send %al once the transmitter has room. */
putc:
	push	%rdx
	push	%rax
	mov	$UART_LSR, %dx
1:	in	%dx, %al
	test	$LSR_THRE, %al
	jz	1b
	pop	%rax
	mov	$COM1, %dx
	out	%al, %dx
	pop	%rdx
	ret

/* Print the NUL-terminated string at %rsi. */
puts:
	push	%rsi
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	pop	%rsi
	ret

newline:
	mov	$'\n', %al
	jmp	putc

/* Print %rax in decimal. */
put_decimal:
	sub	$32, %rsp
	lea	31(%rsp), %rsi
	movb	$0, (%rsi)
	mov	$10, %ecx
1:	xor	%edx, %edx
	div	%rcx
	add	$'0', %dl
	dec	%rsi
	mov	%dl, (%rsi)
	test	%rax, %rax
	jnz	1b
	call	puts
	add	$32, %rsp
	ret

	/* Read-only data stays in .text: one loadable segment, no gaps. */
	.balign 8
msg_hello:
	.asciz	"hello from a guest under hvm\n"
msg_vendor:
	.asciz	"CPU vendor (CPUID 0): "
msg_brand:
	.asciz	"CPU brand (CPUID 0x80000002-4): "
msg_fib:
	.asciz	"fib(90) computed in the guest = "
msg_scratch_ok:
	.asciz	"UART scratch register reads back: ok\n"
msg_scratch_bad:
	.asciz	"UART scratch register reads back: WRONG\n"
msg_bye:
	.asciz	"bye: writing 0 to the debug-exit port\n"

	.section .note.GNU-stack, "", @progbits
