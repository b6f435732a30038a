// SPDX-License-Identifier: GPL-2.0
/* Shared helpers for the hvm selftests: see test_util.h. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest.h"
#include "test_util.h"
#include "kmem_check.h"

const char *exit_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		[HVM_EXIT_NONE] = "NONE",
		[HVM_EXIT_HLT] = "HLT",
		[HVM_EXIT_IO] = "IO",
		[HVM_EXIT_MMIO] = "MMIO",
		[HVM_EXIT_MSR] = "MSR",
		[HVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[HVM_EXIT_DECODE_FAILED] = "DECODE_FAILED",
		[HVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[HVM_EXIT_UNHANDLED] = "UNHANDLED",
		[HVM_EXIT_STOPPED] = "STOPPED",
		[HVM_EXIT_INTR] = "INTR",
		[HVM_EXIT_HYPERCALL] = "HYPERCALL",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "unknown";
}

const char *exit_describe(const struct hvm_run *run, char *buf, size_t size)
{
	const char *name = exit_reason_str(run->exit_reason);
	unsigned long long rip = run->regs.rip;
	int n;

	switch (run->exit_reason) {
	case HVM_EXIT_IO:
	case HVM_EXIT_MMIO:
		snprintf(buf, size, "%s %s %#llx size %u rip %#llx", name,
			 run->io.is_write ? "write" : "read",
			 (unsigned long long)run->io.addr, run->io.size, rip);
		break;
	case HVM_EXIT_DECODE_FAILED:
		n = snprintf(buf, size, "%s gpa %#llx rip %#llx insn", name,
			     (unsigned long long)run->decode.gpa,
			     (unsigned long long)run->decode.rip);
		for (unsigned int i = 0; i < run->decode.insn_len &&
		     i < sizeof(run->decode.insn) && n > 0 && (size_t)n < size; i++)
			n += snprintf(buf + n, size - n, " %02x",
				      run->decode.insn[i]);
		if (!run->decode.insn_len && n > 0 && (size_t)n < size)
			snprintf(buf + n, size - n, " (not fetched)");
		break;
	case HVM_EXIT_FAIL_ENTRY:
	case HVM_EXIT_UNHANDLED:
	case HVM_EXIT_SHUTDOWN:
		snprintf(buf, size, "%s hw %#llx info %#llx %#llx rip %#llx",
			 name, (unsigned long long)run->hw.hw_exit_code,
			 (unsigned long long)run->hw.info1,
			 (unsigned long long)run->hw.info2, rip);
		break;
	default:
		snprintf(buf, size, "%s rip %#llx", name, rip);
		break;
	}
	return buf;
}

static int setup_vcpu_mode(struct test_vm *t, struct hvm_vcpu_handle *vcpu)
{
	switch (t->mode) {
	case GUEST_MODE_REAL:
		return hvm_vcpu_setup_real(vcpu, GUEST_CODE_GPA);
	case GUEST_MODE_PROT32:
		return hvm_vcpu_setup_prot32(vcpu, GUEST_CODE_GPA);
	case GUEST_MODE_LONG64:
		return hvm_vcpu_setup_long64(vcpu, GUEST_CODE_GPA, t->ram,
					     GUEST_RAM_GPA, GUEST_PT_GPA);
	}
	return -EINVAL;
}

static int vm_create(struct test_vm *t, struct guest_blob guest,
		     enum guest_mode mode, bool shared)
{
	size_t guest_size = guest.end - guest.start;
	struct hvm_vcpu_handle *vcpu;
	void *ram;
	int ret;

	memset(t, 0, sizeof(*t));
	t->vm.sys_fd = -1;
	t->vm.vm_fd = -1;
	t->mem_fd = -1;
	t->mode = mode;
	if (guest_size == 0 || guest_size > GUEST_CODE_MAX)
		return -E2BIG;

	ret = hvm_vm_create(&t->vm);
	if (ret < 0)
		return ret;
	if (shared)
		ret = hvm_vm_add_memfd(&t->vm, 0, GUEST_RAM_GPA, GUEST_RAM_SIZE,
				       0, 0, &ram, &t->mem_fd);
	else
		ret = hvm_vm_add_memory(&t->vm, 0, GUEST_RAM_GPA,
					GUEST_RAM_SIZE, 0, &ram);
	if (ret < 0)
		goto fail;
	t->ram = ram;
	ret = hvm_vm_set_default_cpuid(&t->vm);
	if (ret < 0)
		goto fail;
	memcpy(guest_ptr(t, GUEST_CODE_GPA), guest.start, guest_size);

	ret = test_vm_add_vcpu(t, &vcpu);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	test_vm_destroy(t);
	return ret;
}

int test_vm_create(struct test_vm *t, struct guest_blob guest,
		   enum guest_mode mode)
{
	return vm_create(t, guest, mode, false);
}

int test_vm_create_shared(struct test_vm *t, struct guest_blob guest,
			  enum guest_mode mode)
{
	return vm_create(t, guest, mode, true);
}

int test_vm_add_vcpu(struct test_vm *t, struct hvm_vcpu_handle **out)
{
	struct hvm_vcpu_handle *vcpu;
	int ret;

	if (t->nr_vcpus == TEST_VM_MAX_VCPUS)
		return -ENOSPC;
	vcpu = &t->vcpus[t->nr_vcpus];
	ret = hvm_vcpu_create(&t->vm, t->nr_vcpus, vcpu);
	if (ret < 0)
		return ret;
	t->nr_vcpus++;
	ret = setup_vcpu_mode(t, vcpu);
	if (ret < 0)
		return ret;
	*out = vcpu;
	return 0;
}

void test_vm_destroy(struct test_vm *t)
{
	while (t->nr_vcpus > 0)
		hvm_vcpu_close(&t->vcpus[--t->nr_vcpus]);
	if (t->vm.vm_fd > 0 || t->vm.sys_fd > 0)
		hvm_vm_close(&t->vm);
	t->vm.vm_fd = -1;
	t->vm.sys_fd = -1;
	/* The RAM belongs to the VM handle in libhvm; forget our view. */
	t->ram = NULL;
	t->mem_fd = -1;
}

static void *ring_helper_thread(void *arg)
{
	struct ring_helper *helper = arg;
	int ret;

	while (!atomic_load(&helper->stop)) {
		ret = hvm_ring_serve(&helper->map, 20, helper->posted_cb,
				     helper->sync_cb, helper->opaque);
		if (ret == 0 || ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		helper->error = ret;
		break;
	}
	return NULL;
}

int ring_helper_start(struct ring_helper *helper, struct hvm_vm_handle *vm,
		      hvm_posted_cb posted_cb, hvm_sync_cb sync_cb,
		      void *opaque)
{
	int ring_fd, ret;

	memset(helper, 0, sizeof(*helper));
	helper->posted_cb = posted_cb;
	helper->sync_cb = sync_cb;
	helper->opaque = opaque;
	ring_fd = hvm_ring_create(vm);
	if (ring_fd < 0)
		return ring_fd;
	ret = hvm_ring_map(ring_fd, &helper->map);
	if (ret < 0) {
		close(ring_fd);
		return ret;
	}
	ret = -pthread_create(&helper->thread, NULL, ring_helper_thread,
			      helper);
	if (ret < 0) {
		hvm_ring_unmap(&helper->map);
		return ret;
	}
	helper->started = true;
	return 0;
}

int ring_helper_stop(struct ring_helper *helper)
{
	if (!helper->started)
		return 0;
	atomic_store(&helper->stop, true);
	pthread_join(helper->thread, NULL);
	hvm_ring_unmap(&helper->map);
	helper->started = false;
	return helper->error;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *vt = arg;

	vt->ret = hvm_vcpu_run(vt->vcpu);
	vt->returned_at = now_seconds();
	atomic_store(&vt->done, true);
	return NULL;
}

int vcpu_thread_start(struct vcpu_thread *vt, struct hvm_vcpu_handle *vcpu)
{
	vt->vcpu = vcpu;
	vt->ret = 0;
	atomic_store(&vt->done, false);
	return pthread_create(&vt->thread, NULL, vcpu_thread_fn, vt);
}

bool vcpu_thread_wait(struct vcpu_thread *vt, double seconds)
{
	double deadline = now_seconds() + seconds;

	while (!atomic_load(&vt->done) && now_seconds() < deadline)
		usleep(1000);
	return atomic_load(&vt->done);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

int sigusr1_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	return sigaction(SIGUSR1, &sa, NULL) ? -errno : 0;
}

static const struct kmod kvm_amd_modules[] = {
	{ "irqbypass", "virt/lib", true },
	{ "ccp", "drivers/crypto/ccp", true },
	{ "kvm", "arch/x86/kvm", false },
	{ "kvm-amd", "arch/x86/kvm", false },
};

static const struct kmod kvm_intel_modules[] = {
	{ "irqbypass", "virt/lib", true },
	{ "kvm", "arch/x86/kvm", false },
	{ "kvm-intel", "arch/x86/kvm", false },
};

size_t kvm_modules(bool amd, const struct kmod **mods)
{
	if (amd) {
		*mods = kvm_amd_modules;
		return ARRAY_SIZE(kvm_amd_modules);
	}
	*mods = kvm_intel_modules;
	return ARRAY_SIZE(kvm_intel_modules);
}

int kmod_load_file(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int kmod_load(const struct kmod *m)
{
	char path[256];
	struct utsname uts;
	int ret;

	uname(&uts);
	snprintf(path, sizeof(path),
		 "/lib/modules/%s/kernel/arch/x86/kvm/kvm.ko", uts.release);
	if (access(path, F_OK) == 0)
		snprintf(path, sizeof(path), "/lib/modules/%s/kernel/%s/%s.ko",
			 uts.release, m->dir, m->name);
	else
		snprintf(path, sizeof(path), "%s.ko", m->name);
	ret = kmod_load_file(path);
	return ret == -EEXIST ? 0 : ret;
}

/* Loaded module names use '_' where file names have '-'. */
static void kmod_name(char *mod, size_t size, const char *name)
{
	size_t i;

	snprintf(mod, size, "%s", name);
	for (i = 0; mod[i]; i++)
		if (mod[i] == '-')
			mod[i] = '_';
}

int kmod_unload(const char *name)
{
	char mod[64];

	kmod_name(mod, sizeof(mod), name);
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

bool kmod_loaded(const char *name)
{
	char mod[64], path[96];

	kmod_name(mod, sizeof(mod), name);
	snprintf(path, sizeof(path), "/sys/module/%s", mod);
	return access(path, F_OK) == 0;
}

bool cpu_is_amd(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
		return false;
	/* "AuthenticAMD": EBX "Auth", EDX "enti", ECX "cAMD". */
	return ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;
}

long vm_extension(unsigned int ext)
{
	struct hvm_vm_handle vm;
	long ret = hvm_vm_create(&vm);

	if (ret)
		return ret;
	ret = hvm_vm_check_extension(&vm, ext);
	hvm_vm_close(&vm);
	return ret;
}

int sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(text), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, text, len);
	ret = ret == len ? 0 : ret < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

long sysfs_read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long value = -1;

	if (f) {
		if (fscanf(f, "%ld", &value) != 1)
			value = -1;
		fclose(f);
	}
	return value;
}

bool sysfs_has_word(const char *path, const char *word)
{
	char buf[256];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s", buf) == 1)
		found = !strcmp(buf, word);
	fclose(f);
	return found;
}

int memcg_available(void)
{
	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -EOPNOTSUPP;
	if (!sysfs_has_word(CGROUP_ROOT "/cgroup.controllers", "memory"))
		return -EOPNOTSUPP;
	if (!sysfs_has_word(CGROUP_ROOT "/cgroup.subtree_control", "memory"))
		return sysfs_write(CGROUP_ROOT "/cgroup.subtree_control",
				   "+memory");
	return 0;
}

int memcg_enter(char *dir, size_t size, const char *prefix, long max)
{
	char path[PATH_MAX], text[32];
	int ret;

	snprintf(dir, size, CGROUP_ROOT "/%s-%d", prefix, getpid());
	if (mkdir(dir, 0755))
		return -errno;
	if (max > 0) {
		snprintf(path, sizeof(path), "%s/memory.max", dir);
		snprintf(text, sizeof(text), "%ld", max);
		ret = sysfs_write(path, text);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return sysfs_write(path, "0");
}

void memcg_leave(const char *dir)
{
	if (!dir[0])
		return;
	sysfs_write(CGROUP_ROOT "/cgroup.procs", "0");
	rmdir(dir);
}

long memcg_current(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	return sysfs_read_number(path);
}

/* ---- running programs ------------------------------------------------ */

static void drain_output(int fd, char *buf, size_t *len, bool *open_fd)
{
	char spill[4096];
	size_t room = OUTPUT_MAX - 1 - *len;
	ssize_t n = room ? read(fd, buf + *len, room) :
			   read(fd, spill, sizeof(spill));

	if (n <= 0) {
		*open_fd = false;
		return;
	}
	if (!room)
		return;
	*len += n;
	buf[*len] = '\0';
}

int run_cmd(char *const argv[], double timeout, struct cmd_result *r)
{
	int out[2], err[2], status, null_fd;
	bool out_open = true, err_open = true;
	double deadline = now_seconds() + timeout;
	struct pollfd pfd[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		null_fd = open("/dev/null", O_RDONLY);
		dup2(null_fd, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (out_open || err_open) {
		int left_ms = (int)((deadline - now_seconds()) * 1000);

		if (left_ms <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		pfd[0] = (struct pollfd){ .fd = out_open ? out[0] : -1,
					  .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = err_open ? err[0] : -1,
					  .events = POLLIN };
		if (poll(pfd, 2, left_ms) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			drain_output(out[0], r->out, &r->out_len, &out_open);
		if (pfd[1].revents)
			drain_output(err[0], r->err, &r->err_len, &err_open);
	}
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	return 0;
}

int kvm_load_all(bool amd, const char **failed)
{
	const struct kmod *mods;
	size_t i, n = kvm_modules(amd, &mods);
	int ret;

	for (i = 0; i < n; i++) {
		ret = kmod_load(&mods[i]);
		if (ret == -ENOENT && mods[i].optional)
			continue;
		if (ret) {
			*failed = mods[i].name;
			return ret;
		}
	}
	return 0;
}

void kvm_unload_all(bool amd)
{
	const struct kmod *mods;
	size_t n = kvm_modules(amd, &mods);

	while (n-- > 0)
		kmod_unload(mods[n].name);
}

int hvm_unload(void)
{
	int ret = -EBUSY, i;

	if (!kmod_loaded("hvm"))
		return 0;
	for (i = 0; i < 500; i++) {
		if (hvm_module_refcnt() == 0) {
			ret = kmod_unload("hvm");
			if (ret != -EAGAIN && ret != -EWOULDBLOCK)
				break;
		}
		usleep(10000);
	}
	return ret;
}

int hvm_load(const char *path)
{
	int ret;

	if (kmod_loaded("hvm"))
		return 0;
	ret = kmod_load_file(path);
	return ret == -EEXIST ? 0 : ret;
}

bool have_kvm_modules(void)
{
	char path[256];
	struct utsname uts;

	uname(&uts);
	snprintf(path, sizeof(path),
		 "/lib/modules/%s/kernel/arch/x86/kvm/kvm.ko", uts.release);
	return access(path, F_OK) == 0 || access("kvm.ko", F_OK) == 0;
}

int kvm_switch_in(const char **failed)
{
	int ret = hvm_unload();

	if (ret) {
		*failed = "hvm (unloading)";
		return ret;
	}
	return kvm_load_all(cpu_is_amd(), failed);
}

int kvm_switch_back(void)
{
	kvm_unload_all(cpu_is_amd());
	return hvm_load(LAB_HVM_KO);
}
