// SPDX-License-Identifier: GPL-2.0
/*
 * hvm-bench's KVM backend: /dev/kvm through the raw ioctls of
 * <linux/kvm.h>, set up like the hvm backend: the same two slots, the
 * CPUID table KVM calls supported, 32-bit flat segments without paging.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "bench.h"
#include "bench_layout.h"

/* KVM needs three pages of guest-physical space for its real-mode TSS. */
#define KVM_TSS_GPA	0xfffbd000UL

struct bench_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	/* add_vcpu()'s: fd and mapped run page each. */
	int extra_fd[BENCH_MAX_EXTRA_VCPUS];
	void *extra_run[BENCH_MAX_EXTRA_VCPUS];
	unsigned int nr_extra;
	/* BENCH_PORT_POSTED coalesced (the ring phases): KVM's posted writes. */
	struct kvm_coalesced_mmio_ring *coalesced;
	unsigned int coalesced_max;
	uint64_t coalesced_writes;
};

/*
 * The ring phases' counterpart of hvm's posted writes: KVM queues OUTs to
 * BENCH_PORT_POSTED and stores to BENCH_MMIO_POSTED_GPA in its coalesced
 * ring (KVM_CAP_COALESCED_PIO, KVM_CAP_COALESCED_MMIO) instead of exiting,
 * and the VMM consumes them at its next exit, before it answers anything,
 * as a device model must to keep the order of accesses.
 * There is no helper thread: cpu is ignored.
 */
static int kvm_coalesce_posted(struct bench_vm *b, int cpu)
{
	struct kvm_coalesced_mmio_zone pio = {
		.addr = BENCH_PORT_POSTED,
		.size = 1,
		.pio = 1,
	};
	struct kvm_coalesced_mmio_zone mmio = {
		.addr = BENCH_MMIO_POSTED_GPA,
		.size = 4,
	};
	long page = sysconf(_SC_PAGESIZE);
	int offset;

	(void)cpu;
	if (b->coalesced)
		return 0;
	if (ioctl(b->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
		return -EOPNOTSUPP;
	offset = ioctl(b->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (offset <= 0 || (size_t)(offset + 1) * page > b->run_size)
		return -EOPNOTSUPP;
	if (ioctl(b->vm_fd, KVM_REGISTER_COALESCED_MMIO, &pio) ||
	    ioctl(b->vm_fd, KVM_REGISTER_COALESCED_MMIO, &mmio))
		return -errno;
	b->coalesced = (void *)((uint8_t *)b->run + offset * page);
	b->coalesced_max = (page - sizeof(*b->coalesced)) /
			   sizeof(b->coalesced->coalesced_mmio[0]);
	return 0;
}

/* Consume what the guest wrote to the coalesced port: -EPROTO if odd. */
static int kvm_drain_coalesced(struct bench_vm *b)
{
	struct kvm_coalesced_mmio_ring *ring = b->coalesced;
	uint32_t first;

	if (!ring)
		return 0;
	first = ring->first;
	while (first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[first];

		bool ours = e->pio ? e->phys_addr == BENCH_PORT_POSTED &&
				     e->len == 1 :
				     e->phys_addr == BENCH_MMIO_POSTED_GPA &&
				     e->len == 4;

		if (first >= b->coalesced_max || !ours)
			return -EPROTO;
		b->coalesced_writes++;
		first = (first + 1) % b->coalesced_max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
	}
	return 0;
}

static int kvm_slot(struct bench_vm *b, uint32_t slot,
		    const struct bench_mem *mem)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = mem->gpa,
		.memory_size = mem->size,
		.userspace_addr = (uintptr_t)mem->host,
	};

	return ioctl(b->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno : 0;
}

/* What KVM calls supported, as hvm_vm_set_default_cpuid() does for hvm. */
static int kvm_default_cpuid(struct bench_vm *b)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64, ret;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
			       nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return -ENOMEM;
		cpuid->nent = nent;
		if (!ioctl(b->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		ret = -errno;
		free(cpuid);
		if (ret != -E2BIG || nent >= 4096)
			return ret;
		nent *= 2;
	}
	ret = ioctl(b->vcpu_fd, KVM_SET_CPUID2, cpuid) ? -errno : 0;
	free(cpuid);
	return ret;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector,
			 uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/* The state hvm_vcpu_setup_prot32() gives an hvm vCPU. */
static int kvm_setup_prot32(struct bench_vm *b)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(b->vcpu_fd, KVM_GET_SREGS, &sregs))
		return -errno;
	flat_segment(&sregs.cs, 0x08, 0xb);
	flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;	/* PE, ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(b->vcpu_fd, KVM_SET_SREGS, &sregs))
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE_GPA;
	regs.rflags = 0x2;
	return ioctl(b->vcpu_fd, KVM_SET_REGS, &regs) ? -errno : 0;
}

static void kvm_destroy(struct bench_vm *b)
{
	if (!b)
		return;
	while (b->nr_extra) {
		b->nr_extra--;
		munmap(b->extra_run[b->nr_extra], b->run_size);
		close(b->extra_fd[b->nr_extra]);
	}
	if (b->run)
		munmap(b->run, b->run_size);
	if (b->vcpu_fd >= 0)
		close(b->vcpu_fd);
	if (b->vm_fd >= 0)
		close(b->vm_fd);
	if (b->kvm_fd >= 0)
		close(b->kvm_fd);
	free(b);
}

static int kvm_create(struct bench_vm **out, const struct bench_mem *low,
		      const struct bench_mem *touch, const char **desc)
{
	struct bench_vm *b = calloc(1, sizeof(*b));
	void *run;
	int ret;

	if (!b)
		return -ENOMEM;
	b->vm_fd = -1;
	b->vcpu_fd = -1;
	*desc = "open /dev/kvm";
	b->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm_fd < 0)
		goto fail_errno;
	*desc = "KVM_GET_API_VERSION";
	if (ioctl(b->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		ret = -EPROTO;
		goto fail;
	}
	*desc = "KVM_CREATE_VM";
	b->vm_fd = ioctl(b->kvm_fd, KVM_CREATE_VM, 0);
	if (b->vm_fd < 0)
		goto fail_errno;
	/*
	 * VMX without unrestricted guest needs it for real mode; harmless
	 * elsewhere, and it keeps both vendors' set-up the same.
	 */
	*desc = "KVM_SET_TSS_ADDR";
	if (ioctl(b->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA))
		goto fail_errno;
	*desc = "KVM_SET_USER_MEMORY_REGION";
	ret = kvm_slot(b, 0, low);
	if (!ret)
		ret = kvm_slot(b, 1, touch);
	if (ret)
		goto fail;
	*desc = "KVM_CREATE_VCPU";
	b->vcpu_fd = ioctl(b->vm_fd, KVM_CREATE_VCPU, 0);
	if (b->vcpu_fd < 0)
		goto fail_errno;
	*desc = "KVM_GET_VCPU_MMAP_SIZE";
	ret = ioctl(b->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < 0)
		goto fail_errno;
	if (ret < (int)sizeof(struct kvm_run)) {
		ret = -EPROTO;
		goto fail;
	}
	b->run_size = ret;
	*desc = "mmap kvm_run";
	run = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   b->vcpu_fd, 0);
	if (run == MAP_FAILED)
		goto fail_errno;
	b->run = run;
	*desc = "KVM_SET_CPUID2";
	ret = kvm_default_cpuid(b);
	if (ret)
		goto fail;
	*desc = "vCPU set-up";
	ret = kvm_setup_prot32(b);
	if (ret)
		goto fail;
	*out = b;
	return 0;
fail_errno:
	ret = errno ? -errno : -EIO;
fail:
	kvm_destroy(b);
	return ret;
}

static int kvm_run_once(struct bench_vm *b, struct bench_exit *e)
{
	struct kvm_run *run = b->run;
	uint8_t *data;

	if (ioctl(b->vcpu_fd, KVM_RUN, 0))
		return -errno;
	if (kvm_drain_coalesced(b)) {
		e->kind = BENCH_EXIT_OTHER;
		snprintf(e->desc, sizeof(e->desc),
			 "a coalesced write that the guest did not make");
		return 0;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e->kind = BENCH_EXIT_PIO;
		e->port = run->io.port;
		e->is_write = run->io.direction == KVM_EXIT_IO_OUT;
		/* KVM completes the IN from here at the next KVM_RUN. */
		if (!e->is_write) {
			data = (uint8_t *)run + run->io.data_offset;
			memset(data, 0, (size_t)run->io.size * run->io.count);
			data[0] = BENCH_IO_VALUE;
		}
		break;
	case KVM_EXIT_MMIO:
		e->kind = BENCH_EXIT_MMIO;
		e->addr = run->mmio.phys_addr;
		e->is_write = run->mmio.is_write;
		if (!e->is_write) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			run->mmio.data[0] = BENCH_IO_VALUE;
		}
		break;
	case KVM_EXIT_HLT:
		e->kind = BENCH_EXIT_HLT;
		break;
	default:
		e->kind = BENCH_EXIT_OTHER;
		snprintf(e->desc, sizeof(e->desc), "KVM exit %u",
			 run->exit_reason);
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			snprintf(e->desc, sizeof(e->desc),
				 "KVM_EXIT_FAIL_ENTRY hw %#llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	}
	return 0;
}

static int kvm_add_vcpu(struct bench_vm *b, uint32_t id)
{
	void *run;
	int fd;

	if (b->nr_extra == BENCH_MAX_EXTRA_VCPUS)
		return -ENOSPC;
	fd = ioctl(b->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (fd < 0)
		return -errno;
	run = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (run == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	b->extra_fd[b->nr_extra] = fd;
	b->extra_run[b->nr_extra++] = run;
	return 0;
}

const struct bench_backend bench_kvm = {
	.name = "kvm",
	.create = kvm_create,
	.run = kvm_run_once,
	.ring = kvm_coalesce_posted,
	.add_vcpu = kvm_add_vcpu,
	.destroy = kvm_destroy,
};
