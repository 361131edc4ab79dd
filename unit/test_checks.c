/* Unit tests: statistics, reservoir sampling, threshold layers, every
 * worker-level check (pass and fail, with the reference's messages),
 * cgroup/scenario statistics and their JSON, the work-type registry and
 * the telemetry parsers. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include "model/ctx.h"
#include "workload/work/work.h"
#include "unit.h"

/* A plausible worker: 1 s wall, `cpu_pct` % on CPU, CPU pid % 4. */
static void rep(struct ktstr_worker_report *w, pid_t pid, uint64_t units, unsigned cpu_pct, uint64_t gap_ms)
{
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->work_units = units;
	w->iterations = units;
	w->wall_time_ns = 1000000000u;
	w->cpu_time_ns = (uint64_t)cpu_pct * 10000000u;
	w->max_gap_ns = gap_ms * 1000000u;
	w->max_gap_at_ns = 300000000u;
	w->max_gap_cpu = 1;
	kmask_set(&w->cpus_used, (unsigned)pid % 4);
}

static bool has_msg(const struct kt_result *r, enum ktstr_kind k, const char *msg)
{
	for (unsigned i = 0; i < r->ndetails; i++)
		if (r->details[i].kind == k && !strcmp(r->details[i].msg, msg))
			return true;
	for (unsigned i = 0; i < r->ndetails; i++)
		fprintf(stderr, "    have %s: %s\n", ktstr_kind_name(r->details[i].kind), r->details[i].msg);
	return false;
}

static void only(struct kt_checks *c, enum kt_check_field f)
{
	memset(c, 0, sizeof(*c));
	c->has = KT_C_BIT(f);
}

UNIT_TEST(stats_p99_median_cv)
{
	uint64_t v[100], one = 7;
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };

	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)(100 - i);
	kt_sort_u64(v, 100);
	CHECK_EQ_INT(v[0], 1);
	CHECK_EQ_INT(kt_stat_p99(v, 100), 99); /* sorted[ceil(99)-1] */
	CHECK_EQ_INT(kt_stat_p99(v, 10), 10);  /* ceil(9.9)=10 -> sorted[9] */
	CHECK_EQ_INT(kt_stat_p99(v, 101 - 1), 99);
	CHECK_EQ_INT(kt_stat_p99(v, 50), 50);  /* ceil(49.5)=50 */
	CHECK_EQ_INT(kt_stat_p99(&one, 1), 7);
	CHECK_EQ_INT(kt_stat_p99(v, 0), 0);
	CHECK_EQ_INT(kt_stat_median(v, 100), 51); /* sorted[n/2] */
	CHECK_EQ_INT(kt_stat_median(v, 5), 3);
	CHECK_EQ_INT(kt_stat_median(v, 0), 0);
	CHECK_NEAR(kt_stat_mean(x, 8), 5.0, 1e-12);
	CHECK_NEAR(kt_stat_cv(x, 8), 0.4, 1e-9); /* population sd 2 / mean 5 */
	CHECK_NEAR(kt_stat_cv(x, 1), 0.0, 0);
	CHECK_NEAR(kt_stat_cv((double[]){ 0, 0 }, 2), 0.0, 0);
	CHECK_NEAR(kt_stat_cv_u64((uint64_t[]){ 2, 4, 4, 4, 5, 5, 7, 9 }, 8), 0.4, 1e-9);
	CHECK_NEAR(kt_stat_cv_u64((uint64_t[]){ 1000000000000ull, 3000000000000ull }, 2), 0.5, 1e-9);
}

UNIT_TEST(reservoir_bounds)
{
	uint64_t buf[16] = { 0 };
	struct kt_reservoir r = { .buf = buf, .cap = 16, .rng = 42 };
	unsigned late = 0;

	for (uint64_t i = 0; i < 10; i++)
		kt_reservoir_add(&r, i);
	CHECK_EQ_INT(r.len, 10);
	CHECK_EQ_INT(r.total, 10);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ_INT(buf[i], i); /* below the cap: kept in order */
	for (uint64_t i = 10; i < 100000; i++)
		kt_reservoir_add(&r, i);
	CHECK_EQ_INT(r.len, 16);
	CHECK_EQ_INT(r.total, 100000);
	for (unsigned i = 0; i < 16; i++) {
		CHECK(buf[i] < 100000);
		late += buf[i] >= 50000;
	}
	/* Uniform over what was seen: the second half is not starved out. */
	CHECK(late >= 2 && late <= 14);
	/* No buffer: only counted. */
	struct kt_reservoir z = { .cap = 0 };

	kt_reservoir_add(&z, 1);
	CHECK_EQ_INT(z.total, 1);
	CHECK_EQ_INT(z.len, 0);
}

UNIT_TEST(thresholds_merge_layers)
{
	struct kt_checks c, b;
	struct ktstr_checks sched = { .max_gap_ms = 500, .max_p99_wake_latency_ns = 9000, .isolation = KTSTR_OFF };
	struct ktstr_checks test = { .max_gap_ms = 700, .max_spread_pct = 50.0 };

	kt_checks_defaults(&c, false);
	CHECK(c.not_starved && c.isolation);
	CHECK_EQ_INT(c.max_gap_ms, 2000);
	CHECK_NEAR(c.max_spread_pct, 15.0, 0);
	CHECK_EQ_INT(c.has, KT_C_BIT(KT_C_NOT_STARVED) | KT_C_BIT(KT_C_ISOLATION) | KT_C_BIT(KT_C_GAP) |
				    KT_C_BIT(KT_C_SPREAD));
	kt_checks_defaults(&c, true); /* TCG: gap x2, spread 35 % */
	CHECK_EQ_INT(c.max_gap_ms, 4000);
	CHECK_NEAR(c.max_spread_pct, 35.0, 0);
	/* defaults -> scheduler -> test: the last layer that sets wins. */
	kt_checks_resolve(&c, true, &sched, &test);
	CHECK_EQ_INT(c.max_gap_ms, 700);
	CHECK_NEAR(c.max_spread_pct, 50.0, 0);
	CHECK_EQ_INT(c.max_p99_wake_latency_ns, 9000); /* test left it unset */
	CHECK(c.has & KT_C_BIT(KT_C_P99_WAKE));
	CHECK(!c.isolation && (c.has & KT_C_BIT(KT_C_ISOLATION))); /* set, to off */
	CHECK(!(c.has & KT_C_BIT(KT_C_MIGRATION)));
	/* Unset test fields inherit; a test turning isolation back on wins. */
	kt_checks_resolve(&c, false, &sched, &(struct ktstr_checks){ .isolation = KTSTR_ON });
	CHECK(c.isolation);
	CHECK_EQ_INT(c.max_gap_ms, 500);
	CHECK_NEAR(c.max_spread_pct, 15.0, 0);
	kt_checks_resolve(&c, false, NULL, NULL);
	CHECK_EQ_INT(c.max_gap_ms, 2000);
	/* Merging resolved sets: only b's set fields win. */
	kt_checks_defaults(&c, false);
	only(&b, KT_C_MIGRATION);
	b.max_migration_ratio = 0.25;
	b.max_gap_ms = 1; /* not in b.has: ignored */
	kt_checks_merge(&c, &b);
	CHECK_NEAR(c.max_migration_ratio, 0.25, 0);
	CHECK_EQ_INT(c.max_gap_ms, 2000);
}

UNIT_TEST(thresholds_ctx_init_and_test_struct)
{
	static const struct ktstr_test t = { .name = "t", .max_gap_ms = 500, .no_spread_check = true,
					     .min_iteration_rate = 10.0 };
	struct ktstr_topo topo = { 1, 1, 2, 1 };
	struct ktstr_ctx *ctx = malloc(sizeof(*ctx));

	CHECK(ctx != NULL);
	if (!ctx)
		return;
	CHECK_EQ_INT(t.checks.max_gap_ms, 500); /* flat fields alias .checks */
	kt_ctx_init(ctx, &t, &topo, 1000, true);
	CHECK_EQ_INT(ctx->checks.max_gap_ms, 500); /* explicit: not scaled */
	CHECK_EQ_INT(ctx->gap_threshold_ms, 500);
	CHECK(!(ctx->checks.has & KT_C_BIT(KT_C_SPREAD)));
	CHECK(ctx->checks.has & KT_C_BIT(KT_C_ITER_RATE));
	kt_ctx_init(ctx, &(struct ktstr_test){ .name = "u" }, &topo, 1000, true);
	CHECK_EQ_INT(ctx->gap_threshold_ms, 4000);
	CHECK_NEAR(ctx->spread_threshold_pct, 35.0, 0);
	free(ctx);
}

UNIT_TEST(check_not_starved_pass_fail)
{
	struct ktstr_worker_report w[3];
	struct kt_checks c;
	struct kt_result r;

	kt_checks_defaults(&c, false);
	rep(&w[0], 10, 1000, 99, 5);
	rep(&w[1], 11, 1000, 98, 5);
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	CHECK_EQ_INT(r.ndetails, 0);
	CHECK_EQ_INT(r.cg[0].cpus, 2);
	CHECK_EQ_INT(r.workers, 2);

	rep(&w[2], 12, 0, 0, 0);
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 3, &c, NULL);
	CHECK(!r.passed);
	CHECK(has_msg(&r, KTSTR_K_STARVED, "cg: tid 12 starved (0 work units)"));
	CHECK(has_msg(&r, KTSTR_K_UNFAIR,
		      "cg: unfair cgroup: spread=99% (1-100%) 3 workers on 3 cpus (threshold 15%)"));

	/* SCHED_IDLE workers (what sched_mixed spawns) run only in what
	 * the others leave: 0 units and a wide spread are not judged. */
	w[2].sched_policy = SCHED_IDLE;
	rep(&w[1], 11, 40, 0, 5);
	w[1].sched_policy = SCHED_IDLE;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 3, &c, NULL);
	CHECK(r.passed);
	CHECK_EQ_INT(r.ndetails, 0);
	w[1].sched_policy = SCHED_OTHER;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 3, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_UNFAIR,
		      "cg: unfair cgroup: spread=99% (1-100%) 3 workers on 3 cpus (threshold 15%)"));
	CHECK(!has_msg(&r, KTSTR_K_STARVED, "cg: tid 12 starved (0 work units)"));

	/* Gap: above the threshold fails, at it passes. */
	rep(&w[0], 10, 1000, 99, 2500);
	rep(&w[1], 11, 1000, 99, 2000);
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK_EQ_INT(r.ndetails, 1);
	CHECK(has_msg(&r, KTSTR_K_STUCK, "cg: tid 10 stuck 2500ms on cpu1 at +300ms (threshold 2000ms)"));
	CHECK_EQ_INT(r.cg[0].max_gap_ms, 2500);

	/* not_starved off: none of the three run. */
	c.not_starved = false;
	rep(&w[0], 10, 0, 0, 9000);
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);

	/* The skeleton's interface still works. */
	kt_result_init(&r, "t");
	kt_check_cgroup(&r, "cg", w, 2, 100, 15.0, false);
	CHECK(has_msg(&r, KTSTR_K_STARVED, "cg: tid 10 starved (0 work units)"));
	CHECK(has_msg(&r, KTSTR_K_STUCK, "cg: tid 10 stuck 9000ms on cpu1 at +300ms (threshold 100ms)"));
	CHECK(has_msg(&r, KTSTR_K_STUCK, "cg: tid 11 stuck 2000ms on cpu1 at +300ms (threshold 100ms)"));
	CHECK_EQ_INT(r.ndetails, 3); /* spread check off */
}

UNIT_TEST(check_isolation_pass_fail)
{
	struct ktstr_worker_report w[2];
	struct ktstr_cpumask set;
	struct kt_checks c;
	struct kt_result r;
	struct kt_cg_env env = { .cpuset = &set };

	only(&c, KT_C_ISOLATION);
	c.isolation = true;
	kt_mask_parse("0-1", &set);
	rep(&w[0], 4, 10, 50, 0); /* cpu 0 */
	rep(&w[1], 5, 10, 50, 0); /* cpu 1 */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, &env);
	CHECK(r.passed);
	kmask_set(&w[1].cpus_used, 3);
	kmask_set(&w[1].cpus_used, 2);
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, &env);
	CHECK(has_msg(&r, KTSTR_K_ISOLATION, "cg: tid 5 ran on unexpected CPUs 2-3"));
	/* Without a cpuset there is nothing to check. */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
}

UNIT_TEST(check_throughput_pass_fail)
{
	struct ktstr_worker_report w[2];
	struct kt_checks c;
	struct kt_result r;

	only(&c, KT_C_TPUT_CV);
	c.max_throughput_cv = 0.51;
	rep(&w[0], 1, 1000, 100, 0); /* 1000 work/cpu_s */
	rep(&w[1], 2, 3000, 100, 0); /* 3000 work/cpu_s: mean 2000, cv 0.5 */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	c.max_throughput_cv = 0.4;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_BENCHMARK, "cg: throughput CV 0.500 exceeds limit 0.400 (mean=2000 work/cpu_s)"));

	only(&c, KT_C_WORK_RATE);
	c.min_work_rate = 1000;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	c.min_work_rate = 1500;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK_EQ_INT(r.ndetails, 1);
	CHECK(has_msg(&r, KTSTR_K_BENCHMARK, "cg: worker 1 throughput 1000 work/cpu_s below floor 1500"));
}

UNIT_TEST(check_benchmarks_pass_fail)
{
	struct ktstr_worker_report w[2];
	uint64_t s0[100], s1[2] = { 1000, 1000 };
	struct kt_checks c;
	struct kt_result r;

	for (int i = 0; i < 100; i++)
		s0[i] = (uint64_t)(i + 1) * 1000; /* 1..100 us */
	rep(&w[0], 1, 10, 50, 0);
	rep(&w[1], 2, 10, 50, 0);
	w[0].wake_samples = s0;
	w[0].nwake = 100;
	w[1].wake_samples = s1;
	w[1].nwake = 2;
	only(&c, KT_C_P99_WAKE);
	c.max_p99_wake_latency_ns = 100000; /* pooled: 102 samples, p99 = sorted[100] = 99 us */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	CHECK_NEAR(r.cg[0].p99_wake_latency_us, 99.0, 1e-9);
	CHECK_NEAR(r.cg[0].median_wake_latency_us, 50.0, 1e-9);
	CHECK_EQ_INT(r.cg[0].wake_samples, 102);
	CHECK_NEAR(r.cg[0].wake_latency_tail_ratio, 99.0 / 50.0, 1e-9);
	c.max_p99_wake_latency_ns = 98000;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_BENCHMARK, "cg: p99 wake latency 99000ns exceeds limit 98000ns (102 samples)"));

	only(&c, KT_C_WAKE_CV);
	c.max_wake_latency_cv = 0.1;
	w[0].nwake = 0;
	s1[1] = 3000; /* 1 us and 3 us: mean 2000 ns, cv 0.5 */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_BENCHMARK, "cg: wake latency CV 0.500 exceeds limit 0.100 (mean=2000ns)"));
	c.max_wake_latency_cv = 0.51;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);

	only(&c, KT_C_ITER_RATE);
	c.min_iteration_rate = 10.0;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	w[1].iterations = 5;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_BENCHMARK, "cg: worker 2 iteration rate 5.0/s below floor 10.0/s"));
	/* No reports: skipped, not failed. */
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 0, &c, NULL);
	CHECK(r.passed && r.skipped);
	CHECK(has_msg(&r, KTSTR_K_SKIP, "cg: no worker reports \xe2\x80\x94 benchmark skipped"));
}

UNIT_TEST(check_migration_ratio_pass_fail)
{
	struct ktstr_worker_report w[2];
	struct kt_checks c;
	struct kt_result r;

	rep(&w[0], 1, 100, 50, 0);
	rep(&w[1], 2, 100, 50, 0);
	w[0].migrations = 5;
	w[1].migrations = 5; /* 10 / 200 = 0.05 */
	only(&c, KT_C_MIGRATION);
	c.max_migration_ratio = 0.05;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(r.passed);
	CHECK_NEAR(r.cg[0].migration_ratio, 0.05, 1e-12);
	c.max_migration_ratio = 0.01;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 2, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_MIGRATION,
		      "cg: migration ratio 0.0500 exceeds threshold 0.0100 (10 migrations / 200 iterations)"));
}

UNIT_TEST(check_numa_pass_fail)
{
	struct ktstr_worker_report w[1];
	struct ktstr_cpumask set;
	struct kt_checks c;
	struct kt_result r;
	struct kt_cg_env env = { .cpuset = &set, .cpuset_nodes = 1u << 0 };

	kt_mask_parse("0-1", &set);
	rep(&w[0], 7, 10, 50, 0);
	w[0].numa_pages[0] = 75;
	w[0].numa_pages[1] = 25;
	w[0].numa_pages_migrated = 10;
	only(&c, KT_C_PAGE_LOCALITY);
	c.min_page_locality = 0.75;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, &env);
	CHECK(r.passed);
	CHECK_NEAR(r.cg[0].page_locality, 0.75, 1e-12);
	c.min_page_locality = 0.9;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, &env);
	CHECK(has_msg(&r, KTSTR_K_PAGE_LOCALITY, "cg: page locality 0.7500 below threshold 0.9000 (75/100 pages local)"));
	kt_result_init(&r, "t"); /* no cpuset: not checked */
	kt_check_workers(&r, "cg", w, 1, &c, NULL);
	CHECK(r.passed);

	only(&c, KT_C_CROSS_NODE);
	c.max_cross_node_migration_ratio = 0.1;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, NULL);
	CHECK(r.passed);
	c.max_cross_node_migration_ratio = 0.05;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, NULL);
	CHECK(has_msg(&r, KTSTR_K_CROSS_NODE_MIGRATION,
		      "cg: cross-node migration ratio 0.1000 exceeds threshold 0.0500 (10/100 pages migrated)"));

	only(&c, KT_C_SLOW_TIER);
	c.max_slow_tier_ratio = 0.25;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, &env);
	CHECK(r.passed);
	c.max_slow_tier_ratio = 0.2;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "cg", w, 1, &c, &env);
	CHECK(has_msg(&r, KTSTR_K_SLOW_TIER,
		      "cg: slow-tier page ratio 0.2500 exceeds threshold 0.2000 (25/100 pages on non-CPU nodes)"));
}

UNIT_TEST(stats_cgroup_and_scenario)
{
	struct ktstr_worker_report w[2];
	struct kt_checks c;
	struct kt_result r, back;
	struct kbuf j = { 0 };
	char err[256];

	memset(&c, 0, sizeof(c)); /* no checks, only statistics */
	rep(&w[0], 1, 400, 80, 12);
	rep(&w[1], 2, 100, 60, 30);
	w[0].run_delay_ns = 3000000;
	w[1].run_delay_ns = 1000000;
	w[1].migrations = 4;
	kt_result_init(&r, "t");
	kt_check_workers(&r, "a", w, 2, &c, &(struct kt_cg_env){ .work = "CpuSpin" });
	kt_check_workers(&r, "b", w, 1, &c, NULL);
	CHECK_EQ_INT(r.ncg, 2);
	CHECK_EQ_STR(r.cg[0].work, "CpuSpin");
	CHECK_NEAR(r.cg[0].min_off_cpu_pct, 20.0, 1e-9);
	CHECK_NEAR(r.cg[0].max_off_cpu_pct, 40.0, 1e-9);
	CHECK_NEAR(r.cg[0].avg_off_cpu_pct, 30.0, 1e-9);
	CHECK_NEAR(r.cg[0].spread_pct, 20.0, 1e-9);
	CHECK_EQ_INT(r.cg[0].max_gap_ms, 30);
	CHECK_EQ_INT(r.cg[0].mean_run_delay_us, 2000);
	CHECK_EQ_INT(r.cg[0].worst_run_delay_us, 3000);
	CHECK_NEAR(r.cg[0].iterations_per_worker, 250.0, 1e-9);
	CHECK_NEAR(r.cg[0].migration_ratio, 4.0 / 500.0, 1e-12);
	/* Scenario: sums, maxima, lowest non-zero iterations per worker. */
	CHECK_EQ_INT(r.stats.total_iterations, 900);
	CHECK_EQ_INT(r.stats.total_migrations, 4);
	CHECK_EQ_INT(r.stats.total_cpus, 3);
	CHECK_EQ_INT(r.stats.worst_gap_ms, 30);
	CHECK_EQ_INT(r.stats.worst_gap_cpu, 1);
	CHECK_NEAR(r.stats.worst_spread, 20.0, 1e-9);
	CHECK_NEAR(r.stats.worst_iterations_per_worker, 250.0, 1e-9);
	CHECK_EQ_INT(r.workers, 3);
	/* JSON round trip of every statistic. */
	r.cg[1].p99_wake_latency_us = 12.5;
	r.stats.worst_page_locality = 0.5;
	CHECK_EQ_INT(kt_result_to_json(&r, &j), 0);
	CHECK_EQ_INT(kt_result_from_json(j.data, j.len, &back, err, sizeof(err)), 0);
	CHECK_EQ_INT(back.ncg, 2);
	CHECK_EQ_STR(back.cg[0].work, "CpuSpin");
	CHECK_NEAR(back.cg[0].avg_off_cpu_pct, 30.0, 1e-9);
	CHECK_EQ_INT(back.cg[0].worst_run_delay_us, 3000);
	CHECK_NEAR(back.cg[1].p99_wake_latency_us, 12.5, 1e-12);
	CHECK_EQ_INT(back.stats.total_iterations, 900);
	CHECK_EQ_INT(back.stats.worst_gap_cpu, 1);
	CHECK_NEAR(back.stats.worst_page_locality, 0.5, 1e-12);
	kt_kbuf_free(&j);
	/* Missing statistics decode as zeros (max_gap_cpu as -1). */
	{
		const char *js = "{\"cgroups\":[{\"name\":\"x\"}]}";

		CHECK_EQ_INT(kt_result_from_json(js, strlen(js), &back, err, sizeof(err)), 0);
	}
	CHECK_EQ_INT(back.cg[0].max_gap_cpu, -1);
	CHECK_EQ_INT(back.cg[0].iterations, 0);
	CHECK_EQ_STR(ktstr_kind_name(KTSTR_K_CROSS_NODE_MIGRATION), "cross_node_migration");
	CHECK_EQ_INT(ktstr_kind_parse("slow_tier"), KTSTR_K_SLOW_TIER);
}

UNIT_TEST(work_registry_names_and_args)
{
	uint64_t p[KTSTR_WORK_MAX_PARAMS];
	enum ktstr_work t;
	char err[256];

	for (unsigned i = 0; i < KTSTR_WORK__COUNT; i++) {
		const struct ktstr_work_info *w = ktstr_work_info((enum ktstr_work)i);
		const struct kt_work_type *k = kt_work_type((enum ktstr_work)i);

		CHECK(w && k && k->step && w->help && w->name);
		if (!w)
			continue;
		CHECK_EQ_INT(w->type, i);
		CHECK(w->nparams <= KTSTR_WORK_MAX_PARAMS);
		CHECK(!k->group_size == !k->group_setup);
		for (unsigned j = i + 1; j < KTSTR_WORK__COUNT; j++)
			CHECK(strcmp(w->name, ktstr_work_name((enum ktstr_work)j)));
		if (w->by_name) {
			CHECK_EQ_INT(ktstr_work_from_name(w->name, &t, err, sizeof(err)), 0);
			CHECK_EQ_INT(t, i);
		}
		for (unsigned j = 0; j < w->nparams; j++)
			CHECK(w->params[j].min <= w->params[j].def && w->params[j].def <= w->params[j].max);
	}
	CHECK(ktstr_work_info(KTSTR_WORK__COUNT) == NULL);
	CHECK_EQ_STR(ktstr_work_name(KTSTR_WORK_SPIN), "CpuSpin");
	CHECK_EQ_INT(KTSTR_WORK_SPIN, 0);
	CHECK_EQ_INT(ktstr_work_from_name("cpuspin", &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "unknown work type 'cpuspin'; did you mean 'CpuSpin'?");
	CHECK_EQ_INT(ktstr_work_from_name("Sequence", &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not constructible by name") != NULL);

	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_FAN_OUT_COMPUTE, NULL, p, err, sizeof(err)), 0);
	CHECK(p[0] == 4 && p[1] == 256 && p[2] == 5 && p[3] == 100);
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_FAN_OUT_COMPUTE, p), 5);
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_BURSTY, "sleep_ms=7,burst_ms=3", p, err, sizeof(err)), 0);
	CHECK(p[0] == 3 && p[1] == 7);
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_BURSTY, "burst_ms=0", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "Bursty: burst_ms=0 out of range 1..60000");
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_BURSTY, "burst=3", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "Bursty: unknown parameter 'burst' (parameters: burst_ms, sleep_ms)");
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_SPIN, "x=1", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "CpuSpin: unknown parameter 'x' (it takes none)");
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_PIPE_IO, "burst_iters=-1", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_PIPE_IO, "burst_iters", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK_PIPE_IO, "burst_iters=12x", p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(ktstr_work_parse_args(KTSTR_WORK__COUNT, NULL, p, err, sizeof(err)), -EINVAL);
	/* Group sizes. */
	ktstr_work_parse_args(KTSTR_WORK_MUTEX_CONTENTION, "contenders=3", p, err, sizeof(err));
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_MUTEX_CONTENTION, p), 3);
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_PIPE_IO, p), 2);
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_CACHE_PIPE, p), 2);
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_FUTEX_PING_PONG, p), 2);
	CHECK_EQ_INT(ktstr_work_group_size(KTSTR_WORK_SPIN, p), 1);
}

UNIT_TEST(work_telemetry_parsers)
{
	uint64_t pages[4], a, b, c;
	const char *maps = "00400000 default file=/init mapped=3 N0=3 kernelpagesize_kB=4\n"
			   "7f00 interleave:0-1 anon=8 dirty=8 N0=5 N1=3 kernelpagesize_kB=4\n"
			   "7f10 default stack anon=2 N1=2 N7=9 N=4 XN1=9\n";

	kt_parse_numa_maps(maps, pages, 4);
	CHECK_EQ_INT(pages[0], 5); /* the file mapping's N0=3 is not counted */
	CHECK_EQ_INT(pages[1], 5);
	CHECK_EQ_INT(pages[2], 0);
	CHECK_EQ_INT(pages[3], 0); /* N7 is beyond the array */
	CHECK_EQ_INT(kt_parse_schedstat("123 456 7\n", &a, &b, &c), 0);
	CHECK(a == 123 && b == 456 && c == 7);
	CHECK_EQ_INT(kt_parse_schedstat("123", &a, &b, &c), -EINVAL);
	CHECK_EQ_INT(kt_parse_vmstat("numa_hit 5\nnuma_pages_migrated 42\npgfault 1\n", "numa_pages_migrated", &a), 0);
	CHECK_EQ_INT(a, 42);
	CHECK_EQ_INT(kt_parse_vmstat("numa_pages_migrated_x 1\n", "numa_pages_migrated", &a), -ENOENT);
}
