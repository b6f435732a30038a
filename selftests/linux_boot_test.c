// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-run boots Debian's own kernel (the lab's, ../guests/linux/vmlinuz)
 * with the lab's Linux guest initramfs (selftests/lab/linux-guest), as a
 * user would: `hvm-run --kernel ... --initrd ... --cpus N`.  The guest's
 * /init prints "@@hvm-guest: up cpus=N hypervisor=H uptime=S" and powers
 * off.
 *
 * one_vcpu, two_vcpus: the marker appears on hvm-run's stdout, the guest
 *   saw every vCPU online (the MADT lists them, the APs came up through
 *   INIT/SIPI), /proc/cpuinfo shows the hypervisor flag, and the ACPI
 *   power-off ended hvm-run with status 0.
 *
 * reboot: with hvm_guest=reboot on the command line /init reboots instead;
 *   Linux resets through the FADT's reset register and hvm-run exits with
 *   its reboot status, 3.
 *
 * kvm_two_vcpus: the same boot as two_vcpus with `hvm-run --backend kvm`:
 *   hvm.ko out, KVM's modules in (the bench's way, test_util.c), the same
 *   marker, CPU count, hypervisor flag and power-off status from the same
 *   loader and devices over /dev/kvm; then KVM out and hvm.ko back in,
 *   also when the boot failed.  SKIP without KVM's modules, under the
 *   debug kernel (as kvm_conflict_test) and in the VMX lab, where a
 *   second Linux boot under Bochs would add minutes to make check.
 *
 * A boot takes about 2 minutes of Bochs time (the VMX lab), where make
 * check's longest lane runs: there one_vcpu and two_vcpus run, so that
 * make check boots Linux with 1 and 2 vCPUs on both vendors; reboot
 * differs from one_vcpu only in userspace paths that are the same on
 * both vendors, and runs in the SVM lab alone.  Under the debug kernel
 * (make check-debug) only two_vcpus runs, and only in the SVM lab: a
 * Linux boot would add minutes to the Bochs debug lab, which still runs
 * the APIC tests.
 *
 * SKIP when the module has no in-kernel APIC (HVM_EXT_IRQCHIP 0: a Linux
 * guest cannot get timer interrupts) or the guest files were not built.
 * A boot takes seconds in the QEMU lab and minutes under Bochs, whose
 * guest clock runs slow: the limit is generous (600 s).
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "kmem_check.h"

#define GUEST_KERNEL	"../guests/linux/vmlinuz"
#define GUEST_INITRD	"../guests/linux/initramfs.cpio.gz"
#define GUEST_MARKER	"@@hvm-guest: up "
#define BOOT_TIMEOUT	600

FIXTURE(linux_guest) {
	struct cmd_result r;
	bool kvm_loaded;
};

FIXTURE_SETUP(linux_guest)
{
}

/* hvm.ko back for the tests after this one, whatever the test did. */
FIXTURE_TEARDOWN(linux_guest)
{
	int ret;

	if (!self->kvm_loaded)
		return;
	ret = kvm_switch_back();
	if (ret)
		TH_LOG("loading %s again: %s", LAB_HVM_KO, strerror(-ret));
}

#define STATUS_REBOOT	3

static void boot(struct __test_metadata *_metadata, struct cmd_result *r,
		 unsigned int cpus, bool reboot, const char *backend)
{
	char cpus_arg[16];
	char *argv[] = {
		"hvm-run", "--kernel", GUEST_KERNEL, "--initrd", GUEST_INITRD,
		"--mem", "256M", "--cpus", cpus_arg, "--stats",
		"--backend", (char *)backend,
		reboot ? "--append" : NULL, "hvm_guest=reboot", NULL,
	};
	double start = now_seconds();
	const char *marker;
	int seen_cpus = -1, hypervisor = -1;
	long irqchip;

	if (kmem_debug_kernel() && (cpus != 2 || reboot || !cpu_is_amd()))
		SKIP(return, "debug kernel: one boot, 2 vCPUs, SVM lab only (CI time)");
	if (!cpu_is_amd() && reboot)
		SKIP(return, "VMX (Bochs) lab: no reboot case (make check time)");
	if (access(GUEST_KERNEL, R_OK) || access(GUEST_INITRD, R_OK))
		SKIP(return, "the Linux guest was not built (make linux-guest)");
	/* KVM's APICs are in the kernel whatever hvm.ko has. */
	irqchip = strcmp(backend, "hvm") ? 1 : vm_extension(HVM_EXT_IRQCHIP);
	ASSERT_NE(-ENOENT, irqchip);
	if (irqchip <= 0)
		SKIP(return, "no in-kernel APIC (HVM_EXT_IRQCHIP): Linux gets no timer");

	snprintf(cpus_arg, sizeof(cpus_arg), "%u", cpus);
	ASSERT_EQ(0, run_cmd(argv, BOOT_TIMEOUT, r));
	/* The numbers for testing.rst: boot time, exits (--stats). */
	TH_LOG("%u vCPUs on %s: hvm-run ran %.1f s; %s", cpus, backend,
	       now_seconds() - start, r->err);
	ASSERT_FALSE(r->timed_out) {
		TH_LOG("console so far:\n%s", r->out);
	}
	marker = strstr(r->out, GUEST_MARKER);
	ASSERT_NE(NULL, marker) {
		TH_LOG("no marker; status %d, console:\n%s", r->status, r->out);
	}
	ASSERT_EQ(2, sscanf(marker, GUEST_MARKER "cpus=%d hypervisor=%d",
			    &seen_cpus, &hypervisor));
	EXPECT_EQ((int)cpus, seen_cpus) {
		TH_LOG("console:\n%s", r->out);
	}
	EXPECT_EQ(1, hypervisor);
	EXPECT_EQ(reboot ? STATUS_REBOOT : 0, r->status) {
		TH_LOG("no clean %s; console:\n%s",
		       reboot ? "reboot" : "power-off", r->out);
	}
}

TEST_F_TIMEOUT(linux_guest, one_vcpu, BOOT_TIMEOUT + 30)
{
	boot(_metadata, &self->r, 1, false, "hvm");
}

TEST_F_TIMEOUT(linux_guest, two_vcpus, BOOT_TIMEOUT + 30)
{
	boot(_metadata, &self->r, 2, false, "hvm");
}

TEST_F_TIMEOUT(linux_guest, reboot, BOOT_TIMEOUT + 30)
{
	boot(_metadata, &self->r, 1, true, "hvm");
}

TEST_F_TIMEOUT(linux_guest, kvm_two_vcpus, BOOT_TIMEOUT + 60)
{
	const char *failed = "?";
	int ret;

	if (kmem_debug_kernel())
		SKIP(return, "KVM is not exercised under the debug kernel");
	if (!cpu_is_amd())
		SKIP(return, "VMX (Bochs) lab: no second Linux boot (make check time)");
	if (!have_kvm_modules())
		SKIP(return, "no KVM modules for this kernel");
	if (access(GUEST_KERNEL, R_OK) || access(GUEST_INITRD, R_OK))
		SKIP(return, "the Linux guest was not built (make linux-guest)");
	/* From here on the teardown puts hvm.ko back. */
	self->kvm_loaded = true;
	ret = kvm_switch_in(&failed);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", failed, strerror(-ret));
	boot(_metadata, &self->r, 2, false, "kvm");
}

TEST_HARNESS_MAIN
