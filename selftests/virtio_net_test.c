// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's virtio-net device (userspace/virtio/virtio_net.c) driven
 * like a guest driver would, against a guest RAM of 1 MiB between guard
 * pages, with a SOCK_SEQPACKET socket pair standing in for the tap (one
 * message per frame, header included).  No hypervisor needed.
 *
 * config: the PCI IDs and class, the MAC and link status in the device
 *   configuration, the features offered (no offloads without a tap).
 * tx: frames in one descriptor, split over two and in an indirect table
 *   reach the backend whole; the chains come back used, one interrupt.
 * rx: a frame waits until the driver posts buffers (and kicks), then fills
 *   one with num_buffers 1; with MRG_RXBUF a large frame spreads over
 *   several buffers published together, without it it is dropped and the
 *   buffer returned empty.
 * hostile: loops, buffers outside RAM and empty buffers make the device
 *   NEEDS_RESET; a transmit chain too short for a header or larger than
 *   any frame is dropped, a read-only receive buffer and one that splits
 *   the header come back empty, and the queues go on.
 * worker: the worker thread moves frames both ways on kicks and backend
 *   traffic, and stops.
 * tap: (as root, with /dev/net/tun) a tap opens with the virtio-net
 *   header and offloads, and a transmitted frame leaves through it.
 * mac: generated addresses are stable per name, locally administered and
 *   unicast; the parser refuses malformed and multicast addresses.
 * spec: --net's tap=NAME[,mac=MAC], and what it refuses.
 * fuzz: 5,000 rounds of random frames both ways with random damage to
 *   rings and tables: only documented outcomes, nothing outside guest RAM.
 */
#include <assert.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "virtio/virtio_net.h"

#define RAM_SIZE	(1 << 20)
#define PAGE		4096
#define QSIZE		16
#define BAR		0xe0000000ULL
/* Rings of queue q at RING_GPA(q) + DESC/AVAIL/USED. */
#define RING_GPA(q)	(0x10000 + 0x8000 * (uint64_t)(q))
#define DESC_OFF	0x0000
#define AVAIL_OFF	0x2000
#define USED_OFF	0x4000
#define IND_GPA		0x30000
#define RX_DATA_GPA	0x40000		/* 16 buffers, 4 KiB apart */
#define TX_DATA_GPA	0x60000
#define HDR		sizeof(struct virtio_net_hdr)
#define RX_Q		VIRTIO_NET_RX_QUEUE
#define TX_Q		VIRTIO_NET_TX_QUEUE

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

FIXTURE(net) {
	uint8_t *ram;
	struct hvm_guest_ram gram;
	struct virtio_net *net;
	struct virtio_pci pci;
	pthread_mutex_t lock;
	int peer;
	uint16_t next_desc[2];
};

static unsigned int msis;

static void count_msi(struct virtio_pci *pci, uint64_t address,
		      uint32_t data)
{
	msis++;
}

/* The device on fd, on the fixture's transport. */
static int plug(FIXTURE_DATA(net) *self, int fd, bool is_tap,
		uint64_t features, const uint8_t mac[6])
{
	int ret = virtio_net_init(self->net, fd, is_tap, features, mac,
				  &self->lock);

	if (ret)
		return ret;
	virtio_pci_init(&self->pci, &self->net->model, &self->gram, BAR);
	self->net->pci = &self->pci;
	self->net->msi = count_msi;
	msis = 0;
	return 0;
}

static struct vdesc *desc(FIXTURE_DATA(net) *self, unsigned int q,
			  unsigned int i)
{
	return (struct vdesc *)(self->ram + RING_GPA(q) + DESC_OFF) + i;
}

static uint16_t *avail(FIXTURE_DATA(net) *self, unsigned int q)
{
	return (uint16_t *)(self->ram + RING_GPA(q) + AVAIL_OFF);
}

static uint16_t used_idx(FIXTURE_DATA(net) *self, unsigned int q)
{
	return ((uint16_t *)(self->ram + RING_GPA(q) + USED_OFF))[1];
}

/* Used element i of queue q: its head, and its length in *len. */
static uint32_t used_elem(FIXTURE_DATA(net) *self, unsigned int q,
			  unsigned int i, uint32_t *len)
{
	uint32_t *e = (uint32_t *)(self->ram + RING_GPA(q) + USED_OFF + 4) +
		      2 * (i % QSIZE);

	*len = e[1];
	return e[0];
}

static void offer(FIXTURE_DATA(net) *self, unsigned int q, uint16_t head)
{
	uint16_t *a = avail(self, q);

	a[2 + a[1] % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	a[1]++;
}

/* Takes the next free descriptor of queue q (wrapping: tests are short). */
static uint16_t new_desc(FIXTURE_DATA(net) *self, unsigned int q,
			 uint64_t addr, uint32_t len, uint16_t flags)
{
	uint16_t i = self->next_desc[q]++ % QSIZE;

	*desc(self, q, i) = (struct vdesc){ addr, len, flags, 0 };
	return i;
}

static void bar_w(FIXTURE_DATA(net) *self, uint64_t off, unsigned int size,
		  uint64_t v)
{
	virtio_pci_bar_write(self->net->pci, off, size, v);
}

static uint64_t bar_r(FIXTURE_DATA(net) *self, uint64_t off,
		      unsigned int size)
{
	return virtio_pci_bar_read(self->net->pci, off, size);
}

static uint8_t device_status(FIXTURE_DATA(net) *self)
{
	return bar_r(self, VIRTIO_PCI_COMMON + 0x14, 1);
}

/* What a driver does: features, both queues with an MSI-X vector each. */
static void bring_up(FIXTURE_DATA(net) *self, uint64_t features)
{
	unsigned int q;

	memset(self->ram + RING_GPA(0), 0, 0x10000);
	self->next_desc[0] = self->next_desc[1] = 0;
	bar_w(self, 0x14, 1, 0);
	bar_w(self, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	bar_w(self, 0x08, 4, 0);
	bar_w(self, 0x0c, 4, (uint32_t)features);
	bar_w(self, 0x08, 4, 1);
	bar_w(self, 0x0c, 4, (features | 1ULL << VIRTIO_F_VERSION_1) >> 32);
	bar_w(self, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	      VIRTIO_STATUS_FEATURES_OK);
	for (q = 0; q < 2; q++) {
		bar_w(self, VIRTIO_PCI_MSIX_TABLE + 16 * q, 4, 0xfee00000);
		bar_w(self, VIRTIO_PCI_MSIX_TABLE + 16 * q + 8, 4, 0x40 + q);
		bar_w(self, VIRTIO_PCI_MSIX_TABLE + 16 * q + 12, 4, 0);
		bar_w(self, 0x16, 2, q);
		bar_w(self, 0x18, 2, QSIZE);
		bar_w(self, 0x1a, 2, q);
		bar_w(self, 0x20, 8, RING_GPA(q) + DESC_OFF);
		bar_w(self, 0x28, 8, RING_GPA(q) + AVAIL_OFF);
		bar_w(self, 0x30, 8, RING_GPA(q) + USED_OFF);
		bar_w(self, 0x1c, 2, 1);
	}
	virtio_pci_cfg_write(self->net->pci, 0x86, 2, 0x8000);
	bar_w(self, 0x14, 1, 0x0f);
}

static void kick(FIXTURE_DATA(net) *self, unsigned int q)
{
	bar_w(self, VIRTIO_PCI_NOTIFY + 4 * q, 2, q);
}

FIXTURE_SETUP(net)
{
	uint8_t *area = mmap(NULL, RAM_SIZE + 2 * PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	int sv[2];

	ASSERT_NE(MAP_FAILED, area);
	self->ram = area + PAGE;
	ASSERT_EQ(0, mprotect(self->ram, RAM_SIZE, PROT_READ | PROT_WRITE));
	hvm_guest_ram_init(&self->gram);
	self->gram.nr_regions = 1;
	self->gram.regions[0] = (struct hvm_guest_ram_region){
		.gpa = 0, .size = RAM_SIZE, .host = self->ram,
	};
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	self->peer = sv[1];
	pthread_mutex_init(&self->lock, NULL);
	self->net = malloc(sizeof(*self->net));
	ASSERT_NE(NULL, self->net);
	ASSERT_EQ(0, plug(self, sv[0], false, 0, mac));
}

FIXTURE_TEARDOWN(net)
{
	virtio_net_destroy(self->net);
	free(self->net);
	close(self->peer);
	munmap(self->ram - PAGE, RAM_SIZE + 2 * PAGE);
}

TEST_F(net, config)
{
	uint64_t f;
	unsigned int i;

	EXPECT_EQ(0x10411af4U, virtio_pci_cfg_read(self->net->pci, 0, 4));
	EXPECT_EQ(0x020000U, virtio_pci_cfg_read(self->net->pci, 8, 4) >> 8);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(self->net->config.mac[i],
			  bar_r(self, VIRTIO_PCI_DEVICE_CFG + i, 1));
	EXPECT_EQ(0x02U, bar_r(self, VIRTIO_PCI_DEVICE_CFG, 1));
	EXPECT_EQ((uint64_t)VIRTIO_NET_S_LINK_UP,
		  bar_r(self, VIRTIO_PCI_DEVICE_CFG + 6, 2));
	bar_w(self, 0x00, 4, 0);
	f = bar_r(self, 0x04, 4);
	bar_w(self, 0x00, 4, 1);
	f |= bar_r(self, 0x04, 4) << 32;
	EXPECT_TRUE(!!(f & 1ULL << VIRTIO_NET_F_MAC));
	EXPECT_TRUE(!!(f & 1ULL << VIRTIO_NET_F_MRG_RXBUF));
	EXPECT_TRUE(!!(f & 1ULL << VIRTIO_F_RING_EVENT_IDX));
	EXPECT_TRUE(!!(f & 1ULL << VIRTIO_F_VERSION_1));
	EXPECT_FALSE(!!(f & 1ULL << VIRTIO_NET_F_CSUM));
	EXPECT_FALSE(!!(f & 1ULL << VIRTIO_NET_F_GUEST_TSO4));
	EXPECT_EQ(2U, bar_r(self, 0x12, 2));
}

/* A frame of len bytes (header included): byte i is seed + 3 * i. */
static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	memset(p, 0, HDR);
	for (i = HDR; i < len; i++)
		p[i] = seed + 3 * i;
}

static ssize_t peer_recv(FIXTURE_DATA(net) *self, uint8_t *buf, size_t len)
{
	return recv(self->peer, buf, len, MSG_DONTWAIT);
}

TEST_F(net, tx)
{
	uint8_t *data = self->ram + TX_DATA_GPA, buf[4096], want[4096];
	struct vdesc *ind = (struct vdesc *)(self->ram + IND_GPA);
	uint16_t head, d1;
	uint32_t len;

	bring_up(self, 1ULL << VIRTIO_NET_F_MAC);
	fill(data, 100, 1);
	offer(self, TX_Q, new_desc(self, TX_Q, TX_DATA_GPA, 100, 0));
	/* Header and frame in two descriptors. */
	fill(data + 0x1000, 1514, 2);
	head = new_desc(self, TX_Q, TX_DATA_GPA + 0x1000, HDR,
			VIRTQ_DESC_F_NEXT);
	d1 = new_desc(self, TX_Q, TX_DATA_GPA + 0x1000 + HDR, 1514 - HDR, 0);
	desc(self, TX_Q, head)->next = d1;
	offer(self, TX_Q, head);
	/* An indirect table of two. */
	fill(data + 0x2000, 600, 3);
	ind[0] = (struct vdesc){ TX_DATA_GPA + 0x2000, 200, VIRTQ_DESC_F_NEXT,
				 1 };
	ind[1] = (struct vdesc){ TX_DATA_GPA + 0x2000 + 200, 400, 0, 0 };
	offer(self, TX_Q, new_desc(self, TX_Q, IND_GPA, 32,
				   VIRTQ_DESC_F_INDIRECT));
	kick(self, TX_Q);
	virtio_net_process(self->net);

	fill(want, 100, 1);
	ASSERT_EQ(100, peer_recv(self, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, want, 100));
	fill(want, 1514, 2);
	ASSERT_EQ(1514, peer_recv(self, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, want, 1514));
	fill(want, 600, 3);
	ASSERT_EQ(600, peer_recv(self, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, want, 600));
	EXPECT_GT(0, peer_recv(self, buf, sizeof(buf)));

	EXPECT_EQ(3, used_idx(self, TX_Q));
	EXPECT_EQ(head, used_elem(self, TX_Q, 1, &len));
	EXPECT_EQ(0U, len);
	EXPECT_EQ(3U, self->net->stats.tx_frames);
	EXPECT_EQ(1U, msis);
}

/* Posts n receive buffers of len bytes each. */
static void post_rx(FIXTURE_DATA(net) *self, unsigned int n, uint32_t len)
{
	while (n--) {
		uint16_t i = self->next_desc[RX_Q] % QSIZE;

		offer(self, RX_Q, new_desc(self, RX_Q, RX_DATA_GPA + 0x1000 * i,
					   len, VIRTQ_DESC_F_WRITE));
	}
}

static void peer_send(FIXTURE_DATA(net) *self, size_t len, uint8_t seed)
{
	static uint8_t frame[VIRTIO_NET_BUF_BYTES];

	fill(frame, len, seed);
	/* num_buffers is the device's to set: garbage from the backend. */
	((struct virtio_net_hdr *)frame)->num_buffers = 0xabcd;
	assert(send(self->peer, frame, len, 0) == (ssize_t)len);
}

static uint16_t num_buffers(FIXTURE_DATA(net) *self, uint16_t head)
{
	return ((struct virtio_net_hdr *)(self->ram + desc(self, RX_Q, head)->addr))
		->num_buffers;
}

TEST_F(net, rx)
{
	uint8_t want[2048];
	uint16_t head;
	uint32_t len;

	bring_up(self, 1ULL << VIRTIO_NET_F_MAC);
	peer_send(self, 1000, 7);
	virtio_net_process(self->net);
	EXPECT_EQ(0, used_idx(self, RX_Q));
	EXPECT_TRUE(self->net->rx_starved);

	post_rx(self, 2, 2048);
	kick(self, RX_Q);
	virtio_net_process(self->net);
	ASSERT_EQ(1, used_idx(self, RX_Q));
	head = used_elem(self, RX_Q, 0, &len);
	EXPECT_EQ(1000U, len);
	EXPECT_EQ(1, num_buffers(self, head));
	fill(want, 1000, 7);
	EXPECT_EQ(0, memcmp(self->ram + desc(self, RX_Q, head)->addr + HDR,
			    want + HDR, 1000 - HDR));
	EXPECT_EQ(1U, msis);

	/*
	 * Without MRG_RXBUF a frame larger than a buffer is dropped, the
	 * buffer returned empty; the next frame waits for a buffer.
	 */
	peer_send(self, 3000, 8);
	peer_send(self, 500, 9);
	virtio_net_process(self->net);
	ASSERT_EQ(2, used_idx(self, RX_Q));
	used_elem(self, RX_Q, 1, &len);
	EXPECT_EQ(0U, len);
	EXPECT_EQ(1U, self->net->stats.rx_dropped);
	post_rx(self, 1, 2048);
	kick(self, RX_Q);
	virtio_net_process(self->net);
	ASSERT_EQ(3, used_idx(self, RX_Q));
	used_elem(self, RX_Q, 2, &len);
	EXPECT_EQ(500U, len);
	EXPECT_EQ(2U, self->net->stats.rx_frames);
}

TEST_F(net, rx_mergeable)
{
	uint8_t want[5000], got[5000];
	uint32_t len, off = 0;
	unsigned int i;
	uint16_t head, first;

	bring_up(self, 1ULL << VIRTIO_NET_F_MRG_RXBUF);
	post_rx(self, 2, 1024);
	peer_send(self, 5000, 11);
	/* Two buffers are not enough: nothing published, the frame waits. */
	virtio_net_process(self->net);
	EXPECT_EQ(0, used_idx(self, RX_Q));
	EXPECT_TRUE(self->net->rx_starved);
	post_rx(self, 4, 1024);
	kick(self, RX_Q);
	virtio_net_process(self->net);
	ASSERT_EQ(5, used_idx(self, RX_Q));
	first = used_elem(self, RX_Q, 0, &len);
	EXPECT_EQ(5, num_buffers(self, first));
	for (i = 0; i < 5; i++) {
		head = used_elem(self, RX_Q, i, &len);
		ASSERT_LE(len, 1024U);
		memcpy(got + off, self->ram + desc(self, RX_Q, head)->addr,
		       len);
		off += len;
	}
	EXPECT_EQ(5000U, off);
	fill(want, 5000, 11);
	EXPECT_EQ(0, memcmp(got + HDR, want + HDR, 5000 - HDR));
	EXPECT_EQ(1U, msis);
}

/* Queues a TX chain built by the caller at head, runs the device. */
static void tx_chain(FIXTURE_DATA(net) *self, uint16_t head)
{
	offer(self, TX_Q, head);
	kick(self, TX_Q);
	virtio_net_process(self->net);
}

static void expect_needs_reset(struct __test_metadata *_metadata,
			       FIXTURE_DATA(net) *self, const char *what)
{
	uint8_t buf[64];

	EXPECT_TRUE(!!(device_status(self) & VIRTIO_STATUS_NEEDS_RESET))
		TH_LOG("%s", what);
	EXPECT_GT(0, peer_recv(self, buf, sizeof(buf))) TH_LOG("%s", what);
	bring_up(self, 0);
	EXPECT_FALSE(!!(device_status(self) & VIRTIO_STATUS_NEEDS_RESET));
}

TEST_F(net, hostile)
{
	uint8_t buf[64];
	uint16_t a, b;
	uint32_t len;

	bring_up(self, 0);
	a = new_desc(self, TX_Q, TX_DATA_GPA, 64, VIRTQ_DESC_F_NEXT);
	b = new_desc(self, TX_Q, TX_DATA_GPA, 64, VIRTQ_DESC_F_NEXT);
	desc(self, TX_Q, a)->next = b;
	desc(self, TX_Q, b)->next = a;
	tx_chain(self, a);
	expect_needs_reset(_metadata, self, "a loop");
	tx_chain(self, new_desc(self, TX_Q, RAM_SIZE - 32, 64, 0));
	expect_needs_reset(_metadata, self, "a buffer past RAM");
	tx_chain(self, new_desc(self, TX_Q, TX_DATA_GPA, 0, 0));
	expect_needs_reset(_metadata, self, "an empty buffer");

	/* Too short for a header; larger than any frame: dropped. */
	tx_chain(self, new_desc(self, TX_Q, TX_DATA_GPA, 4, 0));
	tx_chain(self, new_desc(self, TX_Q, TX_DATA_GPA, 0x80000, 0));
	EXPECT_EQ(2U, self->net->stats.tx_dropped);
	EXPECT_EQ(2, used_idx(self, TX_Q));
	EXPECT_GT(0, peer_recv(self, buf, sizeof(buf)));
	EXPECT_FALSE(!!(device_status(self) & VIRTIO_STATUS_NEEDS_RESET));

	/* A receive buffer the device may not write; a split header. */
	offer(self, RX_Q, new_desc(self, RX_Q, RX_DATA_GPA, 2048, 0));
	a = new_desc(self, RX_Q, RX_DATA_GPA, 4,
		     VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
	b = new_desc(self, RX_Q, RX_DATA_GPA + 4, 2048, VIRTQ_DESC_F_WRITE);
	desc(self, RX_Q, a)->next = b;
	offer(self, RX_Q, a);
	post_rx(self, 1, 2048);
	peer_send(self, 100, 1);
	peer_send(self, 100, 2);
	peer_send(self, 100, 3);
	kick(self, RX_Q);
	virtio_net_process(self->net);
	/* Both returned empty, the third frame in the good buffer. */
	EXPECT_EQ(2U, self->net->stats.rx_dropped);
	ASSERT_EQ(3, used_idx(self, RX_Q));
	EXPECT_EQ(a, used_elem(self, RX_Q, 1, &len));
	EXPECT_EQ(0U, len);
	used_elem(self, RX_Q, 2, &len);
	EXPECT_EQ(100U, len);
	EXPECT_FALSE(!!(device_status(self) & VIRTIO_STATUS_NEEDS_RESET));
}

TEST_F(net, worker)
{
	struct pollfd pfd = { .fd = self->peer, .events = POLLIN };
	uint8_t buf[256];
	unsigned int spins;

	pthread_mutex_lock(&self->lock);
	bring_up(self, 1ULL << VIRTIO_F_RING_EVENT_IDX);
	pthread_mutex_unlock(&self->lock);
	ASSERT_EQ(0, virtio_net_start(self->net));

	pthread_mutex_lock(&self->lock);
	fill(self->ram + TX_DATA_GPA, 200, 5);
	offer(self, TX_Q, new_desc(self, TX_Q, TX_DATA_GPA, 200, 0));
	kick(self, TX_Q);
	pthread_mutex_unlock(&self->lock);
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(200, peer_recv(self, buf, sizeof(buf)));

	peer_send(self, 300, 6);
	pthread_mutex_lock(&self->lock);
	post_rx(self, 1, 2048);
	kick(self, RX_Q);
	pthread_mutex_unlock(&self->lock);
	for (spins = 0; spins < 1000; spins++) {
		pthread_mutex_lock(&self->lock);
		if (used_idx(self, RX_Q)) {
			pthread_mutex_unlock(&self->lock);
			break;
		}
		pthread_mutex_unlock(&self->lock);
		usleep(10000);
	}
	EXPECT_EQ(1, used_idx(self, RX_Q));
	virtio_net_destroy(self->net);
	EXPECT_FALSE(self->net->worker_running);
}

TEST_F(net, tap)
{
	uint64_t features = 0;
	struct ifreq ifr;
	uint8_t mac[6];
	char name[IFNAMSIZ];
	int fd, sock;

	snprintf(name, sizeof(name), "hvmt%d", getpid() % 100000);
	fd = virtio_net_tap_open(name, &features);
	if (fd == -EPERM || fd == -ENOENT || fd == -ENODEV || fd == -EACCES)
		SKIP(return, "no tap here (%s)", strerror(-fd));
	ASSERT_LE(0, fd);
	EXPECT_TRUE(!!(features & 1ULL << VIRTIO_NET_F_CSUM));
	TH_LOG("tap offloads: %#llx", (unsigned long long)features);

	/* The tap takes frames once it is up. */
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, sock);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ASSERT_EQ(0, ioctl(sock, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(sock, SIOCSIFFLAGS, &ifr));
	close(sock);

	memcpy(mac, self->net->config.mac, sizeof(mac));
	virtio_net_destroy(self->net);
	ASSERT_EQ(0, plug(self, fd, true, features, mac));
	bring_up(self, features);
	virtio_net_process(self->net);
	EXPECT_EQ((unsigned int)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6),
		  self->net->applied_offloads);
	/* A broadcast ARP-sized frame. */
	fill(self->ram + TX_DATA_GPA, HDR + 60, 1);
	memset(self->ram + TX_DATA_GPA + HDR, 0xff, 6);
	memcpy(self->ram + TX_DATA_GPA + HDR + 6, self->net->config.mac, 6);
	tx_chain(self, new_desc(self, TX_Q, TX_DATA_GPA, HDR + 60, 0));
	EXPECT_EQ(1U, self->net->stats.tx_frames);
	/* Reset: the tap sends no offloaded frames any more. */
	bar_w(self, 0x14, 1, 0);
	EXPECT_EQ(0U, self->net->applied_offloads);
}

TEST(mac)
{
	uint8_t a[6], b[6], c[6];

	virtio_net_mac_from_name("vm-one", 0, a);
	virtio_net_mac_from_name("vm-one", 0, b);
	virtio_net_mac_from_name("vm-two", 0, c);
	EXPECT_EQ(0, memcmp(a, b, 6));
	EXPECT_NE(0, memcmp(a, c, 6));
	virtio_net_mac_from_name("vm-one", 1, c);
	EXPECT_NE(0, memcmp(a, c, 6));
	EXPECT_EQ(2, a[0] & 3);		/* locally administered, unicast */

	EXPECT_EQ(0, virtio_net_parse_mac("02:aB:cd:00:11:ff", a));
	EXPECT_EQ(0xab, a[1]);
	EXPECT_EQ(0xff, a[5]);
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("03:00:00:00:00:01", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("00:00:00:00:00:00", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("02:00:00:00:00", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("02:00:00:00:00:011", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("02-00-00-00-00-01", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("2:00:00:00:00:01", a));
	EXPECT_EQ(-EINVAL, virtio_net_parse_mac("", a));
}

TEST(spec)
{
	static const char *const bad[] = {
		"", "tap=", "mac=02:00:00:00:00:01", "tap=a,", "tap=a,tap=b",
		"tap=a,mac=03:00:00:00:00:01", "tap=a,mac=02:00:00:00:00",
		"tap=a,mac=02:00:00:00:00:01,mac=02:00:00:00:00:01",
		"tap=0123456789abcdef", "tap=a/b", "tap=..", "tap=a,ro",
	};
	struct virtio_net_spec spec;
	char buf[64];
	unsigned int i;

	ASSERT_EQ(0, virtio_net_parse_spec("tap=hvm0", &spec));
	EXPECT_STREQ("hvm0", spec.tap);
	EXPECT_FALSE(spec.mac_given);
	ASSERT_EQ(0, virtio_net_parse_spec("mac=02:00:00:00:00:2a,tap=t1",
					   &spec));
	EXPECT_STREQ("t1", spec.tap);
	EXPECT_TRUE(spec.mac_given);
	EXPECT_EQ(0x2a, spec.mac[5]);
	virtio_net_format_spec(&spec, buf, sizeof(buf));
	EXPECT_STREQ("tap=t1,mac=02:00:00:00:00:2a", buf);
	ASSERT_EQ(0, virtio_net_parse_spec("tap=0123456789abcde", &spec));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, virtio_net_parse_spec(bad[i], &spec))
			TH_LOG("bad spec %u", i);
}

TEST_F(net, fuzz)
{
	unsigned int seed = 4242, round, i, resets = 0;
	uint8_t buf[VIRTIO_NET_BUF_BYTES];
	uint64_t frames;

	for (round = 0; round < 5000; round++) {
		if (round % 50 == 0 ||
		    device_status(self) & VIRTIO_STATUS_NEEDS_RESET) {
			resets += round % 50 != 0;
			bring_up(self, rand_r(&seed) & 1 ?
				 1ULL << VIRTIO_NET_F_MRG_RXBUF |
				 1ULL << VIRTIO_F_RING_EVENT_IDX : 0);
		}
		for (i = rand_r(&seed) % 4; i > 0; i--)
			post_rx(self, 1, 16 + rand_r(&seed) % 4000);
		for (i = rand_r(&seed) % 4; i > 0; i--)
			offer(self, TX_Q,
			      new_desc(self, TX_Q, TX_DATA_GPA,
				       1 + rand_r(&seed) % 3000, 0));
		for (i = rand_r(&seed) % 3; i > 0; i--)
			peer_send(self, HDR + rand_r(&seed) % 6000,
				  rand_r(&seed));
		for (i = rand_r(&seed) % 6; i > 0; i--) {
			uint64_t gpa = RING_GPA(rand_r(&seed) % 2) +
				       (rand_r(&seed) % 3) * 0x2000 +
				       rand_r(&seed) % 256;

			self->ram[gpa] ^= 1 << (rand_r(&seed) % 8);
		}
		kick(self, rand_r(&seed) % 3);
		virtio_net_process(self->net);
		while (peer_recv(self, buf, sizeof(buf)) > 0)
			;
	}
	frames = self->net->stats.rx_frames + self->net->stats.tx_frames;
	ksft_print_msg("%llu frames moved, %u resets\n",
		       (unsigned long long)frames, resets);
	fflush(stdout);
	EXPECT_LT(0U, frames);
	EXPECT_LT(0U, resets);
}

TEST_HARNESS_MAIN
