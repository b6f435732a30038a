// SPDX-License-Identifier: GPL-2.0
/*
 * irq_test's guest: GUEST_PARAM(0) picks the case (IRQ_CASE_* in
 * irq_test.h); rt_sync() hands over to the test, which sends MSIs.
 */
#include "rt.h"
#include "irq_test.h"

static volatile uint64_t count, depth, max_depth, order, isr_ok;
static volatile uint64_t marker_seen, nmi_count, nmi_blocked;
/* The storm: the current round, and how often each vector came in it. */
static volatile uint64_t storm_round, storm_new, storm_extra, storm_total;
static volatile uint64_t storm_guard_fired;
static volatile uint32_t storm_seen[256];
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

/* A vector's first arrival in a round is new; any other is one too many. */
static void storm_handler(struct rt_frame *frame)
{
	uint8_t vector = frame->vector;

	if (storm_seen[vector] < storm_round) {
		storm_seen[vector]++;
		storm_new++;
	} else {
		storm_extra++;
	}
	storm_total++;
	apic_eoi();
}

static void storm_guard_handler(struct rt_frame *frame)
{
	storm_guard_fired = 1;
	apic_eoi();
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

/* Sleeps until the round has every vector once or the guard fires. */
static void storm_wait_round(void)
{
	for (;;) {
		cli();
		if (storm_new == IRQ_STORM_VECTORS || storm_guard_fired)
			break;
		sti_hlt();
	}
}

/*
 * GUEST_PARAM(1) rounds; in each the test's threads send every storm
 * vector once while the vCPU runs, and the next round starts only at
 * the next rt_sync(), so nothing may coalesce: a vector missing at the
 * guard is lost, a vector twice in a round delivered twice.
 */
static void case_storm(void)
{
	uint64_t round, rounds = rt_param(1);
	unsigned int v;

	for (v = IRQ_STORM_FIRST; v <= IRQ_STORM_LAST; v++)
		rt_set_handler(v, storm_handler);
	rt_set_handler(IRQ_STORM_GUARD_VECTOR, storm_guard_handler);
	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV128);
	apic_write(APIC_REG_LVT_TIMER, IRQ_STORM_GUARD_VECTOR);
	for (round = 1; round <= rounds; round++) {
		storm_new = 0;
		storm_round = round;
		rt_sync();
		apic_write(APIC_REG_TMICT, IRQ_STORM_GUARD_COUNT);
		storm_wait_round();
		apic_write(APIC_REG_TMICT, 0);
		if (storm_new != IRQ_STORM_VECTORS)
			break;
		rt_report(IRQ_R_ROUNDS, round);
	}
	for (v = IRQ_STORM_FIRST; v <= IRQ_STORM_LAST; v++) {
		if (storm_seen[v] < storm_round) {
			rt_report(IRQ_R_MISSING,
				  (uint64_t)v << 32 | storm_seen[v]);
			break;
		}
	}
	/* Room for a second delivery of the last round's messages. */
	sti();
	rt_wait_exits(&storm_extra, 1, IRQ_DUP_ROUNDS);
	cli();
	rt_report(IRQ_R_EXTRA, storm_extra);
	rt_report(IRQ_R_TOTAL, storm_total);
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
	case IRQ_CASE_STORM:
		case_storm();
		break;
	}
	rt_report(IRQ_R_COUNT, count);
	rt_report(IRQ_R_ORDER, order);
	rt_report(IRQ_R_MAX_DEPTH, max_depth);
	rt_report(IRQ_R_ISR_OK, isr_ok);
	rt_report(IRQ_R_MARKER, marker_seen);
	rt_report(IRQ_R_DONE, 1);
}
