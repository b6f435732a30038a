/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical memory map shared by the test guests (assembly) and the
 * tests (C).  Only #defines: this file is included from both.
 *
 * Slot 0 is GUEST_RAM_SIZE bytes of RAM at GPA 0.  Everything a guest
 * reports back goes to GUEST_RESULT_GPA as 64-bit words, and a test hands
 * parameters in at GUEST_PARAM_GPA the same way.  Nothing is mapped at
 * GUEST_MMIO_GPA: accesses there are MMIO.
 */
#ifndef HVM_SELFTEST_GUEST_LAYOUT_H
#define HVM_SELFTEST_GUEST_LAYOUT_H

/* 64-bit unsigned in C (guest-physical addresses), plain in assembly. */
#ifdef __ASSEMBLER__
#define GUEST_U64(x)		x
#else
#define GUEST_U64(x)		x##ULL
#endif

#define GUEST_RAM_GPA		GUEST_U64(0x0)
#define GUEST_RAM_SIZE		GUEST_U64(0x100000)
/* Every guest binary is linked to run here. */
#define GUEST_CODE_GPA		GUEST_U64(0x1000)
#define GUEST_CODE_MAX		GUEST_U64(0x6000)
#define GUEST_PARAM_GPA		GUEST_U64(0x7000)
#define GUEST_RESULT_GPA	GUEST_U64(0x8000)
#define GUEST_IDT_GPA		GUEST_U64(0x9000)
/* The 64-bit IDT the guests build there: vectors 0-31, 16 bytes each. */
#define IDT64_LIMIT		(32 * 16 - 1)
#define GUEST_STACK_TOP		GUEST_U64(0xf000)
/* libhvm's long mode page tables and GDT: 6 pages. */
#define GUEST_PT_GPA		GUEST_U64(0x10000)
/* Free RAM for guests that touch many pages. */
#define GUEST_SCRATCH_GPA	GUEST_U64(0x20000)
#define GUEST_SCRATCH_SIZE	GUEST_U64(0xe0000)

/* Inside the identity-mapped 4 GiB, outside every slot. */
#define GUEST_MMIO_GPA		GUEST_U64(0xc0000000)

/* Ports the guests use for I/O tests. */
#define GUEST_PORT_DATA		GUEST_U64(0xe0)
#define GUEST_PORT_POSTED	GUEST_U64(0xe8)

/* Word i of the result / parameter area. */
#define GUEST_RESULT(i)		(GUEST_RESULT_GPA + 8 * (i))
#define GUEST_PARAM(i)		(GUEST_PARAM_GPA + 8 * (i))

#endif /* HVM_SELFTEST_GUEST_LAYOUT_H */
