/* BPF programs from sidecars (their "bpf" object, docs/verifier.md):
 * `ktstr stats` lists each test's programs with the share of the
 * verifier's 1,000,000-instruction budget and their run time; the HTML
 * report gets a small table per run; compare gets three metrics
 * (bpf_run_ns, bpf_ns_per_run, bpf_max_verified_insns).  Pure apart from
 * kt_rep_bpf_load. */
#ifndef KTSTR_REPORT_BPFSTATS_H
#define KTSTR_REPORT_BPFSTATS_H
#include <jansson.h>
#include <stdbool.h>
#include "util/util.h"

#define KR_BPF_MAX 1024 /* (test, program) pairs kept */

struct kr_bpf_prog {
	char test[128], prog[17], type[24];
	double verified_insns;      /* the largest seen */
	double run_cnt, run_ns;     /* summed over the test's runs */
	bool have_runs;
	unsigned runs;              /* sidecars it was in */
};
struct kr_bpf_set {
	struct kr_bpf_prog v[KR_BPF_MAX];
	size_t n;
};

/* Add a sidecar's programs (grouped by test name and program name).
 * -E2BIG when the set is full. */
int kt_rep_bpf_add(struct kr_bpf_set *s, json_t *sidecar);
/* The sidecars of a directory (as `ktstr stats` finds them) or one
 * sidecar file; other files add nothing. */
int kt_rep_bpf_load(const char *path, struct kr_bpf_set *s);
/* The `ktstr stats` section ("" when s is empty): a line per program,
 * " !" and a WARNING line from 75 % of the budget. */
int kt_rep_bpf_text(const struct kr_bpf_set *s, struct kbuf *out);
/* The compare metrics of one sidecar's "bpf" object. */
void kt_rep_bpf_metrics(json_t *bpf, bool *has, double *total_ns, double *ns_per_run, double *max_insns);
/* The HTML report's table of a run's programs (nothing without any). */
void kt_rep_bpf_html(struct kbuf *b, json_t *bpf);

#endif
