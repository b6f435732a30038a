// SPDX-License-Identifier: GPL-2.0
/*
 * I/O APIC (82093AA register model): IOREGSEL at +0x00, IOWIN at +0x10;
 * registers ID, version, arbitration and 24 redirection entries.  A pin
 * whose line rises (edge) or is raised (level) while unmasked becomes one
 * MSI through HVM_RING_SIGNAL_MSI, which the in-kernel local APICs
 * deliver (KVM's split-irqchip shape; architecture.rst says why).
 *
 * Level-triggered pins: the local APICs are in the kernel and do not tell
 * the helper about EOIs, so Remote IRR is never set; a level pin is sent
 * when it is raised or unmasked while raised.  Linux's ISA interrupts
 * (the UART's) are edge-triggered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "linux_boot.h"

#define IOAPIC_PINS		24
#define IOAPIC_VERSION		0x11
#define REG_ID			0x00
#define REG_VERSION		0x01
#define REG_ARB			0x02
#define REG_REDIR		0x10

#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY_SHIFT	8
#define RTE_DEST_LOGICAL	(1ULL << 11)
#define RTE_LEVEL		(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST_SHIFT		56
#define RTE_WRITABLE		(~((1ULL << 12) | (1ULL << 14)))	/* RO bits */

#define MSI_BASE		0xfee00000ULL
#define MSI_DEST_SHIFT		12
#define MSI_LOGICAL		(1ULL << 2)
#define MSI_LEVEL		(1U << 15)

#define DELIVERY_FIXED		0
#define DELIVERY_LOWEST		1
#define DELIVERY_NMI		4

struct ioapic {
	struct platform *p;
	uint32_t sel;
	uint32_t id;
	uint64_t rte[IOAPIC_PINS];
	bool line[IOAPIC_PINS];
	unsigned int msi_errors;
};

static void ioapic_send(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];
	unsigned int mode = (rte >> RTE_DELIVERY_SHIFT) & 7;
	uint64_t address;
	uint32_t data;
	int ret;

	if (rte & RTE_MASKED)
		return;
	/* ExtINT, SMI, INIT: nothing Linux routes through a pin here. */
	if (mode != DELIVERY_FIXED && mode != DELIVERY_LOWEST &&
	    mode != DELIVERY_NMI)
		return;
	address = MSI_BASE | ((rte >> RTE_DEST_SHIFT) << MSI_DEST_SHIFT) |
		  ((rte & RTE_DEST_LOGICAL) ? MSI_LOGICAL : 0);
	data = (rte & RTE_VECTOR) | (mode << 8) |
	       ((rte & RTE_LEVEL) ? MSI_LEVEL : 0);
	ret = io->p->signal_msi(io->p, address, data);
	if (ret < 0 && io->msi_errors++ < 3 && ret != -ENOTTY)
		fprintf(stderr, "hvm-helper: I/O APIC pin %u: MSI %#llx/%#x: %s\n",
			pin, (unsigned long long)address, data, strerror(-ret));
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	was = io->line[pin];
	io->line[pin] = level;
	if (level && !was)
		ioapic_send(io, pin);
}

static uint32_t ioapic_reg_read(struct ioapic *io)
{
	unsigned int pin;

	switch (io->sel) {
	case REG_ID:
		return io->id << 24;
	case REG_VERSION:
		return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
	case REG_ARB:
		return io->id << 24;
	default:
		if (io->sel < REG_REDIR || io->sel >= REG_REDIR + 2 * IOAPIC_PINS)
			return 0xffffffff;
		pin = (io->sel - REG_REDIR) / 2;
		return (io->sel & 1) ? io->rte[pin] >> 32 : (uint32_t)io->rte[pin];
	}
}

static void ioapic_reg_write(struct ioapic *io, uint32_t value)
{
	unsigned int pin;
	uint64_t old;

	if (io->sel == REG_ID) {
		io->id = (value >> 24) & 0xf;
		return;
	}
	if (io->sel < REG_REDIR || io->sel >= REG_REDIR + 2 * IOAPIC_PINS)
		return;
	pin = (io->sel - REG_REDIR) / 2;
	old = io->rte[pin];
	if (io->sel & 1)
		io->rte[pin] = (old & 0xffffffffULL) | ((uint64_t)value << 32);
	else
		io->rte[pin] = (old & ~0xffffffffULL) |
			       (value & (uint32_t)RTE_WRITABLE);
	/* A level line raised while masked is sent when unmasked. */
	if ((old & RTE_MASKED) && !(io->rte[pin] & RTE_MASKED) &&
	    (io->rte[pin] & RTE_LEVEL) && io->line[pin])
		ioapic_send(io, pin);
}

static uint64_t ioapic_read(void *opaque, uint64_t off, unsigned int size)
{
	struct ioapic *io = opaque;

	(void)size;
	if (off == 0x00)
		return io->sel;
	if (off == 0x10)
		return ioapic_reg_read(io);
	return 0;
}

static void ioapic_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t value)
{
	struct ioapic *io = opaque;

	(void)size;
	if (off == 0x00)
		io->sel = value & 0xff;
	else if (off == 0x10)
		ioapic_reg_write(io, (uint32_t)value);
}

struct ioapic *ioapic_create(struct platform *p, struct device *dev)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	unsigned int i;

	if (!io)
		return NULL;
	io->p = p;
	for (i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	*dev = (struct device){
		.name = "ioapic", .space = HVM_IO_MMIO,
		.base = LINUX_IOAPIC_GPA, .len = 0x1000,
		.read = ioapic_read, .write = ioapic_write, .opaque = io,
	};
	return io;
}
