// SPDX-License-Identifier: GPL-2.0
/* Guest runtime: IDT and dispatch (see rt.h). */
#include "rt.h"

extern const char rt_stubs[];
static rt_handler_t rt_handlers[256];

struct idt_gate {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;		/* P, DPL 0, 64-bit interrupt gate */
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
};

void rt_dispatch(struct rt_frame *frame);
void rt_main(unsigned int cpu);

void rt_dispatch(struct rt_frame *frame)
{
	rt_handler_t handler = rt_handlers[frame->vector & 0xff];

	if (handler)
		handler(frame);
	else
		rt_report(RT_RESULT_BAD_VECTOR, 0x100 | frame->vector);
}

void rt_set_handler(uint8_t vector, rt_handler_t handler)
{
	rt_handlers[vector] = handler;
}

void rt_idt_load(void)
{
	struct idt_gate *idt = (struct idt_gate *)RT_IDT_GPA;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 256 * 16 - 1, RT_IDT_GPA };
	uint16_t cs;
	int v;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)(rt_stubs + 16 * v);

		idt[v] = (struct idt_gate){
			.offset0 = addr, .selector = cs, .type = 0x8e,
			.offset1 = addr >> 16, .offset2 = addr >> 32,
		};
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void rt_apic_enable(void)
{
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
}

bool rt_wait_exits(volatile uint64_t *p, uint64_t v, unsigned long rounds)
{
	while (*p < v && rounds--)
		(void)apic_read(APIC_REG_PPR);
	return *p >= v;
}

void rt_main(unsigned int cpu)
{
	rt_idt_load();
	guest_main(cpu);
}
