// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug while VMs exist (see hotplug_guest.S).
 *
 * offline_online_then_run: with a VM alive (SVM/VMX switched on), CPU 1 is
 *   taken offline and brought back; a vCPU thread pinned to CPU 1 then
 *   runs the guest.  That only works if the module switched
 *   virtualization on again for the returning CPU (on a CPU where it is
 *   off, VMRUN/VMLAUNCH would fault in the host).
 * vm_created_while_offline: a VM created while CPU 1 is offline runs on
 *   CPU 1 once it is back.
 * Skipped when the lab has a single CPU or CPU 1 cannot go offline.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"

DECLARE_GUEST(hotplug_guest);

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static int set_cpu1_online(bool online)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, online ? "1" : "0", 1);
	close(fd);
	return n == 1 ? 0 : -errno;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(hotplug) {
	struct test_vm t;
};

FIXTURE_SETUP(hotplug)
{
}

/*
 * In each test body: the 6.1 harness runs the body even after a SKIP in
 * FIXTURE_SETUP.
 */
#define SKIP_WITHOUT_CPU1()						\
	do {								\
		if (access(CPU1_ONLINE, W_OK))				\
			SKIP(return, "CPU 1 cannot be taken offline here"); \
	} while (0)

FIXTURE_TEARDOWN(hotplug)
{
	unpin();
	set_cpu1_online(true);
	test_vm_destroy(&self->t);
}

TEST_F(hotplug, offline_online_then_run)
{
	SKIP_WITHOUT_CPU1();
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(hotplug_guest),
				    GUEST_MODE_LONG64));
	ASSERT_EQ(0, pin_to_cpu(0));
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);

	ASSERT_EQ(0, set_cpu1_online(false));
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	ASSERT_EQ(0, set_cpu1_online(true));

	ASSERT_EQ(0, pin_to_cpu(1));
	ASSERT_EQ(1, sched_getcpu());
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	EXPECT_EQ(4ULL, guest_result(&self->t, 0));
}

TEST_F(hotplug, vm_created_while_offline)
{
	SKIP_WITHOUT_CPU1();
	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, set_cpu1_online(false));
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(hotplug_guest),
				    GUEST_MODE_LONG64));
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	ASSERT_EQ(0, set_cpu1_online(true));

	ASSERT_EQ(0, pin_to_cpu(1));
	ASSERT_EQ(1, sched_getcpu());
	RUN_EXPECT(&self->t.vcpus[0], HVM_EXIT_HLT);
	EXPECT_EQ(2ULL, guest_result(&self->t, 0));
}

TEST_HARNESS_MAIN
