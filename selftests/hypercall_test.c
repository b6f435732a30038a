// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercall exit (HVM_EXT_HYPERCALL).
 *
 * kernel_round_trip: a CPL 0 guest's VMMCALL (SVM) / VMCALL (VMX) exits
 *   with HVM_EXIT_HYPERCALL, nr = RAX and args = RBX, RCX, RDX, RSI, RIP
 *   past the instruction; the ret the test writes is what the guest's RAX
 *   holds afterwards, the other registers are the guest's.  A second call
 *   gets another ret, so a stale value cannot pass.
 * user_ud: at CPL 3 both VMMCALL and VMCALL raise #UD in the guest and
 *   never leave it as a hypercall.
 * extensions: HVM_EXT_HYPERCALL is 1; HVM_EXT_TSC_KHZ is the host's TSC
 *   rate (the lab kernel's tsc_khz, from its cpuinfo "cpu MHz" within 1%
 *   when it shows constant_tsc) and the same as the hypervisor leaf
 *   0x40000010 EAX of the default CPUID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "hypercall.h"

DECLARE_GUEST(hypercall_guest_kernel);
DECLARE_GUEST(hypercall_guest_user);

#define HC_INSN_LEN	3

FIXTURE(guest) {
	struct test_vm t;
};

FIXTURE_SETUP(guest)
{
	int fd = hvm_open();

	ASSERT_LE(0, fd);
	if (ioctl(fd, HVM_CHECK_EXTENSION, HVM_EXT_HYPERCALL) <= 0) {
		close(fd);
		SKIP(return, "no HVM_EXT_HYPERCALL");
	}
	close(fd);
}

FIXTURE_TEARDOWN(guest)
{
	test_vm_destroy(&self->t);
}

TEST_F(guest, kernel_round_trip)
{
	struct test_vm *t = &self->t;
	struct hvm_vcpu_handle *vcpu;
	struct hvm_run *run;
	uint64_t rip;

	ASSERT_EQ(0, test_vm_create(t, GUEST(hypercall_guest_kernel),
				    GUEST_MODE_LONG64));
	guest_set_param(t, HC_P_AMD, cpu_is_amd());
	vcpu = &t->vcpus[0];
	run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_HYPERCALL);
	EXPECT_EQ((uint64_t)HC_NR0, run->hypercall.nr);
	EXPECT_EQ((uint64_t)HC_ARG0, run->hypercall.args[0]);
	EXPECT_EQ((uint64_t)HC_ARG1, run->hypercall.args[1]);
	EXPECT_EQ((uint64_t)HC_ARG2, run->hypercall.args[2]);
	EXPECT_EQ((uint64_t)HC_ARG3, run->hypercall.args[3]);
	rip = run->regs.rip;
	run->hypercall.ret = 0xfeedface12345678ULL;

	RUN_EXPECT(vcpu, HVM_EXIT_HYPERCALL);
	EXPECT_EQ((uint64_t)HC_NR1, run->hypercall.nr);
	EXPECT_LT(rip, run->regs.rip) TH_LOG("RIP did not move on");
	run->hypercall.ret = 42;

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	ASSERT_EQ(1ULL, guest_result(t, HC_R_DONE));
	EXPECT_EQ(0xfeedface12345678ULL, guest_result(t, HC_R_RET0));
	EXPECT_EQ(42ULL, guest_result(t, HC_R_RET1));
	EXPECT_EQ((uint64_t)HC_ARG0, guest_result(t, HC_R_RBX));
	EXPECT_EQ((uint64_t)HC_ARG1, guest_result(t, HC_R_RCX));
	EXPECT_EQ((uint64_t)HC_ARG2, guest_result(t, HC_R_RDX));
	EXPECT_EQ((uint64_t)HC_ARG3, guest_result(t, HC_R_RSI));
}

TEST_F(guest, user_ud)
{
	struct test_vm *t = &self->t;
	struct hvm_vcpu_handle *vcpu;
	struct hvm_run *run;

	ASSERT_EQ(0, test_vm_create(t, GUEST(hypercall_guest_user),
				    GUEST_MODE_PROT32));
	vcpu = &t->vcpus[0];
	run = vcpu->run;

	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	EXPECT_EQ(GUEST_PORT_DATA, run->io.addr);
	EXPECT_EQ(0ULL, guest_result(t, HC_R_OTHER_VECTOR));
	EXPECT_EQ((uint64_t)HC_USER_DONE, run->io.data & 0xff);
	EXPECT_EQ(2ULL, guest_result(t, HC_R_UD_COUNT));
	EXPECT_EQ(guest_result(t, HC_R_VMMCALL_EIP),
		  guest_result(t, HC_R_UD_EIP0));
	EXPECT_EQ(guest_result(t, HC_R_VMCALL_EIP),
		  guest_result(t, HC_R_UD_EIP1));
}

/* The lab kernel's own idea of its TSC rate, from /proc/cpuinfo. */
static double cpuinfo_mhz(bool *constant_tsc)
{
	char line[4096];
	double mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	*constant_tsc = false;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!mhz)
			sscanf(line, "cpu MHz : %lf", &mhz);
		if (!strncmp(line, "flags", 5) && strstr(line, " constant_tsc"))
			*constant_tsc = true;
	}
	fclose(f);
	return mhz;
}

TEST(extensions)
{
	struct hvm_cpuid *c;
	bool constant_tsc;
	long khz;
	double mhz;
	uint32_t i;
	int fd;

	fd = hvm_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, ioctl(fd, HVM_CHECK_EXTENSION, HVM_EXT_HYPERCALL));
	khz = ioctl(fd, HVM_CHECK_EXTENSION, HVM_EXT_TSC_KHZ);
	ASSERT_LT(0, khz);
	mhz = cpuinfo_mhz(&constant_tsc);
	TH_LOG("HVM_EXT_TSC_KHZ %ld, cpuinfo %.3f MHz, constant_tsc %d", khz,
	       mhz, constant_tsc);
	if (constant_tsc && mhz > 0) {
		EXPECT_GT(mhz * 1.01, khz / 1000.0);
		EXPECT_LT(mhz * 0.99, khz / 1000.0);
	}

	ASSERT_EQ(0, hvm_get_supported_cpuid(fd, &c));
	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0x40000010)
			break;
	}
	ASSERT_GT(c->nent, i) TH_LOG("no leaf 0x40000010");
	EXPECT_EQ((uint32_t)khz, c->entries[i].eax);
	free(c);
	close(fd);
}

TEST_HARNESS_MAIN
