/* `ktstr stats` output: the readable table, the JSON form (which
 * `ktstr compare` reads back) and the metric registry listing.  Pure. */
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns of the per-test table; every metric is in --json. */
static const struct {
	const char *head, *metric;
} cols[] = {
	{ "SPREAD", "worst_spread" },
	{ "GAP", "worst_gap_ms" },
	{ "MIGR", "total_migrations" },
	{ "IMBAL", "max_imbalance_ratio" },
	{ "P99WAKE", "worst_p99_wake_latency_us" },
	{ "RUNDELAY", "worst_run_delay_us" },
	{ "ITER", "total_iterations" },
};
#define NCOLS (int)ARRAY_SIZE(cols)
#define NTEXT 6 /* TEST TOPO SCHED RUNS VERDICT WALL */
#define CW 272 /* a cell: name + flags */

static void cells(const struct kr_row *r, char c[NTEXT + NCOLS][CW])
{
	snprintf(c[0], CW, "%s%s%s", r->name, *r->flags ? " +" : "", r->flags);
	snprintf(c[1], CW, "%s", *r->topology ? r->topology : "-");
	snprintf(c[2], CW, "%s", *r->scheduler ? r->scheduler : "-");
	snprintf(c[3], CW, "%u", r->runs);
	snprintf(c[4], CW, "%s", r->verdict);
	snprintf(c[5], CW, "%.1fs", r->duration_s);
	for (int i = 0; i < NCOLS; i++) {
		int m = kt_rep_metric_find(cols[i].metric);

		if (m >= 0 && r->has[m])
			kt_rep_fmt_value(m, r->v[m], c[NTEXT + i], CW);
		else
			snprintf(c[NTEXT + i], CW, "-");
	}
}

int kt_rep_stats_text(const struct kr_set *t, const struct kr_row *all, struct kbuf *out)
{
	static const char *const heads[NTEXT] = { "TEST", "TOPO", "SCHED", "RUNS", "VERDICT", "WALL" };
	char (*c)[NTEXT + NCOLS][CW] = calloc(t->n + 2, sizeof(*c));
	int w[NTEXT + NCOLS] = { 0 }, ret = 0;
	unsigned fail = 0, skip = 0;

	if (!c)
		return -ENOMEM;
	for (int k = 0; k < NTEXT + NCOLS; k++)
		snprintf(c[0][k], CW, "%s", k < NTEXT ? heads[k] : cols[k - NTEXT].head);
	for (size_t i = 0; i < t->n; i++) {
		cells(&t->rows[i], c[i + 1]);
		fail += !t->rows[i].passed && !t->rows[i].skipped;
		skip += t->rows[i].skipped;
	}
	cells(all, c[t->n + 1]);
	for (size_t i = 0; i < t->n + 2; i++)
		for (int k = 0; k < NTEXT + NCOLS; k++) {
			int l = (int)strlen(c[i][k]);

			w[k] = l > w[k] ? l : w[k];
		}
	for (size_t i = 0; i < t->n + 2 && !ret; i++) {
		if (i == t->n + 1)
			ret = kt_kbuf_printf(out, "\n");
		for (int k = 0; k < NTEXT + NCOLS && !ret; k++)
			ret = kt_kbuf_printf(out, k < NTEXT - 1 ? "%-*s  " : k == NTEXT + NCOLS - 1 ? "%*s\n" : "%*s  ",
					  w[k], c[i][k]);
	}
	if (!ret)
		ret = kt_kbuf_printf(out, "\n%zu tests: %zu passed, %u failed, %u skipped\n\noverall (%s):\n", t->n,
				  t->n - fail - skip, fail, skip,
				  "sums of totals, worst of worst_*, over non-skipped tests");
	for (int m = 0; m < KR_NMETRICS && !ret; m++) {
		char v[CW] = "-";

		if (all->has[m])
			kt_rep_fmt_value(m, all->v[m], v, sizeof(v));
		ret = kt_kbuf_printf(out, "  %-34s %14s  (%s is better)\n", kt_rep_metrics[m].name, v,
				  kt_rep_metrics[m].pol == KR_LOWER_BETTER ? "lower" : "higher");
	}
	if (!ret)
		ret = kt_rep_ext_text(t, out);
	free(c);
	return ret;
}

static json_t *row_json(const struct kr_row *r)
{
	json_t *o = json_object(), *m = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "topology", json_string(r->topology));
	json_object_set_new(o, "scheduler", json_string(r->scheduler));
	json_object_set_new(o, "flags", json_string(r->flags));
	json_object_set_new(o, "verdict", json_string(r->verdict));
	json_object_set_new(o, "passed", json_boolean(r->passed));
	json_object_set_new(o, "skipped", json_boolean(r->skipped));
	json_object_set_new(o, "runs", json_integer(r->runs));
	json_object_set_new(o, "passed_runs", json_integer(r->passed_runs));
	json_object_set_new(o, "duration_s", json_real(r->duration_s));
	for (int k = 0; k < KR_NMETRICS; k++)
		if (r->has[k])
			json_object_set_new(m, kt_rep_metrics[k].name, json_real(r->v[k]));
	json_object_set_new(o, "metrics", m);
	if (r->next)
		json_object_set_new(o, "payload_metrics", kt_rep_ext_json(r));
	return o;
}

int kt_rep_stats_json(const struct kr_set *t, const struct kr_row *all, struct kbuf *out)
{
	json_t *o = json_object(), *a = json_array();
	char *s;
	int ret;

	if (!o || !a)
		return -ENOMEM;
	json_object_set_new(o, "ktstr_stats", json_integer(1));
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(a, row_json(&t->rows[i]));
	json_object_set_new(o, "tests", a);
	json_object_set_new(o, "overall", row_json(all));
	s = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	ret = kt_kbuf_printf(out, "%s\n", s);
	free(s);
	return ret;
}

static void str_field(json_t *o, const char *k, char *dst, size_t len)
{
	json_t *v = json_object_get(o, k);

	kt_rep_copy(dst, len, json_is_string(v) ? json_string_value(v) : "");
}

int kt_rep_rows_from_stats_json(json_t *j, struct kr_set *out, char *err, size_t errlen)
{
	json_t *tests = json_object_get(j, "tests"), *t;
	size_t i;

	if (!json_is_object(j) || json_integer_value(json_object_get(j, "ktstr_stats")) != 1 ||
	    !json_is_array(tests)) {
		snprintf(err, errlen, "not `ktstr stats --json` output (no \"ktstr_stats\": 1 and \"tests\")");
		return -EINVAL;
	}
	json_array_foreach(tests, i, t) {
		struct kr_row r = { 0 };
		json_t *m = json_object_get(t, "metrics"), *v;
		const char *k;

		str_field(t, "name", r.name, sizeof(r.name));
		if (!*r.name || !json_is_object(m)) {
			snprintf(err, errlen, "tests[%zu]: needs a \"name\" and \"metrics\"", i);
			kt_rep_set_free(out);
			return -EINVAL;
		}
		str_field(t, "topology", r.topology, sizeof(r.topology));
		str_field(t, "scheduler", r.scheduler, sizeof(r.scheduler));
		str_field(t, "flags", r.flags, sizeof(r.flags));
		str_field(t, "verdict", r.verdict, sizeof(r.verdict));
		r.passed = json_is_true(json_object_get(t, "passed"));
		r.skipped = json_is_true(json_object_get(t, "skipped"));
		v = json_object_get(t, "runs");
		r.runs = json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 1000000
				 ? (unsigned)json_integer_value(v)
				 : 1;
		r.passed_runs = r.passed ? r.runs : 0;
		v = json_object_get(t, "duration_s");
		r.duration_s = json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) : 0;
		json_object_foreach(m, k, v) {
			int idx = kt_rep_metric_find(k);

			if (idx >= 0 && json_is_number(v) && json_number_value(v) > -1e15 &&
			    json_number_value(v) < 1e15) {
				r.has[idx] = true;
				r.v[idx] = json_number_value(v);
			}
		}
		kt_rep_ext_from_json(json_object_get(t, "payload_metrics"), &r);
		if (kt_rep_set_add(out, &r)) {
			kt_rep_set_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

int kt_rep_metrics_list(bool json, struct kbuf *out)
{
	int ret = 0;

	if (json) {
		json_t *a = json_array();
		char *s;

		for (int m = 0; m < KR_NMETRICS; m++)
			json_array_append_new(a, json_pack("{s:s,s:s,s:f,s:f,s:s,s:s}", "name", kt_rep_metrics[m].name,
							   "polarity",
							   kt_rep_metrics[m].pol == KR_LOWER_BETTER ? "lower" : "higher",
							   "default_abs", kt_rep_metrics[m].abs, "default_rel",
							   kt_rep_metrics[m].rel, "display_unit", kt_rep_metrics[m].unit,
							   "description", kt_rep_metrics[m].desc));
		s = json_dumps(a, JSON_INDENT(2));
		json_decref(a);
		if (!s)
			return -ENOMEM;
		ret = kt_kbuf_printf(out, "%s\n", s);
		free(s);
		return ret;
	}
	ret = kt_kbuf_printf(out, "%-34s %-7s %8s %6s %-4s %s\n", "METRIC", "BETTER", "ABS", "REL", "UNIT", "WHAT");
	for (int m = 0; m < KR_NMETRICS && !ret; m++)
		ret = kt_kbuf_printf(out, "%-34s %-7s %8g %5.0f%% %-4s %s\n", kt_rep_metrics[m].name,
				  kt_rep_metrics[m].pol == KR_LOWER_BETTER ? "lower" : "higher", kt_rep_metrics[m].abs,
				  kt_rep_metrics[m].rel * 100, kt_rep_metrics[m].unit, kt_rep_metrics[m].desc);
	if (!ret)
		ret = kt_kbuf_printf(out, "%-34s %-7s %8g %5.0f%% %-4s %s\n", "PAYLOAD.METRIC", "decl.", 0.0, 10.0, "decl.",
				  "a payload's metric declared with a polarity (gate: --threshold payload=ABS,REL)");
	return ret;
}
