/* A 16550A as Linux's 8250 driver sees it: transmit only (nothing is ever
 * received), the transmitter always empty, a THRE interrupt raised when a
 * byte is written or THRE interrupts are enabled and cleared when IIR
 * reports it, loopback modem status, the FIFO bits that identify a
 * 16550A.  The caller serialises calls (one lock per UART). */
#include "vm/kvm/kvmm.h"

#define IER_THRI 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xc0

void kvmm_uart_init(struct kvmm_uart *u, void (*tx)(void *, uint8_t), void (*set_irq)(void *, bool), void *arg)
{
	*u = (struct kvmm_uart){ .tx = tx, .set_irq = set_irq, .arg = arg, .lcr = 0x03, .mcr = 0x08 };
}

static void update_irq(struct kvmm_uart *u)
{
	bool level = (u->ier & IER_THRI) && u->thre_pending;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->arg, level);
	}
}

static uint8_t modem_status(const struct kvmm_uart *u)
{
	if (u->mcr & MCR_LOOP) /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
		return (uint8_t)((u->mcr & 0x01) << 5 | (u->mcr & 0x02) << 3 | (u->mcr & 0x04) << 4 |
				 (u->mcr & 0x08) << 4);
	return 0xb0; /* carrier, DSR, CTS */
}

uint8_t kvmm_uart_in(struct kvmm_uart *u, unsigned off)
{
	uint8_t v = 0;

	switch (off & 7) {
	case 0:
		v = u->lcr & LCR_DLAB ? u->dll : 0; /* receive buffer: always empty */
		break;
	case 1:
		v = u->lcr & LCR_DLAB ? u->dlm : u->ier;
		break;
	case 2:
		v = (u->fcr & 0x01) ? IIR_FIFO : 0;
		if ((u->ier & IER_THRI) && u->thre_pending) {
			v |= IIR_THRI;
			u->thre_pending = false; /* reading IIR acknowledges THRE */
			update_irq(u);
		} else {
			v |= IIR_NO_INT;
		}
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = LSR_THRE | LSR_TEMT;
		break;
	case 6:
		v = modem_status(u);
		break;
	case 7:
		v = u->scr;
		break;
	}
	return v;
}

void kvmm_uart_out(struct kvmm_uart *u, unsigned off, uint8_t v)
{
	switch (off & 7) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			return;
		}
		if (!(u->mcr & MCR_LOOP) && u->tx)
			u->tx(u->arg, v);
		u->thre_pending = true; /* sent at once: empty again */
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			return;
		}
		if (!(u->ier & IER_THRI) && (v & IER_THRI))
			u->thre_pending = true; /* enabling THRI with THR empty interrupts */
		u->ier = v & 0x0f;
		break;
	case 2:
		u->fcr = v & 0xc9; /* FIFO enable, DMA mode, trigger; clear bits self-reset */
		break;
	case 3:
		u->lcr = v;
		return;
	case 4:
		u->mcr = v & 0x1f;
		break;
	case 7:
		u->scr = v;
		return;
	default:
		return;
	}
	update_irq(u);
}
