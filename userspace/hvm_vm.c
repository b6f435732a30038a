// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-run's hvm backend: the VM on /dev/hvm, its devices in hvm-helper
 * (forked with the VM's I/O ring and the guest RAM memfd), the vCPUs'
 * exits as hvm reports them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devices/devices.h"
#include "hvm_run.h"
#include "hvm_stats.h"

static struct {
	struct hvm_vm_handle vm;
	struct hvm_vcpu_handle vcpus[HVM_MAX_VCPUS];
	unsigned int nr_vcpus;
	void *ram;
	int mem_fd;
	int stats_fd;
	bool irqchip;
	bool verbose;
	const char *helper_path;
	pid_t helper;
	pthread_t watcher;
} hvm;

/* ---- the device helper --------------------------------------------------- */

static const char *default_helper_path(void)
{
	char self[PATH_MAX];
	static char path[PATH_MAX + 16];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		die("cannot find hvm-helper: /proc/self/exe: %s (use --helper)",
		    strerror(errno));
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/hvm-helper", dirname(self));
	return path;
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "wait status %#x", status);
}

/*
 * fork+exec the helper with the ring fd and the guest RAM memfd (mapped
 * at 0, the one slot).  Returns its pid once it said it is ready; any
 * failure to get there is fatal, with the reason.
 */
static pid_t start_helper(const struct options *opts, int ring_fd,
			  int mem_fd, bool console_input)
{
	const char *path = hvm.helper_path;
	char ring_arg[16], mem_fd_arg[16], map_arg[48], how[64];
	char *argv[11 + 2 * MAX_DISKS + 2 * HVM_RUN_MAX_NETS] = {
		(char *)path, "--ring-fd", ring_arg, "--mem-fd", mem_fd_arg,
		"--mem-map", map_arg,
	};
	unsigned int argc = 7;
	const int keep[] = { ring_fd, mem_fd };
	unsigned int i;
	int ret, status;

	if (opts->verbose)
		argv[argc++] = "--verbose";
	if (console_input)
		argv[argc++] = "--console-input";
	if (opts->stats)
		argv[argc++] = "--stats";
	for (i = 0; i < opts->nr_disks; i++) {
		argv[argc++] = "--disk";
		argv[argc++] = (char *)opts->disks[i];
	}
	for (i = 0; i < opts->nr_nets; i++) {
		argv[argc++] = "--net";
		argv[argc++] = (char *)opts->nets[i];
	}
	snprintf(ring_arg, sizeof(ring_arg), "%d", ring_fd);
	snprintf(mem_fd_arg, sizeof(mem_fd_arg), "%d", mem_fd);
	snprintf(map_arg, sizeof(map_arg), "0,%#" PRIx64 ",0", opts->mem_size);
	fflush(NULL);
	ret = hvm_helper_spawn(path, argv, keep, 2, &status);
	if (ret == -ECHILD) {
		if (status < 0)
			die("the device helper %s failed to start", path);
		describe_status(status, how, sizeof(how));
		die("the device helper %s failed to start (%s)", path, how);
	}
	if (ret < 0)
		die("cannot start the device helper %s: %s", path,
		    strerror(-ret));
	return ret;
}

/* After the VM is gone the helper sees POLLHUP and exits on its own. */
static void reap_helper(pid_t pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "hvm-run: the device helper did not exit; killing it\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * A helper that dies ends the run even while no vCPU asks it anything: a
 * guest waiting for a disk's interrupt may sit in HLT for ever.  WNOWAIT
 * leaves the reaping to reap_helper(); at a normal end the status is
 * already set and finish() changes nothing.
 */
static void *watch_helper(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	char how[64];
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	if (info.si_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exit status %d", info.si_status);
	else
		snprintf(how, sizeof(how), "killed by signal %d",
			 info.si_status);
	finish(STATUS_GUEST_ERROR, "the device helper died (%s)", how);
	return NULL;
}

static void format_insn(const struct hvm_run *run, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < run->decode.insn_len && i < 15 && used < len; i++)
		used += snprintf(buf + used, len - used, " %02x",
				 run->decode.insn[i]);
	if (!run->decode.insn_len)
		snprintf(buf, len, " (not fetched)");
}

/* ---- the VM and its vCPUs ------------------------------------------------- */

static void *hvm_create(const struct options *opts)
{
	long free_huge;
	int ret;

	hvm.helper_path = opts->helper_path ? opts->helper_path :
					      default_helper_path();
	if (access(hvm.helper_path, X_OK) < 0)
		die("cannot start the device helper %s: %s", hvm.helper_path,
		    strerror(errno));
	memset(hvm.vcpus, 0, sizeof(hvm.vcpus));
	hvm.nr_vcpus = 0;
	hvm.stats_fd = -1;
	hvm.verbose = opts->verbose;
	ret = hvm_vm_create(&hvm.vm);
	if (ret == -ENOENT) {
		fprintf(stderr, "hvm: /dev/hvm not found: is the hvm module loaded? (sudo modprobe hvm, or sudo insmod module/hvm.ko in the source tree)\n");
		return NULL;
	}
	/* The udev rule gives /dev/hvm to the hvm group, nobody else. */
	if (ret == -EACCES)
		die("no permission to open /dev/hvm: is this user in the hvm group (a new login after adduser)?");
	if (ret == -EPROTO)
		die("/dev/hvm speaks another API version than %d",
		    HVM_API_VERSION);
	if (ret)
		die("cannot create a VM on /dev/hvm: %s", strerror(-ret));
	hvm.irqchip = hvm_vm_check_extension(&hvm.vm, HVM_EXT_IRQCHIP) > 0;

	ret = hvm_vm_add_memfd(&hvm.vm, 0, 0, opts->mem_size, 0,
			       opts->hugetlb ? HVM_MEMFD_HUGETLB : 0, &hvm.ram,
			       &hvm.mem_fd);
	if (ret && opts->hugetlb) {
		free_huge = hvm_hugetlb_free_pages();
		if (ret == -ENOMEM && free_huge >= 0)
			die("--hugetlb: %" PRIu64 " MiB of guest RAM needs %" PRIu64 " free 2 MiB huge pages, the host has %ld (reserve more in /proc/sys/vm/nr_hugepages)",
			    (uint64_t)(opts->mem_size >> 20),
			    (uint64_t)(opts->mem_size / HVM_HUGE_PAGE_SIZE),
			    free_huge);
		die("--hugetlb: cannot get %" PRIu64 " bytes of 2 MiB huge pages: %s%s",
		    opts->mem_size, strerror(-ret),
		    free_huge < 0 ? " (the host kernel has no 2 MiB hugetlb pages)" : "");
	}
	if (ret)
		die("cannot add %" PRIu64 " bytes of guest memory: %s",
		    opts->mem_size, strerror(-ret));
	ret = hvm_vm_set_default_cpuid(&hvm.vm);
	if (ret)
		die("cannot set the guest CPUID: %s", strerror(-ret));
	return hvm.ram;
}

static bool hvm_has_irqchip(void)
{
	return hvm.irqchip;
}

static void hvm_create_vcpu(unsigned int id)
{
	int ret = hvm_vcpu_create(&hvm.vm, id, &hvm.vcpus[id]);

	if (ret)
		die("cannot create vCPU %u: %s", id, strerror(-ret));
	hvm.nr_vcpus = id + 1;
}

static long hvm_tsc_khz(void)
{
	return hvm_vm_check_extension(&hvm.vm, HVM_EXT_TSC_KHZ);
}

static void hvm_set_entry(unsigned int id, const struct vcpu_entry *entry)
{
	struct hvm_vcpu_handle *vcpu = &hvm.vcpus[id];
	int ret;

	if (entry->wait_sipi) {
		ret = hvm_vcpu_set_mp_state(vcpu, HVM_MP_STATE_WAIT_SIPI);
		if (ret)
			die("cannot set up vCPU %u: %s", id, strerror(-ret));
		return;
	}
	if (ioctl(vcpu->fd, HVM_SET_SREGS, &entry->sregs) < 0)
		die("vCPU %u: HVM_SET_SREGS: %s", id, strerror(errno));
	if (ioctl(vcpu->fd, HVM_SET_REGS, &entry->regs) < 0)
		die("vCPU %u: HVM_SET_REGS: %s", id, strerror(errno));
}

static void hvm_start_devices(const struct options *opts, bool console_input)
{
	int ring_fd, ret;

	if (opts->stats) {
		hvm.stats_fd = ioctl(hvm.vm.vm_fd, HVM_GET_STATS_FD, 0);
		if (hvm.stats_fd < 0)
			fprintf(stderr, "hvm-run: no VM statistics: %s\n",
				strerror(errno));
	}
	ring_fd = hvm_ring_create(&hvm.vm);
	if (ring_fd < 0)
		die("cannot create the I/O ring: %s", strerror(-ring_fd));
	hvm.helper = start_helper(opts, ring_fd, hvm.mem_fd, console_input);
	/* The helper holds the only ring fd: its death closes the ring. */
	close(ring_fd);
	ret = pthread_create(&hvm.watcher, NULL, watch_helper,
			     (void *)(intptr_t)hvm.helper);
	if (ret)
		die("cannot start a thread to watch the helper: %s",
		    strerror(ret));
}

/* ---- running ------------------------------------------------------------- */

/* Returns false when this vCPU is done. */
static bool handle_exit(struct hvm_vcpu_handle *vcpu)
{
	struct hvm_run *run = vcpu->run;
	unsigned int id = vcpu->id;
	char insn[64];

	switch (run->exit_reason) {
	case HVM_EXIT_STOPPED:
		run_stop(run->stop.code);
		return false;
	case HVM_EXIT_HLT:
		return run_vcpu_halted(id, run->regs.rip);
	case HVM_EXIT_INTR:
	case HVM_EXIT_NONE:
		return true;
	case HVM_EXIT_IO:
	case HVM_EXIT_MMIO:
		/* Only without a ring; answer like an absent device. */
		if (hvm.verbose)
			fprintf(stderr, "hvm-run: vCPU %u: unserved %s %s %#llx\n",
				id, run->exit_reason == HVM_EXIT_IO ? "port" :
				"mmio", run->io.is_write ? "write" : "read",
				(unsigned long long)run->io.addr);
		if (!run->io.is_write)
			run->io.data = ~0ULL;
		return true;
	case HVM_EXIT_MSR:
		if (hvm.verbose)
			fprintf(stderr, "hvm-run: vCPU %u: %s of unknown MSR %#x: #GP\n",
				id, run->msr.is_write ? "write" : "read",
				run->msr.index);
		run->msr.error = 1;
		return true;
	case HVM_EXIT_SHUTDOWN:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: guest shut down (triple fault) at rip %#llx (hw exit %#llx, info %#llx %#llx)",
		       id, (unsigned long long)run->regs.rip,
		       (unsigned long long)run->hw.hw_exit_code,
		       (unsigned long long)run->hw.info1,
		       (unsigned long long)run->hw.info2);
		return false;
	case HVM_EXIT_FAIL_ENTRY:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: the CPU refused to enter the guest at rip %#llx (hw exit %#llx, info %#llx %#llx)",
		       id, (unsigned long long)run->regs.rip,
		       (unsigned long long)run->hw.hw_exit_code,
		       (unsigned long long)run->hw.info1,
		       (unsigned long long)run->hw.info2);
		return false;
	case HVM_EXIT_UNHANDLED:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: unhandled exit (hw exit %#llx, info %#llx %#llx) at rip %#llx",
		       id, (unsigned long long)run->hw.hw_exit_code,
		       (unsigned long long)run->hw.info1,
		       (unsigned long long)run->hw.info2,
		       (unsigned long long)run->regs.rip);
		return false;
	case HVM_EXIT_DECODE_FAILED:
		format_insn(run, insn, sizeof(insn));
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: cannot emulate the MMIO access to gpa %#llx by the instruction at rip %#llx, bytes:%s",
		       id, (unsigned long long)run->decode.gpa,
		       (unsigned long long)run->decode.rip, insn);
		return false;
	default:
		finish(STATUS_GUEST_ERROR, "vCPU %u: unknown exit reason %u",
		       id, run->exit_reason);
		return false;
	}
}

static void hvm_run_vcpu(unsigned int id)
{
	struct hvm_vcpu_handle *vcpu = &hvm.vcpus[id];
	int ret;

	while (!run_done()) {
		ret = hvm_vcpu_run(vcpu);
		if (ret == -EINTR)
			continue;
		if (ret == -EPIPE) {
			finish(STATUS_GUEST_ERROR,
			       "vCPU %u: the device helper is gone (its I/O ring was closed)",
			       vcpu->id);
			break;
		}
		if (ret) {
			finish(STATUS_GUEST_ERROR, "vCPU %u: HVM_RUN failed: %s",
			       vcpu->id, strerror(-ret));
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
}

/* --stats: the VM's exits by kind, from its stats fd. */
static void print_vm_stats(int stats_fd, double seconds)
{
	static const char *const kinds[] = {
		"io", "npf", "cpuid", "rdmsr", "wrmsr", "hlt", "irq_window",
		"pause", "other",
	};
	struct hvm_stats st;
	unsigned int i;

	if (stats_fd < 0 || hvm_stats_open(stats_fd, &st))
		return;
	if (!hvm_stats_read(&st)) {
		fprintf(stderr, "hvm-run: %.2f s, %" PRIu64 " exits:", seconds,
			hvm_stats_value(&st, "exits"));
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "exits_%s", kinds[i]);
			fprintf(stderr, " %s %" PRIu64, kinds[i],
				hvm_stats_value(&st, name));
		}
		fprintf(stderr, "; ring sync %" PRIu64 " posted %" PRIu64 "\n",
			hvm_stats_value(&st, "ring_sync"),
			hvm_stats_value(&st, "ring_posted"));
	}
	hvm_stats_close(&st);
}

static void hvm_destroy(const struct options *opts, double seconds)
{
	unsigned int i;

	if (opts->stats)
		print_vm_stats(hvm.stats_fd, seconds);
	if (hvm.stats_fd >= 0)
		close(hvm.stats_fd);
	for (i = 0; i < hvm.nr_vcpus; i++)
		hvm_vcpu_close(&hvm.vcpus[i]);
	hvm_vm_close(&hvm.vm);
	reap_helper(hvm.helper);
	pthread_join(hvm.watcher, NULL);
}

const struct run_backend run_backend_hvm = {
	.name = "hvm",
	.create = hvm_create,
	.has_irqchip = hvm_has_irqchip,
	.create_vcpu = hvm_create_vcpu,
	.tsc_khz = hvm_tsc_khz,
	.set_entry = hvm_set_entry,
	.start_devices = hvm_start_devices,
	.run_vcpu = hvm_run_vcpu,
	.destroy = hvm_destroy,
};
