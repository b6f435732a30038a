// SPDX-License-Identifier: GPL-2.0
/*
 * The small ones: the i8042's ports, port 0x80, the ACPI sleep and reset
 * registers (acpi.c's FADT names them) and the debug-exit port of the
 * test guests.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "devices.h"
#include "linux_boot.h"

#define I8042_CMD_RESET		0xfe

/*
 * i8042 (0x60 data, 0x64 status/command).  The FADT says there is none,
 * so Linux does not probe it; reads are all-ones, which a probe takes for
 * "absent" in a few dozen accesses (all-zeros would cost thousands).  The
 * pulse-reset command 0xfe, Linux's reboot fallback, resets the machine.
 */
static uint64_t i8042_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0xff;
}

static void i8042_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t value)
{
	(void)size;
	if (off == 4 && (value & 0xff) == I8042_CMD_RESET)
		platform_stop(opaque, HVM_STOP_RESET);
}

void i8042_create(struct platform *p, struct device *dev)
{
	*dev = (struct device){
		.name = "i8042", .space = HVM_IO_PIO, .base = 0x60, .len = 5,
		.read = i8042_read, .write = i8042_write, .opaque = p,
	};
}

/* Sleep control: SLP_TYP = 5 (\_S5) with SLP_EN is soft off. */
static uint64_t sleep_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	(void)off;
	(void)size;
	/* Never WAK_STS: a guest that waits for its wake-up is being stopped. */
	return 0;
}

static void sleep_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t value)
{
	(void)size;
	if (off == 0 &&
	    (value & ACPI_SLP_EN) && ((value >> 2) & 7) == ACPI_S5_SLP_TYP)
		platform_stop(opaque, HVM_STOP_POWEROFF);
}

static uint64_t reset_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0;
}

static void reset_write(void *opaque, uint64_t off, unsigned int size,
			uint64_t value)
{
	(void)off;
	(void)size;
	/* 0x06 (the FADT's value, and reboot=pci's): full reset. */
	if ((value & ACPI_RESET_VALUE) == ACPI_RESET_VALUE)
		platform_stop(opaque, HVM_STOP_RESET);
}

void acpi_pm_create(struct platform *p, struct device *sleep_dev,
		    struct device *reset_dev)
{
	*sleep_dev = (struct device){
		.name = "acpi_sleep", .space = HVM_IO_PIO,
		.base = ACPI_SLEEP_CONTROL_PORT, .len = 2,
		.read = sleep_read, .write = sleep_write, .opaque = p,
	};
	*reset_dev = (struct device){
		.name = "acpi_reset", .space = HVM_IO_PIO,
		.base = ACPI_RESET_PORT, .len = 1,
		.read = reset_read, .write = reset_write, .opaque = p,
	};
}

/* Debug exit (0xf4, 4 ports): writing V stops the VM with code V. */
static uint64_t debug_exit_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	(void)off;
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static void debug_exit_write(void *opaque, uint64_t off, unsigned int size,
			     uint64_t value)
{
	(void)off;
	platform_stop(opaque, value & (size >= 8 ? ~0ULL :
				       (1ULL << (size * 8)) - 1));
}

void debug_exit_create(struct platform *p, struct device *dev)
{
	*dev = (struct device){
		.name = "debug_exit", .space = HVM_IO_PIO, .base = 0xf4,
		.len = 4, .read = debug_exit_read, .write = debug_exit_write,
		.opaque = p,
	};
}

/* Port 0x80 (POST codes, Linux's io_delay): writes go nowhere. */
static uint64_t port80_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0xff;
}

static void port80_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t value)
{
	(void)opaque;
	(void)off;
	(void)size;
	(void)value;
}

void port80_create(struct device *dev)
{
	*dev = (struct device){
		.name = "port80", .space = HVM_IO_PIO, .base = 0x80, .len = 1,
		.read = port80_read, .write = port80_write,
	};
}
