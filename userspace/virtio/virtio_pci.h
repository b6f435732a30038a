/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-pci transport (virtio 1.x, 4.1, modern only) of one device in
 * the helper: its PCI configuration space (vendor 0x1af4, the virtio
 * capabilities, MSI-X) and its memory BAR (common configuration, ISR,
 * device configuration, notifications, MSI-X table and PBA).  Accesses come
 * from the ring (configuration mechanism #1 and BAR MMIO); the device
 * model behind it supplies features, its configuration and the queue
 * work.  Every guest value is checked: a bad one is ignored or makes the
 * device NEEDS_RESET, never a helper crash or an access outside the
 * structures here.
 */
#ifndef HVM_VIRTIO_PCI_H
#define HVM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "virtqueue.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040	/* + virtio device id */
#define VIRTIO_PCI_MAX_QUEUES		8
#define VIRTIO_PCI_MSIX_VECTORS		(VIRTIO_PCI_MAX_QUEUES + 1)
#define VIRTIO_MSI_NO_VECTOR		0xffff

/* BAR 0 (64-bit memory), VIRTIO_PCI_BAR_SIZE bytes: */
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_COMMON		0x0000
#define VIRTIO_PCI_ISR			0x1000
#define VIRTIO_PCI_DEVICE_CFG		0x2000
#define VIRTIO_PCI_NOTIFY		0x3000	/* 4 bytes per queue */
#define VIRTIO_PCI_MSIX_TABLE		0x4000
#define VIRTIO_PCI_MSIX_PBA		0x5000
#define VIRTIO_PCI_DEVICE_CFG_MAX	0x100

/* device_status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_RING_INDIRECT_DESC	28
#define VIRTIO_F_RING_EVENT_IDX		29

struct virtio_pci;

/* What the device model behind the transport provides. */
struct virtio_pci_model {
	uint16_t device_id;		/* virtio device id: 1 net, 2 blk */
	uint32_t class_code;		/* PCI class, subclass, prog-if */
	unsigned int nr_queues;		/* at most VIRTIO_PCI_MAX_QUEUES */
	uint64_t features;		/* VERSION_1 is added */
	/* The device-specific configuration (4.1.4.6), read-only here. */
	const void *config;
	unsigned int config_size;
	/* The driver kicked queue q (q < nr_queues, enabled). */
	void (*notify)(struct virtio_pci *dev, unsigned int q);
	/* An interrupt to deliver: the MSI message of an unmasked vector. */
	void (*msi)(struct virtio_pci *dev, uint64_t address, uint32_t data);
	void (*reset)(struct virtio_pci *dev);
	void *opaque;
};

struct virtio_pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct virtio_pci {
	const struct virtio_pci_model *model;
	const struct hvm_guest_ram *ram;
	uint8_t cfg[256];			/* PCI configuration space */
	uint64_t bar0;				/* address the guest assigned */

	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint64_t driver_features;
	uint8_t status;
	uint8_t isr;
	uint8_t config_generation;
	uint16_t msix_config;
	uint16_t queue_select;
	struct {
		struct virtq vq;
		uint16_t msix_vector;
		bool enabled;
	} queues[VIRTIO_PCI_MAX_QUEUES];
	struct virtio_pci_msix_entry msix[VIRTIO_PCI_MSIX_VECTORS];
	uint64_t msix_pending;			/* the PBA */
};

void virtio_pci_init(struct virtio_pci *dev, const struct virtio_pci_model *m,
		     const struct hvm_guest_ram *ram, uint64_t bar0);
/* Configuration space, offset < 256, size 1, 2 or 4 aligned: else ~0. */
uint32_t virtio_pci_cfg_read(struct virtio_pci *dev, unsigned int off,
			     unsigned int size);
void virtio_pci_cfg_write(struct virtio_pci *dev, unsigned int off,
			  unsigned int size, uint32_t value);
/* Whether the memory BAR is enabled and covers gpa. */
bool virtio_pci_bar_hit(const struct virtio_pci *dev, uint64_t gpa);
/* BAR accesses at an offset into it: size 1, 2, 4 or 8. */
uint64_t virtio_pci_bar_read(struct virtio_pci *dev, uint64_t off,
			     unsigned int size);
void virtio_pci_bar_write(struct virtio_pci *dev, uint64_t off,
			  unsigned int size, uint64_t value);
/*
 * The device used buffers of queue q: interrupt the driver if the queue's
 * notification rules ask for it.
 */
void virtio_pci_queue_interrupt(struct virtio_pci *dev, unsigned int q);
/* Something broke (a queue, the backend): ask the driver to reset. */
void virtio_pci_needs_reset(struct virtio_pci *dev);

#endif /* HVM_VIRTIO_PCI_H */
