// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's network interfaces (hvm-run --net): virtio/virtio_net.c on
 * a tap, plugged into PCI bus 0 through virtio_dev.  The device's worker
 * thread moves the frames; the ring thread only records kicks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "virtio_dev.h"
#include "../virtio/virtio_net.h"

struct net_dev {
	struct virtio_dev vdev;		/* first: see virtio_dev_msi() */
	struct virtio_net net;
};

int virtio_net_dev_create(struct platform *p, struct pci_bus *bus,
			  const struct hvm_guest_ram *ram, const char *spec)
{
	struct virtio_net_spec s;
	struct net_dev *d;
	uint64_t features;
	int fd, ret;

	if (virtio_net_parse_spec(spec, &s)) {
		fprintf(stderr, "hvm-helper: invalid --net '%s' (tap=NAME[,mac=MAC])\n",
			spec);
		return -EINVAL;
	}
	if (!s.mac_given)
		virtio_net_mac_from_name(s.tap, 0, s.mac);
	fd = virtio_net_tap_open(s.tap, &features);
	if (fd < 0) {
		fprintf(stderr, "hvm-helper: cannot open tap '%s': %s\n", s.tap,
			strerror(-fd));
		return fd;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	ret = virtio_net_init(&d->net, fd, true, features, s.mac, p->lock);
	if (ret) {
		fprintf(stderr, "hvm-helper: cannot set up tap '%s': %s\n",
			s.tap, strerror(-ret));
		close(fd);
		free(d);
		return ret;
	}
	/* The model's MSI callback counts, then hands over to virtio_dev. */
	d->net.msi = virtio_dev_msi;
	d->net.pci = &d->vdev.pci;
	ret = virtio_dev_plug(&d->vdev, p, bus, &d->net.model, ram);
	if (ret) {
		fprintf(stderr, "hvm-helper: no room on the PCI bus for tap '%s'\n",
			s.tap);
		virtio_net_destroy(&d->net);
		free(d);
		return ret;
	}
	ret = virtio_net_start(&d->net);
	if (ret)
		/* The bus holds d now: the helper gives up anyway. */
		fprintf(stderr, "hvm-helper: cannot start the thread of tap '%s': %s\n",
			s.tap, strerror(-ret));
	return ret;
}
