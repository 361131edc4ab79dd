/* Result details, JSON encoding/decoding of results. */
#include "core/result.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[KTSTR_K__COUNT] = {
	[KTSTR_K_OTHER] = "other",       [KTSTR_K_STARVED] = "starved",
	[KTSTR_K_STUCK] = "stuck",       [KTSTR_K_UNFAIR] = "unfair",
	[KTSTR_K_ISOLATION] = "isolation", [KTSTR_K_TOPOLOGY] = "topology",
	[KTSTR_K_SCHEDULER] = "scheduler", [KTSTR_K_SKIP] = "skip",
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
		const struct kt_cgstats *g = &r->cg[i];

		json_array_append_new(c, json_pack("{s:s,s:I,s:I,s:f,s:I,s:i,s:I,s:I,s:I,s:I}", "name", g->name,
						   "workers", (json_int_t)g->workers, "cpus", (json_int_t)g->cpus,
						   "spread_pct", g->spread_pct, "max_gap_ms",
						   (json_int_t)g->max_gap_ms, "max_gap_cpu", g->max_gap_cpu,
						   "migrations", (json_int_t)g->migrations, "iterations",
						   (json_int_t)g->iterations, "work_units",
						   (json_int_t)g->work_units, "mean_run_delay_us",
						   (json_int_t)g->mean_run_delay_us));
	}
	json_object_set_new(o, "cgroups", c);
	if (r->have_topo)
		json_object_set_new(o, "topology", topo_json(&r->topo));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	ret = kbuf_append(out, s, strlen(s));
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
		json_t *sp;

		if (r->ncg >= KT_MAX_CGROUPS)
			break;
		g = &r->cg[r->ncg++];
		get_str(v, "name", g->name, sizeof(g->name));
		g->workers = get_u32(v, "workers");
		g->cpus = get_u32(v, "cpus");
		sp = json_object_get(v, "spread_pct");
		g->spread_pct = json_is_number(sp) ? json_number_value(sp) : 0;
		g->max_gap_ms = get_u64(v, "max_gap_ms");
		g->max_gap_cpu = json_is_integer(json_object_get(v, "max_gap_cpu"))
					 ? (int)json_integer_value(json_object_get(v, "max_gap_cpu"))
					 : -1;
		g->migrations = get_u64(v, "migrations");
		g->iterations = get_u64(v, "iterations");
		g->work_units = get_u64(v, "work_units");
		g->mean_run_delay_us = get_u64(v, "mean_run_delay_us");
	}
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
