// SPDX-License-Identifier: GPL-2.0
/* hvm-bench's hvm backend: libhvm, the way hvm-run drives a guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "test_util.h"
#include "bench.h"
#include "bench_layout.h"

struct bench_vm {
	struct hvm_vm_handle vm;
	struct hvm_vcpu_handle vcpu;
	bool have_vcpu;
};

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
	if (b->have_vcpu)
		hvm_vcpu_close(&b->vcpu);
	if (b->vm.vm_fd >= 0 || b->vm.sys_fd >= 0)
		hvm_vm_close(&b->vm);
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

const struct bench_backend bench_hvm = {
	.name = "hvm",
	.create = hvm_create,
	.run = hvm_run_once,
	.destroy = hvm_destroy,
};
