// SPDX-License-Identifier: GPL-2.0
/*
 * System fd basics.
 *
 * api_version: HVM_GET_API_VERSION returns HVM_API_VERSION.
 * caps: HVM_GET_CAPS reports the vendor of the CPU we run on (from
 *   /proc/cpuinfo: AMD in the lab), nested paging, the per-VM limits of the
 *   uapi header, a usable ring geometry, and zeroes in reserved fields (no
 *   kernel stack contents leak to userspace).
 * caps_bad_size: a size other than sizeof(struct hvm_caps) is -EINVAL and
 *   leaves the caller's buffer untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
	EXPECT_EQ(0U, caps.features & ~((HVM_CAP_UNRESTRICTED << 1) - 1));
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
		0, 4, sizeof(struct hvm_caps) - 1, sizeof(struct hvm_caps) + 8,
		0xffffffff,
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

TEST_HARNESS_MAIN
