/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest for helper_dma_test: DMA through hvm-helper's test device (see
 * userspace/dma_test_dev.h).  For DMA_ROUNDS rounds, each good case
 * fills a buffer with a pattern, puts a guard byte on each side, asks the
 * device to increment it and checks, while it runs, the status, the
 * device's sum of what it read, every byte and the guards.  Then bad
 * requests (outside RAM, running past its end, wrapping around 2^64, too
 * long, an unknown command) must each get their error status and leave a
 * poisoned tail of RAM alone, and one good request after them must still
 * work.  Counts go to GUEST_RESULT words (helper_dma.h).
 */
#include "guest_macros.h"
#include "dma_test_dev.h"
#include "helper_dma.h"

#define RAM_END		(GUEST_RAM_GPA + GUEST_RAM_SIZE)

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp

	mov	$(DMA_PORT + DMA_TEST_REG_CMD), %dx
	in	%dx, %eax
	mov	%rax, GUEST_RESULT(DMA_R_IDLE_STATUS)

	xor	%r15, %r15			/* round */
round_loop:
	mov	$cases, %r14
	xor	%r13, %r13			/* case */
case_loop:
	mov	(%r14), %rdi			/* gpa */
	mov	8(%r14), %rsi			/* length */
	mov	16(%r14), %r12			/* guard after it? */
	imul	$31, %r15, %rbx			/* seed = 31 * round + 13 * case */
	imul	$13, %r13, %rax
	add	%rax, %rbx
	call	fill
	movb	$DMA_GUARD_BYTE, -1(%rdi)
	test	%r12, %r12
	jz	1f
	movb	$DMA_GUARD_BYTE, (%rdi, %rsi)
1:
	mov	$DMA_TEST_CMD_INCREMENT, %eax
	call	dma
	test	%eax, %eax
	jz	2f
	incq	GUEST_RESULT(DMA_R_BAD_STATUS)
2:
	mov	$(DMA_PORT + DMA_TEST_REG_SUM), %dx
	in	%dx, %eax
	cmp	%r8d, %eax
	je	3f
	incq	GUEST_RESULT(DMA_R_BAD_SUM)
3:
	call	verify
	add	%rax, GUEST_RESULT(DMA_R_BAD_BYTES)
	cmpb	$DMA_GUARD_BYTE, -1(%rdi)
	je	4f
	incq	GUEST_RESULT(DMA_R_GUARDS)
4:
	test	%r12, %r12
	jz	5f
	cmpb	$DMA_GUARD_BYTE, (%rdi, %rsi)
	je	5f
	incq	GUEST_RESULT(DMA_R_GUARDS)
5:
	incq	GUEST_RESULT(DMA_R_OPS)
	add	$24, %r14
	inc	%r13
	cmp	$DMA_NR_CASES, %r13
	jb	case_loop
	inc	%r15
	cmp	$DMA_ROUNDS, %r15
	jb	round_loop

	/* Bad requests: the tail of RAM must not change. */
	mov	$DMA_TAIL_GPA, %rdi
	mov	$(RAM_END - DMA_TAIL_GPA), %rcx
	mov	$DMA_TAIL_BYTE, %al
	rep stosb
	mov	$bad_cases, %r14
	xor	%r13, %r13
bad_loop:
	mov	(%r14), %rdi
	mov	8(%r14), %rsi
	mov	16(%r14), %rax
	call	dma
	cmp	24(%r14), %rax
	jne	6f
	incq	GUEST_RESULT(DMA_R_BAD_OK)
	jmp	7f
6:
	cmpq	$0, GUEST_RESULT(DMA_R_BAD_FIRST)
	jne	7f
	lea	1(%r13), %rcx
	mov	%rcx, GUEST_RESULT(DMA_R_BAD_FIRST)
	mov	%rax, GUEST_RESULT(DMA_R_BAD_FIRST_STATUS)
7:
	add	$32, %r14
	inc	%r13
	cmp	$DMA_NR_BAD, %r13
	jb	bad_loop

	mov	$DMA_TAIL_GPA, %rdi
	xor	%r9, %r9
8:
	cmpb	$DMA_TAIL_BYTE, (%rdi)
	je	9f
	inc	%r9
9:
	inc	%rdi
	cmp	$RAM_END, %rdi
	jb	8b
	mov	%r9, GUEST_RESULT(DMA_R_TAIL_CHANGED)

	/* The device still works after all that. */
	mov	$DMA_FINAL_GPA, %rdi
	mov	$DMA_FINAL_LEN, %rsi
	mov	$DMA_FINAL_SEED, %rbx
	call	fill
	mov	$DMA_TEST_CMD_INCREMENT, %eax
	call	dma
	mov	%rax, GUEST_RESULT(DMA_R_FINAL_STATUS)
	call	verify
	mov	%rax, GUEST_RESULT(DMA_R_FINAL_BAD_BYTES)
	movq	$1, GUEST_RESULT(DMA_R_DONE)
	hlt

/*
 * Byte i of [rdi, rdi + rsi) = 7 * i + ebx (mod 256); r8d = their sum.
 * Clobbers rax, rcx.
 */
fill:
	xor	%ecx, %ecx
	xor	%r8d, %r8d
1:
	cmp	%rsi, %rcx
	jae	2f
	imul	$7, %ecx, %eax
	add	%ebx, %eax
	movzbl	%al, %eax
	mov	%al, (%rdi, %rcx)
	add	%eax, %r8d
	inc	%rcx
	jmp	1b
2:
	ret

/*
 * rax = how many bytes of [rdi, rdi + rsi) are not what fill put there
 * plus one.  Clobbers rcx, r9.
 */
verify:
	xor	%ecx, %ecx
	xor	%r9d, %r9d
1:
	cmp	%rsi, %rcx
	jae	2f
	imul	$7, %ecx, %eax
	add	%ebx, %eax
	inc	%eax
	cmp	%al, (%rdi, %rcx)
	je	3f
	inc	%r9
3:
	inc	%rcx
	jmp	1b
2:
	mov	%r9, %rax
	ret

/*
 * Program the device with address rdi and length esi, write command eax;
 * rax = the status.  Clobbers rdx, r10.
 */
dma:
	mov	%eax, %r10d
	mov	%edi, %eax
	mov	$(DMA_PORT + DMA_TEST_REG_ADDR_LO), %dx
	out	%eax, %dx
	mov	%rdi, %rax
	shr	$32, %rax
	mov	$(DMA_PORT + DMA_TEST_REG_ADDR_HI), %dx
	out	%eax, %dx
	mov	%esi, %eax
	mov	$(DMA_PORT + DMA_TEST_REG_LEN), %dx
	out	%eax, %dx
	mov	%r10d, %eax
	mov	$(DMA_PORT + DMA_TEST_REG_CMD), %dx
	out	%eax, %dx
	in	%dx, %eax
	ret

	.balign 8
/* gpa, length, whether the byte after it is RAM (a guard). */
cases:
	.quad	GUEST_SCRATCH_GPA, 1, 1
	.quad	0x20ffd, 7, 1			/* across a page boundary */
	.quad	0x22100, 0x1000, 1		/* a page's worth, across one */
	.quad	0x24000, 0x1000, 1		/* exactly one page */
	.quad	0x25ff0, 0x3020, 1		/* several pages and chunks */
	.quad	0x30000, 0x20000, 1		/* 128 KiB */
	.quad	RAM_END - 0x100, 0x100, 0	/* up to the last byte of RAM */
cases_end:
	.if (cases_end - cases) != DMA_NR_CASES * 24
	.error "DMA_NR_CASES does not match the table"
	.endif

/* gpa, length, command, the status it must get. */
bad_cases:
	.quad	GUEST_MMIO_GPA, 16, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_ADDRESS
	.quad	RAM_END - 0x100, 0x101, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_ADDRESS
	.quad	0xfffffffffffffff0, 0x20, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_ADDRESS
	.quad	0x100000000, 0x10, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_ADDRESS
	.quad	GUEST_SCRATCH_GPA, DMA_TEST_MAX_LEN + 1, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_LENGTH
	.quad	GUEST_SCRATCH_GPA, 0xffffffff, DMA_TEST_CMD_INCREMENT, DMA_TEST_STATUS_BAD_LENGTH
	.quad	GUEST_SCRATCH_GPA, 16, 7, DMA_TEST_STATUS_BAD_COMMAND
bad_cases_end:
	.if (bad_cases_end - bad_cases) != DMA_NR_BAD * 32
	.error "DMA_NR_BAD does not match the table"
	.endif
