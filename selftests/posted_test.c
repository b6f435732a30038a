// SPDX-License-Identifier: GPL-2.0
/*
 * Posted writes through the ring (see posted_guest.S).  The helper
 * registers GUEST_PORT_POSTED as a posted range; the guest floods it with
 * FLOOD_COUNT increasing values and then reads the port synchronously.
 *
 * fast / slow (variants): every write arrives exactly once and in order
 *   (values 0, 1, 2 ... with consecutive posted sequence numbers, PIO,
 *   4 bytes, vCPU 0), none lost; the synchronous read is served only after
 *   all of them (its posted_seq covers them and the helper had consumed
 *   them all).  In the slow variant the helper sleeps on every entry, so
 *   the guest must find the posted ring full and wait: the test checks
 *   that the ring was seen full at least once.
 */
#include <errno.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(posted_guest);

#define FLOOD_COUNT	5000U

struct posted_state {
	const struct hvm_ring_header *hdr;
	unsigned int delay_us;
	uint64_t consumed;
	uint64_t first_seq;
	/* First entry that broke the rules, for the report. */
	bool bad;
	uint64_t bad_index;
	struct hvm_posted_entry bad_entry;
	/* Most entries published but not yet released by the helper. */
	uint64_t max_backlog;
	/* The synchronous read. */
	unsigned int sync_count;
	uint64_t sync_posted_seq;
	uint64_t consumed_at_sync;
};

static void posted_entry(void *opaque, const struct hvm_posted_entry *entry)
{
	struct posted_state *st = opaque;
	uint64_t head, backlog;

	if (st->consumed == 0)
		st->first_seq = entry->seq;
	if (!st->bad && (entry->data != st->consumed ||
			 entry->seq != st->first_seq + st->consumed ||
			 entry->addr != GUEST_PORT_POSTED ||
			 entry->space != HVM_IO_PIO || entry->size != 4 ||
			 entry->vcpu != 0)) {
		st->bad = true;
		st->bad_index = st->consumed;
		st->bad_entry = *entry;
	}
	st->consumed++;

	head = __atomic_load_n(&st->hdr->posted_head, __ATOMIC_ACQUIRE);
	backlog = head - __atomic_load_n(&st->hdr->posted_tail,
					 __ATOMIC_RELAXED);
	if (backlog > st->max_backlog)
		st->max_backlog = backlog;
	if (st->delay_us)
		usleep(st->delay_us);
}

static int sync_read(void *opaque, struct hvm_ring_slot *slot)
{
	struct posted_state *st = opaque;

	st->sync_count++;
	st->sync_posted_seq = slot->posted_seq;
	st->consumed_at_sync = st->consumed;
	if (slot->is_write || slot->addr != GUEST_PORT_POSTED)
		return -EINVAL;
	slot->data = st->consumed;
	return 0;
}

FIXTURE(guest) {
	struct test_vm t;
	struct ring_helper helper;
	struct posted_state st;
	struct hvm_caps caps;
};

FIXTURE_VARIANT(guest) {
	unsigned int delay_us;
};

FIXTURE_VARIANT_ADD(guest, fast) {
	.delay_us = 0,
};

FIXTURE_VARIANT_ADD(guest, slow) {
	.delay_us = 50,
};

FIXTURE_SETUP(guest)
{
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(posted_guest),
				    GUEST_MODE_LONG64));
	self->caps.size = sizeof(self->caps);
	ASSERT_EQ(0, hvm_get_caps(self->t.vm.sys_fd, &self->caps));
	guest_set_param(&self->t, 0, FLOOD_COUNT);
	self->st.delay_us = variant->delay_us;
	ASSERT_EQ(0, ring_helper_start(&self->helper, &self->t.vm,
				       posted_entry, sync_read, &self->st));
	self->st.hdr = self->helper.map.hdr;
	ASSERT_EQ(0, hvm_ring_add_posted(&self->helper.map, HVM_IO_PIO,
					 GUEST_PORT_POSTED, 4));
}

FIXTURE_TEARDOWN(guest)
{
	ring_helper_stop(&self->helper);
	test_vm_destroy(&self->t);
}

TEST_F_TIMEOUT(guest, flood, 120)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	const struct posted_state *st = &self->st;
	const uint32_t nr_posted = self->helper.map.hdr->nr_posted;
	double start = now_seconds();

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(0, ring_helper_stop(&self->helper));
	TH_LOG("%u posted writes in %.2fs, most queued at once %llu of %u",
	       FLOOD_COUNT, now_seconds() - start,
	       (unsigned long long)st->max_backlog, nr_posted);

	EXPECT_FALSE(st->bad)
		TH_LOG("entry %llu: seq %llu addr %#llx data %llu size %u space %u vcpu %u",
		       (unsigned long long)st->bad_index,
		       (unsigned long long)st->bad_entry.seq,
		       (unsigned long long)st->bad_entry.addr,
		       (unsigned long long)st->bad_entry.data,
		       st->bad_entry.size, st->bad_entry.space,
		       st->bad_entry.vcpu);
	EXPECT_EQ(FLOOD_COUNT, st->consumed);
	EXPECT_EQ(1ULL, st->sync_count);
	EXPECT_EQ(FLOOD_COUNT, st->consumed_at_sync);
	EXPECT_LE(FLOOD_COUNT, st->sync_posted_seq)
		TH_LOG("synchronous read may overtake posted writes");
	EXPECT_EQ(FLOOD_COUNT, guest_result(&self->t, 0));
	EXPECT_EQ(self->caps.ring_posted_entries, nr_posted);
	EXPECT_GE(nr_posted, st->max_backlog) TH_LOG("ring overfilled");
	if (variant->delay_us)
		EXPECT_EQ(nr_posted, st->max_backlog)
			TH_LOG("the posted ring never filled up");
}

TEST_HARNESS_MAIN
