/* The reference catalog's steady-state entries (its legacy data-driven
 * `Scenario`s: N cgroups, a cpuset partition, one Work per cgroup, held
 * for the whole run), as backdrop cgroups and one full-length step.
 *
 * The reference resolves its partitions (LlcAligned, SplitHalf,
 * SplitMisaligned, Overlap, Uneven, Holdback) on the host's topology;
 * here each is written as the cpuset specs that give the same sets on
 * the scenario's default topology, noted beside it.  Worker counts are
 * the reference's; "W" is its default (workers_per_cgroup = 2). */
#include "scenario/catalog_ref.h"

const int kt_catalog_ref_steady_linked = 1;

static const struct ktstr_step full[] = { { .hold = KTSTR_HOLD_FULL }, { 0 } };

/* --- basic --- */

static const struct ktstr_op steady_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", W), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_steady, steady_bd, full, T4, .desc = "basic: 2 cgroups, no cpusets, equal load")

/* LlcAligned: one cpuset per LLC.  The reference also drops the
 * machine's last CPU from the last set (left to the harness); here the
 * LLCs are whole, as in steady_llc. */
static const struct ktstr_op llc_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_LLC(0)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_LLC(1)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_llc_steady, llc_bd, full, T22,
		     .desc = "basic: 2 cgroups, LLC-aligned cpusets (LLC 0 / LLC 1), equal load")

/* SplitMisaligned: usable CPUs split at half of LLC 0; on 1n2l2c1t
 * (usable 0-2) that is {0} / {1-2}, the second set spanning both LLCs. */
static const struct ktstr_op xllc_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.34)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.34, 1.0)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_cross_llc_steady, xllc_bd, full, T22,
		     .desc = "basic: 2 cgroups, cpusets spanning the LLC boundary (0 / 1-2 on 1n2l2c1t)")

/* --- cpuset --- */

/* Overlap(0.5) over 3 cgroups: on 8 CPUs (usable 0-6) 0-2 / 1-4 / 3-6.
 * (The reference's legacy partition wraps over all CPUs and, on 4 CPUs,
 * overlaps nothing; the overlap specs keep the overlap.) */
static const struct ktstr_op ovl_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_OVERLAP(0, 3, 0.5)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_OVERLAP(1, 3, 0.5)), KTSTR_OP_SPAWN("cg_1", W),
	KTSTR_OP_ADD("cg_2", .cpuset = KTSTR_CPUSET_OVERLAP(2, 3, 0.5)), KTSTR_OP_SPAWN("cg_2", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_overlap_steady, ovl_bd, full, T24,
		     .desc = "cpuset: 3 cgroups, 50% overlapping cpusets (0-2 / 1-4 / 3-6), equal load")

/* --- stress: partitions and oversubscription --- */

/* Holdback(0.33): keep 4 - floor(4 x 0.33) = 3 CPUs, split {0} / {1-2};
 * CPU 3 stays unused. */
static const struct ktstr_op partial_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.34)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.34, 1.0)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_partial_cpus_steady, partial_bd, full, T4,
		     .desc = "stress: 2 cgroups on 0 / 1-2, CPU 3 unused (Holdback 0.33)")

/* Uneven(0.75): usable 0-2 split at floor(3 x 0.75) = 2: {0-1} / {2}. */
static const struct ktstr_op uneven_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.75)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.75, 1.0)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_uneven_steady, uneven_bd, full, T4,
		     .desc = "stress: 2 cgroups, 75/25 split of the usable CPUs (0-1 / 2)")

static const struct ktstr_op over_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 32, MIXED), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 32, MIXED),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_oversubscribed, over_bd, full, T4,
		     .desc = "stress: 2 cgroups x 32 Mixed workers on 4 CPUs")

/* --- affinity (SplitHalf = DISJOINT(i, 2)) --- */

static const struct ktstr_op inherit_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", W, MIXED), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", W, MIXED),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_affinity_inherit, inherit_bd, full, T4,
		     .desc = "affinity: no explicit affinity, Mixed workers in 2 cgroups")

#define HALVES_AFF(aff)                                                                                  \
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)), KTSTR_OP_SPAWN("cg_0", W, .affinity = (aff)), \
		KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),                             \
		KTSTR_OP_SPAWN("cg_1", W, .affinity = (aff)), END_OPS

static const struct ktstr_op aff_random_bd[] = { HALVES_AFF(KTSTR_AFF_RANDOM) };
KTSTR_STEPS_SCENARIO(cgroup_affinity_random, aff_random_bd, full, T4,
		     .desc = "affinity: half-split cpusets, a random CPU subset per worker")

static const struct ktstr_op aff_span_bd[] = { HALVES_AFF(KTSTR_AFF_CROSS) };
KTSTR_STEPS_SCENARIO(cgroup_affinity_spanning, aff_span_bd, full, T4,
		     .desc = "affinity: half-split cpusets, affinity masks covering all CPUs")

static const struct ktstr_op aff_pin_bd[] = { HALVES_AFF(KTSTR_AFF_SINGLE) };
KTSTR_STEPS_SCENARIO(cgroup_affinity_pinned, aff_pin_bd, full, T4,
		     .desc = "affinity: half-split cpusets, every worker on its cgroup's first CPU")

static const struct ktstr_op llc_aff_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_LLC(0)), KTSTR_OP_SPAWN("cg_0", W, .affinity = KTSTR_AFF_LLC),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_LLC(1)), KTSTR_OP_SPAWN("cg_1", W, .affinity = KTSTR_AFF_LLC),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_llc_affinity, llc_aff_bd, full, T22, .required_flags = F_LLC,
		     .desc = "affinity: LLC-aligned cpusets and LLC-aligned worker affinity")

/* --- sched_class.  The reference's legacy path gives every cgroup its
 * first (only) Work, so both cgroups run the RT workers and none runs
 * normal ones, despite the "+ normal" of its description. --- */

static const struct ktstr_op fifo_bd[] = {
	KTSTR_OP_ADD("cg_0"),
	KTSTR_OP_SPAWN("cg_0", 1, .policy = KTSTR_POL_FIFO, .prio = 1, BURSTY("burst_ms=500,sleep_ms=250")),
	KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 1, .policy = KTSTR_POL_FIFO, .prio = 1, BURSTY("burst_ms=500,sleep_ms=250")),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(sched_fifo, fifo_bd, full, T4,
		     .desc = "sched_class: 2 cgroups x 1 SCHED_FIFO(1) Bursty(500 ms / 250 ms) worker")

static const struct ktstr_op rr_bd[] = {
	KTSTR_OP_ADD("cg_0"),
	KTSTR_OP_SPAWN("cg_0", 2, .policy = KTSTR_POL_RR, .prio = 1, BURSTY("burst_ms=500,sleep_ms=250")),
	KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 2, .policy = KTSTR_POL_RR, .prio = 1, BURSTY("burst_ms=500,sleep_ms=250")),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(sched_rr, rr_bd, full, T4,
		     .desc = "sched_class: 2 cgroups x 2 SCHED_RR(1) Bursty(500 ms / 250 ms) workers")

/* --- advanced: work conservation, stealing, rebalancing --- */

static const struct ktstr_op idle_over_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 1), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_idle_overloaded, idle_over_bd, full, T4, .required_flags = F_BORROW,
		     .desc = "advanced: one cgroup nearly idle (1 worker), the other overloaded (16)")

static const struct ktstr_op all_loaded_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 16), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_all_loaded, all_loaded_bd, full, T4, .required_flags = F_BORROW,
		     .desc = "advanced: all cgroups loaded (2 x 16), idle CPUs contested")

static const struct ktstr_op llc_over_bd[] = { KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 8), END_OPS };
KTSTR_STEPS_SCENARIO(cgroup_llc_overflow, llc_over_bd, full, T22, .required_flags = F_LLC_STEAL,
		     .desc = "advanced: a single overloaded cgroup (8 workers) spilling across LLCs")

static const struct ktstr_op load_imb_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 1, YIELD),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_load_imbalance, load_imb_bd, full, T4, .required_flags = F_REBAL,
		     .desc = "advanced: heavy (16 CpuSpin) + light (1 YieldHeavy) cgroups")

static const struct ktstr_op ovl_imb_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_OVERLAP(0, 3, 0.5)), KTSTR_OP_SPAWN("cg_0", 8),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_OVERLAP(1, 3, 0.5)),
	KTSTR_OP_SPAWN("cg_1", 1, BURSTY("burst_ms=50,sleep_ms=100")),
	KTSTR_OP_ADD("cg_2", .cpuset = KTSTR_CPUSET_OVERLAP(2, 3, 0.5)), KTSTR_OP_SPAWN("cg_2", 1, YIELD), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_overlap_imbalance, ovl_imb_bd, full, T24, .required_flags = F_BORROW,
		     .desc = "advanced: overlapping cpusets, 8 CpuSpin / 1 Bursty / 1 YieldHeavy")

static const struct ktstr_op ovl_load_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_OVERLAP(0, 3, 0.5)), KTSTR_OP_SPAWN("cg_0", 16),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_OVERLAP(1, 3, 0.5)), KTSTR_OP_SPAWN("cg_1", 1, YIELD),
	KTSTR_OP_ADD("cg_2", .cpuset = KTSTR_CPUSET_OVERLAP(2, 3, 0.5)), KTSTR_OP_SPAWN("cg_2", 4), END_OPS,
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_cpuset_overlap_load_imbalance, ovl_load_bd, full, T24, .required_flags = F_REBAL,
		     .no_spread_check = true,
		     .desc = "advanced: overlapping cpusets, 16 CpuSpin / 1 YieldHeavy / 4 CpuSpin")

static const struct ktstr_op bursty_imb_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 8), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 4, BURSTY("burst_ms=50,sleep_ms=100")), END_OPS,
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_bursty_imbalance, bursty_imb_bd, full, T4, .required_flags = F_BORROW,
		     .no_spread_check = true,
		     .desc = "advanced: steady (8 CpuSpin) + bursty (4 x 50 ms / 100 ms) cgroups")

static const struct ktstr_op bursty_shift_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 12, BURSTY("burst_ms=200,sleep_ms=50")), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 4), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_bursty_load_shift, bursty_shift_bd, full, T4, .required_flags = F_REBAL,
		     .desc = "advanced: bursty heavy (12 x 200 ms / 50 ms) + steady light (4 CpuSpin) cgroups")

/* --- stall: the reference's stall_recovery is this steady load too (its
 * catalog entry restarts nothing; the name is its intent). --- */

static const struct ktstr_op stall_bd[] = { KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), END_OPS };
KTSTR_STEPS_SCENARIO(stall_detect, stall_bd, full, T4, .desc = "stall: a single overloaded cgroup (16 CpuSpin)")

KTSTR_STEPS_SCENARIO(stall_recovery, all_loaded_bd, full, T4,
		     .desc = "stall: 2 cgroups x 16 CpuSpin (the reference entry's steady load; no restart)")

/* --- stress --- */

static const struct ktstr_op mutex_heavy_bd[] = {
	KTSTR_OP_ADD("cg_0"),
	KTSTR_OP_SPAWN("cg_0", 8, .work = KTSTR_WORK_MUTEX_CONTENTION,
		       .work_args = "contenders=8,hold_iters=1024,work_iters=256"),
	KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 8, .work = KTSTR_WORK_MUTEX_CONTENTION,
		       .work_args = "contenders=8,hold_iters=1024,work_iters=256"),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(mutex_contention_heavy, mutex_heavy_bd, full, T4,
		     .desc = "stress: 2 cgroups x 8-way futex mutex contention, long hold")

/* --- the reference's custom scenarios that are one steady phase --- */

/* mid = |usable| / 2 = 1 on 1n1l4c1t: cg_0 gets mid x 2 = 2 spinners on
 * {0}; cg_1 bursty on {1-2}. */
static const struct ktstr_op cs_wl_imb_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)), KTSTR_OP_SPAWN("cg_0", 2),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),
	KTSTR_OP_SPAWN("cg_1", W, BURSTY("burst_ms=50,sleep_ms=100")), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_workload_imbalance, cs_wl_imb_bd, full, T4, .required_flags = F_BORROW,
		     .desc = "advanced: disjoint cpusets, 2 spinners per CPU of one half vs Bursty on the other")

static const struct ktstr_op cs_imb_comb_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)), KTSTR_OP_SPAWN("cg_0", 2),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),
	KTSTR_OP_SPAWN("cg_1", 2, BURSTY("burst_ms=50,sleep_ms=150")), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_imbalance_combined, cs_imb_comb_bd, full, T4, .required_flags = F_BORROW_REBAL,
		     .desc = "interaction: disjoint cpusets, oversubscribed CpuSpin vs light Bursty (50 / 150 ms)")

static const struct ktstr_op ovl_comb_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_OVERLAP(0, 3, 0.5)), KTSTR_OP_SPAWN("cg_0", 12),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_OVERLAP(1, 3, 0.5)),
	KTSTR_OP_SPAWN("cg_1", 2, BURSTY("burst_ms=50,sleep_ms=100")),
	KTSTR_OP_ADD("cg_2", .cpuset = KTSTR_CPUSET_OVERLAP(2, 3, 0.5)), KTSTR_OP_SPAWN("cg_2", 1, YIELD), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_overlap_imbalance_combined, ovl_comb_bd, full, T24,
		     .required_flags = F_BORROW_REBAL,
		     .desc = "interaction: overlapping cpusets, 12 CpuSpin / 2 Bursty / 1 YieldHeavy")

static const struct ktstr_op mixed_wl_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 8), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", W, BURSTY("burst_ms=100,sleep_ms=50")), KTSTR_OP_ADD("cg_2"), KTSTR_OP_SPAWN("cg_2", W, IO),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_imbalance_mixed_workload, mixed_wl_bd, full, T4, .required_flags = F_BORROW_REBAL,
		     .desc = "advanced: heavy (8 CpuSpin) + Bursty (100 / 50 ms) + IoSync cgroups")

/* One spinner per CPU against IoSync workers that sleep between writes. */
static const struct ktstr_op io_comp_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", W, IO), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 4), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_io_compute_imbalance, io_comp_bd, full, T4, .required_flags = F_BORROW,
		     .desc = "advanced: an IoSync cgroup frees CPUs for a CpuSpin cgroup (one spinner per CPU)")

/* 8 CPUs (1 LLC x 4 cores x 2 threads), as the reference's coverage. */
static const struct ktstr_op four_way_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 1, YIELD),
	KTSTR_OP_ADD("cg_2"), KTSTR_OP_SPAWN("cg_2", 8), KTSTR_OP_ADD("cg_3"), KTSTR_OP_SPAWN("cg_3", 4), END_OPS,
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_4way_load_imbalance, four_way_bd, full, .llcs = 1, .cores = 4, .threads = 2,
		     .duration_s = 3, .required_flags = F_REBAL,
		     .no_spread_check = true,
		     .desc = "advanced: 4 cgroups with asymmetric demand: 16 / 1 YieldHeavy / 8 / 4")
