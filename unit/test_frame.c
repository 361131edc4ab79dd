/* The COM2 frame search (proto/frame.c): equal to a naive reference of
 * the documented rule on many small streams, the same whatever the
 * chunking, and linear on a multi-megabyte hostile stream (work counted,
 * not timed). */
#include "unit.h"
#include "proto/result.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reference: docs/protocol.md, written the obvious way ---- */

static bool ref_header(const char *h, size_t n, uint64_t *len, uint32_t *crc)
{
	char buf[64], *e;
	size_t i;

	if (n >= sizeof(buf) || n < 5 + 1 + 5 + 8 + 3 || memcmp(h, " len=", 5))
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	for (i = 5; buf[i] >= '0' && buf[i] <= '9'; i++)
		;
	if (i == 5 || i > 5 + 19 || strncmp(buf + i, " crc=", 5))
		return false;
	*len = strtoull(buf + 5, NULL, 10);
	for (size_t k = i + 5; k < i + 13; k++)
		if (!strchr("0123456789abcdefABCDEF", buf[k]) || !buf[k])
			return false;
	if (strcmp(buf + i + 13, "==="))
		return false;
	buf[i + 13] = '\0';
	*crc = (uint32_t)strtoul(buf + i + 5, &e, 16);
	return true;
}

static int ref_find(const char *in, size_t n, struct kbuf *out, char *err, size_t errlen)
{
	const char *mark = KT_FRAME_BEGIN;
	size_t ml = strlen(mark), m = 0, ls = 0;
	char *s = malloc(n + 1), last[160] = "";
	bool any = false, ok = false;

	for (size_t i = 0; i < n; i++)
		if (in[i] != '\r')
			s[m++] = in[i];
	while (ls < m) {
		char *nl = memchr(s + ls, '\n', m - ls);
		size_t le = nl ? (size_t)(nl - s) : m, ns = le + 1, ne;
		const char *hit = NULL;
		uint64_t len;
		uint32_t crc;

		for (const char *p = s + ls; (p = memmem(p, (size_t)(s + le - p), mark, ml)); p++)
			hit = p;
		if (hit) {
			const char *h = hit + ml;

			any = true;
			if (!nl) {
				snprintf(last, sizeof(last), "result frame header truncated");
			} else if (!ref_header(h, (size_t)(s + le - h), &len, &crc)) {
				int hl = (int)(s + le - h < 40 ? s + le - h : 40);

				snprintf(last, sizeof(last), "result frame header malformed: '%s%.*s'", mark, hl, h);
			} else if (len > KT_FRAME_MAX_LEN) {
				snprintf(last, sizeof(last), "result frame of %llu bytes announced; at most %u are read",
					 (unsigned long long)len, KT_FRAME_MAX_LEN);
			} else {
				const char *pn = ns < m ? memchr(s + ns, '\n', m - ns) : NULL;

				ne = pn ? (size_t)(pn - s) : m;
				if (ne - ns < len) {
					snprintf(last, sizeof(last),
						 "result frame truncated: %llu bytes announced, %llu in its line",
						 (unsigned long long)len, (unsigned long long)(ne - ns));
				} else if (kt_crc32(s + ns, len) != crc) {
					snprintf(last, sizeof(last),
						 "result frame CRC mismatch (announced %08x, computed %08x)", (unsigned)crc,
						 (unsigned)kt_crc32(s + ns, len));
				} else {
					ok = true;
					out->len = 0;
					kt_kbuf_append(out, s + ns, len);
				}
			}
		}
		ls = ns;
	}
	free(s);
	err[0] = '\0';
	if (ok)
		return 0;
	snprintf(err, errlen, "%s", last);
	return any ? -EBADMSG : -ENOENT;
}

/* ---- random streams built from the pieces that matter ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void piece(struct kbuf *b)
{
	static const char *const json[] = { "{}", "{\"test\":\"x\",\"passed\":true}", "", "a", "{\"k\":\"===\"}" };
	const char *j = json[rnd(ARRAY_SIZE(json))];
	struct kbuf f = { 0 };

	switch (rnd(9)) {
	case 0: /* a good frame */
		kt_frame_encode(j, strlen(j), &f);
		kt_kbuf_append(b, f.data, f.len);
		break;
	case 1: /* wrong CRC or length */
		kt_kbuf_printf(b, KT_FRAME_BEGIN " len=%zu crc=%08x===\n%s\n", strlen(j) + rnd(3), kt_crc32(j, strlen(j)) ^ rnd(2), j);
		break;
	case 2: /* a header mid-line, maybe two on a line */
		kt_kbuf_printf(b, "noise" KT_FRAME_BEGIN "%s" KT_FRAME_BEGIN " len=%zu crc=%08x===\n%s%s\n",
			       rnd(2) ? "" : " len=1", strlen(j), kt_crc32(j, strlen(j)), j, rnd(2) ? "" : "tail");
		break;
	case 3: /* malformed headers */
		kt_kbuf_printf(b, KT_FRAME_BEGIN "%s\n", rnd(2) ? " len=+3 crc=0===" : " len=3 crc=000000000=== ");
		break;
	case 4: /* too long */
		kt_kbuf_printf(b, KT_FRAME_BEGIN " len=%u crc=00000000===\nx\n", KT_FRAME_MAX_LEN + rnd(2));
		break;
	case 5: /* a payload or a marker split by a newline */
		if (rnd(2))
			kt_kbuf_printf(b, KT_FRAME_BEGIN " len=3 crc=%08x===\na\nb\n", kt_crc32("a\nb", 3));
		else
			kt_kbuf_printf(b, "===KTSTR_RESULT\n_BEGIN len=0 crc=00000000===\n\n");
		break;
	default: { /* bytes from a small alphabet */
		static const char al[] = "=K\n\r x0";
		unsigned k = rnd(12);

		for (unsigned i = 0; i < k; i++)
			kt_kbuf_append(b, &al[rnd(sizeof(al) - 1)], 1);
	}
	}
	kt_kbuf_free(&f);
}

UNIT_TEST(frame_equals_naive_reference)
{
	struct kbuf s = { 0 }, a = { 0 }, b = { 0 };
	char ea[256], eb[256];

	for (int round = 0; round < 4000; round++) {
		unsigned np = 1 + rnd(5);
		int ra, rb;

		s.len = 0;
		for (unsigned i = 0; i < np; i++)
			piece(&s);
		if (s.len && rnd(3) == 0) /* CRs as a tty adds them, or a cut stream */
			s.len = rnd((unsigned)s.len);
		for (size_t i = 0; rnd(4) == 0 && i < s.len; i++)
			if (s.data[i] == '\n')
				s.data[i] = '\r';
		a.len = b.len = 0;
		ra = kt_frame_find_last(s.data ? s.data : "", s.len, &a, ea, sizeof(ea));
		rb = ref_find(s.data ? s.data : "", s.len, &b, eb, sizeof(eb));
		CHECK_EQ_INT(ra, rb);
		CHECK_EQ_STR(ea, eb);
		CHECK(a.len == b.len && (!a.len || !memcmp(a.data, b.data, a.len)));
		if (unit_failures) {
			fprintf(stderr, "    stream: '%.*s'\n", (int)s.len, s.data);
			break;
		}
	}
	kt_kbuf_free(&s);
	kt_kbuf_free(&a);
	kt_kbuf_free(&b);
}

UNIT_TEST(frame_scan_chunking_does_not_matter)
{
	struct kbuf s = { 0 }, whole = { 0 }, part = { 0 };
	char e1[256], e2[256];

	for (int round = 0; round < 500; round++) {
		struct kt_frame_scan sc;

		s.len = 0;
		for (unsigned i = 0; i < 4; i++)
			piece(&s);
		kt_kbuf_printf(&s, "\r\n");
		kt_frame_scan_init(&sc);
		for (size_t off = 0; off < s.len;) {
			size_t k = 1 + rnd(7);

			if (k > s.len - off)
				k = s.len - off;
			kt_frame_scan_feed(&sc, s.data + off, k);
			off += k;
		}
		kt_frame_scan_finish(&sc);
		CHECK_EQ_INT(kt_frame_scan_result(&sc, &part, e2, sizeof(e2)),
			     kt_frame_find_last(s.data, s.len, &whole, e1, sizeof(e1)));
		CHECK_EQ_STR(e1, e2);
		CHECK(whole.len == part.len && (!whole.len || !memcmp(whole.data, part.data, whole.len)));
		kt_frame_scan_free(&sc);
	}
	kt_kbuf_free(&s);
	kt_kbuf_free(&whole);
	kt_kbuf_free(&part);
}

/* The demonstration: thousands of headers announcing a large
 * length, filler between, no frame that verifies.  The naive search
 * checksummed the rest of the stream after every header: quadratic. */
UNIT_TEST(frame_hostile_stream_linear_work)
{
	struct kbuf s = { 0 }, out = { 0 };
	struct kt_frame_scan sc;
	const char *json = "{\"test\":\"x\",\"passed\":true}";
	char filler[1001], err[256];

	memset(filler, 'f', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';
	while (s.len < (8u << 20))
		kt_kbuf_printf(&s, KT_FRAME_BEGIN " len=%u crc=00000000===\n%s\n", KT_FRAME_MAX_LEN, filler);
	CHECK_EQ_INT(kt_frame_find_last(s.data, s.len, &out, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "truncated") != NULL);
	/* Long headers on long lines, the marker cut by CRs. */
	for (size_t i = 0; i < 2000; i++)
		kt_kbuf_printf(&s, "===KTSTR_\rRESULT_BEGIN len=%zu crc=00000000===%s\n", i, filler);
	kt_frame_encode(json, strlen(json), &s); /* and a good frame last */
	kt_frame_scan_init(&sc);
	for (size_t off = 0; off < s.len; off += 4096)
		kt_frame_scan_feed(&sc, s.data + off, s.len - off < 4096 ? s.len - off : 4096);
	kt_frame_scan_finish(&sc);
	CHECK_EQ_INT(kt_frame_scan_result(&sc, &out, err, sizeof(err)), 0);
	CHECK(out.len == strlen(json) && !memcmp(out.data, json, out.len));
	/* Each byte looked at once, checksummed at most once. */
	CHECK(sc.work <= 2 * (uint64_t)s.len);
	CHECK(sc.cur.cap <= KT_FRAME_MAX_LEN + 1024);
	kt_frame_scan_free(&sc);
	kt_kbuf_free(&s);
	kt_kbuf_free(&out);
}
