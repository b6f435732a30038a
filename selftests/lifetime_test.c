// SPDX-License-Identifier: GPL-2.0
/*
 * Object lifetimes across processes and address-space changes (guests in
 * lifetime_guest.S).  The helper killed in the middle of a request is
 * helper_death_test; module unload with VMs alive is unload_test.
 *
 * owner_exits_running / owner_killed_running: OWNER_ROUNDS times, a child
 *   creates a VM whose 2 vCPUs touch 1 MiB of guest RAM and then spin in
 *   guest mode on 2 threads; the child then exits (exit_group with the
 *   vCPU threads inside HVM_RUN) or is SIGKILLed.  The module refcount
 *   returns to its baseline within 5 s each time, and after all rounds
 *   kernel memory and MemAvailable are back near where they were after
 *   the first (a leaked VM would keep its 1 MiB: OWNER_ROUNDS - 1 MiB in
 *   all); 4 times the tolerance under the debug kernel, where kmemleak
 *   looks for leaks itself.
 * fork_child_gets_eio: after fork() the child's VM and vCPU ioctls (HVM_RUN
 *   included) fail with EIO; /dev/hvm still works there (the child may
 *   create VMs of its own) and so does the ring fd; the parent's VM runs
 *   on afterwards.
 * fds_over_unix_socket: VM, vCPU and ring fds sent with SCM_RIGHTS to a
 *   process that was forked before the VM existed: VM and vCPU ioctls fail
 *   with EIO there, while that process serves the ring as a device helper
 *   (SERVE_REQUESTS port reads) and then stops the VM with a code the
 *   owner sees.
 * munmap_while_running: the host mapping behind a slot is unmapped while
 *   the guest uses it.  What api.rst defines: the slot is a window onto
 *   what the process maps now, so the guest's next store to the range
 *   makes HVM_RUN fail with EFAULT (the guest stays on that store, also
 *   on a retry); once fresh memory is mapped at the same address the
 *   guest runs on and its stores land in that memory; with the slot
 *   deleted the retried store becomes MMIO.
 * munmap_then_map_anew: the guest touches the slot's first page, the
 *   process unmaps the slot's memory and maps fresh memory filled with
 *   LIFETIME_PROBE_HOST at the same address.  The guest, the MMIO emulator
 *   and the page walker all use the fresh memory from then on: the guest
 *   reads the process's value, its store lands there, a MOVS from that
 *   page to MMIO sends it to the device, a MOVS from MMIO to that page
 *   lands there too, and the rest of the fresh page is untouched.
 * mremap_while_running: the mapping is moved (mremap to a fixed new
 *   address): the old address is a hole, so the guest's next store fails
 *   with EFAULT; the moved memory holds what the guest stored; the slot
 *   set anew at the new address lets the guest run on there.
 * create_destroy_64_vms: rounds of 64 VMs alive at once (more than the
 *   lab's 16 ASIDs), each run to HLT after touching pages, then destroyed;
 *   kernel memory and MemAvailable compared around BLOCKS blocks, the
 *   block that grew least within tolerance (see vm_lifecycle_test for why
 *   the least), the module refcount back to baseline after each block.
 *   Under the debug kernel both cases allow four times the tolerance:
 *   MemAvailable lost 3.2-8.1 MB per block there with kernel memory flat
 *   (KASAN's shadow of vmalloc areas is in none of the figures read
 *   here), and kmemleak, not these figures, judges leaks in that lab.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "test_util.h"
#include "kmem_check.h"
#include "lifetime.h"

DECLARE_GUEST(lifetime_guest);

#define OWNER_ROUNDS		16
#define OWNER_KERNEL_TOL_KB	1024
#define OWNER_AVAILABLE_TOL_KB	8192
#define SERVE_REQUESTS		10ULL
#define SERVE_VALUE		3ULL
#define STOP_CODE		0x5151ULL
#define VMS_AT_ONCE		64
#define BLOCKS			3
#define BLOCK_ROUNDS		2
#define VMS_KERNEL_TOL_KB	512
#define VMS_AVAILABLE_TOL_KB	1536
#define SLOT_SIZE		(LIFETIME_SLOT_PAGES * 0x1000UL)

static int lifetime_vm(struct test_vm *t, uint64_t mode)
{
	int ret = test_vm_create(t, GUEST(lifetime_guest), GUEST_MODE_LONG64);

	if (!ret)
		guest_set_param(t, 0, mode);
	return ret;
}

/* Tests without per-test state; the harness wants a fixture for timeouts. */
FIXTURE(lifetime) {
	int unused;
};

FIXTURE_SETUP(lifetime)
{
}

FIXTURE_TEARDOWN(lifetime)
{
}

/* ---- the owner goes away with vCPUs in guest mode ------------------------ */

static void *spin_vcpu(void *arg)
{
	hvm_vcpu_run(arg);
	return NULL;
}

/*
 * Child: VM with two spinning vCPUs; one byte to sock once both have
 * counted, then, on the parent's word, exit (or wait for SIGKILL).  Never
 * returns.
 */
static void spinning_owner(int sock, bool wait_for_kill)
{
	struct hvm_vcpu_handle *second;
	pthread_t threads[2];
	struct test_vm t;
	double deadline;
	char byte;
	int i;

	if (lifetime_vm(&t, LIFETIME_SPIN) || test_vm_add_vcpu(&t, &second))
		_exit(2);
	for (i = 0; i < 2; i++)
		if (pthread_create(&threads[i], NULL, spin_vcpu, &t.vcpus[i]))
			_exit(3);
	deadline = now_seconds() + 20;
	while (guest_result(&t, 0) < 1000000 && now_seconds() < deadline)
		usleep(1000);
	if (write(sock, "r", 1) != 1 || read(sock, &byte, 1) != 1)
		_exit(4);
	if (wait_for_kill)
		for (;;)
			pause();
	_exit(0);
}

static void owner_goes_away(struct __test_metadata *_metadata, bool killed)
{
	struct kmem_figures before, after;
	long baseline, refcnt;
	int round, status, ready[2];
	double start, worst = 0;
	long tol_scale = kmem_debug_kernel() ? 4 : 1;
	pid_t pid;
	char byte;

	baseline = hvm_module_refcnt();
	ASSERT_LE(0, baseline);
	for (round = 0; round < OWNER_ROUNDS; round++) {
		/* After the first round: caches and per-CPU state exist. */
		if (round == 1)
			ASSERT_EQ(0, kmem_read_settled(&before));
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, ready));
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(ready[0]);
			spinning_owner(ready[1], killed);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &byte, 1))
			TH_LOG("round %d: the child's guest never ran", round);
		ASSERT_NE(baseline, hvm_module_refcnt());
		ASSERT_EQ(1, write(ready[0], "g", 1));
		close(ready[0]);
		if (killed)
			ASSERT_EQ(0, kill(pid, SIGKILL));
		start = now_seconds();
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(killed ? WIFSIGNALED(status) &&
					     WTERMSIG(status) == SIGKILL :
				     WIFEXITED(status) &&
					     WEXITSTATUS(status) == 0)
			TH_LOG("child status %#x", status);
		refcnt = hvm_module_refcnt_wait(baseline, 5000);
		ASSERT_EQ(baseline, refcnt)
			TH_LOG("round %d: module refcount %ld, baseline %ld",
			       round, refcnt, baseline);
		if (now_seconds() - start > worst)
			worst = now_seconds() - start;
	}
	ASSERT_EQ(0, kmem_read_settled(&after));
	TH_LOG("%d owners %s with 2 vCPUs in guest mode: slowest teardown %.3fs, kernel memory %+ld kB, MemAvailable %+ld kB over the last %d",
	       OWNER_ROUNDS, killed ? "SIGKILLed" : "exited", worst,
	       kmem_kernel_kb(&after) - kmem_kernel_kb(&before),
	       after.available_kb - before.available_kb, OWNER_ROUNDS - 1);
	EXPECT_GE(OWNER_KERNEL_TOL_KB * tol_scale,
		  kmem_kernel_kb(&after) - kmem_kernel_kb(&before));
	EXPECT_GE(OWNER_AVAILABLE_TOL_KB * tol_scale,
		  before.available_kb - after.available_kb);
}

TEST_F_TIMEOUT(lifetime, owner_exits_running, 90)
{
	owner_goes_away(_metadata, false);
}

TEST_F_TIMEOUT(lifetime, owner_killed_running, 90)
{
	owner_goes_away(_metadata, true);
}

/* ---- foreign processes --------------------------------------------------- */

/* In a child: count a check that failed, with a KTAP comment line. */
#define CHILD_CHECK(failures, cond, ...) do {				\
	if (!(cond)) {							\
		printf("# child: " __VA_ARGS__);			\
		printf("\n");						\
		fflush(stdout);						\
		(failures)++;						\
	}								\
} while (0)

/* ioctl that must fail with EIO; returns 1 if it did not. */
static int expect_eio(const char *what, int fd, unsigned long cmd,
		      void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	if (ret == -1 && errno == EIO)
		return 0;
	printf("# child: %s: %s, wanted EIO\n", what,
	       ret == -1 ? strerror(errno) : "succeeded");
	fflush(stdout);
	return 1;
}

/* VM and vCPU ioctls of a process that does not own the VM. */
static int foreign_vm_checks(int vm_fd, int vcpu_fd)
{
	struct hvm_memory_slot slot = {
		.slot = 5, .guest_phys = 0x400000, .size = 0x1000,
		.userspace_addr = 0x10000000,
	};
	struct {
		struct hvm_cpuid hdr;
		struct hvm_cpuid_entry entry;
	} cpuid = { .hdr.nent = 1 };
	struct hvm_sregs sregs;
	struct hvm_regs regs;
	int failures = 0;

	memset(&regs, 0, sizeof(regs));
	failures += expect_eio("HVM_RUN", vcpu_fd, HVM_RUN, NULL);
	failures += expect_eio("HVM_GET_REGS", vcpu_fd, HVM_GET_REGS, &regs);
	failures += expect_eio("HVM_SET_REGS", vcpu_fd, HVM_SET_REGS, &regs);
	failures += expect_eio("HVM_GET_SREGS", vcpu_fd, HVM_GET_SREGS,
			       &sregs);
	failures += expect_eio("HVM_SET_MEMORY_SLOT", vm_fd,
			       HVM_SET_MEMORY_SLOT, &slot);
	failures += expect_eio("HVM_CREATE_VCPU", vm_fd, HVM_CREATE_VCPU,
			       (void *)1);
	failures += expect_eio("HVM_SET_CPUID", vm_fd, HVM_SET_CPUID, &cpuid);
	failures += expect_eio("HVM_CREATE_RING", vm_fd, HVM_CREATE_RING,
			       NULL);
	return failures;
}

static void forked_child(struct test_vm *t, int ring_fd)
{
	struct hvm_vm_handle own;
	int failures, ret;

	failures = foreign_vm_checks(t->vm.vm_fd, t->vcpus[0].fd);
	ret = ioctl(t->vm.sys_fd, HVM_GET_API_VERSION, 0);
	CHILD_CHECK(failures, ret == HVM_API_VERSION,
		    "HVM_GET_API_VERSION on the inherited /dev/hvm: %d", ret);
	ret = hvm_vm_create(&own);
	CHILD_CHECK(failures, ret == 0, "a VM of its own: %s",
		    strerror(-ret));
	if (!ret)
		hvm_vm_close(&own);
	ret = ioctl(ring_fd, HVM_RING_NOTIFY, 0);
	CHILD_CHECK(failures, ret == 0, "HVM_RING_NOTIFY: %s",
		    strerror(errno));
	_exit(failures);
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + status;
}

TEST_F_TIMEOUT(lifetime, fork_child_gets_eio, 30)
{
	struct test_vm t;
	int ring_fd;
	pid_t pid;

	ASSERT_EQ(0, lifetime_vm(&t, LIFETIME_HALT));
	ring_fd = hvm_ring_create(&t.vm);
	ASSERT_LE(0, ring_fd);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		forked_child(&t, ring_fd);
	EXPECT_EQ(0, child_status(pid)) TH_LOG("checks failed in the child");
	/* The owner is unaffected. */
	RUN_EXPECT(&t.vcpus[0], HVM_EXIT_HLT);
	close(ring_fd);
	test_vm_destroy(&t);
}

static int send_fds(int sock, const int *fds, unsigned int n)
{
	char control[CMSG_SPACE(sizeof(int) * 3)] = {};
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fds(int sock, int *fds, unsigned int n)
{
	char control[CMSG_SPACE(sizeof(int) * 3)] = {};
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;

	if (recvmsg(sock, &msg, 0) != 1)
		return -EPROTO;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int) * n))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * n);
	return 0;
}

struct serve_count {
	unsigned int served;
};

static int serve_port_read(void *opaque, struct hvm_ring_slot *slot)
{
	struct serve_count *count = opaque;

	if (slot->space != HVM_IO_PIO || slot->is_write ||
	    slot->addr != GUEST_PORT_DATA)
		return -EINVAL;
	slot->data = SERVE_VALUE;
	count->served++;
	return 0;
}

/* The receiving process: fds[] = VM, vCPU, ring.  Never returns. */
static void socket_receiver(int sock)
{
	struct serve_count count = {};
	struct hvm_ring_map ring;
	double deadline;
	int fds[3], failures = 0, ret;

	if (recv_fds(sock, fds, 3))
		_exit(100);
	failures += foreign_vm_checks(fds[0], fds[1]);
	ret = hvm_ring_map(fds[2], &ring);
	CHILD_CHECK(failures, ret == 0, "mapping the ring: %s",
		    strerror(-ret));
	if (ret)
		_exit(failures);
	deadline = now_seconds() + 15;
	while (count.served < SERVE_REQUESTS && now_seconds() < deadline) {
		ret = hvm_ring_serve(&ring, 100, NULL, serve_port_read,
				     &count);
		if (ret && ret != -ETIMEDOUT && ret != -EINTR)
			break;
	}
	CHILD_CHECK(failures, count.served == SERVE_REQUESTS,
		    "served %u requests (%s)", count.served, strerror(-ret));
	/*
	 * Stop only once the guest has taken the last answer and asked
	 * again: a stop may otherwise overtake a completed read.
	 */
	while (__atomic_load_n(&ring.slots[0].state, __ATOMIC_ACQUIRE) !=
	       HVM_SLOT_PENDING && now_seconds() < deadline)
		usleep(1000);
	ret = hvm_ring_stop_vm(&ring, STOP_CODE);
	CHILD_CHECK(failures, ret == 0, "HVM_RING_STOP_VM: %s",
		    strerror(-ret));
	hvm_ring_unmap(&ring);
	_exit(failures);
}

TEST_F_TIMEOUT(lifetime, fds_over_unix_socket, 60)
{
	struct hvm_vcpu_handle *vcpu;
	struct test_vm t;
	int sv[2], fds[3];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		socket_receiver(sv[1]);
	}
	close(sv[1]);

	ASSERT_EQ(0, lifetime_vm(&t, LIFETIME_IN_LOOP));
	vcpu = &t.vcpus[0];
	fds[0] = t.vm.vm_fd;
	fds[1] = vcpu->fd;
	fds[2] = hvm_ring_create(&t.vm);
	ASSERT_LE(0, fds[2]);
	ASSERT_EQ(0, send_fds(sv[0], fds, 3));
	/* The receiver now holds the only reference to the ring. */
	close(fds[2]);

	RUN_EXPECT(vcpu, HVM_EXIT_STOPPED);
	EXPECT_EQ(STOP_CODE, vcpu->run->stop.code);
	EXPECT_EQ(SERVE_REQUESTS, guest_result(&t, 0));
	EXPECT_EQ(SERVE_REQUESTS * SERVE_VALUE, guest_result(&t, 1));
	EXPECT_EQ(0, child_status(pid)) TH_LOG("checks failed in the receiver");
	close(sv[0]);
	test_vm_destroy(&t);
}

/* ---- the slot's host mapping changes under the guest --------------------- */

FIXTURE(moving) {
	struct test_vm t;
	uint8_t *area;
	uint64_t counter;	/* last value the guest reported */
};

FIXTURE_SETUP(moving)
{
	struct hvm_memory_slot slot = {
		.slot = 1, .guest_phys = LIFETIME_SLOT_GPA, .size = SLOT_SIZE,
	};

	ASSERT_EQ(0, lifetime_vm(&self->t, LIFETIME_TOUCH));
	guest_set_param(&self->t, 1, 4);
	self->area = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	slot.userspace_addr = (uintptr_t)self->area;
	ASSERT_EQ(0, ioctl(self->t.vm.vm_fd, HVM_SET_MEMORY_SLOT, &slot));
}

FIXTURE_TEARDOWN(moving)
{
	test_vm_destroy(&self->t);
	if (self->area)
		munmap(self->area, SLOT_SIZE);
}

/* n more OUT exits, each reporting the next counter value. */
static void run_touching(struct __test_metadata *_metadata,
			 FIXTURE_DATA(moving) *self, int n)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];

	while (n--) {
		RUN_EXPECT(vcpu, HVM_EXIT_IO);
		ASSERT_EQ(1, vcpu->run->io.is_write);
		ASSERT_EQ(self->counter + 1, vcpu->run->io.data);
		self->counter++;
	}
}

static uint64_t first_word(const uint8_t *page)
{
	return __atomic_load_n((const uint64_t *)page, __ATOMIC_RELAXED);
}

/*
 * The next guest store into the slot fails HVM_RUN with EFAULT and leaves
 * the vCPU on that store: at rip, unless rip is 0.  Returns the RIP.
 */
static uint64_t expect_efault(struct __test_metadata *_metadata,
			      FIXTURE_DATA(moving) *self, const char *what,
			      uint64_t rip)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	struct hvm_regs regs = {};
	int ret = hvm_vcpu_run(vcpu);

	EXPECT_EQ(-EFAULT, ret)
		TH_LOG("%s: %s, exit %s", what, strerror(-ret),
		       exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(0, ioctl(vcpu->fd, HVM_GET_REGS, &regs));
	if (rip)
		EXPECT_EQ(rip, regs.rip)
			TH_LOG("%s: RIP %#llx, the store is at %#llx", what,
			       (unsigned long long)regs.rip,
			       (unsigned long long)rip);
	return regs.rip;
}

TEST_F_TIMEOUT(moving, munmap_while_running, 30)
{
	struct hvm_memory_slot slot = { .slot = 1 };
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	void *area = self->area, *fresh;
	uint64_t rip;

	run_touching(_metadata, self, 5);
	EXPECT_EQ(self->counter, first_word(self->area));
	EXPECT_EQ(self->counter, first_word(self->area + 3 * 0x1000));

	ASSERT_EQ(0, munmap(self->area, SLOT_SIZE));
	self->area = NULL;
	rip = expect_efault(_metadata, self, "a store to an unmapped slot", 0);
	expect_efault(_metadata, self, "the same store again", rip);

	fresh = mmap(area, SLOT_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(area, fresh);
	self->area = fresh;
	/* Each exit: the next counter value, read back from all 4 pages. */
	run_touching(_metadata, self, 5);
	EXPECT_EQ(10ULL, self->counter);
	EXPECT_EQ(self->counter, first_word(self->area))
		TH_LOG("the guest's stores did not land in the new memory");
	EXPECT_EQ(self->counter, first_word(self->area + 3 * 0x1000));

	/* With no slot the next store is MMIO. */
	ASSERT_EQ(0, ioctl(self->t.vm.vm_fd, HVM_SET_MEMORY_SLOT, &slot));
	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ((uint64_t)LIFETIME_SLOT_GPA, vcpu->run->io.addr);
	EXPECT_EQ(1, vcpu->run->io.is_write);
}

/* One OUT exit of the probe guest with this value. */
static void expect_out(struct __test_metadata *_metadata,
		       struct hvm_vcpu_handle *vcpu, uint32_t value,
		       const char *what)
{
	RUN_EXPECT(vcpu, HVM_EXIT_IO);
	ASSERT_EQ(1, vcpu->run->io.is_write);
	ASSERT_EQ(GUEST_PORT_DATA, vcpu->run->io.addr);
	EXPECT_EQ(value, (uint32_t)vcpu->run->io.data)
		TH_LOG("%s: the guest read %#x, wanted %#x", what,
		       (uint32_t)vcpu->run->io.data, value);
}

TEST_F_TIMEOUT(moving, munmap_then_map_anew, 30)
{
	struct hvm_vcpu_handle *vcpu = &self->t.vcpus[0];
	uint32_t *fresh;
	void *area;
	size_t i;

	guest_set_param(&self->t, 0, LIFETIME_PROBE);
	expect_out(_metadata, vcpu, LIFETIME_PROBE_TOUCHED, "touch");

	area = self->area;
	ASSERT_EQ(0, munmap(area, SLOT_SIZE));
	self->area = NULL;
	fresh = mmap(area, SLOT_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(area, (void *)fresh);
	self->area = area;
	for (i = 0; i < SLOT_SIZE / sizeof(*fresh); i++)
		fresh[i] = LIFETIME_PROBE_HOST;

	expect_out(_metadata, vcpu, LIFETIME_PROBE_HOST,
		   "a load from the new memory");
	expect_out(_metadata, vcpu, LIFETIME_PROBE_GUEST, "store and load");

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA, vcpu->run->io.addr);
	EXPECT_EQ(1, vcpu->run->io.is_write);
	EXPECT_EQ(4, vcpu->run->io.size);
	EXPECT_EQ((uint32_t)LIFETIME_PROBE_GUEST, (uint32_t)vcpu->run->io.data)
		TH_LOG("MOVS RAM->MMIO sent %#x: not the guest's page",
		       (uint32_t)vcpu->run->io.data);

	RUN_EXPECT(vcpu, HVM_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA, vcpu->run->io.addr);
	EXPECT_EQ(0, vcpu->run->io.is_write);
	vcpu->run->io.data = LIFETIME_PROBE_DEVICE;
	expect_out(_metadata, vcpu, LIFETIME_PROBE_DEVICE,
		   "MOVS MMIO->RAM, then a load");

	RUN_EXPECT(vcpu, HVM_EXIT_HLT);
	EXPECT_EQ((uint32_t)LIFETIME_PROBE_GUEST, fresh[LIFETIME_PROBE_MOVS_OUT / 4])
		TH_LOG("the guest's store did not land in the new memory");
	EXPECT_EQ((uint32_t)LIFETIME_PROBE_DEVICE, fresh[LIFETIME_PROBE_MOVS_IN / 4])
		TH_LOG("the emulator's store did not land in the new memory");
	EXPECT_EQ((uint32_t)LIFETIME_PROBE_HOST, fresh[LIFETIME_PROBE_MOVS_IN / 4 + 2])
		TH_LOG("a word nobody wrote changed");
}

TEST_F_TIMEOUT(moving, mremap_while_running, 30)
{
	struct hvm_memory_slot slot = {
		.slot = 1, .guest_phys = LIFETIME_SLOT_GPA,
	};
	void *target, *moved;

	run_touching(_metadata, self, 5);
	target = mmap(NULL, SLOT_SIZE, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	moved = mremap(self->area, SLOT_SIZE, SLOT_SIZE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, moved) TH_LOG("mremap: %s", strerror(errno));
	self->area = moved;
	EXPECT_EQ(self->counter, first_word(self->area));
	expect_efault(_metadata, self, "a store to the slot's old address", 0);

	/* Follow the data: the slot again, at the new address. */
	ASSERT_EQ(0, ioctl(self->t.vm.vm_fd, HVM_SET_MEMORY_SLOT, &slot));
	slot.size = SLOT_SIZE;
	slot.userspace_addr = (uintptr_t)moved;
	ASSERT_EQ(0, ioctl(self->t.vm.vm_fd, HVM_SET_MEMORY_SLOT, &slot));
	run_touching(_metadata, self, 5);
	EXPECT_EQ(self->counter, first_word(self->area));
	EXPECT_EQ(self->counter, first_word(self->area + 3 * 0x1000));
	TH_LOG("after mremap and a new slot the guest's stores show at the new address: counter %llu",
	       (unsigned long long)self->counter);
}

/* ---- many VMs ------------------------------------------------------------ */

static int vms_round(struct test_vm *vms)
{
	int i, ret = 0;

	for (i = 0; i < VMS_AT_ONCE && !ret; i++) {
		ret = lifetime_vm(&vms[i], LIFETIME_HALT);
		if (ret)
			break;
		ret = hvm_vcpu_run(&vms[i].vcpus[0]);
		if (!ret && vms[i].vcpus[0].run->exit_reason != HVM_EXIT_HLT)
			ret = vms[i].vcpus[0].run->exit_reason;
	}
	for (i = 0; i < VMS_AT_ONCE; i++)
		test_vm_destroy(&vms[i]);
	return ret;
}

TEST_F_TIMEOUT(lifetime, create_destroy_64_vms, 120)
{
	static struct test_vm vms[VMS_AT_ONCE];
	struct kmem_figures k[BLOCKS + 1];
	long grow, loss, min_grow = LONG_MAX, min_loss = LONG_MAX, baseline;
	long tol_scale = kmem_debug_kernel() ? 4 : 1;
	int block, round;
	double start = now_seconds();

	baseline = hvm_module_refcnt();
	ASSERT_LE(0, baseline);
	ASSERT_EQ(0, vms_round(vms));
	ASSERT_EQ(0, kmem_read_settled(&k[0]));
	for (block = 0; block < BLOCKS; block++) {
		for (round = 0; round < BLOCK_ROUNDS; round++)
			ASSERT_EQ(0, vms_round(vms));
		ASSERT_EQ(baseline, hvm_module_refcnt_wait(baseline, 2000));
		ASSERT_EQ(0, kmem_read_settled(&k[block + 1]));
		grow = kmem_kernel_kb(&k[block + 1]) - kmem_kernel_kb(&k[block]);
		loss = k[block].available_kb - k[block + 1].available_kb;
		TH_LOG("block %d (%d VMs): kernel memory %+ld kB (slab %+ld, vmalloc %+ld, page tables %+ld), MemAvailable %+ld kB",
		       block, BLOCK_ROUNDS * VMS_AT_ONCE, grow,
		       k[block + 1].slab_kb - k[block].slab_kb,
		       k[block + 1].vmalloc_kb - k[block].vmalloc_kb,
		       k[block + 1].page_tables_kb - k[block].page_tables_kb,
		       -loss);
		if (grow < min_grow)
			min_grow = grow;
		if (loss < min_loss)
			min_loss = loss;
	}
	TH_LOG("%d VMs, %d alive at once, in %.1fs",
	       (1 + BLOCKS * BLOCK_ROUNDS) * VMS_AT_ONCE, VMS_AT_ONCE,
	       now_seconds() - start);
	EXPECT_GE(VMS_KERNEL_TOL_KB * tol_scale, min_grow);
	EXPECT_GE(VMS_AVAILABLE_TOL_KB * tol_scale, min_loss);
}

TEST_HARNESS_MAIN
