/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device helper's devices, one file each: each owns a port or MMIO
 * range and its state, and the board (board.c) finds it by range.  Every
 * call into a device happens under the board's device lock (the ring
 * thread or the vCPU threads, and the console input thread, all come
 * here).  The board runs in hvm-helper behind hvm's ring, and inside
 * hvm-run on KVM (hvm-run --backend kvm): struct platform is what differs.
 */
#ifndef HVM_DEVICES_H
#define HVM_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "libhvm.h"

struct device {
	const char *name;
	uint32_t space;		/* HVM_IO_PIO or HVM_IO_MMIO */
	uint64_t base, len;
	/* One access of size 1, 2, 4 or 8 bytes at offset off. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned int size);
	void (*write)(void *opaque, uint64_t off, unsigned int size,
		      uint64_t value);
	void *opaque;
};

/* What devices need from the hypervisor and the process they run in. */
struct platform {
	/* Guest output (the UART's transmitter). */
	void (*emit)(struct platform *p, char c);
	void (*flush)(struct platform *p);
	/* Ends the VM with a stop code (below); errors are reported. */
	void (*stop)(struct platform *p, uint64_t code);
	/*
	 * A device interrupt as an MSI: how many local APICs accepted it,
	 * or -errno (-ENOTTY: no interrupt controller to take it).
	 */
	int (*signal_msi)(struct platform *p, uint64_t address, uint32_t data);
	/*
	 * Writes to [base, base + len) in space need no answer and may be
	 * queued; NULL or -errno: they stay synchronous, which is still
	 * right, only slower.
	 */
	int (*add_posted)(struct platform *p, uint32_t space, uint64_t base,
			  uint64_t len);
	bool verbose;
	/* The device lock, for devices that work in threads of their own. */
	pthread_mutex_t *lock;
};

/*
 * Stop codes above the debug-exit port's 0-255 (on hvm they travel as
 * HVM_RING_STOP_VM's argument): hvm-run turns them into its exit
 * statuses (hvm-run --help).
 */
#define HVM_STOP_POWEROFF	0x100	/* ACPI S5 */
#define HVM_STOP_RESET		0x101	/* ACPI reset register, i8042 0xfe */
#define HVM_STOP_QUIT		0x102	/* Ctrl-A x on the console */

/* Flushes the guest's output, then p->stop(). */
void platform_stop(struct platform *p, uint64_t code);

/* I/O APIC: MMIO at LINUX_IOAPIC_GPA; pins become MSIs. */
struct ioapic;
struct ioapic *ioapic_create(struct platform *p, struct device *dev);
void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);

/* 16550 UART at 0x3f8 on pin 4 of the I/O APIC. */
struct uart;
struct uart *uart_create(struct platform *p, struct ioapic *io,
			 unsigned int pin, struct device *dev);
/* Console input: bytes for the receiver (false: the FIFO is full). */
bool uart_receive(struct uart *u, uint8_t byte);

void rtc_create(struct device *dev);
/* PIT (0x40-0x43) and port 0x61: two ranges, one state. */
void pit_create(struct device *pit_dev, struct device *port61_dev);
void i8042_create(struct platform *p, struct device *dev);
void acpi_pm_create(struct platform *p, struct device *sleep_dev,
		    struct device *reset_dev);
void debug_exit_create(struct platform *p, struct device *dev);
void port80_create(struct device *dev);

#endif /* HVM_DEVICES_H */
