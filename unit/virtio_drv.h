/* Test helpers for unit/test_virtio*.c: a buffer standing in for guest
 * RAM (1 MiB at 1 MiB, as two chunks like two NUMA nodes) and a minimal
 * virtio driver that builds descriptor chains and drives the registers
 * the way Linux's virtio_mmio does. */
#ifndef KTSTR_UNIT_VIRTIO_DRV_H
#define KTSTR_UNIT_VIRTIO_DRV_H
#include "vm/kvm/virtio.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define RAM_GPA 0x100000ull
#define RAM_SIZE (1u << 20)
#define DESC_GPA (RAM_GPA + 0x1000)
#define AVAIL_GPA (RAM_GPA + 0x3000)
#define USED_GPA (RAM_GPA + 0x4000)
#define BUF_GPA (RAM_GPA + 0x10000)
#define V1 (1ull << VIRTIO_F_VERSION_1)

struct ram {
	uint8_t *buf;
	struct kvmm_chunk ch[3];
	unsigned n;
};
void ram_init(struct ram *r);
uint8_t *at(struct ram *r, uint64_t gpa);

struct drv {
	struct ram *r;
	uint64_t desc, avail, used;
	unsigned num;
	uint16_t avail_idx;
};
void put_desc(struct drv *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
void offer(struct drv *d, uint16_t head); /* avail ring entry, then avail->idx */
uint16_t used_idx(struct drv *d);
void used_elem(struct drv *d, unsigned i, uint32_t *id, uint32_t *len);
void wr(struct kvmm_virtio *v, uint64_t off, uint32_t val);
uint32_t rd(struct kvmm_virtio *v, uint64_t off);
/* Reset, features, FEATURES_OK, queue q from d, DRIVER_OK. */
void drv_start(struct kvmm_virtio *v, struct drv *d, unsigned q, uint64_t features);

#endif
