/* Split virtqueues, device side (virtio 1.2 §2.7), over guest RAM seen
 * through the chunk map.  Layout (little-endian):
 *   descriptor i at desc + 16 i: addr u64, len u32, flags u16, next u16
 *   avail: flags u16, idx u16, ring[num] u16, used_event u16
 *   used:  flags u16, idx u16, ring[num] { id u32, len u32 }, avail_event u16
 * The driver owns desc and avail, we own used.  Every index and
 * descriptor is read once (the guest may rewrite them as we go), and
 * ordering follows §2.7.13: read avail->idx with acquire before the ring
 * entries it covers; write used entries before used->idx (release); a
 * full barrier between publishing used->idx and reading avail->flags. */
#include "vm/kvm/virtio.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>

#define DESC_SIZE 16u

static uint16_t ld16(const uint8_t *p) /* p is 2-byte aligned (checked in kt_vmm_vq_map) */
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int kt_vmm_vq_map(struct kvmm_vq *q, const struct kvmm_chunk *mem, unsigned nmem, char *err, size_t errlen)
{
	uint64_t n = q->num;

	if (!pow2(q->num) || q->num > q->num_max) {
		snprintf(err, errlen, "queue size %u is not a power of two up to %u", q->num, q->num_max);
		return -EINVAL;
	}
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4) {
		snprintf(err, errlen, "rings misaligned (descriptors 0x%llx, avail 0x%llx, used 0x%llx)",
			 (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
			 (unsigned long long)q->used_gpa);
		return -EINVAL;
	}
	q->desc = kt_vmm_gpa_ptr(mem, nmem, q->desc_gpa, DESC_SIZE * n);
	q->avail = kt_vmm_gpa_ptr(mem, nmem, q->avail_gpa, 6 + 2 * n);
	q->used = kt_vmm_gpa_ptr(mem, nmem, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used) {
		snprintf(err, errlen, "%s ring at 0x%llx (queue size %u) is not inside guest RAM",
			 !q->desc ? "descriptor" : !q->avail ? "avail" : "used",
			 (unsigned long long)(!q->desc ? q->desc_gpa : !q->avail ? q->avail_gpa : q->used_gpa), q->num);
		q->desc = q->avail = q->used = NULL;
		return -EINVAL;
	}
	q->last_avail = q->used_idx = 0;
	return 0;
}

/* [gpa, gpa+len) as host segments appended to c, one per RAM chunk it
 * touches (contiguous chunks: a NUMA node boundary).  Returns how many,
 * -EINVAL if any byte is outside RAM or the range wraps, -E2BIG if the
 * chain needs more than KVMM_VCHAIN_MAX_SEGS segments. */
static int map_buffer(struct kvmm_vchain *c, const struct kvmm_chunk *mem, unsigned nmem, uint64_t gpa, uint32_t len)
{
	unsigned at = c->nr + c->nw, added = 0;

	if (len && gpa + (len - 1) < gpa)
		return -EINVAL;
	while (len) {
		const struct kvmm_chunk *ch = NULL;
		uint64_t in;

		for (unsigned i = 0; i < nmem && !ch; i++)
			if (gpa >= mem[i].gpa && gpa - mem[i].gpa < mem[i].size)
				ch = &mem[i];
		if (!ch)
			return -EINVAL;
		if (at + added >= KVMM_VCHAIN_MAX_SEGS)
			return -E2BIG;
		in = ch->size - (gpa - ch->gpa);
		if (in > len)
			in = len;
		c->seg[at + added++] = (struct kvmm_vseg){ .p = (uint8_t *)ch->host + (gpa - ch->gpa),
							   .len = (uint32_t)in };
		gpa += in;
		len -= (uint32_t)in;
	}
	return (int)added;
}

int kt_vmm_vq_pop(struct kvmm_vq *q, const struct kvmm_chunk *mem, unsigned nmem, struct kvmm_vchain *c, char *err,
		size_t errlen)
{
	uint16_t avail_idx, pending, head, i;
	unsigned count = 0;
	bool seen_write = false;

	if (!q->ready || !q->avail)
		return 0;
	avail_idx = le16toh(__atomic_load_n((const uint16_t *)(const void *)(q->avail + 2), __ATOMIC_ACQUIRE));
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (!pending)
		return 0;
	if (pending > q->num) {
		snprintf(err, errlen, "avail index %u is %u entries ahead of the device's %u (queue size %u)", avail_idx,
			 pending, q->last_avail, q->num);
		return -EINVAL;
	}
	head = ld16(q->avail + 4 + 2 * (q->last_avail & (q->num - 1)));
	if (head >= q->num) {
		snprintf(err, errlen, "avail ring entry %u names descriptor %u; the queue has %u", q->last_avail, head,
			 q->num);
		return -EINVAL;
	}
	c->head = head;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	for (i = head;;) {
		uint8_t d[DESC_SIZE];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		int n;

		if (++count > q->num) {
			snprintf(err, errlen, "descriptor chain from %u is longer than the queue (%u): a loop", head, q->num);
			return -EINVAL;
		}
		memcpy(d, q->desc + DESC_SIZE * i, sizeof(d)); /* one read: the guest may change it */
		memcpy(&addr, d, 8);
		memcpy(&len, d + 8, 4);
		memcpy(&flags, d + 12, 2);
		memcpy(&next, d + 14, 2);
		addr = le64toh(addr);
		len = le32toh(len);
		flags = le16toh(flags);
		next = le16toh(next);
		if (flags & VRING_DESC_F_INDIRECT) {
			snprintf(err, errlen, "descriptor %u is indirect (VIRTIO_F_INDIRECT_DESC was not offered)", i);
			return -EINVAL;
		}
		if (!(flags & VRING_DESC_F_WRITE) && seen_write) {
			snprintf(err, errlen, "descriptor %u is device-readable but follows a writable one", i);
			return -EINVAL;
		}
		n = map_buffer(c, mem, nmem, addr, len);
		if (n < 0) {
			snprintf(err, errlen, "descriptor %u: buffer 0x%llx + %u %s", i, (unsigned long long)addr, len,
				 n == -E2BIG ? "spans too many RAM chunks" : "is not inside guest RAM");
			return -EINVAL;
		}
		if (flags & VRING_DESC_F_WRITE) {
			seen_write = true;
			c->nw += (unsigned)n;
			c->wlen += len;
		} else {
			c->nr += (unsigned)n;
			c->rlen += len;
		}
		if (c->rlen + c->wlen > UINT32_MAX) {
			snprintf(err, errlen, "descriptor chain from %u holds more than 4 GiB", head);
			return -EINVAL;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (next >= q->num) {
			snprintf(err, errlen, "descriptor %u: next %u is beyond the queue size %u", i, next, q->num);
			return -EINVAL;
		}
		i = next;
	}
	q->last_avail++;
	return 1;
}

void kt_vmm_vq_push(struct kvmm_vq *q, uint16_t head, uint32_t len)
{
	uint8_t *e;
	uint32_t id = htole32(head), l = htole32(len);

	if (!q->used)
		return;
	e = q->used + 4 + 8 * (q->used_idx & (q->num - 1));
	memcpy(e, &id, 4);
	memcpy(e + 4, &l, 4);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(void *)(q->used + 2), htole16(q->used_idx), __ATOMIC_RELEASE);
}

bool kt_vmm_vq_want_irq(const struct kvmm_vq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used->idx visible before we look at the flags */
	return q->avail && !(ld16(q->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

size_t kt_vmm_vchain_read(const struct kvmm_vchain *c, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < c->nr && done < len; i++) {
		const struct kvmm_vseg *s = &c->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((uint8_t *)buf + done, s->p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t kt_vmm_vchain_write(const struct kvmm_vchain *c, uint64_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = c->nr; i < c->nr + c->nw && done < len; i++) {
		const struct kvmm_vseg *s = &c->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy(s->p + off, (const uint8_t *)buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}
