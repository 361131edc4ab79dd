/* `ktstr verifier` text and JSON (verifier.h). */
#include "util/text.h"
#include "report/verifier.h"
#include "runner/emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct kt_vprog *find(struct kt_vprog *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

size_t kt_vprogs(const struct kt_bpf_run *r, struct kt_vprog *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nprogs; i++) {
		const struct kt_mon_bpf_prog *p = &r->progs[i];
		struct kt_vprog *v = find(out, n, p->last.name);

		if (!v && n == max)
			continue;
		if (!v)
			v = &out[n++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", p->last.name);
		snprintf(v->type, sizeof(v->type), "%s", p->type_name);
		v->seen = true;
		v->verified_insns = p->last.verified_insns;
		v->stats_ok = p->last.stats_ok;
		v->run_cnt = p->last.run_cnt;
		v->run_ns = p->last.run_ns;
	}
	for (size_t i = 0; i < r->vlogs.n; i++) {
		const struct kt_vlog_entry *e = &r->vlogs.v[i];
		struct kt_vprog *v = find(out, n, e->h.prog);

		if (!v && n == max)
			continue;
		if (!v) {
			v = &out[n++];
			memset(v, 0, sizeof(*v));
			snprintf(v->name, sizeof(v->name), "%s", e->h.prog);
		}
		v->log = e;
		v->rejected = (e->h.flags & KT_VLOG_F_FAILED) != 0;
	}
	return n;
}

/* Guest text, cleaned, each line indented. */
static void print_text(FILE *f, const char *s, size_t len, const char *indent)
{
	struct kbuf c = { 0 };

	if (!kt_text_clean(s, len, KT_TEXT_TERM, &c) && c.data)
		for (const char *p = c.data, *end = c.data + c.len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

			fprintf(f, "%s%.*s\n", indent, (int)l, p);
			p = nl ? nl + 1 : end;
		}
	kt_kbuf_free(&c);
}

static void print_log(FILE *f, const struct kt_vprog *v, bool raw)
{
	const struct kt_vlog_entry *e = v->log;
	struct kbuf b = { 0 };

	if (v->rejected && !raw) {
		kt_vlog_rejection(&b, v->name, e->log, e->h.log_len, 2);
		print_text(f, b.data, b.len, "");
		kt_kbuf_free(&b);
		return;
	}
	fprintf(f, "  --- verifier log: %s (%s%s%s) ---\n", v->name, raw ? "raw" : "collapsed",
		e->h.flags & KT_VLOG_F_COLLAPSED ? "; folded by the guest to fit" : "",
		e->h.flags & KT_VLOG_F_CUT ? "; middle cut by the guest to fit" : "");
	if (raw || kt_vlog_collapse(e->log, e->h.log_len, &b, NULL))
		print_text(f, e->log, e->h.log_len, "    ");
	else
		print_text(f, b.data, b.len, "    ");
	kt_kbuf_free(&b);
}

void kt_verifier_print(FILE *f, const char *label, const struct kt_vprofile *p, bool raw)
{
	static struct kt_vprog v[KT_VPROGS_MAX];
	size_t n = kt_vprogs(&p->run, v, KT_VPROGS_MAX);
	bool any_stats = false, warned = false;

	fprintf(f, "\n%s%s%s: %s\n", label, p->args[0] ? "  args: " : "", p->args,
		p->status ? "the scheduler did not load and attach" : "attached");
	if (!n)
		fprintf(f, "  (no BPF program seen%s%s)\n", p->run.note[0] ? ": " : "", p->run.note);
	for (size_t i = 0; i < n; i++) {
		if (v[i].seen) {
			double pct = kt_insn_limit_pct(v[i].verified_insns);

			fprintf(f, "  %-40s verified_insns=%-8u %6.2f %% of %u%s", v[i].name, v[i].verified_insns, pct,
				KT_VERIFIER_INSN_LIMIT, pct >= KT_INSN_WARN_PCT ? " !" : "");
			if (v[i].stats_ok)
				fprintf(f, "  runs=%llu ns=%llu", (unsigned long long)v[i].run_cnt,
					(unsigned long long)v[i].run_ns);
			fputc('\n', f);
		} else {
			char raw_reason[200] = "", reason[400];

			if (v[i].rejected)
				kt_vlog_reason(v[i].log->log, v[i].log->h.log_len, raw_reason, sizeof(raw_reason));
			kt_line_clean(raw_reason, reason, sizeof(reason));
			if (v[i].rejected)
				fprintf(f, "  %-40s REJECTED%s%s\n", v[i].name, reason[0] ? ": " : "", reason);
			else
				fprintf(f, "  %-40s verified, then unloaded (another program of its object was "
					   "rejected)\n", v[i].name);
		}
		any_stats |= v[i].log && v[i].log->have_st;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].seen && kt_insn_limit_pct(v[i].verified_insns) >= KT_INSN_WARN_PCT) {
			if (!warned)
				fprintf(f, "  WARNING: close to the verifier's limit of %u instructions:\n",
					KT_VERIFIER_INSN_LIMIT);
			warned = true;
			fprintf(f, "  WARNING:   %s: %u verified instructions, %.1f %% of the budget; a kernel or "
				   "compiler change can push it over\n",
				v[i].name, v[i].verified_insns, kt_insn_limit_pct(v[i].verified_insns));
		}
	if (any_stats) {
		fprintf(f, "  --- verifier stats ---\n");
		for (size_t i = 0; i < n; i++) {
			const struct kt_vstats *s = v[i].log ? &v[i].log->st : NULL;
			char stack[64];

			if (!s || !v[i].log->have_st)
				continue;
			kt_vstats_stack_str(s, stack, sizeof(stack));
			fprintf(f, "  %-40s processed=%llu  states=%llu/%llu", v[i].name, (unsigned long long)s->processed,
				(unsigned long long)s->peak_states, (unsigned long long)s->total_states);
			if (s->have_time)
				fprintf(f, "  time=%lluus", (unsigned long long)s->time_usec);
			if (stack[0])
				fprintf(f, "  stack=%s", stack);
			fputc('\n', f);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].log)
			print_log(f, &v[i], raw);
	if (p->run.note[0] && n)
		fprintf(f, "  note: %s\n", p->run.note);
}

/* One row per profile: programs loaded, their total, the largest, and
 * what differs from the first profile. */
static void profile_rows(FILE *f, const struct kt_vprofile *p, size_t n, size_t w)
{
	static struct kt_vprog base[KT_VPROGS_MAX], one[KT_VPROGS_MAX];
	size_t nb = n ? kt_vprogs(&p[0].run, base, KT_VPROGS_MAX) : 0;

	fprintf(f, "\n%-*s %8s %12s  %-32s %9s  %s\n", (int)w, "profile", "programs", "total_insns", "largest",
		"of budget", n > 1 ? "changed from the first profile" : "");
	for (size_t k = 0; k < n; k++) {
		size_t m = kt_vprogs(&p[k].run, one, KT_VPROGS_MAX), loaded = 0, shown = 0;
		uint64_t total = 0;
		const struct kt_vprog *big = NULL;
		char largest[64] = "-", pct[16] = "-";

		for (size_t i = 0; i < m; i++) {
			if (!one[i].seen)
				continue;
			loaded++;
			total += one[i].verified_insns;
			if (!big || one[i].verified_insns > big->verified_insns)
				big = &one[i];
		}
		if (big) {
			snprintf(largest, sizeof(largest), "%s %u", big->name, big->verified_insns);
			snprintf(pct, sizeof(pct), "%.2f %%", kt_insn_limit_pct(big->verified_insns));
		}
		fprintf(f, "%-*s %8zu %12llu  %-32s %9s%s", (int)w, p[k].name, loaded, (unsigned long long)total, largest,
			pct, p[k].status ? "  (did not load)" : "");
		for (size_t i = 0; k && i < m; i++) {
			const struct kt_vprog *b = find(base, nb, one[i].name);

			if (!one[i].seen || (b && b->seen && b->verified_insns == one[i].verified_insns))
				continue;
			if (shown++ < 3 && b && b->seen)
				fprintf(f, "  %s %+lld", one[i].name,
					(long long)one[i].verified_insns - (long long)b->verified_insns);
			else if (shown <= 3)
				fprintf(f, "  %s new", one[i].name);
		}
		if (shown > 3)
			fprintf(f, "  (+%zu more)", shown - 3);
		fputc('\n', f);
	}
}

void kt_verifier_table(FILE *f, const struct kt_vprofile *p, size_t n)
{
	static struct kt_vprog all[KT_VPROGS_MAX], one[KT_VPROGS_MAX];
	size_t nall = 0, w = 12;

	for (size_t k = 0; k < n; k++) {
		size_t m = kt_vprogs(&p[k].run, one, KT_VPROGS_MAX);

		for (size_t i = 0; i < m; i++)
			if (!find(all, nall, one[i].name) && nall < KT_VPROGS_MAX)
				all[nall++] = one[i];
		if (strlen(p[k].name) + 2 > w)
			w = strlen(p[k].name) + 2;
	}
	profile_rows(f, p, n, w);
	fprintf(f, "\nverified_insns per program and profile (%u = 100 %%)\n%-32s", KT_VERIFIER_INSN_LIMIT, "program");
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%*s", (int)w, p[k].name);
	fputc('\n', f);
	for (size_t i = 0; i < nall; i++) {
		fprintf(f, "%-32s", all[i].name);
		for (size_t k = 0; k < n; k++) {
			size_t m = kt_vprogs(&p[k].run, one, KT_VPROGS_MAX);
			const struct kt_vprog *v = find(one, m, all[i].name);
			char cell[32];

			if (v && v->seen)
				snprintf(cell, sizeof(cell), "%u%s", v->verified_insns,
					 kt_insn_limit_pct(v->verified_insns) >= KT_INSN_WARN_PCT ? " !" : "");
			else
				snprintf(cell, sizeof(cell), "%s", v && v->rejected ? "REJECTED" : "-");
			fprintf(f, "%*s", (int)w, cell);
		}
		fputc('\n', f);
	}
}

json_t *kt_verifier_json(const char *sched, const char *kernel, const struct kt_vprofile *p, size_t n)
{
	json_t *j = json_object(), *arr = json_array();

	if (!j || !arr) {
		json_decref(j);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(j, "scheduler", json_string(sched));
	json_object_set_new(j, "kernel", json_string(kernel));
	for (size_t k = 0; k < n; k++) {
		json_t *o = kt_bpf_run_json(&p[k].run);

		if (!o)
			continue;
		json_object_set_new(o, "profile", json_string(p[k].name));
		json_object_set_new(o, "args", json_string(p[k].args));
		json_object_set_new(o, "attached", json_boolean(!p[k].status));
		json_array_append_new(arr, o);
	}
	json_object_set_new(j, "profiles", arr);
	return j;
}
