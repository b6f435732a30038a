// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics fds (HVM_GET_STATS_FD on the VM fd, HVM_GET_VCPU_STATS_FD
 * on the vCPU fd) against guests whose exits are known.
 *
 * exits: stats_guest_exits runs to its end; both fds count exactly its
 *   5 CPUID, 3 port and 1 MMIO exits, one RDMSR, one injected #GP, one
 *   HLT, 6 returns to userspace; the exits by kind add up to the total,
 *   nested page faults to mapped plus MMIO; guest time is non-zero.
 * ring: stats_guest_ring with a ring helper: 3 synchronous requests and
 *   4 posted writes counted (the ring header shows 4 published), and no
 *   exit to userspace but the HLT.
 * layout: the header, id and descriptors are what api.rst says; reads at
 *   any offset and size give the same bytes as one whole read; past the
 *   end is EOF.
 * lifetime: both stats fds keep working after the vCPU and VM fds are
 *   closed, with the final values (the VM's sum keeps the closed vCPU's).
 * errors: a non-zero argument is EINVAL, the vCPU ioctl on the VM fd is
 *   ENOTTY, the fd is read-only; HVM_EXT_STATS gives the format version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "hvm_stats.h"

DECLARE_GUEST(stats_guest_exits);
DECLARE_GUEST(stats_guest_ring);

#define STATS_UNKNOWN_MSR	0x4b564dfe

static const char *const exit_kinds[] = {
	"exits_other", "exits_cpuid", "exits_rdmsr", "exits_wrmsr",
	"exits_hlt", "exits_io", "exits_npf", "exits_xsetbv",
	"exits_shutdown", "exits_fail_entry", "exits_unhandled",
	"exits_irq_window", "exits_nmi_window", "exits_pause",
	"exits_hypercall",
};

FIXTURE(stats) {
	struct test_vm t;
	struct hvm_stats vm_st, vcpu_st;
};

FIXTURE_SETUP(stats)
{
	self->vm_st.fd = -1;
	self->vcpu_st.fd = -1;
}

FIXTURE_TEARDOWN(stats)
{
	hvm_stats_close(&self->vm_st);
	hvm_stats_close(&self->vcpu_st);
	test_vm_destroy(&self->t);
}

static int open_stats(int fd, unsigned long cmd, struct hvm_stats *st)
{
	int sfd = ioctl(fd, cmd, 0);

	if (sfd < 0)
		return -errno;
	return hvm_stats_open(sfd, st);
}

#define OPEN_BOTH() do {						\
	ASSERT_EQ(0, open_stats(self->t.vm.vm_fd, HVM_GET_STATS_FD,	\
				&self->vm_st));				\
	ASSERT_EQ(0, open_stats(self->t.vcpus[0].fd,			\
				HVM_GET_VCPU_STATS_FD, &self->vcpu_st));	\
} while (0)

#define V(st, name) hvm_stats_value((st), (name))

/* Checks that hold for every sample of one vCPU's counters. */
static void expect_consistent(struct __test_metadata *_metadata,
			      const struct hvm_stats *st)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < sizeof(exit_kinds) / sizeof(exit_kinds[0]); i++) {
		ASSERT_LE(0, hvm_stats_find(st, exit_kinds[i]))
			TH_LOG("%s: no counter %s", st->id, exit_kinds[i]);
		sum += V(st, exit_kinds[i]);
	}
	EXPECT_EQ(V(st, "exits"), sum) TH_LOG("%s: exits by kind", st->id);
	EXPECT_EQ(V(st, "exits_npf"), V(st, "npf_mapped") + V(st, "npf_mmio"))
		TH_LOG("%s: nested page faults", st->id);
	EXPECT_EQ(V(st, "exits_hlt"), V(st, "halts"));
}

TEST_F(stats, exits)
{
	struct hvm_vcpu_handle *vcpu;
	struct hvm_stats *sts[2];
	unsigned int i;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(stats_guest_exits),
				    GUEST_MODE_LONG64));
	vcpu = &self->t.vcpus[0];
	OPEN_BOTH();
	sts[0] = &self->vm_st;
	sts[1] = &self->vcpu_st;

	/* Nothing ran yet. */
	ASSERT_EQ(0, hvm_stats_read(&self->vcpu_st));
	EXPECT_EQ(0ULL, V(&self->vcpu_st, "exits"));
	EXPECT_EQ(0ULL, V(&self->vcpu_st, "guest_ns"));

	for (i = 0; i < 3; i++) {
		RUN_EXPECT(vcpu, HVM_EXIT_IO);
		EXPECT_EQ(GUEST_PORT_DATA, vcpu->run->io.addr);
	}
	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA, vcpu->run->io.addr);
	RUN_EXPECT(vcpu, HVM_EXIT_MSR);
	EXPECT_EQ(STATS_UNKNOWN_MSR, (int)vcpu->run->msr.index);
	vcpu->run->msr.error = 1;
	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(1ULL, guest_result(&self->t, 0));

	for (i = 0; i < 2; i++) {
		struct hvm_stats *st = sts[i];

		ASSERT_EQ(0, hvm_stats_read(st));
		expect_consistent(_metadata, st);
		EXPECT_EQ(5ULL, V(st, "exits_cpuid")) TH_LOG("%s", st->id);
		EXPECT_EQ(3ULL, V(st, "exits_io")) TH_LOG("%s", st->id);
		EXPECT_EQ(1ULL, V(st, "npf_mmio")) TH_LOG("%s", st->id);
		EXPECT_EQ(1ULL, V(st, "exits_rdmsr")) TH_LOG("%s", st->id);
		EXPECT_EQ(0ULL, V(st, "exits_wrmsr")) TH_LOG("%s", st->id);
		EXPECT_EQ(1ULL, V(st, "exits_hlt")) TH_LOG("%s", st->id);
		EXPECT_EQ(1ULL, V(st, "injections")) TH_LOG("%s", st->id);
		EXPECT_EQ(6ULL, V(st, "user_exits")) TH_LOG("%s", st->id);
		EXPECT_EQ(0ULL, V(st, "ring_sync")) TH_LOG("%s", st->id);
		EXPECT_EQ(0ULL, V(st, "ring_posted")) TH_LOG("%s", st->id);
		/* The guest's code page at least was faulted in. */
		EXPECT_LE(1ULL, V(st, "npf_mapped")) TH_LOG("%s", st->id);
		EXPECT_LT(0ULL, V(st, "guest_ns")) TH_LOG("%s", st->id);
	}
	/* One vCPU: the VM's sums are its counts. */
	for (i = 0; i < self->vcpu_st.hdr.num_desc; i++) {
		const char *name = self->vcpu_st.desc[i].name;

		EXPECT_EQ(V(&self->vcpu_st, name), V(&self->vm_st, name))
			TH_LOG("%s differs", name);
	}
	EXPECT_EQ(1ULL, V(&self->vm_st, "vcpus"));
	EXPECT_LE(V(&self->vm_st, "npf_mapped"), V(&self->vm_st, "mem_faults") +
		  V(&self->vm_st, "exits_npf"));
	EXPECT_LT(0ULL, V(&self->vm_st, "mem_faults"));
	EXPECT_LT(0ULL, V(&self->vm_st, "mem_table_pages"));
	/* The vCPU fd shows vCPU counters only. */
	EXPECT_EQ(-ENOENT, hvm_stats_find(&self->vcpu_st, "vcpus"));
}

static int sync_serve(void *opaque, struct hvm_ring_slot *slot)
{
	if (!slot->is_write)
		slot->data = 0x42;
	return 0;
}

static void posted_seen(void *opaque, const struct hvm_posted_entry *entry)
{
	atomic_fetch_add((atomic_uint *)opaque, 1);
}

TEST_F(stats, ring)
{
	struct ring_helper helper = {};
	atomic_uint posted = 0;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(stats_guest_ring),
				    GUEST_MODE_LONG64));
	ASSERT_EQ(0, ring_helper_start(&helper, &self->t.vm, posted_seen,
				       sync_serve, &posted));
	ASSERT_EQ(0, hvm_ring_add_posted(&helper.map, HVM_IO_PIO,
					 GUEST_PORT_POSTED, 1));
	OPEN_BOTH();
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	/*
	 * What the kernel published, not what the helper consumed: the
	 * guest halts right after its posted writes, and the helper may not
	 * have drained them yet (seen in the VMX lab).
	 */
	EXPECT_EQ(4ULL, __atomic_load_n(&helper.map.hdr->posted_head,
					__ATOMIC_ACQUIRE));
	ASSERT_EQ(0, ring_helper_stop(&helper));
	EXPECT_GE(4U, atomic_load(&posted));

	ASSERT_EQ(0, hvm_stats_read(&self->vcpu_st));
	ASSERT_EQ(0, hvm_stats_read(&self->vm_st));
	expect_consistent(_metadata, &self->vcpu_st);
	EXPECT_EQ(3ULL, V(&self->vcpu_st, "ring_sync"));
	EXPECT_EQ(4ULL, V(&self->vcpu_st, "ring_posted"));
	EXPECT_EQ(7ULL, V(&self->vcpu_st, "exits_io"));
	EXPECT_EQ(1ULL, V(&self->vcpu_st, "user_exits"));
	EXPECT_EQ(3ULL, V(&self->vm_st, "ring_sync"));
	EXPECT_EQ(4ULL, V(&self->vm_st, "ring_posted"));
}

/* The whole file in one read. */
static ssize_t read_whole(int fd, uint8_t *buf, size_t size)
{
	return pread(fd, buf, size, 0);
}

TEST_F(stats, layout)
{
	const struct hvm_stats_header *hdr;
	uint8_t whole[8192], part[8192];
	ssize_t len, off, n;
	char want_id[64];
	unsigned int i;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(stats_guest_exits),
				    GUEST_MODE_LONG64));
	OPEN_BOTH();
	hdr = &self->vm_st.hdr;
	EXPECT_EQ(HVM_STATS_MAGIC, hdr->magic);

	EXPECT_EQ(HVM_STATS_VERSION, (int)hdr->version);
	EXPECT_EQ(0U, hdr->flags);
	EXPECT_EQ(sizeof(struct hvm_stats_desc), hdr->desc_size);
	EXPECT_EQ(sizeof(*hdr), hdr->id_offset);
	EXPECT_EQ(hdr->id_offset + HVM_STATS_ID_SIZE, hdr->desc_offset);
	EXPECT_EQ(hdr->desc_offset + hdr->num_desc * hdr->desc_size,
		  hdr->data_offset);
	EXPECT_EQ(hdr->num_desc * 8, hdr->data_size);
	snprintf(want_id, sizeof(want_id), "hvm-%d", (int)getpid());
	EXPECT_STREQ(want_id, self->vm_st.id);
	snprintf(want_id, sizeof(want_id), "hvm-%d/vcpu0", (int)getpid());
	EXPECT_STREQ(want_id, self->vcpu_st.id);
	EXPECT_LT(self->vcpu_st.hdr.num_desc, hdr->num_desc);

	for (i = 0; i < hdr->num_desc; i++) {
		const struct hvm_stats_desc *d = &self->vm_st.desc[i];

		EXPECT_EQ(1U, d->size) TH_LOG("%s", d->name);
		EXPECT_EQ(i * 8, d->offset) TH_LOG("%s", d->name);
		EXPECT_NE('\0', d->name[0]);
		/* Names are unique. */
		EXPECT_EQ((int)i, hvm_stats_find(&self->vm_st, d->name));
	}
	EXPECT_EQ(HVM_STATS_UNIT_NANOSECONDS,
		  self->vm_st.desc[hvm_stats_find(&self->vm_st,
					"guest_ns")].flags & HVM_STATS_UNIT_MASK);
	EXPECT_EQ(HVM_STATS_TYPE_INSTANT,
		  self->vm_st.desc[hvm_stats_find(&self->vm_st,
					"vcpus")].flags & HVM_STATS_TYPE_MASK);

	/* Nothing runs: every read sees the same bytes. */
	len = read_whole(self->vm_st.fd, whole, sizeof(whole));
	ASSERT_EQ((ssize_t)(hdr->data_offset + hdr->data_size), len);
	for (off = 0; off < len; off += 13) {
		n = pread(self->vm_st.fd, part, 29, off);
		ASSERT_EQ(len - off < 29 ? len - off : 29, n)
			TH_LOG("pread at %zd", off);
		ASSERT_EQ(0, memcmp(whole + off, part, n))
			TH_LOG("bytes at %zd", off);
	}
	EXPECT_EQ(0, pread(self->vm_st.fd, part, 8, len));
	EXPECT_EQ(0, pread(self->vm_st.fd, part, 8, 1 << 20));
	/* read() moves the file position like any file. */
	ASSERT_EQ(0, lseek(self->vm_st.fd, 0, SEEK_SET));
	EXPECT_EQ(16, read(self->vm_st.fd, part, 16));
	EXPECT_EQ(16, read(self->vm_st.fd, part + 16, 16));
	EXPECT_EQ(0, memcmp(whole, part, 32));
}

TEST_F(stats, lifetime)
{
	struct hvm_vcpu_handle *vcpu;
	uint64_t cpuid_before;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(stats_guest_exits),
				    GUEST_MODE_LONG64));
	vcpu = &self->t.vcpus[0];
	OPEN_BOTH();
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	ASSERT_EQ(0, hvm_stats_read(&self->vcpu_st));
	cpuid_before = V(&self->vcpu_st, "exits_cpuid");
	EXPECT_EQ(5ULL, cpuid_before);

	/* Close the vCPU, then the VM: the stats fds still read. */
	test_vm_destroy(&self->t);
	memset(&self->t, 0, sizeof(self->t));
	ASSERT_EQ(0, hvm_stats_read(&self->vcpu_st));
	ASSERT_EQ(0, hvm_stats_read(&self->vm_st));
	EXPECT_EQ(cpuid_before, V(&self->vcpu_st, "exits_cpuid"));
	EXPECT_EQ(cpuid_before, V(&self->vm_st, "exits_cpuid"));
	EXPECT_EQ(1ULL, V(&self->vm_st, "user_exits"));
	EXPECT_EQ(0ULL, V(&self->vm_st, "vcpus"));
	EXPECT_EQ(V(&self->vcpu_st, "exits"), V(&self->vm_st, "exits"));
}

TEST_F(stats, errors)
{
	int fd, sys_fd;
	char c = 0;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(stats_guest_exits),
				    GUEST_MODE_LONG64));
	sys_fd = self->t.vm.sys_fd;
	EXPECT_EQ(HVM_STATS_VERSION,
		  ioctl(sys_fd, HVM_CHECK_EXTENSION, HVM_EXT_STATS));
	EXPECT_EQ(HVM_STATS_VERSION, ioctl(self->t.vm.vm_fd,
					   HVM_CHECK_EXTENSION, HVM_EXT_STATS));
	ASSERT_IOCTL_ERRNO(EINVAL, self->t.vm.vm_fd, HVM_GET_STATS_FD, 1);
	ASSERT_IOCTL_ERRNO(EINVAL, self->t.vcpus[0].fd,
			   HVM_GET_VCPU_STATS_FD, 1);
	ASSERT_IOCTL_ERRNO(ENOTTY, self->t.vm.vm_fd, HVM_GET_VCPU_STATS_FD, 0);
	ASSERT_IOCTL_ERRNO(ENOTTY, self->t.vcpus[0].fd, HVM_GET_STATS_FD, 0);
	ASSERT_IOCTL_ERRNO(ENOTTY, sys_fd, HVM_GET_STATS_FD, 0);

	fd = ioctl(self->t.vm.vm_fd, HVM_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-1, write(fd, &c, 1));
	EXPECT_EQ(EBADF, errno);
	/* A stats fd takes no ioctls. */
	ASSERT_IOCTL_ERRNO(ENOTTY, fd, HVM_GET_STATS_FD, 0);
	EXPECT_EQ(-1, pread(fd, &c, 1, -1));
	EXPECT_EQ(EINVAL, errno);
	/* A bad buffer faults, it is not written past. */
	EXPECT_EQ(-1, pread(fd, (void *)(uintptr_t)getpagesize(), 64, 0));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST_HARNESS_MAIN
