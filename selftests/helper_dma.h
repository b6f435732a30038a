/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What helper_dma_guest.S and helper_dma_test.c agree on: where the DMA
 * test device sits, the rounds the guest runs and where it reports.
 * Only #defines: included from both.
 */
#ifndef HVM_SELFTEST_HELPER_DMA_H
#define HVM_SELFTEST_HELPER_DMA_H

#include "guest_layout.h"

/* hvm-helper --dma-test DMA_PORT */
#define DMA_PORT		0x300

/* Each round runs every good case once, with a different byte pattern. */
#define DMA_ROUNDS		4
#define DMA_NR_CASES		7
#define DMA_NR_BAD		7

/* Byte i of a buffer the guest fills: (7 * i + seed) mod 256. */
#define DMA_FINAL_GPA		(GUEST_SCRATCH_GPA)
#define DMA_FINAL_LEN		16
#define DMA_FINAL_SEED		0xa0
/* Poisoned before the bad requests, must be unchanged after them. */
#define DMA_TAIL_GPA		(GUEST_RAM_SIZE - 0x100)
#define DMA_TAIL_BYTE		0x33
#define DMA_GUARD_BYTE		0x5a

/* GUEST_RESULT(i) words. */
#define DMA_R_IDLE_STATUS	0	/* CMD read before any command */
#define DMA_R_OPS		1	/* good requests made */
#define DMA_R_BAD_STATUS	2	/* ... whose status was not OK */
#define DMA_R_BAD_SUM		3	/* ... whose SUM was not the guest's */
#define DMA_R_BAD_BYTES		4	/* bytes not incremented, all rounds */
#define DMA_R_GUARDS		5	/* guard bytes next to a buffer changed */
#define DMA_R_BAD_OK		6	/* bad requests with the right status */
#define DMA_R_BAD_FIRST		7	/* first bad request that was not: i + 1 */
#define DMA_R_BAD_FIRST_STATUS	8	/* ... and the status it got */
#define DMA_R_TAIL_CHANGED	9	/* poisoned tail bytes changed */
#define DMA_R_FINAL_STATUS	10	/* one good request after the bad ones */
#define DMA_R_FINAL_BAD_BYTES	11
#define DMA_R_DONE		12	/* 1 when the guest got to its end */

#endif /* HVM_SELFTEST_HELPER_DMA_H */
