// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt delivery through the in-kernel local APIC (irq_guest.c, the
 * runtime in guest_rt/).  The test sends MSIs on the ring fd while the
 * guest waits at rt_sync() (an HLT with IF=0: HVM_EXIT_HLT).
 *
 * msi_delivered_once: N MSIs, one per round; each arrives once and only
 *   once (QEMU 7.2's SVM delivers an interrupt injected through EVENTINJ
 *   twice: this count fails under that defect).
 * priority_order: three vectors pending at once are handled highest
 *   first, each with its ISR bit set and PPR at its class, not nested.
 * tpr_masks_lower_classes: with CR8 at 5, vector 0x40 waits while 0x70
 *   is taken; the MMIO TPR reads CR8 << 4; lowering TPR releases 0x40.
 * if0_holds_until_sti: IF=0 holds a pending interrupt; after STI the
 *   next instruction still runs first (the STI shadow), though it exits
 *   first: it stores to a page the test took out of the nested page
 *   tables, and the vCPU enters again inside the shadow.
 * hlt_wakes_on_msi: HLT with IF=1 sleeps in the kernel (HVM_RUN does not
 *   return) until an MSI from another thread wakes it.
 * nmi_blocked_until_iret: an NMI; a self-NMI sent from its handler is
 *   held until the handler's IRET, then delivered.
 * bad_msis_einval: malformed messages are refused, a message to an ID
 *   nobody has is accepted by nobody.
 * svr_disable_holds_pending: the spurious vector reads back; with SVR.8
 *   clear a pending vector stays in IRR undelivered, a new fixed MSI is
 *   accepted by nobody, an NMI still arrives, LVT masks cannot be
 *   cleared; setting SVR.8 again delivers the held vector once.
 * storm_loses_nothing: STORM_SENDERS threads send each of the 192
 *   vectors 0x30-0xef once per round while the vCPU runs, STORM_ROUNDS
 *   rounds; the guest sees each vector exactly once a round, and the
 *   senders and a watchdog thread keep counting meanwhile.
 */
#include <errno.h>
#include <semaphore.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "irq_test.h"

DECLARE_GUEST(irq_guest);

#define MSI_ADDR(dest)		(0xfee00000ULL | ((uint64_t)(dest) << 12))
#define MSI_NMI			(4 << 8)
#define MSI_ROUNDS		50
#define LVT_MASKED		(1u << 16)
#define STORM_SENDERS		3
#define STORM_ROUNDS		16

FIXTURE(irq) {
	struct test_vm t;
	int ring_fd;
};

FIXTURE_SETUP(irq)
{
	self->ring_fd = -1;
	ASSERT_EQ(0, test_vm_create(&self->t, GUEST(irq_guest),
				    GUEST_MODE_LONG64));
	if (hvm_vm_check_extension(&self->t.vm, HVM_EXT_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel local APIC on this backend");
	self->ring_fd = hvm_ring_create(&self->t.vm);
	ASSERT_LE(0, self->ring_fd) TH_LOG("ring: %s", strerror(-self->ring_fd));
}

FIXTURE_TEARDOWN(irq)
{
	if (self->ring_fd >= 0)
		close(self->ring_fd);
	test_vm_destroy(&self->t);
}

static int send_msi(int ring_fd, uint64_t address, uint32_t data)
{
	struct hvm_msi msi = { .address = address, .data = data };
	int ret = ioctl(ring_fd, HVM_RING_SIGNAL_MSI, &msi);

	return ret < 0 ? -errno : ret;
}

/* Runs the guest to its next rt_sync() (or its end). */
#define RUN_TO_SYNC(self) RUN_EXPECT(&(self)->t.vcpus[0], HVM_EXIT_HLT)

static void start_case(struct __test_metadata *_metadata,
		       FIXTURE_DATA(irq) *self, uint64_t which, uint64_t arg)
{
	guest_set_param(&self->t, 0, which);
	guest_set_param(&self->t, 1, arg);
}

#define R(i) guest_result(&self->t, (i))

#define EXPECT_DONE() do {						\
	ASSERT_EQ(1ULL, R(IRQ_R_DONE))					\
		LOG_VCPU_STATE(&self->t.vcpus[0]);			\
	EXPECT_EQ(0ULL, guest_result(&self->t, 63))			\
		TH_LOG("unexpected vector %#llx",			\
		       (unsigned long long)guest_result(&self->t, 63));	\
} while (0)

TEST_F(irq, msi_delivered_once)
{
	unsigned int i;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_MSI_COUNT, MSI_ROUNDS);
	for (i = 0; i < MSI_ROUNDS; i++) {
		RUN_TO_SYNC(self);
		ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR));
	}
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	EXPECT_EQ((uint64_t)MSI_ROUNDS, R(IRQ_R_COUNT));
	EXPECT_EQ(1ULL, R(IRQ_R_MAX_DEPTH));
	EXPECT_EQ((uint64_t)MSI_ROUNDS, R(IRQ_R_ISR_OK));
}

TEST_F(irq, priority_order)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_PRIORITY, 0);
	RUN_TO_SYNC(self);
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR_LOW));
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR_HIGH));
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR_MID));
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	/* IRR words 1 (0x20-0x3f) and 3 (0x60-0x7f) while IF=0. */
	EXPECT_EQ(1ULL << (IRQ_VECTOR_LOW - 0x20) |
		  1ULL << (32 + IRQ_VECTOR_HIGH - 0x60), R(IRQ_R_IRR));
	EXPECT_EQ(3ULL, R(IRQ_R_COUNT));
	EXPECT_EQ((uint64_t)IRQ_VECTOR_HIGH | IRQ_VECTOR_MID << 8 |
		  IRQ_VECTOR_LOW << 16, R(IRQ_R_ORDER));
	EXPECT_EQ(1ULL, R(IRQ_R_MAX_DEPTH));
	EXPECT_EQ(3ULL, R(IRQ_R_ISR_OK));
}

TEST_F(irq, tpr_masks_lower_classes)
{
	struct hvm_sregs sregs;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_TPR, 0);
	RUN_TO_SYNC(self);
	EXPECT_EQ((uint64_t)IRQ_TPR_CLASS << 4, R(IRQ_R_TPR));
	ASSERT_EQ(0, ioctl(self->t.vcpus[0].fd, HVM_GET_SREGS, &sregs));
	EXPECT_EQ((uint64_t)IRQ_TPR_CLASS, sregs.cr8);
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR));
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR_HIGH));
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	EXPECT_EQ((uint64_t)IRQ_VECTOR_HIGH, R(IRQ_R_BEFORE));
	EXPECT_EQ((uint64_t)IRQ_VECTOR_HIGH | IRQ_VECTOR << 8, R(IRQ_R_ORDER));
	EXPECT_EQ(2ULL, R(IRQ_R_COUNT));
}

TEST_F(irq, if0_holds_until_sti)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_STI_SHADOW, 0);
	RUN_TO_SYNC(self);
	/*
	 * Out of the nested page tables: the store in the shadow faults, and
	 * the entry after that fault is inside the shadow (QEMU before 9.1
	 * drops it at VMRUN; svm_irq.c works round that).
	 */
	ASSERT_EQ(0, madvise(self->t.ram + R(IRQ_R_SHADOW_PAGE) - GUEST_RAM_GPA,
			     4096, MADV_DONTNEED));
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR));
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	EXPECT_EQ(0ULL, R(IRQ_R_BEFORE));
	EXPECT_EQ(1ULL, R(IRQ_R_COUNT));
	EXPECT_EQ(1ULL, R(IRQ_R_MARKER));
}

TEST_F_TIMEOUT(irq, hlt_wakes_on_msi, 60)
{
	struct vcpu_thread vt = {};
	bool returned_early;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_HLT_WAKEUP, 0);
	RUN_TO_SYNC(self);
	ASSERT_EQ(0, vcpu_thread_start(&vt, &self->t.vcpus[0]));
	usleep(200000);
	returned_early = atomic_load(&vt.done);
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR));
	ASSERT_TRUE(vcpu_thread_wait(&vt, 30));
	pthread_join(vt.thread, NULL);
	EXPECT_FALSE(returned_early)
		TH_LOG("HVM_RUN returned before the MSI: exit %s",
		       exit_reason_str(self->t.vcpus[0].run->exit_reason));
	ASSERT_EQ(0, vt.ret);
	EXPECT_EQ((uint32_t)HVM_EXIT_HLT, self->t.vcpus[0].run->exit_reason);
	EXPECT_DONE();
	EXPECT_EQ(1ULL, R(IRQ_R_COUNT));
}

TEST_F(irq, nmi_blocked_until_iret)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_NMI, 0);
	RUN_TO_SYNC(self);
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), MSI_NMI));
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	EXPECT_EQ(2ULL, R(IRQ_R_NMIS));
	EXPECT_EQ(1ULL, R(IRQ_R_NMI_BLOCKED));
	EXPECT_EQ(1ULL, R(IRQ_R_MAX_DEPTH));
}

TEST_F(irq, bad_msis_einval)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	static const struct {
		uint64_t address;
		uint32_t data;
	} bad[] = {
		{ MSI_ADDR(0), 15 },			/* vector below 16 */
		{ MSI_ADDR(0), 1 << 8 | 3 },		/* lowest prio, 3 */
		{ MSI_ADDR(0), 2 << 8 | 0x40 },		/* SMI */
		{ MSI_ADDR(0), 5 << 8 | 0x40 },		/* INIT */
		{ MSI_ADDR(0), 7 << 8 | 0x40 },		/* ExtINT */
		{ MSI_ADDR(0), 1 << 16 | 0x40 },	/* stray data bit */
		{ 0xfed00000ULL, 0x40 },		/* not the MSI window */
		{ MSI_ADDR(0) | 1ULL << 32, 0x40 },	/* high address */
		{ MSI_ADDR(0) | 8, 0x40 },		/* redirection hint */
		{ MSI_ADDR(0) | 1, 0x40 },		/* stray address bit */
	};
	struct hvm_msi msi = { .address = MSI_ADDR(0), .data = 0x40,
			       .flags = 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, send_msi(self->ring_fd, bad[i].address,
					    bad[i].data))
			TH_LOG("msi %u: %#llx %#x", i,
			       (unsigned long long)bad[i].address, bad[i].data);
	ASSERT_IOCTL_ERRNO(EINVAL, self->ring_fd, HVM_RING_SIGNAL_MSI, &msi);
	/* The APIC is software-disabled at reset: nobody accepts. */
	EXPECT_EQ(0, send_msi(self->ring_fd, MSI_ADDR(0), 0x40));
	EXPECT_EQ(0, send_msi(self->ring_fd, MSI_ADDR(7), 0x40));
}

TEST_F(irq, svr_disable_holds_pending)
{
	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_SVR, 0);
	RUN_TO_SYNC(self);
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR_MID));
	RUN_TO_SYNC(self);
	EXPECT_EQ((uint64_t)IRQ_SVR_OFF, R(IRQ_R_SVR_OFF));
	EXPECT_EQ((uint64_t)(LVT_MASKED | IRQ_VECTOR), R(IRQ_R_LVT_OFF));
	EXPECT_EQ(0ULL, R(IRQ_R_BEFORE));
	EXPECT_EQ(1ULL, R(IRQ_R_IRR_OFF));
	/* Software-disabled: no fixed interrupt is accepted, NMIs are. */
	EXPECT_EQ(0, send_msi(self->ring_fd, MSI_ADDR(0), IRQ_VECTOR));
	ASSERT_EQ(1, send_msi(self->ring_fd, MSI_ADDR(0), MSI_NMI));
	RUN_TO_SYNC(self);
	EXPECT_DONE();
	EXPECT_EQ(1ULL, R(IRQ_R_NMIS));
	EXPECT_EQ((uint64_t)IRQ_SVR_ON, R(IRQ_R_SVR));
	EXPECT_EQ(1ULL, R(IRQ_R_COUNT));
	EXPECT_EQ((uint64_t)IRQ_VECTOR_MID, R(IRQ_R_ORDER));
	EXPECT_EQ(1ULL, R(IRQ_R_ISR_OK));
	/* Re-enabling leaves the LVT masked (SDM 11.4.7.2). */
	EXPECT_EQ((uint64_t)(LVT_MASKED | IRQ_VECTOR), R(IRQ_R_LVT_ON));
}

struct storm_sender {
	pthread_t thread;
	int ring_fd;
	unsigned int first;		/* its vectors: first, + STORM_SENDERS.. */
	sem_t go;			/* one post per round */
	atomic_bool *stop;
	atomic_uint rounds_sent;
	atomic_uint accepted;
	int error;			/* the first send that was not 1 */
};

/* Each round its vectors once, upwards in odd rounds, downwards in even. */
static void *storm_send(void *arg)
{
	struct storm_sender *s = arg;
	unsigned int round, n = 0, i, v;
	unsigned int vectors[IRQ_STORM_VECTORS];
	int ret;

	for (v = s->first; v <= IRQ_STORM_LAST; v += STORM_SENDERS)
		vectors[n++] = v;
	for (round = 1; round <= STORM_ROUNDS; round++) {
		while (sem_wait(&s->go) && errno == EINTR)
			;
		if (atomic_load(s->stop))
			break;
		for (i = 0; i < n; i++) {
			v = vectors[round % 2 ? i : n - 1 - i];
			ret = send_msi(s->ring_fd, MSI_ADDR(0), v);
			if (ret == 1)
				atomic_fetch_add(&s->accepted, 1);
			else if (!s->error)
				s->error = ret ? ret : -ENODEV;
		}
		atomic_fetch_add(&s->rounds_sent, 1);
	}
	return NULL;
}

struct storm_watchdog {
	pthread_t thread;
	atomic_bool *stop;
	atomic_ulong iterations;
};

/* Counts while the storm runs: a host stalled by it would not. */
static void *storm_watch(void *arg)
{
	struct storm_watchdog *w = arg;

	while (!atomic_load(w->stop)) {
		atomic_fetch_add(&w->iterations, 1);
		usleep(100);
	}
	return NULL;
}

TEST_F_TIMEOUT(irq, storm_loses_nothing, 300)
{
	struct storm_sender senders[STORM_SENDERS] = {};
	struct storm_watchdog watchdog = {};
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	unsigned long watch_start, watch_end;
	unsigned int round, i, started = 0;
	atomic_bool stop = false;
	char desc[160];
	int ret = 0;

	/* The 6.1 harness runs the body after a SKIP in setup. */
	if (_metadata->skip)
		return;
	start_case(_metadata, self, IRQ_CASE_STORM, STORM_ROUNDS);
	watchdog.stop = &stop;
	ASSERT_EQ(0, pthread_create(&watchdog.thread, NULL, storm_watch,
				    &watchdog));
	for (i = 0; i < STORM_SENDERS; i++) {
		senders[i].ring_fd = self->ring_fd;
		senders[i].first = IRQ_STORM_FIRST + i;
		senders[i].stop = &stop;
		sem_init(&senders[i].go, 0, 0);
		if (pthread_create(&senders[i].thread, NULL, storm_send,
				   &senders[i]))
			break;
		started++;
	}
	watch_start = atomic_load(&watchdog.iterations);
	/* Each stop at the guest's rt_sync() starts the next round. */
	for (round = 1; round <= STORM_ROUNDS && started == STORM_SENDERS;
	     round++) {
		ret = hvm_vcpu_run(vcpu);
		if (ret || vcpu->run->exit_reason != HVM_EXIT_HLT ||
		    R(IRQ_R_DONE) || R(IRQ_R_ROUNDS) != round - 1)
			break;
		for (i = 0; i < STORM_SENDERS; i++)
			sem_post(&senders[i].go);
	}
	if (round > STORM_ROUNDS)
		ret = hvm_vcpu_run(vcpu);
	watch_end = atomic_load(&watchdog.iterations);
	atomic_store(&stop, true);
	for (i = 0; i < started; i++) {
		sem_post(&senders[i].go);
		pthread_join(senders[i].thread, NULL);
	}
	pthread_join(watchdog.thread, NULL);

	ASSERT_EQ((unsigned int)STORM_SENDERS, started);
	ASSERT_EQ(0, ret) TH_LOG("HVM_RUN failed: %s", strerror(-ret));
	ASSERT_EQ((uint32_t)HVM_EXIT_HLT, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_describe(vcpu->run, desc, sizeof(desc)));
	EXPECT_DONE();
	EXPECT_EQ((uint64_t)STORM_ROUNDS, R(IRQ_R_ROUNDS))
		TH_LOG("lost: vector %#llx, seen in %llu rounds",
		       (unsigned long long)(R(IRQ_R_MISSING) >> 32),
		       (unsigned long long)(uint32_t)R(IRQ_R_MISSING));
	EXPECT_EQ(0ULL, R(IRQ_R_MISSING));
	EXPECT_EQ(0ULL, R(IRQ_R_EXTRA));
	EXPECT_EQ((uint64_t)STORM_ROUNDS * IRQ_STORM_VECTORS, R(IRQ_R_TOTAL));
	for (i = 0; i < STORM_SENDERS; i++) {
		EXPECT_EQ(0, senders[i].error)
			TH_LOG("sender %u: %s", i, strerror(-senders[i].error));
		EXPECT_EQ((unsigned int)STORM_ROUNDS,
			  atomic_load(&senders[i].rounds_sent));
		sem_destroy(&senders[i].go);
	}
	EXPECT_EQ((unsigned int)STORM_ROUNDS * IRQ_STORM_VECTORS,
		  atomic_load(&senders[0].accepted) +
		  atomic_load(&senders[1].accepted) +
		  atomic_load(&senders[2].accepted));
	/* No host stall: the watchdog kept counting while the guest ran. */
	EXPECT_LT(watch_start, watch_end);
	TH_LOG("%u interrupts, watchdog %lu rounds",
	       STORM_ROUNDS * IRQ_STORM_VECTORS, watch_end - watch_start);
}

TEST_HARNESS_MAIN
