/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by debugreg_test.c and its guests: scenarios (GUEST_PARAM(0)),
 * result words and guest addresses.  Only #defines.
 */
#ifndef HVM_SELFTEST_DEBUGREG_H
#define HVM_SELFTEST_DEBUGREG_H

#include "guest_layout.h"

/* debugreg_guest_long64.S scenarios. */
#define DBG_ROUNDTRIP		0	/* write DR0-3/6/7, read back */
#define DBG_DATA_BP		1	/* write breakpoint on a guest variable */
#define DBG_HOST_PROBE		2	/* DR7 = 0x10403, DR0 never written */
#define DBG_SINGLE_STEP		3	/* RFLAGS.TF */
#define DBG_GENERAL_DETECT	4	/* DR7.GD, then MOV from DR0 */
#define DBG_IST_RECURSION	5	/* breakpoint on the #DB IST stack */

/* debugreg_guest_prot32.S scenarios. */
#define AC_BASIC		0	/* misaligned load at CPL 3 */
#define AC_RECURSION		1	/* #AC whose delivery raises #AC */

/* Result words. */
#define RES_DB_COUNT		8	/* #DB (or #AC) handler runs */
#define RES_DB_DR6		9	/* DR6 (or #AC error code) it saw */
#define RES_DB_DR7		10	/* DR7 (or CS) it saw */
#define RES_DB_RIP		11	/* return RIP in its frame */
#define RES_EXPECT_RIP		12	/* where the guest expects that RIP */
#define RES_ARMED		13	/* the guest is about to fault */
#define RES_OTHER_VECTOR	15	/* another exception stopped the guest */

/* Roundtrip values: the guest writes these; DR4/DR5 read into 6 and 7. */
#define RT_DR0			GUEST_U64(0x1000)
#define RT_DR1			GUEST_U64(0xffffffff81000000)
#define RT_DR2			GUEST_U64(0x7fffffffe000)
#define RT_DR3			GUEST_U64(0xdeadbeef)
#define RT_DR6_IN		GUEST_U64(0x0000000000004003)
#define RT_DR6_OUT		GUEST_U64(0xffff4ff3)
#define RT_DR7_IN		GUEST_U64(0x55ff0300)
#define RT_DR7_OUT		GUEST_U64(0x55ff0700)

/* Guest addresses (identity mapped, in RAM). */
#define DBG_VAR_GPA		(GUEST_SCRATCH_GPA + 0x100)
#define DBG_GDT_GPA		(GUEST_SCRATCH_GPA + 0x1000)
#define DBG_TSS_GPA		(GUEST_SCRATCH_GPA + 0x2000)
#define DBG_IST_TOP		(GUEST_SCRATCH_GPA + 0x4000)
#define AC_USER_STACK		(GUEST_SCRATCH_GPA + 0x6000)
/* The host maps its breakpoint's page at this same address. */
#define DBG_HOST_PAGE		GUEST_U64(0x50000)
#define DBG_HOST_VAR		(DBG_HOST_PAGE + 0x10)

#endif /* HVM_SELFTEST_DEBUGREG_H */
