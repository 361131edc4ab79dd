/* Worker-level check thresholds (the reference's `Assert`, worker part).
 * Three layers are merged field by field, the last one that sets a field
 * wins: built-in defaults -> the scheduler's -> the test's.
 *
 * "Unset" is 0 for every field (so a zero-initialised struct inherits
 * everything).  Booleans are tri-state: 0 inherit, KTSTR_ON, KTSTR_OFF.
 * A threshold of exactly 0 cannot be asked for; use a tiny value
 * (e.g. .max_migration_ratio = 1e-9) to demand "none".  See
 * docs/checks.md for every check, its default and its message. */
#ifndef KTSTR_CHECKS_H
#define KTSTR_CHECKS_H
#include <stdint.h>

#define KTSTR_ON 1
#define KTSTR_OFF (-1)

/* The field list, shared by struct ktstr_checks and struct ktstr_test
 * (where it is an anonymous member, so tests write .max_gap_ms = 500). */
#define KTSTR_CHECK_FIELDS                                                                 \
	signed char not_starved;             /* starvation, spread, gap; default ON */    \
	signed char isolation;               /* CPUs within the cpuset; default ON */    \
	unsigned max_gap_ms;                 /* default 2000 (4000 under TCG) */          \
	double max_spread_pct;               /* default 15 (35 under TCG) */              \
	double max_throughput_cv;            /* CV of work units per CPU-second */        \
	double min_work_rate;                /* work units per CPU-second, per worker */  \
	uint64_t max_p99_wake_latency_ns;    /* pooled wake samples of the cgroup */      \
	double max_wake_latency_cv;                                                       \
	double min_iteration_rate;           /* iterations per wall second, per worker */ \
	double max_migration_ratio;          /* migrations / iterations */                \
	double min_page_locality;            /* pages on the cpuset's nodes / all */      \
	double max_cross_node_migration_ratio; /* numa_pages_migrated / pages */          \
	double max_slow_tier_ratio;          /* pages off the cpuset's nodes / all */

struct ktstr_checks {
	KTSTR_CHECK_FIELDS
};

#endif
