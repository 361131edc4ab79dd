/* Fuzz target: the COM2 result frame and the result JSON it carries
 * (src/proto/frame.c, src/proto/result.c), as the judge reads a guest's
 * COM2 stream.
 *
 * Input: a mode byte, then either (bit 0 clear) the raw COM2 stream, or
 * (bit 0 set) a JSON payload that the target frames with a correct length
 * and CRC, so that the fuzzer reaches the JSON decoder past the checksum.
 * Mode bit 1 (with bit 0 clear) repeats the raw stream up to 64 KiB,
 * 256 KiB, 1 MiB or 4 MiB (mode bits 2-3): a flooding guest, built from a
 * small input.
 * Oracles: kt_frame_find_last() agrees with a naive reference (below) for
 * streams up to REF_MAX bytes; the payload it returns decodes with
 * kt_result_from_json() into a struct whose strings are terminated within
 * their fields and whose counts are within bounds; a result with a failure
 * detail does not pass.  The per-input time limit (10 s) catches a
 * search that is slower than linear on the big streams of mode bit 1. */
#include "fuzz.h"
#include "proto/result.h"

#include <errno.h>

#define REF_MAX 16384
#define REPEAT_MAX (4u << 20)

/* The reference, written from the protocol (docs/protocol.md) rather
 * than from the scanner: carriage returns are dropped and the stream is
 * split into lines at LF (the last one may lack it).  A line holding the
 * BEGIN marker is a header if what follows its last marker is exactly
 * " len=<1-19 digits> crc=<8 hex digits>===" with a length of at most
 * KT_FRAME_MAX_LEN; its payload is the first <len> bytes of the next line
 * (the payload is one line: the encoder refuses a newline), which must be
 * that long and match the CRC.  The last frame that verifies wins; a
 * marker without one is -EBADMSG, no marker -ENOENT. */
static bool ref_header(const char *h, size_t n, unsigned long long *len, unsigned *crc)
{
	size_t i = 5, d = 0;

	if (n < 5 || memcmp(h, " len=", 5))
		return false;
	for (*len = 0; i < n && h[i] >= '0' && h[i] <= '9' && d < 19; i++, d++)
		*len = *len * 10 + (unsigned)(h[i] - '0');
	if (!d || n - i != 5 + 8 + 3 || memcmp(h + i, " crc=", 5) || memcmp(h + i + 13, "===", 3))
		return false;
	*crc = 0;
	for (i += 5; i < n - 3; i++) {
		char c = h[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return false;
		*crc = *crc << 4 | (unsigned)v;
	}
	return *len <= KT_FRAME_MAX_LEN;
}

static int reference(const char *stream, size_t len, const char **payload, size_t *plen, char *clean)
{
	static const char marker[] = KT_FRAME_BEGIN;
	size_t n = 0, ml = sizeof(marker) - 1;
	int ret = -ENOENT;

	for (size_t i = 0; i < len; i++)
		if (stream[i] != '\r')
			clean[n++] = stream[i];
	for (size_t ls = 0; ls < n;) {
		size_t le = ls, last = SIZE_MAX, ps, pe;
		unsigned long long l;
		unsigned crc;

		while (le < n && clean[le] != '\n')
			le++;
		for (size_t i = ls; i + ml <= le; i++)
			if (!memcmp(clean + i, marker, ml))
				last = i;
		if (last != SIZE_MAX) {
			if (ret == -ENOENT)
				ret = -EBADMSG;
			if (le < n && ref_header(clean + last + ml, le - last - ml, &l, &crc)) {
				ps = pe = le + 1;
				while (pe < n && clean[pe] != '\n')
					pe++;
				if (pe - ps >= l && kt_crc32(clean + ps, (size_t)l) == crc) {
					*payload = clean + ps;
					*plen = (size_t)l;
					ret = 0;
				}
			}
		}
		ls = le + 1;
	}
	return ret;
}

static void check_result(const struct kt_result *r)
{
	FZ_CHECK(strnlen(r->test, sizeof(r->test)) < sizeof(r->test), "test name unterminated");
	FZ_CHECK(r->ndetails <= KT_MAX_DETAILS && r->ncg <= KT_MAX_CGROUPS, "%u details, %u cgroups", r->ndetails,
		 r->ncg);
	for (unsigned i = 0; i < r->ndetails; i++) {
		FZ_CHECK((unsigned)r->details[i].kind < KTSTR_K__COUNT, "detail %u kind %d", i, r->details[i].kind);
		FZ_CHECK(strnlen(r->details[i].msg, sizeof(r->details[i].msg)) < sizeof(r->details[i].msg),
			 "detail %u unterminated", i);
		FZ_CHECK(!r->passed || r->details[i].kind == KTSTR_K_SKIP, "passes with a failure detail");
	}
	for (unsigned i = 0; i < r->ncg; i++) {
		FZ_CHECK(strnlen(r->cg[i].name, sizeof(r->cg[i].name)) < sizeof(r->cg[i].name), "cgroup name");
		FZ_CHECK(strnlen(r->cg[i].work, sizeof(r->cg[i].work)) < sizeof(r->cg[i].work), "cgroup work");
	}
	for (unsigned i = 0; r->have_topo && i < KT_MAX_LLCS; i++)
		FZ_CHECK(strnlen(r->topo.llc_lists[i], sizeof(r->topo.llc_lists[i])) < sizeof(r->topo.llc_lists[i]),
			 "llc list %u", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *stream, err[256];
	struct kbuf out = { 0 };
	struct kt_result *r;
	int ret;

	if (!size)
		return 0;
	{
		struct kbuf f = { 0 };

		if (data[0] & 1) {
			/* one line, as the guest's encoder makes it */
			char *json = fz_dup((const char *)data + 1, size - 1, false);

			for (size_t i = 0; i < size - 1; i++)
				if (json[i] == '\n' || json[i] == '\r')
					json[i] = ' ';
			if (kt_kbuf_printf(&f, KT_FRAME_BEGIN " len=%zu crc=%08x===\n", size - 1,
					   (unsigned)kt_crc32(json, size - 1)) ||
			    kt_kbuf_append(&f, json, size - 1) || kt_kbuf_printf(&f, "\n" KT_FRAME_END "\n"))
				abort();
			free(json);
		} else if (kt_kbuf_append(&f, data + 1, size - 1)) {
			abort();
		}
		if ((data[0] & 3) == 2 && f.len) {
			size_t unit = f.len;
			char *u = fz_dup(f.data, unit, false); /* f.data moves as f grows */

			while (f.len + unit <= REPEAT_MAX >> (6 - 2 * ((data[0] >> 2) & 3)))
				if (kt_kbuf_append(&f, u, unit))
					abort();
			free(u);
		}
		size = f.len;
		stream = fz_dup(f.data ? f.data : "", size, false);
		kt_kbuf_free(&f);
	}
	ret = kt_frame_find_last(stream, size, &out, err, sizeof(err));

	FZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EBADMSG || ret == -ENOMEM, "returned %d", ret);
	FZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err), "err unterminated");
	if (size <= REF_MAX) {
		char *clean = malloc(size ? size : 1);
		const char *want = NULL;
		size_t wlen = 0;
		int rret = reference(stream, size, &want, &wlen, clean);

		FZ_CHECK(ret == rret, "kt_frame_find_last %d, reference %d", ret, rret);
		if (!ret) {
			FZ_CHECK(out.len == wlen && (!wlen || !memcmp(out.data, want, wlen)),
				 "payload of %zu bytes, reference %zu", out.len, wlen);
			FZ_CHECK(!err[0], "a frame verified but err says '%s'", err);
		}
		free(clean);
	}
	if (!ret) {
		r = malloc(sizeof(*r));
		if (!r)
			abort();
		if (!kt_result_from_json(out.data ? out.data : "", out.len, r, err, sizeof(err)))
			check_result(r);
		free(r);
	}
	kt_kbuf_free(&out);
	free(stream);
	return 0;
}
