// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM shared with the device helper through a memfd, and device
 * DMA through it.
 *
 * memfd.sealed: hvm_memfd_alloc() gives a 2 MiB aligned MAP_SHARED
 *   mapping of a memfd that can neither shrink nor grow nor take more
 *   seals, and whose file and mapping are the same bytes.
 * guest_ram.bounds: the helper-side accessor maps pieces of a memfd at
 *   guest-physical addresses; reads and writes inside (also across two
 *   adjacent pieces) land at the right file offsets; anything touching an
 *   unmapped byte, or whose end wraps around 2^64, is -EFAULT and changes
 *   nothing; bad maps (overlap, unaligned, past the end of the file) fail.
 * guest_ram.needs_shrink_seal: a memfd that may still shrink is refused.
 * guest_ram.parse_mem_map: the --mem-map syntax.
 * dma.rounds: the real hvm-helper, started with the VM's memfd and
 *   --dma-test, serves a guest (helper_dma_guest.S) that checks while it
 *   runs that the helper read and incremented its buffers (several
 *   rounds, sizes from 1 byte to 128 KiB, page-crossing, up to the last
 *   byte of RAM), that bad addresses, wrapping ranges, oversized lengths
 *   and bad commands get their error status and touch nothing, and that
 *   the device works after them.  The helper exits 0 when the VM is
 *   gone: it never crashed.  The test's own view of the memfd shows the
 *   helper's last write.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "helper_dma.h"
#include "dma_test_dev.h"

DECLARE_GUEST(helper_dma_guest);

#define MIB	(1ULL << 20)

TEST(memfd_sealed)
{
	const uint64_t size = 3 * MIB;
	uint8_t *host;
	uint8_t byte;
	int fd, seals;

	ASSERT_EQ(0, hvm_memfd_alloc(size, 0, &fd, (void **)&host));
	EXPECT_EQ(0ULL, (uintptr_t)host % HVM_HUGE_PAGE_SIZE);
	seals = fcntl(fd, F_GET_SEALS);
	EXPECT_EQ(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
		  seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	EXPECT_EQ(0, seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
	EXPECT_EQ(-1, ftruncate(fd, size - 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ftruncate(fd, size + 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* One set of pages: the file and the mapping agree both ways. */
	host[size - 1] = 0x42;
	ASSERT_EQ(1, pread(fd, &byte, 1, size - 1));
	EXPECT_EQ(0x42, byte);
	byte = 0x24;
	ASSERT_EQ(1, pwrite(fd, &byte, 1, 12345));
	EXPECT_EQ(0x24, host[12345]);

	hvm_memfd_free(fd, host, size);

	EXPECT_EQ(-EINVAL, hvm_memfd_alloc(4096 + 1, 0, &fd, (void **)&host));
	EXPECT_EQ(-EINVAL, hvm_memfd_alloc(4096, HVM_MEMFD_HUGETLB, &fd,
					   (void **)&host));
}

FIXTURE(guest_ram) {
	struct hvm_guest_ram ram;
	uint8_t *file;		/* the VMM's view of the memfd */
	int fd;
};

#define FILE_SIZE	(128 * 1024ULL)
/* Piece A: file [0, 64K) at GPA 1M; B: [64K, 80K) right after it; C:
 * file [80K, 84K) at 2M, with a hole before it.
 */
#define A_GPA		0x100000ULL
#define A_SIZE		0x10000ULL
#define B_GPA		(A_GPA + A_SIZE)
#define B_SIZE		0x4000ULL
#define B_OFFSET	A_SIZE
#define C_GPA		0x200000ULL
#define C_SIZE		0x1000ULL
#define C_OFFSET	(A_SIZE + B_SIZE)

FIXTURE_SETUP(guest_ram)
{
	hvm_guest_ram_init(&self->ram);
	ASSERT_EQ(0, hvm_memfd_alloc(FILE_SIZE, 0, &self->fd,
				     (void **)&self->file));
	ASSERT_EQ(0, hvm_guest_ram_map(&self->ram, self->fd, A_GPA, A_SIZE, 0));
	ASSERT_EQ(0, hvm_guest_ram_map(&self->ram, self->fd, B_GPA, B_SIZE,
				       B_OFFSET));
	ASSERT_EQ(0, hvm_guest_ram_map(&self->ram, self->fd, C_GPA, C_SIZE,
				       C_OFFSET));
}

FIXTURE_TEARDOWN(guest_ram)
{
	hvm_guest_ram_unmap(&self->ram);
	hvm_memfd_free(self->fd, self->file, FILE_SIZE);
}

TEST_F(guest_ram, bounds)
{
	struct hvm_guest_ram *ram = &self->ram;
	uint8_t buf[64], back[64];
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i + 1;

	/* Across A and B, which are adjacent in GPA and in the file. */
	ASSERT_EQ(0, hvm_guest_ram_write(ram, B_GPA - 10, buf, 20));
	EXPECT_EQ(0, memcmp(self->file + A_SIZE - 10, buf, 20));
	memset(back, 0, sizeof(back));
	ASSERT_EQ(0, hvm_guest_ram_read(ram, B_GPA - 10, back, 20));
	EXPECT_EQ(0, memcmp(back, buf, 20));

	/* C is at its own file offset. */
	ASSERT_EQ(0, hvm_guest_ram_write(ram, C_GPA + C_SIZE - 4, buf, 4));
	EXPECT_EQ(0, memcmp(self->file + C_OFFSET + C_SIZE - 4, buf, 4));

	/* The last byte of B is RAM, the one after it is not. */
	EXPECT_EQ(0, hvm_guest_ram_check(ram, B_GPA + B_SIZE - 1, 1));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, B_GPA + B_SIZE, 1));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, A_GPA - 1, 1));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, A_GPA - 1, 2));
	EXPECT_EQ(0, hvm_guest_ram_check(ram, A_GPA, A_SIZE + B_SIZE));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, A_GPA, A_SIZE + B_SIZE + 1));
	/* A hole between B and C. */
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, B_GPA, C_GPA + 1 - B_GPA));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, C_GPA + C_SIZE - 1, 2));
	/* gpa + len wraps: never "inside" by overflow. */
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, A_GPA, UINT64_MAX));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, UINT64_MAX - 3, 8));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_check(ram, UINT64_MAX, 1));
	/* Nothing to copy is always fine. */
	EXPECT_EQ(0, hvm_guest_ram_check(ram, 0, 0));
	EXPECT_EQ(0, hvm_guest_ram_read(ram, UINT64_MAX, back, 0));

	/* A failed write changes nothing, also the part that is RAM. */
	memset(self->file + A_SIZE + B_SIZE - 8, 0x77, 8);
	EXPECT_EQ(-EFAULT, hvm_guest_ram_write(ram, B_GPA + B_SIZE - 8, buf,
					       16));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0x77, self->file[A_SIZE + B_SIZE - 8 + i]);
	memset(back, 0xee, sizeof(back));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_read(ram, B_GPA + B_SIZE - 8, back,
					      16));
	EXPECT_EQ(-EFAULT, hvm_guest_ram_read(ram, UINT64_MAX - 7, back, 16));
	for (i = 0; i < sizeof(back); i++)
		EXPECT_EQ(0xee, back[i]);

	/* Maps that must be refused. */
	EXPECT_EQ(-EINVAL, hvm_guest_ram_map(ram, self->fd, A_GPA + 0x1000,
					     0x1000, 0));
	EXPECT_EQ(-EINVAL, hvm_guest_ram_map(ram, self->fd, 0x300000 + 1,
					     0x1000, 0));
	EXPECT_EQ(-EINVAL, hvm_guest_ram_map(ram, self->fd, 0x300000, 0, 0));
	EXPECT_EQ(-EINVAL, hvm_guest_ram_map(ram, self->fd, 0x300000, 0x1000,
					     0x800));
	EXPECT_EQ(-EINVAL, hvm_guest_ram_map(ram, self->fd, HVM_MAX_GPA,
					     0x1000, 0));
	EXPECT_EQ(-ERANGE, hvm_guest_ram_map(ram, self->fd, 0x300000,
					     0x2000, FILE_SIZE - 0x1000));
	EXPECT_EQ(3U, ram->nr_regions);
}

TEST_F(guest_ram, needs_shrink_seal)
{
	struct hvm_guest_ram ram;
	int fd;

	hvm_guest_ram_init(&ram);
	fd = memfd_create("hvm-unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 0x10000));
	EXPECT_EQ(-EPERM, hvm_guest_ram_map(&ram, fd, 0, 0x10000, 0));
	/* Growing alone is not the promise: shrinking is what faults. */
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	EXPECT_EQ(-EPERM, hvm_guest_ram_map(&ram, fd, 0, 0x10000, 0));
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	EXPECT_EQ(0, hvm_guest_ram_map(&ram, fd, 0, 0x10000, 0));
	hvm_guest_ram_unmap(&ram);
	close(fd);
}

TEST(parse_mem_map)
{
	uint64_t gpa, size, offset;

	ASSERT_EQ(0, hvm_parse_mem_map("0x100000,0x2000,4096", &gpa, &size,
				       &offset));
	EXPECT_EQ(0x100000ULL, gpa);
	EXPECT_EQ(0x2000ULL, size);
	EXPECT_EQ(4096ULL, offset);
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("1,2", &gpa, &size, &offset));
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("1,2,3,4", &gpa, &size, &offset));
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("-1,2,3", &gpa, &size, &offset));
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("1,,3", &gpa, &size, &offset));
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("1,2,3x", &gpa, &size, &offset));
	EXPECT_EQ(-EINVAL, hvm_parse_mem_map("0x1,99999999999999999999,0",
					     &gpa, &size, &offset));
}

/* hvm-helper as installed next to the tests: ../bin from this binary. */
static int helper_path(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	if ((size_t)snprintf(path, size, "%s/../bin/hvm-helper",
			     dirname(self)) >= size)
		return -ENAMETOOLONG;
	return 0;
}

FIXTURE(dma) {
	struct test_vm t;
	pid_t helper;
};

FIXTURE_SETUP(dma)
{
	char path[PATH_MAX + 32], ring_arg[16], mem_fd_arg[16], map_arg[48];
	char port_arg[16];
	char *argv[] = {
		path, "--ring-fd", ring_arg, "--mem-fd", mem_fd_arg,
		"--mem-map", map_arg, "--dma-test", port_arg, NULL,
	};
	int keep[2], ring_fd, status;

	ASSERT_EQ(0, test_vm_create_shared(&self->t, GUEST(helper_dma_guest),
					   GUEST_MODE_LONG64));
	ASSERT_EQ(0, helper_path(path, sizeof(path)));
	ring_fd = hvm_ring_create(&self->t.vm);
	ASSERT_LE(0, ring_fd) TH_LOG("ring: %s", strerror(-ring_fd));
	snprintf(ring_arg, sizeof(ring_arg), "%d", ring_fd);
	snprintf(mem_fd_arg, sizeof(mem_fd_arg), "%d", self->t.mem_fd);
	snprintf(map_arg, sizeof(map_arg), "%#llx,%#llx,0",
		 (unsigned long long)GUEST_RAM_GPA,
		 (unsigned long long)GUEST_RAM_SIZE);
	snprintf(port_arg, sizeof(port_arg), "%#x", DMA_PORT);
	keep[0] = ring_fd;
	keep[1] = self->t.mem_fd;
	self->helper = hvm_helper_spawn(path, argv, keep, 2, &status);
	/* The helper holds the only ring fd: its death closes the ring. */
	close(ring_fd);
	ASSERT_LT(0, self->helper)
		TH_LOG("starting %s: %s (wait status %#x)", path,
		       strerror(-self->helper), status);
}

FIXTURE_TEARDOWN(dma)
{
	test_vm_destroy(&self->t);
	if (self->helper > 0) {
		kill(self->helper, SIGKILL);
		waitpid(self->helper, NULL, 0);
	}
}

/*
 * The VM is gone: the helper sees the ring hang up and exits on its own.
 * Its exit status (or -1 if it is still there after 20 s).
 */
static int helper_exit_status(pid_t pid)
{
	double deadline = now_seconds() + 20;
	int status;

	while (now_seconds() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

TEST_F_TIMEOUT(dma, rounds, 120)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint8_t expected;
	unsigned int i;
	int status;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);

	EXPECT_EQ(1ULL, guest_result(&self->t, DMA_R_DONE));
	EXPECT_EQ((uint64_t)DMA_TEST_STATUS_IDLE,
		  guest_result(&self->t, DMA_R_IDLE_STATUS));
	EXPECT_EQ((uint64_t)DMA_ROUNDS * DMA_NR_CASES,
		  guest_result(&self->t, DMA_R_OPS));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_BAD_STATUS));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_BAD_SUM));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_BAD_BYTES));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_GUARDS));
	EXPECT_EQ((uint64_t)DMA_NR_BAD, guest_result(&self->t, DMA_R_BAD_OK))
		TH_LOG("bad request %llu got status %llu",
		       (unsigned long long)guest_result(&self->t,
							DMA_R_BAD_FIRST),
		       (unsigned long long)guest_result(&self->t,
							DMA_R_BAD_FIRST_STATUS));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_TAIL_CHANGED));
	EXPECT_EQ((uint64_t)DMA_TEST_STATUS_OK,
		  guest_result(&self->t, DMA_R_FINAL_STATUS));
	EXPECT_EQ(0ULL, guest_result(&self->t, DMA_R_FINAL_BAD_BYTES));

	/* What the helper wrote last, as the VMM's own mapping sees it. */
	for (i = 0; i < DMA_FINAL_LEN; i++) {
		expected = 7 * i + DMA_FINAL_SEED + 1;
		EXPECT_EQ(expected, *(uint8_t *)guest_ptr(&self->t,
							  DMA_FINAL_GPA + i))
			TH_LOG("byte %u", i);
	}

	test_vm_destroy(&self->t);
	status = helper_exit_status(self->helper);
	ASSERT_NE(-1, status) TH_LOG("the helper did not exit after the VM");
	self->helper = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("helper wait status %#x", status);
}

TEST_HARNESS_MAIN
