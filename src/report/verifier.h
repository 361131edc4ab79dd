/* `ktstr verifier` output (docs/verifier.md): per flag profile, each BPF
 * program's verified instructions with its share of the verifier's
 * 1,000,000-instruction budget, the verifier's statistics, the collapsed
 * (or raw) load logs, a rejected program's log around the rejection; a
 * table across profiles; the JSON form; and the A/B comparison of two
 * JSON files for CI.  Pure formatting over struct kt_bpf_run (guest text
 * is cleaned before it is printed). */
#ifndef KTSTR_REPORT_VERIFIER_H
#define KTSTR_REPORT_VERIFIER_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "runner/bpf_run.h"

/* One VM: a scheduler under one flag profile. */
struct kt_vprofile {
	char name[128];          /* "default", "batch+boost" */
	char args[1024];         /* the scheduler's arguments */
	int status;              /* 0: attached; 1: did not load/attach or the VM failed */
	struct kt_bpf_run run;
};

/* A program as the verifier command shows it: from the monitor's walk
 * (verified_insns, run counts) and/or the guest's load log. */
struct kt_vprog {
	char name[KT_BPF_NAME_LEN + 1];
	char type[24];
	bool seen;                /* loaded: the walk found it */
	uint32_t verified_insns;
	bool stats_ok;
	uint64_t run_cnt, run_ns;
	const struct kt_vlog_entry *log; /* its load log, NULL: none */
	bool rejected;
};
#define KT_VPROGS_MAX 128
/* Programs of a run, by name (the last load of a name wins), in the
 * order the walk saw them, then rejected ones.  Returns how many. */
size_t kt_vprogs(const struct kt_bpf_run *r, struct kt_vprog *out, size_t max);

/* The text for one profile: `label` heads it ("scx_ktstr/default"). */
void kt_verifier_print(FILE *f, const char *label, const struct kt_vprofile *p, bool raw);
/* One row per profile (programs loaded, total and largest verified_insns,
 * the programs whose figure differs from the first profile's), then
 * verified_insns of every program (rows) under every profile (columns):
 * "REJECTED" for a rejected program, "-" where it is absent. */
void kt_verifier_table(FILE *f, const struct kt_vprofile *p, size_t n);
/* {"scheduler","kernel","profiles":[{"profile","args","attached",
 * ...kt_bpf_run_json}]}; NULL on ENOMEM. */
json_t *kt_verifier_json(const char *sched, const char *kernel, const struct kt_vprofile *p, size_t n);

/* `--compare A B`: every "profile/program" of either file with its
 * verified_insns in A and B and delta = B - A (growth is positive), and
 * the totals over programs in both.  Returns 0, 1 when have_max and a
 * program in both (or the total) grew by more than max_growth %, or
 * -EINVAL when a file is not `ktstr verifier --json` output (err says
 * why). */
int kt_verifier_compare(FILE *f, const char *a_name, json_t *a, const char *b_name, json_t *b, bool have_max,
			double max_growth, char *err, size_t errlen);

#endif
