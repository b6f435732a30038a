// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory isolation (see isolation_guest.S).  Slot 1 is backed by the
 * middle of a host mapping whose neighbouring pages (one below, one above)
 * the guest must never reach; slot 2 is read-only.
 *
 * writes_outside_slots: stores inside slot 1 reach host memory; stores just
 *   past/below slot 1, past slot 0 and at unmapped gpas are MMIO exits with
 *   the right gpa/size/data, and the host pages next to slot 1's mapping
 *   are unchanged.
 * readonly_slot: the guest reads the host's data through a read-only
 *   slot; its store there is an MMIO exit and the host page is unchanged.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "isolation.h"

DECLARE_GUEST(isolation_guest);

#define GUARD		0x1000
#define HOST_FILL	0xcc
#define RO_FILL		0x3c

FIXTURE(guest) {
	struct test_vm t;
	uint8_t *slot1_area;	/* GUARD + SLOT1_SIZE + GUARD */
	uint8_t *slot2;
};

static int add_slot(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, void *host)
{
	struct hvm_memory_slot s = {
		.slot = slot, .flags = flags, .guest_phys = gpa, .size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm_fd, HVM_SET_MEMORY_SLOT, &s) ? -errno : 0;
}

FIXTURE_SETUP(guest)
{
	const size_t area = GUARD + SLOT1_SIZE + GUARD;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(isolation_guest),
				    GUEST_MODE_LONG64));
	self->slot1_area = mmap(NULL, area, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->slot1_area);
	memset(self->slot1_area, HOST_FILL, area);
	ASSERT_EQ(0, add_slot(self->t.vm.vm_fd, 1, 0, SLOT1_GPA, SLOT1_SIZE,
			      self->slot1_area + GUARD));

	self->slot2 = mmap(NULL, SLOT2_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->slot2);
	memset(self->slot2, RO_FILL, SLOT2_SIZE);
	ASSERT_EQ(0, add_slot(self->t.vm.vm_fd, 2, HVM_MEM_READONLY,
			      SLOT2_GPA, SLOT2_SIZE, self->slot2));
}

FIXTURE_TEARDOWN(guest)
{
	test_vm_destroy(&self->t);
}

static void expect_mmio_write(struct __test_metadata *_metadata,
			      struct hvm_vcpu_handle *vcpu, uint64_t gpa)
{
	struct hvm_run *run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(gpa, run->io.addr);
	EXPECT_EQ(1, run->io.is_write) TH_LOG("gpa %#llx",
					      (unsigned long long)gpa);
	EXPECT_EQ(8, run->io.size) TH_LOG("gpa %#llx",
					  (unsigned long long)gpa);
	EXPECT_EQ(PATTERN, run->io.data) TH_LOG("gpa %#llx",
						(unsigned long long)gpa);
}

static size_t count_not(const uint8_t *p, size_t len, uint8_t fill)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] != fill;
	return n;
}

TEST_F(guest, writes_outside_slots)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	const uint8_t *slot1 = self->slot1_area + GUARD;
	uint64_t word;

	expect_mmio_write(_metadata, vcpu, SLOT1_GPA + SLOT1_SIZE);
	expect_mmio_write(_metadata, vcpu, SLOT1_GPA - 8);
	expect_mmio_write(_metadata, vcpu, GUEST_RAM_GPA + GUEST_RAM_SIZE);
	expect_mmio_write(_metadata, vcpu, 0x80000000);
	expect_mmio_write(_metadata, vcpu, 0xfffff000);

	memcpy(&word, slot1, 8);
	EXPECT_EQ(PATTERN, word);
	memcpy(&word, slot1 + SLOT1_SIZE - 8, 8);
	EXPECT_EQ(PATTERN, word);
	/* Only the two words the guest stored inside the slot changed. */
	EXPECT_EQ(16ULL, count_not(slot1, SLOT1_SIZE, HOST_FILL));
	EXPECT_EQ(0ULL, count_not(self->slot1_area, GUARD, HOST_FILL))
		TH_LOG("guest wrote to the host page below its slot");
	EXPECT_EQ(0ULL, count_not(slot1 + SLOT1_SIZE, GUARD, HOST_FILL))
		TH_LOG("guest wrote to the host page above its slot");
}

TEST_F(guest, readonly_slot)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint64_t ro_word;

	memset(&ro_word, RO_FILL, sizeof(ro_word));
	/* The first five exits are covered by writes_outside_slots. */
	for (int i = 0; i < 5; i++)
		RUN_EXPECT(vcpu, HVM_EXIT_MMIO);

	expect_mmio_write(_metadata, vcpu, SLOT2_GPA);
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ(ro_word, guest_result(&self->t, 0));
	EXPECT_EQ(ro_word, guest_result(&self->t, 1));
	EXPECT_EQ(0ULL, count_not(self->slot2, SLOT2_SIZE, RO_FILL))
		TH_LOG("guest wrote through a read-only slot");
}

TEST_HARNESS_MAIN
