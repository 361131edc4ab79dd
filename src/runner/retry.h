/* Retrying a failed case (--retries): pure control flow, separate from
 * the VM runner so it is unit-tested without a VM. */
#ifndef KTSTR_RETRY_H
#define KTSTR_RETRY_H
#include "runner/runner.h"

struct kt_attempt_ops {
	/* Runs the case once; fills *out (zeroed before each call). */
	void (*run)(void *arg, struct kt_outcome *out);
	/* Called after a failed attempt that will be retried (may be NULL). */
	void (*retrying)(void *arg, unsigned attempt, unsigned max, const struct kt_outcome *out);
	/* Asked only when a failed attempt could be retried: true refuses
	 * the retry (the run was interrupted, or the run's retry budget is
	 * spent), false commits to it.  May be NULL (always retry). */
	bool (*stop)(void *arg);
	void *arg;
};

/* Runs up to 1 + retries attempts until one passes or skips.  The last
 * attempt's outcome is left in *out with out->attempts set; when a later
 * attempt passed after a failure, out->first_failure holds the first
 * failed attempt's reason (the case was flaky). */
void kt_run_attempts(const struct kt_attempt_ops *ops, unsigned retries, struct kt_outcome *out);

#endif
