/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests for lifetime_test, chosen by GUEST_PARAM(0):
 *   LIFETIME_IN_LOOP: synchronous port reads forever; each value read is
 *     added to GUEST_RESULT(1), the count goes to GUEST_RESULT(0).
 *   LIFETIME_SPIN: touch every scratch page (so the VM pins about 1 MiB),
 *     then count in GUEST_RESULT(0) forever, no exits of its own.
 *   LIFETIME_TOUCH: forever: bump a counter, store it in the first word of
 *     each of the first GUEST_PARAM(1) pages of the slot at
 *     LIFETIME_SLOT_GPA (the test may raise it), read every one of those
 *     words back and OUT the counter (32 bits) to GUEST_PORT_DATA, or
 *     LIFETIME_BAD_READBACK if a page did not hold it.
 *   LIFETIME_HALT: touch 16 scratch pages and halt.
 *   LIFETIME_PROBE: one page, one truth (the slot's first page, P):
 *     store to P and OUT LIFETIME_PROBE_TOUCHED (the test then replaces
 *     the host mapping); load the dword at P and OUT it (the replacement's
 *     value); store LIFETIME_PROBE_GUEST at P + MOVS_OUT, read
 *     it back and OUT it; MOVS that dword from P + MOVS_OUT to
 *     GUEST_MMIO_GPA (an MMIO write); MOVS a dword from GUEST_MMIO_GPA to
 *     P + MOVS_IN (an MMIO read), read it back and OUT it; halt.
 */
#include "guest_macros.h"
#include "lifetime.h"

	.code64
GUEST_START
	mov	GUEST_PARAM(0), %rax
	cmp	$LIFETIME_IN_LOOP, %rax
	je	in_loop
	cmp	$LIFETIME_SPIN, %rax
	je	spin
	cmp	$LIFETIME_TOUCH, %rax
	je	touch
	cmp	$LIFETIME_PROBE, %rax
	je	probe
	jmp	halt

in_loop:
	xor	%eax, %eax
	in	$GUEST_PORT_DATA, %al
	add	%rax, GUEST_RESULT(1)
	incq	GUEST_RESULT(0)
	jmp	in_loop

spin:
	mov	$GUEST_SCRATCH_GPA, %edi
	mov	$(GUEST_SCRATCH_SIZE / 0x1000), %ecx
1:	movq	%rcx, (%rdi)
	add	$0x1000, %rdi
	loop	1b
2:	incq	GUEST_RESULT(0)
	jmp	2b

touch:
	xor	%ebx, %ebx
1:	inc	%rbx
	mov	GUEST_PARAM(1), %rcx
	mov	$LIFETIME_SLOT_GPA, %edi
2:	mov	%rbx, (%rdi)
	add	$0x1000, %rdi
	dec	%rcx
	jnz	2b
	mov	GUEST_PARAM(1), %rcx
	mov	$LIFETIME_SLOT_GPA, %edi
	mov	%ebx, %eax
3:	cmp	%rbx, (%rdi)
	jne	4f
	add	$0x1000, %rdi
	dec	%rcx
	jnz	3b
	out	%eax, $GUEST_PORT_DATA
	jmp	1b
4:	mov	$LIFETIME_BAD_READBACK, %eax
	out	%eax, $GUEST_PORT_DATA
	jmp	1b

probe:
	mov	$LIFETIME_SLOT_GPA, %ebx
	movq	$0, (%rbx)
	movq	$0, LIFETIME_PROBE_MOVS_IN(%rbx)
	mov	$LIFETIME_PROBE_TOUCHED, %eax
	out	%eax, $GUEST_PORT_DATA
	mov	(%rbx), %eax
	out	%eax, $GUEST_PORT_DATA
	movl	$LIFETIME_PROBE_GUEST, LIFETIME_PROBE_MOVS_OUT(%rbx)
	mov	LIFETIME_PROBE_MOVS_OUT(%rbx), %eax
	out	%eax, $GUEST_PORT_DATA
	cld
	lea	LIFETIME_PROBE_MOVS_OUT(%rbx), %rsi
	mov	$GUEST_MMIO_GPA, %edi
	movsl
	mov	$GUEST_MMIO_GPA, %esi
	lea	LIFETIME_PROBE_MOVS_IN(%rbx), %rdi
	movsl
	mov	LIFETIME_PROBE_MOVS_IN(%rbx), %eax
	out	%eax, $GUEST_PORT_DATA
	hlt

halt:
	mov	$GUEST_SCRATCH_GPA, %edi
	mov	$16, %ecx
1:	movq	%rcx, (%rdi)
	add	$0x1000, %rdi
	loop	1b
	hlt
