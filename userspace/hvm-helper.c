// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-helper: the device model process behind hvm-run.  It serves a VM's
 * I/O ring with the devices of userspace/devices/ (the PC platform a
 * Linux guest needs: a 16550 UART on COM1 whose output goes to stdout, an
 * I/O APIC, RTC, PIT, the ACPI power registers) and the debug-exit port
 * that stops the VM with a status code.  It maps the
 * guest's RAM from the memfd hvm-run passes it (--mem-fd, --mem-map), for
 * devices that do DMA: today the DMA test device (--dma-test).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libhvm.h"
#include "dma_test_dev.h"
#include "devices/devices.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"
#include "linux_boot.h"

#define COM1_BASE		0x3f8
#define MAX_DEVICES		16
#define MAX_DISKS		8
#define MAX_NETS		4
#define CTRL_A			0x01

struct helper {
	struct platform plat;
	struct hvm_ring_map ring;
	struct hvm_guest_ram ram;
	/* Devices and their state: the ring thread and the input thread. */
	pthread_mutex_t lock;
	struct device devices[MAX_DEVICES];
	unsigned int nr_devices;
	struct uart *com1;
	struct pci_bus *pci;
	const char *disks[MAX_DISKS];
	unsigned int nr_disks;
	const char *nets[MAX_NETS];
	unsigned int nr_nets;
	bool dma_test;
	struct dma_test_dev dma;
	bool verbose;
	bool stats;
	/* Accesses per port that reached the helper (--stats). */
	uint64_t port_accesses[0x10000];
	uint64_t mmio_accesses;
	/* Guest output, written to stdout after each batch. */
	char out[4096];
	size_t out_len;
	bool stdout_broken;
};

static void flush_output(struct helper *h)
{
	size_t done = 0;
	ssize_t n;

	while (done < h->out_len && !h->stdout_broken) {
		n = write(STDOUT_FILENO, h->out + done, h->out_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Nobody reads the console: keep serving the VM. */
			h->stdout_broken = true;
			break;
		}
		done += n;
	}
	h->out_len = 0;
}

static void plat_flush(struct platform *p)
{
	flush_output((struct helper *)p);
}

static void plat_emit(struct platform *p, char c)
{
	struct helper *h = (struct helper *)p;

	if (h->out_len == sizeof(h->out))
		flush_output(h);
	h->out[h->out_len++] = c;
}

void platform_stop(struct platform *p, uint64_t code)
{
	int ret;

	/* Whatever the guest printed so far goes out first. */
	p->flush(p);
	ret = hvm_ring_stop_vm(p->ring, code);
	if (ret && ret != -EPIPE)
		fprintf(stderr, "hvm-helper: stopping the VM failed: %s\n",
			strerror(-ret));
}

static void add_device(struct helper *h, const struct device *dev)
{
	if (h->nr_devices < MAX_DEVICES)
		h->devices[h->nr_devices++] = *dev;
}

/*
 * The platform of a Linux guest (acpi.c describes it) plus the debug-exit
 * port of the test guests.
 */
static int create_devices(struct helper *h)
{
	struct device dev, dev2;
	struct ioapic *io;
	unsigned int i;
	int ret;

	h->plat.ring = &h->ring;
	h->plat.emit = plat_emit;
	h->plat.flush = plat_flush;
	h->plat.verbose = h->verbose;
	h->plat.lock = &h->lock;
	io = ioapic_create(&h->plat, &dev);
	if (!io)
		return -ENOMEM;
	add_device(h, &dev);
	h->com1 = uart_create(&h->plat, io, LINUX_COM1_IRQ, &dev);
	if (!h->com1)
		return -ENOMEM;
	add_device(h, &dev);
	debug_exit_create(&h->plat, &dev);
	add_device(h, &dev);
	rtc_create(&dev);
	add_device(h, &dev);
	pit_create(&dev, &dev2);
	add_device(h, &dev);
	add_device(h, &dev2);
	i8042_create(&h->plat, &dev);
	add_device(h, &dev);
	acpi_pm_create(&h->plat, &dev, &dev2);
	add_device(h, &dev);
	add_device(h, &dev2);
	port80_create(&dev);
	add_device(h, &dev);
	h->pci = pci_bus_create(&h->plat, &dev, &dev2);
	if (!h->pci)
		return -ENOMEM;
	add_device(h, &dev);
	add_device(h, &dev2);
	for (i = 0; i < h->nr_disks; i++) {
		ret = virtio_blk_dev_create(&h->plat, h->pci, &h->ram,
					    h->disks[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < h->nr_nets; i++) {
		ret = virtio_net_dev_create(&h->plat, h->pci, &h->ram,
					    h->nets[i]);
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

/* One device access.  Returns 0 or -errno. */
static int device_access(struct helper *h, unsigned int space, uint64_t addr,
			 unsigned int size, bool is_write, uint64_t *data)
{
	const struct device *dev;
	unsigned int i;

	if (space == HVM_IO_PIO && addr < 0x10000)
		h->port_accesses[addr]++;
	else if (space == HVM_IO_MMIO)
		h->mmio_accesses++;
	for (i = 0; i < h->nr_devices; i++) {
		dev = &h->devices[i];
		if (dev->space != space || !in_range(addr, size, dev->base, dev->len))
			continue;
		if (is_write)
			dev->write(dev->opaque, addr - dev->base, size,
				   *data & size_mask(size));
		else
			*data = dev->read(dev->opaque, addr - dev->base, size) &
				size_mask(size);
		return 0;
	}

	if (space == HVM_IO_PIO && h->dma_test &&
	    dma_test_claims(&h->dma, addr, size)) {
		dma_test_access(&h->dma, addr, size, is_write, data);
		return 0;
	}

	if (h->verbose && is_write)
		fprintf(stderr, "hvm-helper: unhandled %s write %#" PRIx64
			" size %u value %#" PRIx64 "\n", space_name(space),
			addr, size, *data & size_mask(size));
	else if (h->verbose)
		fprintf(stderr, "hvm-helper: unhandled %s read %#" PRIx64
			" size %u\n", space_name(space), addr, size);
	if (!is_write)
		*data = size_mask(size);
	return 0;
}

static void serve_posted(void *opaque, const struct hvm_posted_entry *entry)
{
	struct helper *h = opaque;
	uint64_t data = entry->data;

	if (entry->size != 1 && entry->size != 2 && entry->size != 4 &&
	    entry->size != 8)
		return;
	pthread_mutex_lock(&h->lock);
	device_access(h, entry->space, entry->addr, entry->size, true, &data);
	pthread_mutex_unlock(&h->lock);
}

static int serve_sync(void *opaque, struct hvm_ring_slot *slot)
{
	struct helper *h = opaque;
	uint64_t data = slot->data;
	unsigned int size = slot->size;
	int ret;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	ret = device_access(h, slot->space, slot->addr, size, slot->is_write,
			    &data);
	pthread_mutex_unlock(&h->lock);
	if (!ret && !slot->is_write)
		slot->data = data & size_mask(size);
	return ret;
}

/*
 * Console input (--console-input): bytes from stdin go to COM1's
 * receiver.  Ctrl-A x stops the VM (hvm-run then ends), Ctrl-A Ctrl-A
 * sends one Ctrl-A, as in QEMU.  A full FIFO waits for the guest.
 */
static void *console_input(void *arg)
{
	struct helper *h = arg;
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
				pthread_mutex_lock(&h->lock);
				platform_stop(&h->plat, HVM_STOP_QUIT);
				pthread_mutex_unlock(&h->lock);
				return NULL;
			}
			if (c != CTRL_A)
				continue;
		} else if (c == CTRL_A) {
			escape = true;
			continue;
		}
		for (;;) {
			bool taken;

			pthread_mutex_lock(&h->lock);
			taken = uart_receive(h->com1, c);
			pthread_mutex_unlock(&h->lock);
			if (taken)
				break;
			nanosleep(&wait, NULL);
		}
	}
}

/* --stats: the ports the guest used most, on stderr at the end. */
static void print_port_stats(const struct helper *h)
{
	static const unsigned int top = 12;
	unsigned int best[12], n = 0, i, j, port;
	uint64_t total = 0;

	for (port = 0; port < 0x10000; port++) {
		uint64_t count = h->port_accesses[port];

		total += count;
		if (!count)
			continue;
		for (i = 0; i < n && h->port_accesses[best[i]] >= count; i++)
			;
		if (i == top)
			continue;
		if (n < top)
			n++;
		for (j = n - 1; j > i; j--)
			best[j] = best[j - 1];
		best[i] = port;
	}
	fprintf(stderr, "hvm-helper: device accesses: %" PRIu64 " port, %" PRIu64 " mmio; busiest ports:",
		total, h->mmio_accesses);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %#x:%" PRIu64, best[i],
			h->port_accesses[best[i]]);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hvm-helper --ring-fd N [--mem-fd N --mem-map GPA,SIZE,OFFSET...]\n"
		"                  [--disk SPEC...] [--net SPEC...] [--dma-test PORT]\n"
		"                  [--ready-fd N]\n"
		"                  [--poll-ns N] [--console-input] [--stats] [--verbose]\n"
		"\n"
		"Device model for one hvm VM, normally started by hvm-run.  It\n"
		"serves the VM's I/O ring (an fd inherited from the parent):\n"
		"  COM1 (ports 0x3f8-0x3ff)  16550 UART on I/O APIC pin 4; output\n"
		"                            goes to stdout\n"
		"  port 0xf4 (4 bytes)       debug exit: writing V stops the VM\n"
		"                            with code V (hvm-run exits with V)\n"
		"  0xfec00000 (MMIO)         I/O APIC: pins become MSIs\n"
		"  ports 0x70-0x71           CMOS RTC (host UTC time)\n"
		"  ports 0x40-0x43, 0x61     PIT (no interrupt), channel 2 gate\n"
		"  ports 0x60, 0x64          i8042: reads all-ones; 0xfe resets\n"
		"  ports 0x600-0x601, 0xcf9  ACPI sleep control/status, reset\n"
		"                            (stop codes 0x100 power off, 0x101\n"
		"                            reset, 0x102 Ctrl-A x)\n"
		"  port 0x80                 ignored (I/O delay)\n"
		"  ports 0xcf8-0xcff         PCI configuration mechanism #1: bus 0,\n"
		"                            host bridge at 00:00.0\n"
		"  0xe0000000-0xfebfffff     PCI memory window (the devices' BARs)\n"
		"  --disk FILE[,ro][,serial=SERIAL]\n"
		"                            a virtio-blk disk on the PCI bus, FILE\n"
		"                            a raw image (repeatable, up to %u)\n"
		"  --net tap=NAME[,mac=MAC]  a virtio-net interface on the PCI bus\n"
		"                            on the host's tap NAME (repeatable, up\n"
		"                            to %u)\n"
		"  --dma-test PORT           DMA test device (%u ports): the guest\n"
		"                            gives a buffer's address and length,\n"
		"                            the helper adds 1 to each byte\n"
		"  anything else             reads all-ones, writes ignored\n"
		"\n"
		"Options:\n"
		"  --ring-fd N    the ring fd (from HVM_CREATE_RING)\n"
		"  --mem-fd N     a memfd holding guest RAM (sealed against\n"
		"                 shrinking), for the --mem-map options after it\n"
		"  --mem-map GPA,SIZE,OFFSET\n"
		"                 map SIZE bytes of that memfd from OFFSET at\n"
		"                 guest-physical GPA (page aligned; repeatable)\n"
		"  --ready-fd N   write one byte to fd N, then close it, once\n"
		"                 the ring is set up\n"
		"  --poll-ns N    spin at most N ns for the next request before\n"
		"                 sleeping (adaptive; default 50000, 0: never)\n"
		"  --console-input  stdin feeds COM1's receiver; Ctrl-A x stops\n"
		"                 the VM (code 0x102)\n"
		"  --stats        print the busiest ports on stderr at the end\n"
		"  --verbose      log accesses to unhandled devices on stderr\n"
		"  --help         this text\n"
		"  --version      print the version of hvm-helper\n"
		"\n"
		"Exits 0 when the VM is gone, 1 on errors.\n", MAX_DISKS, MAX_NETS,
		DMA_TEST_PORTS);
}

static bool parse_fd(const char *arg, int *fd)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(arg, &end, 10);
	if (errno || end == arg || *end || value < 0 || value > INT_MAX)
		return false;
	*fd = (int)value;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ring-fd", required_argument, NULL, 'r' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "mem-fd", required_argument, NULL, 'f' },
		{ "mem-map", required_argument, NULL, 'M' },
		{ "dma-test", required_argument, NULL, 'd' },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'n' },
		{ "poll-ns", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "console-input", no_argument, NULL, 'i' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct helper h;
	int ring_fd = -1, ready_fd = -1, mem_fd = -1, poll_ns = -1, opt, ret;
	uint64_t gpa, size, offset, port;
	bool console_in = false;
	pthread_t input_thread;
	char *end;

	hvm_guest_ram_init(&h.ram);
	/* Our own one-line messages instead of getopt's. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (!parse_fd(optarg, &ring_fd)) {
				fprintf(stderr, "hvm-helper: invalid --ring-fd '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'R':
			if (!parse_fd(optarg, &ready_fd)) {
				fprintf(stderr, "hvm-helper: invalid --ready-fd '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'p':
			/* parse_fd() is a parser of non-negative ints. */
			if (!parse_fd(optarg, &poll_ns)) {
				fprintf(stderr, "hvm-helper: invalid --poll-ns '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'f':
			if (!parse_fd(optarg, &mem_fd)) {
				fprintf(stderr, "hvm-helper: invalid --mem-fd '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'M':
			if (mem_fd < 0) {
				fprintf(stderr, "hvm-helper: --mem-map needs a --mem-fd before it\n");
				return 1;
			}
			if (hvm_parse_mem_map(optarg, &gpa, &size, &offset)) {
				fprintf(stderr, "hvm-helper: invalid --mem-map '%s' (GPA,SIZE,OFFSET)\n",
					optarg);
				return 1;
			}
			ret = hvm_guest_ram_map(&h.ram, mem_fd, gpa, size,
						offset);
			if (ret) {
				fprintf(stderr, "hvm-helper: cannot map guest RAM %s from fd %d: %s\n",
					optarg, mem_fd,
					ret == -EPERM ? "not a memfd sealed against shrinking" :
					ret == -ERANGE ? "the file is smaller" :
					strerror(-ret));
				return 1;
			}
			break;
		case 'd':
			errno = 0;
			port = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    port > 0x10000 - DMA_TEST_PORTS) {
				fprintf(stderr, "hvm-helper: invalid --dma-test port '%s'\n",
					optarg);
				return 1;
			}
			h.dma_test = true;
			dma_test_init(&h.dma, (uint16_t)port, &h.ram);
			break;
		case 'D':
			if (h.nr_disks == MAX_DISKS) {
				fprintf(stderr, "hvm-helper: more than %u --disk\n",
					MAX_DISKS);
				return 1;
			}
			h.disks[h.nr_disks++] = optarg;
			break;
		case 'n':
			if (h.nr_nets == MAX_NETS) {
				fprintf(stderr, "hvm-helper: more than %u --net\n",
					MAX_NETS);
				return 1;
			}
			h.nets[h.nr_nets++] = optarg;
			break;
		case 'v':
			h.verbose = true;
			break;
		case 'i':
			console_in = true;
			break;
		case 's':
			h.stats = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hvm-helper %s (hvm API version %d)\n",
			       HVM_VERSION, HVM_API_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "hvm-helper: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return 1;
		default:
			fprintf(stderr, "hvm-helper: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc || ring_fd < 0) {
		fprintf(stderr, "hvm-helper: %s (see --help)\n",
			ring_fd < 0 ? "--ring-fd is required" :
				      "unexpected argument");
		return 1;
	}

	ret = hvm_ring_map(ring_fd, &h.ring);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot map the ring on fd %d: %s\n",
			ring_fd, strerror(-ret));
		return 1;
	}
	if (poll_ns >= 0)
		h.ring.poll_max_ns = (uint64_t)poll_ns;
	pthread_mutex_init(&h.lock, NULL);
	ret = create_devices(&h);
	if (ret && ret != -ENOMEM)
		return 1;	/* the device said why */
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot create the devices: %s\n",
			strerror(-ret));
		return 1;
	}
	/* THR writes do not need an answer: let the vCPU run on. */
	ret = hvm_ring_add_posted(&h.ring, HVM_IO_PIO, COM1_BASE, 1);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot post the UART data port: %s\n",
			strerror(-ret));
		return 1;
	}
	/* Port 0x80 is only ever written to waste time: never wait for it. */
	ret = hvm_ring_add_posted(&h.ring, HVM_IO_PIO, 0x80, 1);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot post port 0x80: %s\n",
			strerror(-ret));
		return 1;
	}
	if (console_in &&
	    pthread_create(&input_thread, NULL, console_input, &h) == 0)
		pthread_detach(input_thread);
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1) {
			fprintf(stderr, "hvm-helper: cannot signal readiness on fd %d: %s\n",
				ready_fd, strerror(errno));
			return 1;
		}
		close(ready_fd);
	}

	for (;;) {
		ret = hvm_ring_serve(&h.ring, -1, serve_posted, serve_sync, &h);
		pthread_mutex_lock(&h.lock);
		flush_output(&h);
		pthread_mutex_unlock(&h.lock);
		if (ret == 0 || ret == -EINTR)
			continue;
		if (ret == -EPIPE)
			break;
		fprintf(stderr, "hvm-helper: serving the ring failed: %s\n",
			strerror(-ret));
		hvm_ring_unmap(&h.ring);
		return 1;
	}
	if (h.stats)
		print_port_stats(&h);
	hvm_ring_unmap(&h.ring);
	hvm_guest_ram_unmap(&h.ram);
	return 0;
}
