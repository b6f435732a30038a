/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by lifetime_test.c and lifetime_guest.S. */
#ifndef HVM_SELFTEST_LIFETIME_H
#define HVM_SELFTEST_LIFETIME_H

/* GUEST_PARAM(0): what the guest does. */
#define LIFETIME_IN_LOOP	0
#define LIFETIME_SPIN		1
#define LIFETIME_TOUCH		2
#define LIFETIME_HALT		3

/* The slot whose host mapping the munmap/mremap tests pull away. */
#define LIFETIME_SLOT_GPA	0x200000
#define LIFETIME_SLOT_PAGES	16

#endif /* HVM_SELFTEST_LIFETIME_H */
