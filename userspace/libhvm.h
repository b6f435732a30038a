/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libhvm: a small C library over uapi/linux/hvm.h, used by hvm-run, the
 * device helper and the selftests.  Functions return 0 (or an fd) on
 * success and -errno on failure; they never exit or print.
 */
#ifndef LIBHVM_H
#define LIBHVM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/hvm.h>

#define HVM_DEVICE_PATH "/dev/hvm"

struct hvm_vm_handle {
	int sys_fd;		/* /dev/hvm */
	int vm_fd;
	/* Guest RAM from hvm_vm_add_memory(), unmapped by hvm_vm_close(). */
	struct {
		void *host;
		size_t size;
		int fd;		/* memfd of hvm_vm_add_memfd(), else -1 */
	} mem[HVM_MAX_SLOTS];
};

struct hvm_vcpu_handle {
	int fd;
	uint32_t id;
	struct hvm_run *run;	/* mmap'ed exit record */
};

struct hvm_ring_map {
	int fd;
	struct hvm_ring_header *hdr;
	struct hvm_ring_slot *slots;
	struct hvm_posted_entry *posted;
	size_t size;
	/*
	 * Adaptive polling in hvm_ring_serve(): before sleeping in poll() the
	 * helper spins on the shared page for poll_ns (yielding the CPU now
	 * and then, for a vCPU that shares it), at most poll_max_ns.
	 * hvm_ring_map() sets poll_max_ns to HVM_RING_POLL_MAX_NS, or to the
	 * environment's HVM_RING_POLL_MAX_NS (decimal ns); 0 switches
	 * polling off.  poll_ns adapts like the kernel's (architecture.rst).
	 */
	uint64_t poll_ns;
	uint64_t poll_max_ns;
};

#define HVM_RING_POLL_MAX_NS	50000

/* /dev/hvm; -ENOENT when the module is not loaded. */
int hvm_open(void);
int hvm_get_caps(int sys_fd, struct hvm_caps *caps);

/*
 * Opens /dev/hvm and creates a VM; -EPROTO when the module speaks another
 * HVM_API_VERSION.  hvm_vm_close() closes both fds and unmaps the guest RAM
 * that hvm_vm_add_memory() allocated.
 */
int hvm_vm_create(struct hvm_vm_handle *vm);
void hvm_vm_close(struct hvm_vm_handle *vm);
/*
 * Anonymous memory of size bytes mapped at gpa; *host gets its address.
 * The memory is not inherited across fork() (MADV_DONTFORK), so that a
 * forked helper never turns the guest's pages copy-on-write.
 */
int hvm_vm_add_memory(struct hvm_vm_handle *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, uint32_t flags, void **host);

/* 2 MiB: the alignment of shared guest RAM and the hugetlb page size. */
#define HVM_HUGE_PAGE_SIZE	(2ULL << 20)
/* hvm_memfd_alloc(): back the memory with 2 MiB hugetlb pages. */
#define HVM_MEMFD_HUGETLB	(1U << 0)

/*
 * Guest RAM that another process (the device helper) can map: a memfd of
 * size bytes, sealed against shrinking and growing (a helper that maps it
 * can then never fault on a truncated page), mapped MAP_SHARED at a 2 MiB
 * aligned address with MADV_HUGEPAGE and MADV_DONTFORK.  With
 * HVM_MEMFD_HUGETLB size must be a multiple of 2 MiB and the pages come
 * from the host's hugetlb pool: -ENOMEM when too few are free (see
 * hvm_hugetlb_free_pages()), -ENOSYS/-EINVAL/-ENODEV when the kernel has
 * no 2 MiB hugetlb support.  *fd is close-on-exec.  Undo with
 * hvm_memfd_free().
 */
int hvm_memfd_alloc(uint64_t size, unsigned int flags, int *fd, void **host);
void hvm_memfd_free(int fd, void *host, uint64_t size);
/* Free, unreserved 2 MiB hugetlb pages on the host, or -errno. */
long hvm_hugetlb_free_pages(void);
/*
 * hvm_memfd_alloc() registered as a slot: the same contract as
 * hvm_vm_add_memory(), and *mem_fd gets the memfd, which stays owned by
 * vm (hvm_vm_close() closes it; dup() it to keep it longer).
 */
int hvm_vm_add_memfd(struct hvm_vm_handle *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size, uint32_t flags, unsigned int memfd_flags,
		     void **host, int *mem_fd);

/*
 * What the loaded backend can give a guest (HVM_GET_SUPPORTED_CPUID), in a
 * table the caller frees.
 */
int hvm_get_supported_cpuid(int sys_fd, struct hvm_cpuid **cpuid);
/* The guest's CPUID = the supported table, unchanged. */
int hvm_vm_set_default_cpuid(struct hvm_vm_handle *vm);

int hvm_vcpu_create(struct hvm_vm_handle *vm, uint32_t id,
		    struct hvm_vcpu_handle *vcpu);
void hvm_vcpu_close(struct hvm_vcpu_handle *vcpu);
int hvm_vcpu_run(struct hvm_vcpu_handle *vcpu);
/* HVM_CHECK_EXTENSION on /dev/hvm: the value (>= 0) or -errno. */
long hvm_vm_check_extension(struct hvm_vm_handle *vm, unsigned int ext);
/* HVM_MP_STATE_*: -ENOTTY without HVM_EXT_IRQCHIP. */
int hvm_vcpu_get_mp_state(struct hvm_vcpu_handle *vcpu, uint32_t *state);
int hvm_vcpu_set_mp_state(struct hvm_vcpu_handle *vcpu, uint32_t state);

/*
 * CPU modes.  real: CS:IP = 0:rip.  prot32: flat 4 GiB segments, no paging.
 * long64: 64-bit mode with identity-mapped paging of the first 4 GiB built
 * at page_tables_gpa (needs 6 pages of guest RAM there; the GDT goes in the
 * first of them).  host_mem/mem_gpa describe the guest RAM slot that
 * contains page_tables_gpa.
 *
 * Each loads the whole register state: every GPR zero (set rsp and the
 * rest afterwards with HVM_SET_REGS), rflags 0x2, interrupts off.  prot32
 * and long64 load code selector 0x08 and data selector 0x10; only long64
 * has a GDT in memory with those descriptors (prot32 guests that reload a
 * segment register must lgdt their own first).
 */
int hvm_vcpu_setup_real(struct hvm_vcpu_handle *vcpu, uint64_t rip);
int hvm_vcpu_setup_prot32(struct hvm_vcpu_handle *vcpu, uint64_t rip);
int hvm_vcpu_setup_long64(struct hvm_vcpu_handle *vcpu, uint64_t rip,
			  void *host_mem, uint64_t mem_gpa,
			  uint64_t page_tables_gpa);
/*
 * The same states as data, loaded by nobody: for a VMM that loads them
 * itself or into another hypervisor (hvm-run --backend kvm).  long64
 * still writes its page tables and GDT into host_mem.
 */
int hvm_entry_state_real(uint64_t rip, struct hvm_sregs *sregs,
			 struct hvm_regs *regs);
int hvm_entry_state_prot32(uint64_t rip, struct hvm_sregs *sregs,
			   struct hvm_regs *regs);
int hvm_entry_state_long64(uint64_t rip, void *host_mem, uint64_t mem_gpa,
			   uint64_t page_tables_gpa, struct hvm_sregs *sregs,
			   struct hvm_regs *regs);

/*
 * Ring: create on the VM (returns the ring fd) and map it (any process).
 * hvm_ring_map() checks the header (-EPROTO if it is not a ring it knows)
 * and leaves the fd open on failure; on success the map owns the fd and
 * hvm_ring_unmap() unmaps the ring and closes it.
 */
int hvm_ring_create(struct hvm_vm_handle *vm);
int hvm_ring_map(int ring_fd, struct hvm_ring_map *ring);
void hvm_ring_unmap(struct hvm_ring_map *ring);

/*
 * Helper side of the protocol.  hvm_ring_serve() waits (a short spin, then
 * poll) for work, drains posted writes through posted_cb, then serves each
 * PENDING slot (those in pending_mask on a version-2 ring) through
 * sync_cb, completes it and notifies the kernel when a vCPU sleeps for it.  Returns 0 after
 * serving at least one event, -ETIMEDOUT after timeout_ms (-1 waits
 * forever), -EPIPE when the VM is gone, -EINTR when a signal interrupted
 * the wait.
 *
 * sync_cb gets the slot (state PROCESSING): for a read it stores the value
 * in slot->data; it returns 0 or -errno, which becomes slot->result (the
 * guest then reads all-ones).  Requests are served in slot order, each only
 * after every posted entry queued before it (its posted_seq).
 */
typedef void (*hvm_posted_cb)(void *opaque,
			      const struct hvm_posted_entry *entry);
typedef int (*hvm_sync_cb)(void *opaque, struct hvm_ring_slot *slot);
int hvm_ring_serve(struct hvm_ring_map *ring, int timeout_ms,
		   hvm_posted_cb posted_cb, hvm_sync_cb sync_cb, void *opaque);
int hvm_ring_add_posted(struct hvm_ring_map *ring, uint32_t space,
			uint64_t base, uint64_t size);
int hvm_ring_stop_vm(struct hvm_ring_map *ring, uint64_t code);
/*
 * A device interrupt as an MSI message (uapi struct hvm_msi): how many
 * local APICs accepted it, or -errno.
 */
int hvm_ring_signal_msi(struct hvm_ring_map *ring, uint64_t address,
			uint32_t data);

/*
 * Starts the device helper: fork, then exec path with argv (argv[0] first,
 * NULL-terminated) plus "--ready-fd N", with the fds in keep[] (and the
 * ready pipe) inherited and every other fd close-on-exec as before.
 * Returns the pid once the helper wrote its ready byte; -errno of exec
 * when it could not be started; -ECHILD when it exited (or closed the
 * pipe) before it was ready, with its wait status in *status (-1 if it
 * could not be waited for).
 */
int hvm_helper_spawn(const char *path, char *const argv[], const int *keep,
		     unsigned int nr_keep, int *status);

/*
 * ---- guest RAM as a device helper sees it (guest_ram.c) ----
 *
 * The helper maps pieces of the VMM's memfds (hvm_vm_add_memfd()) at their
 * guest-physical addresses and copies to and from them.  Every access is
 * bounds-checked: a range not wholly inside mapped RAM is -EFAULT and is
 * not touched at all, also when gpa + len wraps around.  Guest RAM may
 * change under a copy (the guest runs): read what you need once into your
 * own buffer and validate it there.
 */
#define HVM_GUEST_RAM_MAX_REGIONS	HVM_MAX_SLOTS

struct hvm_guest_ram_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct hvm_guest_ram {
	unsigned int nr_regions;
	struct hvm_guest_ram_region regions[HVM_GUEST_RAM_MAX_REGIONS];
};

void hvm_guest_ram_init(struct hvm_guest_ram *ram);
/*
 * Maps [offset, offset + size) of fd MAP_SHARED at [gpa, gpa + size).
 * -EINVAL: not page aligned, empty, above HVM_MAX_GPA, or overlapping a
 * region already mapped; -ENOSPC: too many regions; -EPERM: fd is not
 * sealed against shrinking (F_SEAL_SHRINK), so the VMM could truncate it
 * under us; -ERANGE: the file is smaller than offset + size; else mmap's.
 */
int hvm_guest_ram_map(struct hvm_guest_ram *ram, int fd, uint64_t gpa,
		      uint64_t size, uint64_t offset);
void hvm_guest_ram_unmap(struct hvm_guest_ram *ram);
/* 0 if [gpa, gpa + len) is all mapped RAM (len 0: always), else -EFAULT. */
int hvm_guest_ram_check(const struct hvm_guest_ram *ram, uint64_t gpa,
			uint64_t len);
int hvm_guest_ram_read(const struct hvm_guest_ram *ram, uint64_t gpa,
		       void *buf, size_t len);
int hvm_guest_ram_write(const struct hvm_guest_ram *ram, uint64_t gpa,
			const void *buf, size_t len);
/*
 * "GPA,SIZE,OFFSET" (each a C number: decimal, 0x hex or 0 octal), as
 * hvm-helper's --mem-map takes it.  0 or -EINVAL.
 */
int hvm_parse_mem_map(const char *arg, uint64_t *gpa, uint64_t *size,
		      uint64_t *offset);

#endif /* LIBHVM_H */
