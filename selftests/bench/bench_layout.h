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

/* The value BENCH_PORT_IO reads return (the guest checks it). */
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
#define BENCH_NR_PHASES		5

#endif /* HVM_BENCH_LAYOUT_H */
