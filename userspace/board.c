// SPDX-License-Identifier: GPL-2.0
/* The board of hvm-helper and hvm-run --backend kvm: see board.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"
#include "linux_boot.h"

#define CTRL_A			0x01

/* Under the device lock. */
static void write_output(struct board *b)
{
	size_t done = 0;
	ssize_t n;

	while (done < b->out_len && !b->stdout_broken) {
		n = write(STDOUT_FILENO, b->out + done, b->out_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Nobody reads the console: keep serving the VM. */
			b->stdout_broken = true;
			break;
		}
		done += n;
	}
	b->out_len = 0;
}

static void plat_flush(struct platform *p)
{
	write_output((struct board *)p);
}

static void plat_emit(struct platform *p, char c)
{
	struct board *b = (struct board *)p;

	if (b->out_len == sizeof(b->out))
		write_output(b);
	b->out[b->out_len++] = c;
}

void platform_stop(struct platform *p, uint64_t code)
{
	/* Whatever the guest printed so far goes out first. */
	p->flush(p);
	p->stop(p, code);
}

void board_init(struct board *b, const char *prog, bool verbose)
{
	b->prog = prog;
	b->plat.emit = plat_emit;
	b->plat.flush = plat_flush;
	b->plat.verbose = verbose;
	b->plat.lock = &b->lock;
	pthread_mutex_init(&b->lock, NULL);
	hvm_guest_ram_init(&b->ram);
}

static void add_device(struct board *b, const struct device *dev)
{
	if (b->nr_devices < BOARD_MAX_DEVICES)
		b->devices[b->nr_devices++] = *dev;
}

/*
 * The platform of a Linux guest (acpi.c describes it) plus the debug-exit
 * port of the test guests.
 */
int board_create_devices(struct board *b)
{
	struct device dev, dev2;
	struct ioapic *io;
	unsigned int i;
	int ret;

	io = ioapic_create(&b->plat, &dev);
	if (!io)
		return -ENOMEM;
	add_device(b, &dev);
	b->com1 = uart_create(&b->plat, io, LINUX_COM1_IRQ, &dev);
	if (!b->com1)
		return -ENOMEM;
	add_device(b, &dev);
	debug_exit_create(&b->plat, &dev);
	add_device(b, &dev);
	rtc_create(&dev);
	add_device(b, &dev);
	pit_create(&dev, &dev2);
	add_device(b, &dev);
	add_device(b, &dev2);
	i8042_create(&b->plat, &dev);
	add_device(b, &dev);
	acpi_pm_create(&b->plat, &dev, &dev2);
	add_device(b, &dev);
	add_device(b, &dev2);
	port80_create(&dev);
	add_device(b, &dev);
	b->pci = pci_bus_create(&b->plat, &dev, &dev2);
	if (!b->pci)
		return -ENOMEM;
	add_device(b, &dev);
	add_device(b, &dev2);
	for (i = 0; i < b->nr_disks; i++) {
		ret = virtio_blk_dev_create(&b->plat, b->pci, &b->ram,
					    b->disks[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < b->nr_nets; i++) {
		ret = virtio_net_dev_create(&b->plat, b->pci, &b->ram,
					    b->nets[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

static bool in_range(uint64_t addr, unsigned int size, uint64_t base,
		     uint64_t len)
{
	return addr >= base && addr - base < len && len - (addr - base) >= size;
}

static const char *space_name(unsigned int space)
{
	return space == HVM_IO_PIO ? "port" : "mmio";
}

/* Under the device lock. */
static void device_access(struct board *b, unsigned int space, uint64_t addr,
			  unsigned int size, bool is_write, uint64_t *data)
{
	const struct device *dev;
	unsigned int i;

	if (space == HVM_IO_PIO && addr < 0x10000)
		b->port_accesses[addr]++;
	else if (space == HVM_IO_MMIO)
		b->mmio_accesses++;
	for (i = 0; i < b->nr_devices; i++) {
		dev = &b->devices[i];
		if (dev->space != space || !in_range(addr, size, dev->base, dev->len))
			continue;
		if (is_write)
			dev->write(dev->opaque, addr - dev->base, size,
				   *data & size_mask(size));
		else
			*data = dev->read(dev->opaque, addr - dev->base, size) &
				size_mask(size);
		return;
	}

	if (space == HVM_IO_PIO && b->dma_test &&
	    dma_test_claims(&b->dma, addr, size)) {
		dma_test_access(&b->dma, addr, size, is_write, data);
		return;
	}

	if (b->plat.verbose && is_write)
		fprintf(stderr, "%s: unhandled %s write %#" PRIx64
			" size %u value %#" PRIx64 "\n", b->prog,
			space_name(space), addr, size,
			*data & size_mask(size));
	else if (b->plat.verbose)
		fprintf(stderr, "%s: unhandled %s read %#" PRIx64
			" size %u\n", b->prog, space_name(space), addr, size);
	if (!is_write)
		*data = size_mask(size);
}

int board_access(struct board *b, uint32_t space, uint64_t addr,
		 unsigned int size, bool is_write, uint64_t *data)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	device_access(b, space, addr, size, is_write, data);
	pthread_mutex_unlock(&b->lock);
	if (!is_write)
		*data &= size_mask(size);
	return 0;
}

void board_flush_output(struct board *b)
{
	pthread_mutex_lock(&b->lock);
	write_output(b);
	pthread_mutex_unlock(&b->lock);
}

static void *console_input(void *arg)
{
	struct board *b = arg;
	struct timespec wait = { 0, 10 * 1000 * 1000 };
	bool escape = false;
	unsigned char c;
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		if (escape) {
			escape = false;
			if (c == 'x' || c == 'X') {
				pthread_mutex_lock(&b->lock);
				platform_stop(&b->plat, HVM_STOP_QUIT);
				pthread_mutex_unlock(&b->lock);
				return NULL;
			}
			if (c != CTRL_A)
				continue;
		} else if (c == CTRL_A) {
			escape = true;
			continue;
		}
		/* A full FIFO waits for the guest. */
		for (;;) {
			bool taken;

			pthread_mutex_lock(&b->lock);
			taken = uart_receive(b->com1, c);
			pthread_mutex_unlock(&b->lock);
			if (taken)
				break;
			nanosleep(&wait, NULL);
		}
	}
}

int board_start_console_input(struct board *b)
{
	pthread_t thread;
	int ret;

	ret = pthread_create(&thread, NULL, console_input, b);
	if (ret)
		return -ret;
	pthread_detach(thread);
	return 0;
}

void board_print_port_stats(const struct board *b)
{
	static const unsigned int top = 12;
	unsigned int best[12], n = 0, i, j, port;
	uint64_t total = 0;

	for (port = 0; port < 0x10000; port++) {
		uint64_t count = b->port_accesses[port];

		total += count;
		if (!count)
			continue;
		for (i = 0; i < n && b->port_accesses[best[i]] >= count; i++)
			;
		if (i == top)
			continue;
		if (n < top)
			n++;
		for (j = n - 1; j > i; j--)
			best[j] = best[j - 1];
		best[i] = port;
	}
	fprintf(stderr, "%s: device accesses: %" PRIu64 " port, %" PRIu64 " mmio; busiest ports:",
		b->prog, total, b->mmio_accesses);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %#x:%" PRIu64, best[i],
			b->port_accesses[best[i]]);
	fputc('\n', stderr);
}
