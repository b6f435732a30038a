// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-bench: guest memory and exit costs of hvm beside KVM, measured in the
 * same boot of the nested lab (Documentation/performance.rst).
 *
 * Each round runs every backend once, hvm first in even rounds and KVM
 * first in odd ones, so that a drift of the lab (page cache, fragmentation,
 * the emulator's translation cache) does not always favour the same one.
 * Only one hypervisor is loaded while the other measures: before a KVM run
 * hvm.ko is unloaded and KVM's modules are loaded, and the other way
 * round.  Each measurement runs in a child process of its own in a memory
 * cgroup of its own, so that what the VM charges can be read while the VM
 * is alive and nothing survives into the next measurement.
 *
 * The rows (medians over the rounds; hvm/KVM is the ratio of the medians):
 *   first_touch       us per MiB for the guest's first write to each 4 KiB
 *                     page of the area, host memory without huge pages
 *   first_touch_thp   the same with transparent huge pages asked for
 *   first_touch_memfd the same on the memory hvm-run gives a guest: a
 *                     memfd mapped shared (libhvm's hvm_memfd_alloc())
 *   kmem_per_vm       kB: Slab + PageTables + VmallocUsed + KernelStack of
 *                     /proc/meminfo with the VM alive and its area touched,
 *                     minus the same before the child was created
 *   kmem_per_vm_thp   the same for the huge page run
 *   sec_pagetables    kB: the SecPageTables delta of /proc/meminfo (6.1
 *                     and later): nested page tables the kernel was told
 *                     about (KVM tells it; pages from alloc_page() that
 *                     nobody accounts show in none of these figures)
 *   memcg_kernel      kB the child's memory cgroup counts as kernel memory
 *                     (memory.stat "kernel"): what the VM charges its owner
 *   memcg_current     kB of memory.current of that cgroup (the guest's RAM
 *                     included); both memcg rows are "-" on a kernel
 *                     without a cgroup v2 memory controller
 *   exit_cpuid        us per CPUID, which both hypervisors handle in the
 *                     kernel
 *   exit_pio_out      us per OUT to a port the VMM process serves
 *   exit_pio_in       us per IN from such a port (the VMM's value is
 *                     checked by the guest)
 *   exit_mmio_out     us per 32-bit MMIO store the VMM process serves
 *   exit_mmio_in      us per 32-bit MMIO load from it (checked)
 *   ring_in_same      us per IN answered by a helper thread through hvm's
 *                     ring, the thread on the vCPU's CPU; KVM: the same IN
 *                     exiting to the VMM (what a device model costs there)
 *   ring_in_other     the same, the helper thread on the other CPU (on
 *                     a one-CPU lab, Bochs, the same CPU again)
 *   posted_same       us per OUT to a port hvm posts on its ring, helper
 *                     on the vCPU's CPU (each batch closed by one read, so
 *                     every write was consumed); KVM: the OUT queued in
 *                     its coalesced PIO ring, consumed at the next exit
 *   posted_other      the same, the helper on the other CPU
 *   posted_mmio_same  us per MMIO store hvm posts, helper on the vCPU's
 *                     CPU; KVM: its coalesced MMIO ring
 *   posted_mmio_other the same, the helper on the other CPU
 *   lifecycle         us per VM lifetime: create the VM, its slots and
 *                     vCPU, run to the first exit, close (--lifecycles)
 *   vcpu_kmem         kB per vCPU: kmem_per_vm's figure of a VM before
 *                     and after 16 more vCPUs (created, run page mapped,
 *                     never run)
 *   vcpu_memcg        the same from the cgroup's memory.stat kernel
 *   vmsN_kmem         kB per VM of the kmem_per_vm figure with N VMs (1, 8,
 *                     32, 64; at most --max-vms) alive in one child, each
 *                     run to its first exit
 *   vmsN_memcg        the same from the child cgroup's memory.stat kernel
 *   linux_boot        s from starting `hvm-run --backend hvm|kvm --kernel`
 *                     (the lab's Debian kernel and Linux guest initramfs,
 *                     256 MiB, 2 vCPUs) to its exit after the guest's
 *                     marker and ACPI power-off: the same loader, devices
 *                     and guest on both; SVM lab only by default (a boot
 *                     takes minutes under Bochs), --no-linux leaves it out
 *   linux_uptime      s of the guest's own uptime at the marker
 *   disk_read         MiB/s the guest reads a 64 MiB virtio-blk disk (a
 *                     sparse file in /tmp) in 1 MiB O_DIRECT requests,
 *                     by its own clock (the Linux guest's
 *                     hvm_disk_bench=/dev/vda), the board's virtio-blk on
 *                     both; higher is better
 *   disk_write        MiB/s of writing it back, fsync() included
 *
 * Output: a table on stdout (lines starting with '#' are headers and
 * notes; every other line is "NAME UNIT HVM KVM RATIO MIN_RATIO": the
 * medians, their ratio and the ratio of the smallest values, '-' for no
 * value), and with --json one more line "json {...}" with every round's
 * values.  The ratio of the minima (times only) is there because a busy
 * lab host only ever adds time: the fastest round of each is the one
 * least disturbed.
 * Exit status 0 when every run worked, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test_util.h"
#include "kmem_check.h"
#include "bench.h"
#include "bench_layout.h"

DECLARE_GUEST(bench_guest);

#define MAX_ROUNDS	99
#define MIB		(1024.0 * 1024.0)
#define HUGE_2M		(2UL << 20)

enum metric {
	M_FIRST_TOUCH,
	M_FIRST_TOUCH_THP,
	M_FIRST_TOUCH_MEMFD,
	M_KMEM,
	M_KMEM_THP,
	M_SEC_PT,
	M_MEMCG_KERNEL,
	M_MEMCG_CURRENT,
	M_EXIT_CPUID,
	M_EXIT_PIO_OUT,
	M_EXIT_PIO_IN,
	M_EXIT_MMIO_OUT,
	M_EXIT_MMIO_IN,
	M_RING_IN_SAME,
	M_RING_IN_OTHER,
	M_POSTED_SAME,
	M_POSTED_OTHER,
	M_POSTED_MMIO_SAME,
	M_POSTED_MMIO_OTHER,
	M_LIFECYCLE,
	M_VCPU_KMEM,
	M_VCPU_MEMCG,
	M_LINUX_BOOT,
	M_LINUX_UPTIME,
	M_DISK_READ,
	M_DISK_WRITE,
	M_VMS_KMEM,		/* one row per entry of vm_counts[] */
	M_VMS_MEMCG = M_VMS_KMEM + 4,
	NR_METRICS = M_VMS_MEMCG + 4,
};

/* The scaling rows: this many VMs alive at once. */
static const unsigned int vm_counts[] = { 1, 8, 32, 64 };
#define NR_VM_COUNTS	(sizeof(vm_counts) / sizeof(vm_counts[0]))

static const struct {
	const char *name;
	const char *unit;
	const char *what;
} metrics[NR_METRICS] = {
	[M_FIRST_TOUCH] = { "first_touch", "us/MiB",
		"guest's first write to each 4 KiB page, no huge pages" },
	[M_FIRST_TOUCH_THP] = { "first_touch_thp", "us/MiB",
		"the same, host memory with MADV_HUGEPAGE" },
	[M_FIRST_TOUCH_MEMFD] = { "first_touch_memfd", "us/MiB",
		"the same, guest RAM from hvm_memfd_alloc() (MAP_SHARED)" },
	[M_KMEM] = { "kmem_per_vm", "kB",
		"Slab+PageTables+VmallocUsed+KernelStack delta, VM alive" },
	[M_KMEM_THP] = { "kmem_per_vm_thp", "kB",
		"the same for the huge page run" },
	[M_SEC_PT] = { "sec_pagetables", "kB",
		"SecPageTables delta: nested page tables the kernel counts" },
	[M_MEMCG_KERNEL] = { "memcg_kernel", "kB",
		"memory.stat kernel of the VM owner's cgroup" },
	[M_MEMCG_CURRENT] = { "memcg_current", "kB",
		"memory.current of that cgroup, guest RAM included" },
	[M_EXIT_CPUID] = { "exit_cpuid", "us",
		"CPUID handled in the kernel" },
	[M_EXIT_PIO_OUT] = { "exit_pio_out", "us",
		"OUT served by the VMM process" },
	[M_EXIT_PIO_IN] = { "exit_pio_in", "us",
		"IN served by the VMM process" },
	[M_EXIT_MMIO_OUT] = { "exit_mmio_out", "us",
		"MMIO store served by the VMM process" },
	[M_EXIT_MMIO_IN] = { "exit_mmio_in", "us",
		"MMIO load served by the VMM process" },
	[M_RING_IN_SAME] = { "ring_in_same", "us",
		"IN: hvm ring, helper on the vCPU's CPU; KVM exit to VMM" },
	[M_RING_IN_OTHER] = { "ring_in_other", "us",
		"IN: hvm ring, helper on the other CPU; KVM exit to VMM" },
	[M_POSTED_SAME] = { "posted_same", "us",
		"OUT: hvm posted, helper on the vCPU's CPU; KVM coalesced PIO" },
	[M_POSTED_OTHER] = { "posted_other", "us",
		"OUT: hvm posted, helper on the other CPU; KVM coalesced PIO" },
	[M_POSTED_MMIO_SAME] = { "posted_mmio_same", "us",
		"MMIO store: hvm posted, helper on the vCPU's CPU; KVM coalesced MMIO" },
	[M_POSTED_MMIO_OTHER] = { "posted_mmio_other", "us",
		"MMIO store: hvm posted, helper on the other CPU; KVM coalesced MMIO" },
	[M_LIFECYCLE] = { "lifecycle", "us",
		"create a VM with its slots and vCPU, run to the first exit, destroy" },
	[M_VCPU_KMEM] = { "vcpu_kmem", "kB",
		"kernel memory per vCPU, 16 more vCPUs in a VM" },
	[M_VCPU_MEMCG] = { "vcpu_memcg", "kB",
		"memcg kernel memory per vCPU, 16 more vCPUs in a VM" },
	[M_LINUX_BOOT] = { "linux_boot", "s",
		"hvm-run --kernel, 2 vCPUs: start to power-off after the marker" },
	[M_LINUX_UPTIME] = { "linux_uptime", "s",
		"the guest's uptime at its marker in that boot" },
	[M_DISK_READ] = { "disk_read", "MiB/s",
		"guest reads a 64 MiB virtio-blk disk, 1 MiB O_DIRECT" },
	[M_DISK_WRITE] = { "disk_write", "MiB/s",
		"guest writes it back, fsync() included" },
	[M_VMS_KMEM] = { "vms1_kmem", "kB",
		"kernel memory per VM, 1 VM alive" },
	[M_VMS_KMEM + 1] = { "vms8_kmem", "kB",
		"kernel memory per VM, 8 VMs alive" },
	[M_VMS_KMEM + 2] = { "vms32_kmem", "kB",
		"kernel memory per VM, 32 VMs alive" },
	[M_VMS_KMEM + 3] = { "vms64_kmem", "kB",
		"kernel memory per VM, 64 VMs alive" },
	[M_VMS_MEMCG] = { "vms1_memcg", "kB",
		"memcg kernel memory per VM, 1 VM alive" },
	[M_VMS_MEMCG + 1] = { "vms8_memcg", "kB",
		"memcg kernel memory per VM, 8 VMs alive" },
	[M_VMS_MEMCG + 2] = { "vms32_memcg", "kB",
		"memcg kernel memory per VM, 32 VMs alive" },
	[M_VMS_MEMCG + 3] = { "vms64_memcg", "kB",
		"memcg kernel memory per VM, 64 VMs alive" },
};

enum { B_HVM, B_KVM, NR_BACKENDS };

/* The guest memory of one measurement. */
enum variant {
	V_ANON,		/* anonymous, MADV_NOHUGEPAGE; also kmem and exits */
	V_THP,		/* anonymous, MADV_HUGEPAGE */
	V_MEMFD,	/* hvm_memfd_alloc(): what hvm-run uses */
};
static const struct bench_backend *const backends[NR_BACKENDS] = {
	[B_HVM] = &bench_hvm,
	[B_KVM] = &bench_kvm,
};

static struct {
	unsigned int rounds;
	uint64_t touch_mib;
	uint64_t exits;
	uint64_t lifecycles;
	uint64_t max_vms;
	bool use[NR_BACKENDS];
	bool swap_modules;
	bool linux_boot;
	bool json;
	int cpu;
	const char *hvm_ko;
} opt = {
	.rounds = 5,
	.touch_mib = 64,
	.exits = 10000,
	.lifecycles = 20,
	.max_vms = 64,
	.use = { true, true },
	.swap_modules = true,
	.linux_boot = true,
	.cpu = 0,
	.hvm_ko = "/hvm/hvm.ko",
};

/* values[metric][backend][round]; NAN where there is none. */
static double values[NR_METRICS][NR_BACKENDS][MAX_ROUNDS];
static bool amd;
static bool hvm_was_loaded;
static bool thp_switched_on;
/* A cgroup v2 memory controller: the memcg rows are measured. */
static bool have_memcg;
static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# hvm-bench: error: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
	failures++;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# hvm-bench: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

/* ---- modules ------------------------------------------------------------- */

static int kvm_load(void)
{
	const char *name = "?";
	int ret = kvm_load_all(amd, &name);

	if (ret)
		fail("loading %s.ko: %s", name, strerror(-ret));
	return ret;
}

static int hvm_out(void)
{
	int ret = hvm_unload();

	if (ret)
		fail("unloading hvm.ko: %s", strerror(-ret));
	return ret;
}

static int hvm_in(void)
{
	int ret = hvm_load(opt.hvm_ko);

	if (ret)
		fail("loading %s: %s", opt.hvm_ko, strerror(-ret));
	return ret;
}

/* Leaves only the hypervisor of backend b loaded (hvm too with --keep-hvm). */
static int switch_to(int b)
{
	if (b == B_HVM) {
		kvm_unload_all(amd);
		return hvm_in();
	}
	if (opt.swap_modules && hvm_out())
		return -EBUSY;
	return kvm_load();
}

/* ---- transparent huge pages ---------------------------------------------- */

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * The kernel turns THP off by default below 512 MiB of RAM, which the
 * Bochs lab has: first_touch_thp would then measure 4 KiB pages again.
 * MADV_HUGEPAGE areas get huge pages under "madvise"; the setting is put
 * back at the end.
 */
static void thp_allow(void)
{
	if (!sysfs_has_word(THP_ENABLED, "[never]"))
		return;
	if (sysfs_write(THP_ENABLED, "madvise"))
		note("THP is off and cannot be switched on: first_touch_thp uses 4 KiB pages");
	else
		thp_switched_on = true;
}

static void thp_restore(void)
{
	if (thp_switched_on && sysfs_write(THP_ENABLED, "never"))
		note("could not switch THP off again");
}

/* ---- memory cgroup ------------------------------------------------------- */

/* The value of key in the cgroup's memory.stat, -1 if it has none. */
static long memcg_stat(const char *dir, const char *key)
{
	char path[PATH_MAX + 16], line[256];
	size_t len = strlen(key);
	long value = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ' ' &&
		    sscanf(line + len, "%ld", &v) == 1) {
			value = v;
			break;
		}
	}
	fclose(f);
	return value;
}

/* SecPageTables of /proc/meminfo in kB, -1 when the kernel has none. */
static long sec_pagetables_kb(void)
{
	char line[128];
	long value = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %ld kB", &v) == 1)
			value = v;
	fclose(f);
	return value;
}

/* ---- one measurement, in a child ----------------------------------------- */

/* The timed exit phases: BENCH_PHASE_CPUID to the last, M_EXIT_CPUID on. */
#define EXIT_PHASES	(BENCH_NR_PHASES - BENCH_PHASE_CPUID)

struct child_report {
	int error;		/* 0, or -errno with msg */
	char msg[256];
	double touch_us;
	double exit_us[EXIT_PHASES];	/* M_EXIT_CPUID ... */
	double ring_us[BENCH_RING_PHASES];	/* M_RING_IN_SAME ... */
};

static void child_fail(int fd, struct child_report *r, int err,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->error = err ? err : -EIO;
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	if (write(fd, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
	_exit(1);
}

/* A 2 MiB aligned anonymous area: huge pages can back it whole. */
static void *alloc_area(uint64_t size, bool huge)
{
	uint8_t *p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *start, *end;

	if (p == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1));
	end = start + size;
	if (start > p)
		munmap(p, start - p);
	munmap(end, p + size + HUGE_2M - end);
	if (madvise(start, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		munmap(start, size);
		return NULL;
	}
	return start;
}

/*
 * Runs the guest until it ends a phase (OUT to BENCH_PORT_DONE); exits to
 * BENCH_PORT_IO and BENCH_MMIO_GPA are counted in *io.  0, or -errno with the reason in why.
 */
static int run_phase(const struct bench_backend *be, struct bench_vm *vm,
		     uint64_t *io, char *why, size_t size)
{
	struct bench_exit e;
	int ret;

	for (;;) {
		memset(&e, 0, sizeof(e));
		ret = be->run(vm, &e);
		if (ret) {
			snprintf(why, size, "run: %s", strerror(-ret));
			return ret;
		}
		if (e.kind == BENCH_EXIT_PIO && e.port == BENCH_PORT_DONE)
			return 0;
		if ((e.kind == BENCH_EXIT_PIO && e.port == BENCH_PORT_IO) ||
		    (e.kind == BENCH_EXIT_MMIO && e.addr == BENCH_MMIO_GPA)) {
			(*io)++;
			continue;
		}
		snprintf(why, size, "unexpected exit: %s",
			 e.kind == BENCH_EXIT_HLT ? "HLT" :
			 e.kind == BENCH_EXIT_PIO ? "PIO to another port" :
			 e.kind == BENCH_EXIT_MMIO ? "MMIO elsewhere" :
			 e.desc);
		return -EPROTO;
	}
}

/*
 * Runs a ring phase: until the guest's HLT.  Port exits (KVM, or hvm
 * without a ring) are answered as in run_phase().  0, or a message in r.
 */
static int run_to_hlt(const struct bench_backend *be, struct bench_vm *vm,
		      struct child_report *r, uint64_t *posted_exits)
{
	struct bench_exit e;
	int ret;

	for (;;) {
		memset(&e, 0, sizeof(e));
		ret = be->run(vm, &e);
		if (ret) {
			r->error = ret;
			snprintf(r->msg, sizeof(r->msg), "run: %s",
				 strerror(-ret));
			return ret;
		}
		if (e.kind == BENCH_EXIT_HLT)
			return 0;
		if ((e.kind == BENCH_EXIT_PIO && e.port == BENCH_PORT_POSTED) ||
		    (e.kind == BENCH_EXIT_MMIO &&
		     e.addr == BENCH_MMIO_POSTED_GPA)) {
			(*posted_exits)++;
			continue;
		}
		if (e.kind == BENCH_EXIT_PIO && e.port == BENCH_PORT_IO)
			continue;
		r->error = -EPROTO;
		snprintf(r->msg, sizeof(r->msg), "unexpected exit: %s",
			 e.kind == BENCH_EXIT_PIO ? "PIO to another port" :
			 e.kind == BENCH_EXIT_MMIO ? "MMIO elsewhere" :
			 e.desc);
		return -EPROTO;
	}
}

/*
 * The child: create the VM, time the touch, tell the parent (which then
 * reads the memory figures while the VM is alive), wait for its go, then
 * time the exit phases when asked.
 */
static void child_main(const struct bench_backend *be, enum variant v,
		       bool exits, int report_fd, int go_fd)
{
	uint64_t touch_size = opt.touch_mib << 20;
	uint64_t pages = touch_size / 4096, io = 0, port_exits[EXIT_PHASES], i;
	size_t code_size = bench_guest_end - bench_guest_start;
	struct child_report r = { 0 };
	struct bench_mem low, touch;
	struct bench_vm *vm = NULL;
	const char *desc = "";
	uint64_t params[3];
	char why[192];
	double t0;
	cpu_set_t cpus;
	char go;
	int ret;

	ret = have_memcg ? sysfs_write("cgroup.procs", "0") : 0;
	if (ret)
		child_fail(report_fd, &r, ret, "joining the memory cgroup");
	CPU_ZERO(&cpus);
	CPU_SET(opt.cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		child_fail(report_fd, &r, -errno, "pinning to CPU %d", opt.cpu);

	low.gpa = GUEST_RAM_GPA;
	low.size = GUEST_RAM_SIZE;
	low.host = alloc_area(low.size, false);
	touch.gpa = BENCH_TOUCH_GPA;
	touch.size = touch_size;
	if (v == V_MEMFD) {
		int fd;

		ret = hvm_memfd_alloc(touch.size, 0, &fd, &touch.host);
		if (ret)
			child_fail(report_fd, &r, ret, "hvm_memfd_alloc: %s",
				   strerror(-ret));
	} else {
		touch.host = alloc_area(touch.size, v == V_THP);
	}
	if (!low.host || !touch.host)
		child_fail(report_fd, &r, -ENOMEM, "guest memory");
	memcpy((uint8_t *)low.host + GUEST_CODE_GPA, bench_guest_start,
	       code_size);
	params[BENCH_PARAM_TOUCH_GPA] = BENCH_TOUCH_GPA;
	params[BENCH_PARAM_TOUCH_PAGES] = pages;
	params[BENCH_PARAM_EXITS] = exits ? opt.exits : 0;
	memcpy((uint8_t *)low.host + GUEST_PARAM_GPA, params, sizeof(params));

	ret = be->create(&vm, &low, &touch, &desc);
	if (ret)
		child_fail(report_fd, &r, ret, "%s: %s", desc, strerror(-ret));
	ret = run_phase(be, vm, &io, why, sizeof(why));
	if (ret)
		child_fail(report_fd, &r, ret, "warm-up: %s", why);
	t0 = now_seconds();
	ret = run_phase(be, vm, &io, why, sizeof(why));
	if (ret)
		child_fail(report_fd, &r, ret, "touch: %s", why);
	r.touch_us = (now_seconds() - t0) * 1e6;
	/* Page i got the number of pages left: the guest wrote them all. */
	for (i = 0; i < pages; i++) {
		uint32_t v;

		memcpy(&v, (uint8_t *)touch.host + i * 4096, sizeof(v));
		if (v != pages - i)
			child_fail(report_fd, &r, -EIO,
				   "page %llu of the area holds %u, not %llu",
				   (unsigned long long)i, v,
				   (unsigned long long)(pages - i));
	}
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	if (read(go_fd, &go, 1) != 1)
		_exit(2);

	for (i = 0; i < EXIT_PHASES; i++) {
		uint64_t before = io;

		t0 = now_seconds();
		ret = run_phase(be, vm, &io, why, sizeof(why));
		if (ret)
			child_fail(report_fd, &r, ret, "exit phase %llu: %s",
				   (unsigned long long)i + BENCH_PHASE_CPUID,
				   why);
		r.exit_us[i] = exits ? (now_seconds() - t0) * 1e6 / opt.exits
				     : NAN;
		port_exits[i] = io - before;
	}
	/* CPUID stays in the kernel; each other access reached us once. */
	for (i = 0; exits && i < EXIT_PHASES; i++)
		if (port_exits[i] != (i ? opt.exits : 0))
			child_fail(report_fd, &r, -EPROTO,
				   "exit phase %llu: %llu exits to us, want %llu",
				   (unsigned long long)i + BENCH_PHASE_CPUID,
				   (unsigned long long)port_exits[i],
				   (unsigned long long)(i ? opt.exits : 0));
	/*
	 * Same CPU, other CPU, same, other (bench_layout.h).  A lab with one
	 * CPU (Bochs) has no other: the "other" rows then measure the same
	 * placement again rather than fail.
	 */
	for (i = 0; i < BENCH_RING_PHASES; i++) {
		int other = sysconf(_SC_NPROCESSORS_ONLN) > 1 ?
			    (opt.cpu ? 0 : 1) : opt.cpu;
		int cpu = i % 2 ? other : opt.cpu;
		uint64_t posted_exits = 0;

		if (be->ring) {
			ret = be->ring(vm, cpu);
			if (ret)
				child_fail(report_fd, &r, ret,
					   "ring phase on CPU %d: %s", cpu,
					   strerror(-ret));
		}
		t0 = now_seconds();
		if (run_to_hlt(be, vm, &r, &posted_exits))
			child_fail(report_fd, &r, r.error, "ring phase %llu: %s",
				   (unsigned long long)i, r.msg);
		/*
		 * Posted (coalesced) writes reach us only when the queue is
		 * full: most of them must not have exited.
		 */
		if (exits && posted_exits > opt.exits / 2)
			child_fail(report_fd, &r, -EPROTO,
				   "ring phase %llu: %llu of %llu writes exited",
				   (unsigned long long)i,
				   (unsigned long long)posted_exits,
				   (unsigned long long)opt.exits);
		r.ring_us[i] = exits ? (now_seconds() - t0) * 1e6 / opt.exits
				     : NAN;
	}
	{
		struct bench_exit e = { 0 };

		ret = be->run(vm, &e);
		if (ret || e.kind != BENCH_EXIT_HLT)
			child_fail(report_fd, &r, ret ? ret : -EPROTO,
				   "the guest did not end in HLT: %s",
				   ret ? strerror(-ret) : e.desc[0] ? e.desc :
				   "a port access");
	}
	be->destroy(vm);
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

static bool read_report(int fd, struct child_report *r)
{
	ssize_t n = read(fd, r, sizeof(*r));

	return n == sizeof(*r);
}

/*
 * One measurement of backend b in round `round` on the memory of variant
 * v; exits adds the exit phases.  Fills values[][b][round].
 */
static void measure(int b, unsigned int round, enum variant v, bool exits)
{
	const struct bench_backend *be = backends[b];
	struct kmem_figures before, during;
	struct child_report r = { 0 };
	int report[2], go[2], status;
	char cg[PATH_MAX];
	long cur = -1, kern = -1, sec_before, sec_during;
	bool ok;
	pid_t pid;

	cg[0] = '\0';
	if (have_memcg)
		snprintf(cg, sizeof(cg), CGROUP_ROOT "/hvm-bench-%d-%u-%d%d",
			 (int)getpid(), round, b, v);
	if (have_memcg && mkdir(cg, 0755) && errno != EEXIST) {
		fail("%s round %u: mkdir %s: %s", be->name, round, cg,
		     strerror(errno));
		return;
	}
	if (pipe(report) || pipe(go)) {
		fail("pipe: %s", strerror(errno));
		return;
	}
	if (kmem_read(&before))
		fail("reading /proc/meminfo");
	sec_before = sec_pagetables_kb();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		if (have_memcg && chdir(cg))
			_exit(2);
		child_main(be, v, exits, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		goto out;
	}

	ok = read_report(report[0], &r);
	if (ok && !r.error) {
		if (kmem_read(&during))
			fail("reading /proc/meminfo");
		sec_during = sec_pagetables_kb();
		if (have_memcg) {
			cur = memcg_current(cg);
			kern = memcg_stat(cg, "kernel");
		}
		values[v == V_THP ? M_FIRST_TOUCH_THP :
		       v == V_MEMFD ? M_FIRST_TOUCH_MEMFD :
		       M_FIRST_TOUCH][b][round] = r.touch_us / opt.touch_mib;
		if (v != V_MEMFD)
			values[v == V_THP ? M_KMEM_THP : M_KMEM][b][round] =
				kmem_kernel_kb(&during) -
				kmem_kernel_kb(&before);
		if (v == V_ANON) {
			values[M_SEC_PT][b][round] =
				sec_before < 0 || sec_during < 0 ? NAN :
				sec_during - sec_before;
			values[M_MEMCG_CURRENT][b][round] =
				cur < 0 ? NAN : cur / 1024.0;
			values[M_MEMCG_KERNEL][b][round] =
				kern < 0 ? NAN : kern / 1024.0;
		}
		if (write(go[1], "g", 1) != 1)
			fail("%s: the child went away", be->name);
		ok = read_report(report[0], &r);
	}
	if (!ok)
		fail("%s round %u: the child died without a report",
		     be->name, round);
	else if (r.error)
		fail("%s round %u%s: %s", be->name, round,
		     v == V_THP ? " (huge pages)" : v == V_MEMFD ? " (memfd)" :
		     "", r.msg);
	else if (exits) {
		for (int i = 0; i < EXIT_PHASES; i++)
			values[M_EXIT_CPUID + i][b][round] = r.exit_us[i];
		for (int i = 0; i < BENCH_RING_PHASES; i++)
			values[M_RING_IN_SAME + i][b][round] = r.ring_us[i];
	}
	close(go[1]);
	waitpid(pid, &status, 0);
	if (ok && !r.error && (!WIFEXITED(status) || WEXITSTATUS(status)))
		fail("%s round %u: child status %#x", be->name, round, status);
out:
	close(report[0]);
	if (have_memcg && rmdir(cg))
		fail("rmdir %s: %s", cg, strerror(errno));
}

/* ---- VM lifecycle and many VMs at once ------------------------------------ */

struct scale_report {
	int error;		/* 0, or -errno with msg */
	char msg[256];
	double lifecycle_us;
};

/* The guest memory every VM of these rows maps: 1 MiB low, 2 MiB touch. */
struct scale_mem {
	struct bench_mem low;
	struct bench_mem touch;
};

static int scale_mem_alloc(struct scale_mem *m)
{
	size_t code_size = bench_guest_end - bench_guest_start;
	uint64_t params[3] = { BENCH_TOUCH_GPA, 0, 0 };

	m->low.gpa = GUEST_RAM_GPA;
	m->low.size = GUEST_RAM_SIZE;
	m->low.host = alloc_area(m->low.size, false);
	m->touch.gpa = BENCH_TOUCH_GPA;
	m->touch.size = HUGE_2M;
	m->touch.host = alloc_area(m->touch.size, false);
	if (!m->low.host || !m->touch.host)
		return -ENOMEM;
	memcpy((uint8_t *)m->low.host + GUEST_CODE_GPA, bench_guest_start,
	       code_size);
	memcpy((uint8_t *)m->low.host + GUEST_PARAM_GPA, params,
	       sizeof(params));
	return 0;
}

/* A VM run to its first exit (the warm-up phase's DONE). */
static int scale_vm_start(const struct bench_backend *be, struct scale_mem *m,
			  struct bench_vm **vm, char *why, size_t size)
{
	const char *desc = "";
	uint64_t io = 0;
	int ret;

	ret = be->create(vm, &m->low, &m->touch, &desc);
	if (ret) {
		snprintf(why, size, "%s: %s", desc, strerror(-ret));
		return ret;
	}
	ret = run_phase(be, *vm, &io, why, size);
	if (ret) {
		be->destroy(*vm);
		*vm = NULL;
	}
	return ret;
}

/*
 * The child of a scaling measurement.  nr_vms == 0: time opt.lifecycles
 * whole VM lifetimes.  Else start nr_vms VMs, one guest memory each, report,
 * and keep them until the parent has read the memory figures.
 */
static void scale_child(const struct bench_backend *be, unsigned int nr_vms,
			bool add_vcpus, int report_fd, int go_fd)
{
	struct scale_report r = { 0 };
	struct bench_vm *vms[64] = { NULL };
	struct scale_mem mem[64];
	unsigned int i, n = nr_vms ? nr_vms : 1;
	char why[192];
	cpu_set_t cpus;
	double t0;
	char go;
	int ret;

	ret = have_memcg ? sysfs_write("cgroup.procs", "0") : 0;
	if (ret)
		goto fail_ret;
	CPU_ZERO(&cpus);
	CPU_SET(opt.cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) || n > 64) {
		ret = -EINVAL;
		snprintf(why, sizeof(why), "pinning to CPU %d", opt.cpu);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		ret = scale_mem_alloc(&mem[i]);
		if (ret)
			goto fail_ret;
	}
	if (!nr_vms) {
		t0 = now_seconds();
		for (i = 0; i < opt.lifecycles; i++) {
			ret = scale_vm_start(be, &mem[0], &vms[0], why,
					     sizeof(why));
			if (ret)
				goto fail;
			be->destroy(vms[0]);
			vms[0] = NULL;
		}
		r.lifecycle_us = (now_seconds() - t0) * 1e6 / opt.lifecycles;
	} else {
		for (i = 0; i < nr_vms; i++) {
			ret = scale_vm_start(be, &mem[i], &vms[i], why,
					     sizeof(why));
			if (ret)
				goto fail;
		}
	}
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	if (read(go_fd, &go, 1) != 1)
		_exit(2);
	if (add_vcpus) {
		for (i = 1; i <= BENCH_MAX_EXTRA_VCPUS; i++) {
			ret = be->add_vcpu(vms[0], i);
			if (ret) {
				snprintf(why, sizeof(why), "vCPU %u: %s", i,
					 strerror(-ret));
				goto fail;
			}
		}
		if (write(report_fd, &r, sizeof(r)) != sizeof(r))
			_exit(2);
		if (read(go_fd, &go, 1) != 1)
			_exit(2);
	}
	for (i = 0; i < n; i++)
		if (vms[i])
			be->destroy(vms[i]);
	_exit(0);
fail_ret:
	snprintf(why, sizeof(why), "%s", strerror(-ret));
fail:
	r.error = ret ? ret : -EIO;
	snprintf(r.msg, sizeof(r.msg), "%u VM(s): %s", n, why);
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(1);
}

/* measure_scale()'s row for the vCPU rows: one VM, then 16 more vCPUs. */
#define VCPU_ROW	NR_VM_COUNTS

/*
 * Fills M_LIFECYCLE (nr_vms == 0), the vms rows of vm_counts[row], or
 * with row VCPU_ROW (nr_vms 1) the vcpu rows, for backend b in round
 * `round`.
 */
static void measure_scale(int b, unsigned int round, unsigned int row,
			  unsigned int nr_vms)
{
	const struct bench_backend *be = backends[b];
	struct kmem_figures before, during;
	struct scale_report r = { 0 };
	int report[2], go[2], status;
	char cg[PATH_MAX];
	long kern = -1;
	bool ok;
	pid_t pid;

	cg[0] = '\0';
	if (have_memcg)
		snprintf(cg, sizeof(cg), CGROUP_ROOT "/hvm-bench-%d-%u-%d-s%u",
			 (int)getpid(), round, b, nr_vms);
	if (have_memcg && mkdir(cg, 0755) && errno != EEXIST) {
		fail("%s round %u: mkdir %s: %s", be->name, round, cg,
		     strerror(errno));
		return;
	}
	if (pipe(report) || pipe(go)) {
		fail("pipe: %s", strerror(errno));
		return;
	}
	if (kmem_read(&before))
		fail("reading /proc/meminfo");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		if (have_memcg && chdir(cg))
			_exit(2);
		scale_child(be, nr_vms, row == VCPU_ROW, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		goto out;
	}
	ok = read(report[0], &r, sizeof(r)) == sizeof(r);
	if (!ok)
		fail("%s round %u: the child died without a report", be->name,
		     round);
	else if (r.error)
		fail("%s round %u: %s", be->name, round, r.msg);
	else if (!nr_vms)
		values[M_LIFECYCLE][b][round] = r.lifecycle_us;
	else if (row == VCPU_ROW) {
		/* The VM alone, then with its 16 more vCPUs. */
		if (kmem_read(&before))
			fail("reading /proc/meminfo");
		kern = have_memcg ? memcg_stat(cg, "kernel") : -1;
		ok = write(go[1], "g", 1) == 1 &&
		     read(report[0], &r, sizeof(r)) == sizeof(r) && !r.error;
		if (!ok) {
			fail("%s round %u: vCPUs: %s", be->name, round,
			     r.error ? r.msg : "the child went away");
		} else {
			long kern2 = have_memcg ? memcg_stat(cg, "kernel") : -1;

			if (kmem_read(&during))
				fail("reading /proc/meminfo");
			values[M_VCPU_KMEM][b][round] =
				(double)(kmem_kernel_kb(&during) -
					 kmem_kernel_kb(&before)) /
				BENCH_MAX_EXTRA_VCPUS;
			values[M_VCPU_MEMCG][b][round] =
				kern < 0 || kern2 < 0 ? NAN :
				(kern2 - kern) / 1024.0 /
				BENCH_MAX_EXTRA_VCPUS;
		}
	} else {
		if (kmem_read(&during))
			fail("reading /proc/meminfo");
		if (have_memcg)
			kern = memcg_stat(cg, "kernel");
		values[M_VMS_KMEM + row][b][round] =
			(double)(kmem_kernel_kb(&during) -
				 kmem_kernel_kb(&before)) / nr_vms;
		values[M_VMS_MEMCG + row][b][round] =
			kern < 0 ? NAN : kern / 1024.0 / nr_vms;
	}
	if (ok && write(go[1], "g", 1) != 1)
		fail("%s: the child went away", be->name);
	close(go[1]);
	waitpid(pid, &status, 0);
	if (ok && !r.error && (!WIFEXITED(status) || WEXITSTATUS(status)))
		fail("%s round %u: child status %#x", be->name, round, status);
out:
	close(report[0]);
	if (have_memcg && rmdir(cg))
		fail("rmdir %s: %s", cg, strerror(errno));
}

/* ---- statistics and output ----------------------------------------------- */

struct summary {
	unsigned int n;		/* rounds with a value */
	double median, min, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct summary summarize(const double *v, unsigned int rounds)
{
	double s[MAX_ROUNDS];
	struct summary sum = { .median = NAN, .min = NAN, .max = NAN };
	unsigned int i;

	for (i = 0; i < rounds; i++)
		if (!isnan(v[i]))
			s[sum.n++] = v[i];
	if (!sum.n)
		return sum;
	qsort(s, sum.n, sizeof(s[0]), cmp_double);
	sum.min = s[0];
	sum.max = s[sum.n - 1];
	sum.median = sum.n % 2 ? s[sum.n / 2] :
		     (s[sum.n / 2 - 1] + s[sum.n / 2]) / 2;
	return sum;
}

/* A value, or none ("-" in the table, null in JSON). */
static void print_number(const char *fmt, double v, const char *none)
{
	if (isnan(v) || isinf(v))
		fputs(none, stdout);
	else
		printf(fmt, v);
}

/* Iterations behind one value of a row. */
static uint64_t iterations(enum metric m)
{
	switch (m) {
	case M_FIRST_TOUCH:
	case M_FIRST_TOUCH_THP:
	case M_FIRST_TOUCH_MEMFD:
		return (opt.touch_mib << 20) / 4096;
	case M_EXIT_CPUID:
	case M_EXIT_PIO_OUT:
	case M_EXIT_PIO_IN:
	case M_EXIT_MMIO_OUT:
	case M_EXIT_MMIO_IN:
	case M_RING_IN_SAME:
	case M_RING_IN_OTHER:
	case M_POSTED_SAME:
	case M_POSTED_OTHER:
	case M_POSTED_MMIO_SAME:
	case M_POSTED_MMIO_OTHER:
		return opt.exits;
	case M_LIFECYCLE:
		return opt.lifecycles;
	default:
		return 1;
	}
}

/*
 * Only a time has a least disturbed round; the smallest of a memory
 * figure is just the noisiest reading.
 */
static bool is_time(enum metric m)
{
	return m == M_FIRST_TOUCH || m == M_FIRST_TOUCH_THP ||
	       m == M_FIRST_TOUCH_MEMFD ||
	       m == M_EXIT_CPUID || m == M_EXIT_PIO_OUT ||
	       m == M_EXIT_PIO_IN || m == M_EXIT_MMIO_OUT ||
	       m == M_EXIT_MMIO_IN || m == M_LIFECYCLE ||
	       m == M_LINUX_BOOT || m == M_LINUX_UPTIME;
}

static void print_table(void)
{
	struct summary h, k;
	unsigned int m;

	printf("# %-16s %-7s %12s %12s %8s %8s\n", "metric", "unit",
	       "hvm", "kvm", "hvm/kvm", "of mins");
	for (m = 0; m < NR_METRICS; m++) {
		h = summarize(values[m][B_HVM], opt.rounds);
		k = summarize(values[m][B_KVM], opt.rounds);
		printf("%-18s %-7s ", metrics[m].name, metrics[m].unit);
		print_number("%12.2f", h.median, "           -");
		putchar(' ');
		print_number("%12.2f", k.median, "           -");
		putchar(' ');
		print_number("%8.2f", h.median / k.median, "       -");
		putchar(' ');
		print_number("%8.2f", is_time(m) ? h.min / k.min : NAN,
			     "       -");
		putchar('\n');
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static void cpu_model(char *buf, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(buf, size, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static void print_json(void)
{
	char thp[128], model[128], load[128];
	struct utsname uts;
	unsigned int m, b, i;

	uname(&uts);
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp,
		  sizeof(thp));
	read_line("/proc/loadavg", load, sizeof(load));
	cpu_model(model, sizeof(model));
	printf("json {\"vendor\":\"%s\",\"cpu\":", amd ? "svm" : "vmx");
	json_string(model);
	printf(",\"kernel\":");
	json_string(uts.release);
	printf(",\"cpus\":%ld,\"rounds\":%u,\"touch_mib\":%llu,\"exits\":%llu,",
	       sysconf(_SC_NPROCESSORS_ONLN), opt.rounds,
	       (unsigned long long)opt.touch_mib,
	       (unsigned long long)opt.exits);
	printf("\"swap_modules\":%s,\"thp\":", opt.swap_modules ? "true" : "false");
	json_string(thp);
	printf(",\"thp_switched_on\":%s", thp_switched_on ? "true" : "false");
	printf(",\"loadavg\":");
	json_string(load);
	printf(",\"failures\":%d,\"metrics\":[", failures);
	for (m = 0; m < NR_METRICS; m++) {
		struct summary s[NR_BACKENDS];

		printf("%s{\"name\":\"%s\",\"unit\":\"%s\",\"what\":",
		       m ? "," : "", metrics[m].name, metrics[m].unit);
		json_string(metrics[m].what);
		printf(",\"n\":%llu", (unsigned long long)iterations(m));
		for (b = 0; b < NR_BACKENDS; b++) {
			s[b] = summarize(values[m][b], opt.rounds);
			printf(",\"%s\":{\"median\":", backends[b]->name);
			print_number("%.3f", s[b].median, "null");
			printf(",\"min\":");
			print_number("%.3f", s[b].min, "null");
			printf(",\"max\":");
			print_number("%.3f", s[b].max, "null");
			printf(",\"rounds\":%u,\"values\":[", s[b].n);
			for (i = 0; i < opt.rounds; i++) {
				printf("%s", i ? "," : "");
				print_number("%.3f", values[m][b][i], "null");
			}
			printf("]}");
		}
		printf(",\"ratio\":");
		print_number("%.3f", s[B_HVM].median / s[B_KVM].median, "null");
		printf(",\"ratio_of_mins\":");
		print_number("%.3f",
			     is_time(m) ? s[B_HVM].min / s[B_KVM].min : NAN,
			     "null");
		printf("}");
	}
	printf("]}\n");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: hvm-bench [options]\n"
"  --rounds N       rounds, each running every backend once (default 5)\n"
"  --touch-mib M    guest memory the guest touches (default 64)\n"
"  --exits N        iterations of each exit row (default 10000)\n"
"  --lifecycles N   VM lifetimes timed for the lifecycle row (default 20)\n"
"  --max-vms N      the vmsN rows up to N VMs alive at once (default 64)\n"
"  --backends LIST  hvm,kvm (default), hvm or kvm\n"
"  --hvm-ko PATH    hvm.ko to load again after a KVM run (default\n"
"                   /hvm/hvm.ko, the lab's)\n"
"  --keep-hvm       leave hvm.ko loaded during KVM runs (no VM of it\n"
"                   exists meanwhile); for runs that must not unload it\n"
"  --no-linux       no linux_boot rows (the default in the VMX lab and\n"
"                   without the lab's Linux guest files)\n"
"  --cpu N          CPU the measured process runs on (default 0)\n"
"  --json           also print every value as one line \"json {...}\"\n"
"Runs as root in a machine whose CPU has SVM or VMX (the nested lab).\n");
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s || *end || x < min || x > max)
		return false;
	*v = x;
	return true;
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "touch-mib", required_argument, NULL, 't' },
		{ "exits", required_argument, NULL, 'e' },
		{ "lifecycles", required_argument, NULL, 'l' },
		{ "max-vms", required_argument, NULL, 'm' },
		{ "backends", required_argument, NULL, 'b' },
		{ "hvm-ko", required_argument, NULL, 'k' },
		{ "keep-hvm", no_argument, NULL, 'K' },
		{ "no-linux", no_argument, NULL, 'L' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!parse_u64(optarg, 1, MAX_ROUNDS, &v))
				goto bad;
			opt.rounds = v;
			break;
		case 't':
			if (!parse_u64(optarg, 1, BENCH_TOUCH_MAX >> 20, &v))
				goto bad;
			opt.touch_mib = v;
			break;
		case 'e':
			if (!parse_u64(optarg, 1, UINT32_MAX, &v))
				goto bad;
			opt.exits = v;
			break;
		case 'l':
			if (!parse_u64(optarg, 1, 100000, &v))
				goto bad;
			opt.lifecycles = v;
			break;
		case 'm':
			if (!parse_u64(optarg, 1, 64, &v))
				goto bad;
			opt.max_vms = v;
			break;
		case 'b':
			opt.use[B_HVM] = strstr(optarg, "hvm") != NULL;
			opt.use[B_KVM] = strstr(optarg, "kvm") != NULL;
			if (!opt.use[B_HVM] && !opt.use[B_KVM])
				goto bad;
			break;
		case 'k':
			opt.hvm_ko = optarg;
			break;
		case 'L':
			opt.linux_boot = false;
			break;
		case 'K':
			opt.swap_modules = false;
			break;
		case 'c':
			if (!parse_u64(optarg, 0, CPU_SETSIZE - 1, &v))
				goto bad;
			opt.cpu = v;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

/* ---- a Linux boot ---------------------------------------------------------- */

#define LINUX_KERNEL	"../guests/linux/vmlinuz"
#define LINUX_INITRD	"../guests/linux/initramfs.cpio.gz"
#define LINUX_MARKER	"@@hvm-guest: up "
#define LINUX_TIMEOUT	300
#define LINUX_DISK	"/tmp/hvm-bench-disk.img"
#define LINUX_DISK_BYTES (64LL << 20)
#define LINUX_DISK_MARKER "@@hvm-guest: disk-bench "

/*
 * The boot linux_boot_test makes, by hvm-run on PATH (the lab's /hvm/bin),
 * with backend b's hypervisor loaded; with disk the same guest reads and
 * writes a virtio-blk disk (hvm_disk_bench) instead of the boot's rows.
 */
/*
 * A failed boot's console (from its oops, else its end) and hvm-run's
 * stderr, one line each.
 */
static void note_console(struct cmd_result *r)
{
	char *texts[] = { r->out, r->err };
	unsigned int i;
	size_t len;
	char *p;

	for (i = 0; i < 2; i++) {
		len = strlen(texts[i]);
		p = texts[i] + (len > 1500 ? len - 1500 : 0);
		/* A guest's oops: from its first line. */
		if (strstr(texts[i], "] BUG: "))
			p = strstr(texts[i], "] BUG: ");
		else if (strstr(texts[i], "] Oops"))
			p = strstr(texts[i], "] Oops");
		if (strlen(p) > 1500)
			p[1500] = '\0';
		for (char *c = p; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = '|';
		note("%s: %s", i ? "hvm-run said" : "console tail", p);
	}
}

static void measure_linux(int b, unsigned int round, bool disk)
{
	static struct cmd_result r;
	char *argv[] = {
		"hvm-run", "--backend", (char *)backends[b]->name,
		"--kernel", LINUX_KERNEL, "--initrd", LINUX_INITRD,
		"--mem", "256M", "--cpus", "2",
		disk ? "--disk" : NULL, LINUX_DISK,
		"--append", "hvm_disk_bench=/dev/vda", NULL,
	};
	const char *name = backends[b]->name, *marker;
	double start = now_seconds(), uptime, rd, wr;
	long long bytes;
	int ret, fd;

	if (disk) {
		fd = open(LINUX_DISK, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0 || ftruncate(fd, LINUX_DISK_BYTES)) {
			fail("%s: the disk image %s: %s", name, LINUX_DISK,
			     strerror(errno));
			if (fd >= 0)
				close(fd);
			return;
		}
		close(fd);
	}
	ret = run_cmd(argv, LINUX_TIMEOUT, &r);
	if (disk)
		unlink(LINUX_DISK);
	if (ret) {
		fail("%s: running hvm-run: %s", name, strerror(-ret));
		return;
	}
	marker = strstr(r.out, disk ? LINUX_DISK_MARKER : LINUX_MARKER);
	if (r.timed_out || r.status || !marker) {
		fail("%s: Linux boot%s: %s, status %d, no marker", name,
		     disk ? " (disk)" : "",
		     r.timed_out ? "timed out" : "ended", r.status);
		note_console(&r);
		return;
	}
	if (disk) {
		if (sscanf(marker, LINUX_DISK_MARKER "bytes=%lld read_mib_s=%lf write_mib_s=%lf",
			   &bytes, &rd, &wr) != 3 ||
		    bytes != LINUX_DISK_BYTES) {
			fail("%s: the guest's disk bench: %.80s", name, marker);
			return;
		}
		values[M_DISK_READ][b][round] = rd;
		values[M_DISK_WRITE][b][round] = wr;
		return;
	}
	values[M_LINUX_BOOT][b][round] = now_seconds() - start;
	marker = strstr(marker, "uptime=");
	if (marker && sscanf(marker, "uptime=%lf", &uptime) == 1)
		values[M_LINUX_UPTIME][b][round] = uptime;
}

/*
 * KVM's module files sit next to this program (selftests/Makefile ships
 * them there); kmod_load() looks in the current directory.
 */
static void chdir_to_self(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return;
	path[n] = '\0';
	if (chdir(dirname(path)))
		note("cannot chdir next to the program: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	unsigned int round, i, v;
	int ret, b;

	if (parse_args(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (round = 0; round < MAX_ROUNDS; round++)
		for (i = 0; i < NR_METRICS; i++)
			for (b = 0; b < NR_BACKENDS; b++)
				values[i][b][round] = NAN;
	amd = cpu_is_amd();
	chdir_to_self();
	if (opt.linux_boot && (!amd || access(LINUX_KERNEL, R_OK) ||
			       access(LINUX_INITRD, R_OK))) {
		note("no linux_boot rows: %s", amd ? "no Linux guest files" :
		     "a boot takes minutes under Bochs");
		opt.linux_boot = false;
	}
	hvm_was_loaded = kmod_loaded("hvm");
	thp_allow();
	ret = memcg_available();
	have_memcg = !ret;
	if (ret)
		note("no cgroup v2 memory controller at " CGROUP_ROOT
		     " (%s): the memcg rows are left out", strerror(-ret));
	note("%s, %u round(s), %llu MiB touched, %llu exits per row, modules %s",
	     amd ? "svm" : "vmx", opt.rounds,
	     (unsigned long long)opt.touch_mib,
	     (unsigned long long)opt.exits,
	     opt.swap_modules ? "swapped" : "both loaded");

	for (round = 0; round < opt.rounds; round++) {
		for (i = 0; i < NR_BACKENDS; i++) {
			/* hvm first in even rounds, KVM first in odd ones. */
			b = round % 2 ? NR_BACKENDS - 1 - i : i;
			if (!opt.use[b])
				continue;
			note("round %u: %s", round + 1, backends[b]->name);
			if (switch_to(b))
				continue;
			measure(b, round, V_ANON, true);
			measure(b, round, V_THP, false);
			measure(b, round, V_MEMFD, false);
			measure_scale(b, round, 0, 0);
			for (v = 0; v < NR_VM_COUNTS; v++)
				if (vm_counts[v] <= opt.max_vms)
					measure_scale(b, round, v, vm_counts[v]);
			measure_scale(b, round, VCPU_ROW, 1);
			if (opt.linux_boot) {
				measure_linux(b, round, false);
				measure_linux(b, round, true);
			}
		}
	}

	/* Leave the modules as we found them: hvm.ko in, KVM out. */
	kvm_unload_all(amd);
	if (hvm_was_loaded)
		hvm_in();
	print_table();
	if (opt.json)
		print_json();
	thp_restore();
	if (failures)
		note("%d failure(s)", failures);
	return failures ? 1 : 0;
}
