/* KTAP lines, reports and the summary (runner/emit.h). */
#include "runner/emit.h"
#include "util/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void kt_emit_begin(FILE *f, const char *header, size_t n)
{
	char h[512];

	kt_line_clean(header, h, sizeof(h));
	fprintf(f, "KTAP version 1\n# %s\n1..%zu\n", h, n);
	fflush(f);
}

void kt_emit_case(FILE *f, const char *prefix, unsigned num, const char *name, const char *sched,
		  const struct kt_outcome *o)
{
	const char *ok = o->verdict == KT_PASS || o->verdict == KT_SKIP ? "ok" : "not ok";
	char reason[sizeof(o->reason) * 2], first[sizeof(o->first_failure) * 2], nm[256];

	kt_line_clean(o->reason, reason, sizeof(reason));
	kt_line_clean(o->first_failure, first, sizeof(first));
	kt_line_clean(name, nm, sizeof(nm));
	fprintf(f, "%s%s %u %s", prefix, ok, num, nm);
	if (o->verdict == KT_SKIP) {
		fprintf(f, " # SKIP %s", reason);
	} else {
		fprintf(f, " # topo=%s sched=%s %s wall=%.1fs", o->topo, sched, o->accel[0] ? o->accel : "-", o->wall_s);
		if (o->ran_vm)
			fprintf(f, " boot=%.2fs overhead=%.1fs", o->boot_s, o->wall_s - o->duration_ms / 1000.0);
		if (reason[0])
			fprintf(f, " — %s", reason);
	}
	if (o->attempts > 1 && (o->verdict == KT_FAIL || o->verdict == KT_ERROR))
		fprintf(f, " (failed all %u attempts)", o->attempts);
	if (o->verdict == KT_PASS && o->first_failure[0])
		fprintf(f, " flaky: passed on attempt %u (first failure: %s)", o->attempts, first);
	fprintf(f, "\n");
	fflush(f);
}

void kt_tally_add(struct kt_tally *t, const struct kt_outcome *o)
{
	if (o->verdict == KT_PASS)
		t->passed++;
	else if (o->verdict == KT_SKIP)
		t->skipped++;
	else
		t->failed++;
	if (o->verdict == KT_PASS && o->first_failure[0])
		t->flaky++;
}

static void print_clean(FILE *f, const struct kbuf *b)
{
	struct kbuf c = { 0 };

	if (!b->len)
		return;
	if (!kt_text_clean(b->data, b->len, KT_TEXT_TERM, &c) && c.data)
		fwrite(c.data, 1, c.len, f);
	kt_kbuf_free(&c);
}

void kt_emit_report(FILE *f, const char *name, const struct kt_outcome *o)
{
	char nm[256];

	if (o->report.len) {
		fprintf(f, "\n");
		print_clean(f, &o->report);
	}
	if (o->verdict == KT_PASS && o->first_report.len) { /* flaky: what its failed attempt said */
		kt_line_clean(name, nm, sizeof(nm));
		fprintf(f, "\n# %s passed on attempt %u; its first attempt failed:\n", nm, o->attempts);
		print_clean(f, &o->first_report);
	}
	fflush(f);
}

void kt_emit_summary(FILE *f, const struct kt_tally *t)
{
	fprintf(f, "%u passed, %u failed", t->passed, t->failed);
	if (t->skipped)
		fprintf(f, ", %u skipped", t->skipped);
	if (t->flaky)
		fprintf(f, ", %u flaky", t->flaky);
	fprintf(f, "\n");
	fflush(f);
}
