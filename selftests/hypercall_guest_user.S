/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hypercall_test's CPL 3 guest (32-bit protected mode, no paging): it
 * builds a GDT with ring 0 and ring 3 flat segments, IRETs to ring 3 and
 * executes VMMCALL and VMCALL there.  Each must raise #UD: the handlers
 * run in ring 3 as well (a gate to a DPL 3 code segment needs no stack
 * switch, so no TSS), count it, record the faulting EIP and skip the
 * 3-byte instruction.  At the end ring 3 writes HC_USER_DONE to
 * GUEST_PORT_DATA (IOPL 3); any other exception writes HC_USER_FAILED.
 */
#include "guest_macros.h"
#include "hypercall.h"

#define GDT		GUEST_SCRATCH_GPA
#define DESC		(GUEST_IDT_GPA + 0x800)
#define IDT32		GUEST_IDT_GPA
#define SEL_CODE0	0x08
#define SEL_DATA0	0x10
#define SEL_CODE3	0x1b
#define SEL_DATA3	0x23
#define USER_STACK	(GUEST_STACK_TOP - 0x1000)

.macro gate vec, handler
	mov	$\handler, %eax
	movw	%ax, IDT32 + 8 * \vec
	movw	$SEL_CODE3, IDT32 + 8 * \vec + 2
	movw	$0xee00, IDT32 + 8 * \vec + 4
	shr	$16, %eax
	movw	%ax, IDT32 + 8 * \vec + 6
.endm

	.code32
GUEST_START
	movl	$0, GDT
	movl	$0, GDT + 4
	movl	$0x0000ffff, GDT + 0x08
	movl	$0x00cf9a00, GDT + 0x0c
	movl	$0x0000ffff, GDT + 0x10
	movl	$0x00cf9200, GDT + 0x14
	movl	$0x0000ffff, GDT + 0x18
	movl	$0x00cffa00, GDT + 0x1c
	movl	$0x0000ffff, GDT + 0x20
	movl	$0x00cff200, GDT + 0x24
	movw	$0x27, DESC
	movl	$GDT, DESC + 2
	lgdt	DESC
	ljmp	$SEL_CODE0, $1f
1:	mov	$SEL_DATA0, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$GUEST_STACK_TOP, %esp

	gate	6, ud_handler
	.irp vec, 0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 16, 17
	gate	\vec, other_handler
	.endr
	movw	$(32 * 8 - 1), DESC
	movl	$IDT32, DESC + 2
	lidt	DESC

	pushl	$SEL_DATA3
	pushl	$USER_STACK
	pushl	$0x3002			/* IOPL 3 */
	pushl	$SEL_CODE3
	pushl	$ring3
	iret

ring3:
	mov	$SEL_DATA3, %ax
	mov	%ax, %ds
	mov	%ax, %es
	movl	$.Lvmmcall, GUEST_RESULT(HC_R_VMMCALL_EIP)
	movl	$.Lvmcall, GUEST_RESULT(HC_R_VMCALL_EIP)
	mov	$HC_NR0, %eax
.Lvmmcall:
	vmmcall
.Lvmcall:
	vmcall
	mov	$HC_USER_DONE, %al
	out	%al, $GUEST_PORT_DATA
	jmp	.

/* Ring 3 to ring 3: EIP, CS, EFLAGS on this stack. */
ud_handler:
	push	%eax
	push	%ebx
	mov	GUEST_RESULT(HC_R_UD_COUNT), %ebx
	mov	8(%esp), %eax
	mov	%eax, GUEST_RESULT(HC_R_UD_EIP0)(, %ebx, 8)
	incl	GUEST_RESULT(HC_R_UD_COUNT)
	addl	$3, 8(%esp)
	pop	%ebx
	pop	%eax
	iret

other_handler:
	movl	$1, GUEST_RESULT(HC_R_OTHER_VECTOR)
	mov	$HC_USER_FAILED, %al
	out	%al, $GUEST_PORT_DATA
	jmp	.
