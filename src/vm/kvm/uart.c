/* A 16550A as Linux's 8250 driver sees it: the transmitter always empty,
 * a THRE interrupt raised when a byte is written or THRE interrupts are
 * enabled and cleared when IIR reports it; a receive FIFO fed by
 * kt_vmm_uart_rx() (data ready in LSR, the received-data interrupt, which
 * IIR reports first); loopback of data and modem status, the FIFO bits
 * that identify a 16550A.  The caller serialises calls (one lock per
 * UART). */
#include "vm/kvm/kvmm.h"

#define IER_RDI 0x01
#define IER_THRI 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0

void kt_vmm_uart_init(struct kvmm_uart *u, void (*tx)(void *, uint8_t), void (*set_irq)(void *, bool), void *arg)
{
	*u = (struct kvmm_uart){ .tx = tx, .set_irq = set_irq, .arg = arg, .lcr = 0x03, .mcr = 0x08 };
}

static void update_irq(struct kvmm_uart *u)
{
	bool level = ((u->ier & IER_THRI) && u->thre_pending) || ((u->ier & IER_RDI) && u->rx_len);

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

uint8_t kt_vmm_uart_in(struct kvmm_uart *u, unsigned off)
{
	uint8_t v = 0;

	switch (off & 7) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % sizeof(u->rx);
			u->rx_len--;
			update_irq(u);
		}
		break;
	case 1:
		v = u->lcr & LCR_DLAB ? u->dlm : u->ier;
		break;
	case 2:
		v = (u->fcr & 0x01) ? IIR_FIFO : 0;
		if ((u->ier & IER_RDI) && u->rx_len) {
			v |= IIR_RDI; /* highest priority; cleared by reading the data */
		} else if ((u->ier & IER_THRI) && u->thre_pending) {
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
		v = LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
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

void kt_vmm_uart_out(struct kvmm_uart *u, unsigned off, uint8_t v)
{
	switch (off & 7) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			return;
		}
		if (u->mcr & MCR_LOOP)
			kt_vmm_uart_rx(u, &v, 1);
		else if (u->tx)
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
		if (v & 0x02)
			u->rx_len = 0; /* clear the receive FIFO */
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

size_t kt_vmm_uart_rx(struct kvmm_uart *u, const uint8_t *p, size_t n)
{
	size_t k = 0;

	for (; k < n && u->rx_len < sizeof(u->rx); k++) {
		u->rx[(u->rx_head + u->rx_len) % sizeof(u->rx)] = p[k];
		u->rx_len++;
	}
	if (k && u->irq_level && (u->ier & IER_RDI) && u->set_irq) {
		/* The line is already up (THRE): a fresh edge, so an
		 * edge-triggered controller sees the new data too. */
		u->set_irq(u->arg, false);
		u->irq_level = false;
	}
	update_irq(u);
	return k;
}
