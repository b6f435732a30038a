/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hvm-bench and its guest agree on: the guest's parameters (words of
 * GUEST_PARAM_GPA, guest_layout.h), its ports and where the memory it
 * touches sits.  Only #defines: included from C and from the guest.
 */
#ifndef HVM_BENCH_LAYOUT_H
#define HVM_BENCH_LAYOUT_H

#include "guest_layout.h"

/* Word i of the parameters: what each phase does. */
#define BENCH_PARAM_TOUCH_GPA	0	/* first byte of the touched area */
#define BENCH_PARAM_TOUCH_PAGES	1	/* 4 KiB pages to write, one each */
#define BENCH_PARAM_EXITS	2	/* iterations of each exit phase */

/*
 * A guest OUT to BENCH_PORT_DONE ends a phase (the host takes the time);
 * BENCH_PORT_IO is the port whose exits the PIO rows count.
 */
#define BENCH_PORT_IO		0xe0
#define BENCH_PORT_DONE		0xe4
/* Writes that hvm posts on its ring (the ring phases). */
#define BENCH_PORT_POSTED	0xe8

/*
 * MMIO, outside every slot: BENCH_MMIO_GPA's accesses exit to the VMM
 * like BENCH_PORT_IO's, BENCH_MMIO_POSTED_GPA's writes are posted (hvm) or
 * coalesced (KVM) in the ring phases.  32-bit accesses.
 */
#define BENCH_MMIO_GPA		GUEST_U64(0xd0000000)
#define BENCH_MMIO_POSTED_GPA	GUEST_U64(0xd0001000)

/* The value BENCH_PORT_IO and BENCH_MMIO_GPA reads return (checked). */
#define BENCH_IO_VALUE		0x5a

/*
 * The touched area: slot 1, from 16 MiB up, 2 MiB aligned so that a huge
 * host page can back a huge guest leaf; at most 1 GiB.
 */
#define BENCH_TOUCH_GPA		GUEST_U64(0x1000000)
#define BENCH_TOUCH_MAX		GUEST_U64(0x40000000)

/* Phases, in the order the guest runs them (each ends with a DONE). */
#define BENCH_PHASE_WARMUP	0
#define BENCH_PHASE_TOUCH	1
#define BENCH_PHASE_CPUID	2
#define BENCH_PHASE_PIO_OUT	3
#define BENCH_PHASE_PIO_IN	4
#define BENCH_PHASE_MMIO_OUT	5
#define BENCH_PHASE_MMIO_IN	6
#define BENCH_NR_PHASES		7

/*
 * The ring phases that follow, each ended by a HLT (with hvm's ring every
 * port access goes to the helper, so a DONE would not reach the host):
 * IN with the helper on the vCPU's CPU, IN with it on the other CPU, then
 * posted OUTs (each batch closed by one IN, which the ring serves only
 * after every write before it) in the same two placements, then posted
 * MMIO writes the same way.
 */
#define BENCH_RING_PHASES	6

#endif /* HVM_BENCH_LAYOUT_H */
