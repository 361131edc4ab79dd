/* virtio-console (virtio 1.2 §5.3), device side, one port and no
 * features (no MULTIPORT, no SIZE, no EMERG_WRITE): the guest's /dev/hvc0.
 * transmitq: the readable part of each chain goes to the out callback
 * at once (Linux's hvc put_chars spins until the buffer comes back);
 * receiveq: the driver posts writable buffers, kt_vmm_con_input() fills
 * them with what the host has, once the guest has written (virtio.h).  Writable descriptors on the transmitq
 * and readable ones on the receiveq are ignored. */
#include "vm/kvm/virtio.h"

#include <linux/virtio_ids.h>
#include <string.h>

static void con_notify(struct kvmm_virtio *d, unsigned qi)
{
	struct kvmm_con *c = (struct kvmm_con *)d;
	struct kvmm_vq *q = &d->q[qi];
	struct kvmm_vchain ch;
	char err[200];
	bool used = false;
	int r = 0;

	if (qi != KVMM_CON_TXQ)
		return; /* new receive buffers: kt_vmm_con_input() takes them as input comes */
	for (unsigned n = 0; n < q->num && (r = kt_vmm_vq_pop(q, d->mem, d->nmem, &ch, err, sizeof(err))) > 0; n++) {
		for (unsigned i = 0; i < ch.nr; i++) {
			if (c->out && ch.seg[i].len)
				c->out(c->out_arg, ch.seg[i].p, ch.seg[i].len);
			c->guest_wrote |= ch.seg[i].len > 0;
		}
		kt_vmm_vq_push(q, ch.head, 0);
		used = true;
	}
	if (r < 0)
		kt_vmm_virtio_fail(d, "transmitq: %s", err);
	if (used && kt_vmm_vq_want_irq(q))
		kt_vmm_virtio_interrupt(d);
}

static void con_reset(struct kvmm_virtio *d)
{
	((struct kvmm_con *)d)->guest_wrote = false;
}

static const struct kvmm_virtio_ops con_ops = { .notify = con_notify, .reset = con_reset };

void kt_vmm_con_init(struct kvmm_con *c, void (*out)(void *, const void *, size_t), void *out_arg)
{
	memset(c, 0, sizeof(*c));
	kt_vmm_virtio_init(&c->vd, VIRTIO_ID_CONSOLE, 0, 2, KVMM_CON_QUEUE_SIZE, &con_ops);
	c->vd.config_len = 12; /* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr; all 0 */
	c->out = out;
	c->out_arg = out_arg;
}

size_t kt_vmm_con_input(struct kvmm_con *c, const void *p, size_t n)
{
	struct kvmm_virtio *d = &c->vd;
	struct kvmm_vq *q = &d->q[KVMM_CON_RXQ];
	struct kvmm_vchain ch;
	char err[200];
	size_t done = 0;
	bool used = false;
	int r = 0;

	if (!kt_vmm_virtio_live(d) || !q->ready || !c->guest_wrote)
		return 0;
	for (unsigned k = 0; k < q->num && done < n && (r = kt_vmm_vq_pop(q, d->mem, d->nmem, &ch, err, sizeof(err))) > 0;
	     k++) {
		size_t w = kt_vmm_vchain_write(&ch, 0, (const uint8_t *)p + done, n - done);

		kt_vmm_vq_push(q, ch.head, (uint32_t)w);
		done += w;
		used = true;
	}
	if (r < 0)
		kt_vmm_virtio_fail(d, "receiveq: %s", err);
	if (used && kt_vmm_vq_want_irq(q))
		kt_vmm_virtio_interrupt(d);
	return done;
}
