/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.x, 5.1) over the virtio-pci transport, with a TAP
 * backend: one receive and one transmit queue, the MAC address in the
 * configuration space, checksum and TSO offloads when the tap takes the
 * virtio-net header's (IFF_VNET_HDR), mergeable receive buffers.
 *
 * Frames move between the queues and the backend fd, which carries one
 * frame per read or write preceded by a struct virtio_net_hdr (12 bytes):
 * a tap with IFF_VNET_HDR and TUNSETVNETHDRSZ 12, or (in the tests) a
 * SOCK_SEQPACKET socket.  A worker thread serves both queues: transmit when
 * the driver kicks, receive when the backend has a frame and the driver
 * has posted buffers; it takes the device lock for all queue work, the
 * lock the helper holds around every access to the transport.
 */
#ifndef HVM_VIRTIO_NET_H
#define HVM_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio_pci.h"

#define VIRTIO_NET_DEVICE_ID		1
#define VIRTIO_NET_RX_QUEUE		0
#define VIRTIO_NET_TX_QUEUE		1

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

#define VIRTIO_NET_S_LINK_UP		1

/* Header flags and GSO types (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_GSO_NONE		0

/* The header before every frame, both ways (VERSION_1: always 12 bytes). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* The device configuration (5.1.4): what the driver reads. */
struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
} __attribute__((packed));

/*
 * The largest frame either way: a 64 KiB TSO packet with its Ethernet
 * header.  A larger transmit chain is dropped (the driver gets it back
 * with nothing written), so is a received frame no buffers can hold.
 */
#define VIRTIO_NET_MAX_FRAME	(65536 + 14 + 4)
#define VIRTIO_NET_BUF_BYTES	(sizeof(struct virtio_net_hdr) + \
				 VIRTIO_NET_MAX_FRAME)

/* What the device counted (tests and --stats). */
struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped;
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t interrupts;
};

struct virtio_net {
	/*
	 * The transport, set up by the caller with model (the helper's
	 * virtio_dev_plug(), or virtio_pci_init() in the tests).
	 */
	struct virtio_pci *pci;
	struct virtio_pci_model model;
	struct virtio_net_config config;
	int backend;			/* the tap, or a stand-in socket */
	bool backend_is_tap;		/* TUNSETOFFLOAD applies */
	uint64_t backend_features;	/* offloads the backend takes */
	unsigned int applied_offloads;	/* TUN_F_* last set on the tap */
	pthread_mutex_t *lock;		/* the helper's device lock */
	/* Delivers an MSI-X message (virtio_dev_msi() in the helper). */
	void (*msi)(struct virtio_pci *pci, uint64_t address, uint32_t data);

	int kick;			/* eventfd: the driver kicked */
	int stop;			/* eventfd: the worker ends */
	pthread_t worker;
	bool worker_running;
	/* A received frame waiting for buffers (rx_len bytes, header too). */
	bool rx_starved;
	uint32_t rx_len;
	uint8_t rx_buf[VIRTIO_NET_BUF_BYTES];
	uint8_t tx_buf[VIRTIO_NET_BUF_BYTES];
	/* The chains a frame spreads over (mergeable buffers). */
	uint16_t rx_heads[VIRTQ_MAX_SIZE];
	uint32_t rx_lens[VIRTQ_MAX_SIZE];
	struct virtq_chain chain;
	struct virtio_net_stats stats;
};

/*
 * Opens (or creates, as root) the tap NAME with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, sets the 12-byte header and probes the offloads it takes:
 * the fd, or -errno; *features gets the VIRTIO_NET_F_* the offloads allow.
 */
int virtio_net_tap_open(const char *name, uint64_t *features);

/*
 * Sets the device up on backend fd (owned by the device from now on,
 * made non-blocking) and fills net->model: features the device offers
 * are VERSION_1, MAC, STATUS, MRG_RXBUF, EVENT_IDX, INDIRECT_DESC plus
 * backend_features (from virtio_net_tap_open(); 0 for a backend without
 * offloads).  The caller then initialises a transport with net->model,
 * points net->pci at it and sets net->msi.  0 or -errno.
 */
int virtio_net_init(struct virtio_net *net, int backend, bool is_tap,
		    uint64_t backend_features, const uint8_t mac[6],
		    pthread_mutex_t *lock);
/* Starts the worker thread: 0 or -errno. */
int virtio_net_start(struct virtio_net *net);
/* Stops the worker and closes the backend. */
void virtio_net_destroy(struct virtio_net *net);

/*
 * One pass of the worker, with the device lock held: transmit what the
 * driver queued, receive what the backend holds while buffers last, then
 * interrupt the driver as the queues' notification rules allow.  The
 * worker calls it; the tests call it directly.
 */
void virtio_net_process(struct virtio_net *net);

/* --net tap=NAME[,mac=MAC] (hvm-run, hvm-helper): virtio_net_spec.c. */
struct virtio_net_spec {
	char tap[16];			/* IFNAMSIZ */
	uint8_t mac[6];
	bool mac_given;
};

/* 0, or -EINVAL for anything but one tap= and at most one mac=. */
int virtio_net_parse_spec(const char *arg, struct virtio_net_spec *spec);
/* The spec with its MAC, as hvm-run hands it to hvm-helper. */
#define VIRTIO_NET_SPEC_LEN	48
void virtio_net_format_spec(const struct virtio_net_spec *spec, char *buf,
			    size_t len);
/*
 * A MAC address for a VM: NAME and the interface's index hashed into a
 * locally administered unicast address, the same every run.
 */
void virtio_net_mac_from_name(const char *name, unsigned int index,
			      uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff": 0, or -EINVAL (also for a multicast address). */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif /* HVM_VIRTIO_NET_H */
