/* The metric registry (the reference's METRICS table, §9.4), metrics of
 * one sidecar, grouping of runs and the overall row.  Pure. */
#include "report/report.h"
#include "report/bpfstats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* name, polarity, default_abs, default_rel, unit, overall fold, source */
const struct kr_metric kt_rep_metrics[KR_NMETRICS] = {
	{ "worst_spread", KR_LOWER_BETTER, 5.0, 0.25, "%", KR_FOLD_MAX, "max off-CPU % spread in a cgroup" },
	{ "worst_gap_ms", KR_LOWER_BETTER, 500, 0.50, "ms", KR_FOLD_MAX, "longest worker scheduling gap" },
	{ "total_migrations", KR_LOWER_BETTER, 10, 0.30, "", KR_FOLD_SUM, "worker CPU migrations" },
	{ "worst_migration_ratio", KR_LOWER_BETTER, 0.05, 0.20, "", KR_FOLD_MAX, "migrations / iterations" },
	{ "max_imbalance_ratio", KR_LOWER_BETTER, 1.0, 0.25, "x", KR_FOLD_MAX,
	  "monitor: max nr_running / max(1, min nr_running)" },
	{ "max_dsq_depth", KR_LOWER_BETTER, 10, 0.50, "", KR_FOLD_MAX, "monitor: deepest local DSQ" },
	{ "stall_count", KR_LOWER_BETTER, 1, 0.50, "", KR_FOLD_SUM, "monitor: 1 if an rq_clock stall was seen" },
	{ "total_fallback", KR_LOWER_BETTER, 5, 0.30, "", KR_FOLD_SUM, "monitor: SCX_EV_SELECT_CPU_FALLBACK" },
	{ "total_keep_last", KR_LOWER_BETTER, 5, 0.30, "", KR_FOLD_SUM, "monitor: SCX_EV_DISPATCH_KEEP_LAST" },
	{ "worst_p99_wake_latency_us", KR_LOWER_BETTER, 50, 0.25, "us", KR_FOLD_MAX, "p99 wake latency" },
	{ "worst_median_wake_latency_us", KR_LOWER_BETTER, 20, 0.25, "us", KR_FOLD_MAX, "median wake latency" },
	{ "worst_wake_latency_cv", KR_LOWER_BETTER, 0.10, 0.25, "", KR_FOLD_MAX, "wake latency CV" },
	{ "total_iterations", KR_HIGHER_BETTER, 100, 0.10, "", KR_FOLD_SUM, "worker iterations" },
	{ "worst_mean_run_delay_us", KR_LOWER_BETTER, 50, 0.25, "us", KR_FOLD_MAX, "mean schedstat run delay" },
	{ "worst_run_delay_us", KR_LOWER_BETTER, 100, 0.50, "us", KR_FOLD_MAX, "worst schedstat run delay" },
	{ "worst_wake_latency_tail_ratio", KR_LOWER_BETTER, 0.5, 0.25, "x", KR_FOLD_MAX,
	  "p99 / median wake latency (total_iterations >= 100)" },
	{ "worst_iterations_per_worker", KR_HIGHER_BETTER, 10, 0.10, "", KR_FOLD_MIN,
	  "lowest iterations per worker" },
	{ "worst_page_locality", KR_HIGHER_BETTER, 0.05, 0.10, "", KR_FOLD_MIN, "pages on the cpuset's nodes" },
	{ "worst_cross_node_migration_ratio", KR_LOWER_BETTER, 0.05, 0.20, "", KR_FOLD_MAX,
	  "NUMA pages migrated / pages" },
	{ "bpf_run_ns", KR_LOWER_BETTER, 1e6, 0.25, "ns", KR_FOLD_SUM,
	  "BPF programs' run time (bpf_stats, summed over programs)" },
	{ "bpf_ns_per_run", KR_LOWER_BETTER, 200, 0.25, "ns", KR_FOLD_MAX, "BPF run time per program call" },
	{ "bpf_max_verified_insns", KR_LOWER_BETTER, 1000, 0.10, "", KR_FOLD_MAX,
	  "largest verified_insns of a BPF program" },
};

enum {
	M_SPREAD, M_GAP, M_MIGR, M_MIGR_RATIO, M_IMBAL, M_DSQ, M_STALL, M_FALLBACK, M_KEEP_LAST, M_P99, M_MEDIAN,
	M_CV, M_ITER, M_MEAN_DELAY, M_DELAY, M_TAIL, M_IPW, M_LOCALITY, M_XNODE, M_BPF_NS, M_BPF_PER_RUN,
	M_BPF_INSNS,
};

int kt_rep_metric_find(const char *name)
{
	for (int i = 0; i < KR_NMETRICS; i++)
		if (name && !strcmp(name, kt_rep_metrics[i].name))
			return i;
	return -1;
}

int kt_rep_set_add(struct kr_set *s, const struct kr_row *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct kr_row *p = realloc(s->rows, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->rows = p;
		s->cap = cap;
	}
	s->rows[s->n++] = *r;
	return 0;
}

void kt_rep_set_free(struct kr_set *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

/* A finite number, clamped, from an untrusted JSON value. */
static bool num(json_t *v, double *out)
{
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!isfinite(d))
		return false;
	*out = d > 1e15 ? 1e15 : d < -1e15 ? -1e15 : d;
	return true;
}

static void set(struct kr_row *r, int m, double v)
{
	r->has[m] = true;
	r->v[m] = v;
}

void kt_rep_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!len)
		return;
	if (n >= len) {
		n = len - 1;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--; /* do not split a multi-byte character */
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void copy_str(char *dst, size_t len, json_t *v)
{
	kt_rep_copy(dst, len, json_is_string(v) ? json_string_value(v) : "");
}

static bool mentions_stall(json_t *f)
{
	const char *s = json_string_value(f);

	if (json_is_object(f)) {
		s = json_string_value(json_object_get(f, "message"));
		if (!s)
			s = json_string_value(json_object_get(f, "kind"));
	}
	return s && strstr(s, "stall");
}

/* Time of the first event of kind at or after t, or -1. */
static double event_at(json_t *events, const char *kind, double after)
{
	json_t *e;
	size_t i;
	double t;

	json_array_foreach(events, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "kind")) ?: "", kind) &&
		    num(json_object_get(e, "t_ms"), &t) && t >= after)
			return t;
	return -1;
}

/* The samples that describe the workload: from "scenario_start" (else
 * "ready") to the first "scenario_end" / "result" / "sched_exit" after
 * it; without those events, every sample (boot included). */
static void window(json_t *mon, double *from, double *to)
{
	static const char *const ends[] = { "scenario_end", "result", "sched_exit" };
	json_t *ev = json_object_get(mon, "events");
	double t;

	*from = event_at(ev, "scenario_start", 0);
	if (*from < 0)
		*from = event_at(ev, "ready", 0);
	if (*from < 0)
		*from = -1e300;
	*to = 1e300;
	for (size_t i = 0; i < ARRAY_SIZE(ends); i++)
		if ((t = event_at(ev, ends[i], *from)) >= 0 && t < *to)
			*to = t;
}

/* Sum over CPUs of (last - first) of a cumulative per-CPU counter over
 * the window's samples (nulls skipped, negative deltas as 0). */
static bool counter_delta(json_t *samples, const char *sig, double from, double to, double *out)
{
	double first[512], last[512], t, d;
	bool seen[512] = { false }, any = false;
	json_t *s, *v;
	size_t i, c;

	*out = 0;
	json_array_foreach(samples, i, s) {
		if (!num(json_object_get(s, "t_ms"), &t) || t < from || t > to)
			continue;
		json_array_foreach(json_object_get(s, sig), c, v) {
			if (c >= 512 || !num(v, &d))
				continue;
			if (!seen[c])
				first[c] = d;
			seen[c] = any = true;
			last[c] = d;
		}
	}
	for (c = 0; c < 512; c++)
		if (seen[c] && last[c] > first[c])
			*out += last[c] - first[c];
	return any;
}

/* Monitor metrics: the summary's fields when it has them (the
 * reference's MonitorSummary), else derived from the samples in the
 * workload window (imbalance, DSQ depth, event counters) and from the
 * verdict (stalls). */
static void monitor_metrics(json_t *mon, struct kr_row *r)
{
	json_t *samples = json_object_get(mon, "samples"), *ev = json_object_get(mon, "event_deltas");
	json_t *verdict = json_object_get(mon, "verdict"), *s, *v;
	double d, t, imb = 1.0, dsq = 0, from, to;
	bool have_imb = false, have_dsq = false;
	size_t i, k;

	window(mon, &from, &to);
	json_array_foreach(samples, i, s) {
		json_t *nr = json_object_get(s, "nr_running"), *dq = json_object_get(s, "dsq_depth");
		double lo = INFINITY, hi = -INFINITY, deepest = 0;
		bool plausible = true, any_dq = false;

		if (num(json_object_get(s, "t_ms"), &t) && (t < from || t > to))
			continue;
		json_array_foreach(dq, k, v)
			if (num(v, &d)) {
				plausible &= d <= 10000; /* the reference's plausibility ceiling */
				deepest = d > deepest ? d : deepest;
				any_dq = true;
			}
		if (!plausible)
			continue;
		if (any_dq) {
			have_dsq = true;
			dsq = deepest > dsq ? deepest : dsq;
		}
		json_array_foreach(nr, k, v)
			if (num(v, &d)) {
				lo = d < lo ? d : lo;
				hi = d > hi ? d : hi;
			}
		if (hi >= lo) {
			double ratio = hi / (lo > 1 ? lo : 1);

			have_imb = true;
			imb = ratio > imb ? ratio : imb;
		}
	}
	if (num(json_object_get(mon, "max_imbalance_ratio"), &d))
		set(r, M_IMBAL, d);
	else if (have_imb)
		set(r, M_IMBAL, imb);
	if (num(json_object_get(mon, "max_local_dsq_depth"), &d))
		set(r, M_DSQ, d);
	else if (have_dsq)
		set(r, M_DSQ, dsq);
	v = json_object_get(mon, "stall_detected");
	if (json_is_boolean(v)) {
		set(r, M_STALL, json_is_true(v) ? 1 : 0);
	} else if (json_is_object(verdict)) {
		unsigned n = 0;

		json_array_foreach(json_object_get(verdict, "failures"), i, s)
			n += mentions_stall(s);
		set(r, M_STALL, n ? 1 : 0);
	}
	if (num(json_object_get(ev, "total_fallback"), &d) ||
	    counter_delta(samples, "ev_select_cpu_fallback", from, to, &d))
		set(r, M_FALLBACK, d);
	if (num(json_object_get(ev, "total_dispatch_keep_last"), &d) || num(json_object_get(ev, "total_keep_last"), &d) ||
	    counter_delta(samples, "ev_dispatch_keep_last", from, to, &d))
		set(r, M_KEEP_LAST, d);
}

static void stats_metrics(json_t *st, struct kr_row *r)
{
	static const struct {
		int m;
		const char *key;
		bool zero_is_none; /* lowest-non-zero folds: 0 means no data */
	} map[] = {
		{ M_SPREAD, "worst_spread", false },
		{ M_GAP, "worst_gap_ms", false },
		{ M_MIGR, "total_migrations", false },
		{ M_MIGR_RATIO, "worst_migration_ratio", false },
		{ M_P99, "worst_p99_wake_latency_us", false },
		{ M_MEDIAN, "worst_median_wake_latency_us", false },
		{ M_CV, "worst_wake_latency_cv", false },
		{ M_ITER, "total_iterations", false },
		{ M_MEAN_DELAY, "worst_mean_run_delay_us", false },
		{ M_DELAY, "worst_run_delay_us", false },
		{ M_TAIL, "worst_wake_latency_tail_ratio", false },
		{ M_IPW, "worst_iterations_per_worker", true },
		{ M_LOCALITY, "worst_page_locality", true },
		{ M_XNODE, "worst_cross_node_migration_ratio", false },
	};
	double d;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (num(json_object_get(st, map[i].key), &d) && !(map[i].zero_is_none && d == 0))
			set(r, map[i].m, d);
	/* The tail ratio means little over few iterations (reference). */
	if (r->has[M_TAIL] && !(r->has[M_ITER] && r->v[M_ITER] >= 100))
		r->has[M_TAIL] = false;
}

int kt_rep_row_from_sidecar(json_t *j, struct kr_row *row, char *err, size_t errlen)
{
	json_t *name, *verdict, *res, *st, *v;
	double d;

	memset(row, 0, sizeof(*row));
	name = json_object_get(j, "name");
	if (!json_is_string(name))
		name = json_object_get(j, "test_name");
	verdict = json_object_get(j, "verdict");
	if (!json_is_object(j) || !json_is_string(name) || !*json_string_value(name) ||
	    !(json_is_string(verdict) || json_is_boolean(json_object_get(j, "passed")))) {
		snprintf(err, errlen, "not a ktstr sidecar (needs a \"name\" and a \"verdict\")");
		return -EINVAL;
	}
	copy_str(row->name, sizeof(row->name), name);
	copy_str(row->topology, sizeof(row->topology), json_object_get(j, "topology"));
	copy_str(row->scheduler, sizeof(row->scheduler), json_object_get(j, "scheduler"));
	copy_str(row->flags, sizeof(row->flags), json_object_get(j, "scheduler_flags"));
	row->skipped = json_is_true(json_object_get(j, "skipped"));
	if (json_is_string(verdict))
		copy_str(row->verdict, sizeof(row->verdict), verdict);
	else
		snprintf(row->verdict, sizeof(row->verdict), "%s",
			 row->skipped ? "skip" : json_is_true(json_object_get(j, "passed")) ? "pass" : "fail");
	v = json_object_get(j, "passed");
	row->passed = json_is_boolean(v) ? json_is_true(v) : !strcmp(row->verdict, "pass");
	row->skipped |= !strcmp(row->verdict, "skip");
	row->runs = 1;
	row->passed_runs = row->passed;
	if (num(json_object_get(j, "wall_s"), &d) && d >= 0)
		row->duration_s = d;
	else if (num(json_object_get(j, "duration_ms"), &d) && d >= 0)
		row->duration_s = d / 1000.0;
	res = json_object_get(j, "result");
	st = json_object_get(res, "stats");
	if (!json_is_object(st))
		st = json_object_get(j, "stats"); /* the reference's layout */
	if (json_is_object(st))
		stats_metrics(st, row);
	if (json_is_object(json_object_get(j, "monitor")))
		monitor_metrics(json_object_get(j, "monitor"), row);
	kt_rep_ext_from_sidecar(j, row);
	if (json_is_object(json_object_get(j, "bpf"))) {
		bool has;
		double ns, per, insns;

		kt_rep_bpf_metrics(json_object_get(j, "bpf"), &has, &ns, &per, &insns);
		if (has) {
			set(row, M_BPF_NS, ns);
			set(row, M_BPF_PER_RUN, per);
			set(row, M_BPF_INSNS, insns);
		}
	}
	return 0;
}

static bool same_key(const struct kr_row *a, const struct kr_row *b, unsigned dims)
{
	return !strcmp(a->name, b->name) && (!(dims & KR_DIM_TOPOLOGY) || !strcmp(a->topology, b->topology)) &&
	       (!(dims & KR_DIM_SCHEDULER) || !strcmp(a->scheduler, b->scheduler)) &&
	       (!(dims & KR_DIM_FLAGS) || !strcmp(a->flags, b->flags));
}

int kt_rep_group(const struct kr_set *in, unsigned dims, struct kr_set *out)
{
	bool *done = calloc(in->n ? in->n : 1, sizeof(*done));
	const struct kr_row **used = calloc(in->n ? in->n : 1, sizeof(*used));

	memset(out, 0, sizeof(*out));
	if (!done || !used) {
		free(done);
		free(used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct kr_row g = in->rows[i];
		double sum[KR_NMETRICS] = { 0 };
		unsigned cnt[KR_NMETRICS] = { 0 }, any_passed = 0;
		double dur = 0;
		size_t nused = 0;

		if (done[i])
			continue;
		g.runs = g.passed_runs = 0;
		for (size_t k = i; k < in->n; k++)
			if (!done[k] && same_key(&in->rows[i], &in->rows[k], dims))
				any_passed += in->rows[k].passed && !in->rows[k].skipped;
		for (size_t k = i; k < in->n; k++) {
			const struct kr_row *r = &in->rows[k];

			if (done[k] || !same_key(&in->rows[i], r, dims))
				continue;
			done[k] = true;
			g.runs += r->runs;
			g.passed_runs += r->passed_runs;
			g.passed &= r->passed;
			g.skipped &= r->skipped;
			dur += r->duration_s;
			if (strcmp(g.verdict, r->verdict))
				snprintf(g.verdict, sizeof(g.verdict), "mixed");
			if (r->skipped || (any_passed && !r->passed))
				continue;
			used[nused++] = r;
			for (int m = 0; m < KR_NMETRICS; m++)
				if (r->has[m]) {
					sum[m] += r->v[m];
					cnt[m]++;
				}
		}
		g.duration_s = g.runs ? dur / g.runs : 0;
		for (int m = 0; m < KR_NMETRICS; m++) {
			g.has[m] = cnt[m] > 0;
			g.v[m] = cnt[m] ? sum[m] / cnt[m] : 0;
		}
		kt_rep_ext_mean(used, nused, &g);
		if (kt_rep_set_add(out, &g)) {
			free(done);
			free(used);
			kt_rep_set_free(out);
			return -ENOMEM;
		}
	}
	free(done);
	free(used);
	return 0;
}

void kt_rep_overall(const struct kr_set *in, struct kr_row *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "overall");
	out->passed = true;
	for (size_t i = 0; i < in->n; i++) {
		const struct kr_row *r = &in->rows[i];

		out->runs += r->runs;
		out->passed_runs += r->passed_runs;
		out->passed &= r->passed || r->skipped;
		out->duration_s += r->duration_s;
		if (r->skipped)
			continue;
		for (int m = 0; m < KR_NMETRICS; m++) {
			double v = r->v[m], *o = &out->v[m];

			if (!r->has[m])
				continue;
			if (!out->has[m])
				*o = v;
			else if (kt_rep_metrics[m].fold == KR_FOLD_SUM)
				*o += v;
			else if (kt_rep_metrics[m].fold == KR_FOLD_MAX)
				*o = v > *o ? v : *o;
			else
				*o = v < *o ? v : *o;
			out->has[m] = true;
		}
	}
	snprintf(out->verdict, sizeof(out->verdict), "%s", out->passed ? "pass" : "fail");
}

void kt_rep_fmt_value(int metric, double v, char *buf, size_t len)
{
	const char *u = metric >= 0 && metric < KR_NMETRICS ? kt_rep_metrics[metric].unit : "";
	double a = fabs(v);
	char n[48];

	if (a >= 0.1 || a == floor(a))
		snprintf(n, sizeof(n), "%.*f", a >= 1000 || a == floor(a) ? 0 : a >= 10 ? 1 : 2, v);
	else
		snprintf(n, sizeof(n), "%.3g", v);
	snprintf(buf, len, "%s%s%s", n, *u && strcmp(u, "%") && strcmp(u, "x") ? " " : "", u);
}
