// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload.  Must run last: it unloads hvm.ko and loads it again.
 *
 * busy_then_unload_and_reload: while a VM fd is open (even after the
 *   /dev/hvm fd that created it is closed), and while only a /dev/hvm fd
 *   is open, the module is pinned (refcnt > 0) and
 *   delete_module("hvm", O_NONBLOCK) fails (EWOULDBLOCK: what Linux 6.1
 *   returns for a module in use; EBUSY is only for a module that is not
 *   live) and the module stays usable; once every fd is closed its
 *   refcnt is 0 and it unloads; then
 *   finit_module() of /hvm/hvm.ko loads it again and /dev/hvm answers
 *   HVM_GET_API_VERSION, so later users of the lab find it as before.
 *   The teardown reloads the module whatever happened.
 * failed_load_leaves_nothing: while the test module misc_fail.ko (built
 *   beside the tests) is loaded, misc_register() of "hvm" fails with
 *   EBUSY, after the backend's probe allocated its per-CPU pages.
 *   FAILED_LOADS loads of hvm.ko each fail with EBUSY, leave no module
 *   behind, and leave free memory (per-CPU free lists included) within
 *   FAILED_LOADS_TOL_KB of where it was.  A kernel misc_fail.ko was not
 *   built for (the debug lab) is a skip.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "kmem_check.h"

#define MODULE_NAME	"hvm"
#define MODULE_PATH	"/hvm/hvm.ko"
#define FAIL_NAME	"misc_fail"
#define FAIL_PATH	"/hvm/selftests/misc_fail.ko"
#define FAILED_LOADS	128
#define FAILED_LOADS_TOL_KB	512

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/" MODULE_NAME, &st) == 0;
}

/* devtmpfs creates the node asynchronously after the load. */
static int open_dev_hvm(double timeout)
{
	double deadline = now_seconds() + timeout;
	int fd;

	do {
		fd = open(HVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		usleep(10000);
	} while (now_seconds() < deadline);
	return fd < 0 ? -errno : fd;
}

FIXTURE(module) {
	int sys_fd;
	int vm_fd;
};

FIXTURE_SETUP(module)
{
	self->vm_fd = -1;
	self->sys_fd = open_dev_hvm(2);
	ASSERT_LE(0, self->sys_fd) TH_LOG("/dev/hvm: %s",
					  strerror(-self->sys_fd));
}

FIXTURE_TEARDOWN(module)
{
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->sys_fd >= 0)
		close(self->sys_fd);
	delete_module(FAIL_NAME, O_NONBLOCK);
	if (!module_loaded())
		load_module(MODULE_PATH);
}

TEST_F(module, busy_then_unload_and_reload)
{
	int fd, ret;

	ASSERT_TRUE(module_loaded());
	self->vm_fd = ioctl(self->sys_fd, HVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm_fd) TH_LOG("CREATE_VM: %s", strerror(errno));

	EXPECT_LT(0, hvm_module_refcnt());
	EXPECT_EQ(-EWOULDBLOCK, delete_module(MODULE_NAME, O_NONBLOCK));
	close(self->sys_fd);
	self->sys_fd = -1;
	EXPECT_LT(0, hvm_module_refcnt()) TH_LOG("a VM fd does not pin the module");
	EXPECT_EQ(-EWOULDBLOCK, delete_module(MODULE_NAME, O_NONBLOCK))
		TH_LOG("unloadable with only a VM fd open");
	ASSERT_TRUE(module_loaded());
	/* Still a working VM. */
	fd = ioctl(self->vm_fd, HVM_CREATE_VCPU, 0);
	EXPECT_LE(0, fd) TH_LOG("CREATE_VCPU: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	close(self->vm_fd);
	self->vm_fd = -1;

	self->sys_fd = open_dev_hvm(2);
	ASSERT_LE(0, self->sys_fd);
	EXPECT_LT(0, hvm_module_refcnt());
	EXPECT_EQ(-EWOULDBLOCK, delete_module(MODULE_NAME, O_NONBLOCK))
		TH_LOG("unloadable with /dev/hvm open");
	close(self->sys_fd);
	self->sys_fd = -1;
	EXPECT_EQ(0, hvm_module_refcnt()) TH_LOG("references left behind");

	ret = delete_module(MODULE_NAME, O_NONBLOCK);
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_FALSE(module_loaded());

	ret = load_module(MODULE_PATH);
	ASSERT_EQ(0, ret) TH_LOG("finit_module %s: %s", MODULE_PATH,
				 strerror(-ret));
	self->sys_fd = open_dev_hvm(5);
	ASSERT_LE(0, self->sys_fd) TH_LOG("/dev/hvm after reload: %s",
					  strerror(-self->sys_fd));
	EXPECT_EQ(HVM_API_VERSION,
		  ioctl(self->sys_fd, HVM_GET_API_VERSION, 0));
	self->vm_fd = ioctl(self->sys_fd, HVM_CREATE_VM, 0);
	EXPECT_LE(0, self->vm_fd) TH_LOG("CREATE_VM after reload: %s",
					 strerror(errno));
}

/* misc_register() calls misc_fail.ko refused, or -1. */
static long misc_fail_refused(void)
{
	FILE *f = fopen("/sys/module/" FAIL_NAME "/parameters/refused", "r");
	long refused = -1;

	if (f) {
		if (fscanf(f, "%ld", &refused) != 1)
			refused = -1;
		fclose(f);
	}
	return refused;
}

TEST_F_TIMEOUT(module, failed_load_leaves_nothing, 110)
{
	long before, after;
	double start;
	int i, ret;

	close(self->sys_fd);
	self->sys_fd = -1;
	ASSERT_EQ(0, hvm_module_refcnt_wait(0, 2000));
	ret = delete_module(MODULE_NAME, O_NONBLOCK);
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));

	ret = load_module(FAIL_PATH);
	if (ret)
		SKIP(return, "%s does not load here: %s", FAIL_PATH,
		     strerror(-ret));

	/* The first failures may fill caches that stay. */
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-EBUSY, load_module(MODULE_PATH));
	before = kmem_free_kb();
	ASSERT_LT(0, before);
	start = now_seconds();
	for (i = 0; i < FAILED_LOADS; i++) {
		ret = load_module(MODULE_PATH);
		ASSERT_EQ(-EBUSY, ret) TH_LOG("load %d: %s", i, strerror(-ret));
		ASSERT_FALSE(module_loaded());
	}
	after = kmem_free_kb();
	TH_LOG("%d failed loads in %.1fs: free memory %+ld kB",
	       FAILED_LOADS, now_seconds() - start, after - before);
	EXPECT_GE(FAILED_LOADS_TOL_KB, before - after)
		TH_LOG("about %ld bytes lost per failed load",
		       (before - after) * 1024 / FAILED_LOADS);
	EXPECT_EQ(FAILED_LOADS + 2, misc_fail_refused());

	ret = delete_module(FAIL_NAME, O_NONBLOCK);
	EXPECT_EQ(0, ret) TH_LOG("unloading %s: %s", FAIL_NAME,
				 strerror(-ret));
	ret = load_module(MODULE_PATH);
	ASSERT_EQ(0, ret) TH_LOG("finit_module %s: %s", MODULE_PATH,
				 strerror(-ret));
	self->sys_fd = open_dev_hvm(5);
	ASSERT_LE(0, self->sys_fd) TH_LOG("/dev/hvm after reload: %s",
					  strerror(-self->sys_fd));
}

TEST_HARNESS_MAIN
