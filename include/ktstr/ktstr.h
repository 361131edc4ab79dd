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
#include <ktstr/api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ktstr/cpumask.h>
#include <ktstr/topology.h>
#include <ktstr/checks.h>
#include <ktstr/work.h>
#include <ktstr/print.h>

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
	/* Worker-level checks beyond starvation/fairness/gaps (docs/checks.md). */
	KTSTR_K_BENCHMARK,
	KTSTR_K_MIGRATION,
	KTSTR_K_PAGE_LOCALITY,
	KTSTR_K_CROSS_NODE_MIGRATION,
	KTSTR_K_SLOW_TIER,
	KTSTR_K_PAYLOAD,  /* a payload's check (include/ktstr/payload.h) */
	KTSTR_K__COUNT
};
KTSTR_API const char *ktstr_kind_name(enum ktstr_kind k);

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

/* The host-side monitor of a test (docs/monitor.md): it reads the
 * guest kernel's runqueues from guest memory every interval_ms and fails
 * a test under a sched_ext scheduler on a sustained stall, imbalance,
 * deep local DSQ or high event rate.  0 inherits (the scheduler's, then
 * the default in brackets); booleans are KTSTR_ON / KTSTR_OFF. */
struct ktstr_monitor {
	signed char enable;           /* KTSTR_OFF: no monitor [on] */
	signed char fail_on_stall;    /* [on] */
	/* work conservation: a CPU idle while runnable tasks it may run
	 * wait elsewhere, sustained [on] */
	signed char fail_on_idle_waiting;
	/* ... and its share: CPUs idle while work they may run waits, as a
	 * percentage of CPU time over twice the sustained window [10] */
	double max_idle_waiting_pct;
	/* misplacement: the imbalance ratio below, of where sched_ext work
	 * waits, averaged over the judged run [2.0] */
	double max_mean_imbalance;
	/* load (local DSQ + running) of a CPU over the least loaded CPU its
	 * queued tasks may run on; without that knowledge max/max(1,min)
	 * nr_running over CPUs [4.0] */
	double max_imbalance_ratio;
	unsigned max_local_dsq_depth; /* [50] */
	unsigned sustained_samples;   /* window, in 100 ms samples [5; x2 under TCG] */
	double max_fallback_rate;     /* select_cpu fallbacks/s [200] */
	double max_keep_last_rate;    /* dispatch keep_last/s [100] */
	unsigned interval_ms;         /* sampling period [100] */
};

struct ktstr_scheduler {
	const char *name;            /* display name */
	const char *binary;
	const char *args;            /* whitespace-separated arguments */
	unsigned attach_timeout_s;   /* wait for sched_ext to name it; 0: 10 (x3 under TCG) */
	/* Kernel quirk workaround: pin the kernel's "scx_ops_enable_helper"
	 * kthread (which runs ops.init since 6.12) to these CPUs, and retry
	 * the load once if the first attempt failed before the helper
	 * existed.  scx_central needs "0": its init must run on the central
	 * CPU.  NULL: leave the helper alone. */
	const char *enable_helper_cpus;
	const struct ktstr_sched_flag *flags; /* terminated by { 0 }, or NULL */
	/* Defaults for tests using this scheduler: each topology dimension a
	 * test leaves 0 is taken from here (then from 1n1l2c1t), and these
	 * thresholds sit between the defaults and the test's own
	 * (defaults -> scheduler -> test, last set wins; the reference calls
	 * this layer `assert`). */
	struct ktstr_topo topology;
	struct ktstr_checks checks;
	struct ktstr_monitor monitor; /* monitor thresholds between the defaults and the test's */
	/* sched_ext watchdog for its tests (seconds) when the test sets
	 * none; 0: the default; KTSTR_WATCHDOG_OWN: its own ops.timeout_ms. */
	unsigned watchdog_timeout_s;
};

/* .watchdog_timeout_s: leave the scheduler's own ops.timeout_ms. */
#define KTSTR_WATCHDOG_OWN 0xffffffffu

#define KTSTR_SCHEDULER(var, ...) const struct ktstr_scheduler var = { __VA_ARGS__ }

/* A host write into a BPF map of the running scheduler (docs/verifier.md):
 * after_ms after the guest reports ready, the host finds in guest memory
 * the first ARRAY map whose name ends with `map` (".bss" matches
 * "scx_ktst.bss") and writes `value` into the value of key 0: at the
 * variable or member `field` of the map's BTF ("crash"), else at byte
 * `offset`; `size` bytes (1, 2, 4, 8; 0: the field's size, else 4).  The
 * guest is told through the shared region and acknowledges on the ring.
 * Needs the host monitor (not with --no-monitor, not on bare metal). */
struct ktstr_bpf_map_write {
	const char *map;             /* NULL: no write */
	const char *field;           /* NULL: use offset */
	unsigned offset, size;
	uint64_t value;
	unsigned after_ms;
};

struct ktstr_test {
	const char *name;
	int (*fn)(struct ktstr_ctx *ctx);
	const char *desc;
	/* Scheduler under test; NULL: the kernel's default (EEVDF). */
	const struct ktstr_scheduler *scheduler;
	const char *sched_args;      /* appended to the scheduler's args */
	/* Host-triggered stall: this long after the guest reports ready,
	 * the host sets the stall request in the shared region and the guest
	 * creates /tmp/ktstr_stall (scx_ktstr stops dispatching).  0: never. */
	unsigned host_stall_after_ms;
	/* sched_ext watchdog timeout for this test (seconds): once the
	 * scheduler is up the host writes it into the guest kernel's
	 * scx_watchdog_timeout (found in vmlinux), overriding the
	 * scheduler's own ops.timeout_ms, and reads it back.  0: the
	 * scheduler declaration's, else the default (4 s, 8 s under TCG;
	 * the default never raises a scheduler's own shorter timeout);
	 * KTSTR_WATCHDOG_OWN: the scheduler's own.  --watchdog-timeout
	 * overrides every layer. */
	unsigned watchdog_timeout_s;
	/* Host write into a BPF map of the scheduler (see above), e.g.
	 * .bpf_map_write = { .map = ".bss", .field = "crash", .value = 1,
	 * .after_ms = 1000 } makes scx_ktstr call scx_bpf_error(). */
	struct ktstr_bpf_map_write bpf_map_write;
	/* Flag profiles: every valid combination of the scheduler's flags
	 * becomes a variant "name/flagA+flagB" ("name/default" for none),
	 * restricted to those holding all required and no excluded flags. */
	const char *const *required_flags; /* NULL-terminated, or NULL */
	const char *const *excluded_flags;
	/* Topology; 0 means the default 1n1l2c1t dimension. */
	unsigned numa_nodes, llcs, cores, threads;
	/* Gauntlet constraints: the presets this test's variants may run on
	 * (`ktstr gauntlet`, `--gauntlet`; docs/gauntlet.md).  0 means the
	 * default: NUMA nodes 1..1, LLCs 1..12, CPUs 1..192, SMT optional. */
	unsigned min_numa_nodes, max_numa_nodes, min_llcs, max_llcs, min_cpus, max_cpus;
	bool requires_smt;
	unsigned memory_mb;          /* 0: 2048 */
	unsigned duration_s;         /* scenario length; 0: 2 */
	unsigned timeout_s;          /* VM wall-clock limit; 0: derived */
	unsigned workers_per_cgroup; /* default .workers; 0: 2 */
	/* Check thresholds (include/ktstr/checks.h, docs/checks.md): 0 means
	 * inherit (scheduler's, else the default); written flat, e.g.
	 * .max_gap_ms = 500, .max_p99_wake_latency_ns = 5000000, or as a
	 * whole with .checks = { ... }. */
	union {
		struct {
			KTSTR_CHECK_FIELDS
		};
		struct ktstr_checks checks;
	};
	bool no_spread_check;        /* skip the fairness spread check */
	/* Negative tests: the test passes only if the guest verdict is FAIL
	 * and some failure detail contains expect_reason. */
	bool expect_fail;
	const char *expect_reason;
	/* Nested rig: run this test in an L1 guest that can itself run KVM
	 * guests (the kernel is packed as /nested/bzImage); its body boots
	 * L2s with ktstr_nested_run().  Memory 0 means 3072 MiB here. */
	bool nested;
	/* Host-side monitor settings (struct ktstr_monitor above). */
	struct ktstr_monitor monitor;
	/* Boot the guest with KASLR (default: nokaslr). */
	bool kaslr;
	/* Performance mode (docs/performance.md), as --perf-mode for this
	 * test: vCPUs pinned on host LLCs of their own, SCHED_FIFO,
	 * hugepages where the host allows. */
	bool perf_mode;
	/* Auto-repro (docs/auto-repro.md): when the test fails under a
	 * sched_ext scheduler, run it again in a second VM with BPF probes
	 * on the crash path.  KTSTR_TEST sets it; `.auto_repro = false`
	 * opts out (as does --no-auto-repro).  Never for expect_fail tests
	 * or under EEVDF. */
	bool auto_repro;
	/* Extra kernel command-line parameters for this test's guest, after
	 * ktstr's defaults so they override them (e.g. "mem=8M"): printable
	 * words, no quotes, no "--", no ktstr_ word.  NULL: none. */
	const char *kernel_args;
};

/* The defaults KTSTR_TEST and KTSTR_SCENARIO put before the caller's
 * attributes, which override them (so the override warning is off for
 * that one initializer). */
#define KTSTR_DEFAULTS_PUSH _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Woverride-init\"")
#define KTSTR_DEFAULTS_POP _Pragma("GCC diagnostic pop")

#define KTSTR_TEST(tname, ...)                                                   \
	static int ktstr_fn_##tname(struct ktstr_ctx *ctx);                      \
	KTSTR_DEFAULTS_PUSH                                                      \
	static const struct ktstr_test ktstr_def_##tname = {                     \
		.name = #tname, .fn = ktstr_fn_##tname, .auto_repro = true, __VA_ARGS__ }; \
	KTSTR_DEFAULTS_POP                                                       \
	__attribute__((used, section("ktstr_tests"))) static const struct ktstr_test \
		*const ktstr_reg_##tname = &ktstr_def_##tname;                   \
	static int ktstr_fn_##tname(struct ktstr_ctx *ctx)

/* Canned scenarios: like tests, but registered apart (section
 * "ktstr_scenarios") and run by name with `ktstr scenario`, under any
 * scheduler given on the command line. */
#define KTSTR_SCENARIO(tname, ...)                                               \
	static int ktstr_sfn_##tname(struct ktstr_ctx *ctx);                     \
	KTSTR_DEFAULTS_PUSH                                                      \
	static const struct ktstr_test ktstr_sdef_##tname = {                    \
		.name = #tname, .fn = ktstr_sfn_##tname, .auto_repro = true, __VA_ARGS__ }; \
	KTSTR_DEFAULTS_POP                                                       \
	__attribute__((used, section("ktstr_scenarios"))) static const struct ktstr_test \
		*const ktstr_sreg_##tname = &ktstr_sdef_##tname;                 \
	static int ktstr_sfn_##tname(struct ktstr_ctx *ctx)

/* NUMA memory policy of a cgroup's workers (reference §2.8), applied by
 * each worker with set_mempolicy() before its work loop allocates.  Node
 * set policies take `mem_nodes` ("0", "0-1", ...); PREFERRED takes exactly
 * one node; DEFAULT and LOCAL take none. */
enum ktstr_mempolicy {
	KTSTR_MPOL_DEFAULT = 0,      /* no syscall */
	KTSTR_MPOL_BIND,             /* MPOL_BIND */
	KTSTR_MPOL_PREFERRED,        /* MPOL_PREFERRED, one node */
	KTSTR_MPOL_INTERLEAVE,       /* MPOL_INTERLEAVE */
	KTSTR_MPOL_LOCAL,            /* MPOL_LOCAL */
	KTSTR_MPOL_PREFERRED_MANY,   /* MPOL_PREFERRED_MANY (mode 5) */
	KTSTR_MPOL_WEIGHTED_INTERLEAVE, /* MPOL_WEIGHTED_INTERLEAVE (mode 6, kernel >= 6.9) */
};
/* Mode flags, the kernel's values. */
#define KTSTR_MPOL_F_STATIC_NODES (1u << 15)
#define KTSTR_MPOL_F_RELATIVE_NODES (1u << 14)
#define KTSTR_MPOL_F_NUMA_BALANCING (1u << 13)

/* A cgroup and its workers.  The work type and its parameters are
 * described in include/ktstr/work.h. */
struct ktstr_cgroup_def {
	const char *name;    /* cgroup under /sys/fs/cgroup/ktstr; NULL ends a list */
	unsigned workers;    /* 0: the test's workers_per_cgroup */
	const char *cpuset;  /* cpulist for cpuset.cpus, NULL: inherit */
	enum ktstr_work work; /* default KTSTR_WORK_SPIN (CpuSpin) */
	const char *work_args; /* "key=value,..." for the type's parameters; NULL: defaults */
	const struct ktstr_work_phase *sequence; /* KTSTR_WORK_SEQUENCE: phases, ending with END */
	ktstr_work_custom_fn custom;             /* KTSTR_WORK_CUSTOM: the loop */
	void *custom_arg;
	enum ktstr_mempolicy mem_policy;         /* default: KTSTR_MPOL_DEFAULT */
	const char *mem_nodes;                   /* node list for the node-set policies */
	unsigned mpol_flags;                     /* KTSTR_MPOL_F_* */
	unsigned cpu_weight;                     /* cpu.weight 1..10000 (needs the cpu controller); 0: the default */
};

/* Per-worker telemetry, filled by the worker itself (reference
 * WorkerReport); the parent adds exit information for workers that did
 * not finish.  Times are nanoseconds. */
struct ktstr_worker_report {
	pid_t pid;              /* the reference's tid (workers are single-threaded) */
	unsigned cgroup;        /* index into the def list */
	enum ktstr_work work;
	uint64_t work_units;    /* the type's unit of work (docs/checks.md) */
	uint64_t iterations;    /* outer-loop iterations, published live */
	uint64_t cpu_time_ns;   /* CLOCK_THREAD_CPUTIME_ID over the loop */
	uint64_t wall_time_ns;  /* loop start (after setup) to loop end */
	uint64_t off_cpu_ns;    /* wall - cpu, saturating */
	uint64_t max_gap_ns;    /* longest interval between checkpoints */
	uint64_t max_gap_at_ns; /* when it ended, since start */
	int max_gap_cpu;        /* the CPU before the gap */
	uint64_t migrations;    /* checkpoints where sched_getcpu() changed */
	struct ktstr_cpumask cpus_used;
	unsigned nmigration_log; /* entries in migration_log (first ones) */
	struct ktstr_migration migration_log[KTSTR_MIGRATION_LOG];
	/* Wake latencies: a reservoir sample of blocking-call durations. */
	const uint64_t *wake_samples; /* nwake entries */
	uint32_t nwake;
	uint64_t wake_total;    /* samples observed, including those dropped */
	/* /proc/self/schedstat deltas (0 when unavailable). */
	uint64_t run_delay_ns, run_count, sched_cpu_time_ns;
	/* sched_getscheduler() at the loop's end (SCHED_OTHER 0, SCHED_IDLE 5,
	 * ...).  SCHED_IDLE workers run only in what other tasks leave: they
	 * are reported but not judged for starvation, spread or gaps. */
	int sched_policy;
	/* Pages per NUMA node from /proc/self/numa_maps at the loop's end. */
	uint64_t numa_pages[KTSTR_REPORT_NODES];
	uint64_t numa_pages_migrated; /* /proc/vmstat delta (system-wide) */
	bool completed;         /* the loop ended because it was told to */
	bool is_messenger;      /* FutexFanOut/FanOutCompute messenger */
	/* Set by the parent for workers that did not complete. */
	int exit_code;          /* -1: not exited normally */
	int exit_signal;        /* 0: none */
	bool timed_out;         /* had to be killed after the 5 s stop deadline */
};

struct ktstr_workload;

/* Creates the cgroups, forks the workers (they start together), runs for
 * the test's duration, stops and reaps them and checks them.  Returns 0
 * (verdict recorded in ctx) or -errno on an infrastructure error. */
KTSTR_API int ktstr_run_cgroups(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs);

/* The same in pieces, for tests that act on workers while they run. */
KTSTR_API int ktstr_workload_start(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs,
				   struct ktstr_workload **out);
/* The same, but the workers (forked, in their cgroups, ready) wait until
 * ktstr_workload_go(): act on them before they do any work (e.g. SIGSTOP
 * one).  Until go the scenario clock has not started. */
KTSTR_API int ktstr_workload_start_held(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs,
					struct ktstr_workload **out);
KTSTR_API void ktstr_workload_go(struct ktstr_workload *w);
KTSTR_API size_t ktstr_workload_nworkers(const struct ktstr_workload *w);
KTSTR_API pid_t ktstr_workload_pid(const struct ktstr_workload *w, size_t i);
/* Stops, reaps, checks, frees. */
KTSTR_API int ktstr_workload_finish(struct ktstr_ctx *ctx, struct ktstr_workload *w);

/* Context accessors. */
KTSTR_API const struct ktstr_topo *ktstr_ctx_topo(const struct ktstr_ctx *ctx);
KTSTR_API const struct ktstr_test *ktstr_ctx_test(const struct ktstr_ctx *ctx);
KTSTR_API unsigned ktstr_ctx_duration_ms(const struct ktstr_ctx *ctx);
KTSTR_API void ktstr_sleep_ms(unsigned ms);

/* Record a failure (the test FAILs) or a skip. */
KTSTR_API void ktstr_fail(struct ktstr_ctx *ctx, enum ktstr_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
KTSTR_API void ktstr_skip(struct ktstr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
KTSTR_API void ktstr_log(struct ktstr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nested rig (docs/vmm.md).  Inside the L1 of a .nested test: boot an L2
 * with ktstr's own KVM VMM (--vmm kvm) running registered test `test` on
 * `topo` ("1n2l2c1t"; NULL: the test's own), judge it as the host runner
 * would and return the verdict.  Returns 0 when the L2 ran (whatever its
 * verdict), -errno when it could not be started. */
struct ktstr_nested_result {
	int verdict;          /* 0 pass, 1 fail, 2 skip, 3 infrastructure error */
	int exit;             /* how the L2 ended (vm_exit: 1 poweroff, 2 reset, 3 panic, 4 timeout, 5 crash) */
	char exit_name[24];
	double wall_s, boot_s; /* L2 launch to exit / to its init */
	char reason[512];
	char hvc0[2048];      /* the start of what the L2 wrote on /dev/hvc0 (NUL-terminated) */
	/* The host monitor, run in L1 beside the L2 as the host runner runs
	 * it (needs /nested/vmlinux in L1): whether it ran, found the
	 * kernel, how many samples it took and judged, and its cross-check
	 * of the guest's own readings; mon_note says why it did not run. */
	bool mon_ran, mon_located;
	unsigned mon_samples, mon_judged, mon_nr_readings, mon_nr_agree, mon_kernel_readings, mon_kernel_bad;
	unsigned mon_nr_matched; /* nr_running readings between two samples */
	char mon_note[160];
};
KTSTR_API int ktstr_nested_run(struct ktstr_ctx *ctx, const char *test, const char *topo, unsigned timeout_s,
			       struct ktstr_nested_result *out);
/* The same with devices for the L2: virtio-blk disks backed by files in
 * L1 (the L2's /dev/vda, /dev/vdb), and bytes typed into its virtio
 * console /dev/hvc0. */
struct ktstr_nested_opts {
	const char *disk[2];  /* NULL: none */
	bool disk_ro[2];
	const char *hvc0_input; /* NULL: none */
};
KTSTR_API int ktstr_nested_run_opts(struct ktstr_ctx *ctx, const char *test, const char *topo, unsigned timeout_s,
				    const struct ktstr_nested_opts *opts, struct ktstr_nested_result *out);
/* True inside an L2 booted by ktstr_nested_run(). */
KTSTR_API bool ktstr_nested_l2(void);

/* Scenario events, sent to the host on the shared-memory ring with the
 * time they happened (the host lines them up with its own samples). */
enum ktstr_stim { KTSTR_STIM_STEP = 1, KTSTR_STIM_OP = 2 };
KTSTR_API void ktstr_stimulus(struct ktstr_ctx *ctx, unsigned step, enum ktstr_stim kind, uint64_t iterations);

/* Readings of the guest's own view for the host monitor's cross-check
 * (docs/monitor.md), sent on the ring.  KTSTR_PROBE_NR_RUNNING: every
 * CPU's nr_running with its rq clock (/sys/kernel/debug/sched/debug);
 * KTSTR_PROBE_KERNEL: _text (/proc/kallsyms), the kernel's physical load
 * address (/proc/iomem) and ioremap mappings (/proc/vmallocinfo).  The
 * monitor fails the test if its own reading disagrees.  Returns the
 * number of readings sent, or -errno.  Beware: 6.12.y kernels with the
 * zero_vruntime rework but without the sched/debug locking fix crash in
 * pick_task_fair() when that file is read under load; ktstr's own kernel
 * carries the fix (kernel/ktstr-fixes.patch, docs/monitor.md). */
#define KTSTR_PROBE_NR_RUNNING 1u
#define KTSTR_PROBE_KERNEL 2u
KTSTR_API int ktstr_monitor_probe(struct ktstr_ctx *ctx, unsigned what);

/* libktstr's main(): tests binaries need not define one. */
KTSTR_API int ktstr_main(int argc, char **argv);

#endif
