// SPDX-License-Identifier: GPL-2.0
/* The virtio-pci transport of one device: see virtio_pci.h. */
#include <string.h>
#include "virtio_pci.h"

/* Configuration space layout (PCI 3.0 header type 0). */
#define CFG_COMMAND		0x04
#define CFG_STATUS		0x06
#define CFG_BAR0		0x10
#define CFG_BAR0_HI		0x14
#define CFG_CAPS		0x34
#define CFG_INT_LINE		0x3c
#define CMD_MEMORY		0x0002
#define CMD_WRITABLE		0x0406	/* memory, bus master, INTx disable */
#define STATUS_CAP_LIST		0x0010
#define BAR_MEM64		0x4

/* Capabilities: the four virtio structures (4.1.4), then MSI-X. */
#define CAP_COMMON		0x40
#define CAP_NOTIFY		0x50	/* 20 bytes: + notify_off_multiplier */
#define CAP_ISR			0x64
#define CAP_DEVICE		0x74
#define CAP_MSIX		0x84
#define CAP_VENDOR		0x09
#define CAP_ID_MSIX		0x11
#define MSIX_ENABLE		0x8000
#define MSIX_FUNCTION_MASK	0x4000
#define MSIX_ENTRY_MASKED	1
#define NOTIFY_MULTIPLIER	4

/* Common configuration (4.1.4.3). */
#define COMMON_DFSELECT		0x00
#define COMMON_DF		0x04
#define COMMON_GFSELECT		0x08
#define COMMON_GF		0x0c
#define COMMON_MSIX		0x10
#define COMMON_NUMQ		0x12
#define COMMON_STATUS		0x14
#define COMMON_CFGGEN		0x15
#define COMMON_Q_SELECT		0x16
#define COMMON_Q_SIZE		0x18
#define COMMON_Q_MSIX		0x1a
#define COMMON_Q_ENABLE		0x1c
#define COMMON_Q_NOFF		0x1e
#define COMMON_Q_DESC		0x20
#define COMMON_Q_DRIVER		0x28
#define COMMON_Q_DEVICE		0x30
#define COMMON_SIZE		0x38

#define QUEUE_SIZE_DEFAULT	256

static void msix_deliver_pending(struct virtio_pci *dev);

static void put8(uint8_t *p, uint8_t v) { p[0] = v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void put_virtio_cap(uint8_t *cfg, unsigned int at, unsigned int next,
			   unsigned int len, uint8_t type, uint32_t offset,
			   uint32_t length)
{
	put8(cfg + at, CAP_VENDOR);
	put8(cfg + at + 1, next);
	put8(cfg + at + 2, len);
	put8(cfg + at + 3, type);
	put8(cfg + at + 4, 0);		/* BAR 0 */
	put32(cfg + at + 8, offset);
	put32(cfg + at + 12, length);
}

static uint64_t device_features(const struct virtio_pci *dev)
{
	return dev->model->features | 1ULL << VIRTIO_F_VERSION_1;
}

static void virtio_pci_reset(struct virtio_pci *dev)
{
	unsigned int q;

	dev->device_feature_select = 0;
	dev->driver_feature_select = 0;
	dev->driver_features = 0;
	dev->status = 0;
	dev->isr = 0;
	dev->msix_config = VIRTIO_MSI_NO_VECTOR;
	dev->queue_select = 0;
	for (q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		virtq_reset(&dev->queues[q].vq);
		dev->queues[q].vq.size = QUEUE_SIZE_DEFAULT;
		dev->queues[q].msix_vector = VIRTIO_MSI_NO_VECTOR;
		dev->queues[q].enabled = false;
	}
	if (dev->model->reset)
		dev->model->reset(dev);
}

void virtio_pci_init(struct virtio_pci *dev, const struct virtio_pci_model *m,
		     const struct hvm_guest_ram *ram, uint64_t bar0)
{
	uint8_t *cfg = dev->cfg;
	unsigned int v;

	memset(dev, 0, sizeof(*dev));
	dev->model = m;
	dev->ram = ram;
	put16(cfg + 0x00, VIRTIO_PCI_VENDOR);
	put16(cfg + 0x02, VIRTIO_PCI_DEVICE_BASE + m->device_id);
	put16(cfg + CFG_STATUS, STATUS_CAP_LIST);
	put8(cfg + 0x08, 1);			/* revision: modern */
	put8(cfg + 0x09, m->class_code);
	put8(cfg + 0x0a, m->class_code >> 8);
	put8(cfg + 0x0b, m->class_code >> 16);
	put16(cfg + 0x2c, VIRTIO_PCI_VENDOR);
	put16(cfg + 0x2e, VIRTIO_PCI_DEVICE_BASE + m->device_id);
	put8(cfg + CFG_CAPS, CAP_COMMON);
	put_virtio_cap(cfg, CAP_COMMON, CAP_NOTIFY, 16, 1, VIRTIO_PCI_COMMON,
		       COMMON_SIZE);
	put_virtio_cap(cfg, CAP_NOTIFY, CAP_ISR, 20, 2, VIRTIO_PCI_NOTIFY,
		       NOTIFY_MULTIPLIER * VIRTIO_PCI_MAX_QUEUES);
	put32(cfg + CAP_NOTIFY + 16, NOTIFY_MULTIPLIER);
	put_virtio_cap(cfg, CAP_ISR, CAP_DEVICE, 16, 3, VIRTIO_PCI_ISR, 1);
	put_virtio_cap(cfg, CAP_DEVICE, CAP_MSIX, 16, 4, VIRTIO_PCI_DEVICE_CFG,
		       m->config_size);
	put8(cfg + CAP_MSIX, CAP_ID_MSIX);
	put8(cfg + CAP_MSIX + 1, 0);
	put16(cfg + CAP_MSIX + 2, VIRTIO_PCI_MSIX_VECTORS - 1);
	put32(cfg + CAP_MSIX + 4, VIRTIO_PCI_MSIX_TABLE);
	put32(cfg + CAP_MSIX + 8, VIRTIO_PCI_MSIX_PBA);
	/* The VMM's placement, which the guest may change. */
	put32(cfg + CFG_BAR0, (uint32_t)bar0 | BAR_MEM64);
	put32(cfg + CFG_BAR0_HI, bar0 >> 32);
	put16(cfg + CFG_COMMAND, CMD_MEMORY);
	dev->bar0 = bar0;
	for (v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		dev->msix[v].ctrl = MSIX_ENTRY_MASKED;
	virtio_pci_reset(dev);
}

uint32_t virtio_pci_cfg_read(struct virtio_pci *dev, unsigned int off,
			     unsigned int size)
{
	uint32_t v = 0;

	if ((size != 1 && size != 2 && size != 4) || off % size ||
	    off + size > sizeof(dev->cfg))
		return ~0U;
	memcpy(&v, dev->cfg + off, size);
	return v;
}

void virtio_pci_cfg_write(struct virtio_pci *dev, unsigned int off,
			  unsigned int size, uint32_t value)
{
	uint32_t bar;
	uint16_t v16;

	if ((size != 1 && size != 2 && size != 4) || off % size ||
	    off + size > sizeof(dev->cfg))
		return;
	switch (off) {
	case CFG_COMMAND:
		if (size >= 2)
			put16(dev->cfg + CFG_COMMAND, value & CMD_WRITABLE);
		break;
	case CFG_BAR0:
		/* All ones asks for the size: the low bits stay zero. */
		if (size == 4) {
			bar = (value & ~(VIRTIO_PCI_BAR_SIZE - 1)) | BAR_MEM64;
			put32(dev->cfg + CFG_BAR0, bar);
		}
		break;
	case CFG_BAR0_HI:
		if (size == 4)
			put32(dev->cfg + CFG_BAR0_HI, value);
		break;
	case CFG_INT_LINE:
		put8(dev->cfg + CFG_INT_LINE, value);
		break;
	case CAP_MSIX + 2:
		if (size == 2) {
			memcpy(&v16, dev->cfg + off, 2);
			v16 = (v16 & ~(MSIX_ENABLE | MSIX_FUNCTION_MASK)) |
			      (value & (MSIX_ENABLE | MSIX_FUNCTION_MASK));
			put16(dev->cfg + off, v16);
			msix_deliver_pending(dev);
		}
		break;
	default:
		break;		/* read-only */
	}
	memcpy(&bar, dev->cfg + CFG_BAR0, 4);
	dev->bar0 = (uint64_t)virtio_pci_cfg_read(dev, CFG_BAR0_HI, 4) << 32 |
		    (bar & ~0xfU);
}

bool virtio_pci_bar_hit(const struct virtio_pci *dev, uint64_t gpa)
{
	uint16_t cmd;

	memcpy(&cmd, dev->cfg + CFG_COMMAND, 2);
	return (cmd & CMD_MEMORY) && gpa >= dev->bar0 &&
	       gpa - dev->bar0 < VIRTIO_PCI_BAR_SIZE;
}

static uint16_t msix_control(const struct virtio_pci *dev)
{
	uint16_t v;

	memcpy(&v, dev->cfg + CAP_MSIX + 2, 2);
	return v;
}

static void msix_fire(struct virtio_pci *dev, uint16_t vector)
{
	const struct virtio_pci_msix_entry *e;
	uint16_t ctrl = msix_control(dev);

	if (vector >= VIRTIO_PCI_MSIX_VECTORS || !(ctrl & MSIX_ENABLE))
		return;
	e = &dev->msix[vector];
	if ((ctrl & MSIX_FUNCTION_MASK) || (e->ctrl & MSIX_ENTRY_MASKED)) {
		dev->msix_pending |= 1ULL << vector;
		return;
	}
	dev->msix_pending &= ~(1ULL << vector);
	if (dev->model->msi)
		dev->model->msi(dev, (uint64_t)e->addr_hi << 32 | e->addr_lo,
				e->data);
}

/* Vectors left pending by a mask that is now lifted. */
static void msix_deliver_pending(struct virtio_pci *dev)
{
	uint16_t v;

	for (v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		if (dev->msix_pending & (1ULL << v))
			msix_fire(dev, v);
}

void virtio_pci_queue_interrupt(struct virtio_pci *dev, unsigned int q)
{
	if (q >= dev->model->nr_queues || !dev->queues[q].enabled ||
	    !virtq_should_notify(&dev->queues[q].vq))
		return;
	dev->isr |= 1;
	msix_fire(dev, dev->queues[q].msix_vector);
}

void virtio_pci_needs_reset(struct virtio_pci *dev)
{
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (!(dev->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	dev->config_generation++;
	dev->isr |= 2;
	msix_fire(dev, dev->msix_config);
}

static struct virtq *selected(struct virtio_pci *dev)
{
	if (dev->queue_select >= dev->model->nr_queues)
		return NULL;
	return &dev->queues[dev->queue_select].vq;
}

static uint64_t common_read(struct virtio_pci *dev, uint64_t off,
			    unsigned int size)
{
	struct virtq *vq = selected(dev);
	unsigned int q = dev->queue_select;
	uint64_t addr;

	switch (off) {
	case COMMON_DFSELECT:
		return dev->device_feature_select;
	case COMMON_DF:
		return dev->device_feature_select > 1 ? 0 :
		       (uint32_t)(device_features(dev) >>
				  (32 * dev->device_feature_select));
	case COMMON_GFSELECT:
		return dev->driver_feature_select;
	case COMMON_GF:
		return dev->driver_feature_select > 1 ? 0 :
		       (uint32_t)(dev->driver_features >>
				  (32 * dev->driver_feature_select));
	case COMMON_MSIX:
		return dev->msix_config;
	case COMMON_NUMQ:
		return dev->model->nr_queues;
	case COMMON_STATUS:
		return dev->status;
	case COMMON_CFGGEN:
		return dev->config_generation;
	case COMMON_Q_SELECT:
		return dev->queue_select;
	case COMMON_Q_SIZE:
		return vq ? vq->size : 0;
	case COMMON_Q_MSIX:
		return vq ? dev->queues[q].msix_vector : VIRTIO_MSI_NO_VECTOR;
	case COMMON_Q_ENABLE:
		return vq ? dev->queues[q].enabled : 0;
	case COMMON_Q_NOFF:
		return vq ? q : 0;
	}
	if (!vq || off < COMMON_Q_DESC || off >= COMMON_SIZE)
		return 0;
	addr = off < COMMON_Q_DRIVER ? vq->desc_gpa :
	       off < COMMON_Q_DEVICE ? vq->avail_gpa : vq->used_gpa;
	return off % 8 ? addr >> 32 : size == 8 ? addr : (uint32_t)addr;
}

static void set_half(uint64_t *field, uint64_t off, unsigned int size,
		     uint64_t value)
{
	if (size == 8)
		*field = value;
	else if (off % 8)
		*field = (*field & 0xffffffffULL) | value << 32;
	else
		*field = (*field & ~0xffffffffULL) | (uint32_t)value;
}

static void write_status(struct virtio_pci *dev, uint8_t value)
{
	unsigned int q;

	if (!value) {
		virtio_pci_reset(dev);
		return;
	}
	/* FEATURES_OK only for features offered, VERSION_1 among them. */
	if ((value & VIRTIO_STATUS_FEATURES_OK) &&
	    !(dev->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((dev->driver_features & ~device_features(dev)) ||
	     !(dev->driver_features & 1ULL << VIRTIO_F_VERSION_1)))
		value &= ~VIRTIO_STATUS_FEATURES_OK;
	dev->status = (value & ~VIRTIO_STATUS_NEEDS_RESET) |
		      (dev->status & VIRTIO_STATUS_NEEDS_RESET);
	for (q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		dev->queues[q].vq.event_idx = dev->driver_features &
			1ULL << VIRTIO_F_RING_EVENT_IDX;
}

static void common_write(struct virtio_pci *dev, uint64_t off,
			 unsigned int size, uint64_t value)
{
	struct virtq *vq = selected(dev);
	unsigned int q = dev->queue_select;
	uint64_t mask, *field;

	switch (off) {
	case COMMON_DFSELECT:
		dev->device_feature_select = value;
		return;
	case COMMON_GFSELECT:
		dev->driver_feature_select = value;
		return;
	case COMMON_GF:
		/* Features are fixed once FEATURES_OK is set. */
		if (dev->driver_feature_select > 1 ||
		    (dev->status & VIRTIO_STATUS_FEATURES_OK))
			return;
		mask = 0xffffffffULL << (32 * dev->driver_feature_select);
		dev->driver_features = (dev->driver_features & ~mask) |
			((uint64_t)(uint32_t)value <<
			 (32 * dev->driver_feature_select));
		return;
	case COMMON_MSIX:
		dev->msix_config = value < VIRTIO_PCI_MSIX_VECTORS ? value :
				   VIRTIO_MSI_NO_VECTOR;
		return;
	case COMMON_STATUS:
		write_status(dev, value);
		return;
	case COMMON_Q_SELECT:
		dev->queue_select = value;
		return;
	}
	/* Queue fields: an existing queue, not yet enabled (4.1.4.3.2). */
	if (!vq || dev->queues[q].enabled)
		return;
	switch (off) {
	case COMMON_Q_SIZE:
		if (value && value <= QUEUE_SIZE_DEFAULT &&
		    !(value & (value - 1)))
			vq->size = value;
		return;
	case COMMON_Q_MSIX:
		dev->queues[q].msix_vector = value < VIRTIO_PCI_MSIX_VECTORS ?
					     value : VIRTIO_MSI_NO_VECTOR;
		return;
	case COMMON_Q_ENABLE:
		if (value != 1)
			return;
		vq->event_idx = dev->driver_features &
				1ULL << VIRTIO_F_RING_EVENT_IDX;
		if (virtq_enable(vq, dev->ram))
			virtio_pci_needs_reset(dev);
		else
			dev->queues[q].enabled = true;
		return;
	}
	if (off < COMMON_Q_DESC || off >= COMMON_SIZE)
		return;
	field = off < COMMON_Q_DRIVER ? &vq->desc_gpa :
		off < COMMON_Q_DEVICE ? &vq->avail_gpa : &vq->used_gpa;
	set_half(field, off, size, value);
}

static uint64_t msix_read(struct virtio_pci *dev, uint64_t off)
{
	uint64_t i = off / 16;
	uint32_t *e;

	if (i >= VIRTIO_PCI_MSIX_VECTORS)
		return 0;
	e = &dev->msix[i].addr_lo;
	return e[(off % 16) / 4];
}

static void msix_write(struct virtio_pci *dev, uint64_t off, uint32_t value)
{
	uint64_t i = off / 16;
	struct virtio_pci_msix_entry *e;

	if (i >= VIRTIO_PCI_MSIX_VECTORS)
		return;
	e = &dev->msix[i];
	switch (off % 16) {
	case 0:
		e->addr_lo = value;
		break;
	case 4:
		e->addr_hi = value;
		break;
	case 8:
		e->data = value;
		break;
	default:
		e->ctrl = value & MSIX_ENTRY_MASKED;
		msix_deliver_pending(dev);
		break;
	}
}

/* Accesses within one field: whole, or a naturally aligned part. */
static bool access_ok(uint64_t off, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
	       !(off % size) && off < VIRTIO_PCI_BAR_SIZE;
}

uint64_t virtio_pci_bar_read(struct virtio_pci *dev, uint64_t off,
			     unsigned int size)
{
	uint64_t v = 0, cfg_off;
	uint8_t isr;

	if (!access_ok(off, size))
		return ~0ULL;
	if (off < VIRTIO_PCI_COMMON + COMMON_SIZE)
		return common_read(dev, off, size);
	if (off == VIRTIO_PCI_ISR) {
		/* Reading the ISR acknowledges it (4.1.4.5). */
		isr = dev->isr;
		dev->isr = 0;
		return isr;
	}
	if (off >= VIRTIO_PCI_DEVICE_CFG &&
	    off - VIRTIO_PCI_DEVICE_CFG < dev->model->config_size) {
		cfg_off = off - VIRTIO_PCI_DEVICE_CFG;
		if (cfg_off + size <= dev->model->config_size)
			memcpy(&v, (const uint8_t *)dev->model->config +
			       cfg_off, size);
		return v;
	}
	if (off >= VIRTIO_PCI_MSIX_TABLE && off < VIRTIO_PCI_MSIX_PBA &&
	    size == 4)
		return msix_read(dev, off - VIRTIO_PCI_MSIX_TABLE);
	if (off == VIRTIO_PCI_MSIX_PBA && size >= 4)
		return size == 8 ? dev->msix_pending :
		       (uint32_t)dev->msix_pending;
	return 0;
}

void virtio_pci_bar_write(struct virtio_pci *dev, uint64_t off,
			  unsigned int size, uint64_t value)
{
	uint64_t q;

	if (!access_ok(off, size))
		return;
	if (off < VIRTIO_PCI_COMMON + COMMON_SIZE) {
		common_write(dev, off, size, value);
		return;
	}
	if (off >= VIRTIO_PCI_NOTIFY &&
	    off < VIRTIO_PCI_NOTIFY + NOTIFY_MULTIPLIER * VIRTIO_PCI_MAX_QUEUES) {
		q = (off - VIRTIO_PCI_NOTIFY) / NOTIFY_MULTIPLIER;
		if (q < dev->model->nr_queues && dev->queues[q].enabled &&
		    (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
		    !(dev->status & VIRTIO_STATUS_NEEDS_RESET) &&
		    dev->model->notify)
			dev->model->notify(dev, q);
		return;
	}
	if (off >= VIRTIO_PCI_MSIX_TABLE && off < VIRTIO_PCI_MSIX_PBA &&
	    size == 4)
		msix_write(dev, off - VIRTIO_PCI_MSIX_TABLE, value);
}
