/* The checksummed result frame on COM2, and the topology comparison. */
#include "proto/result.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_frame_encode(const char *json, size_t len, struct kbuf *out)
{
	if (memchr(json, '\n', len))
		return -EINVAL; /* the payload is one line */
	return kt_kbuf_printf(out, KT_FRAME_BEGIN " len=%zu crc=%08" PRIx32 "===\n%.*s\n" KT_FRAME_END "\n", len,
			   kt_crc32(json, len), (int)len, json);
}

static const char *memfind(const char *h, size_t hl, const char *n)
{
	size_t nl = strlen(n);

	if (nl > hl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == n[0] && !memcmp(h + i, n, nl))
			return h + i;
	return NULL;
}

/* Verify one frame starting at p (the BEGIN marker). */
static int check_frame(const char *p, const char *end, struct kbuf *out, char *err, size_t errlen)
{
	char hdr[96];
	const char *nl = memchr(p, '\n', (size_t)(end - p)), *payload;
	unsigned long long len;
	unsigned crc;
	size_t hl;

	if (!nl) {
		snprintf(err, errlen, "result frame header truncated");
		return -EBADMSG;
	}
	hl = (size_t)(nl - p);
	if (hl >= sizeof(hdr)) {
		snprintf(err, errlen, "result frame header too long");
		return -EBADMSG;
	}
	memcpy(hdr, p, hl);
	hdr[hl] = '\0';
	if (sscanf(hdr, KT_FRAME_BEGIN " len=%llu crc=%8x===", &len, &crc) != 2) {
		snprintf(err, errlen, "result frame header malformed: '%.60s'", hdr);
		return -EBADMSG;
	}
	payload = nl + 1;
	if (len > (unsigned long long)(end - payload)) {
		snprintf(err, errlen, "result frame truncated: %llu bytes announced, %zu present", len,
			 (size_t)(end - payload));
		return -EBADMSG;
	}
	if (kt_crc32(payload, (size_t)len) != crc) {
		snprintf(err, errlen, "result frame CRC mismatch (announced %08x, computed %08x)", crc,
			 (unsigned)kt_crc32(payload, (size_t)len));
		return -EBADMSG;
	}
	out->len = 0;
	return kt_kbuf_append(out, payload, (size_t)len);
}

int kt_frame_find_last(const char *stream, size_t len, struct kbuf *out, char *err, size_t errlen)
{
	struct kbuf clean = { 0 };
	const char *p, *last_ok = NULL, *end;
	int ret = -ENOENT, r;

	/* The tty may have turned "\n" into "\r\n": drop carriage returns. */
	for (size_t i = 0; i < len; i++)
		if (stream[i] != '\r' && kt_kbuf_append(&clean, &stream[i], 1))
			return -ENOMEM;
	if (!clean.data)
		return -ENOENT;
	end = clean.data + clean.len;
	err[0] = '\0';
	for (p = clean.data; (p = memfind(p, (size_t)(end - p), KT_FRAME_BEGIN)); p++) {
		struct kbuf tmp = { 0 };

		r = check_frame(p, end, &tmp, err, errlen);
		if (!r) {
			last_ok = p;
			out->len = 0;
			r = kt_kbuf_append(out, tmp.data, tmp.len);
			kt_kbuf_free(&tmp);
			if (r) {
				kt_kbuf_free(&clean);
				return r;
			}
			ret = 0;
		} else {
			kt_kbuf_free(&tmp);
			if (ret)
				ret = -EBADMSG;
		}
	}
	if (last_ok)
		err[0] = '\0';
	kt_kbuf_free(&clean);
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
