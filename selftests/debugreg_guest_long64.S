/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug registers at CPL 0 in 64-bit mode; GUEST_PARAM(0) picks the
 * scenario (debugreg.h).  The #DB handler counts, records DR6, DR7 and
 * the return RIP, resets DR6, clears TF in the frame and returns; #UD and
 * #GP record their vector and halt.
 */
#include "guest_macros.h"
#include "debugreg.h"

#define RES(i)		(GUEST_RESULT_GPA + 8 * (i))
#define DR7_FIXED	0x400

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 1, db_handler
	idt64_set_gate 6, ud_handler
	idt64_set_gate 13, gp_handler
	idt64_load

	mov	GUEST_PARAM(0), %rax
	cmp	$DBG_ROUNDTRIP, %rax
	je	roundtrip
	cmp	$DBG_DATA_BP, %rax
	je	data_bp
	cmp	$DBG_HOST_PROBE, %rax
	je	host_probe
	cmp	$DBG_SINGLE_STEP, %rax
	je	single_step
	cmp	$DBG_GENERAL_DETECT, %rax
	je	general_detect
	cmp	$DBG_IST_RECURSION, %rax
	je	ist_recursion
	hlt

roundtrip:
	mov	$RT_DR0, %rax
	mov	%rax, %dr0
	movabs	$RT_DR1, %rax
	mov	%rax, %dr1
	movabs	$RT_DR2, %rax
	mov	%rax, %dr2
	mov	$RT_DR3, %eax
	mov	%rax, %dr3
	mov	$RT_DR6_IN, %rax
	mov	%rax, %dr6
	mov	$RT_DR7_IN, %rax
	mov	%rax, %dr7
	mov	%dr0, %rax
	mov	%rax, RES(0)
	mov	%dr1, %rax
	mov	%rax, RES(1)
	mov	%dr2, %rax
	mov	%rax, RES(2)
	mov	%dr3, %rax
	mov	%rax, RES(3)
	mov	%dr6, %rax
	mov	%rax, RES(4)
	mov	%dr7, %rax
	mov	%rax, RES(5)
	/* CR4.DE is clear: DR4 and DR5 are DR6 and DR7. */
	mov	%dr4, %rax
	mov	%rax, RES(6)
	mov	%dr5, %rax
	mov	%rax, RES(7)
	/* Bits 63:32 of DR7 are reserved: #GP, DR7 unchanged. */
	movabs	$0x100000400, %rax
	mov	%rax, %dr7
	hlt

data_bp:
	movq	$DBG_VAR_GPA, %rax
	mov	%rax, %dr0
	/* L0, R/W0 = 01 (writes), LEN0 = 11 (4 bytes). */
	mov	$(0x1 | 0x10000 | 0xc0000 | DR7_FIXED), %rax
	mov	%rax, %dr7
	movq	$.Ldata_bp_after, RES(RES_EXPECT_RIP)
	movl	$0x1234, DBG_VAR_GPA
.Ldata_bp_after:
	mov	$DR7_FIXED, %rax
	mov	%rax, %dr7
	hlt

/*
 * The probe reported on issue 11: an L0/G0 write breakpoint with DR0 never
 * written, then writes where the host put its breakpoint.  Then the guest
 * arms a write breakpoint of its own (DR2) on that same address and halts:
 * it must not fire in the host.
 */
host_probe:
	mov	$0x10403, %rax
	mov	%rax, %dr7
	mov	$16, %ecx
1:	movb	$1, DBG_HOST_VAR
	incq	DBG_HOST_VAR + 8
	dec	%ecx
	jnz	1b
	mov	$DR7_FIXED, %rax
	mov	%rax, %dr7
	mov	$DBG_HOST_VAR, %rax
	mov	%rax, %dr1
	mov	%rax, %dr2
	mov	%rax, %dr3
	mov	$(0x10 | 0x1000000 | DR7_FIXED), %rax
	mov	%rax, %dr7
	hlt

single_step:
	movq	$.Lstep_after, RES(RES_EXPECT_RIP)
	pushfq
	orq	$0x100, (%rsp)
	popfq
	/* The trap comes after the instruction following POPF. */
	nop
.Lstep_after:
	hlt

general_detect:
	mov	$(0x2000 | DR7_FIXED), %rax
	mov	%rax, %dr7
	movq	$.Lgd_insn, RES(RES_EXPECT_RIP)
.Lgd_insn:
	/* #DB (BD) before it runs; GD is clear again when it runs again. */
	mov	%dr0, %rax
	hlt

/*
 * CVE-2015-8104: #DB through IST 1, with a write breakpoint on the IST
 * stack slot the delivery pushes SS into.  Each delivery hits the
 * breakpoint again.  The GDT is rebuilt here with a TSS.
 */
ist_recursion:
	movq	$0, DBG_GDT_GPA
	movabs	$0x00af9a000000ffff, %rax
	mov	%rax, DBG_GDT_GPA + 8
	movabs	$0x00cf92000000ffff, %rax
	mov	%rax, DBG_GDT_GPA + 16
	movabs	$((0x89 << 40) | (DBG_TSS_GPA << 16) | 0x67), %rax
	mov	%rax, DBG_GDT_GPA + 24
	movq	$0, DBG_GDT_GPA + 32
	movw	$39, IDT64_DESC
	movq	$DBG_GDT_GPA, IDT64_DESC + 2
	lgdt	IDT64_DESC
	movq	$DBG_IST_TOP, DBG_TSS_GPA + 0x24
	mov	$0x18, %ax
	ltr	%ax
	idt64_load
	movb	$1, GUEST_IDT_GPA + 16 * 1 + 4
	movq	$(DBG_IST_TOP - 8), %rax
	mov	%rax, %dr0
	/* L0, R/W0 = 01 (writes), LEN0 = 10 (8 bytes). */
	mov	$(0x1 | 0x10000 | 0x80000 | DR7_FIXED), %rax
	mov	%rax, %dr7
	movq	$1, RES(RES_ARMED)
	movq	$0, DBG_IST_TOP - 8
	hlt

db_handler:
	push	%rax
	incq	RES(RES_DB_COUNT)
	mov	%dr6, %rax
	mov	%rax, RES(RES_DB_DR6)
	mov	%dr7, %rax
	mov	%rax, RES(RES_DB_DR7)
	mov	8(%rsp), %rax
	mov	%rax, RES(RES_DB_RIP)
	mov	$0xffff0ff0, %eax
	mov	%rax, %dr6
	andq	$~0x100, 24(%rsp)
	pop	%rax
	iretq

ud_handler:
	movq	$6, RES(RES_OTHER_VECTOR)
	hlt

gp_handler:
	movq	$13, RES(RES_OTHER_VECTOR)
	hlt
