/* Worker-level checks (pure): starvation, fairness spread, scheduling
 * gaps, isolation, throughput parity, wake-latency benchmarks, migration
 * ratio, NUMA page locality, cross-node migration, slow-tier pages.
 * Thresholds, messages and their origin: docs/checks.md.  Every message
 * is "<cgroup>: " followed by the reference's text. */
#include "model/ctx.h"

#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(struct kt_result *r, enum ktstr_kind kind, const char *cg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct kt_result *r, enum ktstr_kind kind, const char *cg, const char *fmt, ...)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s: ", cg);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	kt_result_add(r, kind, msg);
}

static bool on(const struct kt_checks *c, enum kt_check_field f) { return c->has & KT_C_BIT(f); }

/* Starvation, spread, gap (the reference's assert_not_starved with the
 * merged thresholds). */
static void check_not_starved(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
			      const struct kt_checks *c, const struct kt_cgstats *g)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].work_units == 0 && w[i].sched_policy != SCHED_IDLE)
			add(r, KTSTR_K_STARVED, cg, "tid %d starved (0 work units)", (int)w[i].pid);
	/* spread_pct is 0 unless at least two workers (not SCHED_IDLE) have a
	 * wall time. */
	if (on(c, KT_C_SPREAD) && n >= 2 && g->spread_pct > c->max_spread_pct)
		add(r, KTSTR_K_UNFAIR, cg,
		    "unfair cgroup: spread=%.0f%% (%.0f-%.0f%%) %zu workers on %u cpus (threshold %.0f%%)",
		    g->spread_pct, g->min_off_cpu_pct, g->max_off_cpu_pct, n, g->cpus, c->max_spread_pct);
	if (on(c, KT_C_GAP))
		for (size_t i = 0; i < n; i++) {
			uint64_t gap_ms = w[i].max_gap_ns / 1000000u;

			if (gap_ms > c->max_gap_ms && w[i].sched_policy != SCHED_IDLE)
				add(r, KTSTR_K_STUCK, cg,
				    "tid %d stuck %" PRIu64 "ms on cpu%d at +%" PRIu64 "ms (threshold %" PRIu64 "ms)",
				    (int)w[i].pid, gap_ms, w[i].max_gap_cpu, w[i].max_gap_at_ns / 1000000u,
				    c->max_gap_ms);
		}
}

static void check_isolation(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
			    const struct ktstr_cpumask *cpuset)
{
	for (size_t i = 0; i < n; i++) {
		struct ktstr_cpumask bad = w[i].cpus_used;
		char list[200];

		kt_mask_andnot(&bad, cpuset);
		if (!kt_mask_weight(&bad))
			continue;
		if (kt_mask_format(&bad, list, sizeof(list)))
			snprintf(list, sizeof(list), "(%u cpus)", kt_mask_weight(&bad));
		add(r, KTSTR_K_ISOLATION, cg, "tid %d ran on unexpected CPUs %s", (int)w[i].pid, list);
	}
}

static void check_throughput(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
			     const struct kt_checks *c)
{
	double *rate = malloc((n ? n : 1) * sizeof(*rate));

	if (!rate)
		return;
	for (size_t i = 0; i < n; i++)
		rate[i] = w[i].cpu_time_ns ? (double)w[i].work_units / ((double)w[i].cpu_time_ns / 1e9) : 0;
	if (on(c, KT_C_TPUT_CV) && n >= 2 && kt_stat_mean(rate, n) > 0) {
		double cv = kt_stat_cv(rate, n);

		if (cv > c->max_throughput_cv)
			add(r, KTSTR_K_BENCHMARK, cg, "throughput CV %.3f exceeds limit %.3f (mean=%.0f work/cpu_s)", cv,
			    c->max_throughput_cv, kt_stat_mean(rate, n));
	}
	if (on(c, KT_C_WORK_RATE))
		for (size_t i = 0; i < n; i++)
			if (rate[i] < c->min_work_rate)
				add(r, KTSTR_K_BENCHMARK, cg, "worker %d throughput %.0f work/cpu_s below floor %.0f",
				    (int)w[i].pid, rate[i], c->min_work_rate);
	free(rate);
}

static void check_benchmarks(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
			     const struct kt_checks *c, const struct kt_cgstats *g)
{
	if (!n) {
		add(r, KTSTR_K_SKIP, cg, "no worker reports \xe2\x80\x94 benchmark skipped");
		return;
	}
	if (on(c, KT_C_P99_WAKE) && g->wake_samples) {
		uint64_t p99 = (uint64_t)(g->p99_wake_latency_us * 1000.0 + 0.5);

		if (p99 > c->max_p99_wake_latency_ns)
			add(r, KTSTR_K_BENCHMARK, cg, "p99 wake latency %" PRIu64 "ns exceeds limit %" PRIu64
			    "ns (%" PRIu64 " samples)", p99, c->max_p99_wake_latency_ns, g->wake_samples);
	}
	if (on(c, KT_C_WAKE_CV) && g->wake_samples >= 2 && g->wake_latency_cv > c->max_wake_latency_cv) {
		double sum = 0, cnt = 0;

		for (size_t i = 0; i < n; i++)
			for (uint32_t k = 0; w[i].wake_samples && k < w[i].nwake; k++, cnt++)
				sum += (double)w[i].wake_samples[k];
		add(r, KTSTR_K_BENCHMARK, cg, "wake latency CV %.3f exceeds limit %.3f (mean=%.0fns)",
		    g->wake_latency_cv, c->max_wake_latency_cv, cnt > 0 ? sum / cnt : 0);
	}
	if (on(c, KT_C_ITER_RATE))
		for (size_t i = 0; i < n; i++) {
			double rate = w[i].wall_time_ns ? (double)w[i].iterations / ((double)w[i].wall_time_ns / 1e9)
							: 0;

			if (rate < c->min_iteration_rate)
				add(r, KTSTR_K_BENCHMARK, cg, "worker %d iteration rate %.1f/s below floor %.1f/s",
				    (int)w[i].pid, rate, c->min_iteration_rate);
		}
}

/* Pages of one report: all of them, and those on the cpuset's nodes. */
static void pages_of(const struct ktstr_worker_report *x, uint64_t nodes, uint64_t *total, uint64_t *local)
{
	*total = *local = 0;
	for (unsigned k = 0; k < KTSTR_REPORT_NODES; k++) {
		*total += x->numa_pages[k];
		if (nodes >> k & 1)
			*local += x->numa_pages[k];
	}
}

static void check_numa(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
		       const struct kt_checks *c, const struct kt_cg_env *env)
{
	bool cpuset = env && env->cpuset;
	uint64_t nodes = env ? env->cpuset_nodes : 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t total, local;

		pages_of(&w[i], nodes, &total, &local);
		if (!total)
			continue;
		if (on(c, KT_C_PAGE_LOCALITY) && cpuset) {
			double loc = (double)local / (double)total;

			if (loc < c->min_page_locality)
				add(r, KTSTR_K_PAGE_LOCALITY, cg,
				    "page locality %.4f below threshold %.4f (%" PRIu64 "/%" PRIu64 " pages local)", loc,
				    c->min_page_locality, local, total);
		}
		if (on(c, KT_C_CROSS_NODE)) {
			double ratio = (double)w[i].numa_pages_migrated / (double)total;

			if (ratio > c->max_cross_node_migration_ratio)
				add(r, KTSTR_K_CROSS_NODE_MIGRATION, cg,
				    "cross-node migration ratio %.4f exceeds threshold %.4f (%" PRIu64 "/%" PRIu64
				    " pages migrated)", ratio, c->max_cross_node_migration_ratio,
				    w[i].numa_pages_migrated, total);
		}
		if (on(c, KT_C_SLOW_TIER) && cpuset) {
			double ratio = (double)(total - local) / (double)total;

			if (ratio > c->max_slow_tier_ratio)
				add(r, KTSTR_K_SLOW_TIER, cg,
				    "slow-tier page ratio %.4f exceeds threshold %.4f (%" PRIu64 "/%" PRIu64
				    " pages on non-CPU nodes)", ratio, c->max_slow_tier_ratio, total - local, total);
		}
	}
}

void kt_check_workers(struct kt_result *r, const char *cg, const struct ktstr_worker_report *w, size_t n,
		      const struct kt_checks *c, const struct kt_cg_env *env)
{
	struct kt_cgstats g;

	kt_cgstats_compute(&g, cg, w, n, env);
	if (on(c, KT_C_NOT_STARVED) && c->not_starved)
		check_not_starved(r, cg, w, n, c, &g);
	if (on(c, KT_C_ISOLATION) && c->isolation && env && env->cpuset)
		check_isolation(r, cg, w, n, env->cpuset);
	if (on(c, KT_C_TPUT_CV) || on(c, KT_C_WORK_RATE))
		check_throughput(r, cg, w, n, c);
	if (on(c, KT_C_P99_WAKE) || on(c, KT_C_WAKE_CV) || on(c, KT_C_ITER_RATE))
		check_benchmarks(r, cg, w, n, c, &g);
	if (on(c, KT_C_MIGRATION) && g.migration_ratio > c->max_migration_ratio)
		add(r, KTSTR_K_MIGRATION, cg,
		    "migration ratio %.4f exceeds threshold %.4f (%" PRIu64 " migrations / %" PRIu64 " iterations)",
		    g.migration_ratio, c->max_migration_ratio, g.migrations, g.iterations);
	if (on(c, KT_C_PAGE_LOCALITY) || on(c, KT_C_CROSS_NODE) || on(c, KT_C_SLOW_TIER))
		check_numa(r, cg, w, n, c, env);
	if (r->ncg < KT_MAX_CGROUPS)
		r->cg[r->ncg++] = g;
	kt_stats_fold(&r->stats, &g);
	r->workers += (unsigned)n;
}

void kt_check_cgroup(struct kt_result *r, const char *cgname, const struct ktstr_worker_report *w, size_t n,
		     unsigned gap_threshold_ms, double spread_threshold_pct, bool spread_check)
{
	struct kt_checks c;

	kt_checks_defaults(&c, false);
	c.max_gap_ms = gap_threshold_ms;
	c.max_spread_pct = spread_threshold_pct;
	if (!spread_check)
		c.has &= ~KT_C_BIT(KT_C_SPREAD);
	kt_check_workers(r, cgname, w, n, &c, NULL);
}
