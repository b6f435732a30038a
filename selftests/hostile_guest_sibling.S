/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bystander VM of hostile_guest_test: fill the scratch RAM with a
 * pattern (word at address A = A * SIBLING_MULT ^ GUEST_PARAM(0)), then
 * verify all of it forever: GUEST_RESULT(0) counts passes, GUEST_RESULT(1)
 * words found wrong.  An OUT to GUEST_PORT_DATA after each pass hands
 * control back to the test.
 */
#include "guest_macros.h"
#include "hostile.h"

	.code64
GUEST_START
	movabs	$SIBLING_MULT, %rsi
	mov	$GUEST_SCRATCH_GPA, %edi
	mov	$(GUEST_SCRATCH_SIZE / 8), %ecx
1:	mov	%rdi, %rax
	imul	%rsi, %rax
	xor	GUEST_PARAM(0), %rax
	mov	%rax, (%rdi)
	add	$8, %rdi
	dec	%rcx
	jnz	1b

verify:
	mov	$GUEST_SCRATCH_GPA, %edi
	mov	$(GUEST_SCRATCH_SIZE / 8), %ecx
2:	mov	%rdi, %rax
	imul	%rsi, %rax
	xor	GUEST_PARAM(0), %rax
	cmp	%rax, (%rdi)
	je	3f
	incq	GUEST_RESULT(1)
3:	add	$8, %rdi
	dec	%rcx
	jnz	2b
	incq	GUEST_RESULT(0)
	out	%al, $GUEST_PORT_DATA
	jmp	verify
