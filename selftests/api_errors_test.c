// SPDX-License-Identifier: GPL-2.0
/*
 * Every ioctl with bad arguments fails with the errno Documentation/api.rst
 * gives, and nothing crashes:
 *
 * wrong_fd_kind: a command of one fd kind on another kind is -ENOTTY.
 * unknown_commands: unknown numbers, a known number with the wrong size or
 *   direction bits (any size is HVM_GET_CAPS), and a foreign ioctl type are
 *   -ENOTTY on every fd kind.
 * slot_errors: unaligned gpa/size/address, slot index out of range, unknown
 *   flags, ranges past HVM_MAX_GPA or wrapping are -EINVAL; NULL or kernel
 *   userspace_addr is -EINVAL or -EFAULT; an overlapping slot or a used slot
 *   index is -EEXIST; after a delete (size 0) the slot can be re-created.
 * vcpu_ids: id >= HVM_MAX_VCPUS (including ids that only look valid after
 *   truncation to 32 bits) is -EINVAL, a duplicate id -EEXIST, and all
 *   HVM_MAX_VCPUS ids can be created but not one more.
 * cpuid_errors: more than HVM_MAX_CPUID_ENTRIES is -E2BIG, a table running
 *   into an unmapped page is -EFAULT, unknown flags -EINVAL; a full table is
 *   accepted.
 * bad_pointers: (void *)1 and a kernel address as the argument of every
 *   command that takes a pointer are -EFAULT.
 * posted_range_errors: bad space, empty or wrapping range, nonzero
 *   reserved field are -EINVAL.
 * other_process: a child process using the parent's VM and vCPU fds gets
 *   -EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

#define KERNEL_POINTER ((void *)0xffffffff81000000UL)
#define MEM_SIZE 0x10000

FIXTURE(vm) {
	int sys_fd;
	int vm_fd;
	int vcpu_fd;
	int ring_fd;
	void *mem;
	/* Zeroed and big enough for any argument structure. */
	uint64_t scratch[512];
};

FIXTURE_SETUP(vm)
{
	self->vm_fd = -1;
	self->vcpu_fd = -1;
	self->ring_fd = -1;
	self->sys_fd = open(HVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->sys_fd) TH_LOG("open: %s", strerror(errno));
	self->vm_fd = ioctl(self->sys_fd, HVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm_fd) TH_LOG("CREATE_VM: %s", strerror(errno));
	self->vcpu_fd = ioctl(self->vm_fd, HVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu_fd) TH_LOG("CREATE_VCPU: %s", strerror(errno));
	self->ring_fd = ioctl(self->vm_fd, HVM_CREATE_RING, 0);
	ASSERT_LE(0, self->ring_fd) TH_LOG("CREATE_RING: %s", strerror(errno));
	self->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(vm)
{
	if (self->ring_fd >= 0)
		close(self->ring_fd);
	if (self->vcpu_fd >= 0)
		close(self->vcpu_fd);
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->sys_fd >= 0)
		close(self->sys_fd);
}

struct fd_command {
	const char *name;
	unsigned long cmd;
};

#define CMD(c) { #c, c }

static const struct fd_command sys_commands[] = {
	CMD(HVM_GET_API_VERSION), CMD(HVM_GET_CAPS), CMD(HVM_CREATE_VM),
	CMD(HVM_GET_SUPPORTED_CPUID),
};

/* Accepted on the system fd and the VM fd. */
static const struct fd_command sys_and_vm_commands[] = {
	CMD(HVM_CHECK_EXTENSION),
};

static const struct fd_command vm_commands[] = {
	CMD(HVM_SET_MEMORY_SLOT), CMD(HVM_CREATE_VCPU), CMD(HVM_SET_CPUID),
	CMD(HVM_CREATE_RING), CMD(HVM_GET_CPUID), CMD(HVM_GET_DIRTY_LOG),
	CMD(HVM_GET_MEMORY_STATS), CMD(HVM_GET_STATS_FD),
};

static const struct fd_command vcpu_commands[] = {
	CMD(HVM_RUN), CMD(HVM_GET_REGS), CMD(HVM_SET_REGS), CMD(HVM_GET_SREGS),
	CMD(HVM_SET_SREGS), CMD(HVM_GET_VCPU_STATS_FD),
};

static const struct fd_command ring_commands[] = {
	CMD(HVM_RING_NOTIFY), CMD(HVM_RING_ADD_POSTED), CMD(HVM_RING_STOP_VM),
};

/* Every command of `cmds` on `fd` (a different kind) must be -ENOTTY. */
static void expect_enotty_all(struct __test_metadata *_metadata, int fd,
			      const char *fd_name,
			      const struct fd_command *cmds, size_t n,
			      void *arg)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(arg, 0, 4096);
		errno = 0;
		ret = ioctl(fd, cmds[i].cmd, arg);
		EXPECT_EQ(-1, ret)
			TH_LOG("%s on the %s fd succeeded", cmds[i].name,
			       fd_name);
		EXPECT_EQ(ENOTTY, errno)
			TH_LOG("%s on the %s fd: %s", cmds[i].name, fd_name,
			       strerror(errno));
	}
}

TEST_F(vm, wrong_fd_kind)
{
	void *arg = self->scratch;
	int vm_fd_count_before;

	expect_enotty_all(_metadata, self->sys_fd, "system", vm_commands,
			  ARRAY_SIZE(vm_commands), arg);
	expect_enotty_all(_metadata, self->sys_fd, "system", vcpu_commands,
			  ARRAY_SIZE(vcpu_commands), arg);
	expect_enotty_all(_metadata, self->sys_fd, "system", ring_commands,
			  ARRAY_SIZE(ring_commands), arg);

	expect_enotty_all(_metadata, self->vm_fd, "VM", sys_commands,
			  ARRAY_SIZE(sys_commands), arg);
	expect_enotty_all(_metadata, self->vm_fd, "VM", vcpu_commands,
			  ARRAY_SIZE(vcpu_commands), arg);
	expect_enotty_all(_metadata, self->vm_fd, "VM", ring_commands,
			  ARRAY_SIZE(ring_commands), arg);

	expect_enotty_all(_metadata, self->vcpu_fd, "vCPU", sys_commands,
			  ARRAY_SIZE(sys_commands), arg);
	expect_enotty_all(_metadata, self->vcpu_fd, "vCPU", vm_commands,
			  ARRAY_SIZE(vm_commands), arg);
	expect_enotty_all(_metadata, self->vcpu_fd, "vCPU", ring_commands,
			  ARRAY_SIZE(ring_commands), arg);
	expect_enotty_all(_metadata, self->vcpu_fd, "vCPU", sys_and_vm_commands,
			  ARRAY_SIZE(sys_and_vm_commands), arg);

	expect_enotty_all(_metadata, self->ring_fd, "ring", sys_commands,
			  ARRAY_SIZE(sys_commands), arg);
	expect_enotty_all(_metadata, self->ring_fd, "ring", vm_commands,
			  ARRAY_SIZE(vm_commands), arg);
	expect_enotty_all(_metadata, self->ring_fd, "ring", vcpu_commands,
			  ARRAY_SIZE(vcpu_commands), arg);
	expect_enotty_all(_metadata, self->ring_fd, "ring", sys_and_vm_commands,
			  ARRAY_SIZE(sys_and_vm_commands), arg);

	/* The fds still work for their own commands afterwards. */
	vm_fd_count_before = ioctl(self->sys_fd, HVM_GET_API_VERSION, 0);
	EXPECT_EQ(HVM_API_VERSION, vm_fd_count_before);
	memset(arg, 0, sizeof(struct hvm_regs));
	EXPECT_EQ(0, ioctl(self->vcpu_fd, HVM_GET_REGS, arg));
}

TEST_F(vm, unknown_commands)
{
	static const unsigned long unknown[] = {
		_IO(HVMIO, 0x7f),
		_IO(HVMIO, 0xff),
		_IO(HVMIO, 0x05),	/* next to the system commands */
		_IO(HVMIO, 0x18),	/* next to the VM commands */
		_IO(HVMIO, 0x28),	/* next to the vCPU commands */
		_IO(HVMIO, 0x33),	/* next to the ring commands */
		/*
		 * Known numbers with the wrong size or direction (the size
		 * of HVM_GET_CAPS is not checked: hvm_caps.size is).
		 */
		_IOW(HVMIO, 0x04, __u64),
		_IOR(HVMIO, 0x01, struct hvm_caps),
		_IOW(HVMIO, 0x10, __u64),
		_IOW(HVMIO, 0x22, struct hvm_sregs),
		_IOR(HVMIO, 0x21, struct hvm_sregs),
		_IOW(HVMIO, 0x31, __u64),
		/* Somebody else's ioctl type. */
		_IO('x', 0x00),
		_IOWR(0xAE, 0x80, __u64),
	};
	const int fds[] = { self->sys_fd, self->vm_fd, self->vcpu_fd,
			    self->ring_fd };
	const char *const fd_names[] = { "system", "VM", "vCPU", "ring" };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		for (j = 0; j < ARRAY_SIZE(unknown); j++) {
			memset(self->scratch, 0, sizeof(self->scratch));
			errno = 0;
			EXPECT_EQ(-1, ioctl(fds[i], unknown[j], self->scratch))
				TH_LOG("cmd %#lx accepted on the %s fd",
				       unknown[j], fd_names[i]);
			EXPECT_EQ(ENOTTY, errno)
				TH_LOG("cmd %#lx on the %s fd: %s", unknown[j],
				       fd_names[i], strerror(errno));
		}
	}
}

static int set_slot(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, uint64_t hva)
{
	struct hvm_memory_slot s = {
		.slot = slot, .flags = flags, .guest_phys = gpa, .size = size,
		.userspace_addr = hva,
	};

	return ioctl(vm_fd, HVM_SET_MEMORY_SLOT, &s) ? -errno : 0;
}

/*
 * A slot over memory the process cannot use is refused at once.  If the
 * kernel wrongly accepts it, delete it so later checks stay independent.
 */
static void expect_unusable_hva(struct __test_metadata *_metadata,
				int vm_fd, uint64_t size, uint64_t hva,
				const char *what)
{
	int ret = set_slot(vm_fd, 0, 0, 0, size, hva);

	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)
		TH_LOG("%s userspace_addr: %s", what,
		       ret ? strerror(-ret) : "accepted");
	if (ret == 0)
		set_slot(vm_fd, 0, 0, 0, 0, 0);
}

TEST_F(vm, slot_errors)
{
	const uint64_t hva = (uintptr_t)self->mem;
	int ret;

	/* Malformed. */
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, 0x1001, 0x1000, hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, 0x1000, 0x1001, hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, 0x1000, 0x1000,
				    hva + 1));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, HVM_MAX_SLOTS, 0, 0, 0x1000,
				    hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0xffffffff, 0, 0, 0x1000,
				    hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 1U << 31, 0, 0x1000,
				    hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, HVM_MAX_GPA, 0x1000,
				    hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, HVM_MAX_GPA - 0x1000,
				    0x2000, hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, ~0xfffULL, 0x2000,
				    hva));
	EXPECT_EQ(-EINVAL, set_slot(self->vm_fd, 0, 0, 0x1000, ~0xfffULL,
				    hva));

	/* Unusable memory: -EINVAL or -EFAULT per api.rst. */
	expect_unusable_hva(_metadata, self->vm_fd, 0x1000, 0, "NULL");
	expect_unusable_hva(_metadata, self->vm_fd, 0x1000,
			    (uintptr_t)KERNEL_POINTER, "kernel");
	expect_unusable_hva(_metadata, self->vm_fd, 0x2000, ~0xfffULL,
			    "wrapping");

	/* The last page below HVM_MAX_GPA is fine. */
	EXPECT_EQ(0, set_slot(self->vm_fd, 5, 0, HVM_MAX_GPA - 0x1000, 0x1000,
			      hva));
	EXPECT_EQ(0, set_slot(self->vm_fd, 5, 0, 0, 0, 0));

	/* Overlaps: inside, enclosing, partial; adjacent is fine. */
	ASSERT_EQ(0, set_slot(self->vm_fd, 0, 0, 0x100000, 0x8000, hva));
	EXPECT_EQ(-EEXIST, set_slot(self->vm_fd, 1, 0, 0x104000, 0x1000,
				    hva));
	EXPECT_EQ(-EEXIST, set_slot(self->vm_fd, 1, 0, 0xf0000, 0x20000,
				    hva));
	EXPECT_EQ(-EEXIST, set_slot(self->vm_fd, 1, 0, 0x107000, 0x2000,
				    hva));
	EXPECT_EQ(-EEXIST, set_slot(self->vm_fd, 1, 0, 0xff000, 0x2000,
				    hva));
	EXPECT_EQ(0, set_slot(self->vm_fd, 1, 0, 0x108000, 0x8000,
			      hva + 0x8000));
	EXPECT_EQ(0, set_slot(self->vm_fd, 2, HVM_MEM_READONLY, 0xf8000,
			      0x8000, hva));

	/* A used index cannot be moved or resized in place. */
	ret = set_slot(self->vm_fd, 0, 0, 0x200000, 0x1000, hva);
	EXPECT_TRUE(ret == -EEXIST || ret == -EINVAL)
		TH_LOG("moving used slot 0: %s", strerror(-ret));

	/* Delete, then the range and the index are free again. */
	EXPECT_EQ(0, set_slot(self->vm_fd, 0, 0, 0, 0, 0));
	EXPECT_EQ(0, set_slot(self->vm_fd, 3, 0, 0x104000, 0x1000, hva));
	EXPECT_EQ(0, set_slot(self->vm_fd, 0, 0, 0x200000, 0x1000, hva));
}

static int create_vcpu(int vm_fd, unsigned long id)
{
	int fd = ioctl(vm_fd, HVM_CREATE_VCPU, id);

	return fd < 0 ? -errno : fd;
}

TEST_F_TIMEOUT(vm, vcpu_ids, 120)
{
	int fds[HVM_MAX_VCPUS];
	unsigned int id;

	fds[0] = self->vcpu_fd;
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, HVM_MAX_VCPUS));
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, 0xffffffffUL));
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, 1UL << 32));
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, (1UL << 32) | 1));
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, -1UL));
	EXPECT_EQ(-EEXIST, create_vcpu(self->vm_fd, 0));

	for (id = 1; id < HVM_MAX_VCPUS; id++) {
		fds[id] = create_vcpu(self->vm_fd, id);
		ASSERT_LE(0, fds[id])
			TH_LOG("vCPU %u: %s", id, strerror(-fds[id]));
	}
	EXPECT_EQ(-EEXIST, create_vcpu(self->vm_fd, HVM_MAX_VCPUS - 1));
	EXPECT_EQ(-EINVAL, create_vcpu(self->vm_fd, HVM_MAX_VCPUS));
	for (id = 1; id < HVM_MAX_VCPUS; id++)
		close(fds[id]);
}

static struct hvm_cpuid *alloc_cpuid(uint32_t nent)
{
	struct hvm_cpuid *cpuid;
	uint32_t i;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return NULL;
	cpuid->nent = nent;
	for (i = 0; i < nent; i++)
		cpuid->entries[i].function = i;
	return cpuid;
}

TEST_F(vm, cpuid_errors)
{
	struct hvm_cpuid *cpuid;
	uint8_t *pages;
	int ret;

	cpuid = alloc_cpuid(HVM_MAX_CPUID_ENTRIES + 1);
	ASSERT_NE(NULL, cpuid);
	ASSERT_IOCTL_ERRNO(E2BIG, self->vm_fd, HVM_SET_CPUID, cpuid);
	cpuid->nent = 0xffffffff;
	ASSERT_IOCTL_ERRNO(E2BIG, self->vm_fd, HVM_SET_CPUID, cpuid);

	cpuid->nent = HVM_MAX_CPUID_ENTRIES;
	ret = ioctl(self->vm_fd, HVM_SET_CPUID, cpuid);
	EXPECT_EQ(0, ret) TH_LOG("full table: %s", strerror(errno));

	cpuid->nent = 1;
	cpuid->entries[0].flags = 1U << 31;
	ASSERT_IOCTL_ERRNO(EINVAL, self->vm_fd, HVM_SET_CPUID, cpuid);
	free(cpuid);

	/* Header readable, entries run into a PROT_NONE page. */
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + 4096, 4096, PROT_NONE));
	cpuid = (struct hvm_cpuid *)(pages + 4096 - sizeof(*cpuid) -
				     sizeof(cpuid->entries[0]));
	cpuid->nent = 2;
	ASSERT_IOCTL_ERRNO(EFAULT, self->vm_fd, HVM_SET_CPUID, cpuid);
	munmap(pages, 2 * 4096);
}

TEST_F(vm, bad_pointers)
{
	static void *const bad[] = { (void *)1, KERNEL_POINTER };
	const struct {
		const char *name;
		int fd;
		unsigned long cmd;
	} cmds[] = {
		{ "HVM_GET_CAPS", self->sys_fd, HVM_GET_CAPS },
		{ "HVM_SET_MEMORY_SLOT", self->vm_fd, HVM_SET_MEMORY_SLOT },
		{ "HVM_SET_CPUID", self->vm_fd, HVM_SET_CPUID },
		{ "HVM_GET_DIRTY_LOG", self->vm_fd, HVM_GET_DIRTY_LOG },
		{ "HVM_GET_MEMORY_STATS", self->vm_fd, HVM_GET_MEMORY_STATS },
		{ "HVM_GET_REGS", self->vcpu_fd, HVM_GET_REGS },
		{ "HVM_SET_REGS", self->vcpu_fd, HVM_SET_REGS },
		{ "HVM_GET_SREGS", self->vcpu_fd, HVM_GET_SREGS },
		{ "HVM_SET_SREGS", self->vcpu_fd, HVM_SET_SREGS },
		{ "HVM_RING_ADD_POSTED", self->ring_fd, HVM_RING_ADD_POSTED },
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			errno = 0;
			EXPECT_EQ(-1, ioctl(cmds[i].fd, cmds[i].cmd, bad[j]))
				TH_LOG("%s(%p) succeeded", cmds[i].name,
				       bad[j]);
			EXPECT_EQ(EFAULT, errno)
				TH_LOG("%s(%p): %s", cmds[i].name, bad[j],
				       strerror(errno));
		}
	}
}

static int add_posted(int ring_fd, uint32_t space, uint32_t reserved,
		      uint64_t base, uint64_t size)
{
	struct hvm_posted_range range = {
		.space = space, .reserved = reserved, .base = base,
		.size = size,
	};

	return ioctl(ring_fd, HVM_RING_ADD_POSTED, &range) ? -errno : 0;
}

TEST_F(vm, posted_range_errors)
{
	EXPECT_EQ(-EINVAL, add_posted(self->ring_fd, 2, 0, 0xe8, 4));
	EXPECT_EQ(-EINVAL, add_posted(self->ring_fd, HVM_IO_PIO, 0, 0xe8, 0));
	EXPECT_EQ(-EINVAL, add_posted(self->ring_fd, HVM_IO_PIO, 1, 0xe8, 4));
	EXPECT_EQ(-EINVAL, add_posted(self->ring_fd, HVM_IO_PIO, 0, 0xfffe,
				      4));
	EXPECT_EQ(-EINVAL, add_posted(self->ring_fd, HVM_IO_MMIO, 0,
				      ~0xfffULL, 0x2000));
	EXPECT_EQ(0, add_posted(self->ring_fd, HVM_IO_PIO, 0, 0xe8, 4));
	EXPECT_EQ(0, add_posted(self->ring_fd, HVM_IO_MMIO, 0, GUEST_MMIO_GPA,
				0x1000));
}

/*
 * The child reports the errno of each use of the parent's fds through a
 * pipe, so that the assertions run in the parent.
 */
TEST_F(vm, other_process)
{
	const char *const what[] = {
		"HVM_CREATE_VCPU", "HVM_SET_MEMORY_SLOT", "HVM_SET_CPUID",
		"HVM_RUN", "HVM_GET_REGS", "HVM_CREATE_RING",
	};
	int results[ARRAY_SIZE(what)];
	int pipe_fds[2], status;
	size_t i;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipe_fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct hvm_memory_slot slot = {
			.size = 0x1000, .userspace_addr = (uintptr_t)self->mem,
		};
		struct hvm_cpuid cpuid = { .nent = 0 };
		struct hvm_regs regs;
		int ret[ARRAY_SIZE(what)];

		ret[0] = ioctl(self->vm_fd, HVM_CREATE_VCPU, 1) < 0 ? errno : 0;
		ret[1] = ioctl(self->vm_fd, HVM_SET_MEMORY_SLOT, &slot) < 0 ?
			 errno : 0;
		ret[2] = ioctl(self->vm_fd, HVM_SET_CPUID, &cpuid) < 0 ?
			 errno : 0;
		ret[3] = ioctl(self->vcpu_fd, HVM_RUN, 0) < 0 ? errno : 0;
		ret[4] = ioctl(self->vcpu_fd, HVM_GET_REGS, &regs) < 0 ?
			 errno : 0;
		ret[5] = ioctl(self->vm_fd, HVM_CREATE_RING, 0) < 0 ?
			 errno : 0;
		_exit(write(pipe_fds[1], ret, sizeof(ret)) == sizeof(ret) ?
		      0 : 1);
	}
	close(pipe_fds[1]);
	ASSERT_EQ((ssize_t)sizeof(results), read(pipe_fds[0], results, sizeof(results)));
	close(pipe_fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	for (i = 0; i < ARRAY_SIZE(what); i++) {
		const char *name = what[i];
		int err = results[i];

		EXPECT_EQ(EIO, err)
			TH_LOG("%s from another process: %s", name,
			       strerror(err));
	}
	/* The creator can still use them. */
	EXPECT_LE(0, create_vcpu(self->vm_fd, 1));
}

TEST_HARNESS_MAIN
