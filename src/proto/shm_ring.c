/* Shared-memory message ring (see shm_ring.h). */
#include "proto/shm_ring.h"
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The guest can change any header field at any time: each is read once,
 * atomically, and only the values read are used (no second fetch). */
static bool hdr_ok(const struct kt_ring_hdr *h, size_t size, uint32_t *cap)
{
	uint32_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	uint32_t version = __atomic_load_n(&h->version, __ATOMIC_RELAXED);
	uint32_t c = __atomic_load_n(&h->capacity, __ATOMIC_RELAXED);

	if (magic != KT_RING_MAGIC || version != KT_RING_VERSION || size < KT_RING_HDR + KT_MSG_HDR ||
	    size - KT_RING_HDR > (1u << 30) || c != size - KT_RING_HDR)
		return false;
	*cap = c;
	return true;
}

int kt_ring_init(void *mem, size_t size)
{
	struct kt_ring_hdr *h = mem;

	if (size < KT_RING_HDR + KT_MSG_HDR || size - KT_RING_HDR > (1u << 30))
		return -EINVAL;
	memset(mem, 0, KT_RING_HDR);
	h->version = KT_RING_VERSION;
	h->capacity = (uint32_t)(size - KT_RING_HDR);
	__atomic_store_n(&h->magic, KT_RING_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static void copy_in(unsigned char *data, uint32_t cap, uint64_t pos, const void *src, uint32_t len)
{
	uint32_t off = (uint32_t)(pos % cap), first = cap - off < len ? cap - off : len;

	memcpy(data + off, src, first);
	memcpy(data, (const unsigned char *)src + first, len - first);
}

static void copy_out(const unsigned char *data, uint32_t cap, uint64_t pos, void *dst, uint32_t len)
{
	uint32_t off = (uint32_t)(pos % cap), first = cap - off < len ? cap - off : len;

	memcpy(dst, data + off, first);
	memcpy((unsigned char *)dst + first, data, len - first);
}

int kt_ring_write(void *mem, size_t size, uint32_t type, const void *payload, uint32_t len)
{
	struct kt_ring_hdr *h = mem;
	unsigned char *data = (unsigned char *)mem + KT_RING_HDR;
	uint32_t mh[4] = { type, len, 0, 0 }, cap;
	uint64_t w, r;

	if (!hdr_ok(h, size, &cap))
		return -EINVAL;
	w = __atomic_load_n(&h->write_ptr, __ATOMIC_RELAXED);
	r = __atomic_load_n(&h->read_ptr, __ATOMIC_ACQUIRE);
	if (w < r || w - r > cap || (uint64_t)len + KT_MSG_HDR > cap - (w - r)) {
		__atomic_fetch_add(&h->drops, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	mh[2] = kt_crc32(payload, len);
	copy_in(data, cap, w, mh, KT_MSG_HDR);
	copy_in(data, cap, w + KT_MSG_HDR, payload, len);
	__atomic_store_n(&h->write_ptr, w + KT_MSG_HDR + len, __ATOMIC_RELEASE);
	return 0;
}

int kt_ring_drain(void *mem, size_t size, kt_ring_fn fn, void *arg, unsigned *malformed)
{
	struct kt_ring_hdr *h = mem;
	const unsigned char *data = (const unsigned char *)mem + KT_RING_HDR;
	uint64_t w, r;
	uint32_t cap;
	int n = 0;

	if (!hdr_ok(h, size, &cap))
		return -EINVAL;
	w = __atomic_load_n(&h->write_ptr, __ATOMIC_ACQUIRE);
	r = __atomic_load_n(&h->read_ptr, __ATOMIC_RELAXED);
	if (w < r || w - r > cap) {
		if (malformed)
			(*malformed)++;
		return n;
	}
	/* Message headers and payloads are copied out once and checked on
	 * the copy; the guest may rewrite the ring meanwhile. */
	while (w - r >= KT_MSG_HDR) {
		uint32_t mh[4];
		void *p;

		copy_out(data, cap, r, mh, KT_MSG_HDR);
		if (mh[1] > w - r - KT_MSG_HDR || mh[3] != 0) {
			if (malformed)
				(*malformed)++;
			break;
		}
		p = malloc(mh[1] ? mh[1] : 1);
		if (!p)
			break;
		copy_out(data, cap, r + KT_MSG_HDR, p, mh[1]);
		fn(arg, mh[0], p, mh[1], kt_crc32(p, mh[1]) == mh[2]);
		free(p);
		r += KT_MSG_HDR + mh[1];
		n++;
	}
	__atomic_store_n(&h->read_ptr, r, __ATOMIC_RELEASE);
	return n;
}
