/* The test context inside the guest (internal). */
#ifndef KTSTR_CTX_H
#define KTSTR_CTX_H
#include <ktstr/ktstr.h>
#include "model/checks.h"
#include "proto/result.h"

struct ktstr_ctx {
	const struct ktstr_test *test;
	struct ktstr_topo topo;     /* as asked by the host */
	unsigned duration_ms;
	unsigned workers_per_cgroup;
	struct kt_checks checks;    /* effective: defaults -> scheduler -> test */
	unsigned gap_threshold_ms;  /* = checks.max_gap_ms */
	double spread_threshold_pct; /* = checks.max_spread_pct */
	bool emulated;              /* TCG: thresholds are scaled (docs/checks.md) */
	struct kt_result result;
};

void kt_ctx_init(struct ktstr_ctx *ctx, const struct ktstr_test *t, const struct ktstr_topo *topo,
		 unsigned duration_ms, bool emulated);

/* Registry. */
size_t kt_test_count(void);
const struct ktstr_test *kt_test_at(size_t i);
const struct ktstr_test *kt_test_find(const char *name);
size_t kt_scenario_count(void);
const struct ktstr_test *kt_scenario_at(size_t i);
/* A test's topology with defaults applied (1n1l2c1t per dimension). */
void kt_test_topo(const struct ktstr_test *t, struct ktstr_topo *out);

/* Pure checks over worker reports of one cgroup with only the gap and
 * spread thresholds (the walking skeleton's interface; kt_check_workers
 * in core/checks.h is the full one); appends details to r and one
 * kt_cgstats entry. */
void kt_check_cgroup(struct kt_result *r, const char *cgname, const struct ktstr_worker_report *w,
		     size_t n, unsigned gap_threshold_ms, double spread_threshold_pct, bool spread_check);

#endif
