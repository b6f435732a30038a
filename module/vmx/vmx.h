/* SPDX-License-Identifier: GPL-2.0 */
/* hvm Intel VMX backend: private objects and VMX instruction wrappers. */
#ifndef HVM_VMX_H
#define HVM_VMX_H

#include <linux/list.h>
#include <linux/printk.h>
#include <asm/asm.h>
#include <asm/vmx.h>
#include "../hvm.h"

struct vmx_vm {
	u64 eptp;
};

struct vmx_vcpu {
	struct hvm_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	/* CPU the VMCS is active on, or -1 when it is clear everywhere. */
	int cpu;
	bool launched;		/* VMRESUME, not VMLAUNCH, on that CPU */
	struct list_head loaded_link;	/* on vmx_cpu.loaded of that CPU */
	u16 vpid;
	int tlb_gen;		/* vm->tlb_gen at the last INVEPT */
	u64 exit_rip;		/* RIP when the guest left */
	bool need_flush;	/* VPID and EPTP may have stale entries */
	/* PAE paging: PDPTEs to load from pdptr_gpa before the next entry. */
	bool pdptr_pending;
	u64 pdptr_gpa;

	/* Host state cached in the VMCS that may change between entries. */
	unsigned long host_cr3;
	unsigned long host_cr4;

	/*
	 * Event for the next entry: VM_ENTRY_INTR_INFO_FIELD format, with
	 * the instruction length of a software event.  An interrupt or NMI
	 * an exception displaced (vmx_queue_exception()) waits in
	 * deferred_info for the entry after (vmx_irq.c).
	 */
	u32 inject_info;
	u32 inject_error;
	u32 inject_len;
	u32 deferred_info;

	/* Primary processor-based controls now in the VMCS. */
	u32 proc;
	/* TPR shadow: the virtual-APIC page and the CR8 it held at entry. */
	u32 *vapic;
	u8 entry_cr8;

	/* Guest state VMX does not switch: loaded around each entry. */
	u64 cr2;
	u64 star;
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 tsc_aux;
};

/*
 * IA32_VMX_BASIC and IA32_VMX_MISC fields (SDM vol. 3D, appendix A).  The
 * kernel headers moved and renamed these between 6.1 and 6.12: ours are
 * spelled once here.
 */
#define HVM_VMX_BASIC_VMCS_SIZE_SHIFT	32
#define HVM_VMX_BASIC_VMCS_SIZE_MASK	0x1fffULL
#define HVM_VMX_BASIC_TRUE_CTLS		BIT_ULL(55)
#define HVM_VMX_MISC_PREEMPT_RATE_MASK	0x1fULL

#define UD_VECTOR		6
#define GP_VECTOR		13

/* What probe() found; constant afterwards. */
struct vmx_config {
	u32 revision;
	u32 vmcs_size;
	u32 pin;
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	bool invept_single;
	bool invvpid_single;
	u32 preemption_quantum;	/* timer ticks per entry, 0: no timer */
	bool tpr_shadow;	/* CR8 reads and writes go to the vapic page */
};

extern struct vmx_config vmx_cfg;

/* Order of the VMCS segment fields: ES, CS, SS, DS, FS, GS, LDTR, TR. */
enum vmx_seg { VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR };

/* vmx.c: make the vCPU's VMCS current here, preemption off until put. */
struct vmx_vcpu *vmx_vcpu_get(struct hvm_vcpu *vcpu);
void vmx_vcpu_put(void);

/* vmx_state.c: callers have the vCPU's VMCS current. */
u64 vmx_cr0_host_mask(void);
u64 vmx_cr4_host_mask(void);
u64 vmx_guest_cr4(void);
void vmx_write_efer(u64 efer);
void vmx_flush_guest_tlb(struct vmx_vcpu *vmx);
void vmx_queue_exception(struct vmx_vcpu *vmx, u8 vector, bool has_error,
			 u32 error_code);
void vmx_reset_state(struct hvm_vcpu *vcpu);
void vmx_handle_cr_access(struct hvm_vcpu *vcpu, u64 qual);
void vmx_handle_dr_access(struct hvm_vcpu *vcpu, u64 qual);
/* vmx_state.c: backend ops, VMCS loaded inside. */
void vmx_inject_exception(struct hvm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code);
void vmx_get_sregs(struct hvm_vcpu *vcpu, struct hvm_sregs *sregs);
int vmx_set_sregs(struct hvm_vcpu *vcpu, const struct hvm_sregs *sregs);
int vmx_get_msr(struct hvm_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct hvm_vcpu *vcpu, u32 index, u64 data);

/* vmx_irq.c: event injection, windows, TPR, PAUSE (SDM 3C 25-27). */
int vmx_irq_read_config(u32 msr_proc);
int vmx_irq_vcpu_alloc(struct vmx_vcpu *vmx);
void vmx_irq_vcpu_free(struct vmx_vcpu *vmx);
/* Caller has the VMCS current. */
void vmx_irq_write_controls(struct vmx_vcpu *vmx);
/* IRQs off, guest_cpu published: everything injected at this entry. */
void vmx_irq_before_entry(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx);
/* After a VM exit, IRQs on, before the exit is decoded. */
void vmx_irq_after_exit(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx,
			u32 reason);
/* After VMfail or an entry refused for its guest state. */
void vmx_irq_entry_failed(struct hvm_vcpu *vcpu, struct vmx_vcpu *vmx);
/* The kind of the exits vmx_irq.c owns (windows, PAUSE, TPR). */
enum hvm_exit_kind vmx_irq_exit_kind(struct hvm_vcpu *vcpu,
				     struct vmx_vcpu *vmx, u32 reason);
/* The guest's CR8 (TPR bits 7:4): MOV CR8 exits and sregs. */
u8 vmx_get_cr8(struct hvm_vcpu *vcpu);
void vmx_set_cr8(struct hvm_vcpu *vcpu, u8 cr8);
/* Backend ops (hvm.h); VMCS loaded inside. */
bool vmx_irq_allowed(struct hvm_vcpu *vcpu);
bool vmx_nmi_allowed(struct hvm_vcpu *vcpu);
void vmx_inject_irq(struct hvm_vcpu *vcpu, u8 vector);
void vmx_inject_nmi(struct hvm_vcpu *vcpu);
void vmx_request_irq_window(struct hvm_vcpu *vcpu);
void vmx_request_nmi_window(struct hvm_vcpu *vcpu);
void vmx_reset_events(struct hvm_vcpu *vcpu);

/*
 * EPT entries (SDM vol. 3C 29.3): present when any of R/W/X is set,
 * non-leaf entries grant all and the leaf decides; leaves carry memory
 * type WB and let the guest's PAT combine with it.  Accessed/dirty flags
 * are off in the EPTP, so the CPU never writes to these tables.
 */
extern struct hvm_pt_format vmx_ept_format;

/*
 * vmx_entry.S: load guest GPRs from gprs[], VMLAUNCH (launched false) or
 * VMRESUME, store them back.  0 after a VM exit, 1 when the instruction
 * itself failed (read VM_INSTRUCTION_ERROR).
 */
int hvm_vmx_enter(u64 *gprs, bool launched);
/* Where the CPU continues after a VM exit: HOST_RIP. */
void hvm_vmx_exit_point(void);

/*
 * VMX instructions.  VMREAD/VMWRITE fail only on a field this code does not
 * know or with no current VMCS, both bugs: warn and carry on.
 */
static inline u64 vmx_read(unsigned long field)
{
	unsigned long value;

	asm volatile("vmread %[field], %[value]"
		     : [value] "=rm" (value) : [field] "r" (field) : "cc");
	return value;
}

static inline void vmx_write(unsigned long field, u64 value)
{
	bool failed;

	asm volatile("vmwrite %[value], %[field]" CC_SET(na)
		     : CC_OUT(na) (failed)
		     : [field] "r" (field), [value] "rm" ((unsigned long)value)
		     : "cc");
	if (unlikely(failed))
		pr_warn_ratelimited("hvm: vmx: VMWRITE %#lx failed\n", field);
}

static inline bool vmx_vmclear(u64 pa)
{
	bool failed;

	asm volatile("vmclear %[pa]" CC_SET(na)
		     : CC_OUT(na) (failed) : [pa] "m" (pa) : "cc", "memory");
	return !failed;
}

static inline bool vmx_vmptrld(u64 pa)
{
	bool failed;

	asm volatile("vmptrld %[pa]" CC_SET(na)
		     : CC_OUT(na) (failed) : [pa] "m" (pa) : "cc", "memory");
	return !failed;
}

/* INVEPT/INVVPID descriptors, SDM vol. 3C 30.3. */
static inline void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static inline void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, addr; } desc = { vpid, 0 };

	asm volatile("invvpid %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

#endif /* HVM_VMX_H */
