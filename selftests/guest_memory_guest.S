/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest of guest_memory_test: RSI points at this vCPU's control block
 * (guest_memory.h describes the fields and the modes).  No stack, no IDT:
 * anything unexpected ends in a triple fault the test sees as SHUTDOWN.
 */
#include "guest_macros.h"
#include "guest_memory.h"

	.code64
GUEST_START
	mov	GM_MODE(%rsi), %rax
	test	$GM_WRITE, %al
	jz	1f
	cmp	$GM_WRITE_CHECK, %rax
	jbe	fill
1:	cmp	$GM_CHECK, %rax
	je	check
	cmp	$GM_ROUNDS, %rax
	je	rounds
	cmp	$GM_MOVS, %rax
	je	movs
	cmp	$GM_DIRTY, %rax
	je	dirty
	ud2

/* ---- GM_WRITE / GM_CHECK ------------------------------------------------ */

/* RAX := VALUE ^ (RDI + RDX - BASE): the word at RDI + RDX. */
.macro fill_word
	mov	%rdi, %rax
	add	%rdx, %rax
	sub	GM_BASE(%rsi), %rax
	xor	GM_VALUE(%rsi), %rax
.endm

fill:
	mov	GM_BASE(%rsi), %rdi
	xor	%ecx, %ecx
1:	xor	%edx, %edx
2:	fill_word
	mov	%rax, (%rdi, %rdx)
	add	$8, %rdx
	mov	GM_WORDS(%rsi), %rax
	shl	$3, %rax
	cmp	%rax, %rdx
	jb	2b
	add	GM_STRIDE(%rsi), %rdi
	inc	%rcx
	cmp	GM_PAGES(%rsi), %rcx
	jb	1b
	testq	$GM_CHECK, GM_MODE(%rsi)
	jz	done

check:
	mov	GM_BASE(%rsi), %rdi
	xor	%ecx, %ecx
1:	xor	%edx, %edx
2:	fill_word
	mov	(%rdi, %rdx), %r8
	cmp	%rax, %r8
	je	3f
	incq	GM_BAD(%rsi)
	lea	(%rdi, %rdx), %rax
	mov	%rax, GM_BAD_ADDR(%rsi)
	mov	%r8, GM_BAD_VALUE(%rsi)
3:	add	$8, %rdx
	mov	GM_WORDS(%rsi), %rax
	shl	$3, %rax
	cmp	%rax, %rdx
	jb	2b
	add	GM_STRIDE(%rsi), %rdi
	inc	%rcx
	cmp	GM_PAGES(%rsi), %rcx
	jb	1b
done:
	hlt
	jmp	done

/* ---- GM_ROUNDS ---------------------------------------------------------- */

/*
 * Compare the first and last word of each page with the pattern of round
 * \round; a difference goes to \bad with RDI = the page, RDX = the value.
 * The load of the first word is at \label (the test wants its address).
 */
.macro rounds_compare round, bad, label
	mov	\round, %r8
	shl	$32, %r8
	mov	GM_BASE(%rsi), %rdi
	xor	%ecx, %ecx
1:	mov	%r8, %rax
	or	%rcx, %rax
\label:
	mov	(%rdi), %rdx
	cmp	%rax, %rdx
	jne	\bad
	mov	0xff8(%rdi), %rdx
	cmp	%rax, %rdx
	jne	\bad
	add	GM_STRIDE(%rsi), %rdi
	inc	%rcx
	cmp	GM_PAGES(%rsi), %rcx
	jb	1b
.endm

rounds:
	lea	rounds_check_load(%rip), %rax
	mov	%rax, GM_CHECK_RIP(%rsi)
	lea	rounds_store(%rip), %rax
	mov	%rax, GM_WRITE_RIP(%rsi)
	mov	$1, %r12d		/* the round being written */
	mov	$1, %r13d		/* no check: nothing stored yet */
rounds_next:
	cmpq	$0, GM_STOP(%rsi)
	jne	done
	test	%r13, %r13
	jnz	rounds_write
	lea	-1(%r12), %r9
	rounds_compare %r9, check_bad, rounds_check_load
rounds_write:
	mov	%r12, %r8
	shl	$32, %r8
	mov	GM_BASE(%rsi), %rdi
	xor	%ecx, %ecx
1:	mov	%r8, %rax
	or	%rcx, %rax
rounds_store:
	mov	%rax, (%rdi)
	mov	%rax, 0xff8(%rdi)
	add	GM_STRIDE(%rsi), %rdi
	inc	%rcx
	cmp	GM_PAGES(%rsi), %rcx
	jb	1b
	rounds_compare %r12, verify_bad, rounds_verify_load
	mov	%r12, GM_ROUND(%rsi)
	cmpq	$0, GM_EXIT_EVERY(%rsi)
	je	1f
	mov	%r12d, %eax
	out	%eax, $GM_PORT_ROUND
1:	inc	%r12
	xor	%r13d, %r13d
	jmp	rounds_next

/* What the last check found; the test reads it while the vCPU is out. */
.macro rounds_report phase
	movq	$\phase, GM_BAD_PHASE(%rsi)
	mov	%rdi, GM_BAD_ADDR(%rsi)
	mov	%rdx, GM_BAD_VALUE(%rsi)
	incq	GM_BAD(%rsi)
	mov	%r12d, %eax
	out	%eax, $GM_PORT_BAD
.endm

check_bad:
	rounds_report 1
	jmp	rounds_write
verify_bad:
	rounds_report 2
	inc	%r12
	mov	$1, %r13d
	jmp	rounds_next

/* ---- GM_MOVS ------------------------------------------------------------ */

movs:
	mov	%rsi, %r15
	mov	GM_BASE(%r15), %rbx
	mov	GM_VALUE(%r15), %rax
	mov	%rax, (%rbx)
	out	%eax, $GM_PORT_ROUND
	cld
	mov	%rbx, %rsi
	mov	$GUEST_MMIO_GPA, %edi
	movsq
	mov	$GUEST_MMIO_GPA, %esi
	lea	8(%rbx), %rdi
	movsq
	mov	8(%rbx), %rax
	mov	%rax, GM_READBACK(%r15)
	jmp	done

/* ---- GM_DIRTY ----------------------------------------------------------- */

dirty:
	mov	GM_VALUE(%rsi), %r9	/* xorshift64 state, not 0 */
	mov	GM_COUNT(%rsi), %r10	/* log entries so far */
	mov	$-1, %r11		/* host round of this burst */
	xor	%r12d, %r12d		/* writes in this burst */
	mov	GM_LOG(%rsi), %rbx
1:	cmpq	$0, GM_STOP(%rsi)
	jne	done
	mov	GM_HOST_ROUND_GPA, %rax
	cmp	%rax, %r11
	je	2f
	mov	%rax, %r11
	xor	%r12d, %r12d
2:	cmp	$GM_DIRTY_BURST, %r12
	jae	3f
	cmp	GM_LOG_MAX(%rsi), %r10
	jae	3f
	mov	%r9, %rax
	shl	$13, %rax
	xor	%rax, %r9
	mov	%r9, %rax
	shr	$7, %rax
	xor	%rax, %r9
	mov	%r9, %rax
	shl	$17, %rax
	xor	%rax, %r9
	mov	%r9, %rax
	xor	%edx, %edx
	divq	GM_PAGES(%rsi)		/* RDX: the page */
	mov	%rdx, %rdi
	shl	$12, %rdi
	add	GM_BASE(%rsi), %rdi
	add	GM_OFFSET(%rsi), %rdi
	mov	%r11, %rax
	shl	$32, %rax
	or	%rdx, %rax
	/* The page first, then the log, then the count (x86 keeps order). */
	mov	%rax, (%rdi)
	mov	%rax, (%rbx, %r10, 8)
	inc	%r10
	mov	%r10, GM_COUNT(%rsi)
	mov	%r11, GM_ROUND(%rsi)
	inc	%r12
	jmp	1b
3:	pause
	jmp	1b
