/* Judging one VM run: find the guest's result (ring first, then the COM2
 * frame), compare the topology, apply expect_fail, explain failures. */
#include "runner/runner.h"
#include "proto/result.h"

#include <stdio.h>
#include <string.h>

/* One line of guest text, indented.  Guest bytes are untrusted: no
 * escape sequences reach the terminal (ESC [ params final-byte is
 * dropped), no control bytes. */
static void put_line(struct kbuf *out, const char *start, size_t l)
{
	kt_kbuf_printf(out, "    ");
	for (size_t i = 0; i < l; i++) {
		unsigned char ch = (unsigned char)start[i];

		if (ch == 0x1b) {
			if (i + 1 < l && start[i + 1] == '[')
				for (i += 2; i < l && !(start[i] >= 0x40 && start[i] <= 0x7e); i++)
					;
			continue;
		}
		if (ch >= 0x20 && ch != 0x7f)
			kt_kbuf_append(out, &start[i], 1);
		else if (ch == '\t')
			kt_kbuf_append(out, " ", 1);
	}
	kt_kbuf_printf(out, "\n");
}

static void put_lines(struct kbuf *out, const char *start, const char *p)
{
	while (start < p) {
		size_t l = strcspn(start, "\n");

		if (l > (size_t)(p - start))
			l = (size_t)(p - start);
		put_line(out, start, l);
		start += l + 1;
	}
}

/* Append the last n lines of a console stream, indented. */
static void tail_lines(struct kbuf *out, const char *title, const struct kbuf *s, int n)
{
	const char *start, *p;
	int lines = 0;

	kt_kbuf_printf(out, "  --- %s (last %d lines) ---\n", title, n);
	if (!s->data || !s->len) {
		kt_kbuf_printf(out, "    (empty)\n");
		return;
	}
	p = s->data + s->len;
	while (p > s->data && (p[-1] == '\n' || p[-1] == '\r'))
		p--;
	start = p;
	while (start > s->data && lines < n) {
		start--;
		if (*start == '\n' && ++lines == n) {
			start++;
			break;
		}
	}
	put_lines(out, start, p);
}

/* The first n lines of s under a title that says how many there are. */
static void head_lines(struct kbuf *out, const char *title, const struct kbuf *s, unsigned n)
{
	const char *p, *end;
	unsigned total = 0, k = 0;

	if (!s || !s->data || !s->len) {
		kt_kbuf_printf(out, "  --- %s ---\n    (none)\n", title);
		return;
	}
	end = s->data + s->len;
	for (p = s->data; p < end; p++)
		total += *p == '\n';
	total += end[-1] != '\n';
	for (p = s->data; p < end && k < n; p++)
		k += *p == '\n';
	kt_kbuf_printf(out, "  --- %s (%u lines%s) ---\n", title, total, total > n ? ", the first shown" : "");
	put_lines(out, s->data, p);
}

/* The scheduler's log as the guest printed it between the markers. */
static void sched_log(struct kbuf *out, const struct kbuf *com2)
{
	const char *b, *e, *p;
	struct kbuf sec = { 0 };

	if (!com2->data)
		return;
	for (b = NULL, p = com2->data; (p = strstr(p, "===SCHED_OUTPUT_START===")); p++)
		b = p;
	if (!b)
		return;
	b += strlen("===SCHED_OUTPUT_START===");
	e = strstr(b, "===SCHED_OUTPUT_END===");
	kt_kbuf_append(&sec, b, e ? (size_t)(e - b) : strlen(b));
	tail_lines(out, "scheduler log", &sec, 25);
	kt_kbuf_free(&sec);
}

/* COM2 without what the report shows elsewhere (scheduler log, result
 * frames), so its tail is the guest's own words. */
static void com2_plain(const struct kbuf *com2, struct kbuf *out)
{
	const char *p = com2->data, *end = com2->data + com2->len;
	bool skip = false;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!strncmp(p, "===SCHED_OUTPUT_START===", 24) || !strncmp(p, KT_FRAME_BEGIN, strlen(KT_FRAME_BEGIN)))
			skip = true;
		if (!skip)
			kt_kbuf_append(out, p, l);
		if (!strncmp(p, "===SCHED_OUTPUT_END===", 22) || !strncmp(p, KT_FRAME_END, strlen(KT_FRAME_END)))
			skip = false;
		p += l;
	}
}

static const char *init_stage(const struct kbuf *com2)
{
	const char *s = com2->data ? com2->data : "";

	if (strstr(s, "KTSTR_PAYLOAD_STARTING"))
		return "the test started but sent no result";
	if (strstr(s, "KTSTR_INIT_STARTED"))
		return "init started but the test never ran";
	return "init never started (kernel or initramfs failure)";
}

static bool has_reason(const struct kt_result *r, const char *want)
{
	for (unsigned i = 0; i < r->ndetails; i++)
		if (r->details[i].kind != KTSTR_K_SKIP &&
		    (!want || strstr(r->details[i].msg, want) || !strcmp(ktstr_kind_name(r->details[i].kind), want)))
			return true;
	return false;
}

static void stats_block(struct kbuf *out, const struct kt_result *r)
{
	kt_kbuf_printf(out, "  --- stats ---\n  %u workers, test body %llu ms\n", r->workers,
		    (unsigned long long)r->elapsed_ms);
	for (unsigned i = 0; i < r->ncg; i++) {
		const struct kt_cgstats *g = &r->cg[i];

		kt_kbuf_printf(out,
			    "    %s: workers=%u cpus=%u spread=%.1f%% gap=%llums(cpu%d) migrations=%llu "
			    "iterations=%llu run_delay=%lluus\n",
			    g->name, g->workers, g->cpus, g->spread_pct, (unsigned long long)g->max_gap_ms,
			    g->max_gap_cpu, (unsigned long long)g->migrations, (unsigned long long)g->iterations,
			    (unsigned long long)g->mean_run_delay_us);
	}
}

/* The verdict from a result the guest (or the local child) sent. */
static void judge_result(const struct ktstr_test *t, const struct ktstr_topo *topo, struct kt_outcome *o)
{
	char err[512] = "";

	if (o->result.have_topo && kt_topo_compare(topo, &o->result.topo, err, sizeof(err))) {
		o->verdict = KT_ERROR;
		snprintf(o->reason, sizeof(o->reason), "infrastructure error: %s", err);
	} else if (t->expect_fail) {
		if (!o->result.passed && has_reason(&o->result, t->expect_reason)) {
			o->verdict = KT_PASS;
			snprintf(o->reason, sizeof(o->reason), "expected failure seen: %s", o->result.details[0].msg);
		} else if (!o->result.passed) {
			o->verdict = KT_FAIL;
			snprintf(o->reason, sizeof(o->reason), "failed, but not with the expected '%s': %s",
				 t->expect_reason ? t->expect_reason : "(any)", o->result.details[0].msg);
		} else {
			o->verdict = KT_FAIL;
			snprintf(o->reason, sizeof(o->reason), "expected a failure ('%s') but the test passed",
				 t->expect_reason ? t->expect_reason : "(any)");
		}
	} else if (o->result.skipped) {
		o->verdict = KT_SKIP;
		snprintf(o->reason, sizeof(o->reason), "%s", o->result.ndetails ? o->result.details[0].msg : "skipped");
	} else if (o->result.passed) {
		o->verdict = KT_PASS;
	} else {
		o->verdict = KT_FAIL;
		snprintf(o->reason, sizeof(o->reason), "%s", o->result.ndetails ? o->result.details[0].msg : "failed");
	}
}

/* What failed, and the workers' figures. */
static void details_block(struct kbuf *out, const struct kt_outcome *o)
{
	if (o->have_result && !o->result.passed)
		for (unsigned i = 0; i < o->result.ndetails; i++)
			kt_kbuf_printf(out, "  [%s] %s\n", ktstr_kind_name(o->result.details[i].kind),
				       o->result.details[i].msg);
	if (o->have_result)
		stats_block(out, &o->result);
}

void kt_judge(const struct ktstr_test *t, const char *name, const struct ktstr_topo *topo, const struct vm_result *vr,
	      const char *ring_json, size_t ring_len, struct kt_outcome *o)
{
	struct kbuf json = { 0 };
	char err[512] = "";
	int fr;

	o->exit = vr->exit;
	ktstr_topo_format(topo, o->topo, sizeof(o->topo));
	if (ring_json && ring_len) {
		fr = kt_kbuf_append(&json, ring_json, ring_len);
	} else {
		fr = kt_frame_find_last(vr->com2.data ? vr->com2.data : "", vr->com2.len, &json, err, sizeof(err));
	}
	if (!fr && !kt_result_from_json(json.data, json.len, &o->result, err, sizeof(err)))
		o->have_result = true;
	kt_kbuf_free(&json);

	if (!o->have_result) {
		o->verdict = KT_FAIL;
		switch (vr->exit) {
		case VM_EXIT_TIMEOUT:
			snprintf(o->reason, sizeof(o->reason), "timed out (%s) with no result; %s", vr->detail,
				 init_stage(&vr->com2));
			break;
		case VM_EXIT_PANIC:
			snprintf(o->reason, sizeof(o->reason), "guest kernel panicked: %s", vr->detail);
			break;
		case VM_EXIT_CRASH:
			snprintf(o->reason, sizeof(o->reason), "VMM failed: %s", vr->detail);
			break;
		case VM_EXIT_INTERRUPTED:
			o->verdict = KT_ERROR;
			snprintf(o->reason, sizeof(o->reason), "%s", vr->detail);
			break;
		default:
			snprintf(o->reason, sizeof(o->reason), "no test result from the guest (%s)%s%s; %s",
				 kt_vm_exit_name(vr->exit), err[0] ? ": " : "", err, init_stage(&vr->com2));
		}
		if (o->guest_crash[0] && vr->exit != VM_EXIT_INTERRUPTED) {
			char why[sizeof(o->reason)];

			snprintf(why, sizeof(why), "%s", o->reason);
			snprintf(o->reason, sizeof(o->reason), "guest init crashed: %.255s (%.700s)", o->guest_crash, why);
		}
		/* Negative tests of the harness itself: a guest that panics
		 * or hangs must be reported, with this reason. */
		if (o->verdict == KT_FAIL && t->expect_fail && t->expect_reason && strstr(o->reason, t->expect_reason)) {
			char why[sizeof(o->reason)];

			snprintf(why, sizeof(why), "%s", o->reason);
			snprintf(o->reason, sizeof(o->reason), "expected failure seen: %.900s", why);
			o->verdict = KT_PASS;
		}
	} else {
		judge_result(t, topo, o);
	}

	if ((o->verdict == KT_FAIL || o->verdict == KT_ERROR) && vr->exit != VM_EXIT_INTERRUPTED)
		kt_report_compose(name, vr, NULL, o);
}

/* A section of text lines (ours, or already sanitised), indented. */
static void section(struct kbuf *out, const char *title, const struct kbuf *b)
{
	kt_kbuf_printf(out, "  --- %s ---\n", title);
	if (!b || !b->data || !b->len) {
		kt_kbuf_printf(out, "    (none)\n");
		return;
	}
	put_lines(out, b->data, b->data + b->len);
}

void kt_report_compose(const char *name, const struct vm_result *vr, const struct kt_report_extra *x,
		       struct kt_outcome *o)
{
	o->report.len = 0;
	if (o->report.data)
		o->report.data[0] = '\0';
	kt_kbuf_printf(&o->report, "ktstr_test '%s' topo=%s vm=%s/%s exit=%s wall=%.1fs failed:\n", name, o->topo,
		       vr->vmm_name, vr->accel, kt_vm_exit_name(vr->exit), o->wall_s);
	kt_kbuf_printf(&o->report, "  reason: %s\n", o->reason);
	details_block(&o->report, o);
	if (x) {
		section(&o->report, "monitor", x->mon_summary);
		if (x->mon)
			for (unsigned i = 0; i < x->mon->nfail; i++)
				kt_kbuf_printf(&o->report, "    [monitor] %s\n", x->mon->fail[i].msg);
		section(&o->report, "timeline", x->timeline);
		head_lines(&o->report, "sched_ext dump", x->dump, 120);
	}
	sched_log(&o->report, &vr->com2);
	{
		struct kbuf plain = { 0 };

		com2_plain(&vr->com2, &plain);
		tail_lines(&o->report, "guest output (COM2)", &plain, 15);
		kt_kbuf_free(&plain);
	}
	tail_lines(&o->report, "kernel console (COM1)", &vr->com1, 20);
}

void kt_judge_local(const struct ktstr_test *t, const char *name, const struct ktstr_topo *topo,
		    const struct kt_result *r, struct kt_outcome *o)
{
	ktstr_topo_format(topo, o->topo, sizeof(o->topo));
	o->result = *r;
	o->have_result = true;
	judge_result(t, topo, o);
	if (o->verdict == KT_FAIL || o->verdict == KT_ERROR) {
		kt_kbuf_printf(&o->report, "ktstr_test '%s' topo=%s bare-metal wall=%.1fs failed:\n", name, o->topo,
			       o->wall_s);
		kt_kbuf_printf(&o->report, "  reason: %s\n", o->reason);
		details_block(&o->report, o);
	}
}
