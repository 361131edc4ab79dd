/* What one VM run says about the scheduler's BPF side: the programs and
 * maps the host monitor read from guest memory (monitor/bpf.h) and the
 * verifier logs the guest sent (vlog_out.h).  Collected after the
 * monitor stopped; written into sidecars, `ktstr shell --bpf-out` and
 * `ktstr verifier --json` as one JSON object (docs/verifier.md). */
#ifndef KTSTR_RUNNER_BPF_RUN_H
#define KTSTR_RUNNER_BPF_RUN_H
#include <jansson.h>
#include "monitor/monitor.h"
#include "runner/vlog_out.h"

struct kt_bpf_run {
	struct kt_mon_bpf_prog *progs;
	size_t nprogs;
	struct kt_bpf_map *maps;
	size_t nmaps;
	char map_types[KT_BPF_MAX_OBJS][24]; /* type names of maps[i] */
	struct kt_vlogs vlogs;
	char note[256];                      /* why something is missing, "" */
	unsigned log_level;                  /* the verifier log level asked of the scheduler, 0: none */
};

/* Pure: drop the programs a later load replaced (same type and name,
 * first seen after the older one was last seen: a scheduler loaded
 * again, e.g. after the enable-helper warm-up); order kept.  The new
 * count. */
size_t kt_bpf_progs_drop_superseded(struct kt_mon_bpf_prog *v, size_t n);
/* Copy the monitor's results (after kt_monitor_stop; m may be NULL);
 * superseded programs left out. */
int kt_bpf_run_collect(struct kt_bpf_run *r, struct kt_monitor *m, const struct kt_layout *l);
void kt_bpf_run_free(struct kt_bpf_run *r);
/* The verifier statistics of the log of program `name` (NULL: none). */
const struct kt_vlog_entry *kt_bpf_run_vlog(const struct kt_bpf_run *r, const char *name);

/* {"progs":[{"id","name","type","verified_insns","insn_limit_pct",
 *   "run_cnt","run_time_ns","ns_per_run","seen_ms":[first,last],
 *   "processed_insns",...}], "maps":[{"id","name","type","key_size",
 *   "value_size","max_entries"}], "verifier":[kt_vlogs_json], "note"}.
 * NULL on ENOMEM. */
json_t *kt_bpf_run_json(const struct kt_bpf_run *r);
/* The share of the verifier's 1,000,000-instruction budget, in %. */
double kt_insn_limit_pct(uint64_t insns);
#define KT_INSN_WARN_PCT 75.0

#endif
