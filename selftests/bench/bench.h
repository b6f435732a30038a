/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm-bench: the same guest on hvm (through libhvm) and on KVM (raw
 * ioctls), one backend at a time.  A backend runs one VM with one vCPU
 * and two memory slots the caller owns; it answers every port and MMIO
 * read with BENCH_IO_VALUE, so both hypervisors serve the guest the same
 * device.
 */
#ifndef HVM_BENCH_H
#define HVM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bench_exit_kind {
	BENCH_EXIT_PIO,		/* port access, served by the VMM */
	BENCH_EXIT_MMIO,	/* MMIO access at addr, served by the VMM */
	BENCH_EXIT_HLT,
	BENCH_EXIT_OTHER,	/* anything else: the run is broken */
};

struct bench_exit {
	enum bench_exit_kind kind;
	uint16_t port;
	uint64_t addr;		/* BENCH_EXIT_MMIO */
	bool is_write;
	char desc[160];		/* for BENCH_EXIT_OTHER and errors */
};

struct bench_mem {
	void *host;
	uint64_t gpa;
	uint64_t size;
};

struct bench_vm;

struct bench_backend {
	const char *name;
	/*
	 * A VM with slot 0 = low, slot 1 = touch and one vCPU about to run
	 * GUEST_CODE_GPA in 32-bit protected mode without paging.  0 or
	 * -errno; *desc says which step failed.
	 */
	int (*create)(struct bench_vm **vm, const struct bench_mem *low,
		      const struct bench_mem *touch, const char **desc);
	/* One entry into the guest until it exits to us: 0 or -errno. */
	int (*run)(struct bench_vm *vm, struct bench_exit *exit);
	/*
	 * Serve the VM's port accesses from a helper thread on CPU cpu from
	 * now on, BENCH_PORT_POSTED writes posted (hvm's ring), and move
	 * that thread to another CPU when called again.  KVM has no helper
	 * thread: its port reads exit to us as before, and its writes to
	 * BENCH_PORT_POSTED and BENCH_MMIO_POSTED_GPA are coalesced
	 * (KVM_CAP_COALESCED_PIO, _MMIO), consumed at the next exit.
	 * 0 or -errno.
	 */
	int (*ring)(struct bench_vm *vm, int cpu);
	/*
	 * One more vCPU (id, from 1 up to BENCH_MAX_EXTRA_VCPUS), created and
	 * its run page mapped but never run: what a vCPU costs in kernel
	 * memory.  0 or -errno.
	 */
	int (*add_vcpu)(struct bench_vm *vm, uint32_t id);
	void (*destroy)(struct bench_vm *vm);
};

#define BENCH_MAX_EXTRA_VCPUS	16

extern const struct bench_backend bench_hvm;
extern const struct bench_backend bench_kvm;

#endif /* HVM_BENCH_H */
