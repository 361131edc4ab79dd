/* The virtio-mmio transport, device side: the register file of MMIO
 * layout version 2 (virtio 1.2 §4.2.2) as a state machine.
 *
 * Status: 0 resets everything.  FEATURES_OK sticks only if the driver
 * took VIRTIO_F_VERSION_1 and nothing we did not offer (§3.1.1: the
 * driver then reads it back and gives up).  Buffers are used only once
 * FEATURES_OK and DRIVER_OK are both set, and not after FAILED or our
 * own DEVICE_NEEDS_RESET.  Queue registers take writes only while the
 * selected queue is not ready; QueueReady 1 checks and maps the rings
 * (virtq.c), and a queue that fails the checks stops the device.  The
 * interrupt is an edge per event (the pin is an ISA IRQ, edge-triggered
 * in Linux's IOAPIC setup); InterruptStatus says why until acknowledged. */
#include "vm/kvm/virtio.h"

#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STATUS_LIVE (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

void kt_vmm_virtio_init(struct kvmm_virtio *d, uint32_t device_id, uint64_t features, unsigned nq, uint32_t qmax,
		      const struct kvmm_virtio_ops *ops)
{
	memset(d, 0, sizeof(*d));
	d->device_id = device_id;
	d->features = features | 1ull << VIRTIO_F_VERSION_1;
	d->ops = ops;
	d->nq = nq < KVMM_VIRTIO_MAX_QUEUES ? nq : KVMM_VIRTIO_MAX_QUEUES;
	if (qmax > KVMM_VQ_MAX_SIZE || !qmax || (qmax & (qmax - 1)))
		qmax = KVMM_VQ_MAX_SIZE;
	for (unsigned i = 0; i < d->nq; i++)
		d->q[i].num_max = qmax;
}

bool kt_vmm_virtio_live(const struct kvmm_virtio *d)
{
	return (d->status & STATUS_LIVE) == STATUS_LIVE && !(d->status & VIRTIO_CONFIG_S_FAILED) && !d->needs_reset;
}

void kt_vmm_virtio_interrupt(struct kvmm_virtio *d)
{
	d->isr |= VIRTIO_MMIO_INT_VRING;
	if (d->irq)
		d->irq(d->arg);
}

void kt_vmm_virtio_fail(struct kvmm_virtio *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (d->needs_reset)
		return;
	d->needs_reset = true;
	if (d->log && d->nlogged < KVMM_VIRTIO_MAX_LOGS) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		d->nlogged++;
		d->log(d->arg, msg);
	}
	/* §2.1.2: tell the driver through a configuration change. */
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		d->isr |= VIRTIO_MMIO_INT_CONFIG;
		if (d->irq)
			d->irq(d->arg);
	}
}

static void reset(struct kvmm_virtio *d)
{
	d->driver_features = 0;
	d->dev_fsel = d->drv_fsel = d->qsel = 0;
	d->status = d->isr = 0;
	d->needs_reset = false;
	for (unsigned i = 0; i < d->nq; i++) {
		struct kvmm_vq *q = &d->q[i];

		*q = (struct kvmm_vq){ .num_max = q->num_max };
	}
	if (d->ops && d->ops->reset)
		d->ops->reset(d);
}

static void set_status(struct kvmm_virtio *d, uint32_t v)
{
	uint32_t was = d->status;

	if (!v) {
		reset(d);
		return;
	}
	v &= 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET; /* that bit is ours */
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(was & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t f = d->driver_features;

		if (!(f & 1ull << VIRTIO_F_VERSION_1) || (f & ~d->features))
			v &= ~VIRTIO_CONFIG_S_FEATURES_OK; /* refused: the driver sees it on read-back */
	}
	d->status = v;
	if (!(was & VIRTIO_CONFIG_S_DRIVER_OK) && kt_vmm_virtio_live(d) && d->ops && d->ops->notify)
		for (unsigned i = 0; i < d->nq; i++)
			if (d->q[i].ready)
				d->ops->notify(d, i); /* buffers posted before DRIVER_OK */
}

static struct kvmm_vq *sel_queue(struct kvmm_virtio *d)
{
	return d->qsel < d->nq ? &d->q[d->qsel] : NULL;
}

static void set_ready(struct kvmm_virtio *d, struct kvmm_vq *q, uint32_t v)
{
	char err[200];

	if (!v) {
		q->ready = false;
		q->desc = q->avail = q->used = NULL;
		return;
	}
	if (q->ready)
		return;
	if (kt_vmm_vq_map(q, d->mem, d->nmem, err, sizeof(err))) {
		kt_vmm_virtio_fail(d, "queue %u: %s", d->qsel, err);
		return;
	}
	q->ready = true;
}

static void set_addr(uint64_t *a, bool high, uint32_t v)
{
	*a = high ? (*a & 0xffffffffull) | (uint64_t)v << 32 : (*a & ~0xffffffffull) | v;
}

static uint32_t reg_read(struct kvmm_virtio *d, uint64_t off)
{
	struct kvmm_vq *q = sel_queue(d);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return KVMM_VIRTIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return KVMM_VIRTIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return KVMM_VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_fsel < 2 ? (uint32_t)(d->features >> (32 * d->dev_fsel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? q->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->isr;
	case VIRTIO_MMIO_STATUS:
		return d->status | (d->needs_reset ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->config_gen;
	default:
		return 0; /* write-only or reserved */
	}
}

static void reg_write(struct kvmm_virtio *d, uint64_t off, uint32_t v)
{
	struct kvmm_vq *q = sel_queue(d);
	bool q_open = q && !q->ready; /* queue registers are frozen while ready */

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_fsel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_fsel < 2 && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK))
			d->driver_features = (d->driver_features & ~(0xffffffffull << (32 * d->drv_fsel))) |
					     (uint64_t)v << (32 * d->drv_fsel);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_fsel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->qsel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q_open)
			q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			set_ready(d, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (v < d->nq && d->q[v].ready && kt_vmm_virtio_live(d) && d->ops && d->ops->notify)
			d->ops->notify(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		set_status(d, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (q_open)
			set_addr(&q->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (q_open)
			set_addr(&q->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (q_open)
			set_addr(&q->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	default:
		break; /* read-only, legacy-only (GuestPageSize, QueueAlign, QueuePFN) or reserved */
	}
}

void kt_vmm_virtio_read(struct kvmm_virtio *d, uint64_t off, void *data, unsigned len)
{
	memset(data, 0, len);
	if (off >= KVMM_VIRTIO_CONFIG_OFF) {
		uint64_t c = off - KVMM_VIRTIO_CONFIG_OFF;

		for (unsigned i = 0; i < len; i++)
			if (c + i < d->config_len)
				((uint8_t *)data)[i] = d->config[c + i];
		return;
	}
	if (len == 4 && !(off & 3)) {
		uint32_t v = htole32(reg_read(d, off));

		memcpy(data, &v, 4);
	}
}

void kt_vmm_virtio_write(struct kvmm_virtio *d, uint64_t off, const void *data, unsigned len)
{
	uint32_t v;

	if (off >= KVMM_VIRTIO_CONFIG_OFF || len != 4 || (off & 3))
		return; /* config space is read-only for our devices */
	memcpy(&v, data, 4);
	reg_write(d, off, le32toh(v));
}
