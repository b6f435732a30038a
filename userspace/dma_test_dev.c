// SPDX-License-Identifier: GPL-2.0
/* hvm-helper's DMA test device: see dma_test_dev.h. */
#include <string.h>

#include "dma_test_dev.h"

void dma_test_init(struct dma_test_dev *dev, uint16_t base,
		   const struct hvm_guest_ram *ram)
{
	memset(dev, 0, sizeof(*dev));
	dev->base = base;
	dev->ram = ram;
	dev->status = DMA_TEST_STATUS_IDLE;
}

bool dma_test_claims(const struct dma_test_dev *dev, uint64_t port,
		     unsigned int size)
{
	return port >= dev->base && port - dev->base < DMA_TEST_PORTS &&
	       DMA_TEST_PORTS - (port - dev->base) >= size;
}

/*
 * The whole range is checked before the first byte is written, so a bad
 * request changes nothing; after that each chunk is copied out once, so
 * a guest changing the buffer meanwhile cannot make the helper act on two
 * different values of one byte.
 */
static uint32_t dma_increment(struct dma_test_dev *dev)
{
	uint64_t gpa = (uint64_t)dev->addr_hi << 32 | dev->addr_lo;
	uint64_t left = dev->len;
	size_t chunk, i;

	dev->sum = 0;
	if (left > DMA_TEST_MAX_LEN)
		return DMA_TEST_STATUS_BAD_LENGTH;
	if (hvm_guest_ram_check(dev->ram, gpa, left))
		return DMA_TEST_STATUS_BAD_ADDRESS;
	while (left) {
		chunk = left < sizeof(dev->bounce) ? left : sizeof(dev->bounce);
		if (hvm_guest_ram_read(dev->ram, gpa, dev->bounce, chunk))
			return DMA_TEST_STATUS_BAD_ADDRESS;
		for (i = 0; i < chunk; i++) {
			dev->sum += dev->bounce[i];
			dev->bounce[i]++;
		}
		if (hvm_guest_ram_write(dev->ram, gpa, dev->bounce, chunk))
			return DMA_TEST_STATUS_BAD_ADDRESS;
		gpa += chunk;
		left -= chunk;
	}
	return DMA_TEST_STATUS_OK;
}

static uint32_t *dma_test_reg(struct dma_test_dev *dev, unsigned int offset)
{
	switch (offset) {
	case DMA_TEST_REG_ADDR_LO:
		return &dev->addr_lo;
	case DMA_TEST_REG_ADDR_HI:
		return &dev->addr_hi;
	case DMA_TEST_REG_LEN:
		return &dev->len;
	case DMA_TEST_REG_CMD:
		return &dev->status;
	case DMA_TEST_REG_SUM:
		return &dev->sum;
	default:
		return NULL;
	}
}

void dma_test_access(struct dma_test_dev *dev, uint64_t port,
		     unsigned int size, bool is_write, uint64_t *data)
{
	unsigned int offset = port - dev->base;
	uint32_t *reg = dma_test_reg(dev, offset);

	if (size != 4 || !reg) {
		if (!is_write)
			*data = size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
		return;
	}
	if (!is_write) {
		*data = *reg;
		return;
	}
	switch (offset) {
	case DMA_TEST_REG_CMD:
		if ((uint32_t)*data == DMA_TEST_CMD_INCREMENT)
			dev->status = dma_increment(dev);
		else
			dev->status = DMA_TEST_STATUS_BAD_COMMAND;
		break;
	case DMA_TEST_REG_SUM:
		/* Read-only. */
		break;
	default:
		*reg = (uint32_t)*data;
		break;
	}
}
