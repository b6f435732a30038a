// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O through the ring, served by a helper thread with
 * hvm_ring_serve() (see pio_ring_guest.S).
 *
 * in_out_widths: the helper sees every OUT and IN in guest order, as PIO
 *   on the vCPU's slot with increasing seq, the right port, size and (for
 *   writes) only the low size bytes of the value; each IN lands in the
 *   guest register with the right width although the helper's answer has
 *   junk above the access size; HVM_RUN itself returns only at the HLT.
 */
#include <errno.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(pio_ring_guest);

#define PORT_WIDE	0x1234
#define MAX_LOG		32
/* Bits above the access size in every answer: the kernel must drop them. */
#define ANSWER_JUNK	0xfedcba9800000000ULL

struct io_record {
	uint32_t vcpu;
	uint8_t space, is_write, size;
	uint64_t addr, data, seq;
};

struct io_log {
	unsigned int count;
	struct io_record rec[MAX_LOG];
};

static uint64_t answer_for(uint64_t port)
{
	return ANSWER_JUNK | (0x10203040 + port);
}

static int serve_pio(void *opaque, struct hvm_ring_slot *slot)
{
	struct io_log *log = opaque;
	struct io_record *rec;

	if (!slot->is_write)
		slot->data = answer_for(slot->addr);
	if (log->count == MAX_LOG)
		return -ENOSPC;
	rec = &log->rec[log->count++];
	rec->vcpu = slot->vcpu;
	rec->space = slot->space;
	rec->is_write = slot->is_write;
	rec->size = slot->size;
	rec->addr = slot->addr;
	rec->data = slot->data;
	rec->seq = slot->seq;
	return 0;
}

FIXTURE(guest) {
	struct test_vm t;
	struct ring_helper helper;
	struct io_log log;
};

FIXTURE_SETUP(guest)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(pio_ring_guest),
				    GUEST_MODE_LONG64));
	ASSERT_EQ(0, ring_helper_start(&self->helper, &self->t.vm, NULL,
				       serve_pio, &self->log));
}

FIXTURE_TEARDOWN(guest)
{
	ring_helper_stop(&self->helper);
	test_vm_destroy(&self->t);
}

TEST_F(guest, in_out_widths)
{
	static const struct {
		uint8_t is_write, size;
		uint64_t port, data;
	} expected[] = {
		{ 1, 1, GUEST_PORT_DATA, 0x5a },
		{ 1, 2, GUEST_PORT_DATA + 2, 0xbeef },
		{ 1, 4, GUEST_PORT_DATA + 4, 0xdeadbeef },
		{ 1, 1, PORT_WIDE, 0x77 },
		{ 0, 1, GUEST_PORT_DATA, 0 },
		{ 0, 2, GUEST_PORT_DATA + 2, 0 },
		{ 0, 4, GUEST_PORT_DATA + 4, 0 },
		{ 0, 4, PORT_WIDE, 0 },
	};
	const unsigned int n = ARRAY_SIZE(expected);
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	unsigned int i;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(0, ring_helper_stop(&self->helper));

	ASSERT_EQ(n, self->log.count);
	for (i = 0; i < n; i++) {
		const struct io_record *rec = &self->log.rec[i];

		EXPECT_EQ(0ULL, rec->vcpu) TH_LOG("request %u", i);
		EXPECT_EQ(HVM_IO_PIO, rec->space) TH_LOG("request %u", i);
		EXPECT_EQ(expected[i].is_write, rec->is_write)
			TH_LOG("request %u", i);
		EXPECT_EQ(expected[i].size, rec->size) TH_LOG("request %u", i);
		EXPECT_EQ(expected[i].port, rec->addr) TH_LOG("request %u", i);
		if (expected[i].is_write)
			EXPECT_EQ(expected[i].data, rec->data)
				TH_LOG("request %u", i);
		if (i > 0)
			EXPECT_LT(self->log.rec[i - 1].seq, rec->seq)
				TH_LOG("request %u", i);
	}

	EXPECT_EQ(0x1111111111111100ULL |
		  (answer_for(GUEST_PORT_DATA) & 0xff),
		  guest_result(&self->t, 0));
	EXPECT_EQ(0x1111111111110000ULL |
		  (answer_for(GUEST_PORT_DATA + 2) & 0xffff),
		  guest_result(&self->t, 1));
	EXPECT_EQ(answer_for(GUEST_PORT_DATA + 4) & 0xffffffff,
		  guest_result(&self->t, 2));
	EXPECT_EQ(answer_for(PORT_WIDE) & 0xffffffff,
		  guest_result(&self->t, 3));
}

TEST_HARNESS_MAIN
