/* Canned data-driven scenarios (include/ktstr/scenario.h): cpusets from
 * the VM's topology, ops over steps, affinity kinds, nested cgroups and
 * scheduling policies.  Each is validated on the host before the VM boots. */
#include <ktstr/scenario.h>

const int kt_catalog_steps_linked = 1;

#define T2 .llcs = 2, .cores = 2, .duration_s = 3
#define END_OPS { 0 }
#define HALF KTSTR_HOLD_FRAC(0.5)

/* --- basic / cpuset: static cpusets --- */

static const struct ktstr_op llc_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_LLC(0)), KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_LLC(1)),
	KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
static const struct ktstr_step full[] = { { .hold = KTSTR_HOLD_FULL }, { 0 } };
KTSTR_STEPS_SCENARIO(steady_llc, llc_bd, full, T2,
		     .desc = "basic: cg_0 on LLC 0, cg_1 on LLC 1 (llc cpuset specs), 2 spinners each")

static const struct ktstr_op disjoint_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),
	KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
KTSTR_STEPS_SCENARIO(cpuset_disjoint_steady, disjoint_bd, full, T2,
		     .desc = "cpuset: two disjoint halves of the usable CPUs, 2 spinners each; isolation holds")

static const struct ktstr_op range_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_RANGE(0.0, 0.67)),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.34, 1.0)),
	KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
KTSTR_STEPS_SCENARIO(cpuset_range_overlap, range_bd, full, T2,
		     .desc = "cpuset: two range specs sharing the middle usable CPU, 2 spinners each")

static const struct ktstr_op overlap_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_OVERLAP(0, 2, 0.5)),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_OVERLAP(1, 2, 0.5)),
	KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
KTSTR_STEPS_SCENARIO(cpuset_overlap_steady, overlap_bd, full, .llcs = 2, .cores = 4, .duration_s = 3,
		     .desc = "cpuset: overlap specs (2 parts, 50% overlap) on 8 CPUs, 2 spinners each")

static const struct ktstr_op exact_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_EXACT("0")),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_EXACT("2-3")),
	KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 4), END_OPS,
};
KTSTR_STEPS_SCENARIO(cpuset_exact_uneven, exact_bd, full, T2,
		     .desc = "cpuset: exact cpusets, CPU 0 vs CPUs 2-3 (one LLC), 2 workers per CPU on each side")

/* --- dynamic: cpusets changed while workers run --- */

static const struct ktstr_op two_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_0", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
static const struct ktstr_step apply_steps[] = {
	{ .hold = HALF },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_DISJOINT(0, 2)),
					    KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_DISJOINT(1, 2)), END_OPS },
	  .hold = HALF },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cpuset_apply_midrun, two_bd, apply_steps, T2,
		     .desc = "dynamic: two unrestricted cgroups get disjoint cpusets half-way through")

static const struct ktstr_step clear_steps[] = {
	{ .hold = HALF },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_CLEAR_CPUSET("cg_0"), KTSTR_OP_CLEAR_CPUSET("cg_1"), END_OPS },
	  .hold = HALF },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cpuset_clear_midrun, disjoint_bd, clear_steps, T2,
		     .desc = "dynamic: two cgroups on disjoint cpusets have them cleared half-way through")

static const struct ktstr_step resize_steps[] = {
	{ .hold = KTSTR_HOLD_FRAC(0.34) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0, 0.34)),
					    KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.34, 1)), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_SET_CPUSET("cg_1", KTSTR_CPUSET_RANGE(0.67, 1)),
					    KTSTR_OP_SET_CPUSET("cg_0", KTSTR_CPUSET_RANGE(0, 0.67)), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cpuset_resize, disjoint_bd, resize_steps, T2,
		     .desc = "dynamic: even split, then shrink cg_0 / grow cg_1, then the reverse")

static const struct ktstr_step swap_steps[] = {
	{ .hold = HALF },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_SWAP("cg_0", "cg_1"), END_OPS }, .hold = HALF },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cpuset_swap_midrun, llc_bd, swap_steps, T2,
		     .desc = "dynamic: cgroups on LLC 0 and LLC 1 swap cpusets half-way through")

/* --- dynamic: cgroups and workers come and go --- */

static const struct ktstr_step add_steps[] = {
	{ .hold = HALF },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("cg_2"), KTSTR_OP_SPAWN("cg_2", 2), KTSTR_OP_ADD("cg_3"),
					    KTSTR_OP_SPAWN("cg_3", 1), END_OPS },
	  .hold = HALF },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_add_midrun, two_bd, add_steps, T2,
		     .desc = "dynamic: two running cgroups, two more added with workers half-way through")

static const struct ktstr_op one_bd[] = { KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 2), END_OPS };
static const struct ktstr_step remove_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_1", 2), KTSTR_OP_ADD("cg_2"),
					    KTSTR_OP_SPAWN("cg_2", 2), END_OPS },
	  .hold = HALF },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_REMOVE("cg_0"), KTSTR_OP_ADD("cg_3"),
					    KTSTR_OP_SPAWN("cg_3", 2), END_OPS },
	  .hold = HALF },
	{ 0 },
};
/* No spread check: cgroups of unequal demand share CPUs ("Unequal shares", catalog_ref.h). */
KTSTR_STEPS_SCENARIO(cgroup_remove_midrun, one_bd, remove_steps, T2,
		     .no_spread_check = true,
		     .desc = "dynamic: step-local cgroups removed at the step's end, a backdrop cgroup removed by an op")

static const struct ktstr_step churn_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("ephemeral"), KTSTR_OP_SPAWN("ephemeral", 1),
					    KTSTR_OP_REMOVE("ephemeral"), END_OPS },
	  .hold = KTSTR_HOLD_LOOP(200) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(cgroup_rapid_churn, two_bd, churn_steps, T2,
		     .desc = "dynamic: two steady cgroups while a cgroup with a worker is created and removed every 200 ms")

static const struct ktstr_step respawn_steps[] = {
	{ .hold = KTSTR_HOLD_FRAC(0.4) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_STOP("cg_1"), KTSTR_OP_SPAWN("cg_1", 1, .work = KTSTR_WORK_BURSTY,
										     .work_args = "burst_ms=20,sleep_ms=20"),
					    END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.6) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(worker_stop_respawn, two_bd, respawn_steps, T2,
		     .desc = "dynamic: cg_1's spinners stopped mid-run and replaced by a bursty worker")

/* --- affinity --- */

static const struct ktstr_op rand_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),
	KTSTR_OP_SPAWN("cg_0", 2, .affinity = KTSTR_AFF_RANDOM), KTSTR_OP_SPAWN("cg_1", 2, .affinity = KTSTR_AFF_RANDOM),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(affinity_random, rand_bd, full, T2,
		     .desc = "affinity: half-split cpusets, each worker on a random half of its cgroup's CPUs")

static const struct ktstr_step change_steps[] = {
	{ .hold = KTSTR_HOLD_FRAC(0.25) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM),
					    KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.25) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_RANDOM),
					    KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_RANDOM), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.25) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_AFFINITY("cg_0", KTSTR_AFF_INHERIT),
					    KTSTR_OP_AFFINITY("cg_1", KTSTR_AFF_CROSS), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.25) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(affinity_change, two_bd, change_steps, T2,
		     .desc = "affinity: worker affinities re-randomized twice mid-run, then widened to all CPUs")

static const struct ktstr_op single_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_DISJOINT(1, 2)),
	KTSTR_OP_SPAWN("cg_0", 2, .affinity = KTSTR_AFF_SINGLE), KTSTR_OP_SPAWN("cg_1", 2, .affinity = KTSTR_AFF_SINGLE),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(affinity_pinned, single_bd, full, T2,
		     .desc = "affinity: all workers of each cgroup pinned to the first CPU of its cpuset")

static const struct ktstr_op llcaff_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_RANGE(0.34, 1)),
	KTSTR_OP_SPAWN("cg_0", 2, .affinity = KTSTR_AFF_LLC), KTSTR_OP_SPAWN("cg_1", 2, .affinity = KTSTR_AFF_LLC),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(affinity_llc_aligned, llcaff_bd, full, T2,
		     .desc = "affinity: workers pinned to the LLC that overlaps their cgroup's CPUs most")

static const struct ktstr_op cross_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_LLC(0)), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_SPAWN("cg_0", 2, .affinity = KTSTR_AFF_CROSS),
	KTSTR_OP_SPAWN("cg_1", 2, .affinity = KTSTR_AFF_EXACT, .affinity_cpus = "2-3"), END_OPS,
};
KTSTR_STEPS_SCENARIO(affinity_cross_exact, cross_bd, full, T2,
		     .desc = "affinity: an all-CPU mask inside an LLC cpuset (cpuset wins) beside an exact 2-3 mask")

/* --- nested cgroups --- */

static const struct ktstr_op nested_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_0/sub_a"), KTSTR_OP_ADD("cg_0/sub_b"), KTSTR_OP_ADD("cg_1"),
	KTSTR_OP_ADD("cg_1/sub_a"), KTSTR_OP_ADD("cg_1/sub_a/deep"),
	KTSTR_OP_SPAWN("cg_0/sub_a", 2), KTSTR_OP_SPAWN("cg_0/sub_b", 1), KTSTR_OP_SPAWN("cg_1/sub_a/deep", 2),
	END_OPS,
};
KTSTR_STEPS_SCENARIO(nested_cgroup_steady, nested_bd, full, T2,
		     .desc = "nested: workers in leaves of a 3-level hierarchy (cg_0/sub_a, cg_0/sub_b, cg_1/sub_a/deep)")

static const struct ktstr_op nmove_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_0/sub_a"), KTSTR_OP_ADD("cg_1"), KTSTR_OP_ADD("cg_1/sub_b"),
	KTSTR_OP_SPAWN("cg_0/sub_a", 2), KTSTR_OP_ADD("other"), KTSTR_OP_SPAWN("other", 2), END_OPS,
};
static const struct ktstr_step nmove_steps[] = {
	{ .hold = KTSTR_HOLD_FRAC(0.34) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_MOVE("cg_0/sub_a", "cg_1/sub_b"), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_MOVE("cg_1/sub_b", "cg_0/sub_a"), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(nested_cgroup_task_move, nmove_bd, nmove_steps, T2,
		     .desc = "nested: workers moved from cg_0/sub_a across the hierarchy to cg_1/sub_b and back")

static const struct ktstr_op ncpuset_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_EXACT("0-1")),
	KTSTR_OP_ADD("cg_0/sub_a", .cpuset = KTSTR_CPUSET_EXACT("0")),
	KTSTR_OP_ADD("cg_0/sub_b", .cpuset = KTSTR_CPUSET_EXACT("1")),
	KTSTR_OP_ADD("cg_1", .cpuset = KTSTR_CPUSET_LLC(1)),
	KTSTR_OP_SPAWN("cg_0/sub_a", 2), KTSTR_OP_SPAWN("cg_0/sub_b", 2), KTSTR_OP_SPAWN("cg_1", 2), END_OPS,
};
KTSTR_STEPS_SCENARIO(nested_cgroup_cpuset, ncpuset_bd, full, T2,
		     .desc = "nested: sub-cgroups with one CPU each inside a 2-CPU parent cpuset; isolation holds")

/* --- scheduling classes --- */

static const struct ktstr_op batch_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_0", 2, .policy = KTSTR_POL_BATCH),
	KTSTR_OP_SPAWN("cg_1", 2, .policy = KTSTR_POL_BATCH), END_OPS,
};
KTSTR_STEPS_SCENARIO(sched_batch, batch_bd, full, T2, .desc = "sched_class: 2 cgroups of SCHED_BATCH spinners")

static const struct ktstr_op idle_bd[] = {
	KTSTR_OP_ADD("cg_0"), KTSTR_OP_ADD("cg_1"), KTSTR_OP_SPAWN("cg_0", 2, .policy = KTSTR_POL_IDLE),
	KTSTR_OP_SPAWN("cg_1", 2, .policy = KTSTR_POL_IDLE), END_OPS,
};
KTSTR_STEPS_SCENARIO(sched_idle, idle_bd, full, T2, .desc = "sched_class: 2 cgroups of SCHED_IDLE spinners")

static const struct ktstr_step policy_steps[] = {
	{ .hold = KTSTR_HOLD_FRAC(0.34) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_POLICY("cg_0", KTSTR_POL_BATCH),
					    KTSTR_OP_POLICY("cg_1", KTSTR_POL_NORMAL, .nice = 5), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_POLICY("cg_0", KTSTR_POL_NORMAL),
					    KTSTR_OP_POLICY("cg_1", KTSTR_POL_NORMAL, .nice = 0), END_OPS },
	  .hold = KTSTR_HOLD_FRAC(0.33) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(sched_policy_change, two_bd, policy_steps, T2,
		     .desc = "sched_class: policies and nice changed on running workers (batch, nice 5, back)")

static const struct ktstr_op rt_bd[] = {
	KTSTR_OP_ADD("rt"), KTSTR_OP_ADD("cg_0"),
	KTSTR_OP_SPAWN("rt", 1, .policy = KTSTR_POL_FIFO, .prio = 1, .work = KTSTR_WORK_BURSTY,
		       .work_args = "burst_ms=10,sleep_ms=40"),
	KTSTR_OP_SPAWN("cg_0", 4), END_OPS,
};
KTSTR_STEPS_SCENARIO(sched_fifo_light, rt_bd, full, T2,
		     .desc = "sched_class: a light SCHED_FIFO bursty worker beside 4 normal spinners")
