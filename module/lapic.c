// SPDX-License-Identifier: GPL-2.0
/*
 * hvm: the local APIC of each vCPU, in the kernel (Intel SDM vol. 3
 * chapter 11, AMD APM vol. 2 chapter 16): the xAPIC register page, the
 * APIC_BASE and TSC_DEADLINE MSRs, and the timer on a host hrtimer.  Timer
 * ticks, IPIs and EOIs never leave the kernel.
 */
#define pr_fmt(fmt) "hvm: " fmt

#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "hvm.h"

/* Version 0x14 (integrated APIC), LVT entries 0-5, no directed EOI. */
#define HVM_APIC_VERSION	(0x14 | ((HVM_APIC_NR_LVT - 1) << 16))
/* A periodic timer faster than this would turn the host into its slave. */
#define HVM_APIC_MIN_PERIOD_NS	100000ULL

#define LVT_TIMER		0
#define LVT_THERMAL		1
#define LVT_PERFMON		2
#define LVT_LINT0		3
#define LVT_LINT1		4
#define LVT_ERROR		5

#define APIC_BASE_BSP		BIT_ULL(8)
#define APIC_BASE_EXTD		BIT_ULL(10)
#define APIC_BASE_ENABLE	BIT_ULL(11)

#define LVT_MASKED		BIT(16)
#define LVT_TIMER_MODE_MASK	(3 << 17)
#define LVT_TIMER_PERIODIC	BIT(17)
#define LVT_TIMER_TSC_DEADLINE	(2 << 17)
/* Writable bits: timer (vector, mask, mode), the others (SDM 11.5.1). */
#define LVT_TIMER_BITS		(0xff | LVT_MASKED | LVT_TIMER_MODE_MASK)
#define LVT_LINT_BITS		(0xff | 0x700 | BIT(13) | BIT(15) | LVT_MASKED)
#define LVT_OTHER_BITS		(0xff | 0x700 | LVT_MASKED)

#define ICR_SHORTHAND_MASK	(3 << 18)

#define SVR_ENABLE		BIT(8)
#define ESR_SEND_ILLEGAL_VECTOR	BIT(5)

static int apic_highest(const unsigned long *bits)
{
	int i;

	for (i = BITS_TO_LONGS(256) - 1; i >= 0; i--) {
		unsigned long word = READ_ONCE(bits[i]);

		if (word)
			return i * BITS_PER_LONG + __fls(word);
	}
	return -1;
}

/* Bits 32 * i + 31 .. 32 * i of a 256-bit register. */
static u32 apic_bits_u32(const unsigned long *bits, unsigned int i)
{
	return READ_ONCE(bits[i * 32 / BITS_PER_LONG]) >> (i * 32 % BITS_PER_LONG);
}

bool hvm_lapic_sw_enabled(struct hvm_lapic *apic)
{
	return (READ_ONCE(apic->base_msr) & APIC_BASE_ENABLE) &&
	       (READ_ONCE(apic->svr) & SVR_ENABLE);
}

static u32 apic_ppr(struct hvm_lapic *apic)
{
	int isrv = apic_highest(apic->isr);
	u32 isr_class = isrv < 0 ? 0 : isrv & 0xf0;

	return (apic->tpr & 0xf0) >= isr_class ? apic->tpr & 0xff : isr_class;
}

int hvm_lapic_pending_vector(struct hvm_lapic *apic)
{
	int irrv;

	if (!hvm_lapic_sw_enabled(apic))
		return -1;
	irrv = apic_highest(apic->irr);
	if (irrv < 0 || (irrv & 0xf0) <= (apic_ppr(apic) & 0xf0))
		return -1;
	return irrv;
}

void hvm_lapic_accept(struct hvm_lapic *apic, u8 vector)
{
	clear_bit(vector, apic->irr);
	set_bit(vector, apic->isr);
}

void hvm_irq_cancel(struct hvm_vcpu *vcpu, u8 vector)
{
	clear_bit(vector, vcpu->apic.isr);
	set_bit(vector, vcpu->apic.irr);
}

int hvm_lapic_set_irq(struct hvm_lapic *apic, u8 vector, bool level)
{
	if (vector < 16 || !hvm_lapic_sw_enabled(apic))
		return 0;
	if (level)
		set_bit(vector, apic->tmr);
	else
		clear_bit(vector, apic->tmr);
	set_bit(vector, apic->irr);
	return 1;
}

bool hvm_lapic_match_dest(struct hvm_lapic *apic, u32 dest, bool logical)
{
	u32 ldr, dfr;

	if (!(READ_ONCE(apic->base_msr) & APIC_BASE_ENABLE))
		return false;
	if (!logical)
		return dest == 0xff || dest == READ_ONCE(apic->id) >> 24;
	ldr = READ_ONCE(apic->ldr) >> 24;
	dfr = READ_ONCE(apic->dfr) >> 28;
	if (dfr == 0xf)			/* flat: a bit per APIC */
		return dest & ldr;
	/* cluster: cluster number in 7:4, a bit per APIC in 3:0 */
	if ((dest >> 4) != 0xf && (dest >> 4) != (ldr >> 4))
		return false;
	return dest & ldr & 0xf;
}

u8 hvm_lapic_get_cr8(struct hvm_vcpu *vcpu)
{
	return (vcpu->apic.tpr >> 4) & 0xf;
}

void hvm_lapic_set_cr8(struct hvm_vcpu *vcpu, u8 cr8)
{
	vcpu->apic.tpr = (cr8 & 0xf) << 4;
}

/* ---- timer ----------------------------------------------------------------- */

static u32 apic_timer_mode(struct hvm_lapic *apic)
{
	return apic->lvt[LVT_TIMER] & LVT_TIMER_MODE_MASK;
}

/* Input clock HVM_APIC_BUS_HZ divided by 1..128: nanoseconds per count. */
static u64 apic_ns_per_count(struct hvm_lapic *apic)
{
	u32 v = (apic->tdcr & 3) | ((apic->tdcr & 8) >> 1);
	u64 div = v == 7 ? 1 : 2ULL << v;

	return div * NSEC_PER_SEC / HVM_APIC_BUS_HZ;
}

static enum hrtimer_restart apic_timer_fn(struct hrtimer *timer)
{
	struct hvm_lapic *apic = container_of(timer, struct hvm_lapic, timer);
	u32 lvt = READ_ONCE(apic->lvt[LVT_TIMER]);

	if (!(lvt & LVT_MASKED) &&
	    hvm_lapic_set_irq(apic, lvt & 0xff, false))
		hvm_vcpu_kick(apic->vcpu);
	if ((lvt & LVT_TIMER_MODE_MASK) == LVT_TIMER_TSC_DEADLINE)
		WRITE_ONCE(apic->tsc_deadline, 0);
	if (apic->period_ns &&
	    (lvt & LVT_TIMER_MODE_MASK) == LVT_TIMER_PERIODIC) {
		/* Ticks stay on the grid of the start, as a counter's do. */
		hrtimer_forward_now(timer, ns_to_ktime(apic->period_ns));
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

static void apic_timer_stop(struct hvm_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
	apic->period_ns = 0;
}

static void apic_timer_start_count(struct hvm_lapic *apic)
{
	u64 ns;

	apic_timer_stop(apic);
	if (!apic->tmict || apic_timer_mode(apic) == LVT_TIMER_TSC_DEADLINE)
		return;
	ns = apic->tmict * apic_ns_per_count(apic);
	if (apic_timer_mode(apic) == LVT_TIMER_PERIODIC)
		apic->period_ns = max(ns, HVM_APIC_MIN_PERIOD_NS);
	apic->timer_start = ktime_get();
	hrtimer_start(&apic->timer, ktime_add_ns(apic->timer_start,
						 apic->period_ns ?: ns),
		      HRTIMER_MODE_ABS);
}

static u32 apic_timer_current_count(struct hvm_lapic *apic)
{
	ktime_t left;

	if (!apic->tmict || apic_timer_mode(apic) == LVT_TIMER_TSC_DEADLINE ||
	    !hrtimer_active(&apic->timer))
		return 0;
	left = hrtimer_get_remaining(&apic->timer);
	if (ktime_to_ns(left) <= 0)
		return 0;
	return min_t(u64, div64_u64(ktime_to_ns(left), apic_ns_per_count(apic)),
		     apic->tmict);
}

static void apic_set_tsc_deadline(struct hvm_vcpu *vcpu, u64 deadline)
{
	struct hvm_lapic *apic = &vcpu->apic;
	u64 now_tsc, ns;

	if (apic_timer_mode(apic) != LVT_TIMER_TSC_DEADLINE)
		return;		/* ignored outside TSC-deadline mode */
	apic_timer_stop(apic);
	WRITE_ONCE(apic->tsc_deadline, deadline);
	if (!deadline)
		return;
	if (hvm_ops->get_msr(vcpu, MSR_IA32_TSC, &now_tsc) || !tsc_khz)
		return;
	if (deadline <= now_tsc) {
		apic_timer_fn(&apic->timer);
		return;
	}
	/* Rounded up: the interrupt must never come before the deadline. */
	ns = mul_u64_u32_div(deadline - now_tsc, USEC_PER_SEC, tsc_khz) + 1;
	hrtimer_start(&apic->timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS);
}

/* ---- registers --------------------------------------------------------------- */

static void apic_reset(struct hvm_lapic *apic, bool power_on)
{
	int i;

	apic_timer_stop(apic);
	if (power_on) {
		apic->base_msr = HVM_APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
				 (apic->vcpu->id == 0 ? APIC_BASE_BSP : 0);
		apic->id = apic->vcpu->id << 24;
	}
	apic->tpr = 0;
	apic->ldr = 0;
	apic->dfr = 0xffffffff;
	apic->svr = 0xff;
	apic->esr = 0;
	apic->icr_lo = 0;
	apic->icr_hi = 0;
	for (i = 0; i < HVM_APIC_NR_LVT; i++)
		apic->lvt[i] = LVT_MASKED;
	apic->tdcr = 0;
	apic->tmict = 0;
	apic->tsc_deadline = 0;
	bitmap_zero(apic->irr, 256);
	bitmap_zero(apic->isr, 256);
	bitmap_zero(apic->tmr, 256);
}

void hvm_lapic_init_reset(struct hvm_vcpu *vcpu)
{
	apic_reset(&vcpu->apic, false);
}

int hvm_lapic_create(struct hvm_vcpu *vcpu)
{
	struct hvm_lapic *apic = &vcpu->apic;

	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	apic->timer.function = apic_timer_fn;
	apic_reset(apic, true);
	return 0;
}

void hvm_lapic_destroy(struct hvm_vcpu *vcpu)
{
	if (vcpu->apic.vcpu)
		hrtimer_cancel(&vcpu->apic.timer);
}

bool hvm_lapic_mmio_hit(struct hvm_vcpu *vcpu, u64 gpa)
{
	u64 base = vcpu->apic.base_msr;

	return vcpu->apic.vcpu && (base & APIC_BASE_ENABLE) &&
	       (gpa & PAGE_MASK) == (base & PAGE_MASK);
}

static u32 apic_read_reg(struct hvm_vcpu *vcpu, u32 reg)
{
	struct hvm_lapic *apic = &vcpu->apic;

	switch (reg) {
	case APIC_ID:
		return apic->id;
	case APIC_LVR:
		return HVM_APIC_VERSION;
	case APIC_TASKPRI:
		return apic->tpr;
	case APIC_PROCPRI:
		return apic_ppr(apic);
	case APIC_LDR:
		return apic->ldr;
	case APIC_DFR:
		return apic->dfr;
	case APIC_SPIV:
		return apic->svr;
	case APIC_ISR ... APIC_ISR + 0x70:
		return apic_bits_u32(apic->isr, (reg - APIC_ISR) / 16);
	case APIC_TMR ... APIC_TMR + 0x70:
		return apic_bits_u32(apic->tmr, (reg - APIC_TMR) / 16);
	case APIC_IRR ... APIC_IRR + 0x70:
		return apic_bits_u32(apic->irr, (reg - APIC_IRR) / 16);
	case APIC_ESR:
		return apic->esr;
	case APIC_ICR:
		return apic->icr_lo;
	case APIC_ICR2:
		return apic->icr_hi;
	case APIC_LVTT ... APIC_LVTERR:
		return apic->lvt[(reg - APIC_LVTT) / 16];
	case APIC_TMICT:
		return apic->tmict;
	case APIC_TMCCT:
		return apic_timer_current_count(apic);
	case APIC_TDCR:
		return apic->tdcr;
	default:
		return 0;
	}
}

static void apic_eoi(struct hvm_lapic *apic)
{
	int vector = apic_highest(apic->isr);

	if (vector < 0)
		return;
	clear_bit(vector, apic->isr);
	/*
	 * A level-triggered vector's EOI is not forwarded: the I/O APIC
	 * lives in the helper, whose devices signal edge-triggered MSIs.
	 */
	clear_bit(vector, apic->tmr);
}

static void apic_write_icr(struct hvm_vcpu *vcpu, u32 val)
{
	struct hvm_lapic *apic = &vcpu->apic;
	u32 mode = val & APIC_DM_FIXED_MASK;
	u8 vector = val & APIC_VECTOR_MASK;

	apic->icr_lo = val & ~APIC_ICR_BUSY;
	/* INIT level de-assert: nothing to do on a modern APIC. */
	if (mode == APIC_DM_INIT && !(val & APIC_INT_ASSERT) &&
	    (val & APIC_INT_LEVELTRIG))
		return;
	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
		apic->esr |= ESR_SEND_ILLEGAL_VECTOR;
		return;
	}
	hvm_irq_deliver(vcpu->vm, vcpu, mode, vector, apic->icr_hi >> 24,
			val & APIC_DEST_LOGICAL, val & ICR_SHORTHAND_MASK, false);
}

static void apic_write_lvt(struct hvm_lapic *apic, unsigned int i, u32 val)
{
	u32 bits = i == LVT_TIMER ? LVT_TIMER_BITS :
		   (i == LVT_LINT0 || i == LVT_LINT1) ? LVT_LINT_BITS :
		   LVT_OTHER_BITS;
	u32 old = apic->lvt[i];

	val &= bits;
	if (!(apic->svr & SVR_ENABLE))
		val |= LVT_MASKED;
	if (i == LVT_TIMER && (val & LVT_TIMER_MODE_MASK) == (3 << 17))
		val &= ~LVT_TIMER_MODE_MASK;	/* reserved mode */
	WRITE_ONCE(apic->lvt[i], val);
	if (i == LVT_TIMER &&
	    ((old ^ val) & LVT_TIMER_MODE_MASK)) {
		/* A mode change disarms the timer (SDM 11.5.4.1). */
		apic_timer_stop(apic);
		apic->tmict = 0;
		WRITE_ONCE(apic->tsc_deadline, 0);
	}
}

static void apic_write_reg(struct hvm_vcpu *vcpu, u32 reg, u32 val)
{
	struct hvm_lapic *apic = &vcpu->apic;
	int i;

	switch (reg) {
	case APIC_ID:
		WRITE_ONCE(apic->id, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		apic->tpr = val & 0xff;
		break;
	case APIC_EOI:
		apic_eoi(apic);
		break;
	case APIC_LDR:
		WRITE_ONCE(apic->ldr, val & 0xff000000);
		break;
	case APIC_DFR:
		WRITE_ONCE(apic->dfr, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		WRITE_ONCE(apic->svr, val & (0xff | SVR_ENABLE));
		if (!(val & SVR_ENABLE))
			for (i = 0; i < HVM_APIC_NR_LVT; i++)
				apic->lvt[i] |= LVT_MASKED;
		break;
	case APIC_ESR:
		apic->esr = 0;
		break;
	case APIC_ICR:
		apic_write_icr(vcpu, val);
		break;
	case APIC_ICR2:
		apic->icr_hi = val & 0xff000000;
		break;
	case APIC_LVTT ... APIC_LVTERR:
		apic_write_lvt(apic, (reg - APIC_LVTT) / 16, val);
		break;
	case APIC_TMICT:
		if (apic_timer_mode(apic) == LVT_TIMER_TSC_DEADLINE)
			break;
		apic->tmict = val;
		apic_timer_start_count(apic);
		break;
	case APIC_TDCR:
		apic->tdcr = val & 0xb;
		break;
	default:
		break;		/* read-only or reserved: ignored */
	}
}

/* Registers are 32 bits wide at 16-byte steps; other accesses see 0s. */
int hvm_lapic_mmio_read(struct hvm_vcpu *vcpu, u64 gpa, unsigned int size,
			u64 *val)
{
	u32 off = gpa & ~PAGE_MASK;

	*val = 0;
	if (size == 4 && !(off & 0xf))
		*val = apic_read_reg(vcpu, off);
	return 0;
}

int hvm_lapic_mmio_write(struct hvm_vcpu *vcpu, u64 gpa, unsigned int size,
			 u64 val)
{
	u32 off = gpa & ~PAGE_MASK;

	if (size == 4 && !(off & 0xf))
		apic_write_reg(vcpu, off, val);
	return 0;
}

int hvm_lapic_msr(struct hvm_vcpu *vcpu, u32 index, bool is_write, u64 *data)
{
	struct hvm_lapic *apic = &vcpu->apic;
	u64 reserved;

	if (!apic->vcpu)
		return -ENOENT;
	switch (index) {
	case MSR_IA32_APICBASE:
		if (!is_write) {
			*data = apic->base_msr;
			return 0;
		}
		/* No x2APIC: EXTD is reserved, as are bits past MAXPHYADDR. */
		reserved = GENMASK_ULL(7, 0) | BIT_ULL(9) | APIC_BASE_EXTD |
			   ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0);
		if (*data & reserved)
			return -EINVAL;
		WRITE_ONCE(apic->base_msr, (*data & ~APIC_BASE_BSP) |
			   (apic->base_msr & APIC_BASE_BSP));
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (is_write)
			apic_set_tsc_deadline(vcpu, *data);
		else
			*data = apic_timer_mode(apic) == LVT_TIMER_TSC_DEADLINE ?
				READ_ONCE(apic->tsc_deadline) : 0;
		return 0;
	default:
		return -ENOENT;
	}
}
