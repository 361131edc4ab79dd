/* Worker-level checks and the statistics they use.  Pure: no syscalls,
 * only malloc for pooling wake samples.  docs/checks.md describes every
 * check, its default threshold, its message and the TCG scaling. */
#ifndef KTSTR_CORE_CHECKS_H
#define KTSTR_CORE_CHECKS_H
#include <ktstr/ktstr.h>
#include "proto/result.h"

/* Which fields of struct kt_checks some layer set (bit per field). */
enum kt_check_field {
	KT_C_NOT_STARVED,
	KT_C_ISOLATION,
	KT_C_GAP,
	KT_C_SPREAD,
	KT_C_TPUT_CV,
	KT_C_WORK_RATE,
	KT_C_P99_WAKE,
	KT_C_WAKE_CV,
	KT_C_ITER_RATE,
	KT_C_MIGRATION,
	KT_C_PAGE_LOCALITY,
	KT_C_CROSS_NODE,
	KT_C_SLOW_TIER,
	KT_C__COUNT
};
#define KT_C_BIT(f) (1u << (f))

/* Effective thresholds: a field applies iff its bit is in `has` (and,
 * for the two booleans, its value is true). */
struct kt_checks {
	uint32_t has;
	bool not_starved, isolation;
	uint64_t max_gap_ms;
	double max_spread_pct;
	double max_throughput_cv, min_work_rate;
	uint64_t max_p99_wake_latency_ns;
	double max_wake_latency_cv, min_iteration_rate;
	double max_migration_ratio;
	double min_page_locality, max_cross_node_migration_ratio, max_slow_tier_ratio;
};

/* Defaults (release values of the reference): not_starved, isolation,
 * gap 2000 ms, spread 15 %; under emulation gap x2 and spread 35 %. */
#define KT_DEFAULT_GAP_MS 2000u
#define KT_DEFAULT_SPREAD_PCT 15.0
#define KT_TCG_GAP_FACTOR 2u
#define KT_TCG_SPREAD_PCT 35.0

void kt_checks_defaults(struct kt_checks *c, bool emulated);
/* Overlay a user layer: every field it sets (non-zero) wins. */
void kt_checks_apply(struct kt_checks *c, const struct ktstr_checks *layer);
/* b's set fields win over a's. */
void kt_checks_merge(struct kt_checks *a, const struct kt_checks *b);
/* defaults -> sched (may be NULL) -> test (may be NULL). */
void kt_checks_resolve(struct kt_checks *c, bool emulated, const struct ktstr_checks *sched,
		       const struct ktstr_checks *test);

/* Statistics.  p99 = sorted[ceil(n*0.99)-1], median = sorted[n/2];
 * both 0 for n == 0.  CV is the population standard deviation over the
 * mean, 0 if n < 2 or the mean is not positive. */
uint64_t kt_stat_p99(const uint64_t *sorted, size_t n);
uint64_t kt_stat_median(const uint64_t *sorted, size_t n);
double kt_stat_mean(const double *x, size_t n);
double kt_stat_cv(const double *x, size_t n);
double kt_stat_cv_u64(const uint64_t *x, size_t n);
void kt_sort_u64(uint64_t *x, size_t n);

/* Reservoir sampling (algorithm R): keep at most cap samples, each of
 * the `total` seen with equal probability. */
struct kt_reservoir {
	uint64_t *buf;
	uint32_t cap, len;
	uint64_t total;
	uint64_t rng; /* xorshift64 state, non-zero */
};
void kt_reservoir_add(struct kt_reservoir *r, uint64_t sample);
uint64_t kt_xorshift64(uint64_t *state);

/* What the checks know about a cgroup besides its reports. */
struct kt_cg_env {
	const struct ktstr_cpumask *cpuset; /* NULL: none recorded */
	uint64_t cpuset_nodes;              /* bit n: the cpuset has CPUs of node n */
	const char *work;                   /* work type name, for the stats */
};

/* Compute a cgroup's statistics from its reports. */
void kt_cgstats_compute(struct kt_cgstats *g, const char *cgname, const struct ktstr_worker_report *w, size_t n,
			const struct kt_cg_env *env);
/* Fold one cgroup's statistics into the scenario statistics. */
void kt_stats_fold(struct kt_scenario_stats *s, const struct kt_cgstats *g);

/* Run every enabled check over one cgroup's reports: append details to r,
 * one kt_cgstats entry, and fold it into r->stats. */
void kt_check_workers(struct kt_result *r, const char *cgname, const struct ktstr_worker_report *w, size_t n,
		      const struct kt_checks *c, const struct kt_cg_env *env);

#endif
