// SPDX-License-Identifier: GPL-2.0
/*
 * Interprocessor interrupts between two vCPUs through the in-kernel local
 * APICs (ipi_guest.c), and the MP state.
 *
 * fixed_ipi_wakes_hlt: the BSP's fixed IPI wakes the AP out of HLT.
 * shorthands: self, all-but-self, all-including, and a logical (flat)
 *   destination each reach exactly the vCPUs they name.
 * init_sipi_starts_ap: the AP waits in WAIT_SIPI (HVM_RUN sleeps); the
 *   BSP's INIT and SIPI start it in real mode at the SIPI vector's page.
 * mp_state_get_set: the state reads back; unknown states and reserved
 *   bits are EINVAL; a HALTED vCPU sleeps in HVM_RUN until a signal.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "ipi_test.h"

DECLARE_GUEST(ipi_guest);

FIXTURE(ipi) {
	struct test_vm t;
	struct vcpu_thread threads[2];
	unsigned int started;
};

FIXTURE_SETUP(ipi)
{
	struct hvm_vcpu_handle *vcpu;

	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(ipi_guest),
				    GUEST_MODE_LONG64));
	if (hvm_vm_check_extension(&self->t.vm, HVM_EXT_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel local APIC on this backend");
	ASSERT_EQ(0, test_vm_add_vcpu(&self->t, &vcpu));
}

FIXTURE_TEARDOWN(ipi)
{
	unsigned int i;

	for (i = 0; i < self->started; i++) {
		if (!vcpu_thread_wait(&self->threads[i], 10))
			pthread_kill(self->threads[i].thread, SIGUSR1);
		pthread_join(self->threads[i].thread, NULL);
	}
	test_vm_destroy(&self->t);
}

#define R(cpu, word) guest_result(&self->t, IPI_R_BASE(cpu) + (word))

static void run_both(struct __test_metadata *_metadata,
		     FIXTURE_DATA(ipi) *self, unsigned int first)
{
	unsigned int i, cpu;

	ASSERT_EQ(0, sigusr1_interrupts());
	for (i = 0; i < 2; i++) {
		cpu = i ? !first : first;
		ASSERT_EQ(0, vcpu_thread_start(&self->threads[cpu],
					       &self->t.vcpus[cpu]));
		self->started++;
	}
	for (cpu = 0; cpu < 2; cpu++) {
		ASSERT_TRUE(vcpu_thread_wait(&self->threads[cpu], 30))
			TH_LOG("vCPU %u still in HVM_RUN", cpu);
		EXPECT_EQ(0, self->threads[cpu].ret);
		EXPECT_EQ((uint32_t)HVM_EXIT_HLT,
			  self->t.vcpus[cpu].run->exit_reason)
			TH_LOG("vCPU %u: exit %s", cpu,
			       exit_reason_str(self->t.vcpus[cpu].run->exit_reason));
	}
	EXPECT_EQ(0ULL, guest_result(&self->t, 63))
		TH_LOG("unexpected vector %#llx",
		       (unsigned long long)guest_result(&self->t, 63));
}

#define BIT_OF(v) (1ULL << ((v) - 0x40))

TEST_F_TIMEOUT(ipi, fixed_ipi_wakes_hlt, 60)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, 0, IPI_CASE_FIXED);
	run_both(_metadata, self, 1);
	EXPECT_EQ(1ULL, R(0, IPI_R_DONE));
	EXPECT_EQ(1ULL, R(1, IPI_R_DONE));
	EXPECT_EQ(BIT_OF(IPI_VECTOR_FIXED), R(1, IPI_R_RECEIVED));
	EXPECT_EQ(0ULL, R(0, IPI_R_RECEIVED));
}

TEST_F_TIMEOUT(ipi, shorthands, 60)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	guest_set_param(&self->t, 0, IPI_CASE_SHORTHANDS);
	run_both(_metadata, self, 1);
	EXPECT_EQ(1ULL, R(0, IPI_R_DONE));
	EXPECT_EQ(1ULL, R(1, IPI_R_DONE));
	EXPECT_EQ(BIT_OF(IPI_VECTOR_SELF) | BIT_OF(IPI_VECTOR_ALL),
		  R(0, IPI_R_RECEIVED));
	EXPECT_EQ(BIT_OF(IPI_VECTOR_ALL_BUT) | BIT_OF(IPI_VECTOR_ALL) |
		  BIT_OF(IPI_VECTOR_LOGICAL), R(1, IPI_R_RECEIVED));
}

TEST_F_TIMEOUT(ipi, init_sipi_starts_ap, 60)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	/* mov word [GUEST_RESULT(IPI_R_SIPI_MARK)], MARK; hlt; jmp $-1 */
	static const uint8_t ap_code[] = {
		0xc7, 0x06, GUEST_RESULT(IPI_R_SIPI_MARK) & 0xff,
		GUEST_RESULT(IPI_R_SIPI_MARK) >> 8,
		IPI_SIPI_MARK_VALUE & 0xff, IPI_SIPI_MARK_VALUE >> 8,
		0xf4, 0xeb, 0xfd,
	};
	struct hvm_sregs sregs;
	uint32_t state;

	memcpy(guest_ptr(&self->t, IPI_SIPI_VECTOR << 12), ap_code,
	       sizeof(ap_code));
	ASSERT_EQ(0, hvm_vcpu_set_mp_state(&self->t.vcpus[1],
					   HVM_MP_STATE_WAIT_SIPI));
	guest_set_param(&self->t, 0, IPI_CASE_INIT_SIPI);
	run_both(_metadata, self, 1);
	EXPECT_EQ(1ULL, R(0, IPI_R_DONE));
	EXPECT_EQ((uint64_t)IPI_SIPI_MARK_VALUE,
		  guest_result(&self->t, IPI_R_SIPI_MARK));
	ASSERT_EQ(0, ioctl(self->t.vcpus[1].fd, HVM_GET_SREGS, &sregs));
	EXPECT_EQ(IPI_SIPI_VECTOR << 8, sregs.cs.selector);
	EXPECT_EQ((uint64_t)IPI_SIPI_VECTOR << 12, sregs.cs.base);
	EXPECT_EQ(0ULL, sregs.cr0 & 1) TH_LOG("AP not in real mode");
	ASSERT_EQ(0, hvm_vcpu_get_mp_state(&self->t.vcpus[1], &state));
	EXPECT_EQ((uint32_t)HVM_MP_STATE_RUNNABLE, state);
}

TEST_F_TIMEOUT(ipi, mp_state_get_set, 60)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[1];
	struct hvm_mp_state mp = { .state = 3 };
	uint32_t state;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, hvm_vcpu_get_mp_state(vcpu, &state));
	EXPECT_EQ((uint32_t)HVM_MP_STATE_RUNNABLE, state);
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_MP_STATE, &mp);
	mp.state = HVM_MP_STATE_HALTED;
	mp.reserved = 1;
	ASSERT_IOCTL_ERRNO(EINVAL, vcpu->fd, HVM_SET_MP_STATE, &mp);
	ASSERT_EQ(0, hvm_vcpu_set_mp_state(vcpu, HVM_MP_STATE_WAIT_SIPI));
	ASSERT_EQ(0, hvm_vcpu_get_mp_state(vcpu, &state));
	EXPECT_EQ((uint32_t)HVM_MP_STATE_WAIT_SIPI, state);

	/* HALTED with nothing to wake it: HVM_RUN sleeps until a signal. */
	ASSERT_EQ(0, hvm_vcpu_set_mp_state(vcpu, HVM_MP_STATE_HALTED));
	ASSERT_EQ(0, sigusr1_interrupts());
	ASSERT_EQ(0, vcpu_thread_start(&self->threads[0], vcpu));
	self->started = 1;
	usleep(200000);
	EXPECT_FALSE(atomic_load(&self->threads[0].done));
	pthread_kill(self->threads[0].thread, SIGUSR1);
	ASSERT_TRUE(vcpu_thread_wait(&self->threads[0], 10));
	EXPECT_EQ((uint32_t)HVM_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(0, hvm_vcpu_get_mp_state(vcpu, &state));
	EXPECT_EQ((uint32_t)HVM_MP_STATE_HALTED, state);
}

TEST_HARNESS_MAIN
