// SPDX-License-Identifier: GPL-2.0
/*
 * i8254 PIT (ports 0x40-0x43) counting at 1.193182 MHz of host time, and
 * port 0x61 (channel 2's gate in bit 0, its output in bit 5): what Linux's
 * PIT probes and its TSC calibration read when the command line does not
 * give the TSC rate.  No interrupt: the guest's timer is the local APIC.
 * Modes 0 and 1 count down once, the others periodically; LSB, MSB and
 * LSB-then-MSB access and the latch command; no read-back command.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "devices.h"

#define PIT_HZ			1193182ULL
#define PORT61_GATE2		0x01
#define PORT61_SPEAKER		0x02
#define PORT61_REFRESH		0x10
#define PORT61_OUT2		0x20

struct pit_channel {
	uint16_t reload;
	uint8_t mode, access;	/* access: 1 LSB, 2 MSB, 3 both */
	bool write_msb, read_msb;	/* next byte of a 16-bit access */
	bool latched;
	uint16_t latch;
	bool running;
	uint64_t start_ns;	/* when counting (re)started */
	uint64_t frozen;	/* ticks counted before the gate fell */
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t pit_ticks(const struct pit_channel *c)
{
	if (!c->running)
		return c->frozen;
	return c->frozen + (now_ns() - c->start_ns) * PIT_HZ / 1000000000ULL;
}

static uint64_t pit_period(const struct pit_channel *c)
{
	return c->reload ? c->reload : 0x10000;
}

static uint16_t pit_count(const struct pit_channel *c)
{
	uint64_t ticks = pit_ticks(c), period = pit_period(c);

	if (c->mode == 0 || c->mode == 1)
		return (uint16_t)(period - ticks);
	return (uint16_t)(period - ticks % period);
}

static bool pit_out(const struct pit_channel *c)
{
	uint64_t ticks = pit_ticks(c), period = pit_period(c);

	if (c->mode == 0 || c->mode == 1)
		return ticks >= period;
	return ticks % period < period / 2;
}

static void pit_start(struct pit_channel *c, bool gate)
{
	c->frozen = 0;
	c->running = gate;
	c->start_ns = now_ns();
}

static uint64_t pit_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pit *pit = opaque;
	struct pit_channel *c;
	uint16_t value;

	(void)size;
	if (off == 3)
		return 0xff;
	c = &pit->ch[off];
	value = c->latched ? c->latch : pit_count(c);
	if (c->access == 1)
		return value & 0xff;
	if (c->access == 2)
		return value >> 8;
	if (!c->read_msb) {
		c->read_msb = true;
		return value & 0xff;
	}
	c->read_msb = false;
	c->latched = false;
	return value >> 8;
}

static void pit_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t value)
{
	struct pit *pit = opaque;
	struct pit_channel *c;
	unsigned int sel;

	(void)size;
	if (off == 3) {
		sel = (value >> 6) & 3;
		if (sel == 3)
			return;		/* read-back: not modelled */
		c = &pit->ch[sel];
		if (!(value & 0x30)) {	/* counter latch */
			c->latch = pit_count(c);
			c->latched = true;
			c->read_msb = false;
			return;
		}
		c->access = (value >> 4) & 3;
		c->mode = (value >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4;
		c->write_msb = c->read_msb = c->latched = false;
		c->running = false;
		c->frozen = 0;
		return;
	}
	c = &pit->ch[off];
	if (c->access == 1) {
		c->reload = (c->reload & 0xff00) | (value & 0xff);
	} else if (c->access == 2) {
		c->reload = (c->reload & 0xff) | ((value & 0xff) << 8);
	} else if (!c->write_msb) {
		c->reload = (c->reload & 0xff00) | (value & 0xff);
		c->write_msb = true;
		return;
	} else {
		c->reload = (c->reload & 0xff) | ((value & 0xff) << 8);
		c->write_msb = false;
	}
	pit_start(c, off != 2 || (pit->port61 & PORT61_GATE2));
}

static uint64_t port61_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pit *pit = opaque;

	(void)off;
	(void)size;
	/* The refresh bit toggles with every read, as DRAM refresh would. */
	pit->port61 ^= PORT61_REFRESH;
	return (pit->port61 & (PORT61_GATE2 | PORT61_SPEAKER | PORT61_REFRESH)) |
	       (pit_out(&pit->ch[2]) ? PORT61_OUT2 : 0);
}

static void port61_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t value)
{
	struct pit *pit = opaque;
	struct pit_channel *c = &pit->ch[2];
	bool was = pit->port61 & PORT61_GATE2, gate = value & PORT61_GATE2;

	(void)off;
	(void)size;
	pit->port61 = (pit->port61 & ~(PORT61_GATE2 | PORT61_SPEAKER)) |
		      (value & (PORT61_GATE2 | PORT61_SPEAKER));
	if (gate == was)
		return;
	if (!gate) {
		c->frozen = pit_ticks(c);
		c->running = false;
	} else if (c->mode == 1 || c->mode == 5) {
		pit_start(c, true);	/* gate-triggered modes restart */
	} else {
		c->running = true;
		c->start_ns = now_ns();
	}
}

void pit_create(struct device *pit_dev, struct device *port61_dev)
{
	struct pit *pit = calloc(1, sizeof(*pit));

	*pit_dev = (struct device){
		.name = "pit", .space = HVM_IO_PIO, .base = 0x40, .len = 4,
		.read = pit_read, .write = pit_write, .opaque = pit,
	};
	*port61_dev = (struct device){
		.name = "port61", .space = HVM_IO_PIO, .base = 0x61, .len = 1,
		.read = port61_read, .write = port61_write, .opaque = pit,
	};
}
