// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: interrupt delivery between local APICs, and into the guest.
 *
 * A sender sets the target's IRR bit (or an NMI/INIT/SIPI request) with an
 * atomic operation, then kicks: a target in guest mode on another CPU gets
 * an IPI, which ends guest mode; a sleeping one is woken.  The target
 * publishes guest_cpu with IRQs off, then (hvm_irq_before_entry) looks at
 * its APIC again, so an event set before the publication is seen there
 * and one set after it finds guest_cpu and kicks.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/apicdef.h>

#include "hvm.h"

/*
 * One kick in flight per target CPU: the per-CPU call_single_data may be
 * reused only once its function ran, and a pending IPI already ends guest
 * mode on that CPU.  Per CPU, not per vCPU, so that nothing in flight
 * points into a vCPU being freed.
 */
static DEFINE_PER_CPU(call_single_data_t, hvm_kick_csd);
static DEFINE_PER_CPU(atomic_t, hvm_kick_busy);

static void hvm_kick_done(void *info)
{
	atomic_set_release(this_cpu_ptr(&hvm_kick_busy), 0);
}

static void hvm_kick_cpu(int cpu)
{
	call_single_data_t *csd = per_cpu_ptr(&hvm_kick_csd, cpu);

	if (atomic_xchg(per_cpu_ptr(&hvm_kick_busy, cpu), 1))
		return;
	INIT_CSD(csd, hvm_kick_done, NULL);
	if (smp_call_function_single_async(cpu, csd))
		atomic_set(per_cpu_ptr(&hvm_kick_busy, cpu), 0);
}

void hvm_irq_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		while (atomic_read_acquire(per_cpu_ptr(&hvm_kick_busy, cpu)))
			cpu_relax();
}

void hvm_vcpu_kick(struct hvm_vcpu *vcpu)
{
	int cpu;

	/* The event's bit before guest_cpu: pairs with the entry's smp_mb. */
	smp_mb__after_atomic();
	cpu = READ_ONCE(vcpu->guest_cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		hvm_kick_cpu(cpu);
	wake_up(&vcpu->irq_wq);
}

bool hvm_irqchip_supported(void)
{
	return hvm_ops->irq_allowed && hvm_ops->nmi_allowed &&
	       hvm_ops->inject_irq && hvm_ops->inject_nmi &&
	       hvm_ops->request_irq_window && hvm_ops->request_nmi_window &&
	       hvm_ops->reset_events;
}

static int hvm_irq_deliver_one(struct hvm_vcpu *vcpu, u32 mode, u8 vector,
			       bool level)
{
	struct hvm_lapic *apic = &vcpu->apic;

	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!hvm_lapic_set_irq(apic, vector, level))
			return 0;
		break;
	case APIC_DM_NMI:
		set_bit(HVM_APIC_EV_NMI, &apic->events);
		break;
	case APIC_DM_INIT:
		set_bit(HVM_APIC_EV_INIT, &apic->events);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(apic->sipi_vector, vector);
		/* The vector before the request: pairs with test_and_clear. */
		smp_mb__before_atomic();
		set_bit(HVM_APIC_EV_SIPI, &apic->events);
		break;
	default:
		return 0;	/* SMI, ExtINT: nothing here takes them */
	}
	hvm_vcpu_kick(vcpu);
	return 1;
}

int hvm_irq_deliver(struct hvm_vm *vm, struct hvm_vcpu *src, u32 mode,
		    u8 vector, u32 dest, bool logical, u32 shorthand,
		    bool level)
{
	struct hvm_vcpu *lowest = NULL;
	int i, accepted = 0;

	rcu_read_lock();
	for (i = 0; i < HVM_MAX_VCPUS; i++) {
		struct hvm_vcpu *vcpu = rcu_dereference(vm->vcpus[i]);
		bool match;

		if (!vcpu || !vcpu->apic.vcpu)
			continue;
		switch (shorthand) {
		case APIC_DEST_SELF:
			match = vcpu == src;
			break;
		case APIC_DEST_ALLINC:
			match = true;
			break;
		case APIC_DEST_ALLBUT:
			match = vcpu != src;
			break;
		default:
			match = hvm_lapic_match_dest(&vcpu->apic, dest, logical);
			break;
		}
		if (!match)
			continue;
		if (mode == APIC_DM_LOWEST) {
			/* The lowest TPR wins; ties go to the lowest ID. */
			if (hvm_lapic_sw_enabled(&vcpu->apic) &&
			    (!lowest || READ_ONCE(vcpu->apic.tpr) <
					READ_ONCE(lowest->apic.tpr)))
				lowest = vcpu;
			continue;
		}
		accepted += hvm_irq_deliver_one(vcpu, mode, vector, level);
	}
	if (lowest)
		accepted += hvm_irq_deliver_one(lowest, mode, vector, level);
	rcu_read_unlock();
	return accepted;
}

void hvm_irq_before_entry(struct hvm_vcpu *vcpu)
{
	struct hvm_lapic *apic = &vcpu->apic;
	int vector;

	lockdep_assert_irqs_disabled();
	if (!apic->vcpu)
		return;
	if (test_bit(HVM_APIC_EV_NMI, &apic->events)) {
		if (hvm_ops->nmi_allowed(vcpu)) {
			clear_bit(HVM_APIC_EV_NMI, &apic->events);
			hvm_ops->inject_nmi(vcpu);
		} else {
			hvm_ops->request_nmi_window(vcpu);
		}
	}
	vector = hvm_lapic_pending_vector(apic);
	if (vector < 0)
		return;
	if (hvm_ops->irq_allowed(vcpu)) {
		hvm_lapic_accept(apic, vector);
		hvm_ops->inject_irq(vcpu, vector);
	} else {
		hvm_ops->request_irq_window(vcpu);
	}
}
