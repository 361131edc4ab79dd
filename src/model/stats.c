/* Threshold layers and merge, statistics (p99, median, CV), reservoir
 * sampling, per-cgroup and scenario statistics.  Pure. */
#include "model/checks.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_checks_defaults(struct kt_checks *c, bool emulated)
{
	memset(c, 0, sizeof(*c));
	c->has = KT_C_BIT(KT_C_NOT_STARVED) | KT_C_BIT(KT_C_ISOLATION) | KT_C_BIT(KT_C_GAP) |
		 KT_C_BIT(KT_C_SPREAD);
	c->not_starved = true;
	c->isolation = true;
	/* Under TCG the vCPUs are host threads time-sliced on few host cores:
	 * the gaps a guest task sees include host preemption. */
	c->max_gap_ms = KT_DEFAULT_GAP_MS * (emulated ? KT_TCG_GAP_FACTOR : 1u);
	c->max_spread_pct = emulated ? KT_TCG_SPREAD_PCT : KT_DEFAULT_SPREAD_PCT;
}

#define SET_IF(cond, bit, field, val)               \
	do {                                        \
		if (cond) {                         \
			c->has |= KT_C_BIT(bit);    \
			c->field = (val);           \
		}                                   \
	} while (0)

void kt_checks_apply(struct kt_checks *c, const struct ktstr_checks *l)
{
	if (!l)
		return;
	SET_IF(l->not_starved, KT_C_NOT_STARVED, not_starved, l->not_starved > 0);
	SET_IF(l->isolation, KT_C_ISOLATION, isolation, l->isolation > 0);
	SET_IF(l->max_gap_ms, KT_C_GAP, max_gap_ms, l->max_gap_ms);
	SET_IF(l->max_spread_pct > 0, KT_C_SPREAD, max_spread_pct, l->max_spread_pct);
	SET_IF(l->max_throughput_cv > 0, KT_C_TPUT_CV, max_throughput_cv, l->max_throughput_cv);
	SET_IF(l->min_work_rate > 0, KT_C_WORK_RATE, min_work_rate, l->min_work_rate);
	SET_IF(l->max_p99_wake_latency_ns, KT_C_P99_WAKE, max_p99_wake_latency_ns, l->max_p99_wake_latency_ns);
	SET_IF(l->max_wake_latency_cv > 0, KT_C_WAKE_CV, max_wake_latency_cv, l->max_wake_latency_cv);
	SET_IF(l->min_iteration_rate > 0, KT_C_ITER_RATE, min_iteration_rate, l->min_iteration_rate);
	SET_IF(l->max_migration_ratio > 0, KT_C_MIGRATION, max_migration_ratio, l->max_migration_ratio);
	SET_IF(l->min_page_locality > 0, KT_C_PAGE_LOCALITY, min_page_locality, l->min_page_locality);
	SET_IF(l->max_cross_node_migration_ratio > 0, KT_C_CROSS_NODE, max_cross_node_migration_ratio,
	       l->max_cross_node_migration_ratio);
	SET_IF(l->max_slow_tier_ratio > 0, KT_C_SLOW_TIER, max_slow_tier_ratio, l->max_slow_tier_ratio);
}

void kt_checks_merge(struct kt_checks *c, const struct kt_checks *b)
{
#define M(bit, field) SET_IF(b->has & KT_C_BIT(bit), bit, field, b->field)
	M(KT_C_NOT_STARVED, not_starved);
	M(KT_C_ISOLATION, isolation);
	M(KT_C_GAP, max_gap_ms);
	M(KT_C_SPREAD, max_spread_pct);
	M(KT_C_TPUT_CV, max_throughput_cv);
	M(KT_C_WORK_RATE, min_work_rate);
	M(KT_C_P99_WAKE, max_p99_wake_latency_ns);
	M(KT_C_WAKE_CV, max_wake_latency_cv);
	M(KT_C_ITER_RATE, min_iteration_rate);
	M(KT_C_MIGRATION, max_migration_ratio);
	M(KT_C_PAGE_LOCALITY, min_page_locality);
	M(KT_C_CROSS_NODE, max_cross_node_migration_ratio);
	M(KT_C_SLOW_TIER, max_slow_tier_ratio);
#undef M
}

void kt_checks_resolve(struct kt_checks *c, bool emulated, const struct ktstr_checks *sched,
		       const struct ktstr_checks *test)
{
	kt_checks_defaults(c, emulated);
	kt_checks_apply(c, sched);
	kt_checks_apply(c, test);
}

/* Square root by Newton's method (no libm for library users to link). */
static double nsqrt(double v)
{
	double x;

	if (!(v > 0))
		return 0;
	x = v > 1 ? v : 1;
	for (int i = 0; i < 2000; i++) {
		double nx = 0.5 * (x + v / x);

		if (nx >= x)
			break;
		x = nx;
	}
	return x;
}

uint64_t kt_stat_p99(const uint64_t *sorted, size_t n)
{
	size_t k;

	if (!n)
		return 0;
	/* ceil(n * 0.99) in integers: (99n + 99) / 100. */
	k = (n * 99 + 99) / 100;
	return sorted[k ? k - 1 : 0];
}

uint64_t kt_stat_median(const uint64_t *sorted, size_t n) { return n ? sorted[n / 2] : 0; }

double kt_stat_mean(const double *x, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	return n ? s / (double)n : 0;
}

double kt_stat_cv(const double *x, size_t n)
{
	double m = kt_stat_mean(x, n), v = 0;

	if (n < 2 || !(m > 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		v += (x[i] - m) * (x[i] - m);
	return nsqrt(v / (double)n) / m;
}

double kt_stat_cv_u64(const uint64_t *x, size_t n)
{
	double s = 0, v = 0, m;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i];
	m = s / (double)n;
	if (!(m > 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		v += ((double)x[i] - m) * ((double)x[i] - m);
	return nsqrt(v / (double)n) / m;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void kt_sort_u64(uint64_t *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), cmp_u64);
}

uint64_t kt_xorshift64(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

void kt_reservoir_add(struct kt_reservoir *r, uint64_t sample)
{
	uint64_t j;

	r->total++;
	if (!r->cap || !r->buf)
		return;
	if (r->len < r->cap) {
		r->buf[r->len++] = sample;
		return;
	}
	j = kt_xorshift64(&r->rng) % r->total;
	if (j < r->cap)
		r->buf[j] = sample;
}

/* Pool every worker's wake samples, sorted; NULL if none (or no memory). */
static uint64_t *pool_samples(const struct ktstr_worker_report *w, size_t n, size_t *count)
{
	size_t total = 0, k = 0;
	uint64_t *all;

	for (size_t i = 0; i < n; i++)
		if (w[i].wake_samples)
			total += w[i].nwake;
	*count = 0;
	if (!total || !(all = malloc(total * sizeof(*all))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (w[i].wake_samples) {
			memcpy(all + k, w[i].wake_samples, w[i].nwake * sizeof(*all));
			k += w[i].nwake;
		}
	kt_sort_u64(all, total);
	*count = total;
	return all;
}

void kt_cgstats_compute(struct kt_cgstats *g, const char *cgname, const struct ktstr_worker_report *w, size_t n,
			const struct kt_cg_env *env)
{
	struct ktstr_cpumask all;
	double pmin = 0, pmax = 0, psum = 0;
	unsigned npct = 0;
	uint64_t delay_sum = 0, pages = 0, local = 0, migrated = 0, *pool;
	size_t ns;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", cgname);
	snprintf(g->work, sizeof(g->work), "%s", env && env->work ? env->work : "");
	g->workers = (unsigned)n;
	g->max_gap_cpu = -1;
	kmask_zero(&all);
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_worker_report *x = &w[i];
		uint64_t gap_ms = x->max_gap_ns / 1000000u, d_us = x->run_delay_ns / 1000u;

		kt_mask_or(&all, &x->cpus_used);
		if (x->wall_time_ns > 0 && x->sched_policy != SCHED_IDLE) {
			uint64_t off = x->wall_time_ns > x->cpu_time_ns ? x->wall_time_ns - x->cpu_time_ns : 0;
			double pct = (double)off * 100.0 / (double)x->wall_time_ns;

			pmin = npct && pmin < pct ? pmin : pct;
			pmax = npct && pmax > pct ? pmax : pct;
			psum += pct;
			npct++;
		}
		g->gap_hist_ms[kt_hist_bucket(gap_ms)]++;
		if (gap_ms > g->max_gap_ms || g->max_gap_cpu < 0) {
			g->max_gap_ms = gap_ms;
			g->max_gap_cpu = x->max_gap_cpu;
		}
		g->migrations += x->migrations;
		g->iterations += x->iterations;
		g->work_units += x->work_units;
		delay_sum += d_us;
		if (d_us > g->worst_run_delay_us)
			g->worst_run_delay_us = d_us;
		for (unsigned k = 0; k < KTSTR_REPORT_NODES; k++) {
			pages += x->numa_pages[k];
			if (k < 64 && env && env->cpuset && (env->cpuset_nodes >> k & 1))
				local += x->numa_pages[k];
		}
		migrated += x->numa_pages_migrated;
	}
	g->cpus = kt_mask_weight(&all);
	g->min_off_cpu_pct = pmin;
	g->max_off_cpu_pct = pmax;
	g->avg_off_cpu_pct = npct ? psum / npct : 0;
	g->spread_pct = npct >= 2 ? pmax - pmin : 0;
	g->migration_ratio = g->iterations ? (double)g->migrations / (double)g->iterations : 0;
	g->iterations_per_worker = n ? (double)g->iterations / (double)n : 0;
	g->mean_run_delay_us = n ? delay_sum / n : 0;
	g->page_locality = env && env->cpuset && pages ? (double)local / (double)pages : 0;
	g->cross_node_migration_ratio = pages ? (double)migrated / (double)pages : 0;
	pool = pool_samples(w, n, &ns);
	if (pool) {
		g->wake_samples = ns;
		for (size_t i = 0; i < ns; i++)
			g->wake_hist_us[kt_hist_bucket(pool[i] / 1000u)]++;
		g->p99_wake_latency_us = (double)kt_stat_p99(pool, ns) / 1000.0;
		g->median_wake_latency_us = (double)kt_stat_median(pool, ns) / 1000.0;
		g->wake_latency_cv = kt_stat_cv_u64(pool, ns);
		g->wake_latency_tail_ratio =
			g->median_wake_latency_us > 0 ? g->p99_wake_latency_us / g->median_wake_latency_us : 0;
		free(pool);
	}
}

static double max_d(double a, double b) { return a > b ? a : b; }
static double min_nonzero(double a, double b) { return !(a > 0) ? b : !(b > 0) ? a : a < b ? a : b; }

void kt_stats_fold(struct kt_scenario_stats *s, const struct kt_cgstats *g)
{
	s->total_cpus += g->cpus;
	s->total_migrations += g->migrations;
	s->total_iterations += g->iterations;
	s->worst_spread = max_d(s->worst_spread, g->spread_pct);
	if (g->max_gap_ms > s->worst_gap_ms || s->worst_gap_cpu < 0) {
		s->worst_gap_ms = g->max_gap_ms;
		s->worst_gap_cpu = g->max_gap_cpu;
	}
	s->worst_migration_ratio = max_d(s->worst_migration_ratio, g->migration_ratio);
	s->worst_p99_wake_latency_us = max_d(s->worst_p99_wake_latency_us, g->p99_wake_latency_us);
	s->worst_median_wake_latency_us = max_d(s->worst_median_wake_latency_us, g->median_wake_latency_us);
	s->worst_wake_latency_cv = max_d(s->worst_wake_latency_cv, g->wake_latency_cv);
	if (g->mean_run_delay_us > s->worst_mean_run_delay_us)
		s->worst_mean_run_delay_us = g->mean_run_delay_us;
	if (g->worst_run_delay_us > s->worst_run_delay_us)
		s->worst_run_delay_us = g->worst_run_delay_us;
	s->worst_page_locality = min_nonzero(s->worst_page_locality, g->page_locality);
	s->worst_cross_node_migration_ratio =
		max_d(s->worst_cross_node_migration_ratio, g->cross_node_migration_ratio);
	s->worst_wake_latency_tail_ratio = max_d(s->worst_wake_latency_tail_ratio, g->wake_latency_tail_ratio);
	s->worst_iterations_per_worker = min_nonzero(s->worst_iterations_per_worker, g->iterations_per_worker);
}
