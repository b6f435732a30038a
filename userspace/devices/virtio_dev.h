/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper's virtio devices: a virtio-pci transport (virtio/virtio_pci.h)
 * plugged into PCI bus 0 (pci.h), its MSI-X messages sent through
 * HVM_RING_SIGNAL_MSI, its notification area posted.  A device model
 * (virtio-blk here) fills a struct virtio_pci_model and calls
 * virtio_dev_plug().
 */
#ifndef HVM_VIRTIO_DEV_H
#define HVM_VIRTIO_DEV_H

#include "devices.h"
#include "pci.h"
#include "../virtio/virtio_pci.h"

struct virtio_dev {
	struct virtio_pci pci;		/* first: the msi callback casts */
	struct platform *p;
	unsigned int msi_errors;
};

/*
 * Places the BAR, initialises dev->pci with m (whose msi must be
 * virtio_dev_msi) and plugs it into the bus: 0 or -ENOSPC.
 */
int virtio_dev_plug(struct virtio_dev *dev, struct platform *p,
		    struct pci_bus *bus, const struct virtio_pci_model *m,
		    const struct hvm_guest_ram *ram);
void virtio_dev_msi(struct virtio_pci *pci, uint64_t address, uint32_t data);

/*
 * virtio-blk on a raw image: spec is FILE[,ro][,serial=SERIAL] (the
 * serial defaults to the file's name, its first 20 bytes).  One worker
 * thread per disk serves the request queue.  0, or -errno after a
 * message on stderr.
 */
int virtio_blk_dev_create(struct platform *p, struct pci_bus *bus,
			  const struct hvm_guest_ram *ram, const char *spec);

/*
 * virtio-net on a tap: spec is tap=NAME[,mac=MAC] (hvm-run always gives
 * the MAC; without it one is made from NAME).  The tap is opened, or
 * created as root, with the virtio-net header; one worker thread per
 * interface moves the frames.  0, or -errno after a message on stderr.
 */
int virtio_net_dev_create(struct platform *p, struct pci_bus *bus,
			  const struct hvm_guest_ram *ram, const char *spec);

#endif /* HVM_VIRTIO_DEV_H */
