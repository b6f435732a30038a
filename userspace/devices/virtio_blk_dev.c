// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's virtio-blk disks (hvm-run --disk): virtio/virtio_blk.c
 * serves the requests, a worker thread per disk takes them off the
 * queue.  The ring thread only records a kick (a posted write, so the
 * vCPU never waited for it) and wakes the worker: a slow pread, pwrite
 * or fdatasync then holds up neither the vCPU nor the other devices.
 * The worker holds the device lock while it touches the queue and
 * releases it for the file I/O.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_dev.h"
#include "../virtio/virtio_blk.h"

#define VIRTIO_ID_BLOCK		2
#define CLASS_STORAGE_SCSI	0x010000	/* what virtio-blk reports */

/* Feature bits (virtio 1.x, 5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Segments per request: one indirect table holds them all. */
#define BLK_SEG_MAX		(VIRTQ_MAX_INDIRECT - 2)
/* Interrupt at least this often while a long batch is served. */
#define BLK_IRQ_BATCH		16
#define BLK_DISCARD_ALIGN	8	/* sectors: 4 KiB */

/* The device configuration (5.2.4), little endian, up to write zeroes. */
struct blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint8_t geometry[4];
	uint32_t blk_size;
	uint8_t topology[8];
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
};
_Static_assert(offsetof(struct blk_config, write_zeroes_may_unmap) == 56,
	       "virtio-blk configuration layout");
#define BLK_CONFIG_SIZE	60

struct blk_dev {
	struct virtio_dev vdev;		/* first: see virtio_dev_msi() */
	struct virtio_pci_model model;
	struct virtio_blk blk;
	struct blk_config config;
	const struct hvm_guest_ram *ram;
	pthread_cond_t kick;
	bool kicked;
	unsigned int generation;	/* bumped by every device reset */
	struct virtq_chain chain;	/* the worker's */
};

static void blk_notify(struct virtio_pci *pci, unsigned int q)
{
	struct blk_dev *b = pci->model->opaque;

	(void)q;
	b->kicked = true;
	pthread_cond_signal(&b->kick);
}

static void blk_reset(struct virtio_pci *pci)
{
	struct blk_dev *b = pci->model->opaque;

	/* A request in flight is dropped: its queue is gone. */
	b->generation++;
}

/* Serves queue 0 until it is empty; called and returns with the lock. */
static void blk_serve(struct blk_dev *b, pthread_mutex_t *lock)
{
	struct virtio_pci *pci = &b->vdev.pci;
	struct virtq *vq = &pci->queues[0].vq;
	unsigned int generation = b->generation, pending = 0;
	int ret, n;

	while (pci->queues[0].enabled) {
		ret = virtq_pop(vq, &b->chain);
		if (ret == 0)
			break;
		if (ret < 0) {
			virtio_pci_needs_reset(pci);
			return;
		}
		pthread_mutex_unlock(lock);
		n = virtio_blk_request(&b->blk, b->ram, &b->chain);
		pthread_mutex_lock(lock);
		if (generation != b->generation)
			return;
		if (n < 0 || virtq_push(vq, b->chain.head, n)) {
			virtio_pci_needs_reset(pci);
			return;
		}
		if (++pending == BLK_IRQ_BATCH) {
			virtio_pci_queue_interrupt(pci, 0);
			pending = 0;
		}
	}
	if (pending)
		virtio_pci_queue_interrupt(pci, 0);
}

static void *blk_worker(void *arg)
{
	struct blk_dev *b = arg;
	pthread_mutex_t *lock = b->vdev.p->lock;

	pthread_mutex_lock(lock);
	for (;;) {
		while (!b->kicked)
			pthread_cond_wait(&b->kick, lock);
		b->kicked = false;
		blk_serve(b, lock);
	}
	return NULL;
}

/* FILE[,ro][,serial=S]: 0, or -EINVAL for an option we do not know. */
static int parse_spec(char *spec, bool *read_only, const char **serial)
{
	char *opt = strchr(spec, ','), *next;

	*read_only = false;
	*serial = NULL;
	if (opt)
		*opt++ = '\0';
	for (; opt; opt = next) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strcmp(opt, "ro"))
			*read_only = true;
		else if (!strncmp(opt, "serial=", 7))
			*serial = opt + 7;
		else
			return -EINVAL;
	}
	return *spec ? 0 : -EINVAL;
}

int virtio_blk_dev_create(struct platform *p, struct pci_bus *bus,
			  const struct hvm_guest_ram *ram, const char *spec)
{
	struct blk_dev *b = calloc(1, sizeof(*b));
	char *path = strdup(spec);
	const char *serial, *base;
	pthread_t worker;
	bool read_only;
	int ret;

	if (!b || !path) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = parse_spec(path, &read_only, &serial);
	if (ret) {
		fprintf(stderr, "hvm-helper: invalid --disk '%s' (FILE[,ro][,serial=SERIAL])\n",
			spec);
		goto fail;
	}
	base = strrchr(path, '/');
	ret = virtio_blk_open(&b->blk, path, read_only,
			      serial ? serial : base ? base + 1 : path);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot open disk image '%s': %s\n",
			path, strerror(-ret));
		goto fail;
	}
	b->ram = ram;
	b->config = (struct blk_config){
		.capacity = b->blk.sectors,
		.seg_max = BLK_SEG_MAX,
		.blk_size = VIRTIO_BLK_SECTOR,
		.max_discard_sectors = UINT32_MAX,
		.max_discard_seg = VIRTIO_BLK_MAX_SEGMENTS,
		.discard_sector_alignment = BLK_DISCARD_ALIGN,
		.max_write_zeroes_sectors = UINT32_MAX,
		.max_write_zeroes_seg = VIRTIO_BLK_MAX_SEGMENTS,
		.write_zeroes_may_unmap = 1,
	};
	b->model = (struct virtio_pci_model){
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = CLASS_STORAGE_SCSI,
		.nr_queues = 1,
		.features = 1ULL << VIRTIO_F_RING_INDIRECT_DESC |
			    1ULL << VIRTIO_F_RING_EVENT_IDX |
			    1ULL << VIRTIO_BLK_F_SEG_MAX |
			    1ULL << VIRTIO_BLK_F_BLK_SIZE |
			    1ULL << VIRTIO_BLK_F_FLUSH |
			    (read_only ? 1ULL << VIRTIO_BLK_F_RO :
			     1ULL << VIRTIO_BLK_F_DISCARD |
			     1ULL << VIRTIO_BLK_F_WRITE_ZEROES),
		.config = &b->config,
		.config_size = BLK_CONFIG_SIZE,
		.notify = blk_notify,
		.msi = virtio_dev_msi,
		.reset = blk_reset,
		.opaque = b,
	};
	pthread_cond_init(&b->kick, NULL);
	ret = virtio_dev_plug(&b->vdev, p, bus, &b->model, ram);
	if (ret) {
		fprintf(stderr, "hvm-helper: no room on the PCI bus for disk '%s'\n",
			path);
		goto close;
	}
	ret = -pthread_create(&worker, NULL, blk_worker, b);
	if (ret) {
		/* The bus holds b now: the helper gives up anyway. */
		fprintf(stderr, "hvm-helper: cannot start the thread of disk '%s': %s\n",
			path, strerror(-ret));
		return ret;
	}
	pthread_detach(worker);
	free(path);
	return 0;
close:
	virtio_blk_close(&b->blk);
fail:
	free(path);
	free(b);
	return ret;
}
