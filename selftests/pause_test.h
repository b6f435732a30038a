/* SPDX-License-Identifier: GPL-2.0 */
/* pause_test and its guest: parameters and result words. */
#ifndef HVM_SELFTEST_PAUSE_TEST_H
#define HVM_SELFTEST_PAUSE_TEST_H

/* GUEST_PARAM words. */
#define PAUSE_P_ROUNDS		0	/* handoffs each vCPU waits for */

/* GUEST_RESULT words. */
#define PAUSE_R_TOKEN		0	/* the token both vCPUs pass */
#define PAUSE_R_DONE(cpu)	(8 + (cpu))	/* 1 once its rounds are done */

#endif /* HVM_SELFTEST_PAUSE_TEST_H */
