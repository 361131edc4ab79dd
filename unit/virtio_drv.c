/* Test helpers: fake guest RAM and a minimal driver (virtio_drv.h). */
#include "virtio_drv.h"

#include <stdlib.h>
#include <string.h>

/* ---- guest RAM: 1 MiB at 1 MiB as two chunks (like two NUMA nodes) ---- */

void ram_init(struct ram *r)
{
	r->buf = aligned_alloc(4096, RAM_SIZE);
	memset(r->buf, 0, RAM_SIZE);
	r->ch[0] = (struct kvmm_chunk){ .gpa = RAM_GPA, .size = RAM_SIZE / 2, .host = r->buf };
	r->ch[1] = (struct kvmm_chunk){ .gpa = RAM_GPA + RAM_SIZE / 2, .size = RAM_SIZE / 2, .host = r->buf + RAM_SIZE / 2,
				       .node = 1 };
	r->n = 2;
}

uint8_t *at(struct ram *r, uint64_t gpa)
{
	return r->buf + (gpa - RAM_GPA);
}

/* ---- a minimal driver ---- */

void put_desc(struct drv *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = at(d->r, d->desc + 16 * i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

void offer(struct drv *d, uint16_t head)
{
	memcpy(at(d->r, d->avail + 4 + 2 * (d->avail_idx % d->num)), &head, 2);
	d->avail_idx++;
	memcpy(at(d->r, d->avail + 2), &d->avail_idx, 2);
}

uint16_t used_idx(struct drv *d)
{
	uint16_t v;

	memcpy(&v, at(d->r, d->used + 2), 2);
	return v;
}

void used_elem(struct drv *d, unsigned i, uint32_t *id, uint32_t *len)
{
	memcpy(id, at(d->r, d->used + 4 + 8 * (i % d->num)), 4);
	memcpy(len, at(d->r, d->used + 8 + 8 * (i % d->num)), 4);
}

void wr(struct kvmm_virtio *v, uint64_t off, uint32_t val)
{
	kt_vmm_virtio_write(v, off, &val, 4);
}

uint32_t rd(struct kvmm_virtio *v, uint64_t off)
{
	uint32_t val;

	kt_vmm_virtio_read(v, off, &val, 4);
	return val;
}

/* What Linux's virtio_mmio does: features, FEATURES_OK, queue q, DRIVER_OK. */
void drv_start(struct kvmm_virtio *v, struct drv *d, unsigned q, uint64_t features)
{
	wr(v, VIRTIO_MMIO_STATUS, 0);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(v, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(v, VIRTIO_MMIO_QUEUE_NUM, d->num);
	wr(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc);
	wr(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d->desc >> 32));
	wr(v, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail);
	wr(v, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(v, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used);
	wr(v, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
					  VIRTIO_CONFIG_S_DRIVER_OK);
}


