/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small freestanding runtime for test guests written in C: 64-bit entry
 * (libhvm's long mode setup), an IDT with a C handler per vector, local
 * APIC helpers, and the ways back to the test: results in guest memory
 * (GUEST_RESULT) and rt_sync(), a HLT with IF=0 that returns HVM_EXIT_HLT
 * to the test and continues at the next HVM_RUN.
 *
 * A guest defines guest_main(cpu) (cpu = its APIC ID); when it returns
 * the vCPU halts for good with IF=0.
 */
#ifndef HVM_GUEST_RT_H
#define HVM_GUEST_RT_H

#include <stdbool.h>
#include <stdint.h>
#include "guest_layout.h"

#define RT_APIC_BASE		0xfee00000UL
/* 256 gates of 16 bytes, clear of what the assembly guests use. */
#define RT_IDT_GPA		GUEST_SCRATCH_GPA
/* vCPU n's stack ends RT_STACK_SIZE * n below GUEST_STACK_TOP. */
#define RT_STACK_SIZE		0x1000

/* xAPIC registers (Intel SDM vol. 3, table 11-1). */
#define APIC_REG_ID		0x20
#define APIC_REG_TPR		0x80
#define APIC_REG_PPR		0xa0
#define APIC_REG_EOI		0xb0
#define APIC_REG_LDR		0xd0
#define APIC_REG_DFR		0xe0
#define APIC_REG_SVR		0xf0
#define APIC_REG_ISR		0x100
#define APIC_REG_IRR		0x200
#define APIC_REG_ESR		0x280
#define APIC_REG_ICR_LO		0x300
#define APIC_REG_ICR_HI		0x310
#define APIC_REG_LVT_TIMER	0x320
#define APIC_REG_TMICT		0x380
#define APIC_REG_TMCCT		0x390
#define APIC_REG_TDCR		0x3e0

#define APIC_SVR_ENABLE		(1u << 8)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_TIMER_PERIODIC	(1u << 17)
#define APIC_TIMER_TSC_DEADLINE	(2u << 17)
#define APIC_TDCR_DIV1		0xb
#define APIC_TDCR_DIV128	0xa
#define APIC_ICR_NMI		(4u << 8)
#define APIC_ICR_INIT		(5u << 8)
#define APIC_ICR_SIPI		(6u << 8)
#define APIC_ICR_LOGICAL	(1u << 11)
#define APIC_ICR_ASSERT		(1u << 14)
#define APIC_ICR_SELF		(1u << 18)
#define APIC_ICR_ALL		(2u << 18)
#define APIC_ICR_ALL_BUT_SELF	(3u << 18)

#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0

/* What the CPU pushed, and the vector the stub pushed before it. */
struct rt_frame {
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

typedef void (*rt_handler_t)(struct rt_frame *frame);

void guest_main(unsigned int cpu);

/* Installs the IDT (every vector to rt_dispatch) on this vCPU. */
void rt_idt_load(void);
void rt_set_handler(uint8_t vector, rt_handler_t handler);
/* Software-enables this vCPU's APIC with spurious vector 0xff. */
void rt_apic_enable(void);
/*
 * Waits until *p >= v, for at most rounds rounds, each an exit (an APIC
 * read): an event whose delivery waits for the next exit is not held up
 * by the wait.  Whether *p got there.
 */
bool rt_wait_exits(volatile uint64_t *p, uint64_t v, unsigned long rounds);
/* An unexpected vector: reported at GUEST_RESULT(RT_RESULT_BAD_VECTOR). */
#define RT_RESULT_BAD_VECTOR	63

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(RT_APIC_BASE + reg);
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(RT_APIC_BASE + reg) = val;
}

static inline void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

static inline void apic_send_ipi(uint32_t dest, uint32_t icr)
{
	apic_write(APIC_REG_ICR_HI, dest << 24);
	apic_write(APIC_REG_ICR_LO, icr);
}

static inline bool apic_isr_has(uint8_t vector)
{
	return apic_read(APIC_REG_ISR + (vector / 32) * 16) &
	       (1u << (vector % 32));
}

static inline bool apic_irr_has(uint8_t vector)
{
	return apic_read(APIC_REG_IRR + (vector / 32) * 16) &
	       (1u << (vector % 32));
}

static inline uint64_t rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t index, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)value),
			 "d"((uint32_t)(value >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* STI; HLT: the shadow keeps the interrupt until HLT waits for it. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline void write_cr8(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static inline void rt_report(unsigned int i, uint64_t value)
{
	*(volatile uint64_t *)GUEST_RESULT(i) = value;
}

static inline uint64_t rt_param(unsigned int i)
{
	return *(volatile uint64_t *)GUEST_PARAM(i);
}

/*
 * Back to the test (HVM_EXIT_HLT) and on at the next HVM_RUN, with the
 * interrupt flag as it was.
 */
static inline void rt_sync(void)
{
	__asm__ volatile("pushfq; cli; hlt; popfq" : : : "memory");
}

/* Spins with interrupts as they are until *p reaches value or n rounds. */
static inline bool rt_wait_for(volatile uint64_t *p, uint64_t value,
			       unsigned long n)
{
	while (*p < value && n--)
		cpu_relax();
	return *p >= value;
}

#endif /* HVM_GUEST_RT_H */
