/* src/report/: metrics of sidecars, grouping, dual gates, compare,
 * stats JSON round trip, HTML/SVG escaping and structure; the guest-side
 * log2 histograms they plot (src/core/stats.c, result.c). */
#include "unit.h"
#include "model/checks.h"
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		unit_fail(__FILE__, __LINE__, "fixture JSON: %s (line %d)", e.text, e.line);
	return j;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int M(const char *name)
{
	int m = kt_rep_metric_find(name);

	if (m < 0)
		unit_fail(__FILE__, __LINE__, "no metric %s", name);
	return m < 0 ? 0 : m;
}

UNIT_TEST(report_hist_bucket)
{
	CHECK_EQ_INT(kt_hist_bucket(0), 0);
	CHECK_EQ_INT(kt_hist_bucket(1), 1);
	CHECK_EQ_INT(kt_hist_bucket(2), 2);
	CHECK_EQ_INT(kt_hist_bucket(3), 2);
	CHECK_EQ_INT(kt_hist_bucket(4), 3);
	CHECK_EQ_INT(kt_hist_bucket(1023), 10);
	CHECK_EQ_INT(kt_hist_bucket(1024), 11);
	CHECK_EQ_INT(kt_hist_bucket(1ull << (KT_HIST_BUCKETS - 2)), KT_HIST_BUCKETS - 1);
	CHECK_EQ_INT(kt_hist_bucket(UINT64_MAX), KT_HIST_BUCKETS - 1);
}

UNIT_TEST(report_hist_computed_and_round_trip)
{
	struct ktstr_worker_report w[3];
	uint64_t wake[5] = { 500, 1500, 1999, 3000, 9000000 }; /* ns: <1us, 1us, 1us, 2-4us, 9ms */
	struct kt_checks c;
	struct kt_result r, back;
	struct kbuf j = { 0 };
	char err[128];

	memset(&c, 0, sizeof(c));
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 3; i++) {
		w[i].pid = i + 1;
		w[i].wall_time_ns = 1000000000u;
		w[i].cpu_time_ns = 900000000u;
		w[i].iterations = w[i].work_units = 100;
	}
	w[0].max_gap_ns = 300000;    /* 0 ms: bucket 0 */
	w[1].max_gap_ns = 5000000;   /* 5 ms: [4,8) bucket 3 */
	w[2].max_gap_ns = 6000000;   /* 6 ms: bucket 3 */
	w[2].wake_samples = wake;
	w[2].nwake = 5;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 3, &c, NULL);
	CHECK_EQ_INT(r.cg[0].gap_hist_ms[0], 1);
	CHECK_EQ_INT(r.cg[0].gap_hist_ms[3], 2);
	CHECK_EQ_INT(r.cg[0].wake_hist_us[0], 1);
	CHECK_EQ_INT(r.cg[0].wake_hist_us[1], 2);
	CHECK_EQ_INT(r.cg[0].wake_hist_us[2], 1);
	CHECK_EQ_INT(r.cg[0].wake_hist_us[kt_hist_bucket(9000)], 1);
	CHECK_EQ_INT(kt_result_to_json(&r, &j), 0);
	/* trailing empty buckets are not sent */
	CHECK(strstr(j.data, "\"gap_hist_ms\":[1,0,0,2]") != NULL);
	CHECK_EQ_INT(kt_result_from_json(j.data, j.len, &back, err, sizeof(err)), 0);
	CHECK(!memcmp(back.cg[0].gap_hist_ms, r.cg[0].gap_hist_ms, sizeof(r.cg[0].gap_hist_ms)));
	CHECK(!memcmp(back.cg[0].wake_hist_us, r.cg[0].wake_hist_us, sizeof(r.cg[0].wake_hist_us)));
	kt_kbuf_free(&j);
	/* hostile histograms: negative, huge, too long */
	{
		static const char bad[] = "{\"test\":\"x\",\"cgroups\":[{\"name\":\"a\",\"gap_hist_ms\":[-1,1e30,\"x\","
					  "99999999999,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,7,7,7]}]}";

		CHECK_EQ_INT(kt_result_from_json(bad, strlen(bad), &back, err, sizeof(err)), 0);
		CHECK_EQ_INT(back.cg[0].gap_hist_ms[0], 0);
		CHECK_EQ_INT(back.cg[0].gap_hist_ms[1], 0);
		CHECK_EQ_INT(back.cg[0].gap_hist_ms[3], 0xffffffffu);
		CHECK_EQ_INT(back.cg[0].gap_hist_ms[KT_HIST_BUCKETS - 1], 1);
	}
}

static const char sidecar_fmt[] =
	"{\"name\":\"%s\",\"verdict\":\"%s\",\"passed\":%s,\"skipped\":false,\"topology\":\"1n2l2c1t\","
	"\"scheduler\":\"%s\",\"scheduler_flags\":\"\",\"wall_s\":4.5,\"reason\":\"\","
	"\"result\":{\"stats\":{\"worst_spread\":%g,\"worst_gap_ms\":%g,\"total_migrations\":3,"
	"\"worst_migration_ratio\":0.01,\"worst_p99_wake_latency_us\":40,\"worst_median_wake_latency_us\":10,"
	"\"worst_wake_latency_cv\":0.5,\"total_iterations\":%g,\"worst_mean_run_delay_us\":100,"
	"\"worst_run_delay_us\":200,\"worst_wake_latency_tail_ratio\":4,\"worst_iterations_per_worker\":50,"
	"\"worst_page_locality\":0,\"worst_cross_node_migration_ratio\":0}}}";

static void sidecar_row(struct kr_row *r, const char *name, bool pass, const char *sched, double spread, double gap,
			double iters)
{
	char buf[2048], err[128];
	json_t *j;

	snprintf(buf, sizeof(buf), sidecar_fmt, name, pass ? "pass" : "fail", pass ? "true" : "false", sched, spread,
		 gap, iters);
	j = parse(buf);
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, r, err, sizeof(err)), 0);
	json_decref(j);
}

UNIT_TEST(report_sidecar_metrics)
{
	struct kr_row r;
	char err[128];
	json_t *j;

	sidecar_row(&r, "steady", true, "eevdf", 1.5, 24, 26529);
	CHECK_EQ_STR(r.name, "steady");
	CHECK_EQ_STR(r.verdict, "pass");
	CHECK(r.passed && !r.skipped && r.runs == 1);
	CHECK_NEAR(r.duration_s, 4.5, 1e-12);
	CHECK(r.has[M("worst_spread")] && r.v[M("worst_spread")] == 1.5);
	CHECK(r.has[M("worst_gap_ms")] && r.v[M("worst_gap_ms")] == 24);
	CHECK(r.has[M("worst_wake_latency_tail_ratio")]);
	CHECK(!r.has[M("worst_page_locality")]); /* 0: no data */
	CHECK(!r.has[M("max_imbalance_ratio")]); /* no monitor */
	/* the tail ratio needs >= 100 iterations */
	sidecar_row(&r, "few", true, "eevdf", 1, 1, 99);
	CHECK(!r.has[M("worst_wake_latency_tail_ratio")]);
	/* not sidecars */
	j = parse("{\"verdict\":\"pass\"}");
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a ktstr sidecar") != NULL);
	json_decref(j);
	j = parse("[1,2]");
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), -EINVAL);
	json_decref(j);
	/* reference layout (test_name, top-level stats, passed without verdict) */
	j = parse("{\"test_name\":\"ref\",\"passed\":false,\"stats\":{\"worst_gap_ms\":7}}");
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	CHECK_EQ_STR(r.verdict, "fail");
	CHECK(!r.passed && r.v[M("worst_gap_ms")] == 7);
	json_decref(j);
}

UNIT_TEST(report_monitor_metrics)
{
	struct kr_row r;
	char err[128];
	json_t *j = parse("{\"name\":\"m\",\"verdict\":\"pass\",\"monitor\":{\"interval_ms\":100,\"cpus\":2,"
			  "\"samples\":[{\"t_ms\":0,\"nr_running\":[2,1],\"dsq_depth\":[0,3]},"
			  "{\"t_ms\":100,\"nr_running\":[4,1],\"dsq_depth\":[1,2]},"
			  "{\"t_ms\":200,\"nr_running\":[0,0],\"dsq_depth\":[0,0]},"
			  "{\"t_ms\":300,\"nr_running\":[50,0],\"dsq_depth\":[20000,0]}],"
			  "\"verdict\":{\"ok\":false,\"failures\":[\"rq_clock stall on cpu1 for 5 consecutive samples\"]}}}");

	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	/* the implausible last sample (depth > 10000) is ignored */
	CHECK_NEAR(r.v[M("max_imbalance_ratio")], 4.0, 1e-12);
	CHECK_NEAR(r.v[M("max_dsq_depth")], 3.0, 1e-12);
	CHECK(r.has[M("stall_count")] && r.v[M("stall_count")] == 1);
	CHECK(!r.has[M("total_fallback")]);
	json_decref(j);
	/* summary fields win over derivation */
	j = parse("{\"name\":\"m\",\"verdict\":\"pass\",\"monitor\":{\"max_imbalance_ratio\":1.5,"
		  "\"max_local_dsq_depth\":9,\"stall_detected\":false,\"event_deltas\":{\"total_fallback\":12,"
		  "\"total_dispatch_keep_last\":4},\"samples\":[{\"t_ms\":0,\"nr_running\":[9,1]}],"
		  "\"verdict\":{\"ok\":true,\"failures\":[]}}}");
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	CHECK_NEAR(r.v[M("max_imbalance_ratio")], 1.5, 1e-12);
	CHECK_NEAR(r.v[M("max_dsq_depth")], 9, 1e-12);
	CHECK(r.has[M("stall_count")] && r.v[M("stall_count")] == 0);
	CHECK(r.v[M("total_fallback")] == 12 && r.v[M("total_keep_last")] == 4);
	json_decref(j);
	/* the monitor's own format: boot samples outside the scenario window
	 * do not count, nulls are skipped, counters are cumulative per CPU */
	j = parse("{\"name\":\"m\",\"verdict\":\"pass\",\"monitor\":{\"samples\":["
		  "{\"t_ms\":500,\"nr_running\":[9,0],\"dsq_depth\":[50,0],\"ev_select_cpu_fallback\":[0,0]},"
		  "{\"t_ms\":1000,\"nr_running\":[2,1],\"dsq_depth\":[1,null],\"ev_select_cpu_fallback\":[10,20]},"
		  "{\"t_ms\":2000,\"nr_running\":[null,2],\"dsq_depth\":[2,0],\"ev_select_cpu_fallback\":[15,null]},"
		  "{\"t_ms\":2500,\"nr_running\":[1,1],\"dsq_depth\":[0,0],\"ev_select_cpu_fallback\":[14,26]},"
		  "{\"t_ms\":4000,\"nr_running\":[7,0],\"dsq_depth\":[90,0],\"ev_select_cpu_fallback\":[99,99]}],"
		  "\"events\":[{\"t_ms\":400,\"kind\":\"ready\"},{\"t_ms\":1000,\"kind\":\"scenario_start\"},"
		  "{\"t_ms\":3000,\"kind\":\"scenario_end\"}],"
		  "\"verdict\":{\"ok\":false,\"failures\":[\"cpu 1 stalled: rq clock unchanged for 2.0 s\"]}}}");
	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	CHECK_NEAR(r.v[M("max_imbalance_ratio")], 2.0, 1e-12);
	CHECK_NEAR(r.v[M("max_dsq_depth")], 2.0, 1e-12);
	CHECK(r.has[M("total_fallback")]);
	CHECK_NEAR(r.v[M("total_fallback")], 4 + 6, 1e-12); /* cpu0 10 -> 14, cpu1 20 -> 26 */
	CHECK(!r.has[M("total_keep_last")]);
	CHECK(r.v[M("stall_count")] == 1);
	json_decref(j);
}

UNIT_TEST(report_group_and_overall)
{
	struct kr_set in = { 0 }, g = { 0 };
	struct kr_row r, all;

	sidecar_row(&r, "a", true, "eevdf", 2, 10, 1000);
	kt_rep_set_add(&in, &r);
	sidecar_row(&r, "a", true, "eevdf", 4, 30, 3000);
	kt_rep_set_add(&in, &r);
	sidecar_row(&r, "a", false, "eevdf", 90, 9000, 5); /* failing run: not averaged in */
	kt_rep_set_add(&in, &r);
	sidecar_row(&r, "a", true, "scx_simple", 8, 50, 500);
	kt_rep_set_add(&in, &r);
	sidecar_row(&r, "b", true, "eevdf", 1, 70, 200);
	r.skipped = true;
	snprintf(r.verdict, sizeof(r.verdict), "skip");
	kt_rep_set_add(&in, &r);
	CHECK_EQ_INT(kt_rep_group(&in, KR_DIM_ALL, &g), 0);
	CHECK_EQ_INT(g.n, 3);
	CHECK_EQ_STR(g.rows[0].scheduler, "eevdf");
	CHECK_EQ_INT(g.rows[0].runs, 3);
	CHECK_EQ_INT(g.rows[0].passed_runs, 2);
	CHECK(!g.rows[0].passed);
	CHECK_EQ_STR(g.rows[0].verdict, "mixed");
	CHECK_NEAR(g.rows[0].v[M("worst_spread")], 3.0, 1e-12);
	CHECK_NEAR(g.rows[0].v[M("worst_gap_ms")], 20.0, 1e-12);
	CHECK_EQ_STR(g.rows[1].scheduler, "scx_simple");
	kt_rep_overall(&g, &all);
	CHECK_NEAR(all.v[M("worst_spread")], 8, 1e-12);              /* max */
	CHECK_NEAR(all.v[M("worst_gap_ms")], 50, 1e-12);             /* skipped b excluded */
	CHECK_NEAR(all.v[M("total_iterations")], 2000 + 500, 1e-9);  /* sum */
	CHECK_NEAR(all.v[M("worst_iterations_per_worker")], 50, 1e-12); /* min */
	CHECK(!all.passed);
	kt_rep_set_free(&g);
	/* without the scheduler dim everything named "a" is one group */
	CHECK_EQ_INT(kt_rep_group(&in, KR_DIM_TOPOLOGY, &g), 0);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.rows[0].runs, 4);
	kt_rep_set_free(&g);
	kt_rep_set_free(&in);
}

UNIT_TEST(report_gate_eval)
{
	struct kr_gate g[KR_NGATES];
	double d, rel;
	int gap = M("worst_gap_ms"), it = M("total_iterations"), st = M("stall_count");

	kt_rep_gates_default(g);
	CHECK_NEAR(g[gap].abs, 500, 0);
	CHECK_NEAR(g[gap].rel, 0.5, 0);
	/* lower is better: both gates passed -> regression */
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 1000, 1600, &d, &rel), KR_REGRESSION);
	CHECK_NEAR(d, 600, 1e-9);
	CHECK_NEAR(rel, 0.6, 1e-9);
	/* only the relative gate: noise (100 -> 400 is +300%, but < 500 ms) */
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 100, 400, &d, &rel), KR_NOISE);
	/* only the absolute gate: noise (4000 -> 5000 is +1000 ms, 25%) */
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 4000, 5000, &d, &rel), KR_NOISE);
	/* exactly at both gates counts (>=) */
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 1000, 1500, &d, &rel), KR_REGRESSION);
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 3000, 1000, &d, &rel), KR_IMPROVEMENT);
	/* a drop by 600 of 1600 is only 37.5%: noise */
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 1600, 1000, &d, &rel), KR_NOISE);
	/* higher is better: a drop is the regression */
	CHECK_EQ_INT(kt_rep_gate_eval(it, &g[it], 10000, 8000, &d, &rel), KR_REGRESSION);
	CHECK_EQ_INT(kt_rep_gate_eval(it, &g[it], 10000, 12000, &d, &rel), KR_IMPROVEMENT);
	CHECK_EQ_INT(kt_rep_gate_eval(it, &g[it], 10000, 9500, &d, &rel), KR_NOISE);
	/* zero base: relatively infinite, the absolute gate decides */
	CHECK_EQ_INT(kt_rep_gate_eval(st, &g[st], 0, 1, &d, &rel), KR_REGRESSION);
	CHECK(isinf(rel));
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 0, 100, &d, &rel), KR_NOISE);
	CHECK_EQ_INT(kt_rep_gate_eval(st, &g[st], 0, 0, &d, &rel), KR_SAME);
	CHECK_EQ_INT(kt_rep_gate_eval(gap, &g[gap], 42, 42, &d, &rel), KR_SAME);
}

UNIT_TEST(report_gate_parse)
{
	struct kr_gate g[KR_NGATES];
	char err[256];
	int gap = M("worst_gap_ms"), sp = M("worst_spread");

	kt_rep_gates_default(g);
	CHECK_EQ_INT(kt_rep_gate_parse("worst_gap_ms=200,0.3", g, err, sizeof(err)), 0);
	CHECK_NEAR(g[gap].abs, 200, 0);
	CHECK_NEAR(g[gap].rel, 0.3, 1e-12);
	CHECK_NEAR(g[sp].abs, 5, 0); /* others untouched */
	CHECK_EQ_INT(kt_rep_gate_parse("worst_gap_ms=,25%", g, err, sizeof(err)), 0);
	CHECK_NEAR(g[gap].abs, 200, 0);
	CHECK_NEAR(g[gap].rel, 0.25, 1e-12);
	CHECK_EQ_INT(kt_rep_gate_parse("worst_gap_ms=7,", g, err, sizeof(err)), 0);
	CHECK_NEAR(g[gap].abs, 7, 0);
	CHECK_EQ_INT(kt_rep_gate_parse("all=0,0", g, err, sizeof(err)), 0);
	CHECK(g[sp].abs == 0 && g[sp].rel == 0 && g[gap].abs == 0);
	static const char *const bad[] = { "worst_gap_ms", "worst_gap_ms=5", "=1,2", "nosuch=1,2", "worst_gap_ms=,",
					   "worst_gap_ms=-1,0.1", "worst_gap_ms=x,0.1", "worst_gap_ms=1,0.1x",
					   "worst_gap_ms=1,%", "worst_gap_ms=inf,1", "worst_gap_ms=1,2,3" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		if (kt_rep_gate_parse(bad[i], g, err, sizeof(err)) != -EINVAL || !strstr(err, "--threshold"))
			unit_fail(__FILE__, __LINE__, "'%s' accepted or no message (%s)", bad[i], err);
	}
	CHECK_EQ_INT(kt_rep_gate_parse("nosuch=1,2", g, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "unknown metric 'nosuch'") != NULL);
}

UNIT_TEST(report_compare)
{
	struct kr_set base = { 0 }, new = { 0 };
	struct kr_gate g[KR_NGATES];
	struct kr_cmp c;
	struct kr_row r;
	struct kbuf out = { 0 };

	kt_rep_gates_default(g);
	sidecar_row(&r, "steady", true, "eevdf", 2, 100, 10000);
	kt_rep_set_add(&base, &r);
	sidecar_row(&r, "flaky", true, "eevdf", 2, 100, 10000);
	kt_rep_set_add(&base, &r);
	sidecar_row(&r, "gone", true, "eevdf", 2, 100, 10000);
	kt_rep_set_add(&base, &r);
	/* scheduler A/B: pairs on name + topology */
	sidecar_row(&r, "steady", true, "scx_x", 2.5, 2000, 10050);
	kt_rep_set_add(&new, &r);
	sidecar_row(&r, "flaky", false, "scx_x", 2, 100, 10000);
	kt_rep_set_add(&new, &r);
	sidecar_row(&r, "added", true, "scx_x", 2, 100, 10000);
	kt_rep_set_add(&new, &r);
	CHECK_EQ_INT(kt_rep_compare(&base, &new, g, &c), 0);
	CHECK_EQ_INT(c.dims, KR_DIM_TOPOLOGY | KR_DIM_FLAGS);
	CHECK_EQ_INT(c.paired, 2);
	CHECK_EQ_INT(c.only_base, 1);
	CHECK_EQ_INT(c.only_new, 1);
	CHECK_EQ_INT(c.regressions, 2); /* steady's gap, flaky's verdict */
	CHECK_EQ_INT(c.improvements, 0);
	CHECK_EQ_INT(kt_rep_compare_text(&c, false, &out), 0);
	CHECK(strstr(out.data, "pairing on: name, topology, flags  (differs between the sides: scheduler)") != NULL);
	CHECK(strstr(out.data, "worst_gap_ms") && strstr(out.data, "REGRESSION"));
	CHECK(strstr(out.data, "+1900 ms") && strstr(out.data, "+1900.0%"));
	CHECK(strstr(out.data, "verdict") && strstr(out.data, "pass") && strstr(out.data, "fail"));
	CHECK(strstr(out.data, "summary: 2 regressions, 0 improvements"));
	CHECK(!strstr(out.data, "worst_cross_node")); /* equal: hidden without --all */
	kt_kbuf_free(&out);
	kt_rep_cmp_free(&c);
	/* same scheduler on both sides: within noise, no regression */
	kt_rep_set_free(&new);
	sidecar_row(&r, "steady", true, "eevdf", 2.4, 130, 9900);
	kt_rep_set_add(&new, &r);
	CHECK_EQ_INT(kt_rep_compare(&base, &new, g, &c), 0);
	CHECK_EQ_INT(c.dims, KR_DIM_ALL);
	CHECK_EQ_INT(c.paired, 1);
	CHECK_EQ_INT(c.regressions, 0);
	CHECK_EQ_INT(kt_rep_compare_text(&c, true, &out), 0);
	CHECK(strstr(out.data, "within noise") && strstr(out.data, "worst_cross_node"));
	kt_kbuf_free(&out);
	kt_rep_cmp_free(&c);
	kt_rep_set_free(&base);
	kt_rep_set_free(&new);
}

UNIT_TEST(report_stats_json_round_trip)
{
	struct kr_set in = { 0 }, back = { 0 };
	struct kr_row r, all;
	struct kbuf out = { 0 };
	char err[256];
	json_t *j;

	sidecar_row(&r, "x\\\"<y>", true, "eevdf", 1.25, 24, 300); /* JSON: x\"<y> */
	kt_rep_set_add(&in, &r);
	kt_rep_overall(&in, &all);
	CHECK_EQ_INT(kt_rep_stats_json(&in, &all, &out), 0);
	j = parse(out.data);
	CHECK_EQ_INT(kt_rep_rows_from_stats_json(j, &back, err, sizeof(err)), 0);
	CHECK_EQ_INT(back.n, 1);
	CHECK_EQ_STR(back.rows[0].name, "x\"<y>");
	for (int m = 0; m < KR_NMETRICS; m++) {
		CHECK_EQ_INT(back.rows[0].has[m], r.has[m]);
		CHECK_NEAR(back.rows[0].v[m], r.v[m], 1e-9);
	}
	json_decref(j);
	kt_kbuf_free(&out);
	kt_rep_set_free(&back);
	CHECK_EQ_INT(kt_rep_stats_text(&in, &all, &out), 0);
	CHECK(strstr(out.data, "1 tests: 1 passed, 0 failed, 0 skipped"));
	CHECK(strstr(out.data, "1.25%") && strstr(out.data, "24 ms"));
	kt_kbuf_free(&out);
	j = parse("{\"tests\":[]}");
	CHECK_EQ_INT(kt_rep_rows_from_stats_json(j, &back, err, sizeof(err)), -EINVAL);
	json_decref(j);
	j = parse("{\"ktstr_stats\":1,\"tests\":[{\"metrics\":{}}]}");
	CHECK_EQ_INT(kt_rep_rows_from_stats_json(j, &back, err, sizeof(err)), -EINVAL);
	json_decref(j);
	kt_rep_set_free(&in);
}

UNIT_TEST(report_copy_and_format)
{
	char b[8], v[64];

	kt_rep_copy(b, sizeof(b), "abc");
	CHECK_EQ_STR(b, "abc");
	kt_rep_copy(b, sizeof(b), "abcdef\xc3\xa9"); /* 'é' would be split at 7 bytes */
	CHECK_EQ_STR(b, "abcdef");
	kt_rep_copy(b, sizeof(b), "ab\xe2\x86\x92xyz");
	CHECK_EQ_STR(b, "ab\xe2\x86\x92xy");
	kt_rep_fmt_value(M("worst_gap_ms"), 24, v, sizeof(v));
	CHECK_EQ_STR(v, "24 ms");
	kt_rep_fmt_value(M("worst_spread"), 1.4375, v, sizeof(v));
	CHECK_EQ_STR(v, "1.44%");
	kt_rep_fmt_value(M("total_migrations"), 12.5, v, sizeof(v));
	CHECK_EQ_STR(v, "12.5");
}

static json_t *html_doc(const char *name, const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "{\"name\":\"%s\",\"verdict\":\"fail\",\"passed\":false,\"topology\":\"1n1l2c1t\","
		 "\"scheduler\":\"<b>evil</b>\",\"reason\":\"cg_0: tid 3 stuck <img src=x onerror=alert(1)>\","
		 "\"wall_s\":3.5,\"duration_ms\":2000,\"result\":{\"details\":[{\"kind\":\"stuck\",\"message\":"
		 "\"</li><script>x()</script>\"}],\"cgroups\":[{\"name\":\"cg_0\",\"work\":\"Bursty\","
		 "\"gap_hist_ms\":[0,1,0,2],\"wake_hist_us\":[5,3,1]}],\"stats\":{\"worst_gap_ms\":5}}%s}",
		 name, extra);
	return parse(buf);
}

UNIT_TEST(report_html_escapes_and_structure)
{
	struct kr_doc v[2];
	struct kr_docs d = { .v = v, .n = 2 };
	struct kbuf out = { 0 };
	char mon[4096];
	int k = snprintf(mon, sizeof(mon), ",\"monitor\":{\"interval_ms\":100,\"cpus\":2,\"samples\":[");

	for (int i = 0; i < 30; i++)
		k += snprintf(mon + k, sizeof(mon) - k, "%s{\"t_ms\":%d,\"nr_running\":[%d,1],\"dsq_depth\":[0,%d]}",
			      i ? "," : "", i * 100, i % 3, i % 2);
	snprintf(mon + k, sizeof(mon) - k,
		 "],\"events\":[{\"t_ms\":1500,\"kind\":\"step\",\"detail\":\"<step & go>\"}],"
		 "\"verdict\":{\"ok\":false,\"failures\":[\"imbalance <x>\"]},\"degraded\":[\"dsq_depth\"]}");
	v[0].path = "a";
	v[0].j = html_doc("evil<script>alert(1)</script>", "");
	v[1].path = "b";
	v[1].j = html_doc("with_monitor", mon);
	CHECK_EQ_INT(kt_rep_html_report(&d, "t & <t>", &out), 0);
	CHECK(strstr(out.data, "<!DOCTYPE html>") == out.data);
	CHECK_EQ_INT(count(out.data, "<script"), 0);
	CHECK_EQ_INT(count(out.data, "<img"), 0);
	CHECK_EQ_INT(count(out.data, "<b>evil"), 0);
	CHECK(strstr(out.data, "evil&lt;script&gt;alert(1)&lt;/script&gt;"));
	CHECK(strstr(out.data, "&lt;step &amp; go&gt;"));
	CHECK(strstr(out.data, "<title>t &amp; &lt;t&gt;</title>"));
	/* no external resources */
	CHECK_EQ_INT(count(out.data, "http://") - count(out.data, "xmlns=\"http://www.w3.org/2000/svg\""), 0);
	CHECK_EQ_INT(count(out.data, "https://"), 0);
	CHECK_EQ_INT(count(out.data, "<tr class=\"t\">"), 2);
	CHECK_EQ_INT(count(out.data, "<section class=\"test\""), 2);
	CHECK_EQ_INT(count(out.data, "no monitor data"), 1);
	/* 2 histograms per test, 2 timelines for the one with a monitor */
	CHECK_EQ_INT(count(out.data, "<svg"), 6);
	CHECK_EQ_INT(count(out.data, "</svg>"), 6);
	CHECK_EQ_INT(count(out.data, "class=\"step\""), 2);
	CHECK(strstr(out.data, "imbalance &lt;x&gt;"));
	CHECK(strstr(out.data, "degraded"));
	json_decref(v[0].j);
	json_decref(v[1].j);
	kt_kbuf_free(&out);
}

UNIT_TEST(report_svg_plots)
{
	struct kbuf b = { 0 };
	uint64_t h[KT_HIST_BUCKETS] = { 0 };
	json_t *mon;
	char *s = malloc(200000);
	int k = 0;

	CHECK_EQ_INT(kt_rep_svg_hist(&b, "x", "ms", h, KT_HIST_BUCKETS), 0); /* empty: nothing */
	CHECK_EQ_INT(b.len, 0);
	h[2] = 4;
	h[KT_HIST_BUCKETS - 1] = 1;
	CHECK_EQ_INT(kt_rep_svg_hist(&b, "x", "ms", h, KT_HIST_BUCKETS), 1);
	CHECK_EQ_INT(count(b.data, "class=\"bar\""), KT_HIST_BUCKETS);
	CHECK(strstr(b.data, "2-4 ms: 4") && strstr(b.data, "&#8805;4194304 ms: 1"));
	kt_kbuf_free(&b);
	/* 40 CPUs: the min/mean/max envelope, not 40 lines; hostile values */
	k += sprintf(s + k, "{\"samples\":[");
	for (int i = 0; i < 50; i++) {
		k += sprintf(s + k, "%s{\"t_ms\":%d,\"nr_running\":[", i ? "," : "", i * 100);
		for (int c = 0; c < 40; c++)
			k += sprintf(s + k, "%s%d", c ? "," : "", c == 3 && i == 7 ? -5 : (c + i) % 4);
		k += sprintf(s + k, "]}");
	}
	sprintf(s + k, ",{\"t_ms\":\"x\",\"nr_running\":\"y\"}],\"events\":[{\"t_ms\":1e300}]}");
	mon = parse(s);
	CHECK_EQ_INT(kt_rep_svg_timeline(&b, mon, "nr_running", "t"), 1);
	CHECK_EQ_INT(count(b.data, "<path"), 3);
	CHECK(strstr(b.data, "max over CPUs (40 CPUs)"));
	CHECK_EQ_INT(count(b.data, "nan") + count(b.data, "inf"), 0);
	kt_kbuf_free(&b);
	CHECK_EQ_INT(kt_rep_svg_timeline(&b, mon, "dsq_depth", "t"), 0); /* no such signal */
	json_decref(mon);
	free(s);
	kt_kbuf_free(&b);
}
