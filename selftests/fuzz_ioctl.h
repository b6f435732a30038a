/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by fuzz_ioctl_test.c and fuzz_ioctl_guest.S. */
#ifndef HVM_SELFTEST_FUZZ_IOCTL_H
#define HVM_SELFTEST_FUZZ_IOCTL_H

/*
 * The slots the churner creates and deletes under the running guests:
 * FUZZ_SLOTS slots of up to FUZZ_SLOT_STRIDE bytes from FUZZ_SLOT_GPA.
 */
#define FUZZ_SLOT_GPA		0x40000000
#define FUZZ_SLOT_STRIDE	0x100000
#define FUZZ_SLOTS		6

#endif /* HVM_SELFTEST_FUZZ_IOCTL_H */
