/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm statistics: per-vCPU counters, their sum per VM, and the read-only
 * stats fd that exports them (uapi: struct hvm_stats_header).
 */
#ifndef HVM_STATS_H
#define HVM_STATS_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/compiler.h>

struct hvm_vm;
struct hvm_vcpu;

/* Exit kinds counted one by one: every enum hvm_exit_kind. */
#define HVM_STAT_EXIT_KINDS	15

/*
 * Written only by the thread that runs the vCPU (under its mutex), read
 * locklessly by stats fds: single-writer u64s, updated with WRITE_ONCE()
 * so that a reader never sees a torn value.
 */
struct hvm_vcpu_stat {
	u64 exits;
	u64 exit_kind[HVM_STAT_EXIT_KINDS];
	u64 npf_mapped;		/* nested page faults served from a slot */
	u64 npf_mmio;		/* nested page faults that were MMIO */
	u64 ring_sync;		/* synchronous ring requests */
	u64 ring_posted;	/* posted writes queued */
	u64 user_exits;		/* HVM_RUN returns to userspace */
	u64 halts;
	u64 injections;		/* exceptions injected into the guest */
	u64 guest_ns;
	u64 irq_injections;	/* interrupts and NMIs injected */
	u64 halt_wakeups;	/* HLT with IF=1 ended by an interrupt */
};

/*
 * A vCPU's counters outlive it while a stats fd holds them: the fd keeps
 * reading the final values after the vCPU fd is closed.
 */
struct hvm_stat_block {
	struct kref ref;
	u32 vcpu_id;
	pid_t pid;
	struct hvm_vcpu_stat s;
};

/* field names a member of struct hvm_vcpu_stat (an lvalue path). */
#define hvm_stat_add(vcpu, field, n) do {				\
	u64 *__counter = &(vcpu)->stat->s.field;			\
	WRITE_ONCE(*__counter, *__counter + (n));			\
} while (0)
#define hvm_stat_inc(vcpu, field) hvm_stat_add(vcpu, field, 1)

struct hvm_stat_block *hvm_stat_block_alloc(u32 vcpu_id);
void hvm_stat_block_put(struct hvm_stat_block *block);
/* At vCPU release, vm->lock held: keep its counts in the VM's sums. */
void hvm_stat_retire(struct hvm_vm *vm, struct hvm_vcpu *vcpu);
/* HVM_GET_STATS_FD / HVM_GET_VCPU_STATS_FD: a new fd or -errno. */
int hvm_vm_stats_fd(struct hvm_vm *vm);
int hvm_vcpu_stats_fd(struct hvm_vcpu *vcpu);
/* Backends: an exception is about to be injected (counts and traces it). */
void hvm_note_injection(struct hvm_vcpu *vcpu, u8 vector, bool has_error,
			u32 error_code);

#endif /* HVM_STATS_H */
