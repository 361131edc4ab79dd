/* Retrying a failed case: see core/retry.h. */
#include "runner/retry.h"

#include <stdio.h>
#include <string.h>

static bool failed_verdict(enum kt_verdict v)
{
	return v == KT_FAIL || v == KT_ERROR;
}

void kt_run_attempts(const struct kt_attempt_ops *ops, unsigned retries, struct kt_outcome *out)
{
	char first[sizeof(out->first_failure)] = "";
	struct kbuf first_report = { 0 };
	unsigned attempt;

	for (attempt = 1;; attempt++) {
		memset(out, 0, sizeof(*out));
		ops->run(ops->arg, out);
		if (!failed_verdict(out->verdict) || attempt > retries || (ops->stop && ops->stop(ops->arg)))
			break;
		if (!first[0]) {
			snprintf(first, sizeof(first), "%.*s", (int)sizeof(first) - 1,
				 out->reason[0] ? out->reason : "failed (no reason given)");
			first_report = out->report; /* kept: what a flaky pass hides */
			out->report = (struct kbuf){ 0 };
		}
		if (ops->retrying)
			ops->retrying(ops->arg, attempt, retries + 1, out);
		kt_outcome_release(out);
	}
	out->attempts = attempt;
	if (out->verdict == KT_PASS && first[0]) {
		snprintf(out->first_failure, sizeof(out->first_failure), "%s", first);
		out->first_report = first_report;
	} else {
		kt_kbuf_free(&first_report);
	}
}
