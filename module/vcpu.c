// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: vCPU objects: the vCPU fd, its shared run page, and the run loop
 * that serves exits in the kernel (CPUID, MSRs, memory faults, port and
 * MMIO accesses) or hands them to userspace.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>

#include "hvm.h"
#include "ring.h"
#include "emulate.h"
#include "trace.h"

/* Values for the exit handlers: keep running, or return to userspace. */
#define HVM_RESUME_GUEST	0
#define HVM_EXIT_TO_USER	1

#define GP_VECTOR		13
#define UD_VECTOR		6

/* Bits the guest must never see in CPUID, whatever the VMM configured. */
#define CPUID_1_ECX_VMX		BIT(5)
#define CPUID_1_ECX_MONITOR	BIT(3)
#define CPUID_1_ECX_OSXSAVE	BIT(27)
#define CPUID_80000001_ECX_SVM	BIT(2)

static void hvm_regs_to_user(struct hvm_vcpu *vcpu, struct hvm_regs *regs)
{
	BUILD_BUG_ON(offsetof(struct hvm_regs, rip) !=
		     HVM_NR_GPRS * sizeof(u64));
	memcpy(regs, vcpu->gprs, sizeof(vcpu->gprs));
	regs->rip = vcpu->rip;
	regs->rflags = vcpu->rflags;
}

/*
 * hvm_handle_exit() for a read left unfinished runs again only on the
 * guest state it was decoded from; once userspace sets registers, the
 * guest executes whatever its new state says instead.
 */
static void hvm_regs_from_user(struct hvm_vcpu *vcpu,
			       const struct hvm_regs *regs)
{
	vcpu->io.replay = false;
	memcpy(vcpu->gprs, regs, sizeof(vcpu->gprs));
	vcpu->rip = regs->rip;
	/* Bit 1 is fixed to 1; reserved bits are not the caller's to set. */
	vcpu->rflags = (regs->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
}

static void hvm_skip_insn(struct hvm_vcpu *vcpu, unsigned int fallback_len)
{
	vcpu->rip += vcpu->exit.insn_len ? vcpu->exit.insn_len : fallback_len;
}

static void hvm_report_hw(struct hvm_vcpu *vcpu, u32 reason)
{
	vcpu->run->exit_reason = reason;
	vcpu->run->hw.hw_exit_code = vcpu->exit.hw_code;
	vcpu->run->hw.info1 = vcpu->exit.info1;
	vcpu->run->hw.info2 = vcpu->exit.info2;
}

/* ---- port and MMIO accesses ---------------------------------------------- */

/*
 * One device access.  0: done (*data holds a read's value).  -EAGAIN: the
 * access went to userspace (run page filled); for a read the guest
 * instruction is not complete: the next HVM_RUN runs its exit handler
 * again with the answer (hvm_complete_pending()).  -EINTR / -EPIPE from
 * the ring.
 */
static int hvm_io_access(struct hvm_vcpu *vcpu, u8 space, u64 addr, u8 size,
			 bool is_write, u64 *data)
{
	struct hvm_run *run = vcpu->run;
	struct hvm_ring *ring;
	int ret;

	if (!is_write && vcpu->io.valid) {
		vcpu->io.valid = false;
		if (vcpu->io.space == space && vcpu->io.addr == addr &&
		    vcpu->io.size == size) {
			*data = vcpu->io.data;
			return 0;
		}
	}
	vcpu->io.space = space;
	vcpu->io.addr = addr;
	vcpu->io.size = size;

	ring = hvm_ring_get(vcpu->vm);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	if (ring) {
		ret = hvm_ring_access(ring, vcpu, space, addr, size, is_write,
				      data);
		hvm_ring_put(ring);
		if (ret == -EINTR && vcpu->io.pending)
			vcpu->io.replay = true;
		return ret;
	}

	run->exit_reason = space == HVM_IO_PIO ? HVM_EXIT_IO : HVM_EXIT_MMIO;
	run->io.addr = addr;
	run->io.size = size;
	run->io.is_write = is_write;
	run->io.data = is_write ? *data : 0;
	if (is_write)
		return -EAGAIN;
	vcpu->io.to_user = true;
	vcpu->io.replay = true;
	return -EAGAIN;
}

static int hvm_handle_pio(struct hvm_vcpu *vcpu)
{
	struct hvm_exit *exit = &vcpu->exit;
	u64 mask = exit->io.size == 8 ? ~0ULL : (1ULL << (exit->io.size * 8)) - 1;
	u64 data = vcpu->gprs[HVM_RAX] & mask;
	int ret;

	if (exit->io.string || !exit->insn_len) {
		hvm_report_hw(vcpu, HVM_EXIT_UNHANDLED);
		return HVM_EXIT_TO_USER;
	}

	ret = hvm_io_access(vcpu, HVM_IO_PIO, exit->io.port, exit->io.size,
			    !exit->io.in, &data);
	if (ret == -EAGAIN && !exit->io.in) {
		/* A write handed to userspace is done. */
		hvm_skip_insn(vcpu, 0);
		return HVM_EXIT_TO_USER;
	}
	if (ret == -EAGAIN)
		return HVM_EXIT_TO_USER;
	if (ret)
		return ret;

	if (exit->io.in) {
		if (exit->io.size == 4)
			vcpu->gprs[HVM_RAX] = (u32)data;
		else
			vcpu->gprs[HVM_RAX] = (vcpu->gprs[HVM_RAX] & ~mask) |
					      (data & mask);
	}
	hvm_skip_insn(vcpu, 0);
	return HVM_RESUME_GUEST;
}

struct hvm_emul_state {
	struct hvm_vcpu *vcpu;
	bool to_user;		/* an access went to userspace */
};

static int hvm_emul_read_phys(void *opaque, u64 gpa, void *buf,
			      unsigned int len)
{
	struct hvm_emul_state *st = opaque;

	return hvm_read_guest_phys(st->vcpu->vm, gpa, buf, len);
}

static int hvm_emul_write_phys(void *opaque, u64 gpa, const void *buf,
			       unsigned int len)
{
	struct hvm_emul_state *st = opaque;

	return hvm_write_guest_phys(st->vcpu->vm, gpa, buf, len);
}

static int hvm_emul_mmio_read(void *opaque, u64 gpa, unsigned int size,
			      u64 *val)
{
	struct hvm_emul_state *st = opaque;
	int ret;

	if (hvm_lapic_mmio_hit(st->vcpu, gpa))
		return hvm_lapic_mmio_read(st->vcpu, gpa, size, val);
	ret = hvm_io_access(st->vcpu, HVM_IO_MMIO, gpa, size, false, val);
	if (ret == -EAGAIN)
		st->to_user = true;
	return ret;
}

static int hvm_emul_mmio_write(void *opaque, u64 gpa, unsigned int size,
			       u64 val)
{
	struct hvm_emul_state *st = opaque;
	int ret;

	if (hvm_lapic_mmio_hit(st->vcpu, gpa))
		return hvm_lapic_mmio_write(st->vcpu, gpa, size, val);
	ret = hvm_io_access(st->vcpu, HVM_IO_MMIO, gpa, size, true, &val);
	if (ret == -EAGAIN) {
		/* Handed to userspace: the write itself is done. */
		st->to_user = true;
		return 0;
	}
	return ret;
}

static const struct hvm_emul_ops hvm_emul_callbacks = {
	.read_phys	= hvm_emul_read_phys,
	.write_phys	= hvm_emul_write_phys,
	.mmio_read	= hvm_emul_mmio_read,
	.mmio_write	= hvm_emul_mmio_write,
};

static void hvm_report_decode_failure(struct hvm_vcpu *vcpu,
				      const struct hvm_emul_ctxt *ctxt)
{
	struct hvm_run *run = vcpu->run;

	run->exit_reason = HVM_EXIT_DECODE_FAILED;
	run->decode.gpa = vcpu->exit.npf.gpa;
	run->decode.rip = vcpu->rip;
	run->decode.insn_len = min_t(u8, ctxt->insn_len, sizeof(run->decode.insn));
	memcpy(run->decode.insn, ctxt->insn, run->decode.insn_len);
}

static int hvm_handle_mmio(struct hvm_vcpu *vcpu)
{
	struct hvm_emul_state st = { .vcpu = vcpu };
	struct hvm_emul_ctxt ctxt = {};
	struct hvm_sregs sregs;
	int ret;

	hvm_ops->get_sregs(vcpu, &sregs);
	ctxt.gprs = vcpu->gprs;
	ctxt.rip = vcpu->rip;
	ctxt.rflags = vcpu->rflags;
	ctxt.cr0 = sregs.cr0;
	ctxt.cr3 = sregs.cr3;
	ctxt.cr4 = sregs.cr4;
	ctxt.efer = sregs.efer;
	ctxt.cs_base = sregs.cs.base;
	ctxt.ds_base = sregs.ds.base;
	ctxt.es_base = sregs.es.base;
	ctxt.ss_base = sregs.ss.base;
	ctxt.fs_base = sregs.fs.base;
	ctxt.gs_base = sregs.gs.base;
	ctxt.cs_l = sregs.cs.attrib & (1 << 9);
	ctxt.cs_d = sregs.cs.attrib & (1 << 10);
	ctxt.cpl = (sregs.ss.attrib >> 5) & 3;
	ctxt.fault_gpa = vcpu->exit.npf.gpa;
	ctxt.ops = &hvm_emul_callbacks;
	ctxt.opaque = &st;

	if (vcpu->exit.npf.fetch) {
		hvm_report_decode_failure(vcpu, &ctxt);
		return HVM_EXIT_TO_USER;
	}

	ret = hvm_emulate_mmio(&ctxt);
	switch (ret) {
	case 0:
		vcpu->rip = ctxt.rip;
		vcpu->rflags = ctxt.rflags;
		return st.to_user ? HVM_EXIT_TO_USER : HVM_RESUME_GUEST;
	case -EAGAIN:
		return st.to_user ? HVM_EXIT_TO_USER : -EINTR;
	case -EINTR:
	case -EPIPE:
		return ret;
	default:
		hvm_report_decode_failure(vcpu, &ctxt);
		return HVM_EXIT_TO_USER;
	}
}

static int hvm_handle_npf(struct hvm_vcpu *vcpu)
{
	int ret = hvm_mmu_fault(vcpu, vcpu->exit.npf.gpa, vcpu->exit.npf.write);

	vcpu->exit.npf.mapped = !ret;
	trace_hvm_npf(vcpu->id, vcpu->exit.npf.gpa, vcpu->exit.npf.write, ret);
	if (ret == -ENOENT) {
		hvm_stat_inc(vcpu, npf_mmio);
		return hvm_handle_mmio(vcpu);
	}
	if (!ret)
		hvm_stat_inc(vcpu, npf_mapped);
	return ret;
}

/* ---- CPUID, MSRs, XSETBV --------------------------------------------------- */

static void hvm_handle_cpuid(struct hvm_vcpu *vcpu)
{
	u32 fn = vcpu->gprs[HVM_RAX], idx = vcpu->gprs[HVM_RCX];
	struct hvm_cpuid_entry found;

	hvm_cpuid_lookup(vcpu, fn, idx, &found);

	if (fn == 1) {
		struct hvm_sregs sregs;

		hvm_ops->get_sregs(vcpu, &sregs);
		found.ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_MONITOR |
			       CPUID_1_ECX_OSXSAVE);
		if (sregs.cr4 & X86_CR4_OSXSAVE)
			found.ecx |= CPUID_1_ECX_OSXSAVE;
	} else if (fn == 0x80000001) {
		found.ecx &= ~CPUID_80000001_ECX_SVM;
	}
	vcpu->gprs[HVM_RAX] = found.eax;
	vcpu->gprs[HVM_RBX] = found.ebx;
	vcpu->gprs[HVM_RCX] = found.ecx;
	vcpu->gprs[HVM_RDX] = found.edx;
	hvm_skip_insn(vcpu, 2);
}

static int hvm_handle_msr(struct hvm_vcpu *vcpu, bool is_write)
{
	u32 index = vcpu->gprs[HVM_RCX];
	u64 data = ((vcpu->gprs[HVM_RDX] & 0xffffffff) << 32) |
		   (vcpu->gprs[HVM_RAX] & 0xffffffff);
	struct hvm_run *run = vcpu->run;
	int ret;

	/* The local APIC's MSRs go first (lapic.c), then the platform's. */
	ret = hvm_lapic_msr(vcpu, index, is_write, &data);
	if (ret == -ENOENT)
		ret = hvm_msr_emulate(vcpu, index, is_write, &data);
	if (ret == -ENOENT && is_write)
		ret = hvm_ops->set_msr(vcpu, index, data);
	else if (ret == -ENOENT)
		ret = hvm_ops->get_msr(vcpu, index, &data);

	if (ret == -ENOENT) {
		run->exit_reason = HVM_EXIT_MSR;
		run->msr.index = index;
		run->msr.is_write = is_write;
		run->msr.error = 0;
		run->msr.data = is_write ? data : 0;
		vcpu->msr.pending = true;
		vcpu->msr.is_write = is_write;
		return HVM_EXIT_TO_USER;
	}
	if (ret) {
		hvm_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return HVM_RESUME_GUEST;
	}
	if (!is_write) {
		vcpu->gprs[HVM_RAX] = (u32)data;
		vcpu->gprs[HVM_RDX] = data >> 32;
	}
	hvm_skip_insn(vcpu, 2);
	return HVM_RESUME_GUEST;
}

/* Userspace answered an HVM_EXIT_MSR: finish the instruction. */
static void hvm_complete_msr(struct hvm_vcpu *vcpu)
{
	struct hvm_run *run = vcpu->run;

	vcpu->msr.pending = false;
	if (run->msr.error) {
		hvm_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return;
	}
	if (!vcpu->msr.is_write) {
		vcpu->gprs[HVM_RAX] = (u32)run->msr.data;
		vcpu->gprs[HVM_RDX] = run->msr.data >> 32;
	}
	hvm_skip_insn(vcpu, 2);
}

static void hvm_handle_xsetbv(struct hvm_vcpu *vcpu)
{
	u64 value = ((vcpu->gprs[HVM_RDX] & 0xffffffff) << 32) |
		    (vcpu->gprs[HVM_RAX] & 0xffffffff);
	u64 allowed = hvm_host_xcr0();
	struct hvm_sregs sregs;

	hvm_ops->get_sregs(vcpu, &sregs);
	if ((vcpu->gprs[HVM_RCX] & 0xffffffff) != XCR_XFEATURE_ENABLED_MASK ||
	    ((sregs.ss.attrib >> 5) & 3) != 0 ||
	    !(value & XFEATURE_MASK_FP) || (value & ~allowed) ||
	    ((value & XFEATURE_MASK_YMM) && !(value & XFEATURE_MASK_SSE)) ||
	    (!!(value & XFEATURE_MASK_BNDREGS) !=
	     !!(value & XFEATURE_MASK_BNDCSR)) ||
	    ((value & XFEATURE_MASK_AVX512) &&
	     (value & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)) {
		hvm_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return;
	}
	vcpu->xcr0 = value;
	hvm_skip_insn(vcpu, 3);
}

/*
 * VMMCALL/VMCALL at CPL 0 (the backend gave CPL > 0 #UD): userspace
 * serves it; the guest continues past the instruction with RAX = ret.
 */
static int hvm_handle_hypercall(struct hvm_vcpu *vcpu)
{
	struct hvm_run *run = vcpu->run;

	run->exit_reason = HVM_EXIT_HYPERCALL;
	run->hypercall.nr = vcpu->gprs[HVM_RAX];
	run->hypercall.args[0] = vcpu->gprs[HVM_RBX];
	run->hypercall.args[1] = vcpu->gprs[HVM_RCX];
	run->hypercall.args[2] = vcpu->gprs[HVM_RDX];
	run->hypercall.args[3] = vcpu->gprs[HVM_RSI];
	run->hypercall.ret = 0;
	vcpu->hypercall_pending = true;
	hvm_skip_insn(vcpu, 3);
	return HVM_EXIT_TO_USER;
}

/* ---- interrupts: HLT, INIT/SIPI, PAUSE --------------------------------- */

/* The register state INIT leaves (SDM 9.1.1, APM 14.1.3). */
static void hvm_vcpu_load_init_state(struct hvm_vcpu *vcpu)
{
	struct hvm_segment data = {
		.limit = 0xffff, .attrib = 0x93,	/* P, S, data, RW, A */
	};
	struct hvm_sregs sregs = {
		.cs = { .selector = 0xf000, .base = 0xffff0000,
			.limit = 0xffff, .attrib = 0x9b },
		.ds = data, .es = data, .fs = data, .gs = data, .ss = data,
		.tr = { .limit = 0xffff, .attrib = 0x8b },
		.ldt = { .limit = 0xffff, .attrib = 0x82 },
		.gdt = { .limit = 0xffff },
		.idt = { .limit = 0xffff },
		.cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW,
	};

	hvm_ops->reset_events(vcpu);
	hvm_ops->set_sregs(vcpu, &sregs);
	memset(vcpu->gprs, 0, sizeof(vcpu->gprs));
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->io.replay = false;
	hvm_lapic_init_reset(vcpu);
}

/* SIPI: real mode at vector << 12 (CS = vector << 8, IP = 0). */
static void hvm_vcpu_start_at_sipi(struct hvm_vcpu *vcpu, u8 vector)
{
	struct hvm_sregs sregs;

	hvm_ops->get_sregs(vcpu, &sregs);
	sregs.cs.selector = vector << 8;
	sregs.cs.base = (u64)vector << 12;
	hvm_ops->set_sregs(vcpu, &sregs);
	vcpu->rip = 0;
}

/* Requests other vCPUs left in the APIC (INIT, SIPI), and HLT's end. */
static void hvm_vcpu_process_events(struct hvm_vcpu *vcpu)
{
	struct hvm_lapic *apic = &vcpu->apic;

	if (test_and_clear_bit(HVM_APIC_EV_INIT, &apic->events)) {
		/* A SIPI already pending follows the INIT: keep it. */
		hvm_vcpu_load_init_state(vcpu);
		vcpu->mp_state = HVM_MP_STATE_WAIT_SIPI;
	}
	if (test_and_clear_bit(HVM_APIC_EV_SIPI, &apic->events) &&
	    vcpu->mp_state == HVM_MP_STATE_WAIT_SIPI) {
		hvm_vcpu_start_at_sipi(vcpu, READ_ONCE(apic->sipi_vector));
		vcpu->mp_state = HVM_MP_STATE_RUNNABLE;
	}
	if (vcpu->mp_state == HVM_MP_STATE_HALTED &&
	    (test_bit(HVM_APIC_EV_NMI, &apic->events) ||
	     hvm_lapic_pending_vector(apic) >= 0)) {
		vcpu->mp_state = HVM_MP_STATE_RUNNABLE;
		hvm_stat_inc(vcpu, halt_wakeups);
	}
}

/* What ends the sleep of a HALTED or WAIT_SIPI vCPU. */
static bool hvm_vcpu_wake_due(struct hvm_vcpu *vcpu)
{
	struct hvm_lapic *apic = &vcpu->apic;

	if (READ_ONCE(vcpu->vm->stopped) ||
	    test_bit(HVM_APIC_EV_INIT, &apic->events))
		return true;
	if (vcpu->mp_state == HVM_MP_STATE_WAIT_SIPI)
		return test_bit(HVM_APIC_EV_SIPI, &apic->events);
	return test_bit(HVM_APIC_EV_NMI, &apic->events) ||
	       hvm_lapic_pending_vector(apic) >= 0;
}

/*
 * A PAUSE loop: give the CPU to a sibling whose thread is runnable but
 * not running (maybe the lock holder), else to anyone.
 */
static void hvm_vcpu_pause_yield(struct hvm_vcpu *vcpu)
{
	struct hvm_vm *vm = vcpu->vm;
	int i, start = vcpu->id + 1;

	for (i = 0; i < HVM_MAX_VCPUS - 1; i++) {
		struct task_struct *task = NULL;
		struct hvm_vcpu *other;
		int yielded;

		rcu_read_lock();
		other = rcu_dereference(vm->vcpus[(start + i) % HVM_MAX_VCPUS]);
		if (other && other != vcpu && READ_ONCE(other->guest_cpu) < 0)
			task = get_pid_task(rcu_dereference(other->pid),
					    PIDTYPE_PID);
		rcu_read_unlock();
		if (!task)
			continue;
		yielded = task != current ? yield_to(task, true) : 0;
		put_task_struct(task);
		if (yielded > 0)
			return;
	}
	/* Nobody in particular: let the scheduler pick (not yield()). */
	schedule();
}

/* The thread running the vCPU now, for the siblings' directed yields. */
static void hvm_vcpu_note_thread(struct hvm_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pid, 1);

	if (old == task_pid(current))
		return;
	rcu_assign_pointer(vcpu->pid, get_pid(task_pid(current)));
	if (old) {
		synchronize_rcu();
		put_pid(old);
	}
}

/* ---- run loop ----------------------------------------------------------- */

static int hvm_handle_exit(struct hvm_vcpu *vcpu)
{
	struct hvm_exit *exit = &vcpu->exit;

	switch (exit->kind) {
	case HVM_X_NONE:
		return HVM_RESUME_GUEST;
	case HVM_X_CPUID:
		hvm_handle_cpuid(vcpu);
		return HVM_RESUME_GUEST;
	case HVM_X_RDMSR:
		return hvm_handle_msr(vcpu, false);
	case HVM_X_WRMSR:
		return hvm_handle_msr(vcpu, true);
	case HVM_X_XSETBV:
		hvm_handle_xsetbv(vcpu);
		return HVM_RESUME_GUEST;
	case HVM_X_HLT:
		hvm_stat_inc(vcpu, halts);
		hvm_skip_insn(vcpu, 1);
		/* With an APIC and IF=1, wait here for the interrupt. */
		if (vcpu->apic.vcpu && (vcpu->rflags & X86_EFLAGS_IF)) {
			vcpu->mp_state = HVM_MP_STATE_HALTED;
			return HVM_RESUME_GUEST;
		}
		vcpu->run->exit_reason = HVM_EXIT_HLT;
		return HVM_EXIT_TO_USER;
	case HVM_X_IRQ_WINDOW:
	case HVM_X_NMI_WINDOW:
		/* The next entry injects what waited for the window. */
		return HVM_RESUME_GUEST;
	case HVM_X_PAUSE:
		hvm_vcpu_pause_yield(vcpu);
		return HVM_RESUME_GUEST;
	case HVM_X_IO:
		return hvm_handle_pio(vcpu);
	case HVM_X_NPF:
		return hvm_handle_npf(vcpu);
	case HVM_X_HYPERCALL:
		return hvm_handle_hypercall(vcpu);
	case HVM_X_SHUTDOWN:
		hvm_report_hw(vcpu, HVM_EXIT_SHUTDOWN);
		return HVM_EXIT_TO_USER;
	case HVM_X_FAIL_ENTRY:
		hvm_report_hw(vcpu, HVM_EXIT_FAIL_ENTRY);
		return HVM_EXIT_TO_USER;
	case HVM_X_UNHANDLED:
	default:
		hvm_report_hw(vcpu, HVM_EXIT_UNHANDLED);
		return HVM_EXIT_TO_USER;
	}
}

/* Finish what the previous HVM_RUN left for userspace to answer. */
static int hvm_complete_pending(struct hvm_vcpu *vcpu)
{
	struct hvm_run *run = vcpu->run;
	int ret;

	if (vcpu->msr.pending)
		hvm_complete_msr(vcpu);
	if (vcpu->hypercall_pending) {
		vcpu->hypercall_pending = false;
		vcpu->gprs[HVM_RAX] = run->hypercall.ret;
	}
	if (vcpu->io.to_user) {
		vcpu->io.to_user = false;
		vcpu->io.valid = true;
		vcpu->io.data = run->io.data;
	}
	if (vcpu->io.pending) {
		u64 data;

		ret = hvm_ring_resume(vcpu, &data);
		if (ret)
			return ret;
		vcpu->io.valid = true;
		vcpu->io.data = data;
	}
	/*
	 * Finish the read now instead of entering the guest to execute the
	 * instruction again: that would cost a second VM exit per read.
	 * The guest has not run since the exit, so its handler sees the
	 * same state and, this time, the answer in vcpu->io.
	 */
	if (vcpu->io.valid && vcpu->io.replay) {
		vcpu->io.replay = false;
		return hvm_handle_exit(vcpu);
	}
	return 0;
}

/* A device stopped the VM: report it instead of entering the guest. */
static bool hvm_vcpu_stopped(struct hvm_vcpu *vcpu)
{
	if (!READ_ONCE(vcpu->vm->stopped))
		return false;
	vcpu->run->exit_reason = HVM_EXIT_STOPPED;
	vcpu->run->stop.code = READ_ONCE(vcpu->vm->stop_code);
	return true;
}

/* One entry with its accounting and tracepoints. */
static int hvm_vcpu_enter(struct hvm_vcpu *vcpu)
{
	struct hvm_exit *exit = &vcpu->exit;
	u64 start;
	int ret;

	trace_hvm_entry(vcpu->id, vcpu->rip);
	/*
	 * The backend's whole run call, so guest time includes the state
	 * switch and the host interrupts taken right after an exit: the
	 * core cannot see the instant of VMRUN/VMLAUNCH, and timing inside
	 * the backends would put the clock read on every vendor's path.
	 */
	start = ktime_get_ns();
	ret = hvm_ops->vcpu_run(vcpu);
	hvm_stat_add(vcpu, guest_ns, ktime_get_ns() - start);
	if (ret)
		return ret;
	hvm_stat_inc(vcpu, exits);
	if (exit->kind < HVM_STAT_EXIT_KINDS)
		hvm_stat_inc(vcpu, exit_kind[exit->kind]);
	trace_hvm_exit(vcpu->id, exit->kind, exit->hw_code, vcpu->rip);
	return 0;
}

static int hvm_vcpu_run(struct hvm_vcpu *vcpu)
{
	struct hvm_run *run = vcpu->run;
	int ret;

	if (READ_ONCE(run->regs_dirty)) {
		struct hvm_regs regs;

		memcpy(&regs, &run->regs, sizeof(regs));
		hvm_regs_from_user(vcpu, &regs);
		WRITE_ONCE(run->regs_dirty, 0);
	}
	run->exit_reason = HVM_EXIT_NONE;
	if (vcpu->apic.vcpu)
		hvm_vcpu_note_thread(vcpu);

	ret = 0;
	if (!hvm_vcpu_stopped(vcpu))
		ret = hvm_complete_pending(vcpu);
	while (!ret) {
		if (hvm_vcpu_stopped(vcpu))
			break;
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();

		if (vcpu->apic.vcpu) {
			hvm_vcpu_process_events(vcpu);
			if (vcpu->mp_state != HVM_MP_STATE_RUNNABLE) {
				/* Sleeps until an interrupt, a SIPI or a signal. */
				if (wait_event_interruptible(vcpu->irq_wq,
							     hvm_vcpu_wake_due(vcpu)))
					ret = -EINTR;
				continue;
			}
		}

		ret = hvm_vcpu_enter(vcpu);
		if (ret)
			break;
		ret = hvm_handle_exit(vcpu);
		/*
		 * hvm_run.nr_exits: the exits the guest's instructions cost.
		 * Host interrupts and kicks (HVM_X_NONE) and faults that only
		 * mapped guest memory depend on what the host does, not on
		 * the guest, and are left out.
		 */
		if (vcpu->exit.kind != HVM_X_NONE &&
		    !(vcpu->exit.kind == HVM_X_NPF && vcpu->exit.npf.mapped))
			vcpu->nr_exits++;
	}
	if (ret == HVM_EXIT_TO_USER)
		ret = 0;
	/*
	 * A stop outranks the ring's -EINTR (it gives up waiting when the VM
	 * is stopped) and -EPIPE (a helper that stops the VM and exits).
	 */
	if ((ret == -EINTR || ret == -EPIPE) && hvm_vcpu_stopped(vcpu))
		ret = 0;
	if (ret == -EINTR)
		run->exit_reason = HVM_EXIT_INTR;

	hvm_regs_to_user(vcpu, &run->regs);
	WRITE_ONCE(run->nr_exits, vcpu->nr_exits);
	hvm_stat_inc(vcpu, user_exits);
	return ret;
}

static long hvm_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct hvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct hvm_debugregs dbg;
	struct hvm_mp_state mp;
	struct hvm_sregs sregs;
	struct hvm_regs regs;
	long ret = 0;

	/*
	 * Without the mutex, which HVM_RUN holds for as long as the guest
	 * runs; and from any process, as on the VM fd.
	 */
	if (cmd == HVM_GET_VCPU_STATS_FD)
		return arg ? -EINVAL : hvm_vcpu_stats_fd(vcpu);
	if (current->mm != vcpu->vm->mm)
		return -EIO;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case HVM_RUN:
		ret = arg ? -EINVAL : hvm_vcpu_run(vcpu);
		break;
	case HVM_GET_REGS:
		hvm_regs_to_user(vcpu, &regs);
		if (copy_to_user(argp, &regs, sizeof(regs)))
			ret = -EFAULT;
		break;
	case HVM_SET_REGS:
		if (copy_from_user(&regs, argp, sizeof(regs)))
			ret = -EFAULT;
		else
			hvm_regs_from_user(vcpu, &regs);
		break;
	case HVM_GET_SREGS:
		memset(&sregs, 0, sizeof(sregs));
		hvm_ops->get_sregs(vcpu, &sregs);
		if (copy_to_user(argp, &sregs, sizeof(sregs)))
			ret = -EFAULT;
		break;
	case HVM_SET_SREGS:
		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			ret = -EFAULT;
		else
			ret = hvm_ops->set_sregs(vcpu, &sregs);
		/* The read's instruction may decode differently now. */
		vcpu->io.replay = false;
		break;
	case HVM_GET_DEBUGREGS:
		hvm_get_debugregs(vcpu, &dbg);
		if (copy_to_user(argp, &dbg, sizeof(dbg)))
			ret = -EFAULT;
		break;
	case HVM_SET_DEBUGREGS:
		if (copy_from_user(&dbg, argp, sizeof(dbg)))
			ret = -EFAULT;
		else
			ret = hvm_set_debugregs(vcpu, &dbg);
		break;
	case HVM_GET_MP_STATE:
		if (!vcpu->apic.vcpu) {
			ret = -ENOTTY;
			break;
		}
		mp.state = vcpu->mp_state;
		mp.reserved = 0;
		if (copy_to_user(argp, &mp, sizeof(mp)))
			ret = -EFAULT;
		break;
	case HVM_SET_MP_STATE:
		if (!vcpu->apic.vcpu)
			ret = -ENOTTY;
		else if (copy_from_user(&mp, argp, sizeof(mp)))
			ret = -EFAULT;
		else if (mp.reserved || mp.state > HVM_MP_STATE_WAIT_SIPI)
			ret = -EINVAL;
		else
			vcpu->mp_state = mp.state;
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static int hvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct hvm_vcpu *vcpu = filp->private_data;

	if (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	hvm_vma_clear_flags(vma, VM_MAYEXEC);
	return vm_insert_page(vma, vma->vm_start, virt_to_page(vcpu->run));
}

/* After every RCU reader (kicks, MSIs, directed yields) is done. */
static void hvm_vcpu_free_rcu(struct rcu_head *head)
{
	struct hvm_vcpu *vcpu = container_of(head, struct hvm_vcpu, rcu);

	put_pid(rcu_dereference_protected(vcpu->pid, 1));
	kfree(vcpu);
}

static void hvm_vcpu_free(struct hvm_vcpu *vcpu)
{
	hvm_lapic_destroy(vcpu);
	hvm_ring_drop_pending(vcpu);
	hvm_fpu_free(vcpu);
	free_page((unsigned long)vcpu->run);
	hvm_mmu_cache_free(&vcpu->mmu_cache);
	hvm_stat_block_put(vcpu->stat);
	/* hvm_kick_vcpus() and senders may still be reading it. */
	call_rcu(&vcpu->rcu, hvm_vcpu_free_rcu);
}

static int hvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct hvm_vcpu *vcpu = filp->private_data;
	struct hvm_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	RCU_INIT_POINTER(vm->vcpus[vcpu->id], NULL);
	hvm_stat_retire(vm, vcpu);
	mutex_unlock(&vm->lock);

	hvm_ops->vcpu_destroy(vcpu);
	hvm_vcpu_free(vcpu);
	hvm_vm_users_drop(vm);
	return 0;
}

static const struct file_operations hvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hvm_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= hvm_vcpu_mmap,
	.release	= hvm_vcpu_release,
	.llseek		= noop_llseek,
};

int hvm_create_vcpu(struct hvm_vm *vm, u32 id)
{
	struct hvm_vcpu *vcpu;
	int ret, fd;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->guest_cpu = -1;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->irq_wq);
	vcpu->mp_state = HVM_MP_STATE_RUNNABLE;
	vcpu->stat = hvm_stat_block_alloc(id);
	if (!vcpu->stat) {
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		hvm_stat_block_put(vcpu->stat);
		kfree(vcpu);
		return -ENOMEM;
	}
	if (hvm_fpu_alloc(vcpu)) {
		free_page((unsigned long)vcpu->run);
		hvm_stat_block_put(vcpu->stat);
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->rflags = X86_EFLAGS_FIXED;
	hvm_msr_reset(vcpu);
	if (hvm_irqchip_supported())
		hvm_lapic_create(vcpu);
	ret = hvm_ops->vcpu_init(vcpu);
	if (ret)
		goto err_free;

	mutex_lock(&vm->lock);
	if (rcu_access_pointer(vm->vcpus[id])) {
		ret = -EEXIST;
		goto err_unlock;
	}
	hvm_vm_users_get(vm);
	fd = anon_inode_getfd("hvm-vcpu", &hvm_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		hvm_vm_users_drop(vm);
		goto err_unlock;
	}
	rcu_assign_pointer(vm->vcpus[id], vcpu);
	vm->vcpu_span = max(vm->vcpu_span, id + 1);
	mutex_unlock(&vm->lock);
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
	hvm_ops->vcpu_destroy(vcpu);
err_free:
	hvm_vcpu_free(vcpu);
	return ret;
}
