// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-helper: the device model process behind hvm-run.  It serves a VM's
 * I/O ring: a 16550 UART on COM1 whose output goes to stdout, and the
 * debug-exit port that stops the VM with a status code.  It maps the
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
#include <string.h>
#include <unistd.h>

#include "libhvm.h"
#include "dma_test_dev.h"

#define COM1_BASE		0x3f8
#define COM1_PORTS		8
#define DEBUG_EXIT_PORT		0xf4
#define DEBUG_EXIT_PORTS	4

/* 16550 register offsets (DLAB = LCR bit 7 selects the divisor latch). */
enum uart_reg {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_LCR_DLAB		0x80
#define UART_FCR_FIFO_ENABLE	0x01
#define UART_IIR_NO_INT		0x01
#define UART_IIR_FIFOS		0xc0
#define UART_LSR_DR		0x01
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_MCR_LOOP		0x10
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_DCD		0x80

struct uart {
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	/* Loopback mode: the last byte sent, waiting in RBR. */
	bool rx_full;
	uint8_t rx;
};

struct helper {
	struct hvm_ring_map ring;
	struct hvm_guest_ram ram;
	struct uart com1;
	bool dma_test;
	struct dma_test_dev dma;
	bool verbose;
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

static void emit_char(struct helper *h, char c)
{
	if (h->out_len == sizeof(h->out))
		flush_output(h);
	h->out[h->out_len++] = c;
}

static void uart_write(struct helper *h, unsigned int reg, uint8_t value)
{
	struct uart *u = &h->com1;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			u->dll = value;
		} else if (u->mcr & UART_MCR_LOOP) {
			u->rx = value;
			u->rx_full = true;
		} else {
			emit_char(h, (char)value);
		}
		break;
	case UART_IER_DLM:
		if (dlab)
			u->dlm = value;
		else
			u->ier = value & 0x0f;
		break;
	case UART_IIR_FCR:
		u->fcr = value;
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		u->mcr = value & 0x1f;
		break;
	case UART_SCR:
		u->scr = value;
		break;
	default:
		/* LSR and MSR are read-only. */
		break;
	}
}

static uint8_t uart_msr(const struct uart *u)
{
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	if (u->mcr & UART_MCR_LOOP)
		return ((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
		       ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4);
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static uint8_t uart_read(struct helper *h, unsigned int reg)
{
	struct uart *u = &h->com1;
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t value;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab)
			return u->dll;
		value = u->rx_full ? u->rx : 0;
		u->rx_full = false;
		return value;
	case UART_IER_DLM:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		/* Interrupts are not modelled: none is ever pending. */
		return UART_IIR_NO_INT |
		       ((u->fcr & UART_FCR_FIFO_ENABLE) ? UART_IIR_FIFOS : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		/* Output is instant, so the transmitter is always empty. */
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (u->rx_full ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
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

/*
 * One device access.  Wide accesses to the UART touch consecutive
 * registers, one byte each, as the bus would.  Returns 0 or -errno.
 */
static int device_access(struct helper *h, unsigned int space, uint64_t addr,
			 unsigned int size, bool is_write, uint64_t *data)
{
	unsigned int i;
	int ret;

	if (space == HVM_IO_PIO && in_range(addr, size, COM1_BASE, COM1_PORTS)) {
		uint64_t value = 0;

		for (i = 0; i < size; i++) {
			unsigned int reg = addr - COM1_BASE + i;

			if (is_write)
				uart_write(h, reg, *data >> (8 * i));
			else
				value |= (uint64_t)uart_read(h, reg) << (8 * i);
		}
		if (!is_write)
			*data = value;
		return 0;
	}

	if (space == HVM_IO_PIO &&
	    in_range(addr, size, DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS)) {
		if (!is_write) {
			*data = size_mask(size);
			return 0;
		}
		/* Whatever the guest printed so far goes out first. */
		flush_output(h);
		ret = hvm_ring_stop_vm(&h->ring, *data & size_mask(size));
		if (ret && ret != -EPIPE)
			fprintf(stderr, "hvm-helper: stopping the VM failed: %s\n",
				strerror(-ret));
		return 0;
	}

	if (space == HVM_IO_PIO && h->dma_test &&
	    dma_test_claims(&h->dma, addr, size)) {
		dma_test_access(&h->dma, addr, size, is_write, data);
		return 0;
	}

	if (h->verbose)
		fprintf(stderr, "hvm-helper: unhandled %s %s %#" PRIx64
			" size %u%s%#" PRIx64 "\n", space_name(space),
			is_write ? "write" : "read", addr, size,
			is_write ? " value " : "",
			is_write ? *data & size_mask(size) : 0);
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
	device_access(h, entry->space, entry->addr, entry->size, true, &data);
}

static int serve_sync(void *opaque, struct hvm_ring_slot *slot)
{
	struct helper *h = opaque;
	uint64_t data = slot->data;
	unsigned int size = slot->size;
	int ret;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	ret = device_access(h, slot->space, slot->addr, size, slot->is_write,
			    &data);
	if (!ret && !slot->is_write)
		slot->data = data & size_mask(size);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hvm-helper --ring-fd N [--mem-fd N --mem-map GPA,SIZE,OFFSET...]\n"
		"                  [--dma-test PORT] [--ready-fd N] [--verbose]\n"
		"\n"
		"Device model for one hvm VM, normally started by hvm-run.  It\n"
		"serves the VM's I/O ring (an fd inherited from the parent):\n"
		"  COM1 (ports 0x3f8-0x3ff)  16550 UART; output goes to stdout\n"
		"  port 0xf4 (4 bytes)       debug exit: writing V stops the VM\n"
		"                            with code V (hvm-run exits with V)\n"
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
		"  --verbose      log accesses to unhandled devices on stderr\n"
		"  --help         this text\n"
		"\n"
		"Exits 0 when the VM is gone, 1 on errors.\n", DMA_TEST_PORTS);
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct helper h;
	int ring_fd = -1, ready_fd = -1, mem_fd = -1, opt, ret;
	uint64_t gpa, size, offset, port;
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
		case 'v':
			h.verbose = true;
			break;
		case 'h':
			usage(stdout);
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
	/* THR writes do not need an answer: let the vCPU run on. */
	ret = hvm_ring_add_posted(&h.ring, HVM_IO_PIO, COM1_BASE, 1);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot post the UART data port: %s\n",
			strerror(-ret));
		return 1;
	}
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
		flush_output(&h);
		if (ret == 0 || ret == -EINTR)
			continue;
		if (ret == -EPIPE)
			break;
		fprintf(stderr, "hvm-helper: serving the ring failed: %s\n",
			strerror(-ret));
		hvm_ring_unmap(&h.ring);
		return 1;
	}
	hvm_ring_unmap(&h.ring);
	hvm_guest_ram_unmap(&h.ram);
	return 0;
}
