/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the hvm selftests: a VM with one RAM slot and a guest
 * loaded at GUEST_CODE_GPA, a ring helper thread, and assertions on exits.
 * Functions return 0 or -errno; only the macros assert (they need the
 * harness's _metadata and must run on the test's main thread).
 */
#ifndef HVM_SELFTEST_TEST_UTIL_H
#define HVM_SELFTEST_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include "libhvm.h"
#include "guest_layout.h"

/* A flat guest binary embedded by guest_embed.S. */
struct guest_blob {
	const uint8_t *start;
	const uint8_t *end;
};

#define DECLARE_GUEST(name) \
	extern const uint8_t name##_start[], name##_end[]
#define GUEST(name) ((struct guest_blob){ name##_start, name##_end })

enum guest_mode {
	GUEST_MODE_REAL,
	GUEST_MODE_PROT32,
	GUEST_MODE_LONG64,
};

#define TEST_VM_MAX_VCPUS 4

struct test_vm {
	struct hvm_vm_handle vm;
	struct hvm_vcpu_handle vcpus[TEST_VM_MAX_VCPUS];
	unsigned int nr_vcpus;
	enum guest_mode mode;
	uint8_t *ram;		/* host view of slot 0 */
	int mem_fd;		/* slot 0's memfd (owned by vm), or -1 */
};

/*
 * New VM: slot 0 = GUEST_RAM_SIZE bytes of RAM at GUEST_RAM_GPA, the
 * default CPUID table, the guest copied to GUEST_CODE_GPA and one vCPU (id
 * 0) about to run it in the given mode.
 */
int test_vm_create(struct test_vm *t, struct guest_blob guest,
		   enum guest_mode mode);
/*
 * The same with slot 0 in a memfd (hvm_vm_add_memfd()) that a helper
 * process can map: t->mem_fd.
 */
int test_vm_create_shared(struct test_vm *t, struct guest_blob guest,
			  enum guest_mode mode);
/* Another vCPU (next id) set up like the first one. */
int test_vm_add_vcpu(struct test_vm *t, struct hvm_vcpu_handle **vcpu);
/* Closes everything; safe on a zeroed or half-created test_vm. */
void test_vm_destroy(struct test_vm *t);

static inline void *guest_ptr(struct test_vm *t, uint64_t gpa)
{
	return t->ram + (gpa - GUEST_RAM_GPA);
}

static inline uint64_t guest_result(struct test_vm *t, unsigned int i)
{
	uint64_t value;

	memcpy(&value, guest_ptr(t, GUEST_RESULT(i)), sizeof(value));
	return value;
}

static inline void guest_set_param(struct test_vm *t, unsigned int i,
				   uint64_t value)
{
	memcpy(guest_ptr(t, GUEST_PARAM(i)), &value, sizeof(value));
}

const char *exit_reason_str(uint32_t reason);
/* The exit reason with what the kernel reported about it, in buf. */
const char *exit_describe(const struct hvm_run *run, char *buf, size_t size);

/*
 * A device helper serving the VM's ring from a thread of this process, the
 * way hvm-helper does from its own.  The callbacks run on that thread.
 */
struct ring_helper {
	struct hvm_ring_map map;
	pthread_t thread;
	atomic_bool stop;
	bool started;
	hvm_posted_cb posted_cb;
	hvm_sync_cb sync_cb;
	void *opaque;
	/* First unexpected hvm_ring_serve() failure, 0 if none. */
	int error;
};

int ring_helper_start(struct ring_helper *helper, struct hvm_vm_handle *vm,
		      hvm_posted_cb posted_cb, hvm_sync_cb sync_cb,
		      void *opaque);
/* Stops the thread, unmaps the ring; returns helper->error. */
int ring_helper_stop(struct ring_helper *helper);

/*
 * Logs the vCPU's registers and control state (after an exit nobody
 * expected: where the guest was and what it saw).
 */
#define LOG_VCPU_STATE(vcpu_handle) do {				\
	struct hvm_vcpu_handle *__s = (vcpu_handle);			\
	const struct hvm_regs *__r = &__s->run->regs;			\
	struct hvm_sregs __sr;						\
	TH_LOG("rip %#llx rsp %#llx rflags %#llx rax %#llx rcx %#llx rdx %#llx rdi %#llx r8 %#llx", \
	       (unsigned long long)__r->rip, (unsigned long long)__r->rsp, \
	       (unsigned long long)__r->rflags,				\
	       (unsigned long long)__r->rax, (unsigned long long)__r->rcx, \
	       (unsigned long long)__r->rdx, (unsigned long long)__r->rdi, \
	       (unsigned long long)__r->r8);				\
	if (ioctl(__s->fd, HVM_GET_SREGS, &__sr) == 0)			\
		TH_LOG("cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx idt %#llx/%#x cs %#x/%#x ss %#x", \
		       (unsigned long long)__sr.cr0,			\
		       (unsigned long long)__sr.cr2,			\
		       (unsigned long long)__sr.cr3,			\
		       (unsigned long long)__sr.cr4,			\
		       (unsigned long long)__sr.efer,			\
		       (unsigned long long)__sr.idt.base, __sr.idt.limit, \
		       __sr.cs.selector, __sr.cs.attrib, __sr.ss.selector); \
} while (0)

/*
 * Kernel modules a test loads itself: KVM's, for the tests and the bench
 * that compare with it or make it hold the CPU, and hvm.ko again after the
 * bench unloaded it.  selftests/Makefile ships Debian's KVM modules next to
 * the tests; a lab whose module tree has KVM (the debug lab) is used
 * instead.
 */
struct kmod {
	const char *name;	/* file name without .ko */
	const char *dir;	/* under /lib/modules/RELEASE/kernel/ */
	bool optional;		/* may be built in or absent */
};

/* KVM's modules for an AMD (else Intel) CPU, in load order; their number. */
size_t kvm_modules(bool amd, const struct kmod **mods);
/*
 * Loads m from the running kernel's module tree when it has KVM, else
 * NAME.ko from the current directory.  0 (also when already loaded),
 * -ENOENT when there is no such file, or -errno from finit_module().
 */
int kmod_load(const struct kmod *m);
/* Loads the module file at path: 0, or -errno (-EEXIST: already loaded). */
int kmod_load_file(const char *path);
/* Unloads a module by file name ('-' or '_'): 0 or -errno, never waits. */
int kmod_unload(const char *name);
/* Whether /sys/module/NAME exists (loaded or built in). */
bool kmod_loaded(const char *name);
/*
 * Switching hypervisors (the bench, kvm_backend_test): only one may hold
 * SVM/VMX.  kvm_load_all() loads KVM's modules for this CPU in order,
 * optional ones where they exist: 0, or -errno with *failed naming the
 * module.  kvm_unload_all() unloads them in reverse.  hvm_unload() waits
 * for hvm.ko's last VM to go (its final fput may run from task work),
 * then unloads it: 0 (also when not loaded) or -errno.  hvm_load() loads
 * the file at path unless hvm is loaded: 0 or -errno.
 */
int kvm_load_all(bool amd, const char **failed);
void kvm_unload_all(bool amd);
int hvm_unload(void);
int hvm_load(const char *path);
/* KVM's module files exist: in the module tree, or shipped beside us. */
bool have_kvm_modules(void);
/* Where the lab's /init loaded hvm.ko from. */
#define LAB_HVM_KO	"/hvm/hvm.ko"
/*
 * A test's switch to KVM and back (hvm-run --backend kvm): hvm.ko out and
 * KVM in, 0 or -errno (*failed: the module); then KVM out and LAB_HVM_KO
 * in again, 0 or -errno.
 */
int kvm_switch_in(const char **failed);
int kvm_switch_back(void);
/* The CPU's vendor from CPUID leaf 0, for when hvm.ko is not loaded. */
bool cpu_is_amd(void);
/* HVM_CHECK_EXTENSION on a VM made for the question: value or -errno. */
long vm_extension(unsigned int ext);

/* Seconds on CLOCK_MONOTONIC. */
double now_seconds(void);

/* One HVM_RUN of a vCPU on a thread of its own. */
struct vcpu_thread {
	pthread_t thread;
	struct hvm_vcpu_handle *vcpu;
	atomic_bool done;	/* HVM_RUN returned */
	int ret;		/* what hvm_vcpu_run() returned */
	double returned_at;	/* now_seconds() when it returned */
};

/* Starts HVM_RUN of vcpu on a new thread: 0 or pthread_create()'s error. */
int vcpu_thread_start(struct vcpu_thread *vt, struct hvm_vcpu_handle *vcpu);
/* Waits up to seconds for HVM_RUN to return; true once it did. */
bool vcpu_thread_wait(struct vcpu_thread *vt, double seconds);
/*
 * A SIGUSR1 handler that does nothing, installed without SA_RESTART: the
 * signal sent to a vCPU thread makes its HVM_RUN return EINTR.  0 or -errno.
 */
int sigusr1_interrupts(void);

/*
 * Small files under /proc and /sys.  sysfs_write: 0 or -errno;
 * sysfs_read_number: the first number in the file, -1 if there is none;
 * sysfs_has_word: whether a whitespace-separated word of the file is word
 * ("[never]" in transparent_hugepage/enabled, "memory" in a cgroup list).
 */
int sysfs_write(const char *path, const char *text);
long sysfs_read_number(const char *path);
bool sysfs_has_word(const char *path, const char *word);

/*
 * Memory cgroup v2 for tests that check what is charged where.
 * memcg_available() mounts cgroup2 at CGROUP_ROOT when nothing is mounted
 * there (as in the lab) and enables the memory controller for children:
 * 0, -EOPNOTSUPP without cgroup v2 or its memory controller (skip), else
 * -errno.  memcg_enter() creates CGROUP_ROOT/<prefix>-<pid> with
 * memory.max = max bytes (0: no limit), moves the calling process into it
 * and puts the directory in dir; memcg_leave() moves the process back to
 * the root and removes the directory (safe with an empty dir).
 */
#define CGROUP_ROOT	"/sys/fs/cgroup"
int memcg_available(void);
int memcg_enter(char *dir, size_t size, const char *prefix, long max);
void memcg_leave(const char *dir);
/* memory.current of the cgroup at dir, in bytes; -1 if unreadable. */
long memcg_current(const char *dir);

/*
 * Assertions, for test bodies.  RUN_EXPECT runs the vCPU once and insists
 * on the exit reason, logging what happened instead.
 */
#define RUN_EXPECT(vcpu_handle, reason) do {				\
	struct hvm_vcpu_handle *__v = (vcpu_handle);			\
	int __r = hvm_vcpu_run(__v);					\
	ASSERT_EQ(0, __r)						\
		TH_LOG("HVM_RUN failed: %s", strerror(-__r));		\
	char __desc[160];						\
	ASSERT_EQ((uint32_t)(reason), __v->run->exit_reason)		\
		TH_LOG("exit %s (wanted %s)",				\
		       exit_describe(__v->run, __desc, sizeof(__desc)),	\
		       exit_reason_str(reason));			\
} while (0)

/* An ioctl that must fail with errno err. */
#define ASSERT_IOCTL_ERRNO(err, fd, cmd, arg) do {			\
	int __ret = ioctl((fd), (cmd), (arg));				\
	int __err = errno;						\
	ASSERT_EQ(-1, __ret)						\
		TH_LOG("%s on %s succeeded, wanted %s", #cmd, #fd,	\
		       strerror(err));					\
	ASSERT_EQ((err), __err)						\
		TH_LOG("%s on %s: %s, wanted %s", #cmd, #fd,		\
		       strerror(__err), strerror(err));			\
} while (0)


/*
 * Running a program the way a user would (cli_test, linux_boot_test):
 * argv with a PATH lookup, stdin from /dev/null, stdout and stderr
 * captured (the first OUTPUT_MAX - 1 bytes of each; more is read and
 * dropped, so the program never blocks on a full pipe).  After timeout
 * seconds it is killed with SIGKILL and timed_out is set.
 */
#define OUTPUT_MAX	16384

struct cmd_result {
	int status;		/* exit status, or 128 + signal */
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
	size_t out_len, err_len;
	bool timed_out;
};

int run_cmd(char *const argv[], double timeout, struct cmd_result *r);

#endif /* HVM_SELFTEST_TEST_UTIL_H */
