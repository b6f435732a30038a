// SPDX-License-Identifier: GPL-2.0
/*
 * System fd basics.
 *
 * api_version: HVM_GET_API_VERSION returns HVM_API_VERSION.
 * caps: HVM_GET_CAPS reports the vendor of the CPU we run on (from
 *   /proc/cpuinfo: AMD in the lab), nested paging, the per-VM limits of the
 *   uapi header, a usable ring geometry, and zeroes in reserved fields (no
 *   kernel stack contents leak to userspace).
 * caps_bad_size: a size below HVM_CAPS_SIZE_V1 or above HVM_CAPS_SIZE_MAX
 *   is -EINVAL and leaves the caller's buffer untouched.
 * caps_v1_size: a caller built against version 1 (size HVM_CAPS_SIZE_V1)
 *   gets the version-1 fields and learns the module's size.
 * caps_larger: a newer caller (larger structure, so another size in the
 *   ioctl number) gets every field this module knows, zeroes after them,
 *   and size = what the module knows.
 * check_extension: every HVM_EXT_* of the header is supported, with the
 *   value api.rst gives, on the system fd and the VM fd; unknown numbers
 *   return 0, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

FIXTURE(sys) {
	int fd;
};

FIXTURE_SETUP(sys)
{
	self->fd = open(HVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", HVM_DEVICE_PATH,
				      strerror(errno));
}

FIXTURE_TEARDOWN(sys)
{
	if (self->fd >= 0)
		close(self->fd);
}

static enum hvm_vendor host_vendor(void)
{
	enum hvm_vendor vendor = HVM_VENDOR_NONE;
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	char line[256];

	if (!cpuinfo)
		return HVM_VENDOR_NONE;
	while (fgets(line, sizeof(line), cpuinfo)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "AuthenticAMD"))
			vendor = HVM_VENDOR_AMD;
		else if (strstr(line, "GenuineIntel"))
			vendor = HVM_VENDOR_INTEL;
		break;
	}
	fclose(cpuinfo);
	return vendor;
}

TEST_F(sys, api_version)
{
	EXPECT_EQ(HVM_API_VERSION, ioctl(self->fd, HVM_GET_API_VERSION, 0));
}

TEST_F(sys, caps)
{
	struct hvm_caps caps;
	unsigned int i;

	memset(&caps, 0xa5, sizeof(caps));
	caps.size = sizeof(caps);
	ASSERT_EQ(0, ioctl(self->fd, HVM_GET_CAPS, &caps))
		TH_LOG("HVM_GET_CAPS: %s", strerror(errno));

	EXPECT_EQ(sizeof(caps), caps.size);
	EXPECT_EQ(host_vendor(), caps.vendor);
	EXPECT_TRUE(!!(caps.features & HVM_CAP_NESTED_PAGING));
	if (caps.vendor == HVM_VENDOR_AMD)
		EXPECT_EQ(0U, caps.features &
			  (HVM_CAP_VPID | HVM_CAP_UNRESTRICTED));
	EXPECT_EQ(0U, caps.features & ~((HVM_CAP_PAUSE_EXITS << 1) - 1));
	EXPECT_LT(0U, caps.nr_asids);
	EXPECT_EQ((__u32)HVM_MAX_VCPUS, caps.max_vcpus);
	EXPECT_EQ((__u32)HVM_MAX_SLOTS, caps.max_slots);
	EXPECT_EQ((__u32)HVM_MAX_CPUID_ENTRIES, caps.max_cpuid_entries);
	EXPECT_EQ(caps.max_vcpus, caps.ring_slots);
	EXPECT_LT(0U, caps.ring_posted_entries);
	EXPECT_EQ(0U, caps.ring_posted_entries & (caps.ring_posted_entries - 1))
		TH_LOG("ring_posted_entries %u is not a power of two",
		       caps.ring_posted_entries);
	EXPECT_EQ(HVM_MAX_GPA, caps.max_gpa);
	EXPECT_EQ(0U, caps.reserved0);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, caps.reserved[i]);
}

TEST_F(sys, caps_bad_size)
{
	static const uint32_t bad_sizes[] = {
		0, 4, HVM_CAPS_SIZE_V1 - 1, HVM_CAPS_SIZE_MAX + 1, 0xffffffff,
	};
	struct hvm_caps caps;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		memset(&caps, 0, sizeof(caps));
		caps.size = bad_sizes[i];
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, HVM_GET_CAPS, &caps))
			TH_LOG("size %u accepted", bad_sizes[i]);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("size %u: %s", bad_sizes[i], strerror(errno));
		EXPECT_EQ(bad_sizes[i], caps.size);
		EXPECT_EQ((__u32)HVM_VENDOR_NONE, caps.vendor);
	}
}

TEST_F(sys, caps_v1_size)
{
	struct hvm_caps caps, full;

	memset(&caps, 0xa5, sizeof(caps));
	caps.size = HVM_CAPS_SIZE_V1;
	ASSERT_EQ(0, ioctl(self->fd, HVM_GET_CAPS, &caps))
		TH_LOG("size %u: %s", HVM_CAPS_SIZE_V1, strerror(errno));
	EXPECT_EQ(sizeof(struct hvm_caps), caps.size);
	ASSERT_EQ(0, hvm_get_caps(self->fd, &full));
	EXPECT_EQ(0, memcmp(&full, &caps, HVM_CAPS_SIZE_V1));
}

/* What a program built against a later, larger struct hvm_caps sends. */
#define CAPS_NEWER_SIZE		256
#define HVM_GET_CAPS_NEWER	_IOC(_IOC_READ | _IOC_WRITE, HVMIO, \
				     _IOC_NR(HVM_GET_CAPS), CAPS_NEWER_SIZE)

TEST_F(sys, caps_larger)
{
	uint8_t buf[CAPS_NEWER_SIZE + 16];
	struct hvm_caps full;
	uint32_t size = CAPS_NEWER_SIZE;
	unsigned int i;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &size, sizeof(size));
	ASSERT_EQ(0, ioctl(self->fd, HVM_GET_CAPS_NEWER, buf))
		TH_LOG("size %u: %s", size, strerror(errno));
	memcpy(&size, buf, sizeof(size));
	EXPECT_EQ(sizeof(struct hvm_caps), size);

	ASSERT_EQ(0, hvm_get_caps(self->fd, &full));
	EXPECT_EQ(0, memcmp(&full, buf, sizeof(full)));
	for (i = sizeof(full); i < CAPS_NEWER_SIZE; i++)
		ASSERT_EQ(0, buf[i]) TH_LOG("byte %u not zeroed", i);
	/* Nothing past the size the caller gave. */
	for (i = CAPS_NEWER_SIZE; i < sizeof(buf); i++)
		ASSERT_EQ(0xa5, buf[i]) TH_LOG("byte %u written", i);

	/* The largest size accepted, through the header's own number. */
	{
		uint8_t *big = calloc(1, HVM_CAPS_SIZE_MAX);

		ASSERT_NE(NULL, big);
		memset(big, 0xa5, HVM_CAPS_SIZE_MAX);
		size = HVM_CAPS_SIZE_MAX;
		memcpy(big, &size, sizeof(size));
		EXPECT_EQ(0, ioctl(self->fd, HVM_GET_CAPS, big));
		EXPECT_EQ(0, big[HVM_CAPS_SIZE_MAX - 1]);
		free(big);
	}
}

TEST_F(sys, check_extension)
{
	static const unsigned long unknown[] = {
		0, 0x7fff, 0xffffffffUL, ~0UL,
	};
	struct hvm_vm_handle vm;
	struct hvm_caps caps;
	unsigned int i;
	struct {
		const char *name;
		unsigned long ext;
		long value;
	} known[] = {
		{ "HVM_EXT_CAPS_SIZE", HVM_EXT_CAPS_SIZE,
		  sizeof(struct hvm_caps) },
		{ "HVM_EXT_MAX_VCPUS", HVM_EXT_MAX_VCPUS, HVM_MAX_VCPUS },
		{ "HVM_EXT_MAX_SLOTS", HVM_EXT_MAX_SLOTS, HVM_MAX_SLOTS },
		{ "HVM_EXT_READONLY_MEM", HVM_EXT_READONLY_MEM, 1 },
		{ "HVM_EXT_RING", HVM_EXT_RING, 0 },
		{ "HVM_EXT_POSTED_WRITES", HVM_EXT_POSTED_WRITES, 0 },
		{ "HVM_EXT_SUPPORTED_CPUID", HVM_EXT_SUPPORTED_CPUID,
		  HVM_MAX_CPUID_ENTRIES },
		{ "HVM_EXT_GET_CPUID", HVM_EXT_GET_CPUID, 1 },
		{ "HVM_EXT_DEBUGREGS", HVM_EXT_DEBUGREGS, 1 },
		{ "HVM_EXT_DIRTY_LOG", HVM_EXT_DIRTY_LOG, 1 },
		{ "HVM_EXT_LARGEST_LEAF", HVM_EXT_LARGEST_LEAF, 0 },
		{ "HVM_EXT_MEMORY_STATS", HVM_EXT_MEMORY_STATS, 1 },
	};
	long leaf;

	ASSERT_EQ(0, hvm_get_caps(self->fd, &caps));
	known[4].value = caps.ring_slots;
	known[5].value = caps.ring_posted_entries;
	/* 2 MiB leaves on every CPU the labs emulate; 1 GiB where offered. */
	leaf = ioctl(self->fd, HVM_CHECK_EXTENSION, HVM_EXT_LARGEST_LEAF);
	EXPECT_TRUE(leaf == 2048 || leaf == 1024 * 1024)
		TH_LOG("HVM_EXT_LARGEST_LEAF: %ld KiB", leaf);
	known[10].value = leaf;
	ASSERT_EQ(0, hvm_vm_create(&vm));
	for (i = 0; i < ARRAY_SIZE(known); i++) {
		EXPECT_EQ(known[i].value, ioctl(self->fd, HVM_CHECK_EXTENSION,
						known[i].ext))
			TH_LOG("%s on the system fd: %s", known[i].name,
			       strerror(errno));
		EXPECT_EQ(known[i].value, ioctl(vm.vm_fd, HVM_CHECK_EXTENSION,
						known[i].ext))
			TH_LOG("%s on the VM fd: %s", known[i].name,
			       strerror(errno));
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_EQ(0, ioctl(self->fd, HVM_CHECK_EXTENSION, unknown[i]))
			TH_LOG("extension %#lx: %s", unknown[i],
			       strerror(errno));
		EXPECT_EQ(0, ioctl(vm.vm_fd, HVM_CHECK_EXTENSION, unknown[i]))
			TH_LOG("extension %#lx on the VM fd: %s", unknown[i],
			       strerror(errno));
	}
	hvm_vm_close(&vm);
}

TEST_HARNESS_MAIN
