/* The `--- auto-repro ---` section from a probe run (runner/repro.h):
 * the guest's report is untrusted JSON, every count and index bounded
 * and every string cut before it is shown; values go through the
 * decoders of src/probe/decode.c. */
#include "runner/repro.h"
#include "probe/probe_bpf.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 256

struct fn {
	char name[KT_PROBE_NAME_MAX], how[16], why[96], line[160], arg[KT_PW_ARGS][24], kind[KT_PW_ARGS][24];
	bool bpf;
	unsigned nargs;
};

static void str(json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(buf, len, "%s", s ? s : "");
}

static uint64_t u64(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static void task_line(struct kbuf *out, json_t *e, json_t *x)
{
	static const char *const keys[] = { "dsq_id", "enq_flags", "slice", "vtime", "weight", "sticky_cpu", "flags" };
	char comm[17], a[96], b[96], c[200];
	uint64_t m[4] = { 0 }, mx[4] = { 0 };

	str(e, "comm", comm, sizeof(comm));
	for (unsigned i = 0; i < 4; i++) {
		m[i] = (uint64_t)json_integer_value(json_array_get(json_object_get(e, "cpus"), i));
		mx[i] = x ? (uint64_t)json_integer_value(json_array_get(json_object_get(x, "cpus"), i)) : m[i];
	}
	kt_dec_cpumask(m, a, sizeof(a));
	kt_dec_cpumask(mx, b, sizeof(b));
	kt_dec_change(a, b, c, sizeof(c));
	kt_kbuf_printf(out, "pid=%" JSON_INTEGER_FORMAT " comm=%s cpus=%s", json_integer_value(json_object_get(e, "pid")), comm, c);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t v[2] = { u64(e, keys[i]), x ? u64(x, keys[i]) : u64(e, keys[i]) };
		char *d[2] = { a, b };

		for (int j = 0; j < 2; j++) {
			if (!strcmp(keys[i], "dsq_id"))
				kt_dec_dsq_id(v[j], d[j], sizeof(a));
			else if (!strcmp(keys[i], "enq_flags"))
				kt_dec_enq_flags(v[j], d[j], sizeof(a));
			else if (!strcmp(keys[i], "flags"))
				kt_dec_scx_flags((uint32_t)v[j], d[j], sizeof(a));
			else if (!strcmp(keys[i], "sticky_cpu"))
				kt_dec_sticky_cpu((uint32_t)v[j], d[j], sizeof(a));
			else
				snprintf(d[j], sizeof(a), "%" PRIu64, v[j]);
		}
		kt_dec_change(a, b, c, sizeof(c));
		kt_kbuf_printf(out, " %s=%s", !strcmp(keys[i], "flags") ? "scx_flags" : !strcmp(keys[i], "dsq_id") ? "ddsp_dsq_id" : !strcmp(keys[i], "enq_flags") ? "ddsp_enq_flags" : keys[i], c);
	}
}

/* One argument: its curated fields (a struct) or its decoded value. */
static void arg_line(struct kbuf *out, const struct fn *f, unsigned i, uint64_t v, json_t *entry, json_t *exitf)
{
	char d[96];

	bool first = true; /* the probes read the first argument of each kind */

	for (unsigned k = 0; k < i; k++)
		if (!strcmp(f->kind[k], f->kind[i]))
			first = false;
	kt_kbuf_printf(out, "      %s: ", f->arg[i]);
	if (!first && strcmp(f->kind[i], "scalar")) {
		kt_kbuf_printf(out, "0x%" PRIx64 " (%s)", v, f->kind[i]);
	} else if (!strcmp(f->kind[i], "task_struct") && json_object_get(entry, "task")) {
		task_line(out, json_object_get(entry, "task"), exitf ? json_object_get(exitf, "task") : NULL);
	} else if (!strcmp(f->kind[i], "rq") && json_object_get(entry, "rq_cpu")) {
		kt_kbuf_printf(out, "rq cpu=%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(entry, "rq_cpu")));
	} else if (!strcmp(f->kind[i], "scx_dispatch_q") && json_object_get(entry, "dsq_id")) {
		kt_dec_dsq_id(u64(entry, "dsq_id"), d, sizeof(d));
		kt_kbuf_printf(out, "dsq id=%s", d);
	} else if (!strcmp(f->kind[i], "scx_exit_info") && json_object_get(entry, "exit_kind")) {
		char r[KT_PW_REASON + 1];

		str(entry, "exit_reason", r, sizeof(r));
		kt_dec_exit_kind(u64(entry, "exit_kind"), d, sizeof(d));
		kt_kbuf_printf(out, "exit kind=%s reason=\"%s\"", d, r);
	} else if (!strcmp(f->kind[i], "scx_init_task_args") && json_object_get(entry, "fork")) {
		kt_kbuf_printf(out, "fork=%s", json_is_true(json_object_get(entry, "fork")) ? "true" : "false");
	} else if (strstr(f->arg[i], "enq_flags")) {
		kt_dec_enq_flags(v, d, sizeof(d));
		kt_kbuf_printf(out, "%s", d);
	} else if (!strcmp(f->arg[i], "sticky_cpu")) {
		kt_dec_sticky_cpu((uint32_t)v, d, sizeof(d));
		kt_kbuf_printf(out, "%s", d);
	} else if (strstr(f->arg[i], "dsq_id")) {
		kt_dec_dsq_id(v, d, sizeof(d));
		kt_kbuf_printf(out, "%s", d);
	} else {
		kt_kbuf_printf(out, v > 0xffff ? "0x%" PRIx64 : "%" PRIu64, v);
	}
	kt_kbuf_printf(out, "\n");
}

static unsigned read_funcs(json_t *a, struct fn *fs, const char *vmlinux)
{
	unsigned n = 0;

	for (size_t i = 0; i < json_array_size(a) && n < KT_PROBE_MAX_FUNCS; i++, n++) {
		json_t *o = json_array_get(a, i), *args = json_object_get(o, "args");
		struct fn *f = &fs[n];

		memset(f, 0, sizeof(*f));
		str(o, "name", f->name, sizeof(f->name));
		str(o, "how", f->how, sizeof(f->how));
		str(o, "why", f->why, sizeof(f->why));
		str(o, "line", f->line, sizeof(f->line));
		f->bpf = json_is_true(json_object_get(o, "bpf"));
		f->nargs = json_array_size(args) < KT_PW_ARGS ? (unsigned)json_array_size(args) : KT_PW_ARGS;
		for (unsigned j = 0; j < f->nargs; j++) {
			str(json_array_get(args, j), "name", f->arg[j], sizeof(f->arg[j]));
			str(json_array_get(args, j), "kind", f->kind[j], sizeof(f->kind[j]));
		}
		if (!f->bpf && vmlinux && kt_kline(vmlinux, f->name, f->line, sizeof(f->line)))
			f->line[0] = '\0';
	}
	return n;
}

static void calls(struct kbuf *out, json_t *j, const struct fn *fs, unsigned nf, uint64_t trig_ts)
{
	json_t *a = json_object_get(j, "calls");

	for (size_t i = 0; i < json_array_size(a) && i < MAX_CALLS; i++) {
		json_t *c = json_array_get(a, i), *args = json_object_get(c, "args");
		json_t *en = json_object_get(c, "entry"), *ex = json_object_get(c, "exit");
		json_int_t fi = json_integer_value(json_object_get(c, "func"));
		const struct fn *f;
		uint64_t ts = u64(c, "ts");

		if (fi < 0 || (unsigned)fi >= nf)
			continue; /* an index the guest made up */
		f = &fs[fi];
		kt_kbuf_printf(out, "    %s  %s  [%s, %s] cpu %" JSON_INTEGER_FORMAT ", %.3f ms before the trigger\n", f->name,
			       f->line[0] ? f->line : "(no line info)", f->bpf ? "BPF callback" : "kernel", f->how,
			       json_integer_value(json_object_get(c, "cpu")),
			       trig_ts >= ts ? (double)(trig_ts - ts) / 1e6 : 0.0);
		for (unsigned k = 0; k < f->nargs && k < json_array_size(args); k++)
			arg_line(out, f, k, (uint64_t)json_integer_value(json_array_get(args, k)), en,
				 json_is_object(ex) ? ex : NULL);
	}
}

static void section_tail(struct kbuf *out, const char *title, const struct kbuf *t)
{
	const char *p = t->data, *end = t->data + t->len;

	kt_kbuf_printf(out, "  --- repro %s (last %d lines) ---\n", title, KT_REPRO_TAIL_LINES);
	if (!t->len)
		kt_kbuf_printf(out, "    (empty)\n");
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		kt_kbuf_printf(out, "    %.*s\n", (int)(l > 300 ? 300 : l), p);
		p += l + 1;
	}
}

/* "probes: N functions (...)": how each kind was attached, which kernel
 * functions got a kprobe instead of fentry and why (the kernel refused
 * it, or the loader's set-up budget was spent), and what could not be
 * probed at all. */
static void probes_line(struct kbuf *out, const struct fn *fs, unsigned nf, const char *skipped)
{
	unsigned ncb = 0, nfe = 0;

	for (unsigned i = 0; i < nf; i++) {
		ncb += fs[i].bpf;
		nfe += !fs[i].bpf && !strncmp(fs[i].how, "fentry", 6);
	}
	kt_kbuf_printf(out, "  probes: %u functions (%u BPF callbacks by fentry/fexit, %u kernel by fentry/fexit, %u kernel by kprobe)",
		       nf, ncb, nfe, nf - ncb - nfe);
	for (unsigned i = 0, k = 0; i < nf; i++)
		if (!fs[i].bpf && !strncmp(fs[i].how, "kprobe", 6) && !strncmp(fs[i].why, "fentry ", 7))
			kt_kbuf_printf(out, "%s%s (%s)", k++ ? ", " : "; kprobe instead of fentry: ", fs[i].name,
				       fs[i].why + (strncmp(fs[i].why, "fentry refused: ", 16) ? 7 : 16));
	kt_kbuf_printf(out, "%s%s\n", skipped[0] ? "; not probed: " : "", skipped);
}

static void reproduced(struct kbuf *out, json_t *j, const char *vmlinux)
{
	struct fn *fs = calloc(KT_PROBE_MAX_FUNCS, sizeof(*fs));
	json_t *t = json_object_get(j, "trigger"), *cost = json_object_get(j, "cost");
	char comm[17], cur[17], kind[32], fn[KT_PROBE_NAME_MAX], skipped[600];
	unsigned nf = fs ? read_funcs(json_object_get(j, "funcs"), fs, vmlinux) : 0;
	uint64_t ncalls = u64(cost, "calls"), ns = u64(cost, "ns");

	str(t, "comm", comm, sizeof(comm));
	str(t, "cur_comm", cur, sizeof(cur));
	str(j, "trigger_fn", fn, sizeof(fn));
	str(j, "skipped", skipped, sizeof(skipped));
	kt_dec_exit_kind(u64(t, "kind"), kind, sizeof(kind));
	kt_kbuf_printf(out, "  reproduced: scheduler exit %s on cpu %" JSON_INTEGER_FORMAT " (trigger: kprobe on %s)\n", kind,
		       json_integer_value(json_object_get(t, "cpu")), fn);
	kt_kbuf_printf(out, "  triggering task: pid %" JSON_INTEGER_FORMAT " (%s); current task pid %" JSON_INTEGER_FORMAT " (%s)\n",
		       json_integer_value(json_object_get(t, "pid")), comm, json_integer_value(json_object_get(t, "cur_pid")),
		       cur);
	probes_line(out, fs, nf, skipped);
	if (ncalls)
		kt_kbuf_printf(out, "  probe cost: %" PRIu64 " calls recorded, %.1f us per call on average (measured in BPF)\n",
			       ncalls, (double)ns / (double)ncalls / 1000.0);
	if (!json_array_size(json_object_get(j, "calls"))) {
		kt_kbuf_printf(out, "  no probed call of the triggering task (%" JSON_INTEGER_FORMAT " records in all)\n",
			       json_integer_value(json_object_get(j, "records")));
	} else {
		json_t *cs = json_object_get(j, "calls"), *task = NULL;

		/* The shown task: the first call that names one (a timer
		 * interrupt's does not). */
		for (size_t i = 0; i < json_array_size(cs) && !task; i++)
			task = json_object_get(json_object_get(json_array_get(cs, i), "entry"), "task");

		if (json_is_string(json_object_get(j, "shown")) && task) {
			char tc[17], shown[40];

			str(task, "comm", tc, sizeof(tc));
			str(j, "shown", shown, sizeof(shown));
			kt_kbuf_printf(out, "  %s; shown instead: pid %" JSON_INTEGER_FORMAT " (%s), the task of the last BPF "
					    "callback\n",
				       !strcmp(shown, "idle_trigger_last_callback")
					       ? "the trigger ran in an idle task (the kernel named no task)"
					       : "the triggering task made no probed call",
				       json_integer_value(json_object_get(task, "pid")), tc);
		}
		kt_kbuf_printf(out, "  calls, oldest first (the last call of each function):\n");
		calls(out, j, fs, nf, u64(t, "ts"));
	}
	kt_kbuf_printf(out, "  trigger stack:\n");
	for (size_t i = 0; i < json_array_size(json_object_get(t, "stack")) && i < KT_PW_STACK; i++) {
		const char *s = json_string_value(json_array_get(json_object_get(t, "stack"), i));

		kt_kbuf_printf(out, "    %.120s\n", s ? s : "?");
	}
	free(fs);
}

/* A host run the scheduler did not exit in: what was probed and how
 * much it saw. */
static void not_triggered_host(struct kbuf *out, json_t *j)
{
	struct fn *fs = calloc(KT_PROBE_MAX_FUNCS, sizeof(*fs));
	unsigned nf = fs ? read_funcs(json_object_get(j, "funcs"), fs, NULL) : 0;
	char skipped[600];

	str(j, "skipped", skipped, sizeof(skipped));
	kt_kbuf_printf(out, "  no scheduler exit seen: probes attached to %u function%s, %" PRIu64
			    " probe calls recorded, no sched_ext scheduler exited with an error\n",
		       nf, nf == 1 ? "" : "s", u64(json_object_get(j, "cost"), "calls"));
	probes_line(out, fs, nf, skipped);
	free(fs);
}

void kt_repro_render(const struct kt_repro *x, const char *vmlinux, double wall_s, enum vm_exit exit,
		     struct kbuf *out, char *status, size_t slen)
{
	json_t *j = x->probe_json.len ? json_loadb(x->probe_json.data, x->probe_json.len, 0, NULL) : NULL;
	const char *st = json_string_value(json_object_get(j, "status"));
	char err[300];

	str(j, "error", err, sizeof(err));
	if (st && !strcmp(st, "triggered") && json_is_object(json_object_get(j, "trigger"))) {
		snprintf(status, slen, "reproduced");
		reproduced(out, j, vmlinux);
	} else if (st && !strcmp(st, "attach_failed")) {
		snprintf(status, slen, "attach_failed");
		kt_kbuf_printf(out, "  probes could not attach: %s\n", err[0] ? err : "(no reason given)");
	} else if (st && !strcmp(st, "not_triggered") && x->host) {
		snprintf(status, slen, "no_exit_seen");
		not_triggered_host(out, j);
	} else if (st && !strcmp(st, "not_triggered")) {
		snprintf(status, slen, "did_not_reproduce");
		kt_kbuf_printf(out, "  did not reproduce: the scheduler did not exit with an error in the probe run "
				    "(%" PRIu64 " probe calls recorded)\n", u64(json_object_get(j, "cost"), "calls"));
	} else if (exit == VM_EXIT_TIMEOUT) {
		snprintf(status, slen, "timed_out");
		kt_kbuf_printf(out, "  timed out: the probe VM hit its time limit before the probes reported\n");
	} else if (exit == VM_EXIT_PANIC || exit == VM_EXIT_CRASH) {
		snprintf(status, slen, "crashed");
		kt_kbuf_printf(out, "  crashed: the probe VM ended (%s) before the probes reported\n", kt_vm_exit_name(exit));
	} else {
		snprintf(status, slen, "no_report");
		kt_kbuf_printf(out, "  no probe report: the probe VM ended (%s) without one\n", kt_vm_exit_name(exit));
	}
	if (x->host) { /* the tails are the VM's; on a host, what was kept */
		kt_kbuf_printf(out, "  probed run on this host: %.1fs\n", wall_s);
		if (x->sched_tail.len)
			section_tail(out, "scheduler log", &x->sched_tail);
		if (x->dump_tail.len)
			section_tail(out, "sched_ext dump", &x->dump_tail);
		if (x->kmsg_tail.len)
			section_tail(out, "kernel log", &x->kmsg_tail);
	} else {
		kt_kbuf_printf(out, "  repro VM duration: %.1fs\n", wall_s);
		section_tail(out, "scheduler log", &x->sched_tail);
		section_tail(out, "sched_ext dump", &x->dump_tail);
		section_tail(out, "kernel log", &x->kmsg_tail);
	}
	json_decref(j);
}
