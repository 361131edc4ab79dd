/* One case, executed once: the single path from a resolved case to an
 * outcome.  The host pool (runner/pool.c), the nested rig's L1
 * (runner/nested.c) and bare-metal `ktstr run` (runner/local.c) all go
 * through kt_case_resolve() and then kt_case_exec() or
 * kt_case_exec_local().
 *
 *   kt_case_resolve  every default (duration, memory, timeout, topology,
 *                    watchdog) applied once, pure
 *   kt_case_exec     guest command line, VM, ring, control requests
 *                    (stall, stop), watchdog override, monitor, judging */
#ifndef KTSTR_RUNNER_EXEC_H
#define KTSTR_RUNNER_EXEC_H
#include "runner/runner.h"
#include "runner/watchdog.h"
#include "model/defaults.h"

struct kt_layout;

/* Where a case runs. */
enum kt_exec_where {
	KT_EXEC_VM = 0,  /* a VM of its own (QEMU or our own VMM) */
	KT_EXEC_NESTED,  /* an L2 guest booted by a nested rig's L1 */
	KT_EXEC_LOCAL,   /* this host, no VM (`ktstr run`) */
};

/* What a run shares between its cases (set up once per run). */
struct kt_exec_env {
	enum kt_exec_where where;
	const char *kernel;           /* bzImage */
	const char *initrd;           /* the run's initramfs */
	const char *initrd_nested;    /* for .nested cases (the L1s) */
	enum vm_vmm vmm;
	/* Guest path ("sched/NAME") of a case's scheduler binary, NULL: not
	 * available. */
	const char *(*sched_guest)(void *arg, const struct ktstr_scheduler *s);
	void *sched_guest_arg;
	/* The initramfs of a test whose payloads have their own, NULL:
	 * initrd (runner/prepare.c); the callback may be NULL. */
	const char *(*initrd_for)(void *arg, const struct ktstr_test *t);
	void *initrd_for_arg;
	/* sched_ext watchdog override: where its variables are (nokaslr
	 * guest-physical) and the guest's HZ; zeroes: unknown. */
	struct kt_wd_loc wd;
	const struct kt_layout *mon;  /* the kernel as the monitor reads it, NULL: no monitor */
	unsigned monitor_interval_ms; /* 0: the test's */
	bool verbose;                 /* guest consoles to stderr */
	bool capture;                 /* keep consoles and JSON for sidecars/JUnit */
	/* KT_EXEC_NESTED only: the L2's disks and hvc0 input (NULL: none). */
	const struct ktstr_nested_opts *nested;
	/* KT_EXEC_LOCAL only: the host's cgroup2 root and the run's base. */
	const char *cgroup_root, *cgroup_base;
	bool have_cpuset;
	/* --perf-mode (or the test's .perf_mode) and --cpu-cap N (0: none). */
	bool perf_mode;
	unsigned cpu_cap;
	/* --restore: restore instead of boot where the VM allows it. */
	bool restore;
};

/* Run-wide overrides from the command line (0 / false: none). */
struct kt_case_overrides {
	bool have_topo;
	struct ktstr_topo topo;
	unsigned duration_s, memory_mb, timeout_s;
	unsigned duration_ms;   /* wins over duration_s when set (bare metal) */
	unsigned env_timeout_s; /* $KTSTR_VM_TIMEOUT; below --timeout and the test's */
	bool have_watchdog;     /* --watchdog-timeout given (0: the schedulers' own) */
	unsigned watchdog_s;
};

/* A case with every default applied. */
struct kt_resolved {
	const struct kt_case *c;
	struct ktstr_topo topo;
	unsigned duration_ms, memory_mb, timeout_ms;
	/* sched_ext watchdog: the explicit value and where it came from
	 * (model/defaults.h); KT_WD_DEFAULT is scaled when the VM's
	 * accelerator is known.  Only cases with a scheduler use it. */
	unsigned watchdog_s;
	enum kt_wd_source watchdog_src;
	unsigned stall_after_ms;     /* host-requested stall, 0: none */
	const char *probe;           /* auto-repro probe list for the guest, NULL: none */
	const struct ktstr_bpf_map_write *map_write; /* host BPF map write, NULL: none */
};

/* Pure: apply the overrides, the variant's, the test's and the defaults
 * (model/defaults.h).  0, or -EINVAL with err saying why (bad topology,
 * steps that do not fit it, too many NUMA nodes). */
int kt_case_resolve(const struct kt_case *c, const struct kt_case_overrides *ov, enum kt_exec_where where,
		    struct kt_resolved *out, char *err, size_t errlen);

/* Run a resolved case once and judge it into *out (zeroed by the
 * caller).  Never fails: what went wrong is the outcome (KT_ERROR with a
 * reason when the VM could not start). */
void kt_case_exec(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out);
/* The same on this host (env->where == KT_EXEC_LOCAL): the case's body
 * in a forked child under the host's scheduler, its cgroups under
 * env->cgroup_base, removed afterwards. */
void kt_case_exec_local(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out);

/* The guest command line for a resolved case (scheduler, test, topology,
 * duration; the nested marker for an L2), through the one encoder.
 * -ENAMETOOLONG if it does not fit len. */
int kt_case_cmdline(const struct kt_resolved *r, const struct kt_exec_env *env, const char *sched_guest, char *buf,
		    size_t len);

/* The nested rig's L2 initramfs (/init and its libraries, L1's /sched),
 * built once per L1 under /tmp; for ktstr_nested_run() and the boot
 * benchmark (runner/nested.c). */
int kt_nested_initramfs(char *out, size_t len);

#endif
