/* The checksummed result frame on COM2, and the topology comparison. */
#include "proto/result.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int kt_frame_encode(const char *json, size_t len, struct kbuf *out)
{
	if (memchr(json, '\n', len))
		return -EINVAL; /* the payload is one line */
	return kt_kbuf_printf(out, KT_FRAME_BEGIN " len=%zu crc=%08" PRIx32 "===\n%.*s\n" KT_FRAME_END "\n", len,
			   kt_crc32(json, len), (int)len, json);
}

void kt_frame_scan_init(struct kt_frame_scan *s)
{
	memset(s, 0, sizeof(*s));
	kt_marker_init(&s->begin, KT_FRAME_BEGIN);
}

void kt_frame_scan_free(struct kt_frame_scan *s)
{
	kt_kbuf_free(&s->cur);
	kt_kbuf_free(&s->payload);
}

/* " len=<decimal> crc=<8 hex digits>===" and nothing else. */
static bool parse_header(const char *h, uint64_t *len, uint32_t *crc)
{
	uint64_t v = 0;
	uint32_t c = 0;
	int digits = 0;

	if (strncmp(h, " len=", 5))
		return false;
	for (h += 5; *h >= '0' && *h <= '9' && digits < 19; h++, digits++)
		v = v * 10 + (uint64_t)(*h - '0');
	if (!digits || strncmp(h, " crc=", 5))
		return false;
	h += 5;
	for (int i = 0; i < 8; i++, h++) {
		int d = *h >= '0' && *h <= '9' ? *h - '0' : *h >= 'a' && *h <= 'f' ? *h - 'a' + 10
			: *h >= 'A' && *h <= 'F' ? *h - 'A' + 10 : -1;

		if (d < 0)
			return false;
		c = c << 4 | (uint32_t)d;
	}
	if (strcmp(h, "==="))
		return false;
	*len = v;
	*crc = c;
	return true;
}

/* The line after a header ended (or the stream did): its payload. */
static void check_payload(struct kt_frame_scan *s)
{
	s->want = false;
	if (s->line_len < s->want_len) {
		snprintf(s->err, sizeof(s->err), "result frame truncated: %llu bytes announced, %llu in its line",
			 (unsigned long long)s->want_len, (unsigned long long)s->line_len);
	} else if (s->crc != s->want_crc) {
		snprintf(s->err, sizeof(s->err), "result frame CRC mismatch (announced %08x, computed %08x)",
			 (unsigned)s->want_crc, (unsigned)s->crc);
	} else {
		struct kbuf t = s->payload;

		s->payload = s->cur; /* the newest verified frame */
		s->cur = t;
		s->ok = true;
	}
	s->cur.len = 0;
}

/* A line ended that held KT_FRAME_BEGIN: is its last one a header? */
static void check_header(struct kt_frame_scan *s)
{
	uint64_t len;
	uint32_t crc;

	s->any = true;
	s->hdr[s->hdr_len] = '\0';
	if (s->hdr_long || !parse_header(s->hdr, &len, &crc)) {
		snprintf(s->err, sizeof(s->err), "result frame header malformed: '%s%.40s'", KT_FRAME_BEGIN, s->hdr);
	} else if (len > KT_FRAME_MAX_LEN) {
		snprintf(s->err, sizeof(s->err), "result frame of %llu bytes announced; at most %u are read",
			 (unsigned long long)len, KT_FRAME_MAX_LEN);
	} else {
		s->want = true;
		s->want_len = len;
		s->want_crc = crc;
		s->crc = (uint32_t)crc32(0, NULL, 0);
		s->cur.len = 0;
	}
}

static void end_line(struct kt_frame_scan *s)
{
	if (s->want)
		check_payload(s);
	if (s->marks)
		check_header(s);
	s->line_len = s->marks = 0;
	s->hdr_len = 0;
	s->hdr_long = false;
	s->begin.matched = 0;
}

/* n bytes of one line, none of them CR or LF. */
static void line_bytes(struct kt_frame_scan *s, const char *p, size_t n)
{
	if (s->want && s->line_len < s->want_len) { /* the payload's part of them */
		size_t k = s->want_len - s->line_len < n ? (size_t)(s->want_len - s->line_len) : n;

		s->crc = (uint32_t)crc32(s->crc, (const unsigned char *)p, (uInt)k);
		kt_kbuf_append(&s->cur, p, k);
		s->work += k;
	}
	s->line_len += n;
	for (size_t i = 0; i < n; i++) {
		if (kt_marker_feed(&s->begin, p + i, 1)) {
			s->marks++;
			s->hdr_len = 0;
			s->hdr_long = false;
		} else if (s->marks && s->hdr_len + 1 < sizeof(s->hdr)) {
			s->hdr[s->hdr_len++] = p[i];
		} else if (s->marks) {
			s->hdr_long = true;
		}
	}
	s->work += n;
}

void kt_frame_scan_feed(struct kt_frame_scan *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '\n' && p[j] != '\r')
			j++;
		if (j > i)
			line_bytes(s, p + i, j - i);
		if (j < n) {
			s->work++;
			if (p[j] == '\n')
				end_line(s);
			j++; /* carriage returns are dropped */
		}
		i = j;
	}
}

void kt_frame_scan_finish(struct kt_frame_scan *s)
{
	if (s->done)
		return;
	if (s->want)
		check_payload(s);
	if (s->marks) {
		s->any = true;
		snprintf(s->err, sizeof(s->err), "result frame header truncated");
	}
	s->done = true;
}

int kt_frame_scan_result(const struct kt_frame_scan *s, struct kbuf *out, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (s->ok) {
		out->len = 0;
		return kt_kbuf_append(out, s->payload.data ? s->payload.data : "", s->payload.len);
	}
	if (!s->any)
		return -ENOENT;
	snprintf(err, errlen, "%s", s->err);
	return -EBADMSG;
}

int kt_frame_find_last(const char *stream, size_t len, struct kbuf *out, char *err, size_t errlen)
{
	struct kt_frame_scan s;
	int ret;

	kt_frame_scan_init(&s);
	kt_frame_scan_feed(&s, stream, len);
	kt_frame_scan_finish(&s);
	ret = kt_frame_scan_result(&s, out, err, errlen);
	kt_frame_scan_free(&s);
	return ret;
}

int kt_topo_compare(const struct ktstr_topo *want, const struct kt_seen_topo *seen, char *err, size_t errlen)
{
	unsigned per_llc = want->cores * want->threads;
	char w[32];
	bool ok = true;

	ktstr_topo_format(want, w, sizeof(w));
	if (seen->cpus != ktstr_topo_cpus(want))
		ok = false;
	if (seen->llcs != want->llcs || seen->llc_size_min != per_llc || seen->llc_size_max != per_llc)
		ok = false;
	if (seen->smt_min != want->threads || seen->smt_max != want->threads)
		ok = false;
	if (seen->nodes != want->numa_nodes || (want->numa_nodes > 1 && !seen->llcs_within_nodes))
		ok = false;
	if (ok)
		return 0;
	snprintf(err, errlen,
		 "topology mismatch: asked %s (%u cpus, %u LLCs of %u cpus, %u threads/core, %u nodes); "
		 "guest sees %u cpus, %u LLCs of %u-%u cpus (first: %s), %u-%u threads/core, %u nodes%s",
		 w, ktstr_topo_cpus(want), want->llcs, per_llc, want->threads, want->numa_nodes, seen->cpus,
		 seen->llcs, seen->llc_size_min, seen->llc_size_max, seen->llc_lists[0], seen->smt_min,
		 seen->smt_max, seen->nodes, seen->llcs_within_nodes ? "" : ", an LLC spans nodes");
	return -EINVAL;
}
