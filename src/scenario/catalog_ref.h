/* Shared shorthands of the reference-catalog scenarios
 * (src/scenario/catalog_ref_*.c, docs/scenarios.md "Reference catalog").
 * Internal to those files. */
#ifndef KTSTR_SCENARIO_CATALOG_REF_H
#define KTSTR_SCENARIO_CATALOG_REF_H
#include <ktstr/scenario.h>

/* Default topologies: the reference's coverage tests run these scenarios
 * on 1 LLC x 4 cores; scenarios about LLCs take 2 LLCs x 2 cores. */
#define T4 .llcs = 1, .cores = 4, .duration_s = 3
#define T22 .llcs = 2, .cores = 2, .duration_s = 3
/* 8 CPUs in two LLCs: overlap specs need chunks of 2+ usable CPUs. */
#define T24 .llcs = 2, .cores = 4, .duration_s = 3

/* The reference's workers_per_cgroup default for tests (a def without a
 * worker count gets it). */
#define W 2

/* The reference's catalog flags: they only select scheduler flag
 * profiles (docs/schedulers.md).  Under EEVDF or a --scheduler without
 * declared flags they change nothing. */
#define F_BORROW ((const char *const[]){ "borrow", NULL })
#define F_LLC ((const char *const[]){ "llc", NULL })
#define F_REBAL ((const char *const[]){ "rebal", NULL })
#define F_REJECT_PIN ((const char *const[]){ "reject-pin", NULL })
#define F_NO_CTRL ((const char *const[]){ "no-ctrl", NULL })
#define F_LLC_STEAL ((const char *const[]){ "llc", "steal", NULL })
#define F_LLC_REBAL ((const char *const[]){ "llc", "rebal", NULL })
#define F_BORROW_REBAL ((const char *const[]){ "borrow", "rebal", NULL })
#define F_NO_CTRL_BORROW ((const char *const[]){ "no-ctrl", "borrow", NULL })
#define F_NO_CTRL_REBAL ((const char *const[]){ "no-ctrl", "rebal", NULL })

/* Unequal shares.  Where cgroups of unequal demand share CPUs (no
 * cpusets, or overlapping ones), the scenario sets .no_spread_check:
 * hierarchical weights give a cgroup's workers on contended CPUs less
 * than its workers on quiet ones, and the load balancer sees those CPUs
 * as balanced (the group entities weigh the same), so nothing evens out
 * shares inside a cgroup.  Seen under TCG: 37-79 % spreads, in 1 of 3
 * runs for cache_pipe_io_compute_imbalance.  Starvation, gap and
 * isolation checks still judge those runs. */

#define END_OPS { 0 }
#define OPS(...) ((const struct ktstr_op[]){ __VA_ARGS__, END_OPS })
#define FRAC(f) KTSTR_HOLD_FRAC(f)
#define THIRD KTSTR_HOLD_FRAC(1.0 / 3.0)

/* Work shorthands for SPAWN ops. */
#define BURSTY(args) .work = KTSTR_WORK_BURSTY, .work_args = (args)
#define YIELD .work = KTSTR_WORK_YIELD_HEAVY
#define MIXED .work = KTSTR_WORK_MIXED
#define IO .work = KTSTR_WORK_IO_SYNC

#endif
