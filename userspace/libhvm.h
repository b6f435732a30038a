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
#include "../uapi/linux/hvm.h"

#define HVM_DEVICE_PATH "/dev/hvm"

struct hvm_vm_handle {
	int sys_fd;		/* /dev/hvm */
	int vm_fd;
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
};

/* /dev/hvm; -ENOENT when the module is not loaded. */
int hvm_open(void);
int hvm_get_caps(int sys_fd, struct hvm_caps *caps);

int hvm_vm_create(struct hvm_vm_handle *vm);
void hvm_vm_close(struct hvm_vm_handle *vm);
/* Anonymous memory of size bytes mapped at gpa; *host gets its address. */
int hvm_vm_add_memory(struct hvm_vm_handle *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, uint32_t flags, void **host);
/* Host CPUID, with virtualization and monitor features hidden. */
int hvm_vm_set_default_cpuid(struct hvm_vm_handle *vm);

int hvm_vcpu_create(struct hvm_vm_handle *vm, uint32_t id,
		    struct hvm_vcpu_handle *vcpu);
void hvm_vcpu_close(struct hvm_vcpu_handle *vcpu);
int hvm_vcpu_run(struct hvm_vcpu_handle *vcpu);

/*
 * CPU modes.  real: CS:IP = 0:rip.  prot32: flat 4 GiB segments, no paging.
 * long64: 64-bit mode with identity-mapped paging of the first 4 GiB built
 * at page_tables_gpa (needs 6 pages of guest RAM there; the GDT goes in the
 * first of them).  host_mem/mem_gpa describe the guest RAM slot that
 * contains page_tables_gpa.
 */
int hvm_vcpu_setup_real(struct hvm_vcpu_handle *vcpu, uint64_t rip);
int hvm_vcpu_setup_prot32(struct hvm_vcpu_handle *vcpu, uint64_t rip);
int hvm_vcpu_setup_long64(struct hvm_vcpu_handle *vcpu, uint64_t rip,
			  void *host_mem, uint64_t mem_gpa,
			  uint64_t page_tables_gpa);

/* Ring: create on the VM (returns the ring fd) and map it (any process). */
int hvm_ring_create(struct hvm_vm_handle *vm);
int hvm_ring_map(int ring_fd, struct hvm_ring_map *ring);
void hvm_ring_unmap(struct hvm_ring_map *ring);

/*
 * Helper side of the protocol.  hvm_ring_serve() waits (poll) for work,
 * drains posted writes through posted_cb, then serves each PENDING slot
 * through sync_cb, completes it and notifies the kernel.  Returns 0 after
 * serving at least one event, -ETIMEDOUT after timeout_ms (-1 waits
 * forever), -EPIPE when the VM is gone.
 */
typedef void (*hvm_posted_cb)(void *opaque,
			      const struct hvm_posted_entry *entry);
typedef int (*hvm_sync_cb)(void *opaque, struct hvm_ring_slot *slot);
int hvm_ring_serve(struct hvm_ring_map *ring, int timeout_ms,
		   hvm_posted_cb posted_cb, hvm_sync_cb sync_cb, void *opaque);
int hvm_ring_add_posted(struct hvm_ring_map *ring, uint32_t space,
			uint64_t base, uint64_t size);
int hvm_ring_stop_vm(struct hvm_ring_map *ring, uint64_t code);

#endif /* LIBHVM_H */
