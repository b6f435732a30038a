// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO through the decoder and the ring (see mmio_guest.S).  A helper
 * thread emulates byte-addressed device memory at GUEST_MMIO_GPA.
 *
 * widths_and_forms: the helper sees each access in guest order as MMIO
 *   with the right gpa, size and (for stores) only the stored bytes; the
 *   loads land in the destination register with the right width;
 *   MOVZX/MOVSX extend correctly; OR to MMIO is a read then a write of the
 *   combined value; HVM_RUN itself returns only at the HLT.
 */
#include <errno.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(mmio_guest);

#define DEVICE_SIZE	0x40
#define MAX_LOG		32

struct mmio_record {
	uint8_t space, is_write, size;
	uint64_t offset, data;
};

struct mmio_device {
	uint8_t mem[DEVICE_SIZE];
	unsigned int count;
	struct mmio_record rec[MAX_LOG];
};

static int serve_mmio(void *opaque, struct hvm_ring_slot *slot)
{
	struct mmio_device *dev = opaque;
	uint64_t offset = slot->addr - GUEST_MMIO_GPA;
	struct mmio_record *rec;
	uint64_t value = 0;

	if (dev->count == MAX_LOG)
		return -ENOSPC;
	rec = &dev->rec[dev->count++];
	rec->space = slot->space;
	rec->is_write = slot->is_write;
	rec->size = slot->size;
	rec->offset = offset;
	rec->data = slot->data;
	if (slot->space != HVM_IO_MMIO || slot->addr < GUEST_MMIO_GPA ||
	    offset + slot->size > DEVICE_SIZE || slot->size > 8)
		return -EINVAL;
	if (slot->is_write) {
		memcpy(dev->mem + offset, &slot->data, slot->size);
	} else {
		memcpy(&value, dev->mem + offset, slot->size);
		slot->data = value;
		rec->data = value;
	}
	return 0;
}

FIXTURE(guest) {
	struct test_vm t;
	struct ring_helper helper;
	struct mmio_device dev;
};

FIXTURE_SETUP(guest)
{
	static const uint8_t preset_0x20[] = { 0x80, 0xff, 0x90, 0x85 };
	static const uint8_t preset_0x28[] = { 0x01, 0x00, 0x34, 0x12 };

	memcpy(self->dev.mem + 0x20, preset_0x20, sizeof(preset_0x20));
	memcpy(self->dev.mem + 0x28, preset_0x28, sizeof(preset_0x28));
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(mmio_guest),
				    GUEST_MODE_LONG64));
	ASSERT_EQ(0, ring_helper_start(&self->helper, &self->t.vm, NULL,
				       serve_mmio, &self->dev));
}

FIXTURE_TEARDOWN(guest)
{
	ring_helper_stop(&self->helper);
	test_vm_destroy(&self->t);
}

TEST_F(guest, widths_and_forms)
{
	static const struct mmio_record expected[] = {
		{ HVM_IO_MMIO, 1, 1, 0x00, 0x11 },
		{ HVM_IO_MMIO, 1, 2, 0x02, 0x2233 },
		{ HVM_IO_MMIO, 1, 4, 0x04, 0x44556677 },
		{ HVM_IO_MMIO, 1, 8, 0x08, 0x8899aabbccddeeffULL },
		{ HVM_IO_MMIO, 1, 4, 0x18, 0x12345678 },
		{ HVM_IO_MMIO, 0, 1, 0x00, 0x11 },
		{ HVM_IO_MMIO, 0, 2, 0x02, 0x2233 },
		{ HVM_IO_MMIO, 0, 4, 0x04, 0x44556677 },
		{ HVM_IO_MMIO, 0, 8, 0x08, 0x8899aabbccddeeffULL },
		{ HVM_IO_MMIO, 0, 1, 0x20, 0x80 },
		{ HVM_IO_MMIO, 0, 1, 0x20, 0x80 },
		{ HVM_IO_MMIO, 0, 2, 0x22, 0x8590 },
		{ HVM_IO_MMIO, 0, 2, 0x22, 0x8590 },
		{ HVM_IO_MMIO, 0, 4, 0x28, 0x12340001 },
		{ HVM_IO_MMIO, 1, 4, 0x28, 0x12340f01 },
	};
	const unsigned int n = ARRAY_SIZE(expected);
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	unsigned int i;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(0, ring_helper_stop(&self->helper));

	EXPECT_EQ(n, self->dev.count);
	for (i = 0; i < n && i < self->dev.count; i++) {
		const struct mmio_record *rec = &self->dev.rec[i];

		EXPECT_EQ(expected[i].space, rec->space) TH_LOG("access %u", i);
		EXPECT_EQ(expected[i].is_write, rec->is_write)
			TH_LOG("access %u", i);
		EXPECT_EQ(expected[i].size, rec->size) TH_LOG("access %u", i);
		EXPECT_EQ(expected[i].offset, rec->offset)
			TH_LOG("access %u", i);
		EXPECT_EQ(expected[i].data, rec->data) TH_LOG("access %u", i);
	}

	EXPECT_EQ(0xffffffffffffff11ULL, guest_result(&self->t, 0));
	EXPECT_EQ(0xffffffffffff2233ULL, guest_result(&self->t, 1));
	EXPECT_EQ(0x0000000044556677ULL, guest_result(&self->t, 2));
	EXPECT_EQ(0x8899aabbccddeeffULL, guest_result(&self->t, 3));
	EXPECT_EQ(0x80ULL, guest_result(&self->t, 4));
	EXPECT_EQ(0xffffffffffffff80ULL, guest_result(&self->t, 5));
	EXPECT_EQ(0x8590ULL, guest_result(&self->t, 6));
	EXPECT_EQ(0xffffffffffff8590ULL, guest_result(&self->t, 7));
}

TEST_HARNESS_MAIN
