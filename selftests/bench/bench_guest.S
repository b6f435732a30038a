/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm-bench's guest, the same bytes on hvm and on KVM: 32-bit protected
 * mode, no paging, so that a guest address is a guest-physical one and
 * every touched page costs exactly one nested fault (no guest page tables
 * of its own to fault in).  Five phases, each ended by an OUT to
 * BENCH_PORT_DONE so that the host can time it (bench_layout.h):
 *
 *   warm-up  reads its parameters: the code and parameter pages are
 *            faulted in here, outside the timed phases
 *   touch    one 32-bit store into each 4 KiB page of the area, storing
 *            the count of pages left (the host checks the values)
 *   cpuid    CPUID leaf 0, which both hypervisors answer in the kernel
 *   pio out  OUT to BENCH_PORT_IO: an exit to the VMM process each
 *   pio in   IN from BENCH_PORT_IO: the same, answered by the VMM; a wrong
 *            value makes the guest run UD2, which with no IDT ends in a
 *            shutdown exit instead of the HLT
 *   mmio out 32-bit store to BENCH_MMIO_GPA: an exit to the VMM each
 *   mmio in  32-bit load from it, answered by the VMM and checked
 *
 * Seven phases in all.  Then the ring phases (bench_layout.h), each ended
 * by a HLT: IN twice (helper on this CPU, on the other), posted OUT twice,
 * posted MMIO stores twice, each store loop closed by one checked IN; then
 * the last HLT.  ESI, EDI and ECX are the
 * only state kept across exits.
 */
#include "guest_macros.h"
#include "bench_layout.h"

#define PARAM(i)	(GUEST_PARAM_GPA + 8 * (i))

	.code32
GUEST_START
	mov	PARAM(BENCH_PARAM_TOUCH_GPA), %esi
	mov	PARAM(BENCH_PARAM_TOUCH_PAGES), %ecx
	mov	PARAM(BENCH_PARAM_EXITS), %edi
	out	%al, $BENCH_PORT_DONE

	/* touch: ECX pages from ESI */
	test	%ecx, %ecx
	jz	2f
1:	mov	%ecx, (%esi)
	add	$4096, %esi
	dec	%ecx
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* cpuid: EDI times; CPUID clobbers EBX and ECX, which are free now */
	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%esi
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* pio out */
	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	out	%al, $BENCH_PORT_IO
	dec	%esi
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* pio in: the VMM answers BENCH_IO_VALUE */
	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	xor	%eax, %eax
	in	$BENCH_PORT_IO, %al
	cmp	$BENCH_IO_VALUE, %eax
	jne	3f
	dec	%esi
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* mmio out */
	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	mov	%eax, BENCH_MMIO_GPA
	dec	%esi
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* mmio in: the VMM answers BENCH_IO_VALUE */
	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	xor	%eax, %eax
	mov	BENCH_MMIO_GPA, %eax
	cmp	$BENCH_IO_VALUE, %eax
	jne	3f
	dec	%esi
	jnz	1b
2:	out	%al, $BENCH_PORT_DONE

	/* ring in, two placements */
	mov	$2, %ecx
4:	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	xor	%eax, %eax
	in	$BENCH_PORT_IO, %al
	cmp	$BENCH_IO_VALUE, %eax
	jne	3f
	dec	%esi
	jnz	1b
2:	hlt
	dec	%ecx
	jnz	4b

	/* posted out, two placements; the IN waits for the writes */
	mov	$2, %ecx
4:	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	out	%al, $BENCH_PORT_POSTED
	dec	%esi
	jnz	1b
	xor	%eax, %eax
	in	$BENCH_PORT_IO, %al
	cmp	$BENCH_IO_VALUE, %eax
	jne	3f
2:	hlt
	dec	%ecx
	jnz	4b

	/* posted mmio stores, two placements; the IN waits for them */
	mov	$2, %ecx
4:	mov	%edi, %esi
	test	%esi, %esi
	jz	2f
1:	mov	%eax, BENCH_MMIO_POSTED_GPA
	dec	%esi
	jnz	1b
	xor	%eax, %eax
	in	$BENCH_PORT_IO, %al
	cmp	$BENCH_IO_VALUE, %eax
	jne	3f
2:	hlt
	dec	%ecx
	jnz	4b
	hlt
3:	ud2
