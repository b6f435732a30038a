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

#include "board.h"
#include "libhvm.h"

#define MAX_DISKS		BOARD_MAX_DISKS
#define MAX_NETS		BOARD_MAX_NETS

/* The board behind hvm's ring: its callbacks are ring ioctls. */
struct helper {
	struct board board;
	struct hvm_ring_map ring;
};

static struct helper *helper_of(struct platform *p)
{
	return (struct helper *)p;
}

static void ring_stop(struct platform *p, uint64_t code)
{
	int ret = hvm_ring_stop_vm(&helper_of(p)->ring, code);

	if (ret && ret != -EPIPE)
		fprintf(stderr, "hvm-helper: stopping the VM failed: %s\n",
			strerror(-ret));
}

static int ring_signal_msi(struct platform *p, uint64_t address,
			   uint32_t data)
{
	return hvm_ring_signal_msi(&helper_of(p)->ring, address, data);
}

static int ring_add_posted(struct platform *p, uint32_t space, uint64_t base,
			   uint64_t len)
{
	return hvm_ring_add_posted(&helper_of(p)->ring, space, base, len);
}

static void serve_posted(void *opaque, const struct hvm_posted_entry *entry)
{
	struct helper *h = opaque;
	uint64_t data = entry->data;

	board_access(&h->board, entry->space, entry->addr, entry->size, true,
		     &data);
}

static int serve_sync(void *opaque, struct hvm_ring_slot *slot)
{
	struct helper *h = opaque;
	uint64_t data = slot->data;
	int ret;

	ret = board_access(&h->board, slot->space, slot->addr, slot->size,
			   slot->is_write, &data);
	if (!ret && !slot->is_write)
		slot->data = data;
	return ret;
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
	struct board *b = &h.board;
	int ring_fd = -1, ready_fd = -1, mem_fd = -1, poll_ns = -1, opt, ret;
	uint64_t gpa, size, offset, port;
	bool console_in = false;
	char *end;

	board_init(b, "hvm-helper", false);
	b->plat.stop = ring_stop;
	b->plat.signal_msi = ring_signal_msi;
	b->plat.add_posted = ring_add_posted;
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
			ret = hvm_guest_ram_map(&b->ram, mem_fd, gpa, size,
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
			b->dma_test = true;
			dma_test_init(&b->dma, (uint16_t)port, &b->ram);
			break;
		case 'D':
			if (b->nr_disks == MAX_DISKS) {
				fprintf(stderr, "hvm-helper: more than %u --disk\n",
					MAX_DISKS);
				return 1;
			}
			b->disks[b->nr_disks++] = optarg;
			break;
		case 'n':
			if (b->nr_nets == MAX_NETS) {
				fprintf(stderr, "hvm-helper: more than %u --net\n",
					MAX_NETS);
				return 1;
			}
			b->nets[b->nr_nets++] = optarg;
			break;
		case 'v':
			b->plat.verbose = true;
			break;
		case 'i':
			console_in = true;
			break;
		case 's':
			b->stats = true;
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
	ret = board_create_devices(b);
	if (ret && ret != -ENOMEM)
		return 1;	/* the device said why */
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot create the devices: %s\n",
			strerror(-ret));
		return 1;
	}
	/* THR writes do not need an answer: let the vCPU run on. */
	ret = hvm_ring_add_posted(&h.ring, HVM_IO_PIO, BOARD_COM1_BASE, 1);
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
	if (console_in)
		board_start_console_input(b);
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
		board_flush_output(b);
		if (ret == 0 || ret == -EINTR)
			continue;
		if (ret == -EPIPE)
			break;
		fprintf(stderr, "hvm-helper: serving the ring failed: %s\n",
			strerror(-ret));
		hvm_ring_unmap(&h.ring);
		return 1;
	}
	if (b->stats)
		board_print_port_stats(b);
	hvm_ring_unmap(&h.ring);
	hvm_guest_ram_unmap(&b->ram);
	return 0;
}
