#include "unit.h"
#include "runner/retry.h"

#include <stdio.h>
#include <string.h>

/* A scripted case: verdicts[i] is attempt i+1's verdict. */
struct script {
	const enum kt_verdict *verdicts;
	unsigned n, runs, retried, stop_after;
	unsigned last_attempt, last_max;
};

static void run(void *arg, struct kt_outcome *out)
{
	struct script *s = arg;
	enum kt_verdict v = s->verdicts[s->runs < s->n ? s->runs : s->n - 1];

	CHECK_EQ_INT(out->verdict, 0); /* zeroed before every attempt */
	CHECK(!out->reason[0]);
	out->verdict = v;
	s->runs++;
	if (v != KT_PASS)
		snprintf(out->reason, sizeof(out->reason), "reason %u", s->runs);
	kt_kbuf_append(&out->report, "x", 1); /* freed between attempts (ASan) */
}

static void retrying(void *arg, unsigned attempt, unsigned max, const struct kt_outcome *out)
{
	struct script *s = arg;

	s->retried++;
	s->last_attempt = attempt;
	s->last_max = max;
	CHECK(out->verdict == KT_FAIL || out->verdict == KT_ERROR);
}

static bool stop(void *arg)
{
	struct script *s = arg;

	return s->stop_after && s->runs >= s->stop_after;
}

static void attempts(struct script *s, unsigned retries, struct kt_outcome *out)
{
	const struct kt_attempt_ops ops = { run, retrying, stop, s };

	kt_run_attempts(&ops, retries, out);
}

UNIT_TEST(retry_pass_first_time)
{
	static const enum kt_verdict v[] = { KT_PASS };
	struct script s = { v, 1, 0, 0, 0, 0, 0 };
	struct kt_outcome out;

	attempts(&s, 3, &out);
	CHECK_EQ_INT(s.runs, 1);
	CHECK_EQ_INT(s.retried, 0);
	CHECK_EQ_INT(out.verdict, KT_PASS);
	CHECK_EQ_INT(out.attempts, 1);
	CHECK(!out.first_failure[0]);
	kt_outcome_release(&out);
}

UNIT_TEST(retry_flaky_keeps_first_failure)
{
	static const enum kt_verdict v[] = { KT_FAIL, KT_ERROR, KT_PASS };
	struct script s = { v, 3, 0, 0, 0, 0, 0 };
	struct kt_outcome out;

	attempts(&s, 5, &out);
	CHECK_EQ_INT(s.runs, 3);
	CHECK_EQ_INT(s.retried, 2);
	CHECK_EQ_INT(s.last_attempt, 2);
	CHECK_EQ_INT(s.last_max, 6);
	CHECK_EQ_INT(out.verdict, KT_PASS);
	CHECK_EQ_INT(out.attempts, 3);
	CHECK_EQ_STR(out.first_failure, "reason 1");
	CHECK(out.first_report.len == 1 && out.first_report.data[0] == 'x'); /* attempt 1's report kept */
	kt_outcome_release(&out);
}

/* Every attempt fails: the last one is reported, not as flaky. */
UNIT_TEST(retry_exhausted_reports_last)
{
	static const enum kt_verdict v[] = { KT_FAIL };
	struct script s = { v, 1, 0, 0, 0, 0, 0 };
	struct kt_outcome out;

	attempts(&s, 2, &out);
	CHECK_EQ_INT(s.runs, 3);
	CHECK_EQ_INT(s.retried, 2);
	CHECK_EQ_INT(out.verdict, KT_FAIL);
	CHECK_EQ_INT(out.attempts, 3);
	CHECK_EQ_STR(out.reason, "reason 3");
	CHECK(!out.first_failure[0]);
	kt_outcome_release(&out);
}

/* No retries: one run whatever happens; a skip is never retried. */
UNIT_TEST(retry_none_and_skip)
{
	static const enum kt_verdict f[] = { KT_FAIL, KT_PASS };
	static const enum kt_verdict sk[] = { KT_SKIP, KT_PASS };
	struct script s = { f, 2, 0, 0, 0, 0, 0 }, t = { sk, 2, 0, 0, 0, 0, 0 };
	struct kt_outcome out;

	attempts(&s, 0, &out);
	CHECK_EQ_INT(s.runs, 1);
	CHECK_EQ_INT(out.verdict, KT_FAIL);
	CHECK_EQ_INT(out.attempts, 1);
	kt_outcome_release(&out);
	attempts(&t, 4, &out);
	CHECK_EQ_INT(t.runs, 1);
	CHECK_EQ_INT(out.verdict, KT_SKIP);
	kt_outcome_release(&out);
}

/* An interrupted run stops retrying at once. */
UNIT_TEST(retry_stops_when_interrupted)
{
	static const enum kt_verdict v[] = { KT_FAIL };
	struct script s = { v, 1, 0, 0, 2, 0, 0 };
	struct kt_outcome out;

	attempts(&s, 10, &out);
	CHECK_EQ_INT(s.runs, 2);
	CHECK_EQ_INT(out.verdict, KT_FAIL);
	CHECK_EQ_INT(out.attempts, 2);
	kt_outcome_release(&out);
}
