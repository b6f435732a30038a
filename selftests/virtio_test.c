// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's virtqueue and virtio-blk code (userspace/virtio/) against a
 * guest RAM of 1 MiB that guard pages surround: an access outside guest
 * RAM would fault and fail the test.  No hypervisor needed.
 *
 * layout: queue sizes that are zero, not a power of two or too large,
 *   misaligned rings and rings outside RAM are refused.
 * requests: OUT, IN, FLUSH, GET_ID, DISCARD and WRITE_ZEROES on a memfd
 *   image do what virtio-blk says (data read back, zeroes after discard),
 *   with the used ring filled in; out-of-range sectors, writes to a
 *   read-only image and unknown types get IOERR or UNSUPP.
 * notify: EVENT_IDX interrupts only when used_event is passed, and
 *   avail_event follows what the device took; without it, NO_INTERRUPT.
 * hostile: loops, indexes out of range, indirect tables nested or
 *   chained, empty and huge buffers, buffers outside RAM, a readable
 *   buffer after a writable one and an avail index too far ahead break
 *   the queue with -EPROTO or -EFAULT, and it stays broken.
 * pci_*: the virtio-pci transport of a two-queue device: IDs and the
 *   capability chain a driver walks, BAR sizing, feature negotiation
 *   (FEATURES_OK refused without VERSION_1 or with unknown features),
 *   queue set-up through the common configuration, notifications only for
 *   enabled queues after DRIVER_OK, MSI-X delivery, masking and the PBA,
 *   NEEDS_RESET for a ring outside RAM, and 200,000 random configuration
 *   and BAR accesses that must not crash it.
 * pci_bus: the helper's PCI bus 0 (devices/pci.c) with two virtio-pci
 *   functions, through configuration mechanism #1 and the MMIO window:
 *   the host bridge at 00:00.0, the functions at 00:01.0 and 00:02.0,
 *   all-ones for empty slots, other functions and other buses, BAR
 *   accesses routed by the BAR's current address (a BAR the guest moves
 *   is served at its new place only, none while memory decoding is off).
 * pci_bus_fuzz: 200,000 random accesses to the configuration ports and
 *   the window (any offset, size 1-8, aligned or not): no crash, and the
 *   host bridge still answers with its IDs.
 * fuzz: 20,000 queues (random sizes, EVENT_IDX or not) of random
 *   requests, direct and indirect, with random bits flipped in the rings,
 *   tables and headers, popped and served: only the documented results,
 *   no access outside guest RAM; some requests get served and some queues
 *   broken (else the damage tests nothing).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "virtio/virtqueue.h"
#include "virtio/virtio_blk.h"
#include "virtio/virtio_pci.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"

#define RAM_SIZE	(1 << 20)
#define PAGE		4096
#define IMAGE_SECTORS	64
#define DESC_GPA	0x10000
#define AVAIL_GPA	0x20000
#define USED_GPA	0x30000
#define IND_GPA		0x40000
#define DATA_GPA	0x80000

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

FIXTURE(vq) {
	uint8_t *ram;
	struct hvm_guest_ram gram;
	struct virtq vq;
	struct virtio_blk blk;
	struct virtq_chain chain;
	int image;
};

static struct vdesc *desc(FIXTURE_DATA(vq) *self, unsigned int i)
{
	return (struct vdesc *)(self->ram + DESC_GPA) + i;
}

static void set_desc(FIXTURE_DATA(vq) *self, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	*desc(self, i) = (struct vdesc){ addr, len, flags, next };
}

/* Makes head available as the next entry. */
static void offer(FIXTURE_DATA(vq) *self, uint16_t head)
{
	uint16_t *avail = (uint16_t *)(self->ram + AVAIL_GPA);

	avail[2 + avail[1] % self->vq.size] = head;
	avail[1]++;
}

static uint16_t used_idx(FIXTURE_DATA(vq) *self)
{
	return ((uint16_t *)(self->ram + USED_GPA))[1];
}

static uint32_t used_len(FIXTURE_DATA(vq) *self, unsigned int i)
{
	return ((uint32_t *)(self->ram + USED_GPA + 4))[2 * i + 1];
}

static void start_queue(FIXTURE_DATA(vq) *self, uint16_t size, bool event_idx)
{
	virtq_reset(&self->vq);
	memset(self->ram + DESC_GPA, 0, 0x30000 + 8 * 1024 + 8);
	self->vq.size = size;
	self->vq.desc_gpa = DESC_GPA;
	self->vq.avail_gpa = AVAIL_GPA;
	self->vq.used_gpa = USED_GPA;
	self->vq.event_idx = event_idx;
}

FIXTURE_SETUP(vq)
{
	uint8_t *area = mmap(NULL, RAM_SIZE + 2 * PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char path[64];

	ASSERT_NE(MAP_FAILED, area);
	self->ram = area + PAGE;
	ASSERT_EQ(0, mprotect(self->ram, RAM_SIZE, PROT_READ | PROT_WRITE));
	hvm_guest_ram_init(&self->gram);
	self->gram.nr_regions = 1;
	self->gram.regions[0] = (struct hvm_guest_ram_region){
		.gpa = 0, .size = RAM_SIZE, .host = self->ram,
	};
	self->image = memfd_create("virtio-test-image", 0);
	ASSERT_LE(0, self->image);
	ASSERT_EQ(0, ftruncate(self->image, IMAGE_SECTORS * 512));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->image);
	ASSERT_EQ(0, virtio_blk_open(&self->blk, path, false, "hvm-serial-1"));
	start_queue(self, 16, false);
	ASSERT_EQ(0, virtq_enable(&self->vq, &self->gram));
}

FIXTURE_TEARDOWN(vq)
{
	virtio_blk_close(&self->blk);
	close(self->image);
	munmap(self->ram - PAGE, RAM_SIZE + 2 * PAGE);
}

TEST_F(vq, layout)
{
	static const uint16_t bad_sizes[] = { 0, 3, 24, 2048 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		start_queue(self, bad_sizes[i], false);
		EXPECT_EQ(-EINVAL, virtq_enable(&self->vq, &self->gram))
			TH_LOG("size %u", bad_sizes[i]);
	}
	start_queue(self, 16, false);
	self->vq.desc_gpa = DESC_GPA + 8;
	EXPECT_EQ(-EINVAL, virtq_enable(&self->vq, &self->gram));
	start_queue(self, 1024, false);
	self->vq.used_gpa = RAM_SIZE - 8;
	EXPECT_EQ(-EINVAL, virtq_enable(&self->vq, &self->gram));
	start_queue(self, 1024, true);
	EXPECT_EQ(0, virtq_enable(&self->vq, &self->gram));
}

/* header in desc 0, data in desc 1, status in desc 2; returns written. */
static int blk_request(FIXTURE_DATA(vq) *self, uint32_t type, uint64_t sector,
		       uint64_t data_gpa, uint32_t data_len, bool data_in,
		       uint8_t *status)
{
	uint64_t hdr[2] = { type, sector };
	int ret;

	memcpy(self->ram + DATA_GPA - 64, hdr, sizeof(hdr));
	set_desc(self, 0, DATA_GPA - 64, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(self, 1, data_gpa, data_len,
		 VIRTQ_DESC_F_NEXT | (data_in ? VIRTQ_DESC_F_WRITE : 0), 2);
	set_desc(self, 2, DATA_GPA - 32, 1, VIRTQ_DESC_F_WRITE, 0);
	if (!data_len)
		desc(self, 0)->next = 2;
	offer(self, 0);
	ret = virtq_pop(&self->vq, &self->chain);
	if (ret != 1)
		return ret < 0 ? ret : -ENOENT;
	ret = virtio_blk_request(&self->blk, &self->gram, &self->chain);
	if (ret >= 0 && virtq_push(&self->vq, self->chain.head, ret))
		return -EIO;
	*status = self->ram[DATA_GPA - 32];
	return ret;
}

TEST_F(vq, requests)
{
	uint8_t *data = self->ram + DATA_GPA, status = 0xff;
	uint8_t image[1024], id[VIRTIO_BLK_ID_BYTES];
	uint64_t seg[2] = { 2, 2 };	/* sector, then count | flags << 32 */
	unsigned int i;

	for (i = 0; i < 1024; i++)
		data[i] = i * 7 + 1;
	ASSERT_EQ(1, blk_request(self, VIRTIO_BLK_T_OUT, 2, DATA_GPA, 1024,
				 false, &status));
	EXPECT_EQ(VIRTIO_BLK_S_OK, status);
	ASSERT_EQ(1024, pread(self->image, image, 1024, 2 * 512));
	EXPECT_EQ(0, memcmp(image, data, 1024));
	EXPECT_EQ(1, used_idx(self));
	EXPECT_EQ(1U, used_len(self, 0));

	memset(data + 4096, 0, 1024);
	EXPECT_EQ(1025, blk_request(self, VIRTIO_BLK_T_IN, 2, DATA_GPA + 4096,
				    1024, true, &status));
	EXPECT_EQ(VIRTIO_BLK_S_OK, status);
	EXPECT_EQ(0, memcmp(data + 4096, data, 1024));
	EXPECT_EQ(1025U, used_len(self, 1));

	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false,
				 &status));
	EXPECT_EQ(VIRTIO_BLK_S_OK, status);

	EXPECT_EQ(1 + VIRTIO_BLK_ID_BYTES,
		  blk_request(self, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA + 8192,
			      VIRTIO_BLK_ID_BYTES, true, &status));
	memset(id, 0, sizeof(id));
	strcpy((char *)id, "hvm-serial-1");
	EXPECT_EQ(0, memcmp(data + 8192, id, sizeof(id)));

	/* DISCARD sectors 2-3: they read back as zeroes. */
	memcpy(data + 12288, seg, sizeof(seg));
	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_DISCARD, 0,
				 DATA_GPA + 12288, 16, false, &status));
	EXPECT_EQ(VIRTIO_BLK_S_OK, status);
	ASSERT_EQ(1024, pread(self->image, image, 1024, 2 * 512));
	i = 0;
	while (i < 1024 && !image[i])
		i++;
	EXPECT_EQ(1024U, i);
	seg[1] = 1 | (uint64_t)VIRTIO_BLK_WRITE_ZEROES_UNMAP << 32;
	memcpy(data + 12288, seg, sizeof(seg));
	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_WRITE_ZEROES, 0,
				 DATA_GPA + 12288, 16, false, &status));
	EXPECT_EQ(VIRTIO_BLK_S_OK, status);

	/* Past the end, unknown, and a write to a read-only image. */
	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_IN, IMAGE_SECTORS - 1,
				 DATA_GPA, 1024, true, &status));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, status);
	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 100,
				 false, &status));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, status);
	EXPECT_EQ(1, blk_request(self, 77, 0, DATA_GPA, 512, true, &status));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, status);
	self->blk.read_only = true;
	EXPECT_EQ(1, blk_request(self, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512,
				 false, &status));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, status);
}

TEST_F(vq, notify)
{
	uint16_t *avail = (uint16_t *)(self->ram + AVAIL_GPA);
	uint16_t *used_event = &avail[2 + 16];
	uint16_t *avail_event = (uint16_t *)(self->ram + USED_GPA + 4 + 8 * 16);
	uint8_t status;
	unsigned int i;

	start_queue(self, 16, true);
	ASSERT_EQ(0, virtq_enable(&self->vq, &self->gram));
	/* The driver wants an interrupt when used->idx passes 2. */
	*used_event = 2;
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, blk_request(self, VIRTIO_BLK_T_FLUSH, 0, 0, 0,
					 false, &status));
		EXPECT_EQ(self->vq.last_avail, *avail_event);
		EXPECT_EQ(i == 2, virtq_should_notify(&self->vq))
			TH_LOG("after %u completions", i + 1);
	}
	start_queue(self, 16, false);
	ASSERT_EQ(0, virtq_enable(&self->vq, &self->gram));
	ASSERT_EQ(1, blk_request(self, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false,
				 &status));
	EXPECT_TRUE(virtq_should_notify(&self->vq));
	avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	ASSERT_EQ(1, blk_request(self, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false,
				 &status));
	EXPECT_FALSE(virtq_should_notify(&self->vq));
}

/* Offers head 0 after set-up by the caller; the pop must fail with want. */
static void expect_broken(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vq) *self, int want, const char *what)
{
	offer(self, 0);
	EXPECT_EQ(want, virtq_pop(&self->vq, &self->chain)) TH_LOG("%s", what);
	EXPECT_TRUE(self->vq.broken) TH_LOG("%s", what);
	offer(self, 0);
	EXPECT_EQ(-EPROTO, virtq_pop(&self->vq, &self->chain))
		TH_LOG("%s: not broken for good", what);
	start_queue(self, 16, false);
	ASSERT_EQ(0, virtq_enable(&self->vq, &self->gram));
}

TEST_F(vq, hostile)
{
	struct vdesc *ind = (struct vdesc *)(self->ram + IND_GPA);

	set_desc(self, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(self, 1, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	expect_broken(_metadata, self, -EPROTO, "a loop");
	set_desc(self, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 16);
	expect_broken(_metadata, self, -EPROTO, "next out of range");
	set_desc(self, 0, RAM_SIZE - 8, 16, 0, 0);
	expect_broken(_metadata, self, -EFAULT, "a buffer past RAM's end");
	set_desc(self, 0, 0xfee00000, 4, 0, 0);
	expect_broken(_metadata, self, -EFAULT, "a buffer in MMIO");
	set_desc(self, 0, DATA_GPA, 0xffffffff, 0, 0);
	expect_broken(_metadata, self, -EFAULT, "a 4 GiB buffer");
	set_desc(self, 0, DATA_GPA, 0, 0, 0);
	expect_broken(_metadata, self, -EPROTO, "an empty buffer");
	set_desc(self, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
		 1);
	set_desc(self, 1, DATA_GPA, 16, 0, 0);
	expect_broken(_metadata, self, -EPROTO, "readable after writable");

	ind[0] = (struct vdesc){ IND_GPA + 64, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	set_desc(self, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EPROTO, "indirect in indirect");
	ind[0] = (struct vdesc){ DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0 };
	set_desc(self, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EPROTO, "a loop in an indirect table");
	set_desc(self, 0, IND_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EPROTO, "a table of 1.5 entries");
	ind[0] = (struct vdesc){ DATA_GPA, 16, 0, 0 };
	set_desc(self, 0, IND_GPA, 16,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_broken(_metadata, self, -EPROTO, "an indirect table chained");
	set_desc(self, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(self, 1, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EPROTO, "indirect after direct");
	set_desc(self, 0, IND_GPA, 16 * 2048, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(_metadata, self, -EPROTO, "a huge indirect table");

	/* The avail index 17 ahead of a 16-entry ring; a head past the end. */
	((uint16_t *)(self->ram + AVAIL_GPA))[1] = 16;
	expect_broken(_metadata, self, -EPROTO, "avail index too far");
	set_desc(self, 0, DATA_GPA, 16, 0, 0);
	((uint16_t *)(self->ram + AVAIL_GPA))[2] = 99;
	((uint16_t *)(self->ram + AVAIL_GPA))[1] = 1;
	EXPECT_EQ(-EPROTO, virtq_pop(&self->vq, &self->chain));
}

/* A well-formed request chain at descriptor *idx (or in an indirect table). */
static void fuzz_chain(FIXTURE_DATA(vq) *self, unsigned int *seed,
		       unsigned int *idx, unsigned int nr)
{
	static const uint32_t types[] = { 0, 1, 4, 8, 11, 13, 99 };
	uint64_t hdr_gpa = DATA_GPA + nr * 64;
	uint64_t data_gpa = DATA_GPA + 0x10000 + nr * 0x2000;
	uint64_t hdr[2] = { types[rand_r(seed) % 7], rand_r(seed) % 80 };
	bool indirect = self->vq.size >= 1 && rand_r(seed) % 4 == 0;
	struct vdesc d[3], *table;
	uint32_t len = rand_r(seed) % 3 ? 512 * (1 + rand_r(seed) % 8) :
		       1 + rand_r(seed) % 4096;
	unsigned int n = 0, i;

	memcpy(self->ram + hdr_gpa, hdr, sizeof(hdr));
	d[n++] = (struct vdesc){ hdr_gpa, 16, VIRTQ_DESC_F_NEXT, 0 };
	if (rand_r(seed) % 4)
		d[n++] = (struct vdesc){ data_gpa, len, VIRTQ_DESC_F_NEXT |
			 (hdr[0] == 0 || hdr[0] == 8 ? VIRTQ_DESC_F_WRITE : 0),
			 0 };
	d[n++] = (struct vdesc){ hdr_gpa + 32, 1, VIRTQ_DESC_F_WRITE, 0 };
	if (indirect) {
		table = (struct vdesc *)(self->ram + IND_GPA) + 4 * nr;
		for (i = 0; i < n; i++) {
			table[i] = d[i];
			table[i].next = i + 1;
		}
		set_desc(self, *idx, IND_GPA + 64 * nr, 16 * n,
			 VIRTQ_DESC_F_INDIRECT, 0);
		offer(self, (*idx)++);
		return;
	}
	if (*idx + n > self->vq.size)
		return;
	for (i = 0; i < n; i++) {
		d[i].next = *idx + i + 1;
		*desc(self, *idx + i) = d[i];
	}
	offer(self, *idx);
	*idx += n;
}

TEST_F(vq, fuzz)
{
	unsigned int seed = 12345, round, pops, i, idx, nr;
	unsigned int served = 0, broken = 0;
	int ret;

	for (round = 0; round < 20000; round++) {
		uint16_t size = 1 << (rand_r(&seed) % 11);

		start_queue(self, size, rand_r(&seed) & 1);
		ASSERT_EQ(0, virtq_enable(&self->vq, &self->gram));
		/* Requests a driver could make, then random damage. */
		for (idx = 0, nr = 0; nr < 8 && idx < size; nr++)
			fuzz_chain(self, &seed, &idx, nr);
		for (i = rand_r(&seed) % 6; i > 0; i--) {
			static const uint64_t areas[] = {
				DESC_GPA, AVAIL_GPA, IND_GPA, DATA_GPA,
			};
			uint64_t gpa = areas[rand_r(&seed) % 4] +
				       rand_r(&seed) % 256;

			self->ram[gpa] ^= 1 << (rand_r(&seed) % 8);
		}
		for (pops = 0; pops < 32; pops++) {
			ret = virtq_pop(&self->vq, &self->chain);
			ASSERT_TRUE(ret == 1 || ret == 0 || ret == -EPROTO ||
				    ret == -EFAULT) TH_LOG("pop %d", ret);
			broken += ret < 0;
			if (ret != 1)
				break;
			ret = virtio_blk_request(&self->blk, &self->gram,
						 &self->chain);
			ASSERT_TRUE(ret >= 1 || ret == -EPROTO)
				TH_LOG("request %d", ret);
			if (ret > 0) {
				ASSERT_EQ(0, virtq_push(&self->vq,
							self->chain.head, ret));
				served++;
			}
			virtq_should_notify(&self->vq);
		}
	}
	ksft_print_msg("%u requests served, %u queues broken\n", served,
		       broken);
	fflush(stdout);
	/* Random rings must reach both the device and the checks. */
	EXPECT_LT(0U, served);
	EXPECT_LT(0U, broken);
}

/* ---- the virtio-pci transport ------------------------------------------ */

#define PCI_BAR		0xe0000000ULL

struct pci_events {
	unsigned int notifies[VIRTIO_PCI_MAX_QUEUES];
	unsigned int msis;
	uint64_t msi_address;
	uint32_t msi_data;
	unsigned int resets;
};

static struct pci_events events;

static void pci_notify(struct virtio_pci *dev, unsigned int q)
{
	events.notifies[q]++;
}

static void pci_msi(struct virtio_pci *dev, uint64_t address, uint32_t data)
{
	events.msis++;
	events.msi_address = address;
	events.msi_data = data;
}

static void pci_reset(struct virtio_pci *dev)
{
	events.resets++;
}

static const uint8_t pci_config[8] = { 0x40, 0, 0, 0, 0, 0, 0, 0 };

static const struct virtio_pci_model pci_model = {
	.device_id = 2,
	.class_code = 0x018000,
	.nr_queues = 2,
	.features = 1ULL << VIRTIO_F_RING_EVENT_IDX,
	.config = pci_config,
	.config_size = sizeof(pci_config),
	.notify = pci_notify,
	.msi = pci_msi,
	.reset = pci_reset,
};

static void common_w(struct virtio_pci *d, unsigned int off, unsigned int size,
		     uint64_t v)
{
	virtio_pci_bar_write(d, VIRTIO_PCI_COMMON + off, size, v);
}

static uint64_t common_r(struct virtio_pci *d, unsigned int off,
			 unsigned int size)
{
	return virtio_pci_bar_read(d, VIRTIO_PCI_COMMON + off, size);
}

/* Negotiates features and sets up queue 0 on the fixture's rings. */
static void pci_bring_up(struct virtio_pci *d, uint64_t features)
{
	common_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	common_w(d, 0x08, 4, 0);
	common_w(d, 0x0c, 4, (uint32_t)features);
	common_w(d, 0x08, 4, 1);
	common_w(d, 0x0c, 4, features >> 32);
	common_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		 VIRTIO_STATUS_FEATURES_OK);
	common_w(d, 0x16, 2, 0);
	common_w(d, 0x18, 2, 16);
	common_w(d, 0x1a, 2, 1);
	common_w(d, 0x20, 4, DESC_GPA);
	common_w(d, 0x24, 4, 0);
	common_w(d, 0x28, 4, AVAIL_GPA);
	common_w(d, 0x2c, 4, 0);
	common_w(d, 0x30, 4, USED_GPA);
	common_w(d, 0x34, 4, 0);
	common_w(d, 0x1c, 2, 1);
}

TEST_F(vq, pci_ids_and_caps)
{
	struct virtio_pci d;
	unsigned int at, seen = 0, guard = 0;

	virtio_pci_init(&d, &pci_model, &self->gram, PCI_BAR);
	EXPECT_EQ(0x10421af4U, virtio_pci_cfg_read(&d, 0, 4));
	EXPECT_EQ(0x01U, virtio_pci_cfg_read(&d, 8, 1));
	EXPECT_EQ(0x018000U, virtio_pci_cfg_read(&d, 8, 4) >> 8);
	EXPECT_TRUE((virtio_pci_cfg_read(&d, 6, 2) & 0x10) != 0);
	for (at = virtio_pci_cfg_read(&d, 0x34, 1); at && guard < 16;
	     at = virtio_pci_cfg_read(&d, at + 1, 1), guard++) {
		uint32_t id = virtio_pci_cfg_read(&d, at, 1);

		ASSERT_LT(at, 0x100U);
		if (id == 0x09) {
			unsigned int type = virtio_pci_cfg_read(&d, at + 3, 1);

			EXPECT_EQ(0U, virtio_pci_cfg_read(&d, at + 4, 1));
			seen |= 1 << type;
			if (type == 2)
				EXPECT_EQ(4U, virtio_pci_cfg_read(&d, at + 16, 4));
		} else if (id == 0x11) {
			EXPECT_EQ((unsigned int)VIRTIO_PCI_MSIX_VECTORS - 1,
				  virtio_pci_cfg_read(&d, at + 2, 2) & 0x7ff);
			seen |= 1 << 8;
		}
	}
	EXPECT_EQ(0x11eU, seen);	/* common, notify, ISR, device, MSI-X */
	EXPECT_EQ(~0U, virtio_pci_cfg_read(&d, 1, 2));
	EXPECT_EQ(~0U, virtio_pci_cfg_read(&d, 0xfe, 4));
}

TEST_F(vq, pci_bar)
{
	struct virtio_pci d;

	virtio_pci_init(&d, &pci_model, &self->gram, PCI_BAR);
	EXPECT_TRUE(virtio_pci_bar_hit(&d, PCI_BAR + 0x7fff));
	EXPECT_FALSE(virtio_pci_bar_hit(&d, PCI_BAR + 0x8000));
	virtio_pci_cfg_write(&d, 0x10, 4, 0xffffffff);
	EXPECT_EQ((uint32_t)-VIRTIO_PCI_BAR_SIZE,
		  virtio_pci_cfg_read(&d, 0x10, 4) & ~0xfU);
	EXPECT_EQ(0x4U, virtio_pci_cfg_read(&d, 0x10, 4) & 0xf);
	virtio_pci_cfg_write(&d, 0x10, 4, 0xd0000000);
	virtio_pci_cfg_write(&d, 0x14, 4, 1);
	EXPECT_TRUE(virtio_pci_bar_hit(&d, 0x1d0000010ULL));
	virtio_pci_cfg_write(&d, 0x04, 2, 0);
	EXPECT_FALSE(virtio_pci_bar_hit(&d, 0x1d0000010ULL));
	/* Read-only fields stay. */
	virtio_pci_cfg_write(&d, 0x00, 4, 0);
	EXPECT_EQ(0x1af4U, virtio_pci_cfg_read(&d, 0, 2));
}

TEST_F(vq, pci_negotiation_and_queues)
{
	uint64_t ok_features = 1ULL << VIRTIO_F_VERSION_1 |
			       1ULL << VIRTIO_F_RING_EVENT_IDX;
	struct virtio_pci d;

	memset(&events, 0, sizeof(events));
	virtio_pci_init(&d, &pci_model, &self->gram, PCI_BAR);
	common_w(&d, 0x00, 4, 1);
	EXPECT_EQ(1U, common_r(&d, 0x04, 4) & 1);	/* VERSION_1 */
	EXPECT_EQ(2U, common_r(&d, 0x12, 2));

	/* Without VERSION_1, or with a feature not offered: refused. */
	pci_bring_up(&d, 1ULL << VIRTIO_F_RING_EVENT_IDX);
	EXPECT_FALSE((common_r(&d, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK) != 0);
	common_w(&d, 0x14, 1, 0);
	EXPECT_LT(0U, events.resets);
	pci_bring_up(&d, ok_features | 1ULL << 40);
	EXPECT_FALSE((common_r(&d, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK) != 0);
	common_w(&d, 0x14, 1, 0);

	pci_bring_up(&d, ok_features);
	ASSERT_TRUE((common_r(&d, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK) != 0);
	EXPECT_EQ(1U, common_r(&d, 0x1c, 2));
	EXPECT_EQ((uint64_t)DESC_GPA, common_r(&d, 0x20, 8));
	EXPECT_TRUE(d.queues[0].vq.event_idx);
	/* Enabled: the queue's fields no longer change. */
	common_w(&d, 0x18, 2, 8);
	EXPECT_EQ(16U, common_r(&d, 0x18, 2));

	/* Notifications only after DRIVER_OK, only for enabled queues. */
	virtio_pci_bar_write(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	EXPECT_EQ(0U, events.notifies[0]);
	common_w(&d, 0x14, 1, 0x0f);
	virtio_pci_bar_write(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	virtio_pci_bar_write(&d, VIRTIO_PCI_NOTIFY + 4, 2, 1);
	virtio_pci_bar_write(&d, VIRTIO_PCI_NOTIFY + 28, 2, 7);
	EXPECT_EQ(1U, events.notifies[0]);
	EXPECT_EQ(0U, events.notifies[1]);

	/* A queue whose rings leave RAM: NEEDS_RESET. */
	common_w(&d, 0x16, 2, 1);
	common_w(&d, 0x20, 8, RAM_SIZE - 16);
	common_w(&d, 0x1c, 2, 1);
	EXPECT_TRUE((common_r(&d, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET) != 0);
	common_w(&d, 0x16, 2, 9);
	EXPECT_EQ(0U, common_r(&d, 0x18, 2));
}

TEST_F(vq, pci_msix)
{
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	uint16_t *used_flags;
	struct virtio_pci d;

	memset(&events, 0, sizeof(events));
	virtio_pci_init(&d, &pci_model, &self->gram, PCI_BAR);
	pci_bring_up(&d, features);
	common_w(&d, 0x14, 1, 0x0f);
	/* Vector 1: address and data, unmasked; MSI-X on. */
	virtio_pci_bar_write(&d, VIRTIO_PCI_MSIX_TABLE + 16, 4, 0xfee01000);
	virtio_pci_bar_write(&d, VIRTIO_PCI_MSIX_TABLE + 20, 4, 0);
	virtio_pci_bar_write(&d, VIRTIO_PCI_MSIX_TABLE + 24, 4, 0x41);
	virtio_pci_cfg_write(&d, 0x86, 2, 0x8000);

	/* Masked entry: pending in the PBA, delivered when unmasked. */
	d.queues[0].vq.used_idx++;
	virtio_pci_queue_interrupt(&d, 0);
	EXPECT_EQ(0U, events.msis);
	EXPECT_EQ(2U, virtio_pci_bar_read(&d, VIRTIO_PCI_MSIX_PBA, 4));
	virtio_pci_bar_write(&d, VIRTIO_PCI_MSIX_TABLE + 28, 4, 0);
	EXPECT_EQ(1U, events.msis);
	EXPECT_EQ(0xfee01000ULL, events.msi_address);
	EXPECT_EQ(0x41U, events.msi_data);
	EXPECT_EQ(0U, virtio_pci_bar_read(&d, VIRTIO_PCI_MSIX_PBA, 4));

	d.queues[0].vq.used_idx++;
	virtio_pci_queue_interrupt(&d, 0);
	EXPECT_EQ(2U, events.msis);
	/* The driver suppresses interrupts: none. */
	used_flags = (uint16_t *)(self->ram + AVAIL_GPA);
	*used_flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	d.queues[0].vq.used_idx++;
	virtio_pci_queue_interrupt(&d, 0);
	EXPECT_EQ(2U, events.msis);
	/* Function mask holds everything back. */
	*used_flags = 0;
	virtio_pci_cfg_write(&d, 0x86, 2, 0xc000);
	d.queues[0].vq.used_idx++;
	virtio_pci_queue_interrupt(&d, 0);
	EXPECT_EQ(2U, events.msis);
	virtio_pci_cfg_write(&d, 0x86, 2, 0x8000);
	EXPECT_EQ(3U, events.msis);
	/* The ISR was set and reading it clears it. */
	EXPECT_EQ(1U, virtio_pci_bar_read(&d, VIRTIO_PCI_ISR, 1));
	EXPECT_EQ(0U, virtio_pci_bar_read(&d, VIRTIO_PCI_ISR, 1));
}

TEST_F(vq, pci_fuzz)
{
	static const unsigned int sizes[] = { 1, 2, 3, 4, 8 };
	unsigned int seed = 777, i;
	struct virtio_pci d;

	virtio_pci_init(&d, &pci_model, &self->gram, PCI_BAR);
	for (i = 0; i < 200000; i++) {
		unsigned int size = sizes[rand_r(&seed) % 5];
		uint64_t value = (uint64_t)rand_r(&seed) << 33 ^ rand_r(&seed);

		if (rand_r(&seed) % 16 == 0)
			value = rand_r(&seed) % 4 ? (uint64_t)(rand_r(&seed) % 64) :
				~0ULL;
		switch (rand_r(&seed) % 4) {
		case 0:
			virtio_pci_cfg_read(&d, rand_r(&seed) % 300, size);
			break;
		case 1:
			virtio_pci_cfg_write(&d, rand_r(&seed) % 300, size,
					     value);
			break;
		case 2:
			virtio_pci_bar_read(&d, rand_r(&seed) % 0x9000, size);
			break;
		default:
			virtio_pci_bar_write(&d, rand_r(&seed) % 2 ?
					     rand_r(&seed) % 0x40 :
					     rand_r(&seed) % 0x9000, size, value);
			break;
		}
		if (i % 64 == 0)
			virtio_pci_queue_interrupt(&d, rand_r(&seed) % 4);
	}
}

#define CONF1_SLOT(slot, fn, bus, reg) \
	(0x80000000U | (bus) << 16 | (slot) << 11 | (fn) << 8 | (reg))

static uint32_t conf1_read32(struct pci_bus *bus, uint32_t address)
{
	pci_conf1_write(bus, 0, 4, address);
	return pci_conf1_read(bus, 4, 4);
}

/* A bus with two virtio functions (pci_model) on the fixture's RAM. */
static struct pci_bus *two_function_bus(FIXTURE_DATA(vq) *self,
					struct platform *plat,
					struct virtio_dev *devs,
					struct device *window)
{
	struct device conf;
	struct pci_bus *bus;

	memset(plat, 0, sizeof(*plat));
	bus = pci_bus_create(plat, &conf, window);
	if (!bus || virtio_dev_plug(&devs[0], plat, bus, &pci_model,
				    &self->gram) ||
	    virtio_dev_plug(&devs[1], plat, bus, &pci_model, &self->gram))
		return NULL;
	return bus;
}

TEST_F(vq, pci_bus)
{
	struct virtio_dev devs[2];
	struct platform plat;
	struct device window;
	struct pci_bus *bus = two_function_bus(self, &plat, devs, &window);
	uint64_t bar0, moved, numq = 0x12;

	ASSERT_NE(NULL, bus);
	EXPECT_EQ(2U, pci_bus_nr_functions(bus));
	EXPECT_EQ(0x00081b36U, conf1_read32(bus, CONF1_SLOT(0, 0, 0, 0)));
	EXPECT_EQ(0x06U, conf1_read32(bus, CONF1_SLOT(0, 0, 0, 8)) >> 24);
	EXPECT_EQ(0x10421af4U, conf1_read32(bus, CONF1_SLOT(1, 0, 0, 0)));
	EXPECT_EQ(0x10421af4U, conf1_read32(bus, CONF1_SLOT(2, 0, 0, 0)));
	EXPECT_EQ(~0U, conf1_read32(bus, CONF1_SLOT(3, 0, 0, 0)));
	EXPECT_EQ(~0U, conf1_read32(bus, CONF1_SLOT(1, 1, 0, 0)));
	EXPECT_EQ(~0U, conf1_read32(bus, CONF1_SLOT(1, 0, 1, 0)));
	EXPECT_EQ(~0U, conf1_read32(bus, CONF1_SLOT(1, 0, 0, 0) & ~0x80000000U));
	/* Word and byte reads of the data ports pick the right bytes. */
	pci_conf1_write(bus, 0, 4, CONF1_SLOT(1, 0, 0, 0));
	EXPECT_EQ(0x1042U, pci_conf1_read(bus, 6, 2));
	EXPECT_EQ(0x1aU, pci_conf1_read(bus, 5, 1));
	/* The address register is dword only: a byte write leaves it. */
	pci_conf1_write(bus, 3, 1, 0x01);
	EXPECT_EQ(CONF1_SLOT(1, 0, 0, 0), pci_conf1_read(bus, 0, 4));

	bar0 = devs[0].pci.bar0;
	ASSERT_GE(bar0, PCI_MMIO_BASE);
	ASSERT_LT(bar0, PCI_MMIO_END);
	EXPECT_NE(bar0, devs[1].pci.bar0);
	EXPECT_EQ(2U, window.read(window.opaque, bar0 - PCI_MMIO_BASE + numq, 2));
	/* Moved by the guest: served at the new place, not the old. */
	moved = PCI_MMIO_END - 0x100000;
	pci_conf1_write(bus, 0, 4, CONF1_SLOT(1, 0, 0, 0x10));
	pci_conf1_write(bus, 4, 4, (uint32_t)moved);
	EXPECT_EQ(moved, devs[0].pci.bar0);
	EXPECT_EQ(2U, window.read(window.opaque, moved - PCI_MMIO_BASE + numq, 2));
	EXPECT_EQ(0xffffU, window.read(window.opaque, bar0 - PCI_MMIO_BASE + numq,
				       2) & 0xffff);
	/* Memory decoding off: nobody answers. */
	pci_conf1_write(bus, 0, 4, CONF1_SLOT(1, 0, 0, 4));
	pci_conf1_write(bus, 4, 2, 0);
	EXPECT_EQ(0xffffU, window.read(window.opaque, moved - PCI_MMIO_BASE +
				       numq, 2) & 0xffff);
}

TEST_F(vq, pci_bus_fuzz)
{
	static const unsigned int sizes[] = { 1, 2, 3, 4, 8 };
	struct virtio_dev devs[2];
	struct platform plat;
	struct device window;
	struct pci_bus *bus = two_function_bus(self, &plat, devs, &window);
	unsigned int seed = 1234, i;

	ASSERT_NE(NULL, bus);
	for (i = 0; i < 200000; i++) {
		unsigned int size = sizes[rand_r(&seed) % 5];
		uint64_t value = (uint64_t)rand_r(&seed) << 33 ^ rand_r(&seed);
		uint64_t off;

		switch (rand_r(&seed) % 8) {
		case 0:
			/* Mostly bus 0, slots 0-3: where the registers are. */
			value = rand_r(&seed) % 4 ?
				CONF1_SLOT(rand_r(&seed) % 4, 0, 0,
					   rand_r(&seed) % 256) : value;
			pci_conf1_write(bus, 0, 4, value);
			break;
		case 1:
			pci_conf1_read(bus, rand_r(&seed) % 10, size);
			break;
		case 2:
		case 3:
			pci_conf1_write(bus, rand_r(&seed) % 10, size, value);
			break;
		case 4:
		case 5:
			off = devs[rand_r(&seed) % 2].pci.bar0 - PCI_MMIO_BASE +
			      rand_r(&seed) % 0x9000;
			if (rand_r(&seed) % 2)
				off = rand_r(&seed) % window.len;
			window.read(window.opaque, off, size);
			break;
		default:
			off = devs[rand_r(&seed) % 2].pci.bar0 - PCI_MMIO_BASE +
			      rand_r(&seed) % 0x9000;
			window.write(window.opaque, off, size, value);
			break;
		}
	}
	EXPECT_EQ(0x00081b36U, conf1_read32(bus, CONF1_SLOT(0, 0, 0, 0)));
}

TEST_HARNESS_MAIN
