/* The monitor's verdict in a test's judgement (see judge_mon.h). */
#include "runner/judge_mon.h"

#include <stdio.h>
#include <string.h>

static const char *match(const struct ktstr_test *t, const struct kt_mon_verdict *v)
{
	if (!t->expect_fail)
		return NULL;
	for (unsigned i = 0; i < v->nfail; i++)
		if (!t->expect_reason || strstr(v->fail[i].msg, t->expect_reason) || !strcmp(t->expect_reason, "monitor"))
			return v->fail[i].msg;
	return NULL;
}

static void lines(struct kbuf *r, const struct kt_mon_verdict *v)
{
	for (unsigned i = 0; i < v->nfail; i++)
		kt_kbuf_printf(r, "  [monitor] %s\n", v->fail[i].msg);
}

void kt_judge_monitor(const struct ktstr_test *t, const char *name, const struct kt_mon_verdict *v,
		      struct kt_outcome *o)
{
	const char *m;

	if (!v || v->ok || !v->nfail || o->verdict == KT_SKIP || o->verdict == KT_ERROR)
		return;
	m = match(t, v);
	if (m && (o->verdict == KT_FAIL || !strstr(o->reason, "expected failure seen"))) {
		/* The negative test's expected failure, seen by the monitor. */
		o->verdict = KT_PASS;
		snprintf(o->reason, sizeof(o->reason), "expected failure seen: monitor: %.900s", m);
		o->report.len = 0;
		if (o->report.data)
			o->report.data[0] = '\0';
		return;
	}
	if (o->verdict == KT_PASS && t->expect_fail)
		return; /* expected failure already seen in the guest */
	if (o->verdict == KT_PASS) {
		o->verdict = KT_FAIL;
		snprintf(o->reason, sizeof(o->reason), "monitor: %.900s%s", v->fail[0].msg,
			 v->nfail > 1 ? " (and more)" : "");
		kt_kbuf_printf(&o->report, "ktstr_test '%s' topo=%s failed (host monitor):\n", name, o->topo);
	}
	lines(&o->report, v);
}
