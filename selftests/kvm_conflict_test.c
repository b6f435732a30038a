// SPDX-License-Identifier: GPL-2.0
/*
 * Another hypervisor holding SVM/VMX: hvm must refuse, not share.
 *
 * kvm_holds_the_cpu: loads Debian's kvm modules (shipped next to the test
 *   by selftests/Makefile), creates a KVM VM so that KVM switches SVM/VMX
 *   on, and checks that HVM_CREATE_VM then fails with EBUSY and that
 *   dmesg names the reason.  Once the KVM VM is gone and kvm_amd /
 *   kvm_intel is unloaded, hvm creates VMs again.  The kvm modules are
 *   unloaded at the end, whatever happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

#define KVM_CREATE_VM_IOCTL	_IO(0xAE, 0x01)
#define KLOG_SIZE		(1 << 20)

static bool dmesg_has(const char *needle)
{
	static char buf[KLOG_SIZE];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

FIXTURE(kvm) {
	const struct kmod *mods;
	size_t nr_mods;
	int kvm_fd;
	int kvm_vm;
};

FIXTURE_SETUP(kvm)
{
	struct hvm_caps caps = { .size = sizeof(caps) };
	int sys = hvm_open();

	self->kvm_fd = -1;
	self->kvm_vm = -1;
	ASSERT_LE(0, sys);
	ASSERT_EQ(0, hvm_get_caps(sys, &caps));
	close(sys);
	self->nr_mods = kvm_modules(caps.vendor == HVM_VENDOR_AMD,
				    &self->mods);
}

FIXTURE_TEARDOWN(kvm)
{
	size_t i;

	if (self->kvm_vm >= 0)
		close(self->kvm_vm);
	if (self->kvm_fd >= 0)
		close(self->kvm_fd);
	for (i = self->nr_mods; i-- > 0;)
		kmod_unload(self->mods[i].name);
}

TEST_F(kvm, kvm_holds_the_cpu)
{
	struct hvm_vm_handle vm;
	size_t i;
	int ret;

	/*
	 * KVM itself, on the KASAN/lockdep kernel under TCG, stalled RCU and
	 * left kmemleak reports: the refusal is checked in the other labs.
	 */
	if (access("/proc/lockdep_stats", F_OK) == 0)
		SKIP(return, "KVM is not exercised under the debug kernel");
	for (i = 0; i < self->nr_mods; i++) {
		ret = kmod_load(&self->mods[i]);
		if (ret == -ENOENT && self->mods[i].optional)
			continue;
		if (ret == -ENOENT)
			SKIP(return, "no %s.ko for this kernel", self->mods[i].name);
		ASSERT_EQ(0, ret) TH_LOG("loading %s.ko: %s",
					 self->mods[i].name, strerror(-ret));
	}

	self->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->kvm_fd) TH_LOG("/dev/kvm: %s", strerror(errno));
	self->kvm_vm = ioctl(self->kvm_fd, KVM_CREATE_VM_IOCTL, 0);
	ASSERT_LE(0, self->kvm_vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));

	/* KVM switched the CPUs on: hvm must not take them over. */
	ret = hvm_vm_create(&vm);
	if (!ret)
		hvm_vm_close(&vm);
	ASSERT_EQ(-EBUSY, ret) TH_LOG("HVM_CREATE_VM under KVM: %s",
				       strerror(-ret));
	EXPECT_TRUE(dmesg_has("in use by another hypervisor"));

	/* KVM gone: hvm works again. */
	close(self->kvm_vm);
	self->kvm_vm = -1;
	close(self->kvm_fd);
	self->kvm_fd = -1;
	kmod_unload(self->mods[self->nr_mods - 1].name);
	ret = hvm_vm_create(&vm);
	ASSERT_EQ(0, ret) TH_LOG("HVM_CREATE_VM after KVM left: %s",
				 strerror(-ret));
	hvm_vm_close(&vm);
}

TEST_HARNESS_MAIN
