/* SPDX-License-Identifier: GPL-2.0 */
/* Layout shared by isolation_test.c and isolation_guest.S. */
#ifndef HVM_SELFTEST_ISOLATION_H
#define HVM_SELFTEST_ISOLATION_H

#define SLOT1_GPA	0x200000
#define SLOT1_SIZE	0x10000
#define SLOT2_GPA	0x300000
#define SLOT2_SIZE	0x1000
/* Include after guest_layout.h. */
#define PATTERN		GUEST_U64(0x5ee5a11a5ee5a11a)

#endif /* HVM_SELFTEST_ISOLATION_H */
