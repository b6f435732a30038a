// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART (COM1).  Output is instant: the transmitter is always empty
 * and THRE is pending again after every byte.  Input comes from the
 * console (uart_receive()) into a 16-byte FIFO.  Interrupts: received data
 * (IER bit 0) and THR empty (IER bit 1), reported through IIR in that
 * priority, on the I/O APIC pin when MCR's OUT2 is set (the PC wiring).
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "devices.h"

enum uart_reg {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_IER_RDI		0x01
#define UART_IER_THRI		0x02
#define UART_LCR_DLAB		0x80
#define UART_FCR_FIFO_ENABLE	0x01
#define UART_FCR_CLEAR_RCVR	0x02
#define UART_IIR_NO_INT		0x01
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_FIFOS		0xc0
#define UART_LSR_DR		0x01
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_DCD		0x80
#define UART_FIFO		16

struct uart {
	struct platform *p;
	struct ioapic *io;
	unsigned int pin;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	bool thre_pending;
	uint8_t rx[UART_FIFO];
	unsigned int rx_head, rx_count;
};

static void uart_update_irq(struct uart *u)
{
	bool line = ((u->ier & UART_IER_RDI) && u->rx_count) ||
		    ((u->ier & UART_IER_THRI) && u->thre_pending);

	if (u->io)
		ioapic_set_irq(u->io, u->pin, line && (u->mcr & UART_MCR_OUT2));
}

static bool rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == UART_FIFO)
		return false;
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO] = byte;
	return true;
}

bool uart_receive(struct uart *u, uint8_t byte)
{
	bool ok = rx_push(u, byte);

	uart_update_irq(u);
	return ok;
}

static uint8_t uart_msr(const struct uart *u)
{
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	if (u->mcr & UART_MCR_LOOP)
		return ((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
		       ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4);
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static uint8_t uart_read_reg(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t value, fifos = (u->fcr & UART_FCR_FIFO_ENABLE) ? UART_IIR_FIFOS : 0;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		value = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
		uart_update_irq(u);
		return value;
	case UART_IER_DLM:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		if ((u->ier & UART_IER_RDI) && u->rx_count)
			return UART_IIR_RDI | fifos;
		if ((u->ier & UART_IER_THRI) && u->thre_pending) {
			/* Reading IIR that names THRE clears it. */
			u->thre_pending = false;
			uart_update_irq(u);
			return UART_IIR_THRI | fifos;
		}
		return UART_IIR_NO_INT | fifos;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (u->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned int reg, uint8_t value)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			u->dll = value;
			return;
		}
		if (u->mcr & UART_MCR_LOOP)
			rx_push(u, value);
		else
			u->p->emit(u->p, (char)value);
		/* Sent at once: THR is empty again, an edge on the pin. */
		u->thre_pending = false;
		uart_update_irq(u);
		u->thre_pending = true;
		break;
	case UART_IER_DLM:
		if (dlab) {
			u->dlm = value;
			return;
		}
		/* Enabling the THRE interrupt with THR empty raises it. */
		if ((value & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thre_pending = true;
		u->ier = value & 0x0f;
		break;
	case UART_IIR_FCR:
		u->fcr = value;
		if (value & UART_FCR_CLEAR_RCVR)
			u->rx_count = 0;
		break;
	case UART_LCR:
		u->lcr = value;
		return;
	case UART_MCR:
		u->mcr = value & 0x1f;
		break;
	case UART_SCR:
		u->scr = value;
		return;
	default:
		return;
	}
	uart_update_irq(u);
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned int size)
{
	uint64_t value = 0;
	unsigned int i;

	/* Wide accesses touch consecutive registers, as the bus would. */
	for (i = 0; i < size && off + i < 8; i++)
		value |= (uint64_t)uart_read_reg(opaque, off + i) << (8 * i);
	return value;
}

static void uart_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t value)
{
	unsigned int i;

	for (i = 0; i < size && off + i < 8; i++)
		uart_write_reg(opaque, off + i, value >> (8 * i));
}

struct uart *uart_create(struct platform *p, struct ioapic *io,
			 unsigned int pin, struct device *dev)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->p = p;
	u->io = io;
	u->pin = pin;
	u->thre_pending = false;
	*dev = (struct device){
		.name = "uart", .space = HVM_IO_PIO, .base = 0x3f8, .len = 8,
		.read = uart_read, .write = uart_write, .opaque = u,
	};
	return u;
}
