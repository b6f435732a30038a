// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debug registers, vendor neutral (Intel SDM vol. 3B ch. 18, AMD APM
 * vol. 2 ch. 13).  Every vCPU owns DR0-3, DR6 and DR7 (vcpu->dbg).  All
 * MOV DR instructions exit and are emulated here; #DB always exits and is
 * reflected through hvm_dr_deliver_db().  The guest's DR0-3 reach the
 * hardware only around an entry whose DR7 arms a breakpoint, and the
 * host's own breakpoints are back before anything else runs in the host.
 */
#include <linux/bits.h>
#include <linux/percpu.h>
#include <asm/processor.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>

#include "hvm.h"

/* DR6 bits software can change; the rest read as DR6_RESERVED has them. */
#define HVM_DR6_WRITABLE	(DR_TRAP_BITS | HVM_DR6_BD | HVM_DR6_BS | \
				 HVM_DR6_BT)
/* DR7: bit 10 reads as one; bits 11, 12, 14, 15 and 63:32 are reserved. */
#define HVM_DR7_FIXED		0x400ULL
#define HVM_DR7_WRITABLE	0xffff23ffULL
/* L0-3 and G0-3: an armed breakpoint needs the guest's DR0-3 loaded. */
#define HVM_DR7_ENABLES		(DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK)

void hvm_dr_reset(struct hvm_vcpu *vcpu)
{
	memset(&vcpu->dbg, 0, sizeof(vcpu->dbg));
	vcpu->dbg.dr6 = DR6_RESERVED;
	vcpu->dbg.dr7 = HVM_DR7_FIXED;
}

static u64 hvm_dr6_value(u64 val)
{
	return (val & HVM_DR6_WRITABLE) | DR6_RESERVED;
}

static u64 hvm_dr7_value(u64 val)
{
	return (val & HVM_DR7_WRITABLE) | HVM_DR7_FIXED;
}

void hvm_dr_deliver_db(struct hvm_vcpu *vcpu, u64 payload)
{
	u64 dr6 = vcpu->dbg.dr6 & ~(u64)DR_TRAP_BITS;

	dr6 |= payload & HVM_DR6_WRITABLE;
	/* RTM and bus-lock flags are active low in DR6. */
	dr6 &= ~(payload & (HVM_DR6_RTM | DR_BUS_LOCK));
	vcpu->dbg.dr6 = dr6;
	/* The CPU clears GD on entry to the #DB handler (SDM 18.2.4). */
	vcpu->dbg.dr7 &= ~HVM_DR7_GD;
}

int hvm_dr_mov(struct hvm_vcpu *vcpu, unsigned int dr, bool to_dr,
	       unsigned int gpr, bool cr4_de, bool op64, unsigned int cpl)
{
	u64 *reg = &vcpu->gprs[gpr];
	u64 val;

	if (cpl)
		return X86_TRAP_GP;
	if (dr == 4 || dr == 5) {
		if (cr4_de)
			return X86_TRAP_UD;
		dr += 2;
	}
	if (dr > 7 || gpr >= HVM_NR_GPRS)
		return X86_TRAP_UD;
	/* A MOV DR exit comes before the general-detect #DB: raise it here. */
	if (vcpu->dbg.dr7 & HVM_DR7_GD) {
		hvm_dr_deliver_db(vcpu, HVM_DR6_BD);
		return X86_TRAP_DB;
	}
	if (!to_dr) {
		if (dr < 4)
			val = vcpu->dbg.db[dr];
		else
			val = dr == 6 ? vcpu->dbg.dr6 : vcpu->dbg.dr7;
		*reg = op64 ? val : (u32)val;
		return 0;
	}
	val = op64 ? *reg : (u32)*reg;
	if (dr < 4) {
		vcpu->dbg.db[dr] = val;
		return 0;
	}
	if (val >> 32)
		return X86_TRAP_GP;
	if (dr == 6)
		vcpu->dbg.dr6 = hvm_dr6_value(val);
	else
		vcpu->dbg.dr7 = hvm_dr7_value(val);
	return 0;
}

/*
 * The host's DR0-3 while a guest's are loaded, when the host has
 * breakpoints armed (IRQs stay off from the load to the restore, on one
 * CPU).  hvm keeps them itself: the kernel's hw_breakpoint_restore() is
 * exported to KVM's modules only on newer kernels.
 */
static DEFINE_PER_CPU(unsigned long[4], hvm_host_db);

bool hvm_dr_load_guest(struct hvm_vcpu *vcpu)
{
	unsigned long *host_db;

	if (!(vcpu->dbg.dr7 & HVM_DR7_ENABLES))
		return false;
	if (hw_breakpoint_active()) {
		host_db = this_cpu_ptr(hvm_host_db);
		get_debugreg(host_db[0], 0);
		get_debugreg(host_db[1], 1);
		get_debugreg(host_db[2], 2);
		get_debugreg(host_db[3], 3);
	}
	/* Host breakpoints off before their address registers change. */
	set_debugreg(0, 7);
	set_debugreg(vcpu->dbg.db[0], 0);
	set_debugreg(vcpu->dbg.db[1], 1);
	set_debugreg(vcpu->dbg.db[2], 2);
	set_debugreg(vcpu->dbg.db[3], 3);
	return true;
}

void hvm_dr_load_host(bool guest_loaded, bool dr6_dirty)
{
	if (hw_breakpoint_active()) {
		/* DR0-3, DR6 and DR7 as the host's hw_breakpoint set them. */
		if (guest_loaded) {
			unsigned long *host_db = this_cpu_ptr(hvm_host_db);

			set_debugreg(host_db[0], 0);
			set_debugreg(host_db[1], 1);
			set_debugreg(host_db[2], 2);
			set_debugreg(host_db[3], 3);
		}
		set_debugreg(DR6_RESERVED, 6);
		set_debugreg(__this_cpu_read(cpu_dr7), 7);
		return;
	}
	/*
	 * No host breakpoint is armed: the guest's DR0-3 may stay, inert,
	 * until the host arms one (it writes the address first).  DR7 and
	 * DR6 are the host's again, so that no guest breakpoint fires and no
	 * guest status bit is read by the host's #DB handler.
	 */
	if (guest_loaded)
		set_debugreg(0, 7);
	if (dr6_dirty)
		set_debugreg(DR6_RESERVED, 6);
}

void hvm_get_debugregs(struct hvm_vcpu *vcpu, struct hvm_debugregs *regs)
{
	memset(regs, 0, sizeof(*regs));
	memcpy(regs->db, vcpu->dbg.db, sizeof(regs->db));
	regs->dr6 = vcpu->dbg.dr6;
	regs->dr7 = vcpu->dbg.dr7;
}

int hvm_set_debugregs(struct hvm_vcpu *vcpu, const struct hvm_debugregs *regs)
{
	unsigned int i;

	if (regs->flags || regs->dr6 >> 32 || regs->dr7 >> 32)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(regs->reserved); i++)
		if (regs->reserved[i])
			return -EINVAL;
	memcpy(vcpu->dbg.db, regs->db, sizeof(vcpu->dbg.db));
	vcpu->dbg.dr6 = hvm_dr6_value(regs->dr6);
	vcpu->dbg.dr7 = hvm_dr7_value(regs->dr7);
	return 0;
}
