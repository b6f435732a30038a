/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm in-kernel local APIC (lapic.c) and interrupt delivery (irq.c).
 *
 * Concurrency: IRR (and the NMI/INIT/SIPI requests) are set by any sender
 * (another vCPU's ICR write, the ring's MSI ioctl, the timer's hrtimer)
 * with atomic bit operations, followed by hvm_vcpu_kick().  Everything
 * else is owned by the vCPU's thread (under its mutex), which moves
 * vectors from IRR to ISR at injection.  Senders read the destination
 * registers (ID, LDR, DFR, SVR) without locks.
 */
#ifndef HVM_LAPIC_H
#define HVM_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/bitmap.h>

struct hvm_vm;
struct hvm_vcpu;

#define HVM_APIC_DEFAULT_BASE	0xfee00000ULL
#define HVM_APIC_NR_LVT		6	/* timer, thermal, perfmon, LINT0/1, error */

/* Pending requests that are not vectors: bits of hvm_lapic.events. */
#define HVM_APIC_EV_NMI		0
#define HVM_APIC_EV_INIT	1
#define HVM_APIC_EV_SIPI	2

struct hvm_lapic {
	struct hvm_vcpu *vcpu;
	u64 base_msr;		/* IA32_APIC_BASE */
	u32 id;			/* APIC ID register (ID in 31:24) */
	u32 tpr;
	u32 ldr;
	u32 dfr;
	u32 svr;
	u32 esr;
	u32 icr_hi;
	u32 icr_lo;
	u32 lvt[HVM_APIC_NR_LVT];
	u32 tdcr;		/* divide configuration */
	u32 tmict;		/* initial count */

	DECLARE_BITMAP(irr, 256);
	DECLARE_BITMAP(isr, 256);
	DECLARE_BITMAP(tmr, 256);
	unsigned long events;	/* HVM_APIC_EV_* */
	u8 sipi_vector;		/* written before HVM_APIC_EV_SIPI is set */

	/* One-shot, periodic and TSC-deadline timer. */
	struct hrtimer timer;
	u64 period_ns;		/* periodic: the period; else 0 */
	ktime_t timer_start;	/* when the initial count was loaded */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE as written */
};

/* lapic.c: per vCPU; the destroy cancels the timer. */
int hvm_lapic_create(struct hvm_vcpu *vcpu);
void hvm_lapic_destroy(struct hvm_vcpu *vcpu);
/* INIT: every register back to reset except the ID and APIC_BASE. */
void hvm_lapic_init_reset(struct hvm_vcpu *vcpu);
/* Whether gpa falls in the vCPU's enabled xAPIC page. */
bool hvm_lapic_mmio_hit(struct hvm_vcpu *vcpu, u64 gpa);
int hvm_lapic_mmio_read(struct hvm_vcpu *vcpu, u64 gpa, unsigned int size,
			u64 *val);
int hvm_lapic_mmio_write(struct hvm_vcpu *vcpu, u64 gpa, unsigned int size,
			 u64 val);
/*
 * The APIC's MSRs (APIC_BASE, TSC_DEADLINE): 0 done, -EINVAL for #GP,
 * -ENOENT for an MSR the APIC does not own.
 */
int hvm_lapic_msr(struct hvm_vcpu *vcpu, u32 index, bool is_write, u64 *data);
/* The highest vector IRR holds above PPR, or -1. */
int hvm_lapic_pending_vector(struct hvm_lapic *apic);
/* IRR -> ISR for a vector the backend injected. */
void hvm_lapic_accept(struct hvm_lapic *apic, u8 vector);
/* A sender's fixed interrupt: 1 if the APIC accepted it, else 0. */
int hvm_lapic_set_irq(struct hvm_lapic *apic, u8 vector, bool level);
bool hvm_lapic_sw_enabled(struct hvm_lapic *apic);
/* Whether a message for dest (physical or logical) reaches this APIC. */
bool hvm_lapic_match_dest(struct hvm_lapic *apic, u32 dest, bool logical);

/* irq.c */
/*
 * Deliver one interrupt message (ICR or MSI): delivery mode APIC_DM_*,
 * destination by ID or logical, shorthand APIC_DEST_* (0 for none).
 * Returns how many APICs accepted it.  Any context but hard IRQ; the
 * sender's vCPU (or NULL) for the self shorthands.
 */
int hvm_irq_deliver(struct hvm_vm *vm, struct hvm_vcpu *src, u32 mode,
		    u8 vector, u32 dest, bool logical, u32 shorthand,
		    bool level);
/* Make a vCPU notice new events: IPI it out of guest mode, wake it. */
void hvm_vcpu_kick(struct hvm_vcpu *vcpu);
/* Module unload: wait for kicks in flight. */
void hvm_irq_exit(void);

#endif /* HVM_LAPIC_H */
