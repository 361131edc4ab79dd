/* Fuzz target: the VMM's 16550 UART (src/vm/kvm/uart.c): port reads and
 * writes by the guest, bytes arriving from the host (`ktstr shell`).
 *
 * Input: operations until the input ends: 0 guest write (offset, value),
 * 1 guest read (offset), 2 host bytes (count, bytes).
 * Oracles against a model written here: the receive FIFO gives back the
 * bytes the host sent and the guest looped back, in order, none lost
 * while it had room and none invented; LSR's data-ready bit says whether
 * it holds any; the interrupt line (as last set through the callback)
 * is up exactly when an enabled interrupt is pending. */
#include "fuzz.h"
#include "vm/kvm/kvmm.h"

#define FIFO 256u

struct model {
	uint8_t q[FIFO];
	unsigned head, len;
	bool line;   /* what set_irq last said */
	unsigned tx; /* bytes transmitted to the host */
};

static void tx(void *arg, uint8_t ch)
{
	(void)ch;
	((struct model *)arg)->tx++;
}

static void set_irq(void *arg, bool level)
{
	((struct model *)arg)->line = level;
}

static void push(struct model *m, const uint8_t *p, size_t n, size_t took)
{
	FZ_CHECK(took == (n < FIFO - m->len ? n : FIFO - m->len), "took %zu of %zu with %u queued", took, n, m->len);
	for (size_t i = 0; i < took; i++)
		m->q[(m->head + m->len++) % FIFO] = p[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct kvmm_uart u;
	struct model m = { 0 };

	kt_vmm_uart_init(&u, tx, set_irq, &m);
	for (unsigned n = 0; n < 4096 && fz_left(&f); n++) {
		uint8_t op = fz_u8(&f) % 3, off = fz_u8(&f) & 7, v, buf[64];
		bool dlab = u.lcr & 0x80, loop = u.mcr & 0x10;

		switch (op) {
		case 0:
			v = fz_u8(&f);
			kt_vmm_uart_out(&u, off, v);
			if (off == 0 && !dlab && loop)
				push(&m, &v, 1, m.len < FIFO);
			if (off == 2 && (v & 0x02))
				m.len = 0; /* FIFO cleared */
			break;
		case 1:
			v = kt_vmm_uart_in(&u, off);
			if (off == 0 && !dlab && m.len) {
				FZ_CHECK(v == m.q[m.head], "read 0x%02x, sent 0x%02x", v, m.q[m.head]);
				m.head = (m.head + 1) % FIFO;
				m.len--;
			}
			if (off == 5)
				FZ_CHECK(!!(v & 0x01) == (m.len > 0), "LSR 0x%02x with %u bytes queued", v, m.len);
			break;
		case 2: {
			uint8_t k = fz_u8(&f) % sizeof(buf);

			fz_take(&f, buf, k);
			push(&m, buf, k, kt_vmm_uart_rx(&u, buf, k));
			break;
		}
		}
		if (m.len == 0)
			m.head = u.rx_head; /* where the next byte goes does not matter when empty */
		FZ_CHECK(u.rx_len == m.len && u.rx_len <= FIFO && u.rx_head < FIFO, "FIFO: %u queued, model %u",
			 u.rx_len, m.len);
		FZ_CHECK(m.line == u.irq_level, "line %d, UART thinks %d", m.line, u.irq_level);
		FZ_CHECK(u.irq_level == (((u.ier & 0x02) && u.thre_pending) || ((u.ier & 0x01) && u.rx_len > 0)),
			 "line %d with IER 0x%02x, THRE %d, %u queued", u.irq_level, u.ier, u.thre_pending, u.rx_len);
	}
	return 0;
}
