/* Unit tests: the monitor's BTF reader (src/monitor/btf.c) and offset
 * table (layout.c) on the real kernel's types.
 *
 * Fixture: unit/fixtures/btf-6.12.117.btf, the types the monitor reads
 * cut out of the .BTF of the cached kernel 6.12.117-74daf981d1bf by
 * scripts/btf-fixture.sh (unit/fixtures/README.md).
 *
 * Expected values: not from our parser.  Offsets and sizes are pahole's
 * reading of the same vmlinux's DWARF (`pahole -F dwarf -C rq vmlinux`,
 * and -C scx_rq, scx_dispatch_q, sched_info, sched_dl_entity,
 * scx_ops_enable_state; the script prints them); symbol values are `nm
 * vmlinux`; the degraded line is the one the monitor wrote into the
 * sidecar of a real run on this kernel (build/ktstr-tests
 * monitor_kaslr_on, reading the whole vmlinux). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "monitor/btf.h"
#include "monitor/layout.h"
#include "unit.h"

#define BTF_FIXTURE "btf-6.12.117.btf"

/* pahole -F dwarf: rq members at rq offset + member offset in its struct. */
static const struct {
	const char *path;
	uint32_t off, size;
} rq_expect[] = {
	{ "nr_running", 4, 4 },                 /* rq.nr_running             4  4 */
	{ "clock", 2960, 8 },                   /* rq.clock               2960  8 */
	{ "curr", 2904, 8 },                    /* rq.{union}.curr        2904  8 */
	{ "idle", 2920, 8 },                    /* rq.idle                2920  8 */
	{ "scx.nr_running", 2280 + 120, 4 },    /* rq.scx 2280, scx_rq.nr_running 120 */
	{ "scx.local_dsq.nr", 2280 + 0 + 32, 4 }, /* scx_rq.local_dsq 0, scx_dispatch_q.nr 32 */
	{ "scx.flags", 2280 + 124, 4 },         /* scx_rq.flags 124 */
	{ "rq_sched_info.run_delay", 3560 + 8, 8 }, /* rq.rq_sched_info 3560, sched_info.run_delay 8 */
	{ "rq_sched_info.pcount", 3560 + 0, 8 },    /* sched_info.pcount 0 */
	{ "sched_count", 3604, 4 },
	{ "sched_goidle", 3608, 4 },
	{ "ttwu_count", 3612, 4 },
	{ "cpu", 3176, 4 },
};

/* nm vmlinux (6.12.117-74daf981d1bf); the others are absent (0). */
static const struct {
	const char *name;
	uint64_t val;
} nm_syms[] = {
	{ "_text", 0xffffffff81000000ull },        { "_end", 0xffffffff82430000ull },
	{ "linux_banner", 0xffffffff81aa3800ull }, { "phys_base", 0xffffffff82045010ull },
	{ "page_offset_base", 0xffffffff81c1d3d0ull }, { "__pgtable_l5_enabled", 0xffffffff81c1d3e0ull },
	{ "init_top_pgt", 0xffffffff8203e000ull }, { "runqueues", 0x2e200ull },
	{ "__per_cpu_offset", 0xffffffff81c25ea0ull }, { "nr_cpu_ids", 0xffffffff8216c200ull },
	{ "scx_ops_enable_state_var", 0xffffffff8206524cull }, { "scx_switching_all", 0xffffffff82308f48ull },
	{ "scx_nr_rejected", 0xffffffff82308cf0ull },
};

/* The group of each kt_rq_field (layout.h). */
static const int field_group[KT_RQ__COUNT] = {
	[KT_RQ_NR_RUNNING] = KT_G_CORE, [KT_RQ_CLOCK] = KT_G_CORE, [KT_RQ_CURR] = KT_G_IDLE, [KT_RQ_IDLE] = KT_G_IDLE,
	[KT_RQ_SCX_NR] = KT_G_SCX, [KT_RQ_SCX_DSQ_NR] = KT_G_SCX, [KT_RQ_SCX_FLAGS] = KT_G_SCX,
	[KT_RQ_RUN_DELAY] = KT_G_SCHEDSTAT, [KT_RQ_PCOUNT] = KT_G_SCHEDSTAT, [KT_RQ_SCHED_COUNT] = KT_G_SCHEDSTAT,
	[KT_RQ_SCHED_GOIDLE] = KT_G_SCHEDSTAT, [KT_RQ_TTWU_COUNT] = KT_G_SCHEDSTAT,
};

static void nm_table(uint64_t *sym, const char *without)
{
	for (unsigned i = 0; i < kt_layout_nsyms; i++) {
		sym[i] = 0;
		for (size_t j = 0; j < ARRAY_SIZE(nm_syms); j++)
			if (!strcmp(kt_layout_sym_names[i], nm_syms[j].name) &&
			    (!without || strcmp(without, nm_syms[j].name)))
				sym[i] = nm_syms[j].val;
	}
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Rename every string `from` in the blob's string section to `to` (same
 * length), before parsing; the number renamed. */
static int rename_str(unsigned char *blob, size_t len, const char *from, const char *to)
{
	uint32_t so = rd32(blob + 4) + rd32(blob + 16), sl = rd32(blob + 20);
	size_t n = strlen(from);
	int hits = 0;

	for (uint32_t i = 0; so + i + n < len && i + n < sl; i++)
		if ((i == 0 || blob[so + i - 1] == '\0') && !memcmp(blob + so + i, from, n + 1)) {
			memcpy(blob + so + i, to, n);
			hits++;
		}
	return hits;
}

/* Name of member i of type 1 (the first in the type section), read raw. */
static const char *member_name(const unsigned char *blob, unsigned i)
{
	uint32_t types = rd32(blob + 4) + rd32(blob + 8), strs = rd32(blob + 4) + rd32(blob + 16);

	return (const char *)blob + strs + rd32(blob + types + 12 + 12 * i);
}

static struct kt_btf *parse(const unsigned char *blob, size_t len)
{
	struct kt_btf *b = NULL;
	char err[200] = "";
	int ret = kt_btf_parse(blob, len, &b, err, sizeof(err));

	if (ret)
		unit_fail(__FILE__, __LINE__, "kt_btf_parse: %d %s", ret, err);
	return b;
}

UNIT_TEST(monitor_btf_fixture_offsets)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);
	struct kt_btf *b = blob ? parse(blob, len) : NULL;
	int64_t rq;

	if (!b)
		goto out;
	rq = kt_btf_find(b, "rq", KT_BTF_STRUCT);
	CHECK(rq > 0);
	CHECK_EQ_INT(kt_btf_size(b, (uint32_t)rq), 3776); /* pahole: size: 3776 */
	CHECK_EQ_INT(kt_btf_size(b, (uint32_t)kt_btf_find(b, "scx_rq", KT_BTF_STRUCT)), 352);
	CHECK_EQ_INT(kt_btf_size(b, (uint32_t)kt_btf_find(b, "scx_dispatch_q", KT_BTF_STRUCT)), 80);
	CHECK_EQ_INT(kt_btf_size(b, (uint32_t)kt_btf_find(b, "sched_info", KT_BTF_STRUCT)), 32);
	for (size_t i = 0; i < ARRAY_SIZE(rq_expect); i++) {
		uint64_t off = 0;
		uint32_t type = 0;
		char missing[64];
		int ret = kt_btf_member(b, (uint32_t)rq, rq_expect[i].path, &off, &type, missing, sizeof(missing));

		if (ret || off != rq_expect[i].off || kt_btf_size(b, type) != rq_expect[i].size)
			unit_fail(__FILE__, __LINE__, "rq.%s: ret %d off %llu size %lld, pahole says %u/%u",
				  rq_expect[i].path, ret, (unsigned long long)off, (long long)kt_btf_size(b, type),
				  rq_expect[i].off, rq_expect[i].size);
	}
	/* The anonymous union holding curr (pahole: union { donor; curr; }
	 * at 2904) is searched through, like C. */
	{
		uint64_t off;
		uint32_t type;

		CHECK_EQ_INT(kt_btf_member(b, (uint32_t)rq, "donor", &off, &type, NULL, 0), 0);
		CHECK_EQ_INT(off, 2904);
		CHECK_EQ_INT(kt_btf_kind(b, kt_btf_resolve(b, type)), KT_BTF_PTR);
	}
	/* enum scx_ops_enable_state (pahole): ENABLING 0 .. DISABLED 3 */
	{
		int64_t e = kt_btf_find(b, "scx_ops_enable_state", KT_BTF_ENUM), v = -1;

		CHECK(e > 0);
		CHECK_EQ_STR(kt_btf_enum_name(b, (uint32_t)e, 1), "SCX_OPS_ENABLED");
		CHECK_EQ_STR(kt_btf_enum_name(b, (uint32_t)e, 3), "SCX_OPS_DISABLED");
		CHECK(kt_btf_enum_name(b, (uint32_t)e, 4) == NULL);
		CHECK_EQ_INT(kt_btf_enum_value(b, (uint32_t)e, "SCX_OPS_DISABLING", &v), 0);
		CHECK_EQ_INT(v, 2);
	}
out:
	kt_btf_free(b);
	free(blob);
}

UNIT_TEST(monitor_btf_layout_resolve)
{
	static const char *const state[] = { "enabling", "enabled", "disabling", "disabled" };
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);
	struct kt_btf *b = blob ? parse(blob, len) : NULL;
	struct kt_layout l;
	uint64_t sym[32];

	if (!b)
		goto out;
	CHECK(kt_layout_nsyms <= ARRAY_SIZE(sym));
	nm_table(sym, NULL);
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(kt_layout_resolve(&l, b, sym), 0);
	for (int f = 0; f < KT_RQ__COUNT; f++) {
		CHECK(l.rq[f].ok);
		CHECK_EQ_INT(l.rq[f].off, rq_expect[f].off); /* rq_expect[] is in kt_rq_field order */
		CHECK_EQ_INT(l.rq[f].size, rq_expect[f].size);
	}
	CHECK(l.rq_cpu.ok);
	CHECK_EQ_INT(l.rq_cpu.off, 3176);
	CHECK_EQ_INT(l.rq_lo, 4);         /* nr_running */
	CHECK_EQ_INT(l.rq_hi, 3612 + 4);  /* end of ttwu_count */
	for (int g = 0; g < KT_G__COUNT; g++)
		CHECK(l.group[g] == (g != KT_G_EVENTS));
	/* The live run's sidecar on this kernel: exactly this one line;
	 * the trimmed fixture also lacks task_struct, so the sched_ext walk
	 * (where work waits) says so in a second. */
	CHECK_EQ_INT(l.degraded.n, 2);
	if (l.degraded.n)
		CHECK_EQ_STR(l.degraded.v[0], "fallback_rate, keep_last_rate: no struct scx_event_stats in BTF "
					      "(sched_ext event counters appeared in 6.15)");
	if (l.degraded.n > 1)
		CHECK(strstr(l.degraded.v[1], "load, may_take") && strstr(l.degraded.v[1], "no struct task_struct"));
	CHECK(!l.walk.ok);
	CHECK_EQ_INT(l.ev, KT_EV_NONE);
	CHECK_EQ_INT(l.scx_state_var, 0xffffffff8206524cull);
	CHECK_EQ_INT(l.scx_switching_all, 0xffffffff82308f48ull);
	for (int v = 0; v < KT_SCX_STATES; v++)
		CHECK_EQ_STR(l.scx_state_name[v], v < 4 ? state[v] : "");
	CHECK_EQ_INT(l.syms.init_top_pgt, 0xffffffff8203e000ull);
	kt_layout_free(&l);

	/* A symbol missing: the core group (and so everything) is off. */
	nm_table(sym, "init_top_pgt");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(kt_layout_resolve(&l, b, sym), -ENOENT);
	CHECK(l.degraded.n >= 1);
	if (l.degraded.n)
		CHECK_EQ_STR(l.degraded.v[0], "nr_running, clock_ns (the whole monitor): vmlinux has no symbol init_top_pgt");
	for (int g = 0; g < KT_G__COUNT; g++)
		CHECK(!l.group[g]);
	kt_layout_free(&l);
out:
	kt_btf_free(b);
	free(blob);
}

/* The real types with one name changed: the layout degrades the group
 * that needs it, with the reason, and keeps the rest. */
static void degraded_by(const char *from, const char *to, int want_ret, int group, const char *want_line)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);
	struct kt_btf *b = NULL;
	struct kt_layout l;
	uint64_t sym[32];

	if (!blob)
		return;
	CHECK_EQ_INT(rename_str(blob, len, from, to), 1);
	b = parse(blob, len);
	if (b) {
		nm_table(sym, NULL);
		memset(&l, 0, sizeof(l));
		CHECK_EQ_INT(kt_layout_resolve(&l, b, sym), want_ret);
		CHECK(!l.group[group]);
		CHECK(l.degraded.n >= 1);
		if (l.degraded.n)
			CHECK_EQ_STR(l.degraded.v[0], want_line);
		if (!want_ret)
			for (int g = 0; g < KT_G__COUNT; g++)
				CHECK(l.group[g] == (g != group && g != KT_G_EVENTS));
		for (int f = 0; want_ret == 0 && f < KT_RQ__COUNT; f++)
			CHECK(l.rq[f].ok == (field_group[f] != group));
		kt_layout_free(&l);
	}
	kt_btf_free(b);
	free(blob);
}

UNIT_TEST(monitor_btf_missing_member)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);
	struct kt_btf *b = blob ? parse(blob, len) : NULL;
	char missing[64];
	uint64_t off = 7;
	uint32_t type = 7;
	uint32_t rq;

	if (b) {
		rq = (uint32_t)kt_btf_find(b, "rq", KT_BTF_STRUCT);
		CHECK_EQ_INT(kt_btf_member(b, rq, "scx.no_such_member", &off, &type, missing, sizeof(missing)), -ENOENT);
		CHECK_EQ_STR(missing, "no_such_member");
		CHECK_EQ_INT(off, 7); /* untouched on failure */
		CHECK_EQ_INT(kt_btf_member(b, rq, "no_such.nr", &off, &type, missing, sizeof(missing)), -ENOENT);
		CHECK_EQ_STR(missing, "no_such");
		/* A path through a scalar, and bitfields not on a byte
		 * (pahole: sched_dl_entity.dl_throttled:1 at 84:0, dl_yielded:1 at 84:1). */
		CHECK_EQ_INT(kt_btf_member(b, rq, "clock.x", &off, &type, missing, sizeof(missing)), -EINVAL);
		CHECK_EQ_INT(kt_btf_member(b, rq, "fair_server.dl_yielded", &off, &type, missing, sizeof(missing)),
			     -EINVAL);
		CHECK_EQ_INT(kt_btf_member(b, rq, "fair_server.dl_throttled", &off, &type, missing, sizeof(missing)),
			     -EINVAL);
		CHECK_EQ_INT(kt_btf_find(b, "task_struct", KT_BTF_STRUCT), -ENOENT); /* only a declaration here */
		CHECK(kt_btf_find(b, "task_struct", KT_BTF_FWD) > 0);
	}
	kt_btf_free(b);
	free(blob);

	degraded_by("scx", "scy", 0, KT_G_SCX,
		    "scx_nr_running, dsq_depth: struct rq has no member 'scx' (kernel built without sched_ext?)");
	degraded_by("rq_sched_info", "rq_sched_infx", 0, KT_G_SCHEDSTAT,
		    "run_delay_ns, pcount, sched_count, sched_goidle, ttwu_count: struct rq has no member "
		    "'rq_sched_info' (kernel built without CONFIG_SCHEDSTATS?)");
	degraded_by("idle", "idlx", 0, KT_G_IDLE, "idle: struct rq has no member 'idle'");
	degraded_by("nr_running", "nr_runninx", -ENOENT, KT_G_CORE,
		    "nr_running, clock_ns (the whole monitor): struct rq has no member 'nr_running'");
	degraded_by("rq", "rx", -ENOENT, KT_G_CORE, "nr_running, clock_ns (the whole monitor): no struct rq in BTF");
}

/* Parse must fail with a reason containing `want`. */
static void rejects(const unsigned char *blob, size_t len, const char *want, int line)
{
	struct kt_btf *b = (struct kt_btf *)blob; /* must be reset to NULL */
	char err[200] = "";
	unsigned char *copy = malloc(len ? len : 1);

	memcpy(copy, blob, len);
	if (kt_btf_parse(copy, len, &b, err, sizeof(err)) != -EINVAL || b || !strstr(err, want))
		unit_fail(__FILE__, line, "expected rejection \"%s\", got \"%s\"", want, err);
	kt_btf_free(b == (struct kt_btf *)blob ? NULL : b);
	free(copy);
}

UNIT_TEST(monitor_btf_corrupt)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len), *c;
	uint32_t tl, sl;

	if (!blob)
		return;
	c = malloc(len);
	tl = rd32(blob + 12);
	sl = rd32(blob + 20);
	CHECK_EQ_INT(rd32(blob + 4), 24);
	CHECK_EQ_INT(24 + tl + sl, len);
#define MUT(stmt, want)                              \
	do {                                         \
		memcpy(c, blob, len);                \
		stmt;                                \
		rejects(c, len, want, __LINE__);     \
	} while (0)
	MUT(c[0] = 0x34, "bad magic");
	MUT((c[0] = 0xeb, c[1] = 0x9f), "foreign byte order");
	MUT(c[2] = 2, "unsupported version");
	MUT(wr32(c + 4, 23), "bad header length");
	MUT(wr32(c + 4, (uint32_t)len + 1), "bad header length");
	MUT(wr32(c + 12, (uint32_t)len), "sections beyond the blob");
	MUT(wr32(c + 12, tl + 1), "truncated or unknown type"); /* into the strings: the last type is cut */
	MUT(wr32(c + 20, sl + 1), "sections beyond the blob");
	MUT(wr32(c + 16, 0xffffffffu), "sections beyond the blob");
	MUT(wr32(c + 8, 0xfffffff0u), "sections beyond the blob");
	MUT(wr32(c + 8, 2), "misaligned type section");
	/* Header one byte too long: the type section would start misaligned. */
	MUT((wr32(c + 4, 25), wr32(c + 20, sl - 1)), "misaligned type section");
	MUT(wr32(c + 20, 0), "no strings");
	MUT(c[len - 1] = 'x', "not NUL-terminated");
	MUT(wr32(c + 12, tl - 4), "truncated or unknown type");
	MUT(c[24 + 7] = 0x1f, "truncated or unknown type"); /* kind 31 in type 1's info */
	MUT(wr32(c + 24 + 4, (rd32(c + 28) & ~0xffffu) | 0xffff), "truncated or unknown type"); /* rq vlen */
	MUT(wr32(c + 24, sl), "name offset beyond the strings of type (1)"); /* type 1's name */
#undef MUT
	free(c);
	free(blob);
}

UNIT_TEST(monitor_btf_truncated)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);

	if (!blob)
		return;
	/* Every prefix, in a buffer of exactly that size. */
	for (size_t n = 0; n < len; n++)
		rejects(blob, n, n < 24 ? "shorter than a header" : "sections beyond the blob", __LINE__);
	free(blob);
}

UNIT_TEST(monitor_btf_bad_ids)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len);
	struct kt_btf *b;
	uint32_t n, rq;
	uint64_t off;
	uint32_t type;
	char missing[64];
	int64_t v;

	if (!blob)
		return;
	/* Member 1 of rq (type 1) is nr_running, 15 is scx (bpftool btf
	 * dump); point their name and type at nothing. */
	CHECK_EQ_STR(member_name(blob, 1), "nr_running");
	CHECK_EQ_STR(member_name(blob, 15), "scx");
	wr32(blob + 24 + 12 + 12 * 1, 0x00ffffffu);  /* nr_running's name_off */
	wr32(blob + 24 + 12 + 12 * 15 + 4, 0xfffffu); /* scx's type id */
	b = parse(blob, len);
	if (b) {
		n = kt_btf_count(b);
		rq = (uint32_t)kt_btf_find(b, "rq", KT_BTF_STRUCT);
		CHECK_EQ_INT(rq, 1);
		CHECK_EQ_INT(kt_btf_kind(b, 0), -ENOENT);
		CHECK_EQ_INT(kt_btf_kind(b, n + 1), -ENOENT);
		CHECK_EQ_STR(kt_btf_name(b, n + 1), "");
		CHECK_EQ_INT(kt_btf_size(b, n + 1), -EINVAL);
		CHECK_EQ_INT(kt_btf_size(b, UINT32_MAX), -EINVAL);
		CHECK_EQ_INT(kt_btf_member(b, n + 1, "nr_running", &off, &type, NULL, 0), -ENOENT);
		CHECK(kt_btf_enum_name(b, n + 1, 0) == NULL);
		CHECK_EQ_INT(kt_btf_enum_value(b, n + 1, "X", &v), -ENOENT);
		CHECK_EQ_INT(kt_btf_member(b, rq, "nr_running", &off, &type, missing, sizeof(missing)), -ENOENT);
		CHECK_EQ_INT(kt_btf_member(b, rq, "scx", &off, &type, NULL, 0), 0);
		CHECK_EQ_INT(kt_btf_size(b, type), -EINVAL);
		CHECK_EQ_INT(kt_btf_member(b, rq, "scx.nr_running", &off, &type, missing, sizeof(missing)), -ENOENT);
		CHECK_EQ_STR(missing, "nr_running");
		CHECK_EQ_INT(kt_btf_member(b, rq, "clock", &off, &type, NULL, 0), 0);
		CHECK_EQ_INT(off, 2960);
	}
	kt_btf_free(b);
	free(blob);
}

/* Deterministic byte flips anywhere in the real blob: whatever parses
 * must answer every query without a crash (ASan, UBSan). */
UNIT_TEST(monitor_btf_flips)
{
	size_t len;
	unsigned char *blob = unit_fixture(BTF_FIXTURE, &len), *c;
	uint64_t rng = 0x9e3779b97f4a7c15ull, sym[32];
	unsigned parsed = 0;

	if (!blob)
		return;
	c = malloc(len);
	nm_table(sym, NULL);
	for (int round = 0; round < 400; round++) {
		struct kt_btf *b = NULL;
		struct kt_layout l;

		memcpy(c, blob, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			c[24 + (rng >> 8) % (len - 24)] ^= (unsigned char)(1u << (rng & 7));
		}
		if (kt_btf_parse(c, len, &b, NULL, 0))
			continue;
		parsed++;
		memset(&l, 0, sizeof(l));
		kt_layout_resolve(&l, b, sym);
		kt_layout_free(&l);
		for (uint32_t id = 0; id <= kt_btf_count(b) + 1; id++) {
			uint64_t off;
			uint32_t type;
			int64_t v;

			kt_btf_size(b, id);
			kt_btf_name(b, id);
			kt_btf_member(b, id, "scx.local_dsq.nr", &off, &type, NULL, 0);
			kt_btf_enum_name(b, id, 1);
			kt_btf_enum_value(b, id, "SCX_OPS_ENABLED", &v);
		}
		kt_btf_free(b);
	}
	CHECK(parsed > 100); /* most flips land in offsets and sizes, which parse */
	free(c);
	free(blob);
}
