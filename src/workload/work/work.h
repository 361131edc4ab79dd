/* Work-type plugins (internal).  A type is a struct kt_work_type: its
 * public description (name, help, parameters), how workers are grouped
 * and what a group shares (set up by the parent before fork), and the
 * per-worker hooks run in the child: init (after fork, before the start
 * signal), step (one outer iteration), fini (after the loop).
 *
 * The framework (worker.c) owns the loop: it calls step until the stop
 * flag is set, publishes work_units and iterations after every step and
 * takes a checkpoint (gap, CPU, migration) after every step.  Steps use
 * the helpers below and must return promptly once kt_stopped(): every
 * blocking wait is bounded (100 ms) and re-checks the flag. */
#ifndef KTSTR_GUEST_WORK_H
#define KTSTR_GUEST_WORK_H
#include <ktstr/ktstr.h>
#include "model/checks.h"

/* What one group of workers shares; the parent sets size and calls the
 * type's group_setup, and closes/unmaps everything at the end. */
struct kt_work_group {
	unsigned size;      /* workers in the group */
	void *shm;          /* MAP_SHARED|MAP_ANONYMOUS, zeroed; NULL: none */
	size_t shm_len;
	int fd[4];          /* two pipes: [0]<-[1] (rank 0 -> 1), [2]<-[3] (1 -> 0); -1: unused */
};

/* A cgroup's work, resolved from its struct ktstr_cgroup_def. */
struct kt_work_cfg {
	enum ktstr_work type;
	uint64_t p[KTSTR_WORK_MAX_PARAMS];
	const struct ktstr_work_phase *phases;
	ktstr_work_custom_fn custom;
	void *custom_arg;
};

/* One worker, in the child. */
struct kt_worker {
	const struct kt_work_cfg *cfg;
	const uint64_t *p;                 /* = cfg->p */
	struct ktstr_worker_report *rep;   /* in shared memory */
	struct kt_work_group *grp;         /* NULL for independent workers */
	unsigned rank;                     /* index within the group */
	const volatile int *stop;
	uint64_t units, iters;             /* published after every step */
	uint64_t start_ns, last_iter_ns;   /* loop start; last checkpoint or reset */
	int cpu;                           /* CPU at the last checkpoint */
	struct kt_reservoir wake;          /* wake-latency samples */
	uint64_t rng;                      /* xorshift64 state, tid|1 */
	void *priv;                        /* the type's state (init/fini) */
	int fd;                            /* the type's file, -1 if none */
	long scratch;                      /* the type's small state */
};

struct kt_work_type {
	struct ktstr_work_info info;
	/* Workers per group; NULL: independent workers. */
	unsigned (*group_size)(const uint64_t *p);
	/* Parent, before fork: allocate the group's shared state. */
	int (*group_setup)(struct kt_work_group *g, const uint64_t *p);
	int (*init)(struct kt_worker *w);  /* 0 or -errno; may be NULL */
	void (*step)(struct kt_worker *w);
	void (*fini)(struct kt_worker *w); /* may be NULL */
	bool raw;                          /* Custom: no framework telemetry */
};

const struct kt_work_type *kt_work_type(enum ktstr_work t);

/* Families (one file each). */
extern const struct kt_work_type kt_wt_cpu_spin, kt_wt_yield_heavy, kt_wt_mixed, kt_wt_io_sync, kt_wt_bursty;
extern const struct kt_work_type kt_wt_cache_pressure, kt_wt_cache_yield, kt_wt_cache_pipe;
extern const struct kt_work_type kt_wt_pipe_io, kt_wt_futex_ping_pong, kt_wt_mutex_contention;
extern const struct kt_work_type kt_wt_futex_fan_out, kt_wt_fan_out_compute;
extern const struct kt_work_type kt_wt_fork_exit, kt_wt_nice_sweep, kt_wt_affinity_churn, kt_wt_policy_churn,
	kt_wt_page_fault_churn;
extern const struct kt_work_type kt_wt_sequence, kt_wt_custom;

/* Group setup helpers for group_setup hooks. */
int kt_group_shm(struct kt_work_group *g, size_t len);
int kt_group_pipes(struct kt_work_group *g);
void kt_group_release(struct kt_work_group *g);
unsigned kt_group_pairs(const uint64_t *p); /* 2 */

/* Helpers for steps (worker.c). */
uint64_t kt_now(void); /* CLOCK_MONOTONIC ns */
bool kt_stopped(const struct kt_worker *w);
void kt_spin(struct kt_worker *w, uint64_t n);        /* n units of busy work */
void kt_sample(struct kt_worker *w, uint64_t ns);     /* a wake-latency sample */
void kt_reset_gap(struct kt_worker *w);               /* blocking time is not a gap */
uint64_t kt_sleep_ns(struct kt_worker *w, uint64_t ns); /* in <= 100 ms slices; elapsed */
uint64_t kt_yield(void);                              /* sched_yield(); its duration */
/* FUTEX_WAIT (shared, 100 ms timeout) while *addr == val; FUTEX_WAKE. */
void kt_futex_wait(volatile uint32_t *addr, uint32_t val);
void kt_futex_wake(volatile uint32_t *addr, int n);
/* Write a byte to wfd, wait (100 ms polls) for one on rfd, sample the
 * round trip.  0, or -ECANCELED when stopped, or -errno. */
int kt_pipe_exchange(struct kt_worker *w, int rfd, int wfd);
/* The IoSync body on w->fd: truncate, 16 x 4 KiB writes, 100 us sleep. */
void kt_io_sync_body(struct kt_worker *w);
int kt_io_open(struct kt_worker *w, const char *prefix);
void kt_io_close(struct kt_worker *w);

/* Start and stop flags shared by a workload's parent and workers. */
struct kt_work_sync {
	int ready; /* workers past init (successful or not) */
	int go;    /* set once by the parent: start the loops */
	int stop;  /* set once by the parent: end the loops */
};

/* The loop: init, count in `ready`, wait for `go`, run steps until
 * `stop`, telemetry, fini.  Returns the worker's exit code (0: completed). */
int kt_worker_run(struct kt_worker *w, struct kt_work_sync *sync);

/* Pure parsers of the telemetry files. */
int kt_parse_schedstat(const char *s, uint64_t *cpu_ns, uint64_t *delay_ns, uint64_t *count);
/* Sum "N<node>=<pages>" over every anonymous mapping (" anon=") into
 * pages[0..n); file-backed mappings are not counted. */
void kt_parse_numa_maps(const char *s, uint64_t *pages, unsigned n);
/* Value of "key N" in /proc/vmstat format; -ENOENT if absent. */
int kt_parse_vmstat(const char *s, const char *key, uint64_t *val);

#endif
