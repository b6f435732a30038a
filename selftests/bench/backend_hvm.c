// SPDX-License-Identifier: GPL-2.0
/* hvm-bench's hvm backend: libhvm, the way hvm-run drives a guest. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "test_util.h"
#include "bench.h"
#include "bench_layout.h"

struct bench_vm {
	struct hvm_vm_handle vm;
	struct hvm_vcpu_handle vcpu;
	bool have_vcpu;
	struct hvm_vcpu_handle extra[BENCH_MAX_EXTRA_VCPUS];
	unsigned int nr_extra;
	/* The ring phases: a helper thread serving the ring, as hvm-helper. */
	struct hvm_ring_map ring;
	pthread_t helper;
	bool have_helper;
	int helper_error;
};

static int helper_sync(void *opaque, struct hvm_ring_slot *slot)
{
	bool ours = slot->space == HVM_IO_PIO ? slot->addr == BENCH_PORT_IO :
		    slot->addr == BENCH_MMIO_GPA;

	if (!slot->is_write)
		slot->data = ours ? BENCH_IO_VALUE : ~0ULL;
	return 0;
}

static void helper_posted(void *opaque, const struct hvm_posted_entry *entry)
{
}

static void *helper_main(void *arg)
{
	struct bench_vm *b = arg;
	int ret;

	do
		ret = hvm_ring_serve(&b->ring, -1, helper_posted, helper_sync,
				     b);
	while (ret == 0 || ret == -EINTR);
	/* -EPIPE: the VM is gone, the normal end. */
	if (ret != -EPIPE)
		b->helper_error = ret;
	return NULL;
}

static int pin_helper(struct bench_vm *b, int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	return -pthread_setaffinity_np(b->helper, sizeof(cpus), &cpus);
}

static int hvm_ring_phase(struct bench_vm *b, int cpu)
{
	int fd, ret;

	if (b->have_helper)
		return pin_helper(b, cpu);
	fd = hvm_ring_create(&b->vm);
	if (fd < 0)
		return fd;
	ret = hvm_ring_map(fd, &b->ring);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = hvm_ring_add_posted(&b->ring, HVM_IO_PIO, BENCH_PORT_POSTED, 1);
	if (!ret)
		ret = hvm_ring_add_posted(&b->ring, HVM_IO_MMIO,
					  BENCH_MMIO_POSTED_GPA, 4);
	if (!ret)
		ret = -pthread_create(&b->helper, NULL, helper_main, b);
	if (ret) {
		hvm_ring_unmap(&b->ring);
		return ret;
	}
	b->have_helper = true;
	return pin_helper(b, cpu);
}

/*
 * The caller's memory, not hvm_vm_add_memory()'s: both backends must get
 * identical memory (same alignment, same huge page advice) or first touch
 * compares two allocators instead of two hypervisors.
 */
static int add_slot(struct bench_vm *b, uint32_t slot,
		    const struct bench_mem *mem)
{
	struct hvm_memory_slot region = {
		.slot = slot,
		.guest_phys = mem->gpa,
		.size = mem->size,
		.userspace_addr = (uintptr_t)mem->host,
	};

	return ioctl(b->vm.vm_fd, HVM_SET_MEMORY_SLOT, &region) ? -errno : 0;
}

static void hvm_destroy(struct bench_vm *b)
{
	if (!b)
		return;
	while (b->nr_extra)
		hvm_vcpu_close(&b->extra[--b->nr_extra]);
	if (b->have_vcpu)
		hvm_vcpu_close(&b->vcpu);
	if (b->vm.vm_fd >= 0 || b->vm.sys_fd >= 0)
		hvm_vm_close(&b->vm);
	/* The VM is gone: the helper's serve returns -EPIPE. */
	if (b->have_helper) {
		pthread_join(b->helper, NULL);
		hvm_ring_unmap(&b->ring);
	}
	free(b);
}

static int hvm_create(struct bench_vm **out, const struct bench_mem *low,
		      const struct bench_mem *touch, const char **desc)
{
	struct bench_vm *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->vm.sys_fd = -1;
	b->vm.vm_fd = -1;
	b->ring.fd = -1;
	*desc = "HVM_CREATE_VM";
	ret = hvm_vm_create(&b->vm);
	if (ret)
		goto fail;
	*desc = "HVM_SET_MEMORY_SLOT";
	ret = add_slot(b, 0, low);
	if (!ret)
		ret = add_slot(b, 1, touch);
	if (ret)
		goto fail;
	*desc = "HVM_SET_CPUID";
	ret = hvm_vm_set_default_cpuid(&b->vm);
	if (ret)
		goto fail;
	*desc = "HVM_CREATE_VCPU";
	ret = hvm_vcpu_create(&b->vm, 0, &b->vcpu);
	if (ret)
		goto fail;
	b->have_vcpu = true;
	*desc = "vCPU set-up";
	ret = hvm_vcpu_setup_prot32(&b->vcpu, GUEST_CODE_GPA);
	if (ret)
		goto fail;
	*out = b;
	return 0;
fail:
	hvm_destroy(b);
	return ret;
}

static int hvm_run_once(struct bench_vm *b, struct bench_exit *e)
{
	struct hvm_run *run = b->vcpu.run;
	int ret = hvm_vcpu_run(&b->vcpu);

	if (ret)
		return ret;
	switch (run->exit_reason) {
	case HVM_EXIT_IO:
		e->kind = BENCH_EXIT_PIO;
		e->port = run->io.addr;
		e->is_write = run->io.is_write;
		/* A read completes with this value at the next HVM_RUN. */
		if (!e->is_write)
			run->io.data = BENCH_IO_VALUE;
		break;
	case HVM_EXIT_MMIO:
		e->kind = BENCH_EXIT_MMIO;
		e->addr = run->io.addr;
		e->is_write = run->io.is_write;
		if (!e->is_write)
			run->io.data = BENCH_IO_VALUE;
		break;
	case HVM_EXIT_HLT:
		e->kind = BENCH_EXIT_HLT;
		break;
	default:
		e->kind = BENCH_EXIT_OTHER;
		exit_describe(run, e->desc, sizeof(e->desc));
		break;
	}
	return 0;
}

static int hvm_add_vcpu(struct bench_vm *b, uint32_t id)
{
	int ret;

	if (b->nr_extra == BENCH_MAX_EXTRA_VCPUS)
		return -ENOSPC;
	ret = hvm_vcpu_create(&b->vm, id, &b->extra[b->nr_extra]);
	if (!ret)
		b->nr_extra++;
	return ret;
}

const struct bench_backend bench_hvm = {
	.name = "hvm",
	.create = hvm_create,
	.run = hvm_run_once,
	.ring = hvm_ring_phase,
	.add_vcpu = hvm_add_vcpu,
	.destroy = hvm_destroy,
};
