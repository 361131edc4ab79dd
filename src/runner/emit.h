/* The one place KTAP lines, failure reports and the summary are printed
 * (host pool, nested rig, bare metal).  Guest text is untrusted: every
 * string from a run passes the sanitiser of util/text.h before it reaches
 * stdout, so a reason cannot forge a KTAP line or drive the terminal. */
#ifndef KTSTR_RUNNER_EMIT_H
#define KTSTR_RUNNER_EMIT_H
#include <stdio.h>
#include "runner/runner.h"
#include "util/text.h"

struct kt_tally {
	unsigned passed, failed, skipped, flaky;
};

/* "KTAP version 1", the header comment and the plan line. */
void kt_emit_begin(FILE *f, const char *header, size_t n);
/* One case's line: "ok N NAME # topo=... sched=... ACCEL wall=..." (and
 * boot/overhead for a VM run), " # SKIP reason" for a skip; prefix (may
 * be "") goes before it (the nested rig prints "nested: L2 "). */
void kt_emit_case(FILE *f, const char *prefix, unsigned num, const char *name, const char *sched,
		  const struct kt_outcome *o);
/* Count an outcome. */
void kt_tally_add(struct kt_tally *t, const struct kt_outcome *o);
/* A case's failure report (and a flaky case's first failed attempt),
 * each line cleaned. */
void kt_emit_report(FILE *f, const char *name, const struct kt_outcome *o);
/* "N passed, N failed[, N skipped][, N flaky]". */
void kt_emit_summary(FILE *f, const struct kt_tally *t);

#endif
