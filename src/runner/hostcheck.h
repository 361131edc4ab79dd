/* Host starvation or scheduler stall? (docs/checks.md)  When a failed
 * run's reason is time a task did not get — the kernel ejecting the
 * scheduler for a stall, a worker's gap, the monitor's stall check — the
 * host looks at how much CPU the VM's vCPU threads got over that window
 * (their schedstat, sampled by the monitor).  Kept off the host's CPUs
 * for most of the time they wanted, the VM could not have run the task:
 * an infrastructure error (retried), not a scheduler failure. */
#ifndef KTSTR_RUNNER_HOSTCHECK_H
#define KTSTR_RUNNER_HOSTCHECK_H
#include "runner/runner.h"

/* A stretch of host time (ns since launch) a failure is about. */
struct kt_fail_window {
	uint64_t t0, t1;
	char what[160];
};
#define KT_FAIL_WINDOWS 8

/* Pure: the windows of a failed run's reasons.  The kernel's "failed to
 * run for N s" / "failed to check in for N s" end at t_exit (the
 * scheduler's exit as the host saw it; 0: unknown), a worker's "stuck N
 * ms ... at +T ms" ends at t_scen + T, a monitor stall at its report.
 * Guest text is parsed with bounds (at most an hour). */
size_t kt_fail_windows(const struct kt_result *r, uint64_t t_scen, uint64_t t_exit, const struct kt_mon_verdict *v,
		       struct kt_fail_window *out, size_t max);

/* Pure: the host starved the vCPUs of s over a window — they got under
 * 10 % of it, waited for a host CPU at least half of it and at least 80 %
 * of the time they wanted one, or they were running guest tasks for at
 * least 30 % of it yet got under 10 % of that time (a stopped or
 * swapped-out VMM).  kt_host_check() asks it of all vCPUs, then of each. */
bool kt_host_starved(const struct kt_vcpu_share *s);

/* After judging a VM run: for a FAIL whose reason has a window, make it
 * an infrastructure error when the host starved the VM then; otherwise
 * say how much the vCPUs ran (a line in out->mon_summary either way). */
void kt_host_check(struct kt_monitor *mon, struct kt_outcome *out);

#endif
