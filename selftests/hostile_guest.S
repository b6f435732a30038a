/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hostile guest for hostile_guest_test; GUEST_PARAM(0) picks the scenario
 * (hostile.h).  Exceptions land in handlers that record the vector in
 * LAST_VECTOR and resume at the address in RESUME_RIP, so each "step"
 * below runs one instruction and stores the vector it raised, or
 * HOSTILE_NO_FAULT, in its result word.
 */
#include "guest_macros.h"
#include "hostile.h"

#define LAST_VECTOR	(GUEST_RESULT_GPA+8*8)
#define RESUME_RIP	(GUEST_RESULT_GPA+8*9)
#define RESULT_AT(i)	(GUEST_RESULT_GPA+8*(i))

#define MSR_STAR	0xc0000081

.set	step_last_vector, LAST_VECTOR
.set	step_resume_rip, RESUME_RIP
/* The C side's HOSTILE_NO_FAULT is the steps' own value. */
.if HOSTILE_NO_FAULT - STEP_NO_FAULT
.error "HOSTILE_NO_FAULT differs from STEP_NO_FAULT"
.endif

	.code64
GUEST_START
	mov	$GUEST_STACK_TOP, %rsp
	idt64_set_gate 6, ud_handler
	idt64_set_gate 13, gp_handler
	idt64_set_gate 14, pf_handler
	idt64_load

	mov	GUEST_PARAM(0), %rax
	cmp	$HOSTILE_UD, %rax
	je	ud_test
	cmp	$HOSTILE_MSR, %rax
	je	msr_test
	cmp	$HOSTILE_XSETBV_CR, %rax
	je	xcr_test
	cmp	$HOSTILE_TRIPLE_FAULT, %rax
	je	triple_fault
	cmp	$HOSTILE_STORM, %rax
	je	storm
	cmp	$HOSTILE_EDGES, %rax
	je	edges
	cmp	$HOSTILE_SMC, %rax
	je	smc
	cmp	$HOSTILE_FETCH_OUTSIDE, %rax
	je	fetch_outside
	cmp	$HOSTILE_FAR, %rax
	je	far
	cmp	$HOSTILE_HOST_STATE, %rax
	je	host_state
	hlt

/* SVM and VMX instructions, all of which must raise #UD. */
ud_test:
	mov	$GUEST_SCRATCH_GPA, %eax
	xor	%ebx, %ebx
	step	RESULT_AT(16), .byte 0x0f, 0x01, 0xd8	/* vmrun */
	step	RESULT_AT(17), .byte 0x0f, 0x01, 0xd9	/* vmmcall */
	step	RESULT_AT(18), .byte 0x0f, 0x01, 0xda	/* vmload */
	step	RESULT_AT(19), .byte 0x0f, 0x01, 0xdb	/* vmsave */
	step	RESULT_AT(20), .byte 0x0f, 0x01, 0xdc	/* stgi */
	step	RESULT_AT(21), .byte 0x0f, 0x01, 0xdd	/* clgi */
	step	RESULT_AT(22), .byte 0x0f, 0x01, 0xde	/* skinit */
	step	RESULT_AT(23), .byte 0x0f, 0x01, 0xdf	/* invlpga */
	step	RESULT_AT(24), .byte 0x0f, 0x01, 0xc1	/* vmcall */
	step	RESULT_AT(25), .byte 0x0f, 0x01, 0xc2	/* vmlaunch */
	step	RESULT_AT(26), .byte 0x0f, 0x01, 0xc3	/* vmresume */
	step	RESULT_AT(27), .byte 0x0f, 0x01, 0xc4	/* vmxoff */
	step	RESULT_AT(28), .byte 0x0f, 0x01, 0xd4	/* vmfunc */
	step	RESULT_AT(29), vmxon (%rax)
	step	RESULT_AT(30), vmptrld (%rax)
	step	RESULT_AT(31), vmptrst (%rax)
	step	RESULT_AT(32), vmclear (%rax)
	step	RESULT_AT(33), vmread %rax, %rbx
	step	RESULT_AT(34), vmwrite %rax, %rbx
	step	RESULT_AT(35), invept (%rax), %rbx
	step	RESULT_AT(36), invvpid (%rax), %rbx
	movq	$1, GUEST_RESULT(1)
	hlt

/*
 * Host state behind unprivileged-looking instructions: the performance
 * counters (RDPMC), the CPU/node number in TSC_AUX (RDTSCP, RDPID), and
 * the TPR the host loaded last (CR8).
 */
host_state:
	xor	%ecx, %ecx
	step	RESULT_AT(16), rdpmc
	mov	$0xc0000103, %ecx		/* TSC_AUX */
	mov	GUEST_PARAM(1), %eax
	xor	%edx, %edx
	wrmsr
	xor	%ecx, %ecx
	step	RESULT_AT(17), rdtscp
	mov	%rcx, RESULT_AT(18)
	xor	%eax, %eax
	step	RESULT_AT(19), .byte 0xf3, 0x0f, 0xc7, 0xf8	/* rdpid %rax */
	mov	%rax, RESULT_AT(20)
	mov	%cr8, %rax
	mov	%rax, RESULT_AT(21)
	mov	GUEST_PARAM(2), %rax
	mov	%rax, %cr8
	movq	$1, GUEST_RESULT(1)
	hlt

/* Read each MSR of the table, then write back the value XOR the mask. */
msr_test:
	mov	GUEST_PARAM(1), %r12
	xor	%r13, %r13
	mov	$GUEST_PARAM(2), %r14d
	mov	$GUEST_RESULT(16), %r15d
1:	cmp	%r12, %r13
	jae	2f
	mov	(%r14), %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	step	(%r15), rdmsr
	shl	$32, %rdx
	mov	%eax, %eax
	or	%rdx, %rax
	mov	%rax, 8(%r15)
	xor	8(%r14), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	(%r14), %ecx
	step	16(%r15), wrmsr
	add	$16, %r14
	add	$32, %r15
	inc	%r13
	jmp	1b
2:	movq	$1, GUEST_RESULT(1)
	hlt

/* Invalid XSETBV and control register values. */
xcr_test:
	cmpq	$0, GUEST_PARAM(1)
	je	no_xsave
	xor	%ecx, %ecx
	mov	$3, %eax
	xor	%edx, %edx
	step	RESULT_AT(16), xsetbv		/* CR4.OSXSAVE still clear */
	mov	%cr4, %rax
	or	$(1 << 18), %rax
	step	RESULT_AT(17), mov %rax, %cr4
	mov	$1, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	step	RESULT_AT(18), xsetbv		/* XCR1 */
	xor	%ecx, %ecx
	mov	$2, %eax
	step	RESULT_AT(19), xsetbv		/* x87 bit clear */
	mov	GUEST_PARAM(2), %rax
	or	$3, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	step	RESULT_AT(20), xsetbv		/* a bit the host lacks */
	mov	$3, %eax
	xor	%edx, %edx
	step	RESULT_AT(21), xsetbv		/* valid: x87 | SSE */
	xor	%ecx, %ecx
	xgetbv
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, GUEST_RESULT(2)
	/* XCR0 must read back what was set, exit after exit. */
	mov	GUEST_PARAM(3), %r8
1:	test	%r8, %r8
	jz	no_xsave
	mov	%r8d, %eax
	and	$1, %eax
	add	$1, %eax
	add	%eax, %eax
	dec	%eax			/* 1 (x87) or 3 (x87 | SSE) */
	mov	%eax, %r9d
	xor	%ecx, %ecx
	xor	%edx, %edx
	xsetbv
	xgetbv
	cmp	%eax, %r9d
	je	2f
	incq	GUEST_RESULT(3)
	mov	%rax, GUEST_RESULT(4)
2:	dec	%r8
	jmp	1b
no_xsave:
	mov	%cr4, %rax
	bts	$63, %rax
	step	RESULT_AT(22), mov %rax, %cr4	/* reserved CR4 bit */
	mov	%cr0, %rax
	btr	$0, %rax
	step	RESULT_AT(23), mov %rax, %cr0	/* PG without PE */
	mov	%cr0, %rax
	bts	$63, %rax
	step	RESULT_AT(24), mov %rax, %cr0	/* reserved CR0 bit */
	movq	$1, GUEST_RESULT(1)
	hlt

/* No IDT at all: #UD -> #DF -> shutdown. */
triple_fault:
	movw	$0, IDT64_DESC
	movq	$0, IDT64_DESC + 2
	lidt	IDT64_DESC
	ud2
	hlt

/* Exit storms: port writes, CPUID, in-kernel and userspace MSR reads. */
storm:
	mov	GUEST_PARAM(1), %r8
1:	out	%al, $GUEST_PORT_DATA
	incq	GUEST_RESULT(1)
	cmpq	$0, GUEST_PARAM(5)
	jne	2f
	dec	%r8
	jnz	1b
2:	out	%al, $GUEST_PORT_POSTED
	mov	GUEST_PARAM(2), %r8
3:	xor	%eax, %eax
	cpuid
	incq	GUEST_RESULT(2)
	cmpq	$0, GUEST_PARAM(5)
	jne	4f
	dec	%r8
	jnz	3b
4:	out	%al, $GUEST_PORT_POSTED
	mov	GUEST_PARAM(3), %r8
5:	mov	$MSR_STAR, %ecx
	rdmsr
	incq	GUEST_RESULT(3)
	cmpq	$0, GUEST_PARAM(5)
	jne	6f
	dec	%r8
	jnz	5b
6:	out	%al, $GUEST_PORT_POSTED
	mov	GUEST_PARAM(4), %r8
7:	mov	$HOSTILE_USER_MSR, %ecx
	rdmsr
	add	%rax, GUEST_RESULT(5)
	incq	GUEST_RESULT(4)
	cmpq	$0, GUEST_PARAM(5)
	jne	8f
	dec	%r8
	jnz	7b
8:	out	%al, $GUEST_PORT_POSTED
	hlt

/* Slot edges and a read-only slot. */
edges:
	movzbl	EDGE_SLOT_GPA + EDGE_SLOT_SIZE - 1, %eax
	mov	%rax, GUEST_RESULT(1)
	mov	EDGE_SLOT_GPA + EDGE_SLOT_SIZE - 4, %rax
	mov	%rax, GUEST_RESULT(2)
	movabs	$0x0102030405060708, %rax
	mov	%rax, EDGE_SLOT_GPA + EDGE_SLOT_SIZE - 4
	movb	$0x77, EDGE_RO_GPA + EDGE_RO_SIZE - 1
	mov	EDGE_RO_GPA + EDGE_RO_SIZE - 8, %rax
	mov	%rax, GUEST_RESULT(3)
	movq	$1, GUEST_RESULT(4)
	hlt

/*
 * Self-modifying MMIO stores: smc_store alternates between a 4-byte store
 * of EAX and an 8-byte store of RBX, rewritten by the guest between exits.
 * Then a store whose bytes straddle a page boundary, then a load the test
 * rewrites while its value is pending.
 */
smc:
	mov	$GUEST_MMIO_GPA, %edi
	movabs	$SMC_RAX, %rax
	movabs	$SMC_RBX, %rbx
	mov	$(2 * SMC_ROUNDS), %r8d
1:
smc_store:
	.byte	0x90, 0x89, 0x07		/* nop; mov %eax, (%rdi) */
	cmpb	$0x90, smc_store
	jne	2f
	movb	$0x48, smc_store		/* mov %rbx, (%rdi) */
	movb	$0x1f, smc_store + 2
	jmp	3f
2:	movb	$0x90, smc_store
	movb	$0x07, smc_store + 2
3:	dec	%r8d
	jnz	1b
	jmp	straddle
straddle_back:
	movq	$smc_load, GUEST_RESULT(2)
	mov	$-1, %rax
smc_load:
	.byte	0x90, 0x8b, 0x07		/* nop; mov (%rdi), %eax */
	mov	%rax, GUEST_RESULT(1)
	hlt

/* An MMIO store whose last byte lies past the end of slot 0. */
fetch_outside:
	mov	$GUEST_MMIO_GPA, %edi
	movw	$0x8948, GUEST_RAM_SIZE - 2	/* 48 89 | 07 outside */
	mov	$(GUEST_RAM_SIZE - 2), %eax
	jmp	*%rax

/*
 * Stores to the highest 2 MiB of guest-physical space the CPU can address
 * (no slot: MMIO) and to the first 2 MiB past it (reserved PTE bits: #PF).
 */
far:
	movabs	$FAR_LINEAR, %rdi
	movabs	$0x1122334455667788, %rax
	step	RESULT_AT(16), mov %rax, 0x1ff8(%rdi)
	add	$0x200000, %rdi
	step	RESULT_AT(17), mov %rax, (%rdi)
	movq	$1, GUEST_RESULT(1)
	hlt

	step_handlers

	.org	SMC_STRADDLE_GPA - GUEST_CODE_GPA
straddle:
	.byte	0x48, 0x89, 0x07		/* mov %rax, (%rdi) */
	jmp	straddle_back
