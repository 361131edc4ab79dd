/* Auto-repro's report from the guest (guest/probe.h): the trigger, the
 * triggering task's records sorted by time, what was attached and what
 * not, as one JSON document on the ring (KT_MSG_REPRO_PROBE) and a
 * summary line on COM2.  The host decodes and renders it. */
#include "guest/probe.h"
#include "guest/guest.h"

#include <bpf/bpf.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 256 /* of the triggering task reported */

static json_t *u64j(uint64_t v)
{
	return json_integer((json_int_t)v); /* the bits; the host casts back */
}

static json_t *task_json(const struct kt_pw_task *t)
{
	json_t *cpus = json_array();
	char comm[17];

	for (int i = 0; i < 4; i++)
		json_array_append_new(cpus, u64j(t->cpus[i]));
	memcpy(comm, t->comm, 16);
	comm[16] = '\0';
	return json_pack("{s:o,s:i,s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:i}", "ptr", u64j(t->ptr), "pid", (int)t->pid,
			 "comm", comm, "cpus", cpus, "dsq_id", u64j(t->dsq_id), "enq_flags", u64j(t->enq_flags),
			 "slice", u64j(t->slice), "vtime", u64j(t->vtime), "weight", (int)t->weight, "sticky_cpu",
			 (int)t->sticky_cpu, "flags", (int)t->flags);
}

static json_t *fields_json(const struct kt_pw_fields *f)
{
	json_t *o = json_object();
	char reason[KT_PW_REASON + 1];

	json_object_set_new(o, "have", json_integer(f->have));
	if (f->have & KT_PW_HAVE_TASK)
		json_object_set_new(o, "task", task_json(&f->task));
	if (f->have & KT_PW_HAVE_RQ)
		json_object_set_new(o, "rq_cpu", json_integer(f->rq_cpu));
	if (f->have & KT_PW_HAVE_DSQ)
		json_object_set_new(o, "dsq_id", u64j(f->dsq_id));
	if (f->have & KT_PW_HAVE_EXIT) {
		memcpy(reason, f->exit_reason, KT_PW_REASON);
		reason[KT_PW_REASON] = '\0';
		json_object_set_new(o, "exit_kind", u64j(f->exit_kind));
		json_object_set_new(o, "exit_reason", json_string(reason));
	}
	if (f->have & KT_PW_HAVE_INIT)
		json_object_set_new(o, "fork", json_boolean(f->fork));
	return o;
}

static int by_ts(const void *a, const void *b)
{
	const struct kt_pw_call *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The task whose BPF callback ran last, an idle task only if no other
 * had one: shown when the triggering task has no probed calls or is an
 * idle task (a stall seen from the tick). */
static uint64_t last_cb_task(struct kt_pg *g)
{
	struct kt_pw_key k, next;
	struct kt_pw_call c;
	uint64_t best = 0, best_ts = 0, idle = 0, idle_ts = 0;
	unsigned guard = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(g->calls_fd, prev, &next) && guard++ < 2 * KT_PW_CALLS) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(g->calls_fd, &next, &c) && c.func < g->nfunc && g->func[c.func].bpf) {
			uint32_t pid = (c.entry.have & KT_PW_HAVE_TASK) ? c.entry.task.pid : c.cur_pid;

			if (pid && c.ts > best_ts) {
				best_ts = c.ts;
				best = next.task;
			} else if (!pid && c.ts > idle_ts) {
				idle_ts = c.ts;
				idle = next.task;
			}
		}
	}
	return best ? best : idle;
}

/* The triggering task's records, sorted by time; *total: all records. */
static json_t *calls_json(struct kt_pg *g, uint64_t task, unsigned *total)
{
	struct kt_pw_call *c = calloc(MAX_CALLS, sizeof(*c));
	struct kt_pw_key k, next;
	json_t *a = json_array();
	unsigned n = 0, guard = 0;
	void *prev = NULL;

	*total = 0;
	while (c && !bpf_map_get_next_key(g->calls_fd, prev, &next) && guard++ < 2 * KT_PW_CALLS) {
		k = next;
		prev = &k;
		(*total)++;
		if (next.task != task || n >= MAX_CALLS || bpf_map_lookup_elem(g->calls_fd, &next, &c[n]))
			continue;
		if (c[n].func < g->nfunc)
			n++;
	}
	if (c)
		qsort(c, n, sizeof(*c), by_ts);
	for (unsigned i = 0; i < n; i++) {
		json_t *args = json_array();

		for (unsigned j = 0; j < g->func[c[i].func].meta.nargs && j < KT_PW_ARGS; j++)
			json_array_append_new(args, u64j(c[i].args[j]));
		json_array_append_new(a, json_pack("{s:i,s:o,s:i,s:i,s:o,s:o,s:o*}", "func", (int)c[i].func, "ts",
						   u64j(c[i].ts), "cpu", (int)c[i].cpu, "cur_pid", (int)c[i].cur_pid,
						   "args", args, "entry", fields_json(&c[i].entry), "exit",
						   c[i].flags & KT_PW_CALL_EXITED ? fields_json(&c[i].exit) : NULL));
	}
	free(c);
	return a;
}

/* Kernel addresses as name+0xoff from /proc/kallsyms. */
static json_t *stack_json(const struct kt_pw_trigger *t)
{
	struct kbuf ks = { 0 };
	unsigned n = t->nstack < KT_PW_STACK ? t->nstack : KT_PW_STACK;
	uint64_t best[KT_PW_STACK] = { 0 };
	const char *bestname[KT_PW_STACK] = { 0 };
	size_t bestlen[KT_PW_STACK] = { 0 };
	json_t *a = json_array();
	const char *p, *end;

	kt_read_file("/proc/kallsyms", &ks);
	for (p = ks.data, end = p ? p + ks.len : NULL; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		char *e;
		uint64_t addr = strtoull(p, &e, 16);

		if (e + 3 < le && (e[1] == 't' || e[1] == 'T')) {
			const char *nm = e + 3;
			size_t nl2 = strcspn(nm, " \t\n");

			for (unsigned i = 0; i < n; i++)
				if (addr <= t->stack[i] && addr > best[i]) {
					best[i] = addr;
					bestname[i] = nm;
					bestlen[i] = nl2;
				}
		}
		p = nl ? nl + 1 : end;
	}
	for (unsigned i = 0; i < n; i++) {
		char s[160];

		if (bestname[i])
			snprintf(s, sizeof(s), "%.*s+0x%llx", (int)(bestlen[i] < 100 ? bestlen[i] : 100), bestname[i],
				 (unsigned long long)(t->stack[i] - best[i]));
		else
			snprintf(s, sizeof(s), "0x%llx", (unsigned long long)t->stack[i]);
		json_array_append_new(a, json_string(s));
	}
	kt_kbuf_free(&ks);
	return a;
}

static json_t *funcs_json(const struct kt_pg *g)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < g->nfunc; i++) {
		const struct kt_pg_func *f = &g->func[i];
		json_t *args = json_array();

		for (unsigned j = 0; j < f->meta.nargs && j < KT_PW_ARGS; j++)
			json_array_append_new(args, json_pack("{s:s,s:s}", "name", f->arg_name[j], "kind",
							      kt_probe_arg_kind_name((enum kt_probe_arg)f->meta.kind[j])));
		json_array_append_new(a, json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:o}", "name", f->name, "bpf", f->bpf,
						   "how", f->how ? f->how : "", "why", f->why, "line", f->line, "op",
						   f->op, "args", args));
	}
	return a;
}

char *kt_pg_report_json(struct kt_pg *g, const char *status, const char *error)
{
	struct kt_pw_state s = { 0 };
	__u32 z = 0;
	json_t *o;
	char *txt;
	unsigned total = 0;

	if (g->state_fd >= 0)
		bpf_map_lookup_elem(g->state_fd, &z, &s);
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "status", status, "error", error ? error : "", "trigger_fn",
		      g->trigger_fn, "skipped", g->skipped.data ? g->skipped.data : "", "elapsed_ms",
		      (json_int_t)((kt_now_ns() - g->t0) / 1000000u), "funcs", funcs_json(g));
	json_object_set_new(o, "cost", json_pack("{s:o,s:o,s:o}", "calls", u64j(s.calls), "ns", u64j(s.cost_ns),
						 "update_fail", u64j(s.update_fail)));
	if (s.frozen) {
		const struct kt_pw_trigger *t = &s.trig;
		char comm[17], cur[17];
		json_t *calls;

		memcpy(comm, t->comm, 16);
		memcpy(cur, t->cur_comm, 16);
		comm[16] = cur[16] = '\0';
		json_object_set_new(o, "trigger",
				    json_pack("{s:o,s:i,s:s,s:i,s:s,s:o,s:I,s:i,s:o}", "ts", u64j(t->ts), "pid", (int)t->pid,
					      "comm", comm, "cur_pid", (int)t->cur_pid, "cur_comm", cur, "kind",
					      u64j(t->kind), "exit_code", (json_int_t)t->exit_code, "cpu", (int)t->cpu,
					      "stack", stack_json(t)));
		calls = calls_json(g, t->task, &total);
		/* No call of its own, or the idle task: a stall the kernel
		 * found from the tick ("watchdog failed to check in") names
		 * no task, and the idle task's calls say little about it. */
		if (!json_array_size(calls) || !t->pid) {
			uint64_t other = last_cb_task(g);

			if (other && other != t->task) {
				json_decref(calls);
				calls = calls_json(g, other, &total);
				json_object_set_new(o, "shown", json_string(t->pid ? "task_of_last_callback"
										    : "idle_trigger_last_callback"));
			}
		}
		json_object_set_new(o, "calls", calls);
	}
	json_object_set_new(o, "records", json_integer(total));
	txt = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return txt;
}

void kt_pg_report(struct kt_pg *g, const char *status, const char *error)
{
	struct kt_pw_state s = { 0 };
	__u32 z = 0;
	char *txt;

	if (__atomic_exchange_n(&g->sent, true, __ATOMIC_ACQ_REL) || g->quiet)
		return;
	txt = kt_pg_report_json(g, status, error);
	if (txt && strlen(txt) <= KT_PROBE_REPORT_MAX)
		kt_shm_send(KT_MSG_REPRO_PROBE, txt, strlen(txt));
	if (g->state_fd >= 0)
		bpf_map_lookup_elem(g->state_fd, &z, &s);
	printf("KTSTR_PROBE status=%s%s%s trigger_pid=%d calls=%llu cost_ns=%llu\n", status, error ? " error=" : "",
	       error ? error : "", s.frozen ? (int)s.trig.pid : 0, (unsigned long long)s.calls,
	       (unsigned long long)s.cost_ns);
	fflush(stdout);
	free(txt);
}
