/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by guest_memory_test.c and guest_memory_guest.S: the per-vCPU
 * control block the test fills before each run and the guest reports in.
 * Only #defines: this file is included from both.
 *
 * The test points RSI at vCPU i's block, GM_BLOCK(i) in slot 0, and sets
 * RIP to GUEST_CODE_GPA; the guest keeps no state anywhere else.
 */
#ifndef HVM_SELFTEST_GUEST_MEMORY_H
#define HVM_SELFTEST_GUEST_MEMORY_H

#include "guest_layout.h"

#define GM_BLOCK(i)		(GUEST_PARAM_GPA + 0x200 * (i))
#define GM_MAX_BLOCKS		4
/* Written by the test only: the dirty-log round the host is in. */
#define GM_HOST_ROUND_GPA	(GUEST_PARAM_GPA + 0x800)

/* Block fields, byte offsets.  In: */
#define GM_MODE			0x00
#define GM_BASE			0x08	/* first guest-physical address */
#define GM_PAGES		0x10	/* pages to visit */
#define GM_STRIDE		0x18	/* bytes from one page to the next */
#define GM_WORDS		0x20	/* 64-bit words per page (fill modes) */
#define GM_VALUE		0x28	/* pattern key / PRNG seed */
#define GM_STOP			0x30	/* the test sets it: halt soon */
#define GM_EXIT_EVERY		0x38	/* GM_ROUNDS: OUT after each round */
#define GM_LOG			0x40	/* GM_DIRTY: log of writes (gpa) */
#define GM_LOG_MAX		0x48	/* GM_DIRTY: entries it holds */
#define GM_OFFSET		0x50	/* GM_DIRTY: offset written in a page */
/* Out: */
#define GM_ROUND		0x80	/* GM_ROUNDS: last round verified;
					   GM_DIRTY: host round of the
					   last write */
#define GM_BAD			0x88	/* mismatches seen */
#define GM_BAD_ADDR		0x90	/* the last one: page, value, phase */
#define GM_BAD_VALUE		0x98
#define GM_BAD_PHASE		0xa0
#define GM_COUNT		0xa8	/* GM_DIRTY: log entries written */
#define GM_CHECK_RIP		0xb0	/* GM_ROUNDS: the check-phase load */
#define GM_WRITE_RIP		0xb8	/* GM_ROUNDS: the write-phase store */
#define GM_READBACK		0xc0	/* GM_MOVS: what MOVS from MMIO stored */

/*
 * Modes.  GM_WRITE / GM_CHECK / both: word j of page i (at
 * BASE + i * STRIDE + 8 * j, j < WORDS) is VALUE ^ (its offset from BASE);
 * CHECK counts words that differ in GM_BAD (the last one in GM_BAD_*),
 * then the guest halts.
 */
#define GM_WRITE		1
#define GM_CHECK		2
#define GM_WRITE_CHECK		3
/*
 * GM_ROUNDS: round r = 1, 2, ... until GM_STOP: check that the first and
 * last word of every page hold round r - 1's pattern (skipped in round 1
 * and after a failed verify), store round r's, read them back, publish r
 * in GM_ROUND (and OUT r to GM_PORT_ROUND if GM_EXIT_EVERY).  A word that
 * differs is reported (GM_BAD_*, phase 1 = check, 2 = verify) and OUT to
 * GM_PORT_BAD; the guest then goes on with the round's stores (check) or
 * the next round without a check (verify).
 */
#define GM_ROUNDS		4
/*
 * GM_MOVS: store VALUE at BASE, OUT to GM_PORT_ROUND (the test replaces
 * the memory now), MOVSQ from BASE to GUEST_MMIO_GPA, MOVSQ from
 * GUEST_MMIO_GPA to BASE + 8, load BASE + 8 into GM_READBACK, halt.
 */
#define GM_MOVS			5
/*
 * GM_DIRTY: until GM_STOP, at most GM_DIRTY_BURST writes per host round
 * (GM_HOST_ROUND_GPA): pick a page p of PAGES by xorshift64 (seeded with
 * VALUE), store R << 32 | p at BASE + p * 4096 + OFFSET (R: the host round
 * read before the store), append the same word to the log, publish the
 * number of entries in GM_COUNT and R in GM_ROUND, in that order.
 */
#define GM_DIRTY		6
#define GM_DIRTY_BURST		4

/* Round r's word in page i. */
#define GM_PATTERN(r, i)	(((r) << 32) | (i))

#define GM_PORT_ROUND		0xe0
#define GM_PORT_BAD		0xe4

#endif /* HVM_SELFTEST_GUEST_MEMORY_H */
