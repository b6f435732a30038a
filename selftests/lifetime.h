/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by lifetime_test.c and lifetime_guest.S. */
#ifndef HVM_SELFTEST_LIFETIME_H
#define HVM_SELFTEST_LIFETIME_H

/* GUEST_PARAM(0): what the guest does. */
#define LIFETIME_IN_LOOP	0
#define LIFETIME_SPIN		1
#define LIFETIME_TOUCH		2
#define LIFETIME_HALT		3
#define LIFETIME_PROBE		4

/* The slot whose host mapping the munmap/mremap tests pull away. */
#define LIFETIME_SLOT_GPA	0x200000
#define LIFETIME_SLOT_PAGES	16

/* LIFETIME_TOUCH reports this when a page did not read back its value. */
#define LIFETIME_BAD_READBACK	0xbadbad

/*
 * LIFETIME_PROBE: the words the guest and the test exchange, and where the
 * guest keeps them in the slot's first page.
 */
#define LIFETIME_PROBE_TOUCHED	0x1
#define LIFETIME_PROBE_GUEST	0x11111111
#define LIFETIME_PROBE_HOST	0x22222222
#define LIFETIME_PROBE_DEVICE	0x33333333
#define LIFETIME_PROBE_MOVS_OUT	0	/* offset: RAM -> MMIO source */
#define LIFETIME_PROBE_MOVS_IN	8	/* offset: MMIO -> RAM target */

#endif /* HVM_SELFTEST_LIFETIME_H */
