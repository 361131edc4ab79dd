/* Auto-repro on the host (runner/repro.h): decide, collect the names,
 * run the probe VM, keep what the section shows. */
#include "runner/repro.h"
#include "proto/com2.h"
#include "proto/shm_ring.h"
#include "model/vlog.h"
#include "runner/emit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kt_repro_wanted(const struct kt_case *c, const struct kt_outcome *out, bool disabled)
{
	if (disabled || !c->sched || !c->t->auto_repro || c->t->expect_fail)
		return false;
	if (out->verdict != KT_FAIL || !out->ran_vm || out->exit == VM_EXIT_INTERRUPTED)
		return false;
	return true;
}

void kt_repro_free(struct kt_repro *x)
{
	if (!x)
		return;
	kt_kbuf_free(&x->probe_json);
	kt_kbuf_free(&x->sched_tail);
	kt_kbuf_free(&x->dump_tail);
	kt_kbuf_free(&x->kmsg_tail);
	kt_kbuf_free(&x->section);
	free(x);
}


/* The last n lines of [b, e) whose membership in a sched_ext dump is
 * want_dump (-1: every line), into out. */
static void tail(const char *b, const char *e, int want_dump, unsigned n, struct kbuf *out)
{
	const char *p = e;
	unsigned lines = 0;

	out->len = 0;
	if (!b || e <= b)
		return;
	while (p > b && (p[-1] == '\n' || p[-1] == '\r'))
		p--;
	e = p;
	while (p > b && lines < n) {
		const char *s = p;
		bool dump;

		while (s > b && s[-1] != '\n')
			s--;
		dump = memmem(s, (size_t)(p - s), "sched_ext_dump", 14) != NULL;
		if (want_dump < 0 || dump == (bool)want_dump)
			lines++;
		p = s > b ? s - 1 : b;
	}
	/* Forward again from p, keeping the chosen lines. */
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(e - p);
		bool dump = memmem(p, l, "sched_ext_dump", 14) != NULL;

		if (l && (want_dump < 0 || dump == (bool)want_dump)) {
			kt_kbuf_append(out, p, l);
			kt_kbuf_append(out, "\n", 1);
		}
		p += l + 1;
	}
}

void kt_repro_observe(const struct kt_resolved *r, const struct vm_result *vr, const struct kt_com2 *com2,
		      const struct kbuf *probe_json, struct kt_outcome *out)
{
	struct kt_repro *x;
	struct kbuf log = { 0 }, k1 = { 0 };

	if (!r->c->sched || (!r->probe && out->verdict != KT_FAIL))
		return;
	if (!out->repro && !(out->repro = calloc(1, sizeof(*out->repro))))
		return;
	x = out->repro;
	/* The consoles as bounded captures (head and tail) kept them. */
	if (com2)
		kt_capture_text(&com2->sched_log, &log);
	kt_capture_text(&vr->com1, &k1);
	if (!r->probe) { /* the failed run: what to probe */
		memset(&x->names, 0, sizeof(x->names));
		if (log.data)
			kt_probe_extract(log.data, log.len, &x->names);
		if (k1.data)
			kt_probe_extract(k1.data, k1.len, &x->names);
		goto out;
	}
	x->probe_json.len = 0;
	if (probe_json && probe_json->len && probe_json->len <= KT_PROBE_REPORT_MAX)
		kt_kbuf_append(&x->probe_json, probe_json->data, probe_json->len);
	/* The repro scheduler log, cycle-collapsed before its tail is taken
	 * (model/vlog.h), so an unrolled loop does not fill the 40 lines. */
	if (log.data) {
		struct kbuf folded = { 0 };

		if (!kt_vlog_collapse(log.data, log.len, &folded, NULL) && folded.data)
			tail(folded.data, folded.data + folded.len, -1, KT_REPRO_TAIL_LINES, &x->sched_tail);
		else
			tail(log.data, log.data + log.len, -1, KT_REPRO_TAIL_LINES, &x->sched_tail);
		kt_kbuf_free(&folded);
	}
	if (k1.data) {
		tail(k1.data, k1.data + k1.len, 1, KT_REPRO_TAIL_LINES, &x->dump_tail);
		tail(k1.data, k1.data + k1.len, 0, KT_REPRO_TAIL_LINES, &x->kmsg_tail);
	}
	/* The dump the guest forwarded from the sched_ext_dump trace event
	 * (it reaches COM1 only on kernels that print the event there). */
	if (!x->dump_tail.len && out->scx_dump.len) {
		const char *b = out->scx_dump.data, *e = b + out->scx_dump.len;
		bool cut = out->scx_dump.len >= KT_SCX_DUMP_MAX; /* its head kept (runner/exec.c) */

		while (cut && e > b && e[-1] != '\n')
			e--; /* not half a line */
		tail(b, e, -1, KT_REPRO_TAIL_LINES, &x->dump_tail);
		if (cut)
			kt_kbuf_printf(&x->dump_tail, "(the dump was cut at %u KiB: these are the last lines kept)\n",
				       KT_SCX_DUMP_MAX / 1024);
	}
out:
	kt_kbuf_free(&log);
	kt_kbuf_free(&k1);
}

/* The vmlinux beside the bzImage (a cache entry), for file:line. */
static void vmlinux_of(const char *kernel, char *buf, size_t len)
{
	const char *slash = kernel ? strrchr(kernel, '/') : NULL;
	int n;

	buf[0] = '\0';
	if (!slash)
		return;
	n = snprintf(buf, len, "%.*s/vmlinux", (int)(slash - kernel), kernel);
	if (n < 0 || (size_t)n >= len || !kt_path_exists(buf))
		buf[0] = '\0';
}

static void add_section(struct kt_outcome *out, struct kt_repro *x, double wall_s, enum vm_exit exit,
			const char *kernel)
{
	char vml[PATH_MAX];

	vmlinux_of(kernel, vml, sizeof(vml));
	x->section.len = 0;
	kt_repro_render(x, vml[0] ? vml : NULL, wall_s, exit, &x->section, x->status, sizeof(x->status));
	if (x->section.len) {
		kt_kbuf_append(&out->report, "  --- auto-repro ---\n", 21);
		kt_kbuf_append(&out->report, x->section.data, x->section.len);
	}
}

void kt_repro_after(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out,
		    bool disabled)
{
	struct kt_outcome *o2;
	struct kt_resolved r2 = *r;
	struct kt_exec_env e2 = *env;
	char list[900];
	char name[256];

	if (r->probe) { /* --repro: this run had the probes */
		if (out->repro && out->ran_vm)
			add_section(out, out->repro, out->wall_s, out->exit, env->kernel);
		return;
	}
	if (!kt_repro_wanted(r->c, out, disabled) || env->where != KT_EXEC_VM)
		return;
	if (!out->repro && !(out->repro = calloc(1, sizeof(*out->repro))))
		return;
	/* Names that do not fit the command line are left out, not the run. */
	kt_probe_list_format(&out->repro->names, list, sizeof(list));
	r2.probe = list;
	kt_line_clean(r->c->name, name, sizeof(name));
	printf("# %s: auto-repro: running it again with probes on %u function%s from the failed run%s\n", name,
	       out->repro->names.n, out->repro->names.n == 1 ? "" : "s",
	       out->repro->names.n ? "" : " (none found: the scheduler's callbacks only)");
	fflush(stdout);
	o2 = calloc(1, sizeof(*o2));
	if (!o2)
		return;
	e2.capture = false;
	e2.verbose = env->verbose;
	kt_case_exec(&r2, &e2, o2);
	if (!o2->ran_vm) {
		kt_kbuf_printf(&out->report, "  --- auto-repro ---\n  the probe VM could not start: %s\n", o2->reason);
		snprintf(out->repro->status, sizeof(out->repro->status), "not_started");
	} else if (o2->repro) {
		struct kt_repro *x = out->repro;

		kt_kbuf_free(&x->probe_json);
		kt_kbuf_free(&x->sched_tail);
		kt_kbuf_free(&x->dump_tail);
		kt_kbuf_free(&x->kmsg_tail);
		x->probe_json = o2->repro->probe_json;
		x->sched_tail = o2->repro->sched_tail;
		x->dump_tail = o2->repro->dump_tail;
		x->kmsg_tail = o2->repro->kmsg_tail;
		o2->repro->probe_json = o2->repro->sched_tail = (struct kbuf){ 0 };
		o2->repro->dump_tail = o2->repro->kmsg_tail = (struct kbuf){ 0 };
		add_section(out, x, o2->wall_s, o2->exit, env->kernel);
		if (strcmp(x->status, "reproduced") && o2->reason[0]) {
			char why[sizeof(o2->reason)];

			/* a probe VM that crashed or reported nothing: how it ended */
			kt_line_clean(o2->reason, why, sizeof(why));
			kt_kbuf_printf(&out->report, "  the probe run's own verdict: %s\n", why);
		}
	}
	kt_outcome_release(o2);
	free(o2);
}
