// SPDX-License-Identifier: GPL-2.0
/*
 * irq_test's guest: GUEST_PARAM(0) picks the case (IRQ_CASE_* in
 * irq_test.h); rt_sync() hands over to the test, which sends MSIs.
 */
#include "rt.h"
#include "irq_test.h"

static volatile uint64_t count, depth, max_depth, order, isr_ok;
static volatile uint64_t marker_seen, nmi_count, nmi_blocked;
/*
 * The STI case's marker (word 0), alone on its page: the test discards the page, so
 * the store in the shadow exits (a nested page fault) before it is done.
 */
static volatile uint64_t shadow_page[512] __attribute__((aligned(4096)));

static void fixed_handler(struct rt_frame *frame)
{
	uint8_t vector = frame->vector;

	if (++depth > max_depth)
		max_depth = depth;
	order |= (uint64_t)vector << (8 * count);
	/* In service, and PPR raised to its class, while the handler runs. */
	if (apic_isr_has(vector) &&
	    (apic_read(APIC_REG_PPR) & 0xf0) == (vector & 0xf0u))
		isr_ok++;
	marker_seen = shadow_page[0];
	count++;
	depth--;
	apic_eoi();
}

static void nmi_handler(struct rt_frame *frame)
{
	if (++depth > max_depth)
		max_depth = depth;
	if (++nmi_count == 1 && rt_param(0) == IRQ_CASE_NMI) {
		/* A second NMI now must wait for this handler's IRET. */
		apic_send_ipi(0, APIC_ICR_NMI | APIC_ICR_SELF);
		rt_wait_exits(&nmi_count, 2, IRQ_BLOCKED_ROUNDS);
		nmi_blocked = nmi_count == 1;
	}
	depth--;
}

static void case_msi_count(void)
{
	uint64_t k, rounds = rt_param(1);

	for (k = 1; k <= rounds; k++) {
		rt_sync();
		sti();
		rt_wait_exits(&count, k, IRQ_WAIT_ROUNDS);
		/* Room for a second delivery of the same message. */
		rt_wait_exits(&count, k + 1, IRQ_DUP_ROUNDS);
		cli();
	}
	rt_wait_exits(&count, rounds + 1, IRQ_DUP_ROUNDS);
}

static void case_priority(void)
{
	rt_sync();
	rt_report(IRQ_R_IRR, apic_read(APIC_REG_IRR + 0x10) |
		  (uint64_t)apic_read(APIC_REG_IRR + 0x30) << 32);
	sti();
	rt_wait_exits(&count, 3, IRQ_WAIT_ROUNDS);
	cli();
}

static void case_tpr(void)
{
	write_cr8(IRQ_TPR_CLASS);
	rt_report(IRQ_R_TPR, apic_read(APIC_REG_TPR));
	rt_sync();
	sti();
	rt_wait_exits(&count, 2, IRQ_BLOCKED_ROUNDS);
	rt_report(IRQ_R_BEFORE, order);
	apic_write(APIC_REG_TPR, 0);
	rt_wait_exits(&count, 2, IRQ_WAIT_ROUNDS);
	cli();
}

static void case_sti_shadow(void)
{
	shadow_page[0] = 0;
	rt_report(IRQ_R_SHADOW_PAGE, (uint64_t)shadow_page);
	rt_sync();
	rt_wait_exits(&count, 1, IRQ_BLOCKED_ROUNDS);
	rt_report(IRQ_R_BEFORE, count);
	/*
	 * The instruction after STI runs before the interrupt is taken, also
	 * when it exits first and the vCPU enters again inside the shadow.
	 */
	__asm__ volatile("sti; movq $1, %0" : "=m"(shadow_page[0]) : : "memory");
	rt_wait_exits(&count, 1, IRQ_WAIT_ROUNDS);
	cli();
}

static void case_hlt_wakeup(void)
{
	rt_sync();
	while (count < 1)
		sti_hlt();
	cli();
}

static void case_nmi(void)
{
	rt_sync();
	rt_wait_exits(&nmi_count, 2, IRQ_WAIT_ROUNDS);
	rt_report(IRQ_R_NMI_BLOCKED, nmi_blocked);
	rt_report(IRQ_R_NMIS, nmi_count);
}

/*
 * The spurious-interrupt vector register, and software disabling (SDM
 * vol. 3A 11.4.7.2): a pending vector is held in IRR, the LVT masks stick,
 * NMIs still come; re-enabling delivers what was held.
 */
static void case_svr(void)
{
	rt_sync();		/* the test sends IRQ_VECTOR_MID: pending */
	apic_write(APIC_REG_SVR, IRQ_SVR_OFF);
	rt_report(IRQ_R_SVR_OFF, apic_read(APIC_REG_SVR));
	apic_write(APIC_REG_LVT_TIMER, IRQ_VECTOR);
	rt_report(IRQ_R_LVT_OFF, apic_read(APIC_REG_LVT_TIMER));
	sti();
	rt_wait_exits(&count, 1, IRQ_BLOCKED_ROUNDS);
	cli();
	rt_report(IRQ_R_BEFORE, count);
	rt_report(IRQ_R_IRR_OFF, apic_irr_has(IRQ_VECTOR_MID));
	rt_sync();		/* a fixed MSI (refused) and an NMI */
	rt_wait_exits(&nmi_count, 1, IRQ_WAIT_ROUNDS);
	apic_write(APIC_REG_SVR, IRQ_SVR_ON);
	rt_report(IRQ_R_SVR, apic_read(APIC_REG_SVR));
	sti();
	rt_wait_exits(&count, 1, IRQ_WAIT_ROUNDS);
	rt_wait_exits(&count, 2, IRQ_DUP_ROUNDS);
	cli();
	rt_report(IRQ_R_LVT_ON, apic_read(APIC_REG_LVT_TIMER));
	rt_report(IRQ_R_NMIS, nmi_count);
}

void guest_main(unsigned int cpu)
{
	rt_set_handler(IRQ_VECTOR_LOW, fixed_handler);
	rt_set_handler(IRQ_VECTOR, fixed_handler);
	rt_set_handler(IRQ_VECTOR_MID, fixed_handler);
	rt_set_handler(IRQ_VECTOR_HIGH, fixed_handler);
	rt_set_handler(2, nmi_handler);
	rt_apic_enable();

	switch (rt_param(0)) {
	case IRQ_CASE_MSI_COUNT:
		case_msi_count();
		break;
	case IRQ_CASE_PRIORITY:
		case_priority();
		break;
	case IRQ_CASE_TPR:
		case_tpr();
		break;
	case IRQ_CASE_STI_SHADOW:
		case_sti_shadow();
		break;
	case IRQ_CASE_HLT_WAKEUP:
		case_hlt_wakeup();
		break;
	case IRQ_CASE_NMI:
		case_nmi();
		break;
	case IRQ_CASE_SVR:
		case_svr();
		break;
	}
	rt_report(IRQ_R_COUNT, count);
	rt_report(IRQ_R_ORDER, order);
	rt_report(IRQ_R_MAX_DEPTH, max_depth);
	rt_report(IRQ_R_ISR_OK, isr_ok);
	rt_report(IRQ_R_MARKER, marker_seen);
	rt_report(IRQ_R_DONE, 1);
}
