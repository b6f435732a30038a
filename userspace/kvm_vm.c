// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-run --backend kvm: the same guests over /dev/kvm, for comparing the
 * two hypervisors with the same loading, guest RAM (a memfd at gpa 0),
 * vCPU threads, exit statuses and device code.  KVM has no ring, so the
 * board (board.c, the devices hvm-helper serves) runs in this process:
 * a vCPU thread that gets KVM_EXIT_IO or KVM_EXIT_MMIO calls the device
 * under the board's device lock, as hvm-helper's ring thread does.
 *
 * Interrupts are split as on hvm: a Linux guest (--kernel) gets KVM's
 * local APICs in the kernel (KVM_CAP_SPLIT_IRQCHIP), HLT stays in KVM,
 * and the board's I/O APIC and virtio devices send MSIs with
 * KVM_SIGNAL_MSI.  Other guests get no irqchip, so that their HLT comes
 * to hvm-run as on hvm (with an in-kernel APIC, KVM keeps even a HLT with
 * interrupts off to itself).
 *
 * KVM needs guest-physical room for VMX's real-mode TSS (three pages) and
 * identity-map page table (one page); they go in a hole of the layout,
 * [KVM_IDENTITY_MAP_GPA, KVM_TSS_GPA + 3 pages), above the local APIC and
 * below the top 16 MiB, which neither RAM nor any device of the board
 * uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "hvm_run.h"

#define KVM_IDENTITY_MAP_GPA	0xfeffc000ULL
#define KVM_TSS_GPA		0xfeffd000ULL
/* Guest RAM must end below the hole (a long64 guest's --mem tops). */
#define KVM_RAM_LIMIT		KVM_IDENTITY_MAP_GPA
/* The I/O APIC's pins: the routes KVM keeps for a userspace one. */
#define KVM_IOAPIC_PINS		24
#define KVM_CPUID_MAX_ENTRIES	256
/* How often the guest's console output is written out. */
#define KVM_FLUSH_NS		(20 * 1000 * 1000)

/* CPUID bits (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E). */
#define CPUID_1_ECX_MONITOR	(1U << 3)
#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_PDCM	(1U << 15)
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_EDX_APIC	(1U << 9)
#define CPUID_81_ECX_SVM	(1U << 2)
#define CPUID_81_ECX_PERFCTR	(1U << 23)
#define CPUID_81_EDX_APIC	(1U << 9)
#define CPUID_87_EDX_INVARIANT_TSC (1U << 8)
#define CPUID_PMU_LEAF		0xa
#define CPUID_HV_FIRST		0x40000000U
#define CPUID_HV_LAST		0x4fffffffU

enum kvm_exit_kind { KX_IO, KX_MMIO, KX_HLT, KX_OTHER, NR_KX };

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
};

static struct {
	int kvm_fd, vm_fd;
	size_t run_size;
	bool irqchip;
	void *ram;
	int mem_fd;
	uint64_t mem_size;
	struct kvm_cpuid2 *cpuid;
	struct kvm_vcpu vcpus[HVM_MAX_VCPUS];
	unsigned int nr_vcpus;
	/* Calloc'ed per run; never freed: device threads may outlive it. */
	struct board *board;
	pthread_t flusher;
	bool flusher_started;
	atomic_bool flusher_stop;
	atomic_uint_least64_t exits[NR_KX];
} kvm = { .kvm_fd = -1, .vm_fd = -1, .mem_fd = -1 };

/* ---- the board's hypervisor side ------------------------------------------ */

static void kvm_stop(struct platform *p, uint64_t code)
{
	(void)p;
	run_stop(code);
}

static int kvm_signal_msi(struct platform *p, uint64_t address,
			  uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)address,
		.address_hi = (uint32_t)(address >> 32),
		.data = data,
	};
	int ret;

	(void)p;
	if (!kvm.irqchip)
		return -ENOTTY;
	ret = ioctl(kvm.vm_fd, KVM_SIGNAL_MSI, &msi);
	return ret < 0 ? -errno : ret;
}

/* ---- CPUID ------------------------------------------------------------- */

static struct kvm_cpuid2 *supported_cpuid(void)
{
	struct kvm_cpuid2 *cpuid;

	cpuid = calloc(1, sizeof(*cpuid) +
		       KVM_CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("out of memory");
	cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(kvm.kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return cpuid;
}

/*
 * KVM's table brought near hvm's (module/cpuid.c), so that Linux takes the
 * same paths on both: no KVM paravirtual leaves (kvm-clock, PV EOI, steal
 * time), no x2APIC (hvm's APIC is xAPIC only), no PMU, no nested
 * virtualization; the TSC-deadline timer and an invariant TSC as hvm
 * offers them, and the hypervisor bit.  What still differs is in
 * Documentation/performance.rst.
 */
static void filter_cpuid(struct kvm_cpuid2 *cpuid)
{
	bool deadline = kvm.irqchip &&
		ioctl(kvm.kvm_fd, KVM_CHECK_EXTENSION,
		      KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	uint32_t i, n = 0;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 e = cpuid->entries[i];

		if ((e.function >= CPUID_HV_FIRST &&
		     e.function <= CPUID_HV_LAST) ||
		    e.function == CPUID_PMU_LEAF)
			continue;
		switch (e.function) {
		case 1:
			e.ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX |
				   CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC |
				   CPUID_1_ECX_TSC_DEADLINE);
			if (deadline)
				e.ecx |= CPUID_1_ECX_TSC_DEADLINE;
			/* KVM leaves it to the VMM; hvm sets it. */
			e.ecx |= CPUID_1_ECX_HYPERVISOR;
			if (!kvm.irqchip)
				e.edx &= ~CPUID_1_EDX_APIC;
			break;
		case 0x80000001:
			e.ecx &= ~(CPUID_81_ECX_SVM | CPUID_81_ECX_PERFCTR);
			if (!kvm.irqchip)
				e.edx &= ~CPUID_81_EDX_APIC;
			break;
		case 0x80000007:
			e.edx |= CPUID_87_EDX_INVARIANT_TSC;
			break;
		}
		cpuid->entries[n++] = e;
	}
	cpuid->nent = n;
}

/* The APIC ID (= vCPU id, as the MADT says) in leaves 1, 0xb and 0x1f. */
static void set_cpuid_apic_id(struct kvm_cpuid2 *cpuid, unsigned int id)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffU) | (uint32_t)id << 24;
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = id;
	}
}

/* ---- the VM ------------------------------------------------------------ */

static void *kvm_create(const struct options *opts)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_enable_cap split = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { KVM_IOAPIC_PINS },
	};
	uint64_t identity = KVM_IDENTITY_MAP_GPA;
	int ret;

	kvm.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm.kvm_fd < 0 && errno == ENOENT) {
		fprintf(stderr, "hvm-run: /dev/kvm not found: is KVM loaded? (sudo modprobe kvm-amd or kvm-intel)\n");
		return NULL;
	}
	if (kvm.kvm_fd < 0)
		die("cannot open /dev/kvm: %s", strerror(errno));
	if (ioctl(kvm.kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("/dev/kvm speaks another API version than %d",
		    KVM_API_VERSION);
	if (opts->mem_size > KVM_RAM_LIMIT)
		die("--backend kvm: guest RAM must end below %#llx (--mem)",
		    KVM_RAM_LIMIT);
	if (opts->reboot && (opts->nr_disks || opts->nr_nets))
		die("--backend kvm: --reboot with --disk or --net is not supported (the devices' threads would outlive the VM)");
	kvm.run_size = ioctl(kvm.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)kvm.run_size < (long)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	kvm.vm_fd = ioctl(kvm.kvm_fd, KVM_CREATE_VM, 0);
	if (kvm.vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	/* Only VMX uses them; SVM accepts and ignores them. */
	if (ioctl(kvm.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		die("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(kvm.vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	kvm.irqchip = opts->kernel_path != NULL;
	if (kvm.irqchip && ioctl(kvm.vm_fd, KVM_ENABLE_CAP, &split) < 0)
		die("KVM_CAP_SPLIT_IRQCHIP: %s", strerror(errno));

	ret = hvm_memfd_alloc(opts->mem_size,
			      opts->hugetlb ? HVM_MEMFD_HUGETLB : 0,
			      &kvm.mem_fd, &kvm.ram);
	if (ret)
		die("cannot get %" PRIu64 " bytes of guest memory%s: %s",
		    opts->mem_size, opts->hugetlb ? " (--hugetlb)" : "",
		    strerror(-ret));
	kvm.mem_size = opts->mem_size;
	region.memory_size = opts->mem_size;
	region.userspace_addr = (uintptr_t)kvm.ram;
	if (ioctl(kvm.vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	kvm.cpuid = supported_cpuid();
	filter_cpuid(kvm.cpuid);
	kvm.nr_vcpus = 0;
	memset(kvm.exits, 0, sizeof(kvm.exits));
	return kvm.ram;
}

static bool kvm_has_irqchip(void)
{
	return kvm.irqchip;
}

static void kvm_create_vcpu(unsigned int id)
{
	struct kvm_vcpu *v = &kvm.vcpus[id];
	void *run;

	v->fd = ioctl(kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	run = mmap(NULL, kvm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   v->fd, 0);
	if (run == MAP_FAILED)
		die("vCPU %u: mmap of kvm_run: %s", id, strerror(errno));
	v->run = run;
	set_cpuid_apic_id(kvm.cpuid, id);
	if (ioctl(v->fd, KVM_SET_CPUID2, kvm.cpuid) < 0)
		die("vCPU %u: KVM_SET_CPUID2: %s", id, strerror(errno));
	kvm.nr_vcpus = id + 1;
}

static long kvm_tsc_khz(void)
{
	return kvm.nr_vcpus ? ioctl(kvm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0) : -1;
}

/* struct hvm_segment's attrib is the VMCB's packing (uapi/linux/hvm.h). */
static void to_kvm_segment(struct kvm_segment *k, const struct hvm_segment *h)
{
	k->base = h->base;
	k->limit = h->limit;
	k->selector = h->selector;
	k->type = h->attrib & 0xf;
	k->s = (h->attrib >> 4) & 1;
	k->dpl = (h->attrib >> 5) & 3;
	k->present = (h->attrib >> 7) & 1;
	k->avl = (h->attrib >> 8) & 1;
	k->l = (h->attrib >> 9) & 1;
	k->db = (h->attrib >> 10) & 1;
	k->g = (h->attrib >> 11) & 1;
	k->unusable = !k->present;
}

/* The state hvm's HVM_SET_SREGS and HVM_SET_REGS would load. */
static void kvm_set_entry(unsigned int id, const struct vcpu_entry *entry)
{
	const struct hvm_sregs *hs = &entry->sregs;
	const struct hvm_regs *hr = &entry->regs;
	int fd = kvm.vcpus[id].fd;
	struct kvm_sregs s;
	struct kvm_regs r;

	/*
	 * With the APICs in KVM, an AP is created waiting for INIT/SIPI
	 * (KVM_MP_STATE_UNINITIALIZED) as hvm's WAIT_SIPI does.
	 */
	if (entry->wait_sipi)
		return;
	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		die("vCPU %u: KVM_GET_SREGS: %s", id, strerror(errno));
	to_kvm_segment(&s.cs, &hs->cs);
	to_kvm_segment(&s.ds, &hs->ds);
	to_kvm_segment(&s.es, &hs->es);
	to_kvm_segment(&s.fs, &hs->fs);
	to_kvm_segment(&s.gs, &hs->gs);
	to_kvm_segment(&s.ss, &hs->ss);
	to_kvm_segment(&s.tr, &hs->tr);
	to_kvm_segment(&s.ldt, &hs->ldt);
	s.gdt.base = hs->gdt.base;
	s.gdt.limit = hs->gdt.limit;
	s.idt.base = hs->idt.base;
	s.idt.limit = hs->idt.limit;
	s.cr0 = hs->cr0;
	s.cr2 = hs->cr2;
	s.cr3 = hs->cr3;
	s.cr4 = hs->cr4;
	s.cr8 = hs->cr8;
	s.efer = hs->efer;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		die("vCPU %u: KVM_SET_SREGS: %s", id, strerror(errno));
	memset(&r, 0, sizeof(r));
	r.rax = hr->rax;
	r.rbx = hr->rbx;
	r.rcx = hr->rcx;
	r.rdx = hr->rdx;
	r.rsi = hr->rsi;
	r.rdi = hr->rdi;
	r.rsp = hr->rsp;
	r.rbp = hr->rbp;
	r.r8 = hr->r8;
	r.r9 = hr->r9;
	r.r10 = hr->r10;
	r.r11 = hr->r11;
	r.r12 = hr->r12;
	r.r13 = hr->r13;
	r.r14 = hr->r14;
	r.r15 = hr->r15;
	r.rip = hr->rip;
	r.rflags = hr->rflags;
	if (ioctl(fd, KVM_SET_REGS, &r) < 0)
		die("vCPU %u: KVM_SET_REGS: %s", id, strerror(errno));
}

/* The console output goes out every KVM_FLUSH_NS (hvm-helper: per batch). */
static void *flush_console(void *arg)
{
	struct timespec tick = { 0, KVM_FLUSH_NS };
	struct board *b = arg;

	while (!atomic_load(&kvm.flusher_stop)) {
		nanosleep(&tick, NULL);
		board_flush_output(b);
	}
	return NULL;
}

static void kvm_start_devices(const struct options *opts, bool console_input)
{
	struct board *b = calloc(1, sizeof(*b));
	unsigned int i;
	int ret;

	if (!b)
		die("out of memory");
	board_init(b, "hvm-run", opts->verbose);
	b->plat.stop = kvm_stop;
	b->plat.signal_msi = kvm_signal_msi;
	/* Kicks stay synchronous exits: no ioeventfd or coalescing here. */
	b->plat.add_posted = NULL;
	b->stats = opts->stats;
	for (i = 0; i < opts->nr_disks; i++)
		b->disks[b->nr_disks++] = opts->disks[i];
	for (i = 0; i < opts->nr_nets; i++)
		b->nets[b->nr_nets++] = opts->nets[i];
	ret = hvm_guest_ram_map(&b->ram, kvm.mem_fd, 0, kvm.mem_size, 0);
	if (ret)
		die("cannot map guest RAM for the devices: %s", strerror(-ret));
	ret = board_create_devices(b);
	if (ret == -ENOMEM)
		die("cannot create the devices: %s", strerror(-ret));
	if (ret)
		exit(STATUS_SETUP_ERROR);	/* the device said why */
	if (console_input && board_start_console_input(b))
		die("cannot start the console input thread");
	kvm.board = b;
	atomic_store(&kvm.flusher_stop, false);
	ret = pthread_create(&kvm.flusher, NULL, flush_console, b);
	if (ret)
		die("cannot start the console output thread: %s",
		    strerror(ret));
	kvm.flusher_started = true;
}

/* ---- running ---------------------------------------------------------- */

static uint64_t vcpu_rip(unsigned int id)
{
	struct kvm_regs r;

	if (ioctl(kvm.vcpus[id].fd, KVM_GET_REGS, &r) < 0)
		return ~0ULL;
	return r.rip;
}

/* KVM_EXIT_IO: count accesses of size bytes each (string I/O, REP). */
static void exit_io(struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int size = run->io.size;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += size) {
		uint64_t value = 0;

		if (is_write)
			memcpy(&value, data, size);
		board_access(kvm.board, HVM_IO_PIO, run->io.port, size,
			     is_write, &value);
		if (!is_write)
			memcpy(data, &value, size);
	}
}

static void exit_mmio(struct kvm_run *run)
{
	uint64_t value = 0;
	unsigned int len = run->mmio.len;

	if (len > sizeof(value))
		len = sizeof(value);
	if (run->mmio.is_write)
		memcpy(&value, run->mmio.data, len);
	board_access(kvm.board, HVM_IO_MMIO, run->mmio.phys_addr, len,
		     run->mmio.is_write, &value);
	if (!run->mmio.is_write)
		memcpy(run->mmio.data, &value, len);
}

/* Returns false when this vCPU is done. */
static bool handle_exit(unsigned int id, struct kvm_run *run)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		atomic_fetch_add(&kvm.exits[KX_IO], 1);
		exit_io(run);
		return true;
	case KVM_EXIT_MMIO:
		atomic_fetch_add(&kvm.exits[KX_MMIO], 1);
		exit_mmio(run);
		return true;
	case KVM_EXIT_HLT:
		atomic_fetch_add(&kvm.exits[KX_HLT], 1);
		return run_vcpu_halted(id, vcpu_rip(id));
	case KVM_EXIT_INTR:
	case KVM_EXIT_IOAPIC_EOI:
		return true;
	case KVM_EXIT_SHUTDOWN:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: guest shut down (triple fault) at rip %#" PRIx64,
		       id, vcpu_rip(id));
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: the CPU refused to enter the guest at rip %#" PRIx64 " (hw reason %#llx)",
		       id, vcpu_rip(id),
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		finish(STATUS_GUEST_ERROR,
		       "vCPU %u: KVM internal error %u at rip %#" PRIx64,
		       id, run->internal.suberror, vcpu_rip(id));
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		run_stop(run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
			 HVM_STOP_RESET : HVM_STOP_POWEROFF);
		return false;
	default:
		atomic_fetch_add(&kvm.exits[KX_OTHER], 1);
		finish(STATUS_GUEST_ERROR, "vCPU %u: unhandled KVM exit %u at rip %#" PRIx64,
		       id, run->exit_reason, vcpu_rip(id));
		return false;
	}
}

static void kvm_run_vcpu(unsigned int id)
{
	struct kvm_vcpu *v = &kvm.vcpus[id];

	while (!run_done()) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			finish(STATUS_GUEST_ERROR, "vCPU %u: KVM_RUN failed: %s",
			       id, strerror(errno));
			break;
		}
		if (!handle_exit(id, v->run))
			break;
	}
}

static void kvm_destroy(const struct options *opts, double seconds)
{
	unsigned int i;

	if (kvm.flusher_started) {
		atomic_store(&kvm.flusher_stop, true);
		pthread_join(kvm.flusher, NULL);
		kvm.flusher_started = false;
	}
	if (kvm.board) {
		board_flush_output(kvm.board);
		if (opts->stats) {
			fprintf(stderr, "hvm-run: %.2f s, KVM exits to hvm-run: io %" PRIu64 " mmio %" PRIu64 " hlt %" PRIu64 " other %" PRIu64 "\n",
				seconds, (uint64_t)atomic_load(&kvm.exits[KX_IO]),
				(uint64_t)atomic_load(&kvm.exits[KX_MMIO]),
				(uint64_t)atomic_load(&kvm.exits[KX_HLT]),
				(uint64_t)atomic_load(&kvm.exits[KX_OTHER]));
			board_print_port_stats(kvm.board);
		}
	}
	for (i = 0; i < kvm.nr_vcpus; i++) {
		munmap(kvm.vcpus[i].run, kvm.run_size);
		close(kvm.vcpus[i].fd);
	}
	kvm.nr_vcpus = 0;
	free(kvm.cpuid);
	kvm.cpuid = NULL;
	if (kvm.vm_fd >= 0)
		close(kvm.vm_fd);
	if (kvm.kvm_fd >= 0)
		close(kvm.kvm_fd);
	kvm.vm_fd = -1;
	kvm.kvm_fd = -1;
	/* The board's devices may still read RAM: the mapping stays. */
	kvm.board = NULL;
}

const struct run_backend run_backend_kvm = {
	.name = "kvm",
	.create = kvm_create,
	.has_irqchip = kvm_has_irqchip,
	.create_vcpu = kvm_create_vcpu,
	.tsc_khz = kvm_tsc_khz,
	.set_entry = kvm_set_entry,
	.start_devices = kvm_start_devices,
	.run_vcpu = kvm_run_vcpu,
	.destroy = kvm_destroy,
};
