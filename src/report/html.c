/* `ktstr report`: one self-contained HTML page from a directory of
 * sidecars: the test table, then per test its metrics, cgroups, monitor
 * timeline and latency/gap histograms.  No scripts, no external
 * resources; every sidecar string is escaped.  Pure. */
#include "runner/report_out.h"
#include "proto/result.h"
#include "report/report.h"
#include "report/bpfstats.h"
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 64 /* details, failures, degraded entries shown */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0 0 6px}h3{font-size:15px;margin:14px 0 4px}"
	"table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;"
	"vertical-align:top}th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".v{font-weight:bold;padding:1px 6px;border-radius:3px;color:#fff}.v.pass{background:#2e7d32}"
	".v.fail,.v.error{background:#c62828}.v.skip{background:#757575}.v.mixed{background:#ef6c00}"
	"section.test{border-top:2px solid #ddd;margin-top:22px;padding-top:10px}"
	".meta{color:#555}.reason{color:#b71c1c;white-space:pre-wrap}.nodata{color:#777;font-style:italic}"
	"pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px;font-size:12px}"
	"svg.plot{display:block;margin:6px 0;background:#fff}svg.hist{display:inline-block;margin-right:12px}"
	".frame{fill:none;stroke:#999}.grid{stroke:#eee}.pt{font-size:13px;font-weight:bold;fill:#333}"
	".yl{font-size:10px;text-anchor:end;fill:#555}.xl{font-size:10px;text-anchor:middle;fill:#555}"
	".lg{font-size:11px}.bar{fill:#5c85d6}.step line{stroke:#555;stroke-dasharray:4 3}"
	".ev line{stroke:#ef6c00;stroke-dasharray:1 3}.work{fill:#eef4ff}.step text,.ev text{font-size:10px;fill:#555}";

void kt_rep_html_esc(struct kbuf *b, const char *s)
{
	kt_text_clean(s ? s : "", s ? strlen(s) : 0, KT_TEXT_XML, b);
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	double d = json_is_number(v) ? json_number_value(v) : 0;

	return isfinite(d) ? d : 0;
}

/* A JSON value as text: strings as they are, anything else compact. */
static void json_text(struct kbuf *b, json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		kt_rep_html_esc(b, json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s && strlen(s) > 1000)
		s[1000] = '\0';
	kt_rep_html_esc(b, s ? s : "?");
	free(s);
}

static void verdict_badge(struct kbuf *b, const char *v)
{
	static const char *const known[] = { "pass", "fail", "skip", "error", "mixed" };
	const char *cls = "error";

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(v, known[i]))
			cls = known[i];
	kt_kbuf_printf(b, "<span class=\"v %s\">", cls);
	kt_rep_html_esc(b, *v ? v : "?");
	kt_kbuf_printf(b, "</span>");
}

static void td(struct kbuf *b, const char *s)
{
	kt_kbuf_printf(b, "<td>");
	kt_rep_html_esc(b, s);
	kt_kbuf_printf(b, "</td>");
}

static void test_table(struct kbuf *b, const struct kr_docs *d)
{
	kt_kbuf_printf(b, "<table class=\"tests\"><thead><tr><th>verdict</th><th>test</th><th>topology</th>"
		       "<th>scheduler</th><th>duration</th><th>reason</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < d->n; i++) {
		json_t *j = d->v[i].j;
		const char *flags = str(j, "scheduler_flags");

		kt_kbuf_printf(b, "<tr class=\"t\"><td>");
		verdict_badge(b, str(j, "verdict"));
		kt_kbuf_printf(b, "</td><td><a href=\"#t%zu\">", i);
		kt_rep_html_esc(b, *str(j, "name") ? str(j, "name") : str(j, "test_name"));
		kt_kbuf_printf(b, "</a></td>");
		td(b, str(j, "topology"));
		kt_kbuf_printf(b, "<td>");
		kt_rep_html_esc(b, str(j, "scheduler"));
		if (*flags) {
			kt_kbuf_printf(b, " ");
			kt_rep_html_esc(b, flags);
		}
		kt_kbuf_printf(b, "</td><td class=\"n\">%.1f s</td><td class=\"reason\">", num(j, "wall_s"));
		kt_rep_html_esc(b, str(j, "reason"));
		kt_kbuf_printf(b, "</td></tr>\n");
	}
	kt_kbuf_printf(b, "</tbody></table>\n");
}

static void metrics_table(struct kbuf *b, json_t *j)
{
	struct kr_row r;
	char err[128], v[64];
	bool any = false;

	if (kt_rep_row_from_sidecar(j, &r, err, sizeof(err)))
		return;
	for (int m = 0; m < KR_NMETRICS; m++)
		any |= r.has[m];
	any |= r.next > 0;
	if (!any) {
		kt_kbuf_printf(b, "<p class=\"nodata\">no metrics (no guest result)</p>\n");
		return;
	}
	kt_kbuf_printf(b, "<table class=\"metrics\"><tr><th>metric</th><th>value</th><th>better</th></tr>\n");
	for (int m = 0; m < KR_NMETRICS; m++) {
		if (!r.has[m])
			continue;
		kt_rep_fmt_value(m, r.v[m], v, sizeof(v));
		kt_kbuf_printf(b, "<tr><td>%s</td><td class=\"n\">", kt_rep_metrics[m].name);
		kt_rep_html_esc(b, v);
		kt_kbuf_printf(b, "</td><td>%s</td></tr>\n", kt_rep_metrics[m].pol == KR_LOWER_BETTER ? "lower" : "higher");
	}
	for (unsigned k = 0; k < r.next; k++) { /* payload metrics: names from the sidecar, escaped */
		kt_rep_ext_fmt(&r.ext[k], r.ext[k].v, v, sizeof(v));
		kt_kbuf_printf(b, "<tr class=\"payload\"><td>");
		kt_rep_html_esc(b, r.ext[k].name);
		kt_kbuf_printf(b, "</td><td class=\"n\">");
		kt_rep_html_esc(b, v);
		kt_kbuf_printf(b, "</td><td>%s</td></tr>\n", r.ext[k].pol == KR_LOWER_BETTER ? "lower" : "higher");
	}
	kt_kbuf_printf(b, "</table>\n");
}

static void cgroups_table(struct kbuf *b, json_t *cgs)
{
	static const char *const cols[] = { "workers", "cpus", "spread_pct", "max_gap_ms", "migrations", "iterations",
					    "p99_wake_latency_us", "worst_run_delay_us" };
	json_t *g;
	size_t i;

	if (!json_array_size(cgs))
		return;
	kt_kbuf_printf(b, "<table class=\"cgroups\"><tr><th>cgroup</th><th>work</th>");
	for (size_t k = 0; k < ARRAY_SIZE(cols); k++)
		kt_kbuf_printf(b, "<th>%s</th>", cols[k]);
	kt_kbuf_printf(b, "</tr>\n");
	json_array_foreach(cgs, i, g) {
		if (i >= KT_MAX_CGROUPS)
			break;
		kt_kbuf_printf(b, "<tr>");
		td(b, str(g, "name"));
		td(b, str(g, "work"));
		for (size_t k = 0; k < ARRAY_SIZE(cols); k++) {
			double v = num(g, cols[k]);

			kt_kbuf_printf(b, fabs(v) >= 1000 || v == floor(v) ? "<td class=\"n\">%.0f</td>" : "<td class=\"n\">%.4g</td>",
				    v);
		}
		kt_kbuf_printf(b, "</tr>\n");
	}
	kt_kbuf_printf(b, "</table>\n");
}

static void list(struct kbuf *b, json_t *a, const char *what)
{
	json_t *v;
	size_t i;

	if (!json_array_size(a))
		return;
	kt_kbuf_printf(b, "<p>%s:</p><ul>\n", what);
	json_array_foreach(a, i, v) {
		if (i >= MAX_LIST) {
			kt_kbuf_printf(b, "<li>... %zu more</li>\n", json_array_size(a) - MAX_LIST);
			break;
		}
		kt_kbuf_printf(b, "<li>");
		if (json_is_object(v) && json_is_string(json_object_get(v, "message"))) {
			kt_rep_html_esc(b, str(v, "kind"));
			kt_kbuf_printf(b, "%s", *str(v, "kind") ? ": " : "");
			kt_rep_html_esc(b, str(v, "message"));
		} else {
			json_text(b, v);
		}
		kt_kbuf_printf(b, "</li>\n");
	}
	kt_kbuf_printf(b, "</ul>\n");
}

static void monitor_section(struct kbuf *b, json_t *mon)
{
	json_t *verdict = json_object_get(mon, "verdict");
	int plots = 0;

	kt_kbuf_printf(b, "<h3>Monitor</h3>\n");
	if (!json_is_object(mon)) {
		kt_kbuf_printf(b, "<p class=\"nodata\">no monitor data</p>\n");
		return;
	}
	kt_kbuf_printf(b, "<p class=\"meta\">%zu samples every %.0f ms, %.0f CPUs",
		    json_array_size(json_object_get(mon, "samples")), num(mon, "interval_ms"), num(mon, "cpus"));
	if (json_is_object(verdict)) {
		kt_kbuf_printf(b, "; verdict ");
		verdict_badge(b, json_is_true(json_object_get(verdict, "ok")) ? "pass" : "fail");
	}
	kt_kbuf_printf(b, "</p>\n");
	plots += kt_rep_svg_timeline(b, mon, "nr_running", "nr_running per CPU");
	plots += kt_rep_svg_timeline(b, mon, "dsq_depth", "local DSQ depth per CPU");
	if (!plots)
		kt_kbuf_printf(b, "<p class=\"nodata\">no monitor samples</p>\n");
	list(b, json_object_get(verdict, "failures"), "monitor failures");
	list(b, json_object_get(mon, "degraded"), "degraded (signals the monitor could not read)");
}

/* Sum a histogram over the cgroups; false when no cgroup has one. */
static bool hist_sum(json_t *cgs, const char *key, uint64_t h[KT_HIST_BUCKETS])
{
	bool found = false;
	json_t *g, *v;
	size_t i, k;

	memset(h, 0, KT_HIST_BUCKETS * sizeof(*h));
	json_array_foreach(cgs, i, g) {
		json_t *a = json_object_get(g, key);

		if (i >= KT_MAX_CGROUPS || !json_is_array(a))
			continue;
		found = true;
		json_array_foreach(a, k, v)
			if (k < KT_HIST_BUCKETS && json_is_integer(v) && json_integer_value(v) > 0 &&
			    json_integer_value(v) < (1ll << 40))
				h[k] += (uint64_t)json_integer_value(v);
	}
	return found;
}

static void dist_section(struct kbuf *b, json_t *cgs)
{
	uint64_t gap[KT_HIST_BUCKETS], wake[KT_HIST_BUCKETS];
	bool have_gap = hist_sum(cgs, "gap_hist_ms", gap), have_wake = hist_sum(cgs, "wake_hist_us", wake);

	kt_kbuf_printf(b, "<h3>Distributions</h3>\n");
	if (!have_gap && !have_wake) {
		kt_kbuf_printf(b, "<p class=\"nodata\">no worker histograms in this sidecar</p>\n");
		return;
	}
	kt_kbuf_printf(b, "<div class=\"hists\">\n");
	if (!kt_rep_svg_hist(b, "worker max gap", "ms", gap, KT_HIST_BUCKETS))
		kt_kbuf_printf(b, "<p class=\"nodata\">no worker gaps</p>\n");
	if (!kt_rep_svg_hist(b, "wake latency", "us", wake, KT_HIST_BUCKETS))
		kt_kbuf_printf(b, "<p class=\"nodata\">no wake-latency samples (the work type does not block)</p>\n");
	kt_kbuf_printf(b, "</div>\n");
}

static void test_section(struct kbuf *b, size_t idx, json_t *j)
{
	json_t *res = json_object_get(j, "result"), *cgs = json_object_get(res, "cgroups");
	const char *reason = str(j, "reason"), *report = str(j, "report");

	kt_kbuf_printf(b, "<section class=\"test\" id=\"t%zu\">\n<h2>", idx);
	kt_rep_html_esc(b, *str(j, "name") ? str(j, "name") : str(j, "test_name"));
	kt_kbuf_printf(b, " ");
	verdict_badge(b, str(j, "verdict"));
	kt_kbuf_printf(b, "</h2>\n<p class=\"meta\">");
	kt_rep_html_esc(b, str(j, "topology"));
	kt_kbuf_printf(b, " &middot; ");
	kt_rep_html_esc(b, str(j, "scheduler"));
	kt_kbuf_printf(b, " &middot; ");
	kt_rep_html_esc(b, str(j, "vmm"));
	kt_kbuf_printf(b, "/");
	kt_rep_html_esc(b, str(j, "accel"));
	kt_kbuf_printf(b, " &middot; kernel ");
	kt_rep_html_esc(b, str(j, "kernel"));
	kt_kbuf_printf(b, " &middot; wall %.1f s, workload %.1f s &middot; ", num(j, "wall_s"),
		    num(j, "duration_ms") / 1000.0);
	kt_rep_html_esc(b, str(j, "timestamp"));
	kt_kbuf_printf(b, "</p>\n");
	if (*reason) {
		kt_kbuf_printf(b, "<p class=\"reason\">");
		kt_rep_html_esc(b, reason);
		kt_kbuf_printf(b, "</p>\n");
	}
	list(b, json_object_get(res, "details"), "details");
	/* A failure's explanation, in the failure report's order. */
	if (*reason) {
		static const char *const sec[][2] = { { "monitor_summary", "monitor" },
						      { "timeline", "timeline" },
						      { "sched_ext_dump", "sched_ext dump" } };

		for (size_t k = 0; k < sizeof(sec) / sizeof(sec[0]); k++) {
			const char *text = str(j, sec[k][0]);

			if (!*text)
				continue;
			kt_kbuf_printf(b, "<details class=\"section\"%s><summary>", k < 2 ? " open" : "");
			kt_rep_html_esc(b, sec[k][1]);
			kt_kbuf_printf(b, "</summary><pre>");
			kt_rep_html_esc(b, text);
			kt_kbuf_printf(b, "</pre></details>\n");
		}
	}
	metrics_table(b, j);
	cgroups_table(b, cgs);
	monitor_section(b, json_object_get(j, "monitor"));
	kt_rep_bpf_html(b, json_object_get(j, "bpf"));
	dist_section(b, cgs);
	if (json_is_string(json_object_get(json_object_get(j, "auto_repro"), "section"))) {
		kt_kbuf_printf(b, "<details open><summary>auto-repro: ");
		kt_rep_html_esc(b, str(json_object_get(j, "auto_repro"), "status"));
		kt_kbuf_printf(b, "</summary><pre>");
		kt_rep_html_esc(b, str(json_object_get(j, "auto_repro"), "section"));
		kt_kbuf_printf(b, "</pre></details>\n");
	}
	if (*report) {
		kt_kbuf_printf(b, "<details><summary>failure report</summary><pre>");
		kt_rep_html_esc(b, report);
		kt_kbuf_printf(b, "</pre></details>\n");
	}
	kt_kbuf_printf(b, "</section>\n");
}

int kt_rep_html_report(const struct kr_docs *d, const char *title, struct kbuf *out)
{
	unsigned pass = 0, fail = 0, skip = 0;

	for (size_t i = 0; i < d->n; i++) {
		const char *v = str(d->v[i].j, "verdict");

		if (!strcmp(v, "pass"))
			pass++;
		else if (!strcmp(v, "skip"))
			skip++;
		else
			fail++;
	}
	kt_kbuf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			 "<meta name=\"generator\" content=\"ktstr report\">\n<title>");
	kt_rep_html_esc(out, title);
	kt_kbuf_printf(out, "</title>\n<style>%s</style>\n</head><body>\n<h1>", css);
	kt_rep_html_esc(out, title);
	kt_kbuf_printf(out, "</h1>\n<p class=\"meta\">%zu tests: %u passed, %u failed, %u skipped", d->n, pass, fail,
		    skip);
	if (d->n && *str(d->v[0].j, "kernel")) {
		kt_kbuf_printf(out, " &middot; kernel ");
		kt_rep_html_esc(out, str(d->v[0].j, "kernel"));
	}
	kt_kbuf_printf(out, "</p>\n");
	test_table(out, d);
	for (size_t i = 0; i < d->n; i++)
		test_section(out, i, d->v[i].j);
	kt_kbuf_printf(out, "</body></html>\n");
	return out->data ? 0 : -ENOMEM;
}
