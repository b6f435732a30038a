// SPDX-License-Identifier: GPL-2.0
/*
 * ipi_test's guest, on two vCPUs: the BSP (APIC ID 0) sends IPIs, the AP
 * (ID 1) receives them sleeping in HLT; each records the vectors it got.
 */
#include "rt.h"
#include "ipi_test.h"

static volatile uint64_t received[2], nr_received[2];

static unsigned int this_cpu(void)
{
	return apic_read(APIC_REG_ID) >> 24;
}

static void ipi_handler(struct rt_frame *frame)
{
	unsigned int cpu = this_cpu();

	received[cpu] |= 1ULL << (frame->vector - 0x40);
	nr_received[cpu]++;
	apic_eoi();
}

static volatile uint64_t *result(unsigned int cpu, unsigned int word)
{
	return (volatile uint64_t *)GUEST_RESULT(IPI_R_BASE(cpu) + word);
}

static void ap_wait_for(unsigned int n)
{
	*result(1, IPI_R_READY) = 1;
	while (nr_received[1] < n)
		sti_hlt();
	cli();
}

static void bsp_wait_ready(void)
{
	rt_wait_exits(result(1, IPI_R_READY), 1, ~0UL);
}

static void bsp_shorthands(void)
{
	bsp_wait_ready();
	sti();
	apic_send_ipi(0, APIC_ICR_SELF | IPI_VECTOR_SELF);
	apic_send_ipi(0, APIC_ICR_ALL_BUT_SELF | IPI_VECTOR_ALL_BUT);
	apic_send_ipi(0, APIC_ICR_ALL | IPI_VECTOR_ALL);
	apic_send_ipi(IPI_AP_LOGICAL, APIC_ICR_LOGICAL | IPI_VECTOR_LOGICAL);
	rt_wait_exits(&nr_received[0], 2, 200000);
	cli();
}

static void bsp_init_sipi(void)
{
	apic_send_ipi(1, APIC_ICR_INIT | APIC_ICR_ASSERT);
	/* INIT de-assert (level, not asserted), as firmware sends it. */
	apic_send_ipi(1, APIC_ICR_INIT | (1u << 15));
	apic_send_ipi(1, APIC_ICR_SIPI | IPI_SIPI_VECTOR);
}

void guest_main(unsigned int cpu)
{
	uint64_t which = rt_param(0);
	int v;

	for (v = IPI_VECTOR_FIXED; v <= IPI_VECTOR_LOGICAL; v++)
		rt_set_handler(v, ipi_handler);
	rt_apic_enable();
	if (cpu == 1)
		apic_write(APIC_REG_LDR, IPI_AP_LOGICAL << 24);

	if (cpu == 1 && which == IPI_CASE_FIXED)
		ap_wait_for(1);
	else if (cpu == 1 && which == IPI_CASE_SHORTHANDS)
		ap_wait_for(3);
	else if (which == IPI_CASE_FIXED) {
		bsp_wait_ready();
		apic_send_ipi(1, IPI_VECTOR_FIXED);
	} else if (which == IPI_CASE_SHORTHANDS) {
		bsp_shorthands();
	} else if (which == IPI_CASE_INIT_SIPI) {
		bsp_init_sipi();
	}
	*result(cpu, IPI_R_RECEIVED) = received[cpu];
	*result(cpu, IPI_R_DONE) = 1;
}
