/* The host monitor's verdict joins a test's judgement (after kt_judge). */
#ifndef KTSTR_CORE_JUDGE_MON_H
#define KTSTR_CORE_JUDGE_MON_H
#include "runner/runner.h"
#include "monitor/mcheck.h"

/* Pure.  A passing test with monitor failures FAILs with reason
 * "monitor: <first failure>"; an expect_fail test whose expect_reason a
 * monitor failure contains PASSes ("expected failure seen: monitor:
 * ..."); a failing test keeps its reason and gets the monitor's lines in
 * its report. */
void kt_judge_monitor(const struct ktstr_test *t, const char *name, const struct kt_mon_verdict *v,
		      struct kt_outcome *o);

#endif
