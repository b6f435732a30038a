/* SPDX-License-Identifier: GPL-2.0 */
/* apic_timer_test and its guest: cases, parameters, result words. */
#ifndef HVM_SELFTEST_APIC_TIMER_TEST_H
#define HVM_SELFTEST_APIC_TIMER_TEST_H

#define TIMER_CASE_ONESHOT	1
#define TIMER_CASE_PERIODIC	2
#define TIMER_CASE_DEADLINE	3
#define TIMER_CASE_PAST_DEADLINE 4

#define TIMER_VECTOR		0x40
/* Parameters: the case, then its count (APIC counts or TSC cycles). */
#define TIMER_P_CASE		0
#define TIMER_P_COUNT		1
#define TIMER_P_PERIODS		2

#define TIMER_R_DONE		0
#define TIMER_R_COUNT		1
#define TIMER_R_TMCCT		2	/* current count right after arming */
#define TIMER_R_DEADLINE	3	/* the deadline written */
#define TIMER_R_READBACK	4	/* TSC_DEADLINE read after writing */
#define TIMER_R_TSC_AT_IRQ	5	/* TSC in the first handler */
#define TIMER_R_AFTER		6	/* TSC_DEADLINE read after it fired */
#define TIMER_R_LATE_COUNT	7	/* count after waiting past the first */

#endif /* HVM_SELFTEST_APIC_TIMER_TEST_H */
