// SPDX-License-Identifier: GPL-2.0
/* virtio-pci devices on the helper's PCI bus: see virtio_dev.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "virtio_dev.h"

static uint32_t dev_cfg_read(void *opaque, unsigned int off,
			     unsigned int size)
{
	return virtio_pci_cfg_read(opaque, off, size);
}

static void dev_cfg_write(void *opaque, unsigned int off, unsigned int size,
			  uint32_t value)
{
	virtio_pci_cfg_write(opaque, off, size, value);
}

static bool dev_bar_base(void *opaque, uint64_t *base)
{
	struct virtio_pci *pci = opaque;

	if (!virtio_pci_bar_hit(pci, pci->bar0))
		return false;
	*base = pci->bar0;
	return true;
}

static uint64_t dev_bar_read(void *opaque, uint64_t off, unsigned int size)
{
	return virtio_pci_bar_read(opaque, off, size);
}

static void dev_bar_write(void *opaque, uint64_t off, unsigned int size,
			  uint64_t value)
{
	virtio_pci_bar_write(opaque, off, size, value);
}

void virtio_dev_msi(struct virtio_pci *pci, uint64_t address, uint32_t data)
{
	struct virtio_dev *dev = (struct virtio_dev *)pci;
	int ret = dev->p->signal_msi(dev->p, address, data);

	if (ret < 0 && ret != -EPIPE && dev->msi_errors++ < 3)
		fprintf(stderr, "hvm-helper: virtio MSI %#llx/%#x: %s\n",
			(unsigned long long)address, data, strerror(-ret));
}

int virtio_dev_plug(struct virtio_dev *dev, struct platform *p,
		    struct pci_bus *bus, const struct virtio_pci_model *m,
		    const struct hvm_guest_ram *ram)
{
	uint64_t bar = pci_bus_alloc_bar(bus, VIRTIO_PCI_BAR_SIZE);
	struct pci_function fn = {
		.name = "virtio",
		.cfg_read = dev_cfg_read, .cfg_write = dev_cfg_write,
		.bar_base = dev_bar_base, .bar_size = VIRTIO_PCI_BAR_SIZE,
		.bar_read = dev_bar_read, .bar_write = dev_bar_write,
		/* Kicks: the guest never waits for them. */
		.posted_off = VIRTIO_PCI_NOTIFY,
		.posted_len = 4 * VIRTIO_PCI_MAX_QUEUES,
		.opaque = &dev->pci,
	};
	int ret;

	if (!bar)
		return -ENOSPC;
	dev->p = p;
	virtio_pci_init(&dev->pci, m, ram, bar);
	ret = pci_bus_add(bus, &fn);
	return ret < 0 ? ret : 0;
}
