/* Fuzz target: the BTF reader and the monitor's layout resolution
 * (src/monitor/btf.c, layout.c).  The BTF comes from the guest kernel's
 * vmlinux, which a user can point ktstr at (--kernel), and the layout
 * decides what the host reads from guest memory at every sample.
 *
 * Input: a raw BTF blob (the .BTF section).
 * Oracles: a parsed blob answers every query on every type id without
 * touching memory outside the blob (ASan: the reader works on a copy of
 * exactly the input's size); names are terminated strings; a resolved
 * layout's read span [rq_lo, rq_hi) holds every field it resolved, in
 * 64-bit arithmetic; every resolved field has a scalar size.  The time
 * limit catches work that grows faster than the blob. */
#include "fuzz.h"
#include "monitor/btf.h"
#include "monitor/layout.h"

#include <errno.h>

static volatile size_t sink;

static void check_layout(const struct kt_btf *b)
{
	struct kt_layout *l = calloc(1, sizeof(*l));
	uint64_t sym[64];

	if (!l || kt_layout_nsyms > sizeof(sym) / sizeof(sym[0]))
		abort();
	/* Every symbol present, at distinct plausible addresses. */
	for (unsigned i = 0; i < kt_layout_nsyms; i++)
		sym[i] = 0xffffffff81000000ull + 0x1000ull * i;
	if (!kt_layout_resolve(l, b, sym)) {
		for (int f = 0; f < KT_RQ__COUNT; f++) {
			if (!l->rq[f].ok)
				continue;
			FZ_CHECK(l->rq[f].size == 1 || l->rq[f].size == 2 || l->rq[f].size == 4 || l->rq[f].size == 8,
				 "rq field %d of size %u", f, l->rq[f].size);
			FZ_CHECK(l->rq_lo <= l->rq[f].off && (uint64_t)l->rq[f].off + l->rq[f].size <= l->rq_hi,
				 "rq field %d at %llu+%u outside the read span [%llu, %llu)", f,
				 (unsigned long long)l->rq[f].off, l->rq[f].size, (unsigned long long)l->rq_lo,
				 (unsigned long long)l->rq_hi);
		}
		for (int s = 0; s < KT_SCX_STATES; s++)
			FZ_CHECK(memchr(l->scx_state_name[s], '\0', sizeof(l->scx_state_name[s])), "state name");
	}
	for (size_t i = 0; i < l->degraded.n; i++)
		FZ_CHECK(l->degraded.v[i] != NULL, "degraded line %zu", i);
	kt_layout_free(l);
	free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "nr_running", "scx.local_dsq.nr", "curr", "a.b.c.d.e.f.g.h" };
	struct kt_btf *b = NULL;
	char err[256], missing[64];
	uint32_t n;
	int ret = kt_btf_parse(data, size, &b, err, sizeof(err));

	if (ret) {
		FZ_CHECK(!b && (ret == -EINVAL || ret == -ENOMEM), "parse failed with %d", ret);
		FZ_CHECK(memchr(err, '\0', sizeof(err)), "err unterminated");
		return 0;
	}
	n = kt_btf_count(b);
	for (uint32_t id = 0; id <= n + 1; id++) {
		const char *name = kt_btf_name(b, id);
		int kind = kt_btf_kind(b, id);
		int64_t sz = kt_btf_size(b, id);
		uint32_t r = kt_btf_resolve(b, id);

		FZ_CHECK(name != NULL, "name of %u", id);
		sink += strlen(name); /* terminated inside the blob's copy: ASan */
		FZ_CHECK((id >= 1 && id <= n) == (kind >= 0), "id %u of %u: kind %d", id, n, kind);
		FZ_CHECK(sz >= -EINVAL, "size %lld", (long long)sz);
		(void)r;
		if (kind == KT_BTF_STRUCT || kind == KT_BTF_UNION) {
			for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
				uint64_t off;
				uint32_t type;

				if (kt_btf_member(b, id, paths[p], &off, &type, missing, sizeof(missing)))
					FZ_CHECK(memchr(missing, '\0', sizeof(missing)), "missing unterminated");
			}
		}
		if (kind == KT_BTF_ENUM || kind == KT_BTF_ENUM64) {
			int64_t v;
			const char *e = kt_btf_enum_name(b, id, 0);

			if (e)
				kt_btf_enum_value(b, id, e, &v);
		}
		if (*name && kind >= 0)
			FZ_CHECK(kt_btf_find(b, name, kind) >= 1, "type %u '%s' of kind %d not found by name", id, name,
				 kind);
	}
	check_layout(b);
	kt_btf_free(b);
	return 0;
}
