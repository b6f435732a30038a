/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The board: which devices of userspace/devices/ sit at which ports and
 * MMIO ranges (the PC platform acpi.c describes, the debug-exit port, the
 * PCI bus with its virtio disks and NICs), the device lock, the guest's
 * console on stdout and stdin, and the count of accesses per port.
 *
 * hvm-helper serves it behind hvm's ring; hvm-run --backend kvm serves it
 * from its vCPU threads on KVM's exits.  The owner fills plat.stop,
 * plat.signal_msi and plat.add_posted (the hypervisor's side) before
 * board_create_devices(); the board owns plat.emit, plat.flush and
 * plat.lock.
 */
#ifndef HVM_BOARD_H
#define HVM_BOARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"
#include "dma_test_dev.h"
#include "libhvm.h"

#define BOARD_COM1_BASE		0x3f8
#define BOARD_MAX_DEVICES	16
#define BOARD_MAX_DISKS		8
#define BOARD_MAX_NETS		4

struct board {
	struct platform plat;
	/* Program name for messages ("hvm-helper", "hvm-run"). */
	const char *prog;
	/* Guest RAM as the devices' DMA sees it. */
	struct hvm_guest_ram ram;
	/* The device lock: every call into a device holds it. */
	pthread_mutex_t lock;
	struct device devices[BOARD_MAX_DEVICES];
	unsigned int nr_devices;
	struct uart *com1;
	struct pci_bus *pci;
	/* --disk and --net specifications, as the devices parse them. */
	const char *disks[BOARD_MAX_DISKS];
	unsigned int nr_disks;
	const char *nets[BOARD_MAX_NETS];
	unsigned int nr_nets;
	bool dma_test;
	struct dma_test_dev dma;
	bool stats;
	/* Accesses per port that reached the board (--stats). */
	uint64_t port_accesses[0x10000];
	uint64_t mmio_accesses;
	/* Guest output, written to stdout by board_flush_output(). */
	char out[4096];
	size_t out_len;
	bool stdout_broken;
};

/* Empty board: the lock, the guest RAM table, the console callbacks. */
void board_init(struct board *b, const char *prog, bool verbose);
/*
 * The devices, after the owner's callbacks and --disk/--net/--dma-test.
 * 0; -ENOMEM; or another -errno after the device printed why.
 */
int board_create_devices(struct board *b);
/*
 * One access of size 1, 2, 4 or 8 bytes (others: -EINVAL) in space
 * (HVM_IO_PIO or HVM_IO_MMIO); takes the device lock.  Nobody's range:
 * reads all-ones, writes are dropped.
 */
int board_access(struct board *b, uint32_t space, uint64_t addr,
		 unsigned int size, bool is_write, uint64_t *data);
/* Writes the guest's buffered output to stdout; takes the device lock. */
void board_flush_output(struct board *b);
/*
 * Stdin feeds COM1's receiver from a thread of its own; Ctrl-A x stops the
 * VM (HVM_STOP_QUIT), Ctrl-A Ctrl-A sends one Ctrl-A.  0 or -errno.
 */
int board_start_console_input(struct board *b);
/* --stats: the ports the guest used most, one line on stderr. */
void board_print_port_stats(const struct board *b);

#endif /* HVM_BOARD_H */
