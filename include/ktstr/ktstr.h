/* ktstr public API: declare VM tests, describe cgroups and workers as
 * data, record failures.  A test binary links libktstr.a, which provides
 * main(): on the host it boots one VM per test; inside the guest the same
 * binary is PID 1 and runs the test body.
 *
 *   KTSTR_TEST(steady, .llcs = 2, .cores = 2, .duration_s = 3)
 *   {
 *       return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
 *           { .name = "cg_0", .workers = 2 },
 *           { .name = "cg_1", .workers = 2 },
 *           { 0 } });
 *   }
 */
#ifndef KTSTR_KTSTR_H
#define KTSTR_KTSTR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ktstr/cpumask.h>
#include <ktstr/topology.h>

struct ktstr_ctx;

/* Why a check failed; printed as the lower-case name. */
enum ktstr_kind {
	KTSTR_K_OTHER = 0,
	KTSTR_K_STARVED,
	KTSTR_K_STUCK,
	KTSTR_K_UNFAIR,
	KTSTR_K_ISOLATION,
	KTSTR_K_TOPOLOGY,
	KTSTR_K_SCHEDULER,
	KTSTR_K_SKIP,
	KTSTR_K__COUNT
};
const char *ktstr_kind_name(enum ktstr_kind k);

/* A sched_ext scheduler under test.  `binary` is a host path, or the
 * name of a scheduler built with the kernel (scx_simple, scx_qmap,
 * scx_central, scx_flatcg, scx_ktstr), found in the kernel's cache entry.
 * Its shared-library closure goes into the initramfs with it. */
struct ktstr_sched_flag {
	const char *name;            /* e.g. "llc" */
	const char *args;            /* arguments it adds, e.g. "--llc-aware" */
	const char *const *requires; /* NULL-terminated flag names, or NULL */
	const char *const *excludes; /* NULL-terminated flag names, or NULL */
};

struct ktstr_scheduler {
	const char *name;            /* display name */
	const char *binary;
	const char *args;            /* whitespace-separated arguments */
	unsigned attach_timeout_s;   /* wait for sched_ext to name it; 0: 10 (x3 under TCG) */
	const struct ktstr_sched_flag *flags; /* terminated by { 0 }, or NULL */
};

#define KTSTR_SCHEDULER(var, ...) const struct ktstr_scheduler var = { __VA_ARGS__ }

struct ktstr_test {
	const char *name;
	int (*fn)(struct ktstr_ctx *ctx);
	const char *desc;
	/* Scheduler under test; NULL: the kernel's default (EEVDF). */
	const struct ktstr_scheduler *scheduler;
	const char *sched_args;      /* appended to the scheduler's args */
	/* Topology; 0 means the default 1n1l2c1t dimension. */
	unsigned numa_nodes, llcs, cores, threads;
	unsigned memory_mb;          /* 0: 2048 */
	unsigned duration_s;         /* scenario length; 0: 2 */
	unsigned timeout_s;          /* VM wall-clock limit; 0: derived */
	unsigned workers_per_cgroup; /* default .workers; 0: 2 */
	/* Check thresholds; 0 means the default (see docs/checks.md). */
	unsigned max_gap_ms;
	double max_spread_pct;
	bool no_spread_check;        /* skip the fairness spread check */
	/* Negative tests: the test passes only if the guest verdict is FAIL
	 * and some failure detail contains expect_reason. */
	bool expect_fail;
	const char *expect_reason;
};

#define KTSTR_TEST(tname, ...)                                                   \
	static int ktstr_fn_##tname(struct ktstr_ctx *ctx);                      \
	static const struct ktstr_test ktstr_def_##tname = {                     \
		.name = #tname, .fn = ktstr_fn_##tname, __VA_ARGS__ };           \
	__attribute__((used, section("ktstr_tests"))) static const struct ktstr_test \
		*const ktstr_reg_##tname = &ktstr_def_##tname;                   \
	static int ktstr_fn_##tname(struct ktstr_ctx *ctx)

/* What a worker does in its loop. */
enum ktstr_work {
	KTSTR_WORK_SPIN = 0, /* pure CPU spin */
	KTSTR_WORK_YIELD,    /* spin a little, sched_yield() */
	KTSTR_WORK_SLEEP,    /* spin a little, sleep 1 ms */
};

struct ktstr_cgroup_def {
	const char *name;    /* cgroup under /sys/fs/cgroup/ktstr; NULL ends a list */
	unsigned workers;    /* 0: the test's workers_per_cgroup */
	const char *cpuset;  /* cpulist for cpuset.cpus, NULL: inherit */
	enum ktstr_work work;
};

/* Per-worker telemetry, filled by the worker itself. */
struct ktstr_worker_report {
	pid_t pid;
	unsigned cgroup;      /* index into the def list */
	uint64_t work_units;
	uint64_t iterations;
	uint64_t cpu_time_ns;
	uint64_t wall_time_ns;
	uint64_t max_gap_ns;
	uint64_t max_gap_at_ns; /* since start */
	int max_gap_cpu;
	uint64_t migrations;
	uint64_t run_delay_ns;  /* schedstat delta */
	struct ktstr_cpumask cpus_used;
	bool completed;
};

struct ktstr_workload;

/* Creates the cgroups, forks the workers (they start together), runs for
 * the test's duration, stops and reaps them and checks them.  Returns 0
 * (verdict recorded in ctx) or -errno on an infrastructure error. */
int ktstr_run_cgroups(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs);

/* The same in pieces, for tests that act on workers while they run. */
int ktstr_workload_start(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs,
			 struct ktstr_workload **out);
size_t ktstr_workload_nworkers(const struct ktstr_workload *w);
pid_t ktstr_workload_pid(const struct ktstr_workload *w, size_t i);
/* Stops, reaps, checks, frees. */
int ktstr_workload_finish(struct ktstr_ctx *ctx, struct ktstr_workload *w);

/* Context accessors. */
const struct ktstr_topo *ktstr_ctx_topo(const struct ktstr_ctx *ctx);
const struct ktstr_test *ktstr_ctx_test(const struct ktstr_ctx *ctx);
unsigned ktstr_ctx_duration_ms(const struct ktstr_ctx *ctx);
void ktstr_sleep_ms(unsigned ms);

/* Record a failure (the test FAILs) or a skip. */
void ktstr_fail(struct ktstr_ctx *ctx, enum ktstr_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ktstr_skip(struct ktstr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ktstr_log(struct ktstr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* libktstr's main(): tests binaries need not define one. */
int ktstr_main(int argc, char **argv);

#endif
