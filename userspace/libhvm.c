// SPDX-License-Identifier: GPL-2.0
/*
 * libhvm: thin wrappers over the hvm ioctls, CPU mode set-up, and the
 * helper side of the shared-memory I/O ring.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libhvm.h"

#define PAGE_SIZE_4K	4096ULL

/*
 * glibc's <sys/mman.h> has memfd_create() but not the page size flags, and
 * <linux/memfd.h> redefines glibc's MFD_* macros: log2(2 MiB) in bits 26+.
 */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)
#endif

/* SVM VMCB segment attribute bits (see the uapi comment). */
#define SEG_TYPE_DATA_RW_ACCESSED	0x3
#define SEG_TYPE_CODE_RX_ACCESSED	0xb
#define SEG_TYPE_LDT			0x2
#define SEG_TYPE_TSS_BUSY		0xb
#define SEG_S		(1U << 4)
#define SEG_P		(1U << 7)
#define SEG_L		(1U << 9)
#define SEG_DB		(1U << 10)
#define SEG_G		(1U << 11)

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

#define RFLAGS_FIXED	0x2ULL

#define GDT_SEL_CODE	0x08
#define GDT_SEL_DATA	0x10

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* HVM_SET_MEMORY_SLOT for memory at mem: 0 or -errno. */
static int set_memory_slot(struct hvm_vm_handle *vm, uint32_t slot,
			   uint32_t flags, uint64_t gpa, uint64_t size,
			   void *mem)
{
	struct hvm_memory_slot region = {
		.slot = slot, .flags = flags, .guest_phys = gpa,
		.size = size, .userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm->vm_fd, HVM_SET_MEMORY_SLOT, &region) < 0 ?
	       neg_errno() : 0;
}

int hvm_open(void)
{
	int fd = open(HVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? neg_errno() : fd;
}

int hvm_get_caps(int sys_fd, struct hvm_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->size = sizeof(*caps);
	if (ioctl(sys_fd, HVM_GET_CAPS, caps) < 0)
		return neg_errno();
	return 0;
}

int hvm_vm_create(struct hvm_vm_handle *vm)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	for (unsigned int i = 0; i < HVM_MAX_SLOTS; i++)
		vm->mem[i].fd = -1;
	vm->sys_fd = hvm_open();
	if (vm->sys_fd < 0)
		return vm->sys_fd;

	ret = ioctl(vm->sys_fd, HVM_GET_API_VERSION, 0);
	if (ret < 0) {
		ret = neg_errno();
		goto fail;
	}
	if (ret != HVM_API_VERSION) {
		ret = -EPROTO;
		goto fail;
	}
	vm->vm_fd = ioctl(vm->sys_fd, HVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = neg_errno();
		goto fail;
	}
	return 0;
fail:
	close(vm->sys_fd);
	vm->sys_fd = -1;
	return ret;
}

void hvm_vm_close(struct hvm_vm_handle *vm)
{
	unsigned int i;

	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->vm_fd = -1;
	vm->sys_fd = -1;
	/* After the VM fd: the kernel may still hold the pages until then. */
	for (i = 0; i < HVM_MAX_SLOTS; i++) {
		if (vm->mem[i].host) {
			munmap(vm->mem[i].host, vm->mem[i].size);
			if (vm->mem[i].fd >= 0)
				close(vm->mem[i].fd);
		}
		vm->mem[i].host = NULL;
		vm->mem[i].size = 0;
		vm->mem[i].fd = -1;
	}
}

int hvm_vm_add_memory(struct hvm_vm_handle *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, uint32_t flags, void **host)
{
	void *mem;
	int ret;

	if (slot >= HVM_MAX_SLOTS || size == 0 || size > SIZE_MAX)
		return -EINVAL;
	if (vm->mem[slot].host)
		return -EEXIST;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return neg_errno();
	if (madvise(mem, size, MADV_DONTFORK) < 0) {
		ret = neg_errno();
		goto fail;
	}

	ret = set_memory_slot(vm, slot, flags, gpa, size, mem);
	if (ret)
		goto fail;
	vm->mem[slot].host = mem;
	vm->mem[slot].size = size;
	vm->mem[slot].fd = -1;
	*host = mem;
	return 0;
fail:
	munmap(mem, size);
	return ret;
}

/* ---- guest RAM in a memfd ------------------------------------------------ */

int hvm_memfd_alloc(uint64_t size, unsigned int flags, int *out_fd,
		    void **out_host)
{
	unsigned int mfd_flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	bool hugetlb = flags & HVM_MEMFD_HUGETLB;
	uintptr_t aligned;
	uint8_t *reserve;
	size_t head, tail;
	void *mem;
	int fd, ret;

	if (flags & ~HVM_MEMFD_HUGETLB || size == 0 ||
	    size > SIZE_MAX - HVM_HUGE_PAGE_SIZE || size % PAGE_SIZE_4K ||
	    (hugetlb && size % HVM_HUGE_PAGE_SIZE))
		return -EINVAL;
	if (hugetlb)
		mfd_flags |= MFD_HUGETLB | MFD_HUGE_2MB;

	fd = memfd_create("hvm-guest-ram", mfd_flags);
	if (fd < 0)
		return neg_errno();
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = neg_errno();
		goto fail_fd;
	}
	/*
	 * The size is final: a helper that maps the file relies on it never
	 * shrinking (a truncated page would SIGBUS it), and growing it would
	 * only add memory no slot covers.  F_SEAL_SEAL keeps anyone from
	 * adding seals later (F_SEAL_FUTURE_WRITE would stop our own maps).
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = neg_errno();
		goto fail_fd;
	}

	/*
	 * A 2 MiB aligned address, so that a THP or hugetlb page can back
	 * whole 2 MiB of guest-physical space (the slot starts there too):
	 * reserve size + 2 MiB of address space, map the file over its
	 * aligned part, give back the rest.
	 */
	reserve = mmap(NULL, size + HVM_HUGE_PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reserve == MAP_FAILED) {
		ret = neg_errno();
		goto fail_fd;
	}
	aligned = ((uintptr_t)reserve + HVM_HUGE_PAGE_SIZE - 1) &
		  ~(uintptr_t)(HVM_HUGE_PAGE_SIZE - 1);
	head = aligned - (uintptr_t)reserve;
	tail = HVM_HUGE_PAGE_SIZE - head;
	/* hugetlb reserves its pages here: ENOMEM when the pool is short. */
	mem = mmap((void *)aligned, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, fd, 0);
	if (mem == MAP_FAILED) {
		ret = neg_errno();
		munmap(reserve, size + HVM_HUGE_PAGE_SIZE);
		goto fail_fd;
	}
	if (head)
		munmap(reserve, head);
	if (tail)
		munmap((uint8_t *)mem + size, tail);

	/*
	 * Advice only: THP for shmem also depends on the host's
	 * transparent_hugepage/shmem_enabled, and hugetlb needs none.
	 */
	if (!hugetlb)
		madvise(mem, size, MADV_HUGEPAGE);
	/* A forked child (not exec'ed) gets nothing: it maps the fd. */
	if (madvise(mem, size, MADV_DONTFORK) < 0) {
		ret = neg_errno();
		munmap(mem, size);
		goto fail_fd;
	}
	*out_fd = fd;
	*out_host = mem;
	return 0;
fail_fd:
	close(fd);
	return ret;
}

void hvm_memfd_free(int fd, void *host, uint64_t size)
{
	if (host)
		munmap(host, size);
	if (fd >= 0)
		close(fd);
}

static long read_long_file(const char *path)
{
	char buf[32];
	ssize_t n;
	long value;
	char *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	value = strtol(buf, &end, 10);
	if (errno || end == buf || value < 0)
		return -EIO;
	return value;
}

long hvm_hugetlb_free_pages(void)
{
	static const char dir[] = "/sys/kernel/mm/hugepages/hugepages-2048kB";
	char path[sizeof(dir) + 32];
	long free_pages, resv;

	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	free_pages = read_long_file(path);
	if (free_pages < 0)
		return free_pages;
	/* Free pages include those promised to existing mappings. */
	snprintf(path, sizeof(path), "%s/resv_hugepages", dir);
	resv = read_long_file(path);
	if (resv < 0)
		return resv;
	return free_pages > resv ? free_pages - resv : 0;
}

int hvm_vm_add_memfd(struct hvm_vm_handle *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size, uint32_t flags, unsigned int memfd_flags,
		     void **host, int *mem_fd)
{
	void *mem;
	int fd, ret;

	if (slot >= HVM_MAX_SLOTS)
		return -EINVAL;
	if (vm->mem[slot].host)
		return -EEXIST;
	ret = hvm_memfd_alloc(size, memfd_flags, &fd, &mem);
	if (ret)
		return ret;

	ret = set_memory_slot(vm, slot, flags, gpa, size, mem);
	if (ret) {
		hvm_memfd_free(fd, mem, size);
		return ret;
	}
	vm->mem[slot].host = mem;
	vm->mem[slot].size = size;
	vm->mem[slot].fd = fd;
	*host = mem;
	*mem_fd = fd;
	return 0;
}

/* ---- CPUID --------------------------------------------------------------- */

int hvm_get_supported_cpuid(int sys_fd, struct hvm_cpuid **out)
{
	struct hvm_cpuid *cpuid;
	uint32_t room = HVM_MAX_CPUID_ENTRIES;
	int ret;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
			       room * sizeof(struct hvm_cpuid_entry));
		if (!cpuid)
			return -ENOMEM;
		cpuid->nent = room;
		if (ioctl(sys_fd, HVM_GET_SUPPORTED_CPUID, cpuid) == 0) {
			*out = cpuid;
			return 0;
		}
		ret = neg_errno();
		/* E2BIG left the count needed in nent. */
		if (ret != -E2BIG || cpuid->nent <= room) {
			free(cpuid);
			return ret;
		}
		room = cpuid->nent;
		free(cpuid);
	}
}

int hvm_vm_set_default_cpuid(struct hvm_vm_handle *vm)
{
	struct hvm_cpuid *cpuid;
	int ret;

	ret = hvm_get_supported_cpuid(vm->sys_fd, &cpuid);
	if (ret)
		return ret;
	if (ioctl(vm->vm_fd, HVM_SET_CPUID, cpuid) < 0)
		ret = neg_errno();
	free(cpuid);
	return ret;
}

/* ---- vCPUs --------------------------------------------------------------- */

int hvm_vcpu_create(struct hvm_vm_handle *vm, uint32_t id,
		    struct hvm_vcpu_handle *vcpu)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (sizeof(struct hvm_run) + page - 1) & ~(page - 1);
	void *run;
	int fd, ret;

	fd = ioctl(vm->vm_fd, HVM_CREATE_VCPU, (unsigned long)id);
	if (fd < 0)
		return neg_errno();
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		ret = neg_errno();
		close(fd);
		return ret;
	}
	vcpu->fd = fd;
	vcpu->id = id;
	vcpu->run = run;
	return 0;
}

void hvm_vcpu_close(struct hvm_vcpu_handle *vcpu)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (sizeof(struct hvm_run) + page - 1) & ~(page - 1);

	if (vcpu->run)
		munmap(vcpu->run, size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int hvm_vcpu_run(struct hvm_vcpu_handle *vcpu)
{
	if (ioctl(vcpu->fd, HVM_RUN, 0) < 0)
		return neg_errno();
	return 0;
}

static void set_segment(struct hvm_segment *seg, uint16_t selector,
			uint64_t base, uint32_t limit, uint16_t attrib)
{
	seg->selector = selector;
	seg->base = base;
	seg->limit = limit;
	seg->attrib = attrib;
}

/* TR and LDTR: never used by our guests but must look valid to VMRUN. */
static void set_system_segments(struct hvm_sregs *sregs)
{
	set_segment(&sregs->tr, 0, 0, 0xffff, SEG_TYPE_TSS_BUSY | SEG_P);
	set_segment(&sregs->ldt, 0, 0, 0xffff, SEG_TYPE_LDT | SEG_P);
}

static void entry_regs(struct hvm_regs *regs, uint64_t rip)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = rip;
	regs->rflags = RFLAGS_FIXED;
}

static int load_state(struct hvm_vcpu_handle *vcpu,
		      const struct hvm_sregs *sregs,
		      const struct hvm_regs *regs)
{
	if (ioctl(vcpu->fd, HVM_SET_SREGS, sregs) < 0)
		return neg_errno();
	if (ioctl(vcpu->fd, HVM_SET_REGS, regs) < 0)
		return neg_errno();
	return 0;
}

int hvm_entry_state_real(uint64_t rip, struct hvm_sregs *sregs,
			 struct hvm_regs *regs)
{
	const uint16_t code = SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P;
	const uint16_t data = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P;

	/* CS is 0, so IP is all there is: the entry must be below 64 KiB. */
	if (rip > 0xffff)
		return -EINVAL;

	memset(sregs, 0, sizeof(*sregs));
	set_segment(&sregs->cs, 0, 0, 0xffff, code);
	set_segment(&sregs->ds, 0, 0, 0xffff, data);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	set_system_segments(sregs);
	sregs->gdt.limit = 0xffff;
	sregs->idt.limit = 0x3ff;	/* the real-mode IVT at 0 */
	sregs->cr0 = CR0_ET;
	entry_regs(regs, rip);
	return 0;
}

int hvm_vcpu_setup_real(struct hvm_vcpu_handle *vcpu, uint64_t rip)
{
	struct hvm_sregs sregs;
	struct hvm_regs regs;
	int ret = hvm_entry_state_real(rip, &sregs, &regs);

	return ret ? ret : load_state(vcpu, &sregs, &regs);
}

static void set_flat_segments(struct hvm_sregs *sregs, uint16_t code_attrib)
{
	const uint16_t data = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P |
			      SEG_DB | SEG_G;

	set_segment(&sregs->cs, GDT_SEL_CODE, 0, 0xffffffff, code_attrib);
	set_segment(&sregs->ds, GDT_SEL_DATA, 0, 0xffffffff, data);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	set_system_segments(sregs);
}

int hvm_entry_state_prot32(uint64_t rip, struct hvm_sregs *sregs,
			   struct hvm_regs *regs)
{
	if (rip > 0xffffffffULL)
		return -EINVAL;
	memset(sregs, 0, sizeof(*sregs));
	set_flat_segments(sregs, SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P |
			  SEG_DB | SEG_G);
	sregs->cr0 = CR0_PE | CR0_ET;
	entry_regs(regs, rip);
	return 0;
}

int hvm_vcpu_setup_prot32(struct hvm_vcpu_handle *vcpu, uint64_t rip)
{
	struct hvm_sregs sregs;
	struct hvm_regs regs;
	int ret = hvm_entry_state_prot32(rip, &sregs, &regs);

	return ret ? ret : load_state(vcpu, &sregs, &regs);
}

/*
 * Layout of the 6 pages at page_tables_gpa:
 *   page 0: PML4; its entry 0 points at page 1.  The GDT sits in its upper
 *           half, in PML4 slots 256 and up, so every GDT descriptor must
 *           read as a non-present PML4 entry: bit 0 (limit bit 0) is clear.
 *           64-bit mode ignores segment limits, so that costs nothing.
 *   page 1: PDPT, entries 0-3 -> pages 2-5.
 *   pages 2-5: page directories of 2 MiB pages covering 0-4 GiB.
 */
#define LONG64_PT_PAGES		6
#define LONG64_GDT_OFFSET	2048
/* G=1, L=1, P=1, S=1, type execute/read; limit 0xffffe (bit 0 clear). */
#define GDT_CODE64		0x00af9a000000fffeULL
/* G=1, D/B=1, P=1, S=1, type read/write; limit 0xffffe (bit 0 clear). */
#define GDT_DATA		0x00cf92000000fffeULL

int hvm_entry_state_long64(uint64_t rip, void *host_mem, uint64_t mem_gpa,
			   uint64_t page_tables_gpa, struct hvm_sregs *sregs,
			   struct hvm_regs *regs)
{
	uint64_t *pml4, *pdpt, *pd, *gdt;
	unsigned int i;
	uint8_t *base;

	if (!host_mem || page_tables_gpa < mem_gpa ||
	    page_tables_gpa % PAGE_SIZE_4K)
		return -EINVAL;

	base = (uint8_t *)host_mem + (page_tables_gpa - mem_gpa);
	memset(base, 0, LONG64_PT_PAGES * PAGE_SIZE_4K);
	pml4 = (uint64_t *)base;
	pdpt = (uint64_t *)(base + PAGE_SIZE_4K);
	pd = (uint64_t *)(base + 2 * PAGE_SIZE_4K);
	gdt = (uint64_t *)(base + LONG64_GDT_OFFSET);

	pml4[0] = (page_tables_gpa + PAGE_SIZE_4K) | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (page_tables_gpa + (2 + i) * PAGE_SIZE_4K) |
			  PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	gdt[0] = 0;
	gdt[GDT_SEL_CODE / 8] = GDT_CODE64;
	gdt[GDT_SEL_DATA / 8] = GDT_DATA;

	memset(sregs, 0, sizeof(*sregs));
	set_flat_segments(sregs, SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P |
			  SEG_L | SEG_G);
	sregs->gdt.base = page_tables_gpa + LONG64_GDT_OFFSET;
	sregs->gdt.limit = 3 * 8 - 1;
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs->cr3 = page_tables_gpa;
	sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs->efer = EFER_LME | EFER_LMA;
	entry_regs(regs, rip);
	return 0;
}

int hvm_vcpu_setup_long64(struct hvm_vcpu_handle *vcpu, uint64_t rip,
			  void *host_mem, uint64_t mem_gpa,
			  uint64_t page_tables_gpa)
{
	struct hvm_sregs sregs;
	struct hvm_regs regs;
	int ret = hvm_entry_state_long64(rip, host_mem, mem_gpa,
					 page_tables_gpa, &sregs, &regs);

	return ret ? ret : load_state(vcpu, &sregs, &regs);
}

/* ---- the ring ------------------------------------------------------------ */

int hvm_ring_create(struct hvm_vm_handle *vm)
{
	int fd = ioctl(vm->vm_fd, HVM_CREATE_RING, 0);

	return fd < 0 ? neg_errno() : fd;
}

static bool ring_header_valid(const struct hvm_ring_header *hdr)
{
	uint64_t slots_end = (uint64_t)hdr->slots_offset +
			     (uint64_t)hdr->nr_slots *
			     sizeof(struct hvm_ring_slot);
	uint64_t posted_end = (uint64_t)hdr->posted_offset +
			      (uint64_t)hdr->nr_posted *
			      sizeof(struct hvm_posted_entry);

	return hdr->magic == HVM_RING_MAGIC &&
	       hdr->version >= 1 && hdr->version <= HVM_RING_VERSION &&
	       hdr->nr_slots > 0 && hdr->nr_slots <= HVM_MAX_VCPUS &&
	       hdr->nr_posted > 0 &&
	       (hdr->nr_posted & (hdr->nr_posted - 1)) == 0 &&
	       hdr->slots_offset >= sizeof(*hdr) &&
	       hdr->slots_offset % 8 == 0 && hdr->posted_offset % 8 == 0 &&
	       slots_end <= hdr->mmap_size && posted_end <= hdr->mmap_size;
}

int hvm_ring_map(int ring_fd, struct hvm_ring_map *ring)
{
	long page = sysconf(_SC_PAGESIZE);
	struct hvm_ring_header *hdr;
	const char *env;
	size_t size;
	void *mem;

	/* The header says how big the whole ring is. */
	hdr = mmap(NULL, page, PROT_READ, MAP_SHARED, ring_fd, 0);
	if (hdr == MAP_FAILED)
		return neg_errno();
	size = hdr->mmap_size;
	if (!ring_header_valid(hdr)) {
		munmap(hdr, page);
		return -EPROTO;
	}
	munmap(hdr, page);

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (mem == MAP_FAILED)
		return neg_errno();
	hdr = mem;
	/* The kernel never changes the header; recheck what we mapped. */
	if (hdr->mmap_size != size || !ring_header_valid(hdr)) {
		munmap(mem, size);
		return -EPROTO;
	}
	ring->fd = ring_fd;
	ring->hdr = hdr;
	ring->slots = (struct hvm_ring_slot *)((uint8_t *)mem +
					       hdr->slots_offset);
	ring->posted = (struct hvm_posted_entry *)((uint8_t *)mem +
						   hdr->posted_offset);
	ring->size = size;
	ring->poll_ns = 0;
	ring->poll_max_ns = HVM_RING_POLL_MAX_NS;
	env = getenv("HVM_RING_POLL_MAX_NS");
	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (!*end)
			ring->poll_max_ns = v;
	}
	return 0;
}

void hvm_ring_unmap(struct hvm_ring_map *ring)
{
	if (ring->hdr)
		munmap(ring->hdr, ring->size);
	if (ring->fd >= 0)
		close(ring->fd);
	ring->hdr = NULL;
	ring->slots = NULL;
	ring->posted = NULL;
	ring->size = 0;
	ring->fd = -1;
}

int hvm_ring_add_posted(struct hvm_ring_map *ring, uint32_t space,
			uint64_t base, uint64_t size)
{
	struct hvm_posted_range range;

	memset(&range, 0, sizeof(range));
	range.space = space;
	range.base = base;
	range.size = size;
	if (ioctl(ring->fd, HVM_RING_ADD_POSTED, &range) < 0)
		return neg_errno();
	return 0;
}

int hvm_ring_stop_vm(struct hvm_ring_map *ring, uint64_t code)
{
	if (ioctl(ring->fd, HVM_RING_STOP_VM, (unsigned long)code) < 0)
		return neg_errno();
	return 0;
}

int hvm_ring_signal_msi(struct hvm_ring_map *ring, uint64_t address,
			uint32_t data)
{
	struct hvm_msi msi = { .address = address, .data = data };
	int ret = ioctl(ring->fd, HVM_RING_SIGNAL_MSI, &msi);

	return ret < 0 ? neg_errno() : ret;
}

long hvm_vm_check_extension(struct hvm_vm_handle *vm, unsigned int ext)
{
	long ret = ioctl(vm->sys_fd, HVM_CHECK_EXTENSION, (unsigned long)ext);

	return ret < 0 ? neg_errno() : ret;
}

int hvm_vcpu_get_mp_state(struct hvm_vcpu_handle *vcpu, uint32_t *state)
{
	struct hvm_mp_state mp;

	if (ioctl(vcpu->fd, HVM_GET_MP_STATE, &mp) < 0)
		return neg_errno();
	*state = mp.state;
	return 0;
}

int hvm_vcpu_set_mp_state(struct hvm_vcpu_handle *vcpu, uint32_t state)
{
	struct hvm_mp_state mp = { .state = state };

	return ioctl(vcpu->fd, HVM_SET_MP_STATE, &mp) < 0 ? neg_errno() : 0;
}

/*
 * Hand every posted entry published so far to posted_cb and give the space
 * back.  Returns how many entries were consumed.
 */
static uint64_t ring_drain_posted(struct hvm_ring_map *ring,
				  hvm_posted_cb posted_cb, void *opaque)
{
	struct hvm_ring_header *hdr = ring->hdr;
	uint64_t mask = hdr->nr_posted - 1;
	uint64_t tail = __atomic_load_n(&hdr->posted_tail, __ATOMIC_RELAXED);
	uint64_t head = __atomic_load_n(&hdr->posted_head, __ATOMIC_ACQUIRE);
	uint64_t done = 0;

	while (tail != head) {
		struct hvm_posted_entry entry = ring->posted[tail & mask];

		if (posted_cb)
			posted_cb(opaque, &entry);
		tail++;
		done++;
		/* Batches are bounded by the ring size: let producers in. */
		if (done % (mask + 1) == 0)
			__atomic_store_n(&hdr->posted_tail, tail,
					 __ATOMIC_RELEASE);
	}
	if (done)
		__atomic_store_n(&hdr->posted_tail, tail, __ATOMIC_RELEASE);
	return done;
}

/*
 * Serve slot i if it is PENDING.  Entries posted before the request may
 * have been published after the drain in ring_serve_once(): they go first.
 */
static int ring_serve_slot(struct hvm_ring_map *ring, uint32_t i,
			   hvm_posted_cb posted_cb, hvm_sync_cb sync_cb,
			   void *opaque, bool *served)
{
	struct hvm_ring_header *hdr = ring->hdr;
	struct hvm_ring_slot *slot = &ring->slots[i];
	int result;

	if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != HVM_SLOT_PENDING)
		return 0;
	while (__atomic_load_n(&hdr->posted_tail, __ATOMIC_RELAXED) <
	       slot->posted_seq) {
		if (!ring_drain_posted(ring, posted_cb, opaque))
			return -EPROTO;
	}
	__atomic_store_n(&slot->state, HVM_SLOT_PROCESSING, __ATOMIC_RELEASE);
	result = sync_cb ? sync_cb(opaque, slot) : -EOPNOTSUPP;
	slot->result = result;
	__atomic_store_n(&slot->state, HVM_SLOT_COMPLETE, __ATOMIC_RELEASE);
	*served = true;
	return 0;
}

/*
 * One pass over the work published so far.  *notify: the slots served
 * (bit i for slot i), HVM_RING_NOTIFY's argument on a version-2 ring.
 */
static int ring_serve_once(struct hvm_ring_map *ring, hvm_posted_cb posted_cb,
			   hvm_sync_cb sync_cb, void *opaque, bool *served,
			   uint64_t *notify)
{
	struct hvm_ring_header *hdr = ring->hdr;
	uint64_t mask;
	uint32_t i;
	int ret;

	if (ring_drain_posted(ring, posted_cb, opaque))
		*served = true;

	if (hdr->version < 2) {
		/* No pending_mask: look at every slot. */
		for (i = 0; i < hdr->nr_slots; i++) {
			ret = ring_serve_slot(ring, i, posted_cb, sync_cb,
					      opaque, served);
			if (ret)
				return ret;
		}
		return 0;
	}

	/* Each bit goes to exactly one server, the request with it. */
	mask = __atomic_exchange_n(&hdr->pending_mask, 0, __ATOMIC_ACQ_REL);
	while (mask) {
		i = __builtin_ctzll(mask);
		mask &= mask - 1;
		if (i >= hdr->nr_slots)
			continue;
		ret = ring_serve_slot(ring, i, posted_cb, sync_cb, opaque,
				      served);
		if (ret)
			return ret;
		*notify |= 1ULL << i;
	}
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/* Work published on the shared page (version 2), or maybe (version 1). */
static bool ring_has_work(const struct hvm_ring_map *ring)
{
	struct hvm_ring_header *hdr = ring->hdr;

	if (hdr->version < 2)
		return true;
	return __atomic_load_n(&hdr->pending_mask, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&hdr->posted_head, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&hdr->posted_tail, __ATOMIC_RELAXED);
}

/*
 * Spin for ring->poll_ns (bounded by the deadline) before poll(): a vCPU
 * on another CPU publishes its next request in a few microseconds, and a
 * helper that sleeps costs that vCPU a wake-up of the helper each time.
 * The spin yields every few rounds so that a vCPU sharing this CPU runs.
 */
static bool ring_poll_spin(struct hvm_ring_map *ring, int64_t deadline_ms)
{
	int64_t end = now_ns() + (int64_t)ring->poll_ns;
	unsigned int n = 0;

	if (deadline_ms >= 0 && end > deadline_ms * 1000000)
		end = deadline_ms * 1000000;
	while (!ring_has_work(ring)) {
		if (now_ns() >= end)
			return false;
		if (++n % 4 == 0)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
	return true;
}

/* The same rule as the kernel's ring_poll_max_ns (architecture.rst). */
static void ring_poll_tune(struct hvm_ring_map *ring, bool polled,
			   int64_t waited_ns)
{
	uint64_t limit = ring->poll_max_ns;

	if (polled || !limit)
		return;
	if (waited_ns >= 0 && (uint64_t)waited_ns <= limit) {
		ring->poll_ns = ring->poll_ns ? ring->poll_ns * 2 : limit / 8;
		if (ring->poll_ns > limit)
			ring->poll_ns = limit;
		if (!ring->poll_ns)
			ring->poll_ns = 1;
	} else {
		ring->poll_ns = 0;
	}
}

/*
 * Tell the kernel about the slots just completed whose vCPUs sleep (the
 * others still poll and see COMPLETE by themselves), and about the posted
 * room a sleeping producer waits for.
 */
static int ring_notify(struct hvm_ring_map *ring, uint64_t served_mask)
{
	struct hvm_ring_header *hdr = ring->hdr;
	uint64_t wake;

	if (hdr->version < 2)
		return ioctl(ring->fd, HVM_RING_NOTIFY, 0) < 0 ? neg_errno() : 0;
	/* COMPLETE and posted_tail before the masks: pairs with the kernel. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wake = served_mask &
	       __atomic_load_n(&hdr->waiting_mask, __ATOMIC_RELAXED);
	if (!wake && !__atomic_load_n(&hdr->posted_waiting, __ATOMIC_RELAXED))
		return 0;
	/* 0 wakes everyone, posted producers included. */
	if (ioctl(ring->fd, HVM_RING_NOTIFY, (unsigned long)wake) < 0)
		return neg_errno();
	return 0;
}

int hvm_ring_serve(struct hvm_ring_map *ring, int timeout_ms,
		   hvm_posted_cb posted_cb, hvm_sync_cb sync_cb, void *opaque)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = ring->fd, .events = POLLIN };
	int64_t start = now_ns();
	bool served = false, polled = false;
	uint64_t notify = 0;
	int ret, wait_ms;

	for (;;) {
		if (!polled && ring->poll_ns && ring->hdr->version >= 2 &&
		    ring_poll_spin(ring, deadline)) {
			polled = true;
		} else {
			wait_ms = -1;
			if (deadline >= 0) {
				int64_t left = deadline - now_ms();

				wait_ms = left > 0 ? (int)left : 0;
			}
			ret = poll(&pfd, 1, wait_ms);
			if (ret < 0)
				return neg_errno();
			if (ret == 0)
				return -ETIMEDOUT;
			if (pfd.revents & (POLLHUP | POLLERR))
				return -EPIPE;
			if (pfd.revents & POLLNVAL)
				return -EBADF;
		}

		ret = ring_serve_once(ring, posted_cb, sync_cb, opaque,
				      &served, &notify);
		if (ret)
			return ret;
		if (served) {
			ring_poll_tune(ring, polled, now_ns() - start);
			return ring_notify(ring, notify);
		}
		/* Readiness without work: a racing serve took it; wait on. */
	}
}

/* ---- starting the device helper ------------------------------------------ */

static bool read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += n;
	}
	return true;
}

#define HELPER_MAX_ARGS	64

int hvm_helper_spawn(const char *path, char *const argv[], const int *keep,
		     unsigned int nr_keep, int *status)
{
	int exec_pipe[2], ready_pipe[2], exec_errno, ret;
	char *args[HELPER_MAX_ARGS + 3];
	char ready_arg[16];
	unsigned int n = 0, i;
	char byte;
	pid_t pid;

	*status = -1;
	while (argv[n]) {
		if (n == HELPER_MAX_ARGS)
			return -E2BIG;
		args[n] = argv[n];
		n++;
	}
	if (pipe2(exec_pipe, O_CLOEXEC) < 0)
		return neg_errno();
	if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
		ret = neg_errno();
		close(exec_pipe[0]);
		close(exec_pipe[1]);
		return ret;
	}
	snprintf(ready_arg, sizeof(ready_arg), "%d", ready_pipe[1]);
	args[n++] = "--ready-fd";
	args[n++] = ready_arg;
	args[n] = NULL;

	pid = fork();
	if (pid < 0) {
		ret = neg_errno();
		close(exec_pipe[0]);
		close(exec_pipe[1]);
		close(ready_pipe[0]);
		close(ready_pipe[1]);
		return ret;
	}
	if (pid == 0) {
		/* Only these fds cross exec; errors go back by the pipe. */
		exec_errno = 0;
		for (i = 0; i < nr_keep && !exec_errno; i++)
			if (fcntl(keep[i], F_SETFD, 0) < 0)
				exec_errno = errno;
		if (!exec_errno && fcntl(ready_pipe[1], F_SETFD, 0) < 0)
			exec_errno = errno;
		if (!exec_errno) {
			execv(path, args);
			exec_errno = errno;
		}
		if (write(exec_pipe[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(127);
		_exit(127);
	}

	close(exec_pipe[1]);
	close(ready_pipe[1]);
	if (read_all(exec_pipe[0], &exec_errno, sizeof(exec_errno))) {
		close(exec_pipe[0]);
		close(ready_pipe[0]);
		waitpid(pid, NULL, 0);
		return -exec_errno;
	}
	close(exec_pipe[0]);
	if (!read_all(ready_pipe[0], &byte, 1)) {
		close(ready_pipe[0]);
		if (waitpid(pid, status, 0) < 0)
			*status = -1;
		return -ECHILD;
	}
	close(ready_pipe[0]);
	return pid;
}
