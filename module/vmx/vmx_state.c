// SPDX-License-Identifier: GPL-2.0
/*
 * hvm Intel VMX: guest register state seen by the core and by exits that
 * finish in the backend (control and debug register accesses), converted
 * between the uapi's SVM-style layout and the VMCS.
 */
#define pr_fmt(fmt) "hvm: vmx: " fmt

#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/trapnr.h>

#include "vmx.h"

#define VMX_PAT_DEFAULT		0x0007040600070406ULL

/* Access rights (SDM 24.4.1): the uapi's SVM packing moves bits 8-11 up. */
#define VMX_AR_CODE_RESET	0x9b	/* P, S, code, read, accessed */
#define VMX_AR_DATA_RESET	0x93	/* P, S, data, write, accessed */
#define VMX_AR_TSS_RESET	0x8b	/* P, 32-bit busy TSS */
#define VMX_AR_LDT_RESET	0x82	/* P, LDT */

/* Exit qualification of control-register accesses (SDM table 28-3). */
#define CR_QUAL_NUM(q)		((q) & 0xf)
#define CR_QUAL_TYPE(q)		(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)		(((q) >> 8) & 0xf)
#define CR_QUAL_LMSW(q)		(((q) >> 16) & 0xffff)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3

/* ---- control registers -------------------------------------------------- */

/*
 * Bits the host owns: the fixed ones VMX imposes (minus PE/PG, which
 * unrestricted guest frees).  The guest reads them from the shadow, and
 * a write that changes them exits.
 */
u64 vmx_cr0_host_mask(void)
{
	return (vmx_cfg.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG)) |
	       ~vmx_cfg.cr0_fixed1;
}

u64 vmx_cr4_host_mask(void)
{
	return vmx_cfg.cr4_fixed0 | ~vmx_cfg.cr4_fixed1;
}

static u64 vmx_guest_cr0(void)
{
	u64 mask = vmx_cr0_host_mask();

	return (vmx_read(GUEST_CR0) & ~mask) | (vmx_read(CR0_READ_SHADOW) & mask);
}

u64 vmx_guest_cr4(void)
{
	u64 mask = vmx_cr4_host_mask();

	return (vmx_read(GUEST_CR4) & ~mask) | (vmx_read(CR4_READ_SHADOW) & mask);
}

static void vmx_write_cr0(u64 cr0)
{
	u64 real = (cr0 | (vmx_cfg.cr0_fixed0 &
			   ~(u64)(X86_CR0_PE | X86_CR0_PG))) & vmx_cfg.cr0_fixed1;

	vmx_write(GUEST_CR0, real);
	vmx_write(CR0_READ_SHADOW, cr0);
}

static void vmx_write_cr4(u64 cr4)
{
	vmx_write(GUEST_CR4, (cr4 | vmx_cfg.cr4_fixed0) & vmx_cfg.cr4_fixed1);
	vmx_write(CR4_READ_SHADOW, cr4);
}

/* Keep the "IA-32e mode guest" entry control equal to EFER.LMA. */
void vmx_write_efer(u64 efer)
{
	u32 entry = vmx_cfg.entry;

	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmx_write(GUEST_IA32_EFER, efer);
	vmx_write(VM_ENTRY_CONTROLS, entry);
}

/*
 * With EPT, PAE paging outside long mode takes its four PDPTEs from the
 * VMCS at entry (SDM 26.3.2.4); load them whenever software, not the
 * guest's own MOV CR, changes the paging mode or CR3.
 */
static void vmx_load_pdptrs(struct hvm_vcpu *vcpu, u64 cr0, u64 cr3, u64 cr4,
			    u64 efer)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) || (efer & EFER_LMA))
		return;
	/* Reading guest memory may sleep: vmx_vcpu_run() does it. */
	vmx->pdptr_gpa = cr3 & ~0x1fULL;
	vmx->pdptr_pending = true;
}

void vmx_queue_exception(struct vmx_vcpu *vmx, u8 vector, bool has_error,
			 u32 error_code)
{
	u32 type = vmx->inject_info & INTR_INFO_INTR_TYPE_MASK;

	/* An interrupt or NMI cut short is not lost: it goes in after. */
	if ((vmx->inject_info & INTR_INFO_VALID_MASK) &&
	    (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR))
		vmx->deferred_info = vmx->inject_info;
	hvm_note_injection(vmx->vcpu, vector, has_error, error_code);
	vmx->inject_len = 0;
	vmx->inject_info = vector | INTR_TYPE_HARD_EXCEPTION |
			   INTR_INFO_VALID_MASK |
			   (has_error ? INTR_INFO_DELIVER_CODE_MASK : 0);
	vmx->inject_error = error_code;
}

void vmx_inject_exception(struct hvm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code)
{
	vmx_queue_exception(vcpu->arch, vector, has_error, error_code);
}

void vmx_flush_guest_tlb(struct vmx_vcpu *vmx)
{
	if (vmx_cfg.invvpid_single)
		vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
	else
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
}

static bool vmx_guest_long_mode(void)
{
	return (vmx_read(GUEST_IA32_EFER) & EFER_LMA) &&
	       (vmx_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

/* MOV to CR0 or LMSW that touched a host-owned bit: checks of SDM vol. 2. */
static bool vmx_set_cr0(struct hvm_vcpu *vcpu, u64 cr0)
{
	u64 efer = vmx_read(GUEST_IA32_EFER);
	u64 old = vmx_guest_cr0();
	u64 cr4 = vmx_guest_cr4();

	if (cr0 >> 32 || ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)) ||
	    ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)))
		return false;
	if ((cr0 & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE))
			return false;
		vmx_write_efer(efer | EFER_LMA);
	} else if (!(cr0 & X86_CR0_PG) && (old & X86_CR0_PG) &&
		   (efer & EFER_LMA)) {
		vmx_write_efer(efer & ~EFER_LMA);
	}
	vmx_write_cr0(cr0);
	if ((cr0 ^ old) & X86_CR0_PG) {
		vmx_load_pdptrs(vcpu, cr0, vmx_read(GUEST_CR3), cr4,
				vmx_read(GUEST_IA32_EFER));
		vmx_flush_guest_tlb(vcpu->arch);
	}
	return true;
}

static bool vmx_set_cr4(struct hvm_vcpu *vcpu, u64 cr4)
{
	u64 efer = vmx_read(GUEST_IA32_EFER);
	u64 old = vmx_guest_cr4();

	/* VMXE is ours: the guest is offered no VMX. */
	if ((cr4 & ~vmx_cfg.cr4_fixed1) || (cr4 & X86_CR4_VMXE))
		return false;
	if ((efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return false;
	vmx_write_cr4(cr4);
	if ((cr4 ^ old) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE |
			   X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP)) {
		vmx_load_pdptrs(vcpu, vmx_guest_cr0(), vmx_read(GUEST_CR3), cr4,
				efer);
		vmx_flush_guest_tlb(vcpu->arch);
	}
	return true;
}

void vmx_handle_cr_access(struct hvm_vcpu *vcpu, u64 qual)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 *gpr = &vcpu->gprs[CR_QUAL_GPR(qual)];
	u64 value = *gpr;
	bool ok = true;

	if (!vmx_guest_long_mode())
		value = (u32)value;
	switch (CR_QUAL_TYPE(qual)) {
	case CR_TYPE_MOV_TO:
		switch (CR_QUAL_NUM(qual)) {
		case 0:
			ok = vmx_set_cr0(vcpu, value);
			break;
		case 3:
			vmx_write(GUEST_CR3, value);
			vmx_load_pdptrs(vcpu, vmx_guest_cr0(), value,
					vmx_guest_cr4(),
					vmx_read(GUEST_IA32_EFER));
			vmx_flush_guest_tlb(vmx);
			break;
		case 4:
			ok = vmx_set_cr4(vcpu, value);
			break;
		case 8:
			if (value & ~0xfULL)
				ok = false;
			else
				vmx_set_cr8(vcpu, value);
			break;
		default:
			ok = false;
			break;
		}
		break;
	case CR_TYPE_MOV_FROM:
		if (CR_QUAL_NUM(qual) == 3)
			*gpr = vmx_read(GUEST_CR3);
		else if (CR_QUAL_NUM(qual) == 8)
			*gpr = vmx_get_cr8(vcpu);
		else
			ok = false;
		break;
	case CR_TYPE_CLTS:
		vmx_write_cr0(vmx_guest_cr0() & ~(u64)X86_CR0_TS);
		break;
	case CR_TYPE_LMSW:
		/* LMSW loads PE, MP, EM, TS and cannot clear PE. */
		value = vmx_guest_cr0();
		ok = vmx_set_cr0(vcpu, (value & ~0xeULL) |
				 (CR_QUAL_LMSW(qual) & 0xf) |
				 (value & X86_CR0_PE));
		break;
	}
	if (!ok) {
		vmx_queue_exception(vmx, GP_VECTOR, true, 0);
		return;
	}
	vcpu->rip += vmx_read(VM_EXIT_INSTRUCTION_LEN);
}

/* MOV DR: the vCPU's own registers (debugreg.c). */
void vmx_handle_dr_access(struct hvm_vcpu *vcpu, u64 qual)
{
	int vector;

	vector = hvm_dr_mov(vcpu, qual & DEBUG_REG_ACCESS_NUM,
			    (qual & DEBUG_REG_ACCESS_TYPE) == TYPE_MOV_TO_DR,
			    DEBUG_REG_ACCESS_REG(qual),
			    vmx_guest_cr4() & X86_CR4_DE, vmx_guest_long_mode(),
			    (vmx_read(GUEST_SS_AR_BYTES) >> 5) & 3);
	if (vector) {
		vmx_queue_exception(vcpu->arch, vector, vector == X86_TRAP_GP, 0);
		return;
	}
	vcpu->rip += vmx_read(VM_EXIT_INSTRUCTION_LEN);
}

static void vmx_set_seg(unsigned int index, u16 sel, u32 ar, u32 limit,
			u64 base)
{
	/* The eight segment registers' fields are two apart (SDM B.1-B.4). */
	vmx_write(GUEST_ES_SELECTOR + index * 2, sel);
	vmx_write(GUEST_ES_AR_BYTES + index * 2, ar);
	vmx_write(GUEST_ES_LIMIT + index * 2, limit);
	vmx_write(GUEST_ES_BASE + index * 2, base);
}

/* Architectural reset state (SDM 10.1.1), entry at F000:FFF0. */
void vmx_reset_state(struct hvm_vcpu *vcpu)
{
	vmx_set_seg(VMX_CS, 0xf000, VMX_AR_CODE_RESET, 0xffff, 0xffff0000);
	vmx_set_seg(VMX_DS, 0, VMX_AR_DATA_RESET, 0xffff, 0);
	vmx_set_seg(VMX_ES, 0, VMX_AR_DATA_RESET, 0xffff, 0);
	vmx_set_seg(VMX_FS, 0, VMX_AR_DATA_RESET, 0xffff, 0);
	vmx_set_seg(VMX_GS, 0, VMX_AR_DATA_RESET, 0xffff, 0);
	vmx_set_seg(VMX_SS, 0, VMX_AR_DATA_RESET, 0xffff, 0);
	vmx_set_seg(VMX_TR, 0, VMX_AR_TSS_RESET, 0xffff, 0);
	vmx_set_seg(VMX_LDTR, 0, VMX_AR_LDT_RESET, 0xffff, 0);
	vmx_write(GUEST_GDTR_BASE, 0);
	vmx_write(GUEST_GDTR_LIMIT, 0xffff);
	vmx_write(GUEST_IDTR_BASE, 0);
	vmx_write(GUEST_IDTR_LIMIT, 0xffff);
	vmx_write_cr0(X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmx_write(GUEST_CR3, 0);
	vmx_write_cr4(0);
	vmx_write_efer(0);
	vmx_write(GUEST_IA32_PAT, VMX_PAT_DEFAULT);
	hvm_dr_reset(vcpu);
	vmx_write(GUEST_DR7, hvm_dr7_hw(vcpu));
	vmx_write(GUEST_IA32_DEBUGCTL, 0);
	vmx_write(GUEST_SYSENTER_CS, 0);
	vmx_write(GUEST_SYSENTER_ESP, 0);
	vmx_write(GUEST_SYSENTER_EIP, 0);
	vmx_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmx_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmx_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
}

/* ---- guest state -------------------------------------------------------- */

static void vmx_get_seg(unsigned int index, struct hvm_segment *out)
{
	u32 ar = vmx_read(GUEST_ES_AR_BYTES + index * 2);

	out->base = vmx_read(GUEST_ES_BASE + index * 2);
	out->limit = vmx_read(GUEST_ES_LIMIT + index * 2);
	out->selector = vmx_read(GUEST_ES_SELECTOR + index * 2);
	/* Unusable reads as not present, as SVM stores such a segment. */
	if (ar & VMX_AR_UNUSABLE_MASK)
		out->attrib = 0;
	else
		out->attrib = (ar & 0xff) | ((ar >> 4) & 0xf00);
}

static void vmx_put_seg(unsigned int index, const struct hvm_segment *in)
{
	u32 ar = (in->attrib & 0xff) | ((in->attrib & 0xf00) << 4);

	if (!(ar & VMX_AR_P_MASK))
		ar = VMX_AR_UNUSABLE_MASK;
	else if (ar & VMX_AR_S_MASK)
		/* The CPU sets it on any load; VM entry insists on it. */
		ar |= VMX_AR_TYPE_ACCESSES_MASK;
	vmx_set_seg(index, in->selector, ar, in->limit, in->base);
}

void vmx_get_sregs(struct hvm_vcpu *vcpu, struct hvm_sregs *sregs)
{
	struct vmx_vcpu *vmx = vmx_vcpu_get(vcpu);

	vmx_get_seg(VMX_CS, &sregs->cs);
	vmx_get_seg(VMX_DS, &sregs->ds);
	vmx_get_seg(VMX_ES, &sregs->es);
	vmx_get_seg(VMX_FS, &sregs->fs);
	vmx_get_seg(VMX_GS, &sregs->gs);
	vmx_get_seg(VMX_SS, &sregs->ss);
	vmx_get_seg(VMX_TR, &sregs->tr);
	vmx_get_seg(VMX_LDTR, &sregs->ldt);
	sregs->gdt.base = vmx_read(GUEST_GDTR_BASE);
	sregs->gdt.limit = vmx_read(GUEST_GDTR_LIMIT);
	sregs->idt.base = vmx_read(GUEST_IDTR_BASE);
	sregs->idt.limit = vmx_read(GUEST_IDTR_LIMIT);
	sregs->cr0 = vmx_guest_cr0();
	sregs->cr2 = vmx->cr2;
	sregs->cr3 = vmx_read(GUEST_CR3);
	sregs->cr4 = vmx_guest_cr4();
	sregs->cr8 = vmx_get_cr8(vcpu);
	sregs->efer = vmx_read(GUEST_IA32_EFER);
	vmx_vcpu_put();
}

#define VMX_GUEST_EFER_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

int vmx_set_sregs(struct hvm_vcpu *vcpu, const struct hvm_sregs *sregs)
{
	struct vmx_vcpu *vmx;

	/* The rest is checked by VM entry itself and reported as FAIL_ENTRY. */
	if ((sregs->efer & ~VMX_GUEST_EFER_BITS) || sregs->cr0 >> 32 ||
	    (sregs->cr4 & ~vmx_cfg.cr4_fixed1) || (sregs->cr4 & X86_CR4_VMXE) ||
	    sregs->cr8 > 0xf ||
	    sregs->gdt.limit > 0xffff || sregs->idt.limit > 0xffff)
		return -EINVAL;

	vmx = vmx_vcpu_get(vcpu);
	vmx_put_seg(VMX_CS, &sregs->cs);
	vmx_put_seg(VMX_DS, &sregs->ds);
	vmx_put_seg(VMX_ES, &sregs->es);
	vmx_put_seg(VMX_FS, &sregs->fs);
	vmx_put_seg(VMX_GS, &sregs->gs);
	vmx_put_seg(VMX_SS, &sregs->ss);
	vmx_put_seg(VMX_TR, &sregs->tr);
	vmx_put_seg(VMX_LDTR, &sregs->ldt);
	vmx_write(GUEST_GDTR_BASE, sregs->gdt.base);
	vmx_write(GUEST_GDTR_LIMIT, sregs->gdt.limit);
	vmx_write(GUEST_IDTR_BASE, sregs->idt.base);
	vmx_write(GUEST_IDTR_LIMIT, sregs->idt.limit);
	vmx_write_cr0(sregs->cr0);
	vmx->cr2 = sregs->cr2;
	vmx_set_cr8(vcpu, sregs->cr8);
	vmx_write(GUEST_CR3, sregs->cr3);
	vmx_write_cr4(sregs->cr4);
	vmx_write_efer(sregs->efer);
	vmx_load_pdptrs(vcpu, sregs->cr0, sregs->cr3, sregs->cr4, sregs->efer);
	/* New paging state: nothing cached under this VPID may survive. */
	vmx_flush_guest_tlb(vmx);
	vmx_vcpu_put();
	return 0;
}

int vmx_get_msr(struct hvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u32 field;

	switch (index) {
	case MSR_STAR:
		*data = vmx->star;
		return 0;
	case MSR_LSTAR:
		*data = vmx->lstar;
		return 0;
	case MSR_CSTAR:
		*data = vmx->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vmx->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = vmx->kernel_gs_base;
		return 0;
	case MSR_TSC_AUX:
		*data = vmx->tsc_aux;
		return 0;
	case MSR_EFER:
		field = GUEST_IA32_EFER;
		break;
	case MSR_FS_BASE:
		field = GUEST_FS_BASE;
		break;
	case MSR_GS_BASE:
		field = GUEST_GS_BASE;
		break;
	case MSR_IA32_SYSENTER_CS:
		field = GUEST_SYSENTER_CS;
		break;
	case MSR_IA32_SYSENTER_ESP:
		field = GUEST_SYSENTER_ESP;
		break;
	case MSR_IA32_SYSENTER_EIP:
		field = GUEST_SYSENTER_EIP;
		break;
	case MSR_IA32_CR_PAT:
		field = GUEST_IA32_PAT;
		break;
	case MSR_IA32_TSC:
		field = TSC_OFFSET;
		break;
	default:
		return -ENOENT;
	}
	vmx_vcpu_get(vcpu);
	*data = vmx_read(field);
	if (index == MSR_IA32_TSC)
		*data += rdtsc();
	vmx_vcpu_put();
	return 0;
}

/* MSRs held in the VMCS, after their values were checked. */
static int vmx_set_vmcs_msr(struct hvm_vcpu *vcpu, u32 index, u64 data)
{
	int ret = 0;

	vmx_vcpu_get(vcpu);
	switch (index) {
	case MSR_EFER: {
		u64 old = vmx_read(GUEST_IA32_EFER);

		/* LME cannot change while paging is on; LMA is read-only. */
		if ((vmx_guest_cr0() & X86_CR0_PG) && ((data ^ old) & EFER_LME))
			ret = -EINVAL;
		else
			vmx_write_efer((data & ~EFER_LMA) | (old & EFER_LMA));
		break;
	}
	case MSR_IA32_SYSENTER_CS:
		vmx_write(GUEST_SYSENTER_CS, (u32)data);
		break;
	case MSR_IA32_CR_PAT:
		vmx_write(GUEST_IA32_PAT, data);
		break;
	case MSR_IA32_TSC:
		vmx_write(TSC_OFFSET, data - rdtsc());
		break;
	case MSR_FS_BASE:
		vmx_write(GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		vmx_write(GUEST_GS_BASE, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmx_write(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmx_write(GUEST_SYSENTER_EIP, data);
		break;
	default:
		ret = -ENOENT;
		break;
	}
	vmx_vcpu_put();
	return ret;
}

int vmx_set_msr(struct hvm_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	switch (index) {
	case MSR_EFER:
		if (data & ~VMX_GUEST_EFER_BITS)
			return -EINVAL;
		return vmx_set_vmcs_msr(vcpu, index, data);
	case MSR_STAR:
		vmx->star = data;
		return 0;
	case MSR_SYSCALL_MASK:
		vmx->sfmask = (u32)data;
		return 0;
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_TSC:
		return vmx_set_vmcs_msr(vcpu, index, data);
	case MSR_IA32_CR_PAT:
		if (!hvm_pat_valid(data))
			return -EINVAL;
		return vmx_set_vmcs_msr(vcpu, index, data);
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vmx->tsc_aux = data;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* These hold addresses; WRMSR of one would #GP the host. */
		if (!hvm_is_canonical(data))
			return -EINVAL;
		break;
	default:
		return -ENOENT;
	}
	switch (index) {
	case MSR_LSTAR:
		vmx->lstar = data;
		return 0;
	case MSR_CSTAR:
		vmx->cstar = data;
		return 0;
	case MSR_KERNEL_GS_BASE:
		vmx->kernel_gs_base = data;
		return 0;
	default:
		return vmx_set_vmcs_msr(vcpu, index, data);
	}
}
