/* The gauntlet: every test on every accepted topology preset under every
 * flag profile of its scheduler, and a time budget that picks the subset
 * covering the most distinct features.
 *
 *   expand.c  pure: constraints, --presets, variants, feature sets
 *   budget.c  pure: weighted maximum coverage under a cost budget
 *   costs.c   pure: the cost model and the costs.json format
 *   plan.c    host: costs file, host capacity, listing, the runner glue */
#ifndef KTSTR_GAUNTLET_H
#define KTSTR_GAUNTLET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/presets.h"
#include "runner/runner.h"

/* ---- constraints and expansion (expand.c) ---- */

/* A test's gauntlet constraints with defaults applied (the reference's
 * TopologyConstraints::DEFAULT: NUMA 1..1, LLCs 1..12, CPUs 1..192; a
 * test declared on N > 1 NUMA nodes allows up to N by default). */
struct kt_constraints {
	unsigned min_numa, max_numa, min_llcs, max_llcs, min_cpus, max_cpus;
	bool requires_smt;
};
#define KT_DEF_MAX_NUMA 1u
#define KT_DEF_MAX_LLCS 12u
#define KT_DEF_MAX_CPUS 192u

void kt_test_constraints(const struct ktstr_test *t, struct kt_constraints *out);
bool kt_constraints_accept(const struct kt_constraints *c, const struct ktstr_topo *topo);
/* Declared constraints that cannot hold (a max of 0 given as a min > max):
 * -EINVAL with the reason. */
int kt_constraints_check(const struct ktstr_test *t, char *err, size_t len);

/* "--presets": "all", or preset names separated by commas.  Fills
 * out[] (in kt_presets order, no duplicates) and *n.  -EINVAL naming the
 * unknown preset. */
int kt_presets_parse(const char *s, const struct kt_preset **out, size_t max, size_t *n, char *err, size_t len);

/* Variants: each case (a test under one flag profile) on each preset its
 * test accepts, named "test@topo" or "test@topo/profile".  Nested-rig
 * tests have no variants.  A scenario whose steps cannot run on a preset
 * (kt_scenario_validate) skips it.  Memory: max(cpus x 64, the test's,
 * 2048) MiB.  *out is malloc'ed. */
int kt_gauntlet_expand(const struct kt_case *in, size_t n, const struct kt_preset *const *presets, size_t np,
		       struct kt_case **out, size_t *nout);
unsigned kt_gauntlet_memory_mb(const struct ktstr_test *t, const struct ktstr_topo *topo);

/* Feature names of a variant (into feat[], each < 96 bytes) with their
 * weights: the test, each active flag, the topology dimensions (NUMA>1,
 * SMT, multi-LLC, CPU-count class, LLC-count class) and test x dimension
 * pairs.  Returns the count (at most max). */
#define KT_FEAT_LEN 96
size_t kt_variant_features(const struct kt_case *c, char (*feat)[KT_FEAT_LEN], unsigned *weight, size_t max);
/* Class names used above ("cpus<=4", "llcs=3-4", ...). */
const char *kt_cpu_class(unsigned cpus);
const char *kt_llc_class(unsigned llcs);

/* ---- budget selection (budget.c) ---- */

struct kt_budget_item {
	uint32_t cost_ms;       /* > 0 */
	const uint32_t *feat;   /* feature ids, each < nfeat */
	size_t nfeat;
};

struct kt_budget_result {
	uint64_t weight;        /* covered weight */
	uint64_t cost_ms;       /* summed cost of the chosen items */
	size_t nchosen;
	size_t covered;         /* distinct features covered */
	bool exact;             /* optimal (exhaustive search) vs greedy */
};

/* Up to this many items the search is exhaustive (branch and bound):
 * the result covers the maximum weight any subset within the budget can,
 * and among those the cheapest, then the first in item order.  Above it:
 * greedy by marginal weight per cost (ties: more weight, less cost,
 * lower index), also seeded with the heaviest single item, the better of
 * the two (Khuller-Moss-Naor).  Items adding nothing are never chosen. */
#define KT_BUDGET_EXACT_MAX 20

/* chosen[i] is set for the selected items.  Deterministic.  -EINVAL on
 * a feature id out of range, -ENOMEM. */
int kt_budget_select(const struct kt_budget_item *items, size_t n, const uint32_t *weights, size_t nfeat,
		     uint64_t budget_ms, bool *chosen, struct kt_budget_result *res);

/* ---- costs (costs.c) ---- */

struct kt_cost_entry {
	char key[200];          /* "tcg/steady@1n2l2c1t" */
	double overhead_s;      /* measured wall minus the scenario duration */
	unsigned runs;
};

struct kt_costs {
	struct kt_cost_entry *v;
	size_t n, cap;
};

void kt_costs_free(struct kt_costs *c);
/* Parse costs.json ({"version":1,"entries":{KEY:{"overhead_s":X,"runs":N}}}).
 * Malformed entries are ignored; -EINVAL if it is not that object. */
int kt_costs_parse(const char *json, size_t len, struct kt_costs *out);
int kt_costs_to_json(const struct kt_costs *c, struct kbuf *out);
/* Fold one measurement in: a running mean over the last 8 runs. */
int kt_costs_record(struct kt_costs *c, const char *key, double overhead_s);
const struct kt_cost_entry *kt_costs_get(const struct kt_costs *c, const char *key);
void kt_cost_key(const char *accel, const char *test, const struct ktstr_topo *topo, char *buf, size_t len);

/* Model when nothing is measured.  TCG: boot grows with the vCPUs and
 * with oversubscription of the host CPUs; KVM: the reference's
 * 10 + max(cpus-16,0)/10 + 2 s. */
double kt_cost_model_overhead(const char *accel, const struct ktstr_topo *topo, unsigned host_cpus);

/* Estimated VM seconds of test on topo for dur_s: the measured overhead
 * of (accel, test, topo), else the mean measured overhead of other tests
 * on that topology, else the model; plus dur_s.  *src says which
 * ("measured", "topology", "model"). */
double kt_cost_estimate(const struct kt_costs *c, const char *accel, const char *test,
			const struct ktstr_topo *topo, unsigned dur_s, unsigned host_cpus, const char **src);

/* ---- host glue (plan.c) ---- */

struct kt_gauntlet_opts {
	bool enabled;           /* --gauntlet / `ktstr gauntlet` */
	const char *presets;    /* --presets (NULL: all) */
	unsigned budget_s;      /* --budget (0: none) */
	const char *costs_path; /* --costs (NULL: $KTSTR_COSTS, else <cache>/costs.json) */
};

/* The costs file path into buf. */
int kt_costs_path(const char *override, char *buf, size_t len);
int kt_costs_load(const char *path, struct kt_costs *c);
/* Lock, re-read, record, write back atomically. */
int kt_costs_update(const char *path, const char *key, double overhead_s);

/* Replace *cases with their gauntlet variants (host capacity applied:
 * variants needing more memory than the host has are dropped with a
 * note).  Returns 0, -EINVAL on bad input (message printed) or
 * -ENOMEM. */
int kt_gauntlet_cases(const struct kt_gauntlet_opts *g, struct kt_case **cases, size_t *n);
/* Keep the budget's selection of cases[0..n) (compacted in order);
 * prints the summary on stderr, and with list the chosen table on
 * stdout.  Returns the new count, or -errno. */
ssize_t kt_gauntlet_budget(const struct kt_gauntlet_opts *g, const struct kt_run_opts *o, struct kt_case *cases,
			   size_t n, bool list);
/* kt_run_opts.case_done: records each VM's measured cost. */
void kt_gauntlet_record_cost(void *arg, const struct kt_case *c, const struct kt_outcome *out);

#endif
