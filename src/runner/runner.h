/* Host side: run registered tests, one VM each (or on this host), in
 * parallel; judge the results; print KTAP lines, failure reports and the
 * summary.  One case's execution is runner/exec.h. */
#ifndef KTSTR_RUNNER_H
#define KTSTR_RUNNER_H
#include <ktstr/ktstr.h>
#include "proto/result.h"
#include "vm/backend.h"
#include "monitor/monitor.h"
#include "runner/watchdog.h"

/* One VM run: a test, under a scheduler (or EEVDF), with one flag
 * profile.  Named "test" or "test/profile". */
struct kt_case {
	const struct ktstr_test *t;
	const struct ktstr_scheduler *sched; /* NULL: EEVDF */
	char name[192];
	char flag_args[512];
	/* Gauntlet variant: its own topology and memory (0: the test's). */
	bool have_topo;
	struct ktstr_topo topo;
	unsigned memory_mb;
	const char *preset;                  /* preset name, NULL: none */
};

/* The topology case c runs on: --topo, else the variant's, else the
 * test's own (with defaults). */
void kt_case_topo(const struct kt_case *c, bool have_override, const struct ktstr_topo *override,
		  struct ktstr_topo *out);

/* Expand tests into cases (flag profiles of their scheduler; override,
 * if given, replaces every test's scheduler).  Bad flag declarations are
 * reported (kt_err) and give -EINVAL. */
int kt_expand_cases(const struct ktstr_test *const *tests, size_t n, const struct ktstr_scheduler *override,
		    struct kt_case **out, size_t *nout);

struct kt_outcome;
struct kt_repro;
struct kt_run_opts {
	const char *kernel;     /* --kernel PATH|KEY (NULL: resolve) */
	enum vm_vmm vmm;
	unsigned jobs;
	bool have_topo;         /* --topo given */
	struct ktstr_topo topo;
	unsigned duration_s;    /* --duration (0: the test's) */
	unsigned duration_ms;   /* the same in ms (bare metal takes fractions); wins when set */
	unsigned timeout_s;     /* --timeout (0: derived) */
	unsigned memory_mb;     /* --memory (0: the test's) */
	bool verbose;
	const char *junit;      /* --junit FILE (NULL: none) */
	const char *out_dir;    /* --out DIR: a JSON sidecar per case */
	bool no_progress;       /* --no-progress */
	bool no_monitor;        /* --no-monitor: no host-side monitor */
	unsigned monitor_interval_ms; /* --monitor-interval MS (0: the test's) */
	/* --watchdog-timeout S: the sched_ext watchdog of every case under
	 * a sched_ext scheduler (0: each scheduler's own). */
	bool have_watchdog_timeout;
	unsigned watchdog_timeout_s;
	/* --retries N: a failed (or errored) case is run again, up to N more
	 * times; one that then passes is reported as flaky, with the first
	 * failure's reason.  0: every case runs once. */
	unsigned retries;
	/* Called (under the pool lock) as each case ends, e.g. to record
	 * its measured cost (src/gauntlet); NULL: none. */
	void (*case_done)(void *arg, const struct kt_case *c, const struct kt_outcome *out);
	void *case_done_arg;
	/* Bare metal (`ktstr run`): every case runs on this host under its
	 * active scheduler, one at a time, no kernel or VM. */
	bool local;
	/* Auto-repro (docs/auto-repro.md): --no-auto-repro; --repro with
	 * --probe-stack LIST (probes from the start, no first failure). */
	bool no_auto_repro;
	const char *probe_stack;
	/* --perf-mode: every case in performance mode (docs/performance.md);
	 * --cpu-cap N: at most N host CPUs per VM (0: no cap). */
	bool perf_mode;
	unsigned cpu_cap;
	/* --restore (or KTSTR_RESTORE=1): restore a snapshot of a guest
	 * parked at init instead of booting (docs/performance.md). */
	bool restore;
};

enum kt_verdict { KT_PASS, KT_FAIL, KT_SKIP, KT_ERROR };

struct kt_outcome {
	enum kt_verdict verdict;
	char reason[1024];      /* first line for the KTAP line */
	struct kt_result result;
	bool have_result;
	enum vm_exit exit;
	bool ran_vm;            /* a VM ran (boot_s and the exit mean something) */
	int start_err;          /* -errno: the VM could not be started (KT_ERROR) */
	double wall_s, boot_s;  /* boot: launch to KTSTR_INIT_STARTED */
	unsigned duration_ms;
	char topo[32];
	char accel[16];
	struct kbuf report;     /* full failure report */
	char guest_crash[256];  /* set by the caller from a CRSH message */
	/* Kept for --out/--junit (report_out.c), freed after reporting. */
	char vmm[16];
	struct kbuf guest_json; /* the guest's result JSON, as received */
	struct kbuf com1_tail, com2_tail;
	struct kbuf com1;         /* a failed run's whole kept COM1 (kt_report_compose), empty: none */
	struct kbuf monitor_json; /* the sidecar's "monitor" object, empty: none */
	struct kbuf bpf_json;     /* the sidecar's "bpf" object (runner/bpf_run.h), empty: none */
	unsigned attempts;        /* VM runs this verdict took (1 + retries used) */
	char first_failure[512];  /* the first failed attempt's reason, "": none */
	struct kbuf first_report; /* and its failure report (flaky cases) */
	bool have_mon;            /* the host monitor ran: its summary */
	struct kt_mon_summary mon;
	struct kbuf hvc0;         /* the guest's virtio console (nested L2s), bounded */
	struct kt_repro *repro;   /* auto-repro (runner/repro.h), NULL: none */
	/* Payload runs (PMET messages, proto/pmet.h) as sidecar keys:
	 * {"payloads": [...], "payload_messages_refused": N}; empty: none. */
	struct kbuf payloads_json;
	struct kt_wd_obs wd;      /* the sched_ext watchdog: decided, written, read back */
	/* What a failure report explains a run with (kt_report_compose):
	 * the monitor's one-line summary and timeline of phases, and the
	 * kernel's sched_ext dump the guest forwarded (bounded, guest text). */
	struct kbuf mon_summary, mon_timeline, scx_dump;
};

/* The failure report's sections beyond the guest's own (NULL members:
 * "(none)"). */
struct kt_report_extra {
	const struct kt_mon_verdict *mon;
	const struct kbuf *mon_summary, *timeline, *dump;
};

/* Frees an outcome's buffers (the struct itself is the caller's). */
void kt_outcome_release(struct kt_outcome *o);

/* What a run came to. */
struct kt_run_summary {
	unsigned passed, failed, skipped, flaky;
	size_t not_run;         /* interrupted before they started */
	bool interrupted;
	int signal;             /* the signal that interrupted it (SIGINT, SIGTERM, SIGHUP) */
	bool output_failed;     /* --junit/--out could not be written */
};

/* Runs the cases (kernel, initramfs and schedulers resolved first),
 * printing KTAP, reports and the summary.  0 when the run happened (its
 * verdicts in *sum); -EINVAL for bad input (said why, nothing ran);
 * another -errno when the run could not be set up.  SIGINT, SIGTERM and
 * SIGHUP are handled from the start (kt_signals_install): at any point
 * the run stops, its VMs and child processes are stopped and reaped, no
 * temporary file stays and outputs are whole; it returns 0 with
 * sum->interrupted and sum->signal set. */
int kt_run_tests(const struct kt_case *cases, size_t n, const struct kt_run_opts *o, struct kt_run_summary *sum);

/* Pure: judge one VM run (exposed for unit tests). */
struct kt_com2;
/* c2: COM2 as it was read (proto/com2.h); finished here. */
void kt_judge(const struct ktstr_test *t, const char *name, const struct ktstr_topo *topo, const struct vm_result *vr,
	      struct kt_com2 *c2, const char *ring_json, size_t ring_len, struct kt_outcome *out);
/* Pure: (re)write o->report for a failed VM run, in order: header, the
 * verdict reason, the failure details and worker stats, then with x the
 * `--- monitor ---` summary and failures, `--- timeline ---`, `--- sched_ext
 * dump ---`, then the scheduler log, guest output and kernel log tails.
 * kt_judge() writes it without x. */
void kt_report_compose(const char *name, const struct vm_result *vr, const struct kt_com2 *c2,
		       const struct kt_report_extra *x, struct kt_outcome *o);
/* Pure: judge a run on this host from the result its child left. */
void kt_judge_local(const struct ktstr_test *t, const char *name, const struct ktstr_topo *topo,
		    const struct kt_result *r, struct kt_outcome *out);

#endif
