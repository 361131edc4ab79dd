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

/* The reference: every occurrence of the BEGIN marker, in order, after
 * dropping carriage returns; the header is the rest of that line (shorter
 * than 96 bytes), read with the format the protocol documents; the frame
 * verifies when the announced length fits the stream and the CRC matches.
 * The last frame that verifies wins. */
static int reference(const char *stream, size_t len, const char **payload, size_t *plen, char *clean)
{
	static const char marker[] = KT_FRAME_BEGIN;
	size_t n = 0, ml = sizeof(marker) - 1;
	int ret = -ENOENT;

	for (size_t i = 0; i < len; i++)
		if (stream[i] != '\r')
			clean[n++] = stream[i];
	for (size_t i = 0; i + ml <= n; i++) {
		char hdr[96];
		unsigned long long l;
		unsigned crc;
		size_t e = i;

		if (memcmp(clean + i, marker, ml))
			continue;
		if (ret == -ENOENT)
			ret = -EBADMSG;
		while (e < n && clean[e] != '\n')
			e++;
		if (e == n || e - i >= sizeof(hdr))
			continue;
		memcpy(hdr, clean + i, e - i);
		hdr[e - i] = '\0';
		if (sscanf(hdr, KT_FRAME_BEGIN " len=%llu crc=%8x===", &l, &crc) != 2)
			continue;
		if (l > n - (e + 1) || kt_crc32(clean + e + 1, (size_t)l) != crc)
			continue;
		*payload = clean + e + 1;
		*plen = (size_t)l;
		ret = 0;
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
			if (kt_kbuf_printf(&f, KT_FRAME_BEGIN " len=%zu crc=%08x===\n", size - 1,
					   (unsigned)kt_crc32(data + 1, size - 1)) ||
			    kt_kbuf_append(&f, data + 1, size - 1) || kt_kbuf_printf(&f, "\n" KT_FRAME_END "\n"))
				abort();
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
