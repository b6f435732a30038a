/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm core: objects shared by the core files and the vendor backends.
 *
 * Lifetimes: a VM is reference counted (kref); its fd holds one reference,
 * every vCPU fd and every ring holds one.  The last put frees the VM.
 */
#ifndef HVM_CORE_H
#define HVM_CORE_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/mm_types.h>
#include <linux/wait.h>
#include <linux/refcount.h>
#include <linux/mm.h>
#include <asm/fpu/api.h>
#include <asm/page.h>
#include "../uapi/linux/hvm.h"
#include "mmu.h"
#include "stats.h"
#include "lapic.h"

struct hvm_vm;
struct hvm_vcpu;
struct hvm_ring;

#define HVM_NAME "hvm"

/* Register numbers, x86 encoding order; index hvm_vcpu.gprs with them. */
enum hvm_gpr {
	HVM_RAX, HVM_RCX, HVM_RDX, HVM_RBX, HVM_RSP, HVM_RBP, HVM_RSI, HVM_RDI,
	HVM_R8, HVM_R9, HVM_R10, HVM_R11, HVM_R12, HVM_R13, HVM_R14, HVM_R15,
	HVM_NR_GPRS,
};

/* What a backend found when the guest left; vendor neutral. */
enum hvm_exit_kind {
	HVM_X_NONE,		/* handled by the backend (or host IRQ): re-enter */
	HVM_X_CPUID,
	HVM_X_RDMSR,		/* index in gprs[RCX] */
	HVM_X_WRMSR,
	HVM_X_HLT,
	HVM_X_IO,		/* port I/O: see io */
	HVM_X_NPF,		/* nested page fault: see npf */
	HVM_X_XSETBV,		/* value in edx:eax, XCR number in ecx */
	HVM_X_SHUTDOWN,
	HVM_X_FAIL_ENTRY,
	HVM_X_UNHANDLED,
	HVM_X_IRQ_WINDOW,	/* the window asked by request_irq_window */
	HVM_X_NMI_WINDOW,	/* the window asked by request_nmi_window */
	HVM_X_PAUSE,		/* a PAUSE loop: the core yields the CPU */
	HVM_X_HYPERCALL,	/* VMMCALL/VMCALL at CPL 0; RIP not advanced */
	/* A new kind goes here and gets its counter in stats.c. */
};

struct hvm_exit {
	enum hvm_exit_kind kind;
	u8 insn_len;		/* length of the exiting insn, 0 if unknown */
	struct {
		u16 port;
		u8 size;
		bool in;
		bool string;	/* INS/OUTS: not served, reported */
		bool rep;
	} io;
	struct {
		u64 gpa;
		bool write;
		bool fetch;
		bool present;	/* translation existed: a permission fault */
		bool mapped;	/* set by the core: guest memory, now mapped */
	} npf;
	u64 hw_code;		/* raw vendor exit code, for reports */
	u64 info1, info2;
};

/*
 * One table per vendor, chosen at load.  Callers: *_hw_* from
 * main.c (any context noted), the rest from VM/vCPU ioctls in process
 * context with the vCPU mutex held where a vCPU is passed.
 */
struct hvm_backend_ops {
	const char *name;
	enum hvm_vendor vendor;

	/* Load time: 0 if usable, else -errno after one pr_err line. */
	int (*probe)(struct hvm_caps *caps);
	/* Module unload: free what probe allocated. */
	void (*unload)(void);
	/* On each CPU, IRQs off: switch virtualization on/off. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	int (*vm_init)(struct hvm_vm *vm);
	void (*vm_destroy)(struct hvm_vm *vm);
	/*
	 * The nested page table format (mmu.c walks the tables); probe
	 * sets its max_level.  Backends point the hardware at vm->mmu.root
	 * and flush guest TLBs when vm->tlb_gen moves.
	 */
	struct hvm_pt_format *pt_format;

	int (*vcpu_init)(struct hvm_vcpu *vcpu);
	void (*vcpu_destroy)(struct hvm_vcpu *vcpu);
	/*
	 * Enter the guest once and fill vcpu->exit.  Returns 0 or -errno
	 * for host-side failure.  Syncs rip/rflags/rsp/rax with gprs.
	 */
	int (*vcpu_run)(struct hvm_vcpu *vcpu);
	void (*get_sregs)(struct hvm_vcpu *vcpu, struct hvm_sregs *sregs);
	int (*set_sregs)(struct hvm_vcpu *vcpu, const struct hvm_sregs *sregs);
	void (*inject_exception)(struct hvm_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error_code);
	/*
	 * MSRs whose value lives in the backend's guest state (EFER,
	 * syscall MSRs, segment bases, PAT, TSC...).  Return 0 if handled,
	 * -ENOENT if the backend does not own this MSR, -EINVAL for a value
	 * the guest must get #GP for.
	 */
	int (*get_msr)(struct hvm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct hvm_vcpu *vcpu, u32 index, u64 data);
	/*
	 * Load time, after probe: clear from one leaf of the host's CPUID
	 * (regs[] indexed by enum hvm_cpuid_reg) the features this backend
	 * leaves disabled in the guest.  The core has already removed what
	 * no backend honours.  Cannot fail; NULL when there is nothing more
	 * to hide.
	 */
	void (*cpuid_filter)(u32 function, u32 index, u32 regs[4]);

	/*
	 * Interrupt delivery, for the local APIC (irq.c).  NULL in a backend
	 * without it: HVM_EXT_IRQCHIP then reports 0.  The backend calls
	 * hvm_irq_before_entry() with IRQs off, after publishing guest_cpu,
	 * and that calls these.  An event whose delivery an exit interrupted
	 * is re-injected by the backend itself, ahead of anything new: while
	 * one is pending, irq_allowed and nmi_allowed return false.
	 */
	/* RFLAGS.IF set, no STI/MOV SS shadow, no event pending. */
	bool (*irq_allowed)(struct hvm_vcpu *vcpu);
	/* NMIs not blocked (no NMI handler running), no event pending. */
	bool (*nmi_allowed)(struct hvm_vcpu *vcpu);
	void (*inject_irq)(struct hvm_vcpu *vcpu, u8 vector);
	/* Blocks NMIs until the guest's next IRET. */
	void (*inject_nmi)(struct hvm_vcpu *vcpu);
	/*
	 * One shot: leave with HVM_X_IRQ_WINDOW (HVM_X_NMI_WINDOW) as soon as
	 * an interrupt (an NMI) could be injected.
	 */
	void (*request_irq_window)(struct hvm_vcpu *vcpu);
	void (*request_nmi_window)(struct hvm_vcpu *vcpu);
	/*
	 * INIT: forget pending and re-injected events, NMI blocking and the
	 * interrupt shadow; the core then loads the INIT register state.
	 */
	void (*reset_events)(struct hvm_vcpu *vcpu);
};

/* Index of a register in the regs[] of cpuid_filter. */
enum hvm_cpuid_reg {
	HVM_CPUID_EAX, HVM_CPUID_EBX, HVM_CPUID_ECX, HVM_CPUID_EDX,
};

extern const struct hvm_backend_ops *hvm_ops;
extern const struct hvm_backend_ops hvm_svm_ops;
extern const struct hvm_backend_ops hvm_vmx_ops;
extern struct hvm_caps hvm_host_caps;

struct hvm_vm {
	/* Memory lifetime of this struct. */
	struct kref ref;
	/*
	 * Open VM and vCPU fds.  When it drops to zero the VM is torn down
	 * (ring detached, memory unpinned, backend state freed) even if a
	 * ring fd still holds a kref.
	 */
	refcount_t users;
	struct mm_struct *mm;		/* creator's mm (mmgrab) */
	void *arch;			/* backend private */

	/* Slots and nested page tables (mmu.c). */
	struct hvm_mmu mmu;

	struct mutex lock;		/* vcpus[], cpuid, ring changes */
	/* Written under lock; vCPUs are freed after an RCU grace period. */
	struct hvm_vcpu __rcu *vcpus[HVM_MAX_VCPUS];
	u32 nr_cpuid;
	struct hvm_cpuid_entry *cpuid;
	/* Highest vCPU id created + 1 (under lock): CPUID's topology. */
	u32 vcpu_span;

	/*
	 * The ring, a reference owned by the VM, until its fd is closed
	 * (then NULL with ring_closed set) or the VM is torn down.  Written
	 * under lock and ring_lock; hvm_ring_get() reads it under ring_lock.
	 */
	spinlock_t ring_lock;
	struct hvm_ring *ring;
	bool ring_closed;

	/* Bumped when nested page table entries are removed. */
	atomic_t tlb_gen;

	/* Set by HVM_RING_STOP_VM: every vCPU exits with STOPPED. */
	bool stopped;
	u64 stop_code;

	/* Creator's thread group, named in the stats fd's id. */
	pid_t pid;
	/* Counts of the vCPUs already closed (under lock). */
	struct hvm_vcpu_stat stat_retired;
};

/* msr.c: MTRRs and MISC_ENABLE as the guest left them. */
#define HVM_MTRR_VAR_COUNT	8
#define HVM_MTRR_FIXED_COUNT	11
struct hvm_platform_msrs {
	u64 mtrr_def_type;
	u64 mtrr_var[2 * HVM_MTRR_VAR_COUNT];	/* base, mask pairs */
	u64 mtrr_fixed[HVM_MTRR_FIXED_COUNT];
	u64 misc_enable;
};

struct hvm_vcpu {
	struct hvm_vm *vm;
	u32 id;
	struct mutex mutex;		/* one ioctl at a time */
	struct hvm_run *run;		/* page shared with userspace */
	void *arch;			/* backend private */

	u64 gprs[HVM_NR_GPRS];
	u64 rip;
	u64 rflags;

	/* CPU the vCPU is in guest mode on, or -1. */
	int guest_cpu;
	void *fpu_state;		/* fpu.c: the guest's FPU registers */
	u64 xcr0;			/* guest XCR0 */
	u32 pkru;			/* guest PKRU while the host's is loaded */
	u32 host_pkru;

	struct hvm_exit exit;
	struct hvm_mmu_cache mmu_cache;
	struct hvm_stat_block *stat;	/* stats.c; never NULL */
	struct rcu_head rcu;

	/* VM exits so far: hvm_run.nr_exits. */
	u64 nr_exits;

	/*
	 * A read the guest is waiting for.  The exit's handler (for MMIO the
	 * emulator, from the start) runs again once the read completes and
	 * finds the value here: at the next HVM_RUN, before the guest is
	 * entered, when replay is still set; else (registers were changed
	 * meanwhile) when the guest executes the instruction again.
	 */
	struct {
		bool pending;	/* submitted, not answered */
		bool valid;	/* answered: data holds the value */
		bool to_user;	/* answered by HVM_RUN (no ring) */
		bool replay;	/* vcpu->exit still describes the read */
		struct hvm_ring *ring;	/* pending on it: a reference */
		u8 space;
		u8 size;
		u64 addr;
		u64 data;
	} io;
	/* An HVM_EXIT_MSR userspace has to answer before the next entry. */
	struct {
		bool pending;
		bool is_write;
	} msr;
	/* An HVM_EXIT_HYPERCALL: the next HVM_RUN puts its ret in RAX. */
	bool hypercall_pending;
	/* The platform MSRs the guest may write (msr.c). */
	struct hvm_platform_msrs platform_msrs;

	/*
	 * The guest's debug registers (debugreg.c).  DR7 as the guest wrote
	 * it: GD is emulated and never reaches the hardware (hvm_dr7_hw()).
	 */
	struct {
		u64 db[4];
		u64 dr6;
		u64 dr7;
	} dbg;

	/*
	 * Interrupts (lapic.c, irq.c), when hvm_irqchip_supported():
	 * apic.vcpu is NULL without.  mp_state is the vCPU thread's; a
	 * HALTED or WAIT_SIPI vCPU sleeps on irq_wq.  pid is the thread that
	 * last ran the vCPU, for directed yields (RCU: readers hold
	 * rcu_read_lock()).
	 */
	struct hvm_lapic apic;
	u32 mp_state;
	wait_queue_head_t irq_wq;
	struct pid __rcu *pid;
};

/* Guest PAT value: every entry UC, WC, WT, WP, WB or UC- (SDM 11.12.2). */
static inline bool hvm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

/* Addresses the guest puts in MSRs: 48-bit canonical. */
static inline bool hvm_is_canonical(u64 addr)
{
	return __is_canonical_address(addr, 48);
}

/* vm_flags became read-only in 6.3: one spelling for both kernels. */
static inline void hvm_vma_clear_flags(struct vm_area_struct *vma,
				       unsigned long flags)
{
#ifdef HVM_HAVE_VM_FLAGS_CLEAR
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

static inline void hvm_vma_set_flags(struct vm_area_struct *vma,
				     unsigned long flags)
{
#ifdef HVM_HAVE_VM_FLAGS_CLEAR
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* vm.c */
static inline void hvm_vm_get(struct hvm_vm *vm)
{
	kref_get(&vm->ref);
}

void hvm_vm_put(struct hvm_vm *vm);
/* Count an open fd (vCPU) against the VM; the last drop tears it down. */
void hvm_vm_users_get(struct hvm_vm *vm);
void hvm_vm_users_drop(struct hvm_vm *vm);
int hvm_create_vm(void);
/*
 * Read or write guest-physical memory (memory slots only) from the VM's
 * process, in process context: through the process's mapping of the slot,
 * which is what the guest sees.  0, or -EFAULT outside the slots, for a
 * write to a read-only slot, or where the process maps nothing usable.
 */
int hvm_read_guest_phys(struct hvm_vm *vm, u64 gpa, void *buf, size_t len);
int hvm_write_guest_phys(struct hvm_vm *vm, u64 gpa, const void *buf,
			 size_t len);
/* Any context that may wait for an IPI (not IRQs off). */
void hvm_kick_vcpus(struct hvm_vm *vm);

/*
 * The local APIC timer's input clock, before its divider: what CPUID leaf
 * 0x40000010 EBX reports (in kHz) so that a guest need not calibrate it.
 */
#define HVM_APIC_BUS_HZ		1000000000ULL

/*
 * irq.c: a backend calls hvm_irq_before_entry() at each entry, IRQs off,
 * after publishing guest_cpu; the guest's CR8 is its local APIC's TPR
 * bits 7:4, read and written through the other two.
 */
void hvm_irq_before_entry(struct hvm_vcpu *vcpu);
u8 hvm_lapic_get_cr8(struct hvm_vcpu *vcpu);
void hvm_lapic_set_cr8(struct hvm_vcpu *vcpu, u8 cr8);
/*
 * A backend gives back an interrupt it took with inject_irq but could not
 * deliver after all (its vector goes from ISR back to IRR).
 */
void hvm_irq_cancel(struct hvm_vcpu *vcpu, u8 vector);
/* The backend provides every interrupt delivery op: HVM_EXT_IRQCHIP. */
bool hvm_irqchip_supported(void);

/* vcpu.c */
int hvm_create_vcpu(struct hvm_vm *vm, u32 id);

/* cpuid.c */
/* Load time, after probe and once hvm_host_xcr0() is known. */
void hvm_cpuid_init(void);
long hvm_get_supported_cpuid(struct hvm_cpuid __user *uarg);
/* Clears the bits of a table entry that hvm cannot honour. */
void hvm_cpuid_mask_entry(struct hvm_cpuid_entry *entry);
long hvm_get_vm_cpuid(struct hvm_vm *vm, struct hvm_cpuid __user *uarg);
/*
 * What the vCPU's CPUID reads for leaf fn, subleaf idx: the VM's table
 * with this vCPU's APIC ID and the VM's topology filled in.
 */
void hvm_cpuid_lookup(struct hvm_vcpu *vcpu, u32 fn, u32 idx,
		      struct hvm_cpuid_entry *out);

/* msr.c */
/* Reset values of the platform MSRs, from vcpu creation. */
void hvm_msr_reset(struct hvm_vcpu *vcpu);
/*
 * The platform MSRs a guest kernel touches (MTRRs, MISC_ENABLE, microcode
 * revision, AMD HWCR...).  0 if served (*data read or written), -ENOENT
 * if the MSR is not one of them, -EINVAL for #GP.
 */
int hvm_msr_emulate(struct hvm_vcpu *vcpu, u32 index, bool is_write,
		    u64 *data);

/* debugreg.c: DR6 flags and the DR7 bit the code below needs by name. */
#define HVM_DR6_BD		BIT_ULL(13)	/* general detect */
#define HVM_DR6_BS		BIT_ULL(14)	/* single step */
#define HVM_DR6_BT		BIT_ULL(15)	/* task switch */
#define HVM_DR6_RTM		BIT_ULL(16)	/* active low in DR6 */
#define HVM_DR7_GD		BIT_ULL(13)

/* Architectural reset values; backends call it from vcpu_init. */
void hvm_dr_reset(struct hvm_vcpu *vcpu);
/*
 * An emulated MOV to (to_dr) or from DRn with general register gpr, at
 * guest CPL cpl, with CR4.DE and a 64-bit operand (op64: 64-bit code)
 * as given.  Returns 0 when done (the caller skips the instruction) or
 * the vector the guest gets instead: X86_TRAP_UD, X86_TRAP_GP (error
 * code 0) or X86_TRAP_DB (general detect; DR6 and DR7 already updated).
 */
int hvm_dr_mov(struct hvm_vcpu *vcpu, unsigned int dr, bool to_dr,
	       unsigned int gpr, bool cr4_de, bool op64, unsigned int cpl);
/*
 * A #DB about to be delivered to the guest: payload holds the DR6 flags
 * of its cause (B0-3, BD, BS, BT set; RTM and bus-lock set when their
 * active-low DR6 bit is to be cleared).  Updates DR6, clears DR7.GD.
 */
void hvm_dr_deliver_db(struct hvm_vcpu *vcpu, u64 payload);
/*
 * Around one entry, IRQs off.  load_guest puts the guest's DR0-3 into
 * the hardware if its DR7 arms a breakpoint and says whether it did;
 * load_host gets the host's breakpoints back (dr6_dirty: the hardware's
 * DR6 may hold a value of the guest's).
 */
bool hvm_dr_load_guest(struct hvm_vcpu *vcpu);
void hvm_dr_load_host(bool guest_loaded, bool dr6_dirty);
/* HVM_GET_DEBUGREGS / HVM_SET_DEBUGREGS: 0 or -EINVAL. */
void hvm_get_debugregs(struct hvm_vcpu *vcpu, struct hvm_debugregs *regs);
int hvm_set_debugregs(struct hvm_vcpu *vcpu, const struct hvm_debugregs *regs);

/* The DR7 the hardware holds while the guest runs. */
static inline u64 hvm_dr7_hw(const struct hvm_vcpu *vcpu)
{
	return vcpu->dbg.dr7 & ~HVM_DR7_GD;
}

/* main.c */
/* HVM_CHECK_EXTENSION: 0 if unknown or absent, else > 0. */
long hvm_check_extension(unsigned long ext);
int hvm_hw_get(void);
void hvm_hw_put(void);
/*
 * Guest-owned extended state around one entry: call with IRQs off right
 * before entering (guest CR4 as the guest set it) and right after exit.
 */
void hvm_load_guest_xstate(struct hvm_vcpu *vcpu, u64 guest_cr4);
void hvm_load_host_xstate(struct hvm_vcpu *vcpu, u64 guest_cr4);
u64 hvm_host_xcr0(void);
void hvm_ibpb(void);

/* fpu.c */
void hvm_fpu_init(void);
int hvm_fpu_alloc(struct hvm_vcpu *vcpu);
void hvm_fpu_free(struct hvm_vcpu *vcpu);
void hvm_fpu_load_guest(struct hvm_vcpu *vcpu);
void hvm_fpu_save_guest(struct hvm_vcpu *vcpu);

#endif /* HVM_CORE_H */
