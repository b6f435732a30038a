/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0 of the helper: configuration mechanism #1 (address register
 * at 0xcf8, data at 0xcfc-0xcff), a host bridge at 00:00.0 and up to
 * PCI_MAX_SLOTS - 1 functions at 00:01.0, 00:02.0, ...  Each function has
 * one memory BAR, placed in the MMIO window [PCI_MMIO_BASE, PCI_MMIO_END)
 * below the I/O APIC; the ACPI DSDT describes the same window (acpi.c).
 * The bus serves the whole window as one helper device and finds a
 * function by its BAR's current address, so BAR moves by the guest take
 * effect at once; a BAR moved outside the window is not served.
 *
 * A function's posted part (virtio's notification area) is registered
 * with HVM_RING_ADD_POSTED wherever the guest places the BAR, while the
 * ring has posted ranges left: writes there never make a vCPU wait.
 *
 * Called under the helper's device lock, like every device.
 */
#ifndef HVM_PCI_H
#define HVM_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "devices.h"

#define PCI_CONF1_PORT		0xcf8	/* 8 ports: address, then data */
#define PCI_MMIO_BASE		0xe0000000ULL
#define PCI_MMIO_END		0xfec00000ULL	/* the I/O APIC */
#define PCI_MAX_SLOTS		32

/* What a function (a device on bus 0) provides. */
struct pci_function {
	const char *name;
	/* Configuration space: off < 256, size 1, 2 or 4, aligned. */
	uint32_t (*cfg_read)(void *opaque, unsigned int off, unsigned int size);
	void (*cfg_write)(void *opaque, unsigned int off, unsigned int size,
			  uint32_t value);
	/* The BAR's address while memory decoding is on, else false. */
	bool (*bar_base)(void *opaque, uint64_t *base);
	uint64_t bar_size;	/* a power of two */
	/* Accesses at an offset into the BAR, size 1, 2, 4 or 8. */
	uint64_t (*bar_read)(void *opaque, uint64_t off, unsigned int size);
	void (*bar_write)(void *opaque, uint64_t off, unsigned int size,
			  uint64_t value);
	/* The part of the BAR whose writes are posted (len 0: none). */
	uint64_t posted_off, posted_len;
	void *opaque;
};

struct pci_bus;

/*
 * The bus and its two helper devices: the configuration ports and the
 * MMIO window.  NULL without memory.
 */
struct pci_bus *pci_bus_create(struct platform *p, struct device *conf_dev,
			       struct device *window_dev);
/* Room for a BAR of size bytes in the window: its address, 0 if full. */
uint64_t pci_bus_alloc_bar(struct pci_bus *bus, uint64_t size);
/*
 * Plugs fn in at the next free device number: the number, or -ENOSPC.
 * fn is copied; its opaque must live as long as the bus.
 */
int pci_bus_add(struct pci_bus *bus, const struct pci_function *fn);
/* Functions besides the host bridge. */
unsigned int pci_bus_nr_functions(const struct pci_bus *bus);

/* Configuration mechanism #1 on its own (the fuzz test drives it). */
uint64_t pci_conf1_read(struct pci_bus *bus, uint64_t off, unsigned int size);
void pci_conf1_write(struct pci_bus *bus, uint64_t off, unsigned int size,
		     uint64_t value);

#endif /* HVM_PCI_H */
