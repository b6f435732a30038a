// SPDX-License-Identifier: GPL-2.0
/* PCI bus 0 of the helper: see pci.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"

#define CONF1_ENABLE		0x80000000U
#define CONF1_BUS(a)		(((a) >> 16) & 0xff)
#define CONF1_SLOT(a)		(((a) >> 11) & 0x1f)
#define CONF1_FUNC(a)		(((a) >> 8) & 0x7)
#define CONF1_REG(a)		((a) & 0xfc)

/* The host bridge: a generic one, ids from the virtual-hardware range. */
#define HOST_BRIDGE_VENDOR	0x1b36
#define HOST_BRIDGE_DEVICE	0x0008
#define CLASS_HOST_BRIDGE	0x060000

struct pci_slot {
	bool used;
	struct pci_function fn;
	uint64_t posted_at;	/* BAR address whose posted part is set up */
	bool posted;
};

struct pci_bus {
	struct platform *p;
	uint32_t address;		/* the conf1 address register */
	uint8_t host_cfg[256];
	struct pci_slot slots[PCI_MAX_SLOTS];	/* slot 0: the host bridge */
	uint64_t next_bar;
	unsigned int nr_functions;
	bool posted_full;
};

static bool size_ok(uint64_t off, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) && !(off % size);
}

/* Registers the posted part of fn's BAR where the guest put it. */
static void update_posted(struct pci_bus *bus, struct pci_slot *s)
{
	uint64_t base;
	int ret;

	if (!s->fn.posted_len || bus->posted_full || !bus->p->add_posted ||
	    !s->fn.bar_base(s->fn.opaque, &base) ||
	    (s->posted && s->posted_at == base))
		return;
	if (base < PCI_MMIO_BASE || base >= PCI_MMIO_END ||
	    s->fn.bar_size > PCI_MMIO_END - base)
		return;
	ret = bus->p->add_posted(bus->p, HVM_IO_MMIO, base + s->fn.posted_off,
				 s->fn.posted_len);
	if (ret) {
		/* Out of ranges: such writes stay synchronous, still right. */
		bus->posted_full = true;
		if (bus->p->verbose)
			fprintf(stderr, "hvm-helper: %s: no posted range at %#llx: %s\n",
				s->fn.name, (unsigned long long)base,
				strerror(-ret));
		return;
	}
	s->posted = true;
	s->posted_at = base;
}

static uint32_t cfg_read(struct pci_bus *bus, unsigned int slot,
			 unsigned int reg, unsigned int size)
{
	uint32_t v = 0;

	if (slot == 0) {
		memcpy(&v, bus->host_cfg + reg, size);
		return v;
	}
	if (!bus->slots[slot].used)
		return ~0U;
	return bus->slots[slot].fn.cfg_read(bus->slots[slot].fn.opaque, reg,
					    size);
}

static void cfg_write(struct pci_bus *bus, unsigned int slot,
		      unsigned int reg, unsigned int size, uint32_t value)
{
	struct pci_slot *s = &bus->slots[slot];

	/* The host bridge has nothing to set. */
	if (slot == 0 || !s->used)
		return;
	s->fn.cfg_write(s->fn.opaque, reg, size, value);
	update_posted(bus, s);
}

/*
 * Offsets 0-3: the address register, dword accesses only (a byte at
 * 0xcfb is mechanism #2's enable, which does not exist here).  Offsets
 * 4-7: the data window into the register the address selects.
 */
uint64_t pci_conf1_read(struct pci_bus *bus, uint64_t off, unsigned int size)
{
	uint32_t a = bus->address;

	if (off < 4)
		return off == 0 && size == 4 ? a : ~0ULL;
	if (off >= 8 || !size_ok(off, size) || !(a & CONF1_ENABLE) ||
	    CONF1_BUS(a) || CONF1_FUNC(a))
		return ~0ULL;
	return cfg_read(bus, CONF1_SLOT(a), CONF1_REG(a) + off - 4, size);
}

void pci_conf1_write(struct pci_bus *bus, uint64_t off, unsigned int size,
		     uint64_t value)
{
	uint32_t a = bus->address;

	if (off < 4) {
		if (off == 0 && size == 4)
			bus->address = value & (CONF1_ENABLE | 0xfffffc);
		return;
	}
	if (off >= 8 || !size_ok(off, size) || !(a & CONF1_ENABLE) ||
	    CONF1_BUS(a) || CONF1_FUNC(a))
		return;
	cfg_write(bus, CONF1_SLOT(a), CONF1_REG(a) + off - 4, size,
		  (uint32_t)value);
}

static uint64_t conf1_read(void *opaque, uint64_t off, unsigned int size)
{
	return pci_conf1_read(opaque, off, size);
}

static void conf1_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t value)
{
	pci_conf1_write(opaque, off, size, value);
}

static struct pci_slot *bar_owner(struct pci_bus *bus, uint64_t gpa,
				  uint64_t *off)
{
	unsigned int i;
	uint64_t base;

	for (i = 1; i < PCI_MAX_SLOTS; i++) {
		struct pci_slot *s = &bus->slots[i];

		if (s->used && s->fn.bar_base(s->fn.opaque, &base) &&
		    gpa >= base && gpa - base < s->fn.bar_size) {
			*off = gpa - base;
			return s;
		}
	}
	return NULL;
}

static uint64_t window_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pci_bus *bus = opaque;
	struct pci_slot *s = bar_owner(bus, PCI_MMIO_BASE + off, &off);

	return s ? s->fn.bar_read(s->fn.opaque, off, size) : ~0ULL;
}

static void window_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t value)
{
	struct pci_bus *bus = opaque;
	struct pci_slot *s = bar_owner(bus, PCI_MMIO_BASE + off, &off);

	if (s)
		s->fn.bar_write(s->fn.opaque, off, size, value);
}

struct pci_bus *pci_bus_create(struct platform *p, struct device *conf_dev,
			       struct device *window_dev)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	uint32_t id = HOST_BRIDGE_VENDOR | HOST_BRIDGE_DEVICE << 16;
	uint32_t class = CLASS_HOST_BRIDGE << 8;

	if (!bus)
		return NULL;
	bus->p = p;
	bus->next_bar = PCI_MMIO_BASE;
	memcpy(bus->host_cfg, &id, 4);
	memcpy(bus->host_cfg + 8, &class, 4);	/* revision 0 */
	*conf_dev = (struct device){
		.name = "pci-conf1", .space = HVM_IO_PIO,
		.base = PCI_CONF1_PORT, .len = 8,
		.read = conf1_read, .write = conf1_write, .opaque = bus,
	};
	*window_dev = (struct device){
		.name = "pci-mmio", .space = HVM_IO_MMIO,
		.base = PCI_MMIO_BASE, .len = PCI_MMIO_END - PCI_MMIO_BASE,
		.read = window_read, .write = window_write, .opaque = bus,
	};
	return bus;
}

uint64_t pci_bus_alloc_bar(struct pci_bus *bus, uint64_t size)
{
	uint64_t base;

	if (!size || size & (size - 1))
		return 0;
	base = (bus->next_bar + size - 1) & ~(size - 1);
	if (base >= PCI_MMIO_END || size > PCI_MMIO_END - base)
		return 0;
	bus->next_bar = base + size;
	return base;
}

int pci_bus_add(struct pci_bus *bus, const struct pci_function *fn)
{
	unsigned int i;

	for (i = 1; i < PCI_MAX_SLOTS; i++) {
		if (bus->slots[i].used)
			continue;
		bus->slots[i] = (struct pci_slot){ .used = true, .fn = *fn };
		bus->nr_functions++;
		update_posted(bus, &bus->slots[i]);
		return i;
	}
	return -ENOSPC;
}

unsigned int pci_bus_nr_functions(const struct pci_bus *bus)
{
	return bus->nr_functions;
}
