/* Result details, JSON encoding/decoding of results. */
#include "proto/result.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[KTSTR_K__COUNT] = {
	[KTSTR_K_OTHER] = "other",       [KTSTR_K_STARVED] = "starved",
	[KTSTR_K_STUCK] = "stuck",       [KTSTR_K_UNFAIR] = "unfair",
	[KTSTR_K_ISOLATION] = "isolation", [KTSTR_K_TOPOLOGY] = "topology",
	[KTSTR_K_SCHEDULER] = "scheduler", [KTSTR_K_SKIP] = "skip",
	[KTSTR_K_BENCHMARK] = "benchmark", [KTSTR_K_MIGRATION] = "migration",
	[KTSTR_K_PAGE_LOCALITY] = "page_locality", [KTSTR_K_CROSS_NODE_MIGRATION] = "cross_node_migration",
	[KTSTR_K_SLOW_TIER] = "slow_tier", [KTSTR_K_PAYLOAD] = "payload",
};

const char *ktstr_kind_name(enum ktstr_kind k)
{
	return (unsigned)k < KTSTR_K__COUNT ? kind_names[k] : "other";
}

enum ktstr_kind ktstr_kind_parse(const char *s)
{
	for (unsigned i = 0; i < KTSTR_K__COUNT; i++)
		if (s && !strcmp(s, kind_names[i]))
			return (enum ktstr_kind)i;
	return KTSTR_K_OTHER;
}

void kt_result_init(struct kt_result *r, const char *test)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->test, sizeof(r->test), "%s", test ? test : "");
	r->passed = true;
	r->stats.worst_gap_cpu = -1;
}

void kt_result_add(struct kt_result *r, enum ktstr_kind kind, const char *msg)
{
	if (kind == KTSTR_K_SKIP) {
		if (r->ndetails == 0 || r->skipped)
			r->skipped = true;
	} else {
		r->passed = false;
		r->skipped = false;
	}
	if (r->ndetails >= KT_MAX_DETAILS)
		return;
	r->details[r->ndetails].kind = kind;
	snprintf(r->details[r->ndetails].msg, sizeof(r->details[0].msg), "%s", msg);
	r->ndetails++;
}

/* Numeric fields of the statistics, encoded and decoded by table. */
enum ftype { F_U32, F_U64, F_INT, F_DBL };
struct field {
	const char *name;
	enum ftype t;
	size_t off;
};
#define CGF(n, t) { #n, t, offsetof(struct kt_cgstats, n) }
static const struct field cg_fields[] = {
	CGF(workers, F_U32), CGF(cpus, F_U32), CGF(avg_off_cpu_pct, F_DBL), CGF(min_off_cpu_pct, F_DBL),
	CGF(max_off_cpu_pct, F_DBL), CGF(spread_pct, F_DBL), CGF(max_gap_ms, F_U64), CGF(max_gap_cpu, F_INT),
	CGF(migrations, F_U64), CGF(iterations, F_U64), CGF(work_units, F_U64), CGF(migration_ratio, F_DBL),
	CGF(iterations_per_worker, F_DBL), CGF(wake_samples, F_U64), CGF(p99_wake_latency_us, F_DBL),
	CGF(median_wake_latency_us, F_DBL), CGF(wake_latency_cv, F_DBL), CGF(wake_latency_tail_ratio, F_DBL),
	CGF(mean_run_delay_us, F_U64), CGF(worst_run_delay_us, F_U64), CGF(page_locality, F_DBL),
	CGF(cross_node_migration_ratio, F_DBL),
};
#define SSF(n, t) { #n, t, offsetof(struct kt_scenario_stats, n) }
static const struct field ss_fields[] = {
	SSF(total_cpus, F_U32), SSF(total_migrations, F_U64), SSF(total_iterations, F_U64),
	SSF(worst_spread, F_DBL), SSF(worst_gap_ms, F_U64), SSF(worst_gap_cpu, F_INT),
	SSF(worst_migration_ratio, F_DBL), SSF(worst_p99_wake_latency_us, F_DBL),
	SSF(worst_median_wake_latency_us, F_DBL), SSF(worst_wake_latency_cv, F_DBL),
	SSF(worst_mean_run_delay_us, F_U64), SSF(worst_run_delay_us, F_U64), SSF(worst_page_locality, F_DBL),
	SSF(worst_cross_node_migration_ratio, F_DBL), SSF(worst_wake_latency_tail_ratio, F_DBL),
	SSF(worst_iterations_per_worker, F_DBL),
};

static json_t *fields_json(json_t *o, const struct field *f, size_t n, const void *base)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		json_t *v = NULL;

		switch (f[i].t) {
		case F_U32: v = json_integer((json_int_t) * (const unsigned *)p); break;
		case F_U64: v = json_integer((json_int_t) * (const uint64_t *)p); break;
		case F_INT: v = json_integer(*(const int *)p); break;
		case F_DBL: {
			double d = *(const double *)p;

			v = json_real(d - d == 0 ? d : 0); /* NaN and infinities as 0 */
			break;
		}
		}
		json_object_set_new(o, f[i].name, v);
	}
	return o;
}

/* Missing or mistyped fields read as 0 (-1 for the int fields, CPUs). */
static void fields_parse(json_t *o, const struct field *f, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(o, f[i].name);
		char *p = (char *)base + f[i].off;
		json_int_t iv = json_is_integer(v) ? json_integer_value(v) : 0;

		switch (f[i].t) {
		case F_U32: *(unsigned *)p = iv < 0 ? 0 : iv > 0xffffffffll ? 0xffffffffu : (unsigned)iv; break;
		case F_U64: *(uint64_t *)p = iv < 0 ? 0 : (uint64_t)iv; break;
		case F_INT:
			*(int *)p = json_is_integer(v) && iv >= -1 && iv <= 0x7fffffff ? (int)iv : -1;
			break;
		case F_DBL: *(double *)p = json_is_number(v) ? json_number_value(v) : 0; break;
		}
	}
}

unsigned kt_hist_bucket(uint64_t v)
{
	unsigned k = 0;

	while (v && k < KT_HIST_BUCKETS - 1) {
		v >>= 1;
		k++;
	}
	return k;
}

/* A histogram as a JSON array without its trailing empty buckets. */
static json_t *hist_json(const uint32_t *h)
{
	json_t *a = json_array();
	unsigned n = KT_HIST_BUCKETS;

	while (n && !h[n - 1])
		n--;
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_integer(h[i]));
	return a;
}

static void hist_parse(json_t *a, uint32_t *h)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (i < KT_HIST_BUCKETS && json_is_integer(v) && json_integer_value(v) >= 0)
			h[i] = json_integer_value(v) > 0xffffffffll ? 0xffffffffu : (uint32_t)json_integer_value(v);
}

static json_t *topo_json(const struct kt_seen_topo *t)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "cpus", (json_int_t)t->cpus, "nodes",
			      (json_int_t)t->nodes, "llcs", (json_int_t)t->llcs, "llc_size_min",
			      (json_int_t)t->llc_size_min, "llc_size_max", (json_int_t)t->llc_size_max, "smt_min",
			      (json_int_t)t->smt_min, "smt_max", (json_int_t)t->smt_max, "llcs_within_nodes",
			      t->llcs_within_nodes);
	json_t *l = json_array(), *n = json_array();

	for (unsigned i = 0; i < t->llcs && i < KT_MAX_LLCS; i++)
		json_array_append_new(l, json_string(t->llc_lists[i]));
	for (unsigned i = 0; i < t->nodes && i < 8; i++)
		json_array_append_new(n, json_string(t->node_lists[i]));
	json_object_set_new(o, "llc_cpus", l);
	json_object_set_new(o, "node_cpus", n);
	return o;
}

int kt_result_to_json(const struct kt_result *r, struct kbuf *out)
{
	json_t *o = json_object(), *d = json_array(), *c = json_array();
	char *s;
	int ret;

	if (!o || !d || !c)
		return -ENOMEM;
	json_object_set_new(o, "test", json_string(r->test));
	json_object_set_new(o, "passed", json_boolean(r->passed));
	json_object_set_new(o, "skipped", json_boolean(r->skipped));
	json_object_set_new(o, "elapsed_ms", json_integer((json_int_t)r->elapsed_ms));
	json_object_set_new(o, "workers", json_integer(r->workers));
	for (unsigned i = 0; i < r->ndetails; i++)
		json_array_append_new(d, json_pack("{s:s,s:s}", "kind", ktstr_kind_name(r->details[i].kind),
						   "message", r->details[i].msg));
	json_object_set_new(o, "details", d);
	for (unsigned i = 0; i < r->ncg; i++) {
		json_t *g = json_pack("{s:s,s:s}", "name", r->cg[i].name, "work", r->cg[i].work);

		json_object_set_new(g, "gap_hist_ms", hist_json(r->cg[i].gap_hist_ms));
		json_object_set_new(g, "wake_hist_us", hist_json(r->cg[i].wake_hist_us));
		json_array_append_new(c, fields_json(g, cg_fields, ARRAY_SIZE(cg_fields), &r->cg[i]));
	}
	json_object_set_new(o, "cgroups", c);
	json_object_set_new(o, "stats", fields_json(json_object(), ss_fields, ARRAY_SIZE(ss_fields), &r->stats));
	if (r->have_topo)
		json_object_set_new(o, "topology", topo_json(&r->topo));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	ret = kt_kbuf_append(out, s, strlen(s));
	free(s);
	return ret;
}

static uint64_t get_u64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (uint64_t)json_integer_value(v);
	return 0;
}

static unsigned get_u32(json_t *o, const char *k)
{
	uint64_t v = get_u64(o, k);

	return v > 0xffffffffu ? 0xffffffffu : (unsigned)v;
}

static void get_str(json_t *o, const char *k, char *buf, size_t len)
{
	json_t *v = json_object_get(o, k);

	snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static void parse_topo(json_t *t, struct kt_seen_topo *s)
{
	json_t *a, *v;
	size_t i;

	s->cpus = get_u32(t, "cpus");
	s->nodes = get_u32(t, "nodes");
	s->llcs = get_u32(t, "llcs");
	s->llc_size_min = get_u32(t, "llc_size_min");
	s->llc_size_max = get_u32(t, "llc_size_max");
	s->smt_min = get_u32(t, "smt_min");
	s->smt_max = get_u32(t, "smt_max");
	s->llcs_within_nodes = json_is_true(json_object_get(t, "llcs_within_nodes"));
	a = json_object_get(t, "llc_cpus");
	json_array_foreach(a, i, v)
		if (i < KT_MAX_LLCS && json_is_string(v))
			snprintf(s->llc_lists[i], sizeof(s->llc_lists[i]), "%s", json_string_value(v));
	a = json_object_get(t, "node_cpus");
	json_array_foreach(a, i, v)
		if (i < 8 && json_is_string(v))
			snprintf(s->node_lists[i], sizeof(s->node_lists[i]), "%s", json_string_value(v));
}

int kt_result_from_json(const char *json, size_t len, struct kt_result *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(json, len, 0, &je), *a, *v, *t;
	size_t i;

	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "result JSON does not parse: %s (line %d)", o ? "not an object" : je.text,
			 je.line);
		json_decref(o);
		return -EBADMSG;
	}
	kt_result_init(r, NULL);
	get_str(o, "test", r->test, sizeof(r->test));
	r->passed = json_is_true(json_object_get(o, "passed"));
	r->skipped = json_is_true(json_object_get(o, "skipped"));
	r->elapsed_ms = get_u64(o, "elapsed_ms");
	r->workers = get_u32(o, "workers");
	a = json_object_get(o, "details");
	json_array_foreach(a, i, v) {
		if (r->ndetails >= KT_MAX_DETAILS)
			break;
		r->details[r->ndetails].kind = ktstr_kind_parse(json_string_value(json_object_get(v, "kind")));
		get_str(v, "message", r->details[r->ndetails].msg, sizeof(r->details[0].msg));
		r->ndetails++;
	}
	a = json_object_get(o, "cgroups");
	json_array_foreach(a, i, v) {
		struct kt_cgstats *g;

		if (r->ncg >= KT_MAX_CGROUPS)
			break;
		g = &r->cg[r->ncg++];
		get_str(v, "name", g->name, sizeof(g->name));
		get_str(v, "work", g->work, sizeof(g->work));
		fields_parse(v, cg_fields, ARRAY_SIZE(cg_fields), g);
		hist_parse(json_object_get(v, "gap_hist_ms"), g->gap_hist_ms);
		hist_parse(json_object_get(v, "wake_hist_us"), g->wake_hist_us);
	}
	fields_parse(json_object_get(o, "stats"), ss_fields, ARRAY_SIZE(ss_fields), &r->stats);
	t = json_object_get(o, "topology");
	if (json_is_object(t)) {
		r->have_topo = true;
		parse_topo(t, &r->topo);
	}
	json_decref(o);
	/* A result claiming to pass with failure details is inconsistent. */
	for (i = 0; i < r->ndetails; i++)
		if (r->details[i].kind != KTSTR_K_SKIP)
			r->passed = false;
	return 0;
}
