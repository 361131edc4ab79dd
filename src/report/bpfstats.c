/* The sidecars' "bpf" object (docs/verifier.md) in `ktstr stats`, the
 * HTML report and the compare metrics.  Sidecars are untrusted: names
 * bounded and cleaned, counts clamped, at most KR_BPF_MAX programs. */
#include "report/report.h"
#include "report/bpfstats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LIMIT 1000000.0 /* the verifier's budget of processed instructions */
#define WARN_PCT 75.0

/* A count from an untrusted value: a finite number in [0, 2^53]. */
static bool count(json_t *v, double *out)
{
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0)
		return false;
	*out = d > 9007199254740992.0 ? 9007199254740992.0 : d;
	return true;
}

static void clean(char *dst, size_t len, const char *s)
{
	size_t n = 0;

	for (; s && *s && n + 1 < len; s++)
		dst[n++] = (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
	dst[n] = '\0';
}

int kt_rep_bpf_add(struct kr_bpf_set *s, json_t *sidecar)
{
	json_t *progs = json_object_get(json_object_get(sidecar, "bpf"), "progs"), *p;
	const char *test = json_string_value(json_object_get(sidecar, "name"));
	size_t i;

	json_array_foreach(progs, i, p) {
		char tname[sizeof(s->v[0].test)], pname[sizeof(s->v[0].prog)];
		double vi, cnt = 0, ns = 0;
		struct kr_bpf_prog *e = NULL;

		if (!count(json_object_get(p, "verified_insns"), &vi) || !json_is_string(json_object_get(p, "name")))
			continue;
		clean(tname, sizeof(tname), test ? test : "?");
		clean(pname, sizeof(pname), json_string_value(json_object_get(p, "name")));
		for (size_t k = 0; k < s->n && !e; k++)
			if (!strcmp(s->v[k].test, tname) && !strcmp(s->v[k].prog, pname))
				e = &s->v[k];
		if (!e) {
			if (s->n == KR_BPF_MAX)
				return -E2BIG;
			e = &s->v[s->n++];
			memset(e, 0, sizeof(*e));
			snprintf(e->test, sizeof(e->test), "%s", tname);
			snprintf(e->prog, sizeof(e->prog), "%s", pname);
			clean(e->type, sizeof(e->type), json_string_value(json_object_get(p, "type")));
		}
		if (vi > e->verified_insns)
			e->verified_insns = vi;
		if (count(json_object_get(p, "run_cnt"), &cnt) && count(json_object_get(p, "run_time_ns"), &ns)) {
			e->run_cnt += cnt;
			e->run_ns += ns;
			e->have_runs = true;
		}
		e->runs++;
	}
	return 0;
}

int kt_rep_bpf_text(const struct kr_bpf_set *s, struct kbuf *out)
{
	unsigned warn = 0;
	int ret = 0;

	if (!s->n)
		return 0;
	ret = kt_kbuf_printf(out, "\nBPF programs (verified instructions of the verifier's %.0f budget; run counts "
				  "and time from bpf_stats):\n  %-32s %-16s %-10s %10s %8s %12s %10s\n",
			     LIMIT, "TEST", "PROGRAM", "TYPE", "VERIFIED", "LIMIT%", "RUNS", "NS/RUN");
	for (size_t i = 0; i < s->n && !ret; i++) {
		const struct kr_bpf_prog *e = &s->v[i];
		double pct = 100.0 * e->verified_insns / LIMIT;
		char runs[32] = "-", per[32] = "-";

		if (e->have_runs) {
			snprintf(runs, sizeof(runs), "%.0f", e->run_cnt);
			if (e->run_cnt > 0)
				snprintf(per, sizeof(per), "%.0f", e->run_ns / e->run_cnt);
		}
		warn += pct >= WARN_PCT;
		ret = kt_kbuf_printf(out, "  %-32s %-16s %-10s %10.0f %7.2f%% %12s %10s%s\n", e->test, e->prog, e->type,
				     e->verified_insns, pct, runs, per, pct >= WARN_PCT ? " !" : "");
	}
	for (size_t i = 0; i < s->n && !ret && warn; i++) {
		const struct kr_bpf_prog *e = &s->v[i];

		if (100.0 * e->verified_insns / LIMIT >= WARN_PCT)
			ret = kt_kbuf_printf(out, "WARNING: %s: %s uses %.1f %% of the verifier's budget; a kernel or "
						  "compiler change can push it over\n",
					     e->test, e->prog, 100.0 * e->verified_insns / LIMIT);
	}
	return ret;
}

int kt_rep_bpf_load(const char *path, struct kr_bpf_set *s)
{
	struct kr_docs d;
	struct stat st;
	json_error_t je;
	json_t *j;
	int ret = 0;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		ret = kt_rep_docs_load(path, &d);
		for (size_t i = 0; !ret && i < d.n; i++)
			ret = kt_rep_bpf_add(s, d.v[i].j);
		kt_rep_docs_free(&d);
		return ret;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je); /* one sidecar file */
	if (j && json_is_object(json_object_get(j, "bpf")))
		ret = kt_rep_bpf_add(s, j);
	json_decref(j);
	return ret;
}

void kt_rep_bpf_metrics(json_t *bpf, bool *has, double *total_ns, double *ns_per_run, double *max_insns)
{
	json_t *p;
	double cnt = 0, ns = 0, vi, c, n;
	size_t i;

	*has = false;
	*total_ns = *ns_per_run = *max_insns = 0;
	json_array_foreach(json_object_get(bpf, "progs"), i, p) {
		if (i >= KR_BPF_MAX)
			break;
		if (count(json_object_get(p, "verified_insns"), &vi) && vi > *max_insns)
			*max_insns = vi;
		if (count(json_object_get(p, "run_cnt"), &c) && count(json_object_get(p, "run_time_ns"), &n)) {
			cnt += c;
			ns += n;
		}
		*has = true;
	}
	*total_ns = ns;
	*ns_per_run = cnt > 0 ? ns / cnt : 0;
}

void kt_rep_bpf_html(struct kbuf *b, json_t *bpf)
{
	json_t *progs = json_object_get(bpf, "progs"), *p;
	size_t i;

	if (!json_array_size(progs))
		return;
	kt_kbuf_printf(b, "<h3>BPF programs</h3>\n<table><tr><th>program</th><th>type</th><th>verified_insns</th>"
			  "<th>of 1,000,000</th><th>runs</th><th>ns/run</th></tr>\n");
	json_array_foreach(progs, i, p) {
		double vi = 0, c = 0, n = 0;
		bool runs = count(json_object_get(p, "run_cnt"), &c) && count(json_object_get(p, "run_time_ns"), &n);
		const char *name = json_string_value(json_object_get(p, "name")),
			   *type = json_string_value(json_object_get(p, "type"));

		if (i >= KR_BPF_MAX)
			break;
		count(json_object_get(p, "verified_insns"), &vi);
		kt_kbuf_printf(b, "<tr><td>");
		kt_rep_html_esc(b, name ? name : "?");
		kt_kbuf_printf(b, "</td><td>");
		kt_rep_html_esc(b, type ? type : "?");
		kt_kbuf_printf(b, "</td><td>%.0f</td><td>%.2f %%%s</td>", vi, 100.0 * vi / LIMIT,
			       100.0 * vi / LIMIT >= WARN_PCT ? " !" : "");
		if (runs)
			kt_kbuf_printf(b, "<td>%.0f</td><td>%.0f</td></tr>\n", c, c > 0 ? n / c : 0.0);
		else
			kt_kbuf_printf(b, "<td>-</td><td>-</td></tr>\n");
	}
	kt_kbuf_printf(b, "</table>\n");
}
