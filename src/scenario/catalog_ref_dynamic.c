/* The reference catalog's custom scenarios that change things mid-run:
 * cpusets applied, cleared, resized and swapped, cgroups added and
 * removed, load shifted, affinities changed, tasks moved, with and
 * without the cpu controller ("no-ctrl").  Holds follow the reference's
 * phases as fractions of the run; its `settle` pauses are short fixed
 * holds.  Default topology 1n1l4c1t (usable CPUs 0-2): DISJOINT(i, 2)
 * = {0} / {1-2}, DISJOINT(i, 3) = {0} / {1} / {2}. */
#include "scenario/catalog_ref.h"

const int kt_catalog_ref_dynamic_linked = 1;

static const struct ktstr_step full[] = { { .hold = KTSTR_HOLD_FULL }, { 0 } };
static const struct ktstr_op two_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", W), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
static const struct ktstr_op halves_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};

/* --- affinity --- */

static const struct ktstr_step aff_change_steps[] = {
	{ .hold = FRAC(0.2) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM), KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM)),
	  .hold = FRAC(0.2) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM), KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM)),
	  .hold = FRAC(0.2) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM), KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM)),
	  .hold = FRAC(0.2) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM), KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM)),
	  .hold = FRAC(0.2) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_affinity_change, two_bd, aff_change_steps, T4, .excluded_flags = F_REJECT_PIN,
		     .desc = "affinity: worker affinities re-randomized 4 times (half the CPUs each)")

/* All workers of both cgroups on the machine's first 2 CPUs (the
 * reference relaxes the spread limit to 75% for the pile-up). */
static const struct ktstr_step pin_steps[] = {
	{ .hold = KTSTR_HOLD_FIXED(500) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_EXACT, .affinity_cpus = "0-1"),
		     KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_EXACT, .affinity_cpus = "0-1")),
	  .hold = KTSTR_HOLD_FULL },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_multicpu_pin, two_bd, pin_steps, T4, .required_flags = F_REJECT_PIN,
		     .max_spread_pct = 75, .desc = "advanced: every worker of 2 cgroups pinned to CPUs 0-1")

/* The first 2 CPUs of each half: {0} and {1-2} on 1n1l4c1t (an EXACT
 * affinity is cut to the cgroup's cpuset). */
static const struct ktstr_step cs_pin_steps[] = {
	{ .hold = KTSTR_HOLD_FIXED(500) },
	{ .ops = OPS(KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_EXACT, .affinity_cpus = "0-1"),
		     KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_EXACT, .affinity_cpus = "1-2")),
	  .hold = KTSTR_HOLD_FULL },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_multicpu_pin, halves_bd, cs_pin_steps, T4, .required_flags = F_REJECT_PIN,
		     .max_spread_pct = 75,
		     .desc = "interaction: half-split cpusets, workers pinned to the first 2 CPUs of their half")

/* --- cpuset mutations --- */

static const struct ktstr_step apply_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_DISJOINT(0, 2)),
		     KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_DISJOINT(1, 2))),
	  .hold = FRAC(0.5) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_apply_midrun, two_bd, apply_steps, T4,
		     .desc = "cpuset: disjoint cpusets applied to 2 running cgroups half-way")

static const struct ktstr_step clear_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_CLEAR_CPUSET("cg_0"), KTSTR_OP_CLEAR_CPUSET("cg_1")), .hold = FRAC(0.5) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_clear_midrun, halves_bd, clear_steps, T4,
		     .desc = "cpuset: disjoint cpusets cleared from 2 running cgroups half-way")

/* 50/50, 25/75, 75/25 of the usable CPUs: 5 CPUs (usable 0-3) make
 * every quarter non-empty: 0-1 / 2-3, then 0 / 1-3, then 0-2 / 3. */
static const struct ktstr_op resize_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.5)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.5, 1.0)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
static const struct ktstr_step resize_steps[] = {
	{ .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0.0, 0.25)),
		     KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.25, 1.0))),
	  .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0.0, 0.75)),
		     KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.75, 1.0))),
	  .hold = THIRD },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_resize, resize_bd, resize_steps, .llcs = 1, .cores = 5, .duration_s = 3,
		     .desc = "cpuset: range cpusets resized on live cgroups: 50/50, 25/75, 75/25")

static const struct ktstr_op numa_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_NUMA(0)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_NUMA(1)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
static const struct ktstr_step numa_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_NUMA(1)), KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_NUMA(0))),
	  .hold = FRAC(0.5) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_numa_swap, numa_bd, numa_steps, .numa_nodes = 2, .llcs = 2, .cores = 2,
		     .duration_s = 3, .desc = "cpuset: one cgroup per NUMA node, node cpusets swapped half-way")

/* 8 CPUs (usable 0-6): 0-2 / 3-6, swapped, swapped back. */
static const struct ktstr_op swap_dj_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.5)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.5, 1.0)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
static const struct ktstr_step swap_dj_steps[] = {
	{ .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0.5, 1.0)),
		     KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.0, 0.5))),
	  .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0.0, 0.5)),
		     KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.5, 1.0))),
	  .hold = THIRD },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_swap_disjoint, swap_dj_bd, swap_dj_steps, .llcs = 1, .cores = 4, .threads = 2,
		     .duration_s = 3, .desc = "cpuset: disjoint range cpusets swapped between 2 cgroups and back")

/* cg_0: 2 per CPU of its half ({0}); cg_1 bursty on {1-2}, narrowed to
 * CPU 1 (the middle CPU) for a third of the run, then widened again. */
static const struct ktstr_op chg_imb_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.5)), KTSTR_OP_SPAWN("cg_0", 2),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.5, 1.0)),
	KTSTR_OP_SPAWN("cg_1", 2, BURSTY("burst_ms=30,sleep_ms=100")), END_OPS,
};
static const struct ktstr_step chg_imb_steps[] = {
	{ .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_EXACT("1"))), .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.5, 1.0))), .hold = THIRD },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_change_imbalance, chg_imb_bd, chg_imb_steps, T4, .required_flags = F_BORROW,
		     .desc = "advanced: a bursty cgroup's cpuset narrowed to 1 CPU and widened beside a loaded one")

/* --- cgroups added and removed --- */

/* Empty cgroups on single CPUs fill the slots, half go, replacements
 * with a worker each come (n = min(CPUs - 1, 15) = 3, half = 1).  The
 * fillers are backdrop cgroups so the removal is an op on live ones. */
static const struct ktstr_op exhaust_bd[] = {
	KTSTR_OP_ADD("exhaust_0", .cpuset = KTSTR_CPUSET_EXACT("0")),
	KTSTR_OP_ADD("exhaust_1", .cpuset = KTSTR_CPUSET_EXACT("1")),
	KTSTR_OP_ADD("exhaust_2", .cpuset = KTSTR_CPUSET_EXACT("2")), END_OPS,
};
static const struct ktstr_step exhaust_steps[] = {
	{ .hold = KTSTR_HOLD_FIXED(1000) },
	{ .ops = OPS(KTSTR_OP_REMOVE("exhaust_0")), .hold = KTSTR_HOLD_FIXED(1000) },
	{ .ops = OPS(KTSTR_OP_ADD("reuse_0", .cpuset = KTSTR_CPUSET_EXACT("0")), KTSTR_OP_SPAWN("reuse_0", 1)),
	  .hold = KTSTR_HOLD_FULL },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_exhaust_reuse, exhaust_bd, exhaust_steps, T4,
		     .desc = "advanced: fill cgroups with 1-CPU cpusets, remove half, create replacements")

static const struct ktstr_step add_rm_steps[] = {
	{ .hold = THIRD },
	{ .ops = OPS(KTSTR_OP_ADD("cg_2", .cpuset = KTSTR_CPUSET_DISJOINT(2, 3)), KTSTR_OP_SPAWN("cg_2", W)),
	  .hold = THIRD },
	{ .hold = THIRD },
	{ 0 },
};
static const struct ktstr_op thirds_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 3)), KTSTR_OP_SPAWN("cg_0", W),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 3)), KTSTR_OP_SPAWN("cg_1", W), END_OPS,
};
KTSTR_STEPS_SCENARIO(cgroup_cpuset_add_remove, thirds_bd, add_rm_steps, T4,
		     .desc = "interaction: a third cpuset-constrained cgroup added, then removed at its step's end")

static const struct ktstr_op add_imb_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 8), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_1", 2, BURSTY("burst_ms=50,sleep_ms=100")), END_OPS,
};
static const struct ktstr_step add_imb_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_ADD("cg_2"), KTSTR_OP_SPAWN("cg_2", 4)), .hold = FRAC(0.5) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_add_during_imbalance, add_imb_bd, add_imb_steps, T4, .required_flags = F_BORROW,
		     .desc = "interaction: a 4-worker cgroup added beside heavy (8) and bursty (2) cgroups")

static const struct ktstr_op light_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 1, YIELD), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 1, YIELD),
	END_OPS,
};
static const struct ktstr_step add_load_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_ADD("cg_2"), KTSTR_OP_SPAWN("cg_2", 16)), .hold = FRAC(0.5) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_add_load_imbalance, light_bd, add_load_steps, T4, .required_flags = F_REBAL,
		     .desc = "advanced: 2 light YieldHeavy cgroups, a heavy 16-worker cgroup added half-way")

/* 16 spinners on CPU 0 beside 1 YieldHeavy on 1-2; half-way 16 more
 * spinners join cg_1 (step-local: stopped and checked at the end). */
static const struct ktstr_op shift_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)), KTSTR_OP_SPAWN("cg_0", 16),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)), KTSTR_OP_SPAWN("cg_1", 1, YIELD), END_OPS,
};
static const struct ktstr_step shift_steps[] = {
	{ .hold = FRAC(0.5) },
	{ .ops = OPS(KTSTR_OP_SPAWN("cg_1", 16)), .hold = FRAC(0.5) },
	{ 0 },
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_cpuset_load_shift, shift_bd, shift_steps, T4, .required_flags = F_REBAL,
		     .no_spread_check = true,
		     .desc = "advanced: disjoint cpusets, heavy load added to the light cgroup half-way")

/* Heavy (2 x W spinners) and light (1 YieldHeavy) swap every quarter:
 * each step's cgroups are its own, so they end (and are checked) with it. */
#define OSC_STEP(heavy, light)                                                                          \
	{ .ops = OPS(KTSTR_OP_ADD(heavy), KTSTR_OP_SPAWN(heavy, 2 * W), KTSTR_OP_ADD(light),                \
		     KTSTR_OP_SPAWN(light, 1, YIELD)),                                                  \
	  .hold = FRAC(0.25) }
static const struct ktstr_step osc_steps[] = {
	OSC_STEP("cg_0", "cg_1"), OSC_STEP("cg_1", "cg_0"), OSC_STEP("cg_0", "cg_1"), OSC_STEP("cg_1", "cg_0"),
	{ 0 },
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_load_oscillation, NULL, osc_steps, T4, .required_flags = F_REBAL,
		     .no_spread_check = true,
		     .desc = "advanced: heavy and light cgroups alternate every quarter of the run")

/* --- nested --- */

static const struct ktstr_step nchurn_steps[] = {
	{ .ops = OPS(KTSTR_OP_ADD("cg_0/churn"), KTSTR_OP_ADD("cg_0/churn/deep"), KTSTR_OP_REMOVE("cg_0/churn/deep"),
		     KTSTR_OP_REMOVE("cg_0/churn")),
	  .hold = KTSTR_HOLD_LOOP(100) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(nested_cgroup_rapid_churn, two_bd, nchurn_steps, T4,
		     .desc = "nested: cg_0/churn and cg_0/churn/deep created and removed every 100 ms under load")

static const struct ktstr_op nimb_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_0/sub_a"), KTSTR_OP_SPAWN("cg_0/sub_a", 8), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_ADD("cg_1/sub_b"), KTSTR_OP_SPAWN("cg_1/sub_b", 2, BURSTY("burst_ms=50,sleep_ms=100")), END_OPS,
};
/* No spread check: unequal shares (catalog_ref.h).  Under EEVDF the
 * balancer weighs cg_1's group entity, so a CPU that hosts a Bursty task
 * keeps fewer spinners: sub_a's spinners got 27-30 % to 65-68 % off-CPU,
 * a 36-41 % spread, in 3 of 3 quiet runs (flat scx_simple: 2 %). */
KTSTR_STEPS_SCENARIO(nested_cgroup_imbalance, nimb_bd, full, T4, .required_flags = F_BORROW,
		     .no_spread_check = true,
		     .desc = "interaction: nested cgroups, 8 CpuSpin in cg_0/sub_a vs 2 Bursty in cg_1/sub_b")

/* --- no-ctrl: the cgroups have the cpuset controller only --- */

/* cg_mobile's workers move to the empty cg_1 and back 9 times. */
static const struct ktstr_backdrop mig_bd = {
	.ops = OPS(KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", W), KTSTR_OP_ADD("cg_mobile"),
		   KTSTR_OP_SPAWN("cg_mobile", W), KTSTR_OP_ADD("cg_1")),
	.no_cpu_controller = true,
};
#define MOVE_STEP(a, b) { .ops = OPS(KTSTR_OP_MOVE(a, b)), .hold = FRAC(0.1) }
static const struct ktstr_step mig_steps[] = {
	{ .hold = KTSTR_HOLD_FIXED(2000) },
	MOVE_STEP("cg_mobile", "cg_1"), MOVE_STEP("cg_1", "cg_mobile"), MOVE_STEP("cg_mobile", "cg_1"),
	MOVE_STEP("cg_1", "cg_mobile"), MOVE_STEP("cg_mobile", "cg_1"), MOVE_STEP("cg_1", "cg_mobile"),
	MOVE_STEP("cg_mobile", "cg_1"), MOVE_STEP("cg_1", "cg_mobile"), MOVE_STEP("cg_mobile", "cg_1"),
	{ .hold = FRAC(0.1) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO_BD(cgroup_no_ctrl_task_migration, mig_bd, mig_steps, T4, .required_flags = F_NO_CTRL,
			.desc = "advanced: workers moved between 2 cgroups 9 times, no cpu controller")

/* cg_mobile's 2 workers move to the empty cg_overflow and back 5 times
 * beside heavy and bursty cgroups. */
static const struct ktstr_backdrop nimb2_bd = {
	.ops = OPS(KTSTR_OP_ADD("cg_heavy"), KTSTR_OP_SPAWN("cg_heavy", 6), KTSTR_OP_ADD("cg_mobile"),
		   KTSTR_OP_SPAWN("cg_mobile", 2), KTSTR_OP_ADD("cg_light"),
		   KTSTR_OP_SPAWN("cg_light", 2, BURSTY("burst_ms=50,sleep_ms=100")), KTSTR_OP_ADD("cg_overflow")),
	.no_cpu_controller = true,
};
#define MOVE6(a, b) { .ops = OPS(KTSTR_OP_MOVE(a, b)), .hold = FRAC(1.0 / 6.0) }
static const struct ktstr_step nimb2_steps[] = {
	{ .hold = KTSTR_HOLD_FIXED(500) },
	MOVE6("cg_mobile", "cg_overflow"), MOVE6("cg_overflow", "cg_mobile"), MOVE6("cg_mobile", "cg_overflow"),
	MOVE6("cg_overflow", "cg_mobile"), MOVE6("cg_mobile", "cg_overflow"),
	{ .hold = FRAC(1.0 / 6.0) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO_BD(cgroup_no_ctrl_imbalance, nimb2_bd, nimb2_steps, T4, .required_flags = F_NO_CTRL_BORROW,
			.desc = "interaction: tasks moved during imbalanced load (6 / 2 Bursty / 2 mobile), no cpu "
				"controller")

static const struct ktstr_backdrop nccs_bd = { .ops = halves_bd, .no_cpu_controller = true };
KTSTR_STEPS_SCENARIO_BD(cgroup_no_ctrl_cpuset_change, nccs_bd, clear_steps, T4, .required_flags = F_NO_CTRL,
			.desc = "interaction: disjoint cpusets cleared half-way, no cpu controller")

static const struct ktstr_backdrop ncload_bd = {
	.ops = OPS(KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 16), KTSTR_OP_ADD("cg_1"),
		   KTSTR_OP_SPAWN("cg_1", 1, YIELD)),
	.no_cpu_controller = true,
};
KTSTR_STEPS_SCENARIO_BD(cgroup_no_ctrl_load_imbalance, ncload_bd, full, T4, .required_flags = F_NO_CTRL_REBAL,
			.desc = "interaction: heavy (16 CpuSpin) + light (1 YieldHeavy) cgroups, no cpu controller")

static const struct ktstr_backdrop nnested_bd = {
	.ops = OPS(KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_0/sub_a"), KTSTR_OP_ADD("cg_0/sub_a/deep"),
		   KTSTR_OP_SPAWN("cg_0/sub_a/deep", W), KTSTR_OP_ADD("cg_1"), KTSTR_OP_ADD("cg_1/sub_b"),
		   KTSTR_OP_SPAWN("cg_1/sub_b", W)),
	.no_cpu_controller = true,
};
KTSTR_STEPS_SCENARIO_BD(nested_cgroup_no_ctrl, nnested_bd, full, T4, .required_flags = F_NO_CTRL,
			.desc = "advanced: workers in cg_0/sub_a/deep and cg_1/sub_b, no cpu controller")
