/* Auto-repro, host side (docs/auto-repro.md): when a case fails under a
 * sched_ext scheduler, take the function names off its consoles, run it
 * again (kt_case_resolve'd case, kt_case_exec) with the probe list, and
 * append what the probes saw as the report's `--- auto-repro ---`
 * section (also in the JSON sidecar and the HTML report). */
#ifndef KTSTR_RUNNER_REPRO_H
#define KTSTR_RUNNER_REPRO_H
#include "runner/exec.h"
#include "probe/probe.h"

#define KT_REPRO_TAIL_LINES 40

/* Kept on an outcome (kt_outcome.repro), freed with it. */
struct kt_repro {
	struct kt_probe_names names; /* off the failed run's consoles */
	/* The probe run (kt_case_exec with a probe list): */
	struct kbuf probe_json;      /* the guest's report (untrusted) */
	struct kbuf sched_tail, dump_tail, kmsg_tail; /* last 40 lines each */
	/* The rendered section, and its status word for the sidecar. */
	struct kbuf section;
	char status[32];
	bool host;                   /* probed on this host (`ktstr run --repro`), not a VM */
};

/* Pure: does this failed outcome get a second VM?  A sched_ext
 * scheduler, auto_repro on, not expect_fail, a FAIL verdict from a VM
 * that ran (not an interrupt or an infrastructure error). */
bool kt_repro_wanted(const struct kt_case *c, const struct kt_outcome *out, bool disabled);

/* In kt_case_exec, before the VM result is freed: the first run keeps
 * the names off its consoles (scheduler log, COM1 stack traces and
 * sched_ext_dump lines); a probe run keeps the probe report and the
 * console tails.  com2: the COM2 reader (its scheduler-log capture);
 * probe_json: the KT_MSG_REPRO_PROBE payload, NULL: none. */
struct kt_com2;
void kt_repro_observe(const struct kt_resolved *r, const struct vm_result *vr, const struct kt_com2 *com2,
		      const struct kbuf *probe_json, struct kt_outcome *out);

/* If kt_repro_wanted: print a progress line, run the case again with
 * the probes and append the section to out->report.  Called by the pool
 * after the case's attempts.  A case that ran with probes from the start
 * (--repro: r->probe set) gets its section, pass or fail. */
void kt_repro_after(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out,
		    bool disabled);

void kt_repro_free(struct kt_repro *x);

/* Pure (repro_render.c): render a probe run into the section text.
 * json: the guest's report (NULL/empty: none came); vmlinux: for
 * file:line of kernel functions (NULL: none); wall_s, exit: the probe
 * VM's (x->host: the host run's; exit unused).  Sets status
 * ("reproduced", "did_not_reproduce", "attach_failed", "timed_out",
 * "crashed", "no_report"; a host run: "no_exit_seen" for not
 * triggered). */
void kt_repro_render(const struct kt_repro *x, const char *vmlinux, double wall_s, enum vm_exit exit,
		     struct kbuf *out, char *status, size_t slen);

/* kline.c: "file:line" of a kernel function from the vmlinux's DWARF
 * (libdw); -ENOENT when not found. */
int kt_kline(const char *vmlinux, const char *func, char *buf, size_t len);

#endif
