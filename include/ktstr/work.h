/* Work types: what a worker process does in its loop.  Twenty types as in
 * the reference (docs/checks.md, ktstr-reference §2.10), each a
 * self-describing plugin: a PascalCase name, a one-line help, and named
 * numeric parameters with defaults and bounds, given per cgroup as
 *
 *     { .name = "cg_0", .workers = 2, .work = KTSTR_WORK_BURSTY,
 *       .work_args = "burst_ms=20,sleep_ms=50" }
 *
 * Types that pair workers (PipeIo, FutexPingPong, CachePipe: 2;
 * FutexFanOut, FanOutCompute: fan_out+1; MutexContention: contenders)
 * need a worker count divisible by the group size. */
#ifndef KTSTR_WORK_H
#define KTSTR_WORK_H
#include <ktstr/api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ktstr_work {
	KTSTR_WORK_SPIN = 0,             /* CpuSpin (the default) */
	KTSTR_WORK_YIELD_HEAVY,          /* YieldHeavy */
	KTSTR_WORK_MIXED,                /* Mixed */
	KTSTR_WORK_IO_SYNC,              /* IoSync */
	KTSTR_WORK_BURSTY,               /* Bursty */
	KTSTR_WORK_PIPE_IO,              /* PipeIo */
	KTSTR_WORK_FUTEX_PING_PONG,      /* FutexPingPong */
	KTSTR_WORK_CACHE_PRESSURE,       /* CachePressure */
	KTSTR_WORK_CACHE_YIELD,          /* CacheYield */
	KTSTR_WORK_CACHE_PIPE,           /* CachePipe */
	KTSTR_WORK_FUTEX_FAN_OUT,        /* FutexFanOut */
	KTSTR_WORK_FAN_OUT_COMPUTE,      /* FanOutCompute */
	KTSTR_WORK_SEQUENCE,             /* Sequence (phases; not by name) */
	KTSTR_WORK_FORK_EXIT,            /* ForkExit */
	KTSTR_WORK_NICE_SWEEP,           /* NiceSweep */
	KTSTR_WORK_AFFINITY_CHURN,       /* AffinityChurn */
	KTSTR_WORK_POLICY_CHURN,         /* PolicyChurn */
	KTSTR_WORK_PAGE_FAULT_CHURN,     /* PageFaultChurn */
	KTSTR_WORK_MUTEX_CONTENTION,     /* MutexContention */
	KTSTR_WORK_CUSTOM,               /* Custom (a function; not by name) */
	KTSTR_WORK__COUNT
};

/* Names of the walking skeleton's three types, kept for old tests. */
#define KTSTR_WORK_YIELD KTSTR_WORK_MIXED  /* spin, then sched_yield() */
#define KTSTR_WORK_SLEEP KTSTR_WORK_BURSTY /* spin, then sleep */

#define KTSTR_WORK_MAX_PARAMS 4
/* Wake-latency samples kept per worker (reservoir sampling beyond). */
#define KTSTR_WAKE_SAMPLES_MAX 100000u
/* Migrations logged per worker (all are counted). */
#define KTSTR_MIGRATION_LOG 32
/* NUMA nodes whose page counts a report carries. */
#define KTSTR_REPORT_NODES 16

struct ktstr_work_param {
	const char *name;  /* key in work_args */
	const char *help;
	uint64_t def, min, max;
};

struct ktstr_work_info {
	enum ktstr_work type;
	const char *name;  /* PascalCase, case-sensitive, as the reference */
	const char *help;  /* one line: what one iteration does */
	const struct ktstr_work_param *params;
	unsigned nparams;
	bool by_name;      /* false for Sequence and Custom (need code) */
};

/* The description of a type; NULL if t is out of range. */
KTSTR_API const struct ktstr_work_info *ktstr_work_info(enum ktstr_work t);
KTSTR_API const char *ktstr_work_name(enum ktstr_work t); /* "?" if out of range */
/* Exact, case-sensitive name -> type.  -EINVAL if unknown (err says so,
 * with a "did you mean" when a case-insensitive match exists). */
KTSTR_API int ktstr_work_from_name(const char *name, enum ktstr_work *t, char *err, size_t errlen);
/* Parse "key=value,key=value" against t's parameters into p[] (defaults
 * for keys not given).  NULL or "" means all defaults.  -EINVAL with the
 * reason in err on an unknown key, a bad number or a value out of bounds. */
KTSTR_API int ktstr_work_parse_args(enum ktstr_work t, const char *args, uint64_t p[KTSTR_WORK_MAX_PARAMS], char *err,
				    size_t errlen);
/* Workers per group for t with parameters p (1: independent workers). */
KTSTR_API unsigned ktstr_work_group_size(enum ktstr_work t, const uint64_t p[KTSTR_WORK_MAX_PARAMS]);

/* Sequence phases: each runs for `ms`; the list ends with kind END. */
enum ktstr_phase_kind {
	KTSTR_PHASE_END = 0,
	KTSTR_PHASE_SPIN,  /* spin bursts of 1024 units */
	KTSTR_PHASE_SLEEP, /* one sleep (a wake sample) */
	KTSTR_PHASE_YIELD, /* repeated {1 unit; sched_yield} (a sample each) */
	KTSTR_PHASE_IO,    /* repeated IoSync bodies (a sample per 100 us sleep) */
};
struct ktstr_work_phase {
	enum ktstr_phase_kind kind;
	unsigned ms;
};
#define KTSTR_SEQUENCE_MAX_PHASES 32

struct ktstr_worker_report;
/* Custom work: owns the loop until *stop becomes non-zero, fills the
 * report itself (the framework sets only pid, cgroup, work, completed). */
typedef void (*ktstr_work_custom_fn)(const volatile int *stop, struct ktstr_worker_report *rep, void *arg);

/* One logged migration, seen at a checkpoint. */
struct ktstr_migration {
	uint64_t at_ns; /* since the worker's start */
	int from_cpu, to_cpu;
};

/* Workload telemetry while a test runs (see ktstr.h for start/finish).
 * ktstr_workload_stop() stops and reaps every worker (idempotent);
 * afterwards ktstr_workload_report() gives each worker's final report,
 * valid until ktstr_workload_finish(), which checks and frees. */
struct ktstr_workload;
KTSTR_API int ktstr_workload_stop(struct ktstr_workload *w);
KTSTR_API const struct ktstr_worker_report *ktstr_workload_report(const struct ktstr_workload *w, size_t i);

#endif
