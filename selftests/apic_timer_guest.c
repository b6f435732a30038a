// SPDX-License-Identifier: GPL-2.0
/*
 * apic_timer_test's guest: arms the local APIC timer in the mode the
 * test asks for and counts its interrupts, sleeping in HLT between them.
 * rt_sync() before arming and the end after the last interrupt let the
 * test time the whole on the host's clock.
 */
#include "rt.h"
#include "apic_timer_test.h"

static volatile uint64_t count, tsc_at_irq;

static void timer_handler(struct rt_frame *frame)
{
	if (!count)
		tsc_at_irq = rdtsc();
	count++;
	apic_eoi();
}

static void wait_ticks(uint64_t n)
{
	while (count < n)
		sti_hlt();
	cli();
}

static void count_mode(uint32_t mode, uint64_t periods)
{
	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV1);
	apic_write(APIC_REG_LVT_TIMER, TIMER_VECTOR | mode);
	rt_sync();
	apic_write(APIC_REG_TMICT, rt_param(TIMER_P_COUNT));
	rt_report(TIMER_R_TMCCT, apic_read(APIC_REG_TMCCT));
	wait_ticks(periods);
	apic_write(APIC_REG_LVT_TIMER, TIMER_VECTOR | mode | APIC_LVT_MASKED);
}

static void deadline_mode(uint64_t delta)
{
	uint64_t deadline;

	apic_write(APIC_REG_LVT_TIMER, TIMER_VECTOR | APIC_TIMER_TSC_DEADLINE);
	rt_sync();
	deadline = rdtsc() + delta;
	wrmsr(MSR_TSC_DEADLINE, deadline);
	rt_report(TIMER_R_DEADLINE, deadline);
	rt_report(TIMER_R_READBACK, rdmsr(MSR_TSC_DEADLINE));
	wait_ticks(1);
	rt_report(TIMER_R_AFTER, rdmsr(MSR_TSC_DEADLINE));
}

void guest_main(unsigned int cpu)
{
	rt_set_handler(TIMER_VECTOR, timer_handler);
	rt_apic_enable();

	switch (rt_param(TIMER_P_CASE)) {
	case TIMER_CASE_ONESHOT:
		count_mode(0, 1);
		/* A one-shot timer fires once. */
		sti();
		rt_wait_exits(&count, 2, 2000);
		cli();
		break;
	case TIMER_CASE_PERIODIC:
		count_mode(APIC_TIMER_PERIODIC, rt_param(TIMER_P_PERIODS));
		break;
	case TIMER_CASE_DEADLINE:
		deadline_mode(rt_param(TIMER_P_COUNT));
		break;
	case TIMER_CASE_PAST_DEADLINE:
		apic_write(APIC_REG_LVT_TIMER,
			   TIMER_VECTOR | APIC_TIMER_TSC_DEADLINE);
		wrmsr(MSR_TSC_DEADLINE, 1);
		wait_ticks(1);
		rt_report(TIMER_R_AFTER, rdmsr(MSR_TSC_DEADLINE));
		break;
	}
	rt_report(TIMER_R_TSC_AT_IRQ, tsc_at_irq);
	rt_report(TIMER_R_COUNT, count);
	rt_report(TIMER_R_DONE, 1);
}
