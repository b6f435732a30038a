/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by hostile_guest_test.c and hostile_guest*.S. */
#ifndef HVM_SELFTEST_HOSTILE_H
#define HVM_SELFTEST_HOSTILE_H

/* GUEST_PARAM(0): the scenario. */
#define HOSTILE_UD		1
#define HOSTILE_MSR		2
#define HOSTILE_XSETBV_CR	3
#define HOSTILE_TRIPLE_FAULT	4
#define HOSTILE_STORM		5
#define HOSTILE_EDGES		6
#define HOSTILE_SMC		7
#define HOSTILE_FETCH_OUTSIDE	8
#define HOSTILE_FAR		9
#define HOSTILE_HOST_STATE	10

/* A step's GUEST_RESULT word when no exception interrupted it. */
#define HOSTILE_NO_FAULT	0xff

/* HOSTILE_UD: one result word per instruction, from GUEST_RESULT(16). */
#define HOSTILE_UD_FIRST	16
#define HOSTILE_UD_COUNT	21

/*
 * HOSTILE_MSR: GUEST_PARAM(1) entries at GUEST_PARAM(2 + 2i) (index) and
 * GUEST_PARAM(3 + 2i) (XOR mask for the value written back).  Results at
 * GUEST_RESULT(16 + 4i): RDMSR vector, value read, WRMSR vector.
 */
#define HOSTILE_MSR_MAX		24

/* HOSTILE_XSETBV_CR: GUEST_PARAM(1) = 1 if the CPU has XSAVE, (2) a bit
 * the host's XCR0 lacks, (3) how many XSETBV/XGETBV pairs to check.  Step
 * results from GUEST_RESULT(16); XGETBV after the valid XSETBV in
 * GUEST_RESULT(2); pairs that read back wrong in GUEST_RESULT(3), the last
 * wrong value in (4); GUEST_RESULT(1) = 1 at the end.
 */
#define HOSTILE_XCR_FIRST	16
#define HOSTILE_XCR_STEPS	9

/* HOSTILE_STORM: GUEST_PARAM(1) port exits, (2) CPUIDs, (3) in-kernel MSR
 * reads, (4) MSR reads that exit to userspace; each phase ends early once
 * the test sets GUEST_PARAM(5) (its time budget).  A write to
 * GUEST_PORT_POSTED ends each phase.
 */
#define HOSTILE_USER_MSR	0x1abc

/* HOSTILE_EDGES: slot 1 (EDGE_SLOT_SIZE) at EDGE_SLOT_GPA, slot 2 read-only
 * at EDGE_RO_GPA.
 */
#define EDGE_SLOT_GPA		0x200000
#define EDGE_SLOT_SIZE		0x2000
#define EDGE_RO_GPA		0x300000
#define EDGE_RO_SIZE		0x1000

/* HOSTILE_SMC: each MMIO store goes to GUEST_MMIO_GPA; RAX and RBX hold
 * these while it runs.
 */
#define SMC_RAX			0x1111111122222222
#define SMC_RBX			0x3333333344444444
#define SMC_ROUNDS		4
/* Where the page-straddling MMIO store starts: one byte before a page. */
#define SMC_STRADDLE_GPA	0x3fff

/* HOSTILE_FAR: the test maps linear FAR_LINEAR (2 MiB pages) to the top
 * of the guest-physical space and just past it.
 */
#define FAR_LINEAR		0x100000000
#define FAR_PD_GPA		0x80000

/* HOSTILE_HOST_STATE: GUEST_PARAM(1) the guest's TSC_AUX, (2) the TPR it
 * loads last.  Results from GUEST_RESULT(16): RDPMC vector, RDTSCP vector
 * and ECX, RDPID vector and value, the TPR (CR8) it found.
 */
#define HOSTILE_HOST_STATE_FIRST	16

/* The sibling VM: checksummed scratch memory. */
#define SIBLING_MULT		0x9e3779b97f4a7c15

#endif /* HVM_SELFTEST_HOSTILE_H */
