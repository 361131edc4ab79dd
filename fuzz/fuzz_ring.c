/* Fuzz target: draining the guest->host SHM ring (src/proto/shm_ring.c)
 * as the host does after every tick, with the result JSON of a TEST
 * message decoded as the judge decodes it (src/proto/result.c).
 *
 * Input: a flags byte, then the whole shared region (header and byte
 * ring), the guest's to write.  Flags bit 0 makes the header's magic,
 * version and capacity valid for the region's size, so the fuzzer spends
 * its time on the pointers and messages rather than on the header check.
 * Oracles: every message handed to the callback fits the ring (its length
 * at most capacity - 16 bytes) and is readable in full; the return value
 * counts the messages handed over; the read pointer only moves forward,
 * up to the write pointer, and not at all on an invalid ring; a ring
 * drained to empty (pointers not about to wrap at 2^64, which no writer
 * reaches) then carries a message written by kt_ring_write() back intact,
 * with its CRC verified. */
#include "fuzz.h"
#include "proto/result.h"
#include "proto/shm_ring.h"

#include <errno.h>

struct seen {
	uint32_t cap;
	unsigned n;
	uint32_t last_type, last_len;
	uint32_t last_crc;
	bool last_ok;
};

static void on_msg(void *arg, uint32_t type, const void *payload, uint32_t len, bool crc_ok)
{
	struct seen *s = arg;

	FZ_CHECK(len + (uint64_t)KT_MSG_HDR <= s->cap, "message of %u bytes in a ring of %u", len, s->cap);
	s->n++;
	s->last_type = type;
	s->last_len = len;
	s->last_crc = kt_crc32(payload, len); /* reads every byte: ASan checks the buffer */
	s->last_ok = crc_ok;
	if (type == KT_MSG_TEST_RESULT) {
		struct kt_result *r = malloc(sizeof(*r));
		char err[256];

		if (!r)
			abort();
		if (!kt_result_from_json(payload, len, r, err, sizeof(err)))
			FZ_CHECK(r->ndetails <= KT_MAX_DETAILS && r->ncg <= KT_MAX_CGROUPS, "counts out of bounds");
		free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_ring_hdr *h;
	struct seen s = { 0 };
	uint64_t r0, w0;
	unsigned malformed = 0;
	uint8_t flags, *mem;
	int n;

	if (size < 1)
		return 0;
	flags = data[0];
	size--;
	if (size < sizeof(*h))
		return 0;
	mem = (uint8_t *)fz_dup(data + 1, size, false);
	h = (struct kt_ring_hdr *)mem;
	if ((flags & 1) && size >= KT_RING_HDR + KT_MSG_HDR && size - KT_RING_HDR <= (1u << 30)) {
		h->magic = KT_RING_MAGIC;
		h->version = KT_RING_VERSION;
		h->capacity = (uint32_t)(size - KT_RING_HDR);
	}
	r0 = h->read_ptr;
	w0 = h->write_ptr;
	s.cap = h->capacity;
	n = kt_ring_drain(mem, size, on_msg, &s, &malformed);
	if (n == -EINVAL) {
		FZ_CHECK(h->read_ptr == r0, "read pointer moved on an invalid ring");
		free(mem);
		return 0;
	}
	FZ_CHECK(n >= 0 && (unsigned)n == s.n, "returned %d, %u messages seen", n, s.n);
	FZ_CHECK(h->read_ptr >= r0 && h->read_ptr - r0 <= (w0 >= r0 ? w0 - r0 : 0),
		 "read pointer 0x%llx -> 0x%llx, write pointer 0x%llx", (unsigned long long)r0,
		 (unsigned long long)h->read_ptr, (unsigned long long)w0);
	/* Drained to empty: a message written now comes back as written. */
	if (!malformed && h->read_ptr == h->write_ptr && h->write_ptr < UINT64_MAX - (1ull << 31)) {
		static const char msg[] = "{\"test\":\"fuzz\",\"passed\":true}";
		uint32_t len = (uint32_t)(sizeof(msg) - 1);
		int w = kt_ring_write(mem, size, KT_MSG_TEST_RESULT, msg, len);

		FZ_CHECK(w == 0 || (w == -ENOSPC && len + KT_MSG_HDR > s.cap), "write into an empty ring: %d", w);
		memset(&s, 0, sizeof(s));
		s.cap = h->capacity;
		n = kt_ring_drain(mem, size, on_msg, &s, &malformed);
		FZ_CHECK(!malformed && n == (w ? 0 : 1), "read back %d messages (write %d)", n, w);
		if (!w)
			FZ_CHECK(s.last_type == KT_MSG_TEST_RESULT && s.last_len == len && s.last_ok &&
					 s.last_crc == kt_crc32(msg, len),
				 "message came back changed");
	}
	free(mem);
	return 0;
}
