/* Judging one VM run: find the guest's result (ring first, then the COM2
 * frame), compare the topology, apply expect_fail, explain failures. */
#include "runner/runner.h"
#include "proto/result.h"
#include "model/vlog.h"
#include "proto/com2.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

/* One line of guest text, indented, through the one sanitiser
 * (util/text.h): no escape sequence or control byte reaches a terminal. */
static void put_line(struct kbuf *out, const char *start, size_t l)
{
	if (l && start[l - 1] == '\r')
		l--;
	kt_kbuf_printf(out, "    ");
	kt_text_clean(start, l, KT_TEXT_LINE, out);
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

/* The last n lines of a bounded capture. */
static void tail_capture(struct kbuf *out, const char *title, const struct kt_capture *c, int n)
{
	struct kbuf b = { 0 };

	kt_capture_text(c, &b);
	tail_lines(out, title, &b, n);
	kt_kbuf_free(&b);
}

/* The scheduler's log, repeated blocks (a verifier trace, a retry loop)
 * folded first (model/vlog.h). */
static void sched_log(struct kbuf *out, const struct kt_capture *c)
{
	struct kbuf b = { 0 }, folded = { 0 };

	kt_capture_text(c, &b);
	if (b.data && !kt_vlog_collapse(b.data, b.len, &folded, NULL))
		tail_lines(out, "scheduler log", &folded, 25);
	else
		tail_lines(out, "scheduler log", &b, 25);
	kt_kbuf_free(&folded);
	kt_kbuf_free(&b);
}

static const char *init_stage(const struct kt_com2 *c2)
{
	if (c2->payload_starting.seen)
		return "the test started but sent no result";
	if (c2->init_started.seen)
		return "init started but the test never ran";
	return "init never started (kernel or initramfs failure)";
}

/* The console's last non-empty line, cleaned, into buf ("(none)"). */
static const char *last_line(const struct kt_capture *c, char *buf, size_t len)
{
	struct kbuf b = { 0 };
	size_t e, s;

	snprintf(buf, len, "(none)");
	if (kt_capture_last(c, 4096, &b) || !b.data)
		return buf;
	for (e = b.len; e && (b.data[e - 1] == '\n' || b.data[e - 1] == '\r'); e--)
		;
	for (s = e; s && b.data[s - 1] != '\n'; s--)
		;
	if (e > s)
		kt_line_cleann(b.data + s, e - s, buf, len);
	kt_kbuf_free(&b);
	return buf;
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

		char name[sizeof(g->name)];

		kt_line_clean(g->name, name, sizeof(name));
		kt_kbuf_printf(out,
			    "    %s: workers=%u cpus=%u spread=%.1f%% gap=%llums(cpu%d) migrations=%llu "
			    "iterations=%llu run_delay=%lluus\n",
			    name, g->workers, g->cpus, g->spread_pct, (unsigned long long)g->max_gap_ms,
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

/* One line of the report: guest text cleaned to one printable line. */
static void report_line(struct kbuf *out, const char *prefix, const char *guest)
{
	kt_kbuf_printf(out, "%s", prefix);
	kt_text_clean(guest, strlen(guest), KT_TEXT_LINE, out);
	kt_kbuf_printf(out, "\n");
}

/* What failed, and the workers' figures. */
static void details_block(struct kbuf *out, const struct kt_outcome *o)
{
	char kind[32];

	if (o->have_result && !o->result.passed)
		for (unsigned i = 0; i < o->result.ndetails; i++) {
			snprintf(kind, sizeof(kind), "  [%s] ", ktstr_kind_name(o->result.details[i].kind));
			report_line(out, kind, o->result.details[i].msg);
		}
	if (o->have_result)
		stats_block(out, &o->result);
}

void kt_judge(const struct ktstr_test *t, const char *name, const struct ktstr_topo *topo, const struct vm_result *vr,
	      struct kt_com2 *c2, const char *ring_json, size_t ring_len, struct kt_outcome *o)
{
	struct kbuf json = { 0 };
	char err[512] = "", last[256];
	int fr;

	o->exit = vr->exit;
	kt_com2_finish(c2);
	ktstr_topo_format(topo, o->topo, sizeof(o->topo));
	if (ring_json && ring_len) {
		fr = kt_kbuf_append(&json, ring_json, ring_len);
	} else {
		fr = kt_frame_scan_result(&c2->frame, &json, err, sizeof(err));
	}
	if (!fr && !kt_result_from_json(json.data, json.len, &o->result, err, sizeof(err)))
		o->have_result = true;
	kt_kbuf_free(&json);

	if (!o->have_result) {
		o->verdict = KT_FAIL;
		switch (vr->exit) {
		case VM_EXIT_TIMEOUT:
			snprintf(o->reason, sizeof(o->reason), "timed out (%s) with no result; %s", vr->detail,
				 init_stage(c2));
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
		case VM_EXIT_RESET:
			snprintf(o->reason, sizeof(o->reason), "guest reset with no result: %.300s; %s; kernel's last line: %.200s",
				 vr->detail[0] ? vr->detail : "reset requested by the guest", init_stage(c2),
				 last_line(&vr->com1, last, sizeof(last)));
			break;
		default:
			snprintf(o->reason, sizeof(o->reason), "no test result from the guest (%s)%s%s; %s",
				 kt_vm_exit_name(vr->exit), err[0] ? ": " : "", err, init_stage(c2));
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
		kt_report_compose(name, vr, c2, NULL, o);
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

void kt_report_compose(const char *name, const struct vm_result *vr, const struct kt_com2 *c2,
		       const struct kt_report_extra *x, struct kt_outcome *o)
{
	o->report.len = 0;
	if (o->report.data)
		o->report.data[0] = '\0';
	kt_kbuf_printf(&o->report, "ktstr_test '%s' topo=%s vm=%s/%s exit=%s wall=%.1fs failed:\n", name, o->topo,
		       vr->vmm_name, vr->accel, kt_vm_exit_name(vr->exit), o->wall_s);
	report_line(&o->report, "  reason: ", o->reason);
	details_block(&o->report, o);
	if (x) {
		section(&o->report, "monitor", x->mon_summary);
		if (x->mon)
			for (unsigned i = 0; i < x->mon->nfail; i++)
				kt_kbuf_printf(&o->report, "    [monitor] %s\n", x->mon->fail[i].msg);
		section(&o->report, "timeline", x->timeline);
		head_lines(&o->report, "sched_ext dump", x->dump, 120);
	}
	if (c2 && c2->sched_log.total)
		sched_log(&o->report, &c2->sched_log);
	if (c2)
		tail_capture(&o->report, "guest output (COM2)", &c2->plain, 15);
	/* The whole kept console for the sidecar; an oops from its first
	 * line (its head scrolls out of the tail), then the tail. */
	o->com1.len = 0;
	kt_capture_text(&vr->com1, &o->com1);
	if (o->com1.data) {
		size_t at = kt_console_first_oops(o->com1.data, o->com1.len);
		struct kbuf oops = { .data = o->com1.data + at, .len = o->com1.len - at };

		if (at < o->com1.len)
			head_lines(&o->report, "kernel oops or panic (from its first line)", &oops, 60);
	}
	tail_capture(&o->report, "kernel console (COM1)", &vr->com1, 20);
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
		report_line(&o->report, "  reason: ", o->reason);
		details_block(&o->report, o);
	}
}
