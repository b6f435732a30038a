/* SPDX-License-Identifier: GPL-2.0 */
/* irq_test and its guest (irq_guest.c): cases, vectors, result words. */
#ifndef HVM_SELFTEST_IRQ_TEST_H
#define HVM_SELFTEST_IRQ_TEST_H

#define IRQ_CASE_MSI_COUNT	1
#define IRQ_CASE_PRIORITY	2
#define IRQ_CASE_TPR		3
#define IRQ_CASE_STI_SHADOW	4
#define IRQ_CASE_HLT_WAKEUP	5
#define IRQ_CASE_NMI		6
#define IRQ_CASE_SVR		7
#define IRQ_CASE_STORM		8

#define IRQ_VECTOR_LOW		0x30
#define IRQ_VECTOR		0x40
#define IRQ_VECTOR_MID		0x50
#define IRQ_VECTOR_HIGH		0x70
/* CR8 value that holds IRQ_VECTOR (class 4) but not IRQ_VECTOR_HIGH. */
#define IRQ_TPR_CLASS		5
/* SVR values: software-disabled and enabled, each with its own vector. */
#define IRQ_SVR_OFF		0x3f
#define IRQ_SVR_ON		(0x100 | 0xef)

/* The storm: every vector of IRQ_STORM_FIRST..LAST once per round. */
#define IRQ_STORM_FIRST		0x30
#define IRQ_STORM_LAST		0xef
#define IRQ_STORM_VECTORS	(IRQ_STORM_LAST - IRQ_STORM_FIRST + 1)
/*
 * A round not complete when the guest's APIC timer fires is lost: 20 s
 * at 128 ns a count (the 1 GHz APIC bus divided by 128), a bound that
 * turns a hang into a report, far above a round even under Bochs.
 */
#define IRQ_STORM_GUARD_VECTOR	0xf1
#define IRQ_STORM_GUARD_COUNT	156250000u

/* Rounds of a wait loop, each an exit: long enough to see it happen. */
#define IRQ_WAIT_ROUNDS		200000
#define IRQ_DUP_ROUNDS		200
#define IRQ_BLOCKED_ROUNDS	2000

/* GUEST_RESULT words. */
#define IRQ_R_DONE		0
#define IRQ_R_COUNT		1
#define IRQ_R_ORDER		2	/* vectors in handling order, a byte each */
#define IRQ_R_MAX_DEPTH		3
#define IRQ_R_ISR_OK		4
#define IRQ_R_MARKER		5
#define IRQ_R_IRR		6
#define IRQ_R_TPR		7
#define IRQ_R_BEFORE		8
#define IRQ_R_NMIS		9
#define IRQ_R_NMI_BLOCKED	10
#define IRQ_R_SHADOW_PAGE	11	/* address of the page the STI shadow stores to */
#define IRQ_R_SVR		12	/* SVR read back once re-enabled */
#define IRQ_R_SVR_OFF		13	/* SVR read back while disabled */
#define IRQ_R_LVT_OFF		14	/* LVT timer after an unmasking write */
#define IRQ_R_IRR_OFF		15	/* vector pending while disabled */
#define IRQ_R_LVT_ON		16	/* LVT timer after re-enabling */
#define IRQ_R_ROUNDS		17	/* storm rounds complete */
#define IRQ_R_EXTRA		18	/* storm vectors seen twice in a round */
#define IRQ_R_MISSING		19	/* vector << 32 | rounds seen, on a loss */
#define IRQ_R_TOTAL		20	/* storm interrupts handled */

#endif /* HVM_SELFTEST_IRQ_TEST_H */
