/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DMA test device of hvm-helper (--dma-test PORT): a guest hands it a
 * buffer by guest-physical address and length, and the helper reads and
 * rewrites that buffer through its mapping of the guest's memfd.  It
 * exists to test that path (selftests/helper_dma_test.c).  Only #defines
 * outside the C part: test guests include this file from assembly.
 *
 * Registers, 32 bits each, at PORT + offset; other access sizes or
 * offsets read all-ones and writes to them are ignored:
 *   ADDR_LO, ADDR_HI  guest-physical address of the buffer (read/write)
 *   LEN               its length in bytes (read/write)
 *   CMD               write: run a command; read: status of the last one
 *   SUM               read: sum of the bytes the last command read, mod 2^32
 * A command runs to its end before the OUT that wrote it retires (the
 * write is synchronous on the ring), so the guest reads the status next.
 */
#ifndef HVM_DMA_TEST_DEV_H
#define HVM_DMA_TEST_DEV_H

#define DMA_TEST_REG_ADDR_LO	0
#define DMA_TEST_REG_ADDR_HI	4
#define DMA_TEST_REG_LEN	8
#define DMA_TEST_REG_CMD	12
#define DMA_TEST_REG_SUM	16
#define DMA_TEST_PORTS		20

/* Add 1 (mod 256) to every byte of the buffer. */
#define DMA_TEST_CMD_INCREMENT	1

#define DMA_TEST_STATUS_OK		0
#define DMA_TEST_STATUS_BAD_ADDRESS	1	/* not all guest RAM */
#define DMA_TEST_STATUS_BAD_LENGTH	2	/* above DMA_TEST_MAX_LEN */
#define DMA_TEST_STATUS_BAD_COMMAND	3
#define DMA_TEST_STATUS_IDLE		0xff	/* no command yet */

/* One command touches at most this much: it holds up the vCPU. */
#define DMA_TEST_MAX_LEN	0x100000

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#include "libhvm.h"

struct dma_test_dev {
	uint16_t base;
	const struct hvm_guest_ram *ram;
	uint32_t addr_lo, addr_hi, len, status, sum;
	/* Each chunk is read once, changed here, then written back. */
	uint8_t bounce[4096];
};

void dma_test_init(struct dma_test_dev *dev, uint16_t base,
		   const struct hvm_guest_ram *ram);
/* Whether the port access [port, port + size) is the device's. */
bool dma_test_claims(const struct dma_test_dev *dev, uint64_t port,
		     unsigned int size);
void dma_test_access(struct dma_test_dev *dev, uint64_t port,
		     unsigned int size, bool is_write, uint64_t *data);
#endif

#endif /* HVM_DMA_TEST_DEV_H */
