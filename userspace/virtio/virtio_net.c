// SPDX-License-Identifier: GPL-2.0
/* virtio-net over virtio-pci with a TAP backend: see virtio_net.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* struct ifreq, O_CLOEXEC under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "virtio_net.h"

#define HDR_BYTES	sizeof(struct virtio_net_hdr)
/* Frames per queue per pass, so neither direction starves the other. */
#define PASS_BUDGET	256

#define BIT(n)		(1ULL << (n))
#define CSUM_FEATURES	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM))
#define TSO_FEATURES	(BIT(VIRTIO_NET_F_HOST_TSO4) | \
			 BIT(VIRTIO_NET_F_HOST_TSO6) | \
			 BIT(VIRTIO_NET_F_GUEST_TSO4) | \
			 BIT(VIRTIO_NET_F_GUEST_TSO6))

int virtio_net_tap_open(const char *name, uint64_t *features)
{
	unsigned int offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int fd, hdr_size = HDR_BYTES, ret;
	struct ifreq ifr;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) ||
	    ioctl(fd, TUNSETVNETHDRSZ, &hdr_size))
		goto fail;
	/* What the tap may hand us decides what we offer both ways. */
	*features = 0;
	if (!ioctl(fd, TUNSETOFFLOAD, offloads))
		*features = CSUM_FEATURES | TSO_FEATURES;
	else if (!ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM))
		*features = CSUM_FEATURES;
	/* Nothing until the driver accepts it. */
	if (ioctl(fd, TUNSETOFFLOAD, 0))
		goto fail;
	return fd;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

static struct virtio_net *to_net(struct virtio_pci *dev)
{
	return dev->model->opaque;
}

/* Queue q may move frames: the driver is up and nothing broke. */
static bool queue_live(struct virtio_net *net, unsigned int q)
{
	const struct virtio_pci *dev = net->pci;

	return dev->queues[q].enabled && !dev->queues[q].vq.broken &&
	       (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void set_offloads(struct virtio_net *net, unsigned int offloads)
{
	if (!net->backend_is_tap || offloads == net->applied_offloads)
		return;
	/* The tap refuses what it never offered: then it sends none. */
	if (ioctl(net->backend, TUNSETOFFLOAD, offloads))
		offloads = ioctl(net->backend, TUNSETOFFLOAD, 0) ? ~0U : 0;
	net->applied_offloads = offloads;
}

/* The tap may send what the driver accepted (5.1.6.3.1). */
static void apply_driver_offloads(struct virtio_net *net)
{
	uint64_t f = net->pci->driver_features;
	unsigned int offloads = 0;

	if (f & BIT(VIRTIO_NET_F_GUEST_CSUM)) {
		offloads |= TUN_F_CSUM;
		if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
			offloads |= TUN_F_TSO4;
		if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
			offloads |= TUN_F_TSO6;
	}
	set_offloads(net, offloads);
}

static void net_notify(struct virtio_pci *dev, unsigned int q)
{
	uint64_t one = 1;

	(void)q;	/* one worker serves both queues */
	/* A full eventfd counter (EAGAIN) still wakes the worker. */
	if (write(to_net(dev)->kick, &one, sizeof(one)) < 0)
		return;
}

static void net_msi(struct virtio_pci *dev, uint64_t address, uint32_t data)
{
	struct virtio_net *net = to_net(dev);

	net->stats.interrupts++;
	if (net->msi)
		net->msi(dev, address, data);
}

static void net_reset(struct virtio_pci *dev)
{
	struct virtio_net *net = to_net(dev);

	net->rx_len = 0;
	net->rx_starved = false;
	set_offloads(net, 0);
}

static void queue_broken(struct virtio_net *net)
{
	virtio_pci_needs_reset(net->pci);
}

/* Transmits up to PASS_BUDGET chains: true when more may wait. */
static bool net_tx(struct virtio_net *net)
{
	struct virtq *vq = &net->pci->queues[VIRTIO_NET_TX_QUEUE].vq;
	struct virtq_chain *c = &net->chain;
	unsigned int done;
	ssize_t n;
	int ret;

	if (!queue_live(net, VIRTIO_NET_TX_QUEUE))
		return false;
	for (done = 0; done < PASS_BUDGET; done++) {
		ret = virtq_pop(vq, c);
		if (ret < 0) {
			queue_broken(net);
			return false;
		}
		if (!ret)
			break;
		/* Too short for a header, or longer than any frame: dropped. */
		if (c->readable < HDR_BYTES ||
		    c->readable > sizeof(net->tx_buf) ||
		    virtq_chain_read(vq->ram, c, 0, net->tx_buf, c->readable)) {
			net->stats.tx_dropped++;
		} else {
			n = write(net->backend, net->tx_buf, c->readable);
			if (n == (ssize_t)c->readable) {
				net->stats.tx_frames++;
				net->stats.tx_bytes += n - HDR_BYTES;
			} else {
				/* The tap refused the header, or is gone. */
				net->stats.tx_dropped++;
			}
		}
		if (virtq_push(vq, c->head, 0)) {
			queue_broken(net);
			return false;
		}
	}
	if (done)
		virtio_pci_queue_interrupt(net->pci, VIRTIO_NET_TX_QUEUE);
	return done == PASS_BUDGET;
}

/*
 * Puts the frame in rx_buf into receive buffers: 1 when it is gone (in
 * the used ring, or dropped), 0 when the driver has not posted room for
 * it yet, -errno when the queue broke.
 */
static int rx_deliver(struct virtio_net *net)
{
	struct virtq *vq = &net->pci->queues[VIRTIO_NET_RX_QUEUE].vq;
	bool mergeable = net->pci->driver_features &
			 BIT(VIRTIO_NET_F_MRG_RXBUF);
	struct virtq_chain *c = &net->chain;
	uint64_t first_gpa = 0;
	uint32_t off = 0, chunk;
	uint16_t nr = 0;
	int ret;

	while (off < net->rx_len) {
		ret = virtq_pop(vq, c);
		if (ret < 0)
			return ret;
		if (!ret) {
			virtq_unpop(vq, nr);
			return 0;
		}
		/*
		 * A first buffer that cannot take the header whole
		 * (5.1.6.3.1), or one too small without mergeable buffers:
		 * the frame is dropped and the buffer returned empty, which
		 * the driver counts as an error.
		 */
		if (!nr && (!c->bufs[0].device_writes ||
			    c->bufs[0].len < HDR_BYTES ||
			    (!mergeable && c->writable < net->rx_len))) {
			net->stats.rx_dropped++;
			return virtq_push(vq, c->head, 0) ? -EFAULT : 1;
		}
		if (!nr)
			first_gpa = c->bufs[0].gpa;
		chunk = net->rx_len - off;
		if (chunk > c->writable)
			chunk = c->writable;
		if (virtq_chain_write(vq->ram, c, 0, net->rx_buf + off, chunk))
			return -EFAULT;
		net->rx_heads[nr] = c->head;
		net->rx_lens[nr] = chunk;
		nr++;
		off += chunk;
		/* Every buffer of the ring and still too small: dropped. */
		if (off < net->rx_len && nr == vq->size) {
			virtq_unpop(vq, nr);
			net->stats.rx_dropped++;
			return 1;
		}
	}
	/* num_buffers: 1 unless the frame was spread. */
	if (hvm_guest_ram_write(vq->ram, first_gpa +
				offsetof(struct virtio_net_hdr, num_buffers),
				&nr, sizeof(nr)))
		return -EFAULT;
	ret = virtq_push_many(vq, net->rx_heads, net->rx_lens, nr);
	if (ret)
		return ret;
	net->stats.rx_frames++;
	net->stats.rx_bytes += net->rx_len - HDR_BYTES;
	return 1;
}

/* Receives up to PASS_BUDGET frames: true when more may wait. */
static bool net_rx(struct virtio_net *net)
{
	struct virtq *vq = &net->pci->queues[VIRTIO_NET_RX_QUEUE].vq;
	bool live = queue_live(net, VIRTIO_NET_RX_QUEUE);
	unsigned int done, delivered = 0;
	ssize_t n;
	int ret;

	if (!live)
		net->rx_len = 0;
	for (done = 0; done < PASS_BUDGET; done++) {
		if (!net->rx_len) {
			n = read(net->backend, net->rx_buf, sizeof(net->rx_buf));
			if (n <= 0)
				break;
			/* The link is down until the driver is up: dropped. */
			if (!live || (size_t)n < HDR_BYTES) {
				net->stats.rx_dropped++;
				continue;
			}
			net->rx_len = n;
		}
		ret = rx_deliver(net);
		if (ret < 0) {
			queue_broken(net);
			net->rx_len = 0;
			break;
		}
		if (!ret) {
			/* Wait for buffers, unless some came meanwhile. */
			if (virtq_want_kick(vq))
				continue;
			net->rx_starved = true;
			break;
		}
		delivered++;
		net->rx_len = 0;
	}
	if (delivered)
		virtio_pci_queue_interrupt(net->pci, VIRTIO_NET_RX_QUEUE);
	return done == PASS_BUDGET;
}

static bool net_process(struct virtio_net *net)
{
	bool more;

	apply_driver_offloads(net);
	more = net_tx(net);
	if (!net->rx_starved)
		more |= net_rx(net);
	return more;
}

void virtio_net_process(struct virtio_net *net)
{
	net->rx_starved = false;
	while (net_process(net))
		;
}

static void *net_worker(void *arg)
{
	struct virtio_net *net = arg;
	struct pollfd fds[3] = {
		{ .fd = net->stop, .events = POLLIN },
		{ .fd = net->kick, .events = POLLIN },
		{ .fd = net->backend, .events = POLLIN },
	};
	bool starved = false, more = true, kicked;
	uint64_t v;

	for (;;) {
		/* No receive buffers: the tap waits until the driver kicks. */
		fds[2].events = starved ? 0 : POLLIN;
		/* Work left over from the last pass: just look, do not wait. */
		if (poll(fds, 3, more ? 0 : -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		kicked = (fds[1].revents & POLLIN) &&
			 read(net->kick, &v, sizeof(v)) == sizeof(v);
		pthread_mutex_lock(net->lock);
		if (kicked)
			net->rx_starved = false;
		more = net_process(net);
		starved = net->rx_starved;
		pthread_mutex_unlock(net->lock);
		fds[1].revents = 0;
		fds[2].revents = 0;
	}
	return NULL;
}

int virtio_net_init(struct virtio_net *net, int backend, bool is_tap,
		    uint64_t backend_features, const uint8_t mac[6],
		    pthread_mutex_t *lock)
{
	int ret, flags;

	memset(net, 0, sizeof(*net));
	net->backend = backend;
	net->backend_is_tap = is_tap;
	net->backend_features = backend_features &
				(CSUM_FEATURES | TSO_FEATURES);
	net->lock = lock;
	net->kick = -1;
	net->stop = -1;
	flags = fcntl(backend, F_GETFL);
	if (flags < 0 || fcntl(backend, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	net->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	net->stop = eventfd(0, EFD_CLOEXEC);
	if (net->kick < 0 || net->stop < 0) {
		ret = -errno;
		virtio_net_destroy(net);
		return ret;
	}
	memcpy(net->config.mac, mac, sizeof(net->config.mac));
	net->config.status = VIRTIO_NET_S_LINK_UP;
	net->model = (struct virtio_pci_model){
		.device_id = VIRTIO_NET_DEVICE_ID,
		.class_code = 0x020000,		/* Ethernet controller */
		.nr_queues = 2,
		.features = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
			    BIT(VIRTIO_NET_F_MRG_RXBUF) |
			    BIT(VIRTIO_F_RING_EVENT_IDX) |
			    BIT(VIRTIO_F_RING_INDIRECT_DESC) |
			    net->backend_features,
		.config = &net->config,
		.config_size = sizeof(net->config),
		.notify = net_notify,
		.msi = net_msi,
		.reset = net_reset,
		.opaque = net,
	};
	return 0;
}

int virtio_net_start(struct virtio_net *net)
{
	int ret = pthread_create(&net->worker, NULL, net_worker, net);

	if (ret)
		return -ret;
	net->worker_running = true;
	return 0;
}

void virtio_net_destroy(struct virtio_net *net)
{
	uint64_t one = 1;

	if (net->worker_running &&
	    write(net->stop, &one, sizeof(one)) == sizeof(one))
		pthread_join(net->worker, NULL);
	net->worker_running = false;
	if (net->kick >= 0)
		close(net->kick);
	if (net->stop >= 0)
		close(net->stop);
	if (net->backend >= 0)
		close(net->backend);
	net->kick = net->stop = net->backend = -1;
}
