// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: statistics.  Each vCPU counts what it did in its own block; a VM's
 * numbers are the sum over its vCPUs (plus those already closed) and the
 * memory counters of mmu.c.  A stats fd is a read-only anon inode whose
 * read() gives a header, descriptors and the values
 * (Documentation/api.rst, "Statistics").
 *
 * This file also instantiates the tracepoints of trace.h.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hvm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Where a value comes from. */
enum hvm_stat_src {
	HVM_SRC_VCPU,		/* struct hvm_vcpu_stat, summed over vCPUs */
	HVM_SRC_MMU,		/* an atomic64_t of vm->mmu.stats (VM only) */
	HVM_SRC_VCPUS,		/* the number of open vCPUs (VM only) */
};

struct hvm_stat_field {
	const char *name;
	u8 src;
	u8 flags;		/* HVM_STATS_TYPE_* | HVM_STATS_UNIT_* */
	u32 off;		/* offsetof in its source */
};

#define VCPU_STAT(n, f, fl) \
	{ n, HVM_SRC_VCPU, fl, offsetof(struct hvm_vcpu_stat, f) }
#define EXIT_STAT(n, k) VCPU_STAT("exits_" n, exit_kind[k], 0)
#define MMU_STAT(n, f, fl) \
	{ n, HVM_SRC_MMU, fl, offsetof(struct hvm_mmu, stats.f) }

/*
 * Order is ABI only in that counters are appended: readers look them up
 * by name.  The vCPU fd shows the first HVM_NR_VCPU_FIELDS, the VM fd all.
 */
static const struct hvm_stat_field hvm_stat_fields[] = {
	VCPU_STAT("exits", exits, 0),
	EXIT_STAT("other", HVM_X_NONE),
	EXIT_STAT("cpuid", HVM_X_CPUID),
	EXIT_STAT("rdmsr", HVM_X_RDMSR),
	EXIT_STAT("wrmsr", HVM_X_WRMSR),
	EXIT_STAT("hlt", HVM_X_HLT),
	EXIT_STAT("io", HVM_X_IO),
	EXIT_STAT("npf", HVM_X_NPF),
	EXIT_STAT("xsetbv", HVM_X_XSETBV),
	EXIT_STAT("shutdown", HVM_X_SHUTDOWN),
	EXIT_STAT("fail_entry", HVM_X_FAIL_ENTRY),
	EXIT_STAT("unhandled", HVM_X_UNHANDLED),
	VCPU_STAT("npf_mapped", npf_mapped, 0),
	VCPU_STAT("npf_mmio", npf_mmio, 0),
	VCPU_STAT("ring_sync", ring_sync, 0),
	VCPU_STAT("ring_posted", ring_posted, 0),
	VCPU_STAT("user_exits", user_exits, 0),
	VCPU_STAT("halts", halts, 0),
	VCPU_STAT("injections", injections, 0),
	VCPU_STAT("guest_ns", guest_ns, HVM_STATS_UNIT_NANOSECONDS),
	VCPU_STAT("irq_injections", irq_injections, 0),
	VCPU_STAT("halt_wakeups", halt_wakeups, 0),
	EXIT_STAT("irq_window", HVM_X_IRQ_WINDOW),
	EXIT_STAT("nmi_window", HVM_X_NMI_WINDOW),
	EXIT_STAT("pause", HVM_X_PAUSE),
	EXIT_STAT("hypercall", HVM_X_HYPERCALL),
	/* VM only from here. */
	{ "vcpus", HVM_SRC_VCPUS, HVM_STATS_TYPE_INSTANT, 0 },
	MMU_STAT("mem_faults", faults, 0),
	MMU_STAT("mem_prefaults", prefaults, 0),
	MMU_STAT("mem_invalidations", invalidations, 0),
	MMU_STAT("mem_dirty_faults", dirty_faults, 0),
	MMU_STAT("mem_table_pages", table_pages,
		 HVM_STATS_TYPE_INSTANT | HVM_STATS_UNIT_PAGES),
};

#define HVM_NR_VCPU_FIELDS	26
#define HVM_NR_FIELDS		ARRAY_SIZE(hvm_stat_fields)

/* The file layout; everything before the data is fixed. */
#define HVM_STATS_ID_OFF	sizeof(struct hvm_stats_header)
#define HVM_STATS_DESC_OFF	(HVM_STATS_ID_OFF + HVM_STATS_ID_SIZE)

struct hvm_stats_file {
	struct hvm_vm *vm;		/* VM fd: a kref; else NULL */
	struct hvm_stat_block *block;	/* vCPU fd: a reference */
	unsigned int nr;		/* descriptors shown */
	char id[HVM_STATS_ID_SIZE];
};

struct hvm_stat_block *hvm_stat_block_alloc(u32 vcpu_id)
{
	struct hvm_stat_block *block;

	BUILD_BUG_ON(HVM_X_HYPERCALL + 1 != HVM_STAT_EXIT_KINDS);
	block = kzalloc(sizeof(*block), GFP_KERNEL_ACCOUNT);
	if (!block)
		return NULL;
	kref_init(&block->ref);
	block->vcpu_id = vcpu_id;
	block->pid = task_tgid_nr(current);
	return block;
}

static void hvm_stat_block_free(struct kref *ref)
{
	kfree(container_of(ref, struct hvm_stat_block, ref));
}

void hvm_stat_block_put(struct hvm_stat_block *block)
{
	if (block)
		kref_put(&block->ref, hvm_stat_block_free);
}

static void hvm_stat_sum(struct hvm_vcpu_stat *sum,
			 const struct hvm_vcpu_stat *st)
{
	const u64 *src = (const u64 *)st;
	u64 *dst = (u64 *)sum;
	unsigned int i;

	BUILD_BUG_ON(sizeof(*st) % sizeof(u64));
	for (i = 0; i < sizeof(*st) / sizeof(u64); i++)
		dst[i] += READ_ONCE(src[i]);
}

void hvm_stat_retire(struct hvm_vm *vm, struct hvm_vcpu *vcpu)
{
	lockdep_assert_held(&vm->lock);
	hvm_stat_sum(&vm->stat_retired, &vcpu->stat->s);
}

void hvm_note_injection(struct hvm_vcpu *vcpu, u8 vector, bool has_error,
			u32 error_code)
{
	hvm_stat_inc(vcpu, injections);
	trace_hvm_inject(vcpu->id, vector, has_error, error_code);
}

/* One sample of every value the fd shows, in descriptor order. */
static int hvm_stats_sample(struct hvm_stats_file *sf, u64 *values)
{
	struct hvm_vcpu_stat sum = {};
	unsigned int i, nr_vcpus = 0;
	struct hvm_vm *vm = sf->vm;

	if (sf->block) {
		hvm_stat_sum(&sum, &sf->block->s);
	} else {
		/* vm->lock: a vCPU moves from vcpus[] to stat_retired whole. */
		if (mutex_lock_killable(&vm->lock))
			return -EINTR;
		hvm_stat_sum(&sum, &vm->stat_retired);
		for (i = 0; i < HVM_MAX_VCPUS; i++) {
			struct hvm_vcpu *vcpu;

			vcpu = rcu_dereference_protected(vm->vcpus[i],
							 lockdep_is_held(&vm->lock));
			if (!vcpu)
				continue;
			nr_vcpus++;
			hvm_stat_sum(&sum, &vcpu->stat->s);
		}
		mutex_unlock(&vm->lock);
	}

	for (i = 0; i < sf->nr; i++) {
		const struct hvm_stat_field *f = &hvm_stat_fields[i];

		switch (f->src) {
		case HVM_SRC_VCPU:
			values[i] = *(u64 *)((u8 *)&sum + f->off);
			break;
		case HVM_SRC_MMU:
			values[i] = atomic64_read((atomic64_t *)
						  ((u8 *)&vm->mmu + f->off));
			break;
		case HVM_SRC_VCPUS:
			values[i] = nr_vcpus;
			break;
		}
	}
	return 0;
}

/* A read() in progress: the part of the file it still has to copy. */
struct hvm_stats_cursor {
	char __user *buf;
	loff_t pos;
	size_t left;
	loff_t at;		/* file offset of the next piece emitted */
};

/* Copy what the read wants of a piece lying at cursor->at. */
static int hvm_stats_emit(struct hvm_stats_cursor *c, const void *src,
			  size_t len)
{
	loff_t start = c->at;
	size_t n;

	c->at += len;
	if (!c->left || c->pos < start || c->pos >= c->at)
		return 0;
	n = min_t(size_t, c->at - c->pos, c->left);
	if (copy_to_user(c->buf, (const u8 *)src + (c->pos - start), n))
		return -EFAULT;
	c->buf += n;
	c->pos += n;
	c->left -= n;
	return 0;
}

static ssize_t hvm_stats_read(struct file *filp, char __user *buf,
			      size_t size, loff_t *ppos)
{
	struct hvm_stats_file *sf = filp->private_data;
	struct hvm_stats_cursor c = { .buf = buf, .pos = *ppos, .left = size };
	u32 data_off = HVM_STATS_DESC_OFF + sf->nr * sizeof(struct hvm_stats_desc);
	struct hvm_stats_header hdr = {
		.magic = HVM_STATS_MAGIC,
		.version = HVM_STATS_VERSION,
		.num_desc = sf->nr,
		.desc_size = sizeof(struct hvm_stats_desc),
		.id_offset = HVM_STATS_ID_OFF,
		.desc_offset = HVM_STATS_DESC_OFF,
		.data_offset = data_off,
		.data_size = sf->nr * sizeof(u64),
	};
	u64 values[ARRAY_SIZE(hvm_stat_fields)];
	unsigned int i;
	int ret;

	if (c.pos < 0)
		return -EINVAL;
	ret = hvm_stats_emit(&c, &hdr, sizeof(hdr));
	if (!ret)
		ret = hvm_stats_emit(&c, sf->id, sizeof(sf->id));
	for (i = 0; !ret && i < sf->nr; i++) {
		const struct hvm_stat_field *f = &hvm_stat_fields[i];
		struct hvm_stats_desc desc = {
			.flags = f->flags,
			.offset = i * sizeof(u64),
			.size = 1,
		};

		/* Only build the descriptors this read covers. */
		if (c.pos >= c.at + sizeof(desc) || !c.left) {
			c.at += sizeof(desc);
			continue;
		}
		strscpy(desc.name, f->name, sizeof(desc.name));
		ret = hvm_stats_emit(&c, &desc, sizeof(desc));
	}
	if (!ret && c.left && c.pos < data_off + hdr.data_size) {
		ret = hvm_stats_sample(sf, values);
		if (!ret)
			ret = hvm_stats_emit(&c, values, hdr.data_size);
	}
	if (ret && c.pos == *ppos)
		return ret;
	size = c.pos - *ppos;
	*ppos = c.pos;
	return size;
}

static int hvm_stats_release(struct inode *inode, struct file *filp)
{
	struct hvm_stats_file *sf = filp->private_data;

	if (sf->vm)
		hvm_vm_put(sf->vm);
	hvm_stat_block_put(sf->block);
	kfree(sf);
	return 0;
}

static const struct file_operations hvm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= hvm_stats_read,
	.llseek		= generic_file_llseek,
	.release	= hvm_stats_release,
};

static int hvm_stats_install(struct hvm_stats_file *sf)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile("hvm-stats", &hvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* pread() and lseek() work: the file has a fixed layout. */
	file->f_mode |= FMODE_PREAD;
#ifdef FMODE_LSEEK
	file->f_mode |= FMODE_LSEEK;	/* gone in later kernels: implied */
#endif
	fd_install(fd, file);
	return fd;
}

int hvm_vm_stats_fd(struct hvm_vm *vm)
{
	struct hvm_stats_file *sf;
	int fd;

	/* Every vCPU counter is shown, and only they on a vCPU fd. */
	BUILD_BUG_ON(HVM_NR_VCPU_FIELDS !=
		     sizeof(struct hvm_vcpu_stat) / sizeof(u64));
	BUILD_BUG_ON(HVM_NR_VCPU_FIELDS > HVM_NR_FIELDS);
	BUILD_BUG_ON(sizeof(struct hvm_stats_desc) != 64);
	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->nr = HVM_NR_FIELDS;
	snprintf(sf->id, sizeof(sf->id), "hvm-%d", vm->pid);
	hvm_vm_get(vm);
	sf->vm = vm;
	fd = hvm_stats_install(sf);
	if (fd < 0) {
		hvm_vm_put(vm);
		kfree(sf);
	}
	return fd;
}

int hvm_vcpu_stats_fd(struct hvm_vcpu *vcpu)
{
	struct hvm_stats_file *sf;
	int fd;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->nr = HVM_NR_VCPU_FIELDS;
	snprintf(sf->id, sizeof(sf->id), "hvm-%d/vcpu%u", vcpu->stat->pid,
		 vcpu->id);
	kref_get(&vcpu->stat->ref);
	sf->block = vcpu->stat;
	fd = hvm_stats_install(sf);
	if (fd < 0) {
		hvm_stat_block_put(sf->block);
		kfree(sf);
	}
	return fd;
}
