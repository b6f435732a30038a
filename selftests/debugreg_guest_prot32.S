/* SPDX-License-Identifier: GPL-2.0 */
/*
 * #AC at CPL 3 in 32-bit protected mode (no paging); GUEST_PARAM(0)
 * picks the scenario (debugreg.h).  The guest builds its own GDT (ring 0
 * and ring 3 flat segments, a TSS for the ring 0 stack) and IDT, sets
 * CR0.AM and IRETs to ring 3 with EFLAGS.AC and IOPL 3.
 *
 * AC_BASIC: a misaligned load; the ring 0 #AC handler records the count,
 * error code, CS and EIP of its frame and halts.
 * AC_RECURSION (CVE-2015-5307): the #AC gate leads to ring 3 code, so its
 * delivery pushes onto the same misaligned ring 3 stack and raises #AC
 * again, forever.  The ring 3 handler, if ever reached, counts and UD2s.
 * Either way a ring 3 UD2 reaches the ring 0 #UD handler: it records 6
 * and halts.
 */
#include "guest_macros.h"
#include "debugreg.h"

#define RES(i)		(GUEST_RESULT_GPA + 8 * (i))
#define IDT32		GUEST_IDT_GPA
#define DESC		(GUEST_IDT_GPA + 0x800)
#define RING0_STACK	GUEST_STACK_TOP
#define SEL_CODE0	0x08
#define SEL_DATA0	0x10
#define SEL_CODE3	0x1b
#define SEL_DATA3	0x23
#define SEL_TSS		0x28

/* 32-bit interrupt gate: vector, handler, code selector. */
.macro idt32_set_gate vec, handler, sel
	mov	$\handler, %eax
	movw	%ax, IDT32 + 8 * \vec
	movw	$\sel, IDT32 + 8 * \vec + 2
	movw	$0x8e00, IDT32 + 8 * \vec + 4
	shr	$16, %eax
	movw	%ax, IDT32 + 8 * \vec + 6
.endm

	.code32
GUEST_START
	movl	$0, DBG_GDT_GPA
	movl	$0, DBG_GDT_GPA + 4
	movl	$0x0000ffff, DBG_GDT_GPA + 0x08
	movl	$0x00cf9a00, DBG_GDT_GPA + 0x0c
	movl	$0x0000ffff, DBG_GDT_GPA + 0x10
	movl	$0x00cf9200, DBG_GDT_GPA + 0x14
	movl	$0x0000ffff, DBG_GDT_GPA + 0x18
	movl	$0x00cffa00, DBG_GDT_GPA + 0x1c
	movl	$0x0000ffff, DBG_GDT_GPA + 0x20
	movl	$0x00cff200, DBG_GDT_GPA + 0x24
	/* TSS below 16 MiB: base 23:16 in byte 4, type 9 present. */
	movl	$(((DBG_TSS_GPA & 0xffff) << 16) | 0x67), DBG_GDT_GPA + 0x28
	movl	$(((DBG_TSS_GPA >> 16) & 0xff) | 0x8900), DBG_GDT_GPA + 0x2c
	movw	$0x2f, DESC
	movl	$DBG_GDT_GPA, DESC + 2
	lgdt	DESC
	ljmp	$SEL_CODE0, $1f
1:	mov	$SEL_DATA0, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$RING0_STACK, %esp
	movl	$RING0_STACK, DBG_TSS_GPA + 4
	movl	$SEL_DATA0, DBG_TSS_GPA + 8
	movw	$0x68, DBG_TSS_GPA + 0x66
	mov	$SEL_TSS, %ax
	ltr	%ax

	idt32_set_gate 6, ud_handler, SEL_CODE0
	idt32_set_gate 13, gp_handler, SEL_CODE0
	cmpl	$AC_RECURSION, GUEST_PARAM(0)
	je	2f
	idt32_set_gate 17, ac_handler0, SEL_CODE0
	jmp	3f
2:	idt32_set_gate 17, ac_handler3, SEL_CODE3
3:	movw	$(32 * 8 - 1), DESC
	movl	$IDT32, DESC + 2
	lidt	DESC

	mov	%cr0, %eax
	or	$0x40000, %eax		/* CR0.AM */
	mov	%eax, %cr0
	pushl	$SEL_DATA3
	pushl	$AC_USER_STACK
	pushl	$0x43002		/* AC, IOPL 3 */
	pushl	$SEL_CODE3
	pushl	$ring3
	iret

ring3:
	mov	$SEL_DATA3, %ax
	mov	%ax, %ds
	mov	%ax, %es
	cmpl	$AC_RECURSION, GUEST_PARAM(0)
	je	recursion
	movl	$.Lac_insn, RES(RES_EXPECT_RIP)
.Lac_insn:
	movl	DBG_VAR_GPA + 1, %eax
	ud2

recursion:
	movl	$1, RES(RES_ARMED)
	mov	$(AC_USER_STACK + 1), %esp
	pushl	$0
	ud2

ac_handler0:
	incl	RES(RES_DB_COUNT)
	mov	(%esp), %eax
	mov	%eax, RES(RES_DB_DR6)
	mov	8(%esp), %eax
	mov	%eax, RES(RES_DB_DR7)
	mov	4(%esp), %eax
	mov	%eax, RES(RES_DB_RIP)
	hlt

ac_handler3:
	incl	RES(RES_DB_COUNT)
	ud2

ud_handler:
	movl	$6, RES(RES_OTHER_VECTOR)
	hlt

gp_handler:
	movl	$13, RES(RES_OTHER_VECTOR)
	hlt
