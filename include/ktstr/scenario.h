/* Data-driven scenarios: steps of ops with hold times, over cgroups that
 * live for one step or, when created by the backdrop, for the whole run.
 *
 *   static const struct ktstr_op bd[] = {
 *       KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_DISJOINT(0, 2)),
 *       KTSTR_OP_SPAWN("cg_0", 2),
 *       { 0 } };
 *   static const struct ktstr_step steps[] = {
 *       { .hold = KTSTR_HOLD_FRAC(0.5) },
 *       { .ops = (const struct ktstr_op[]){ KTSTR_OP_CLEAR_CPUSET("cg_0"), { 0 } },
 *         .hold = KTSTR_HOLD_FRAC(0.5) },
 *       { 0 } };
 *   KTSTR_STEPS_SCENARIO(cpuset_clear, bd, steps, .llcs = 2, .cores = 2, .desc = "...");
 *
 * The KTSTR_CPUSET_* and KTSTR_HOLD_* macros are brace initializers
 * (cast them to use as values).  Cpuset specs resolve against the VM's real topology (reference §2.6):
 * fractional specs (range, disjoint, overlap) use the "usable" CPUs, all
 * CPUs but the last when there are more than 2.  Everything an op list
 * refers to is checked by kt_scenario_validate() on the host before the VM
 * boots, and again in the guest. */
#ifndef KTSTR_SCENARIO_H
#define KTSTR_SCENARIO_H
#include <ktstr/api.h>
#include <ktstr/ktstr.h>
#include <ktstr/payload.h>

enum ktstr_cpuset_kind {
	KTSTR_CS_NONE = 0,
	KTSTR_CS_LLC,      /* all CPUs of LLC index */
	KTSTR_CS_NUMA,     /* all CPUs of node index */
	KTSTR_CS_RANGE,    /* usable[floor(len*start) .. floor(len*end)) */
	KTSTR_CS_DISJOINT, /* part index of `of` equal parts of usable; the last takes the rest */
	KTSTR_CS_OVERLAP,  /* like DISJOINT, each part grown by floor(chunk*frac) on both sides */
	KTSTR_CS_EXACT,    /* the cpulist `cpus` */
};

struct ktstr_cpuset_spec {
	enum ktstr_cpuset_kind kind;
	unsigned index, of;
	double start, end, frac;
	const char *cpus;
};

#define KTSTR_CPUSET_LLC(i) { .kind = KTSTR_CS_LLC, .index = (i) }
#define KTSTR_CPUSET_NUMA(n) { .kind = KTSTR_CS_NUMA, .index = (n) }
#define KTSTR_CPUSET_RANGE(s, e) { .kind = KTSTR_CS_RANGE, .start = (s), .end = (e) }
#define KTSTR_CPUSET_DISJOINT(i, n) { .kind = KTSTR_CS_DISJOINT, .index = (i), .of = (n) }
#define KTSTR_CPUSET_OVERLAP(i, n, f)                                                                   \
	{ .kind = KTSTR_CS_OVERLAP, .index = (i), .of = (n), .frac = (f) }
#define KTSTR_CPUSET_EXACT(list) { .kind = KTSTR_CS_EXACT, .cpus = (list) }

/* Resolve a spec on a topology.  Returns 0, or -EINVAL with the reason
 * (naming the spec's field) in err.  KTSTR_CS_NONE resolves to empty. */
KTSTR_API int ktstr_cpuset_resolve(const struct ktstr_topo *t, const struct ktstr_cpuset_spec *s,
				   struct ktstr_cpumask *out, char *err, size_t errlen);
/* The usable CPUs: all but the last when there are more than 2. */
KTSTR_API void ktstr_topo_usable(const struct ktstr_topo *t, struct ktstr_cpumask *out);

/* Worker affinity (reference §2.7); pool = the cgroup's cpuset, else all CPUs. */
enum ktstr_affinity {
	KTSTR_AFF_INHERIT = 0, /* no sched_setaffinity */
	KTSTR_AFF_RANDOM,      /* each worker: a random max(|pool|/2,1) CPUs of pool */
	KTSTR_AFF_LLC,         /* the LLC overlapping pool most (lowest on ties), within pool */
	KTSTR_AFF_CROSS,       /* all CPUs (crosses the cpuset on purpose) */
	KTSTR_AFF_SINGLE,      /* every worker on min(pool) */
	KTSTR_AFF_EXACT,       /* `affinity_cpus`, within the cpuset if any */
};
/* Resolve an affinity kind: *none set when no affinity is to be applied.
 * For RANDOM, rng (xorshift state, non-zero) draws the sample.  -EINVAL
 * with a reason when the result is empty or the list is bad. */
KTSTR_API int ktstr_affinity_resolve(const struct ktstr_topo *t, enum ktstr_affinity k, const char *cpus,
				     const struct ktstr_cpumask *cpuset, uint64_t *rng, struct ktstr_cpumask *out,
				     bool *none, char *err, size_t errlen);

enum ktstr_policy {
	KTSTR_POL_NORMAL = 0, /* no syscall */
	KTSTR_POL_BATCH,
	KTSTR_POL_IDLE,
	KTSTR_POL_FIFO,       /* priority 1..99 (clamped) */
	KTSTR_POL_RR,
};

enum ktstr_op_kind {
	KTSTR_OP_END = 0,
	KTSTR_OP_ADD_CGROUP,   /* cgroup (nested names "a/b" need "a" first); .cpuset optional */
	KTSTR_OP_REMOVE_CGROUP, /* drop its workers (no report), rmdir */
	KTSTR_OP_SET_CPUSET,   /* cgroup, cpuset */
	KTSTR_OP_CLEAR_CPUSET, /* cgroup */
	KTSTR_OP_SWAP_CPUSETS, /* cgroup <-> to */
	KTSTR_OP_SPAWN,        /* workers x work into cgroup, with affinity/policy/nice */
	KTSTR_OP_STOP,         /* drop the cgroup's workers (no report) */
	KTSTR_OP_SET_AFFINITY, /* every worker of cgroup, by affinity kind */
	KTSTR_OP_MOVE_TASKS,   /* every worker of cgroup into `to` */
	KTSTR_OP_SET_POLICY,   /* every worker of cgroup: policy/prio and nice */
	KTSTR_OP_SPAWN_HOST,   /* workers x work in no cgroup (the caller's: the guest's root); .cgroup NULL */
	/* Payloads (include/ktstr/payload.h), in cgroup (NULL: the caller's,
	 * in the guest the root).  RUN waits for it to end unless
	 * .background; a background one ends with the step that started it
	 * (the backdrop's: with the scenario) unless waited for or killed. */
	KTSTR_OP_RUN_PAYLOAD,  /* payload [+ payload_args], .background, .timeout_ms (foreground) */
	KTSTR_OP_WAIT_PAYLOAD, /* a background payload (same payload and cgroup) ends by itself; .timeout_ms */
	KTSTR_OP_KILL_PAYLOAD, /* SIGTERM to its process group, SIGKILL 2 s later, reaped */
	KTSTR_OP__COUNT
};

struct ktstr_op {
	enum ktstr_op_kind kind;
	const char *cgroup;
	const char *to;                   /* SWAP_CPUSETS, MOVE_TASKS */
	struct ktstr_cpuset_spec cpuset;  /* ADD_CGROUP, SET_CPUSET */
	unsigned workers;                 /* SPAWN: > 0 */
	enum ktstr_work work;
	const char *work_args;
	enum ktstr_affinity affinity;     /* SPAWN, SET_AFFINITY */
	const char *affinity_cpus;        /* KTSTR_AFF_EXACT */
	enum ktstr_policy policy;         /* SPAWN, SET_POLICY */
	int prio;                         /* FIFO/RR priority */
	int nice;                         /* SPAWN, SET_POLICY (NORMAL/BATCH/IDLE) */
	enum ktstr_mempolicy mem_policy;  /* SPAWN: NUMA memory policy of the workers */
	const char *mem_nodes;            /* SPAWN: its node list */
	unsigned mpol_flags;              /* SPAWN: KTSTR_MPOL_F_* */
	const struct ktstr_payload *payload; /* RUN/WAIT/KILL_PAYLOAD */
	const char *const *payload_args;  /* RUN_PAYLOAD: appended to its args (KTSTR_ARGS(...)) */
	bool background;                  /* RUN_PAYLOAD: do not wait */
	unsigned timeout_ms;              /* RUN_PAYLOAD (foreground), WAIT_PAYLOAD: killed after; 0: none */
};

#define KTSTR_OP_ADD(name, ...) { .kind = KTSTR_OP_ADD_CGROUP, .cgroup = (name), __VA_ARGS__ }
#define KTSTR_OP_REMOVE(name) { .kind = KTSTR_OP_REMOVE_CGROUP, .cgroup = (name) }
#define KTSTR_OP_SET_CPUSET(name, spec) { .kind = KTSTR_OP_SET_CPUSET, .cgroup = (name), .cpuset = spec }
#define KTSTR_OP_CLEAR_CPUSET(name) { .kind = KTSTR_OP_CLEAR_CPUSET, .cgroup = (name) }
#define KTSTR_OP_SWAP(a, b) { .kind = KTSTR_OP_SWAP_CPUSETS, .cgroup = (a), .to = (b) }
#define KTSTR_OP_SPAWN(name, n, ...) { .kind = KTSTR_OP_SPAWN, .cgroup = (name), .workers = (n), __VA_ARGS__ }
#define KTSTR_OP_STOP(name) { .kind = KTSTR_OP_STOP, .cgroup = (name) }
#define KTSTR_OP_AFFINITY(name, k, ...) { .kind = KTSTR_OP_SET_AFFINITY, .cgroup = (name), .affinity = (k), __VA_ARGS__ }
#define KTSTR_OP_MOVE(from, dest) { .kind = KTSTR_OP_MOVE_TASKS, .cgroup = (from), .to = (dest) }
#define KTSTR_OP_POLICY(name, p, ...) { .kind = KTSTR_OP_SET_POLICY, .cgroup = (name), .policy = (p), __VA_ARGS__ }
/* Host load (reference SpawnHost): workers that join no cgroup, so they
 * compete from the caller's cgroup (in the guest the root) with the
 * managed ones.  Checked like any worker set, under the name "host"; no
 * other op can name them (STOP, SET_AFFINITY... act on cgroups). */
#define KTSTR_OP_HOST(n, ...) { .kind = KTSTR_OP_SPAWN_HOST, .workers = (n), __VA_ARGS__ }
/* Payloads, by the variable of their KTSTR_PAYLOAD:
 *   KTSTR_OP_RUN_PAYLOAD(fio, .cgroup = "io", .background = true, .payload_args = KTSTR_ARGS("--size=8m")),
 *   KTSTR_OP_KILL_PAYLOAD(fio, .cgroup = "io") */
#define KTSTR_OP_RUN_PAYLOAD(p, ...) { .kind = KTSTR_OP_RUN_PAYLOAD, .payload = &(p), __VA_ARGS__ }
#define KTSTR_OP_WAIT_PAYLOAD(p, ...) { .kind = KTSTR_OP_WAIT_PAYLOAD, .payload = &(p), __VA_ARGS__ }
#define KTSTR_OP_KILL_PAYLOAD(p, ...) { .kind = KTSTR_OP_KILL_PAYLOAD, .payload = &(p), __VA_ARGS__ }

enum ktstr_hold_kind {
	KTSTR_HOLD_K_FRAC = 0, /* frac x the test's duration */
	KTSTR_HOLD_K_FIXED,    /* ms */
	KTSTR_HOLD_K_LOOP,     /* repeat the ops every ms until the scenario's end */
};
struct ktstr_hold {
	enum ktstr_hold_kind kind;
	double frac;
	unsigned ms;
};
#define KTSTR_HOLD_FRAC(f) { .kind = KTSTR_HOLD_K_FRAC, .frac = (f) }
#define KTSTR_HOLD_FULL KTSTR_HOLD_FRAC(1.0)
#define KTSTR_HOLD_FIXED(m) { .kind = KTSTR_HOLD_K_FIXED, .ms = (m) }
#define KTSTR_HOLD_LOOP(m) { .kind = KTSTR_HOLD_K_LOOP, .ms = (m) }

/* One step: apply ops in order, then hold.  Cgroups a step adds and
 * workers it spawns are step-local: at the step's end its workers are
 * stopped and checked, its cgroups removed.  A list of steps ends with an
 * all-zero step (no ops, zero hold). */
struct ktstr_step {
	const struct ktstr_op *ops; /* ends with { 0 }; NULL: none */
	struct ktstr_hold hold;
};

static inline bool ktstr_step_end(const struct ktstr_step *s)
{
	return !s->ops && s->hold.kind == KTSTR_HOLD_K_FRAC && !s->hold.frac && !s->hold.ms;
}

/* Persistent state: ops applied before step 0; its cgroups and workers
 * last until after the last step (then workers are checked). */
struct ktstr_backdrop {
	const struct ktstr_op *ops;
	/* "no-ctrl": the scenario's cgroups get the cpuset controller only,
	 * not cpu ("-cpu" in the base's cgroup.subtree_control, checked
	 * before anything runs), so they carry no cpu weights. */
	bool no_cpu_controller;
};

/* Run a scenario: backdrop, steps, checks of every worker set.  Returns 0
 * (verdict in ctx) or -errno on an infrastructure error; invalid data
 * fails the test with a message naming the field. */
KTSTR_API int ktstr_run_steps(struct ktstr_ctx *ctx, const struct ktstr_backdrop *bd, const struct ktstr_step *steps);

/* Check scenario data against a topology (host side, before boot).
 * Returns 0 or -EINVAL with "step N op M (kind 'cg'): field: reason". */
KTSTR_API int ktstr_steps_validate(const struct ktstr_topo *t, const struct ktstr_backdrop *bd,
				   const struct ktstr_step *steps, unsigned workers_per_cgroup, char *err,
				   size_t errlen);

/* A scenario's data, registered beside its KTSTR_SCENARIO so the runner
 * can validate it before the VM boots. */
struct ktstr_scenario_data {
	const char *name;
	const struct ktstr_backdrop *bd;
	const struct ktstr_step *steps;
};
/* Data-driven canned scenario: bd and steps are static arrays. */
#define KTSTR_STEPS_SCENARIO(tname, bdops, stepv, ...)                                          \
	static const struct ktstr_backdrop ktstr_bd_##tname = { .ops = (bdops) };               \
	KTSTR_STEPS_SCENARIO_BD(tname, ktstr_bd_##tname, stepv, __VA_ARGS__)
/* The same with a whole backdrop (a static struct ktstr_backdrop), e.g.
 * to set .no_cpu_controller. */
#define KTSTR_STEPS_SCENARIO_BD(tname, bdvar, stepv, ...)                                       \
	static const struct ktstr_scenario_data ktstr_data_##tname = { #tname, &(bdvar), (stepv) }; \
	__attribute__((used, section("ktstr_scen_data"))) static const struct ktstr_scenario_data \
		*const ktstr_dreg_##tname = &ktstr_data_##tname;                                \
	KTSTR_SCENARIO(tname, __VA_ARGS__)                                                      \
	{                                                                                       \
		return ktstr_run_steps(ctx, &(bdvar), (stepv));                                 \
	}
/* A VM test (KTSTR_TEST, run by a test binary) made of scenario data,
 * registered like a canned scenario's so that the runner validates it
 * and packs its payloads before the VM boots.  Its name must not be a
 * canned scenario's. */
#define KTSTR_STEPS_TEST(tname, bdops, stepv, ...)                                               \
	static const struct ktstr_backdrop ktstr_tbd_##tname = { .ops = (bdops) };              \
	KTSTR_STEPS_DATA(tname, ktstr_tbd_##tname, stepv)                                       \
	KTSTR_TEST(tname, __VA_ARGS__)                                                          \
	{                                                                                       \
		return ktstr_run_steps(ctx, &ktstr_tbd_##tname, (stepv));                       \
	}
/* Only the registration, for a KTSTR_TEST of that name whose own body
 * calls ktstr_run_steps(ctx, &bdvar, stepv) (e.g. after a skip test). */
#define KTSTR_STEPS_DATA(tname, bdvar, stepv)                                                   \
	static const struct ktstr_scenario_data ktstr_tdata_##tname = { #tname, &(bdvar), (stepv) }; \
	__attribute__((used, section("ktstr_scen_data"))) static const struct ktstr_scenario_data \
		*const ktstr_tdreg_##tname = &ktstr_tdata_##tname;

/* The registered data of test t (by name, ignoring a "/flags" suffix), or NULL. */
KTSTR_API const struct ktstr_scenario_data *kt_scenario_data(const char *name);
/* Host pass: 0 if t has no registered data or it is valid on topo. */
KTSTR_API int kt_scenario_validate(const struct ktstr_test *t, const struct ktstr_topo *topo, char *err, size_t len);
/* True if t's data uses cpusets (or its .desc starts with "cpuset:"). */
KTSTR_API bool kt_scenario_needs_cpuset(const struct ktstr_test *t);
/* The payloads t's registered data runs (RUN_PAYLOAD ops), each once,
 * into out[max]; returns how many there are (more than max: the first
 * max are written). */
KTSTR_API size_t kt_scenario_payloads(const struct ktstr_test *t, const struct ktstr_payload **out, size_t max);
/* Pure: whether a cgroup.subtree_control / cgroup.controllers line
 * ("cpuset cpu io") names controller `name` (a whole word). */
KTSTR_API bool kt_controllers_has(const char *list, const char *name);

#endif
