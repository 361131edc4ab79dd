/* virtio-blk (virtio 1.2 §5.2), device side, over a backing-store
 * callback: one request queue, 512-byte sectors, config space with the
 * capacity and seg_max.  Offered: SEG_MAX, FLUSH, and RO for a read-only
 * disk; no indirect descriptors, no event index, no discard.
 *
 * A request is a chain: a 16-byte header (type, reserved, sector) in the
 * readable part, OUT data after it; IN data and GET_ID's id in the
 * writable part, whose last byte is the status.  We do not assume how
 * the driver splits this over descriptors (§2.7.4, message framing).
 * Requests that go past the capacity, are not whole sectors, write a
 * read-only disk or fail on the host get IOERR; unknown types UNSUPP. */
#include "vm/kvm/virtio.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <string.h>

#define HDR_SIZE 16u

static void blk_notify(struct kvmm_virtio *d, unsigned qi)
{
	struct kvmm_blk *b = (struct kvmm_blk *)d;
	struct kvmm_vq *q = &d->q[qi];
	struct kvmm_vchain c;
	char err[200];
	bool used = false;
	int r = 0;

	/* At most a queue's worth per notification: every chain made
	 * available later comes with a notification of its own. */
	for (unsigned n = 0; n < q->num && (r = kt_vmm_vq_pop(q, d->mem, d->nmem, &c, err, sizeof(err))) > 0; n++) {
		uint32_t w;

		if (kt_vmm_blk_request(b, &c, &w, err, sizeof(err))) {
			kt_vmm_virtio_fail(d, "request queue: descriptor %u: %s", c.head, err);
			break;
		}
		kt_vmm_vq_push(q, c.head, w);
		used = true;
	}
	if (r < 0)
		kt_vmm_virtio_fail(d, "request queue: %s", err);
	if (used && kt_vmm_vq_want_irq(q))
		kt_vmm_virtio_interrupt(d);
}

static const struct kvmm_virtio_ops blk_ops = { .notify = blk_notify };

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

void kt_vmm_blk_init(struct kvmm_blk *b, uint64_t bytes, bool ro, const char *serial,
		   int (*io)(void *, enum kvmm_blk_op, void *, size_t, uint64_t), void *io_arg)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_FLUSH, cap;

	memset(b, 0, sizeof(*b));
	if (ro)
		f |= 1ull << VIRTIO_BLK_F_RO;
	kt_vmm_virtio_init(&b->vd, VIRTIO_ID_BLOCK, f, 1, KVMM_BLK_QUEUE_SIZE, &blk_ops);
	b->capacity = bytes / KVMM_BLK_SECTOR;
	b->ro = ro;
	b->io = io;
	b->io_arg = io_arg;
	if (serial) /* NUL-padded; not terminated when it is 20 bytes long */
		memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	/* struct virtio_blk_config: capacity at 0, size_max at 8, seg_max at
	 * 12 (header and status take two of the queue's descriptors). */
	cap = htole64(b->capacity);
	memcpy(b->vd.config, &cap, 8);
	put_le32(b->vd.config + 12, KVMM_BLK_QUEUE_SIZE - 2);
	b->vd.config_len = 0x24; /* through num_queues; later fields read 0 */
}

/* IN (to_guest) or OUT: the data of a request, segment by segment, at
 * byte `pos` of the disk.  data_off: where the data starts in its part;
 * len: how much of it. */
static int transfer(struct kvmm_blk *b, const struct kvmm_vchain *c, bool to_guest, uint64_t data_off, uint64_t len,
		    uint64_t pos)
{
	unsigned first = to_guest ? c->nr : 0, end = to_guest ? c->nr + c->nw : c->nr;

	for (unsigned i = first; i < end && len; i++) {
		const struct kvmm_vseg *s = &c->seg[i];
		uint64_t n;
		int ret;

		if (data_off >= s->len) {
			data_off -= s->len;
			continue;
		}
		n = s->len - data_off < len ? s->len - data_off : len;
		ret = b->io(b->io_arg, to_guest ? KVMM_BLK_READ : KVMM_BLK_WRITE, s->p + data_off, (size_t)n, pos);
		if (ret)
			return ret;
		pos += n;
		len -= n;
		data_off = 0;
	}
	return len ? -EIO : 0;
}

/* Sector range check without overflow. */
static bool in_range(const struct kvmm_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / KVMM_BLK_SECTOR;

	return bytes % KVMM_BLK_SECTOR == 0 && sector <= b->capacity && n <= b->capacity - sector;
}

int kt_vmm_blk_request(struct kvmm_blk *b, const struct kvmm_vchain *c, uint32_t *written, char *err, size_t errlen)
{
	uint8_t hdr[HDR_SIZE], status = VIRTIO_BLK_S_OK;
	uint32_t type;
	uint64_t sector, data, wrote = 1;

	if (c->rlen < HDR_SIZE || kt_vmm_vchain_read(c, 0, hdr, HDR_SIZE) != HDR_SIZE) {
		snprintf(err, errlen, "request header is %llu bytes, not %u", (unsigned long long)c->rlen, HDR_SIZE);
		return -EINVAL;
	}
	if (!c->wlen) {
		snprintf(err, errlen, "request has no writable byte for its status");
		return -EINVAL;
	}
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	type = le32toh(type);
	sector = le64toh(sector);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data = c->wlen - 1;
		if (!in_range(b, sector, data) || transfer(b, c, true, 0, data, sector * KVMM_BLK_SECTOR))
			status = VIRTIO_BLK_S_IOERR;
		else
			wrote += data;
		break;
	case VIRTIO_BLK_T_OUT:
		data = c->rlen - HDR_SIZE;
		if (b->ro || !in_range(b, sector, data) || transfer(b, c, false, HDR_SIZE, data, sector * KVMM_BLK_SECTOR))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (b->io(b->io_arg, KVMM_BLK_FLUSH, NULL, 0, 0))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data = c->wlen - 1 < VIRTIO_BLK_ID_BYTES ? c->wlen - 1 : VIRTIO_BLK_ID_BYTES;
		wrote += kt_vmm_vchain_write(c, 0, b->serial, (size_t)data);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	b->nreq++;
	b->nerr += status == VIRTIO_BLK_S_IOERR;
	kt_vmm_vchain_write(c, c->wlen - 1, &status, 1);
	*written = (uint32_t)wrote; /* a chain holds at most 4 GiB (kt_vmm_vq_pop) */
	return 0;
}
