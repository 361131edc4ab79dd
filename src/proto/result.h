/* A test's verdict as produced in the guest and judged on the host:
 * details, per-cgroup statistics, the topology the guest saw.  JSON
 * encoding (jansson) and the checksummed COM2 frame.  Pure logic. */
#ifndef KTSTR_RESULT_H
#define KTSTR_RESULT_H
#include <ktstr/ktstr.h>
#include "util/util.h"
#include "util/capture.h"

#define KT_FRAME_BEGIN "===KTSTR_RESULT_BEGIN"
#define KT_FRAME_END "===KTSTR_RESULT_END==="
#define KT_MAX_DETAILS 64
#define KT_MAX_CGROUPS 64
#define KT_MAX_LLCS 64
/* Log2 histogram buckets: bucket 0 counts values below 1, bucket k
 * (1 <= k < KT_HIST_BUCKETS - 1) values in [2^(k-1), 2^k), the last one
 * every value from 2^(KT_HIST_BUCKETS-2) up. */
#define KT_HIST_BUCKETS 24

struct kt_detail {
	enum ktstr_kind kind;
	char msg[512];
};

/* Per-cgroup statistics (the reference's CgroupStats).  Latencies in
 * microseconds; ratios as fractions; *_pct in percent. */
struct kt_cgstats {
	char name[64];
	char work[24];                 /* work type name */
	unsigned workers, cpus;        /* cpus: |union of cpus_used| */
	double avg_off_cpu_pct, min_off_cpu_pct, max_off_cpu_pct;
	double spread_pct;             /* max - min off-CPU % */
	uint64_t max_gap_ms;
	int max_gap_cpu;
	uint64_t migrations, iterations, work_units;
	double migration_ratio;        /* migrations / iterations */
	double iterations_per_worker;
	uint64_t wake_samples;         /* pooled samples the latencies use */
	double p99_wake_latency_us, median_wake_latency_us, wake_latency_cv;
	double wake_latency_tail_ratio; /* p99 / median, 0 if median is 0 */
	uint64_t mean_run_delay_us, worst_run_delay_us;
	double page_locality;          /* 0 without a cpuset or pages */
	double cross_node_migration_ratio;
	/* Log2 histograms (kt_hist_bucket): each worker's longest gap in ms,
	 * and the pooled wake samples in microseconds. */
	uint32_t gap_hist_ms[KT_HIST_BUCKETS], wake_hist_us[KT_HIST_BUCKETS];
};

/* Scenario-wide aggregate (the reference's ScenarioStats): totals are
 * sums, worst_* the maximum, except worst_page_locality and
 * worst_iterations_per_worker: the lowest non-zero value. */
struct kt_scenario_stats {
	unsigned total_cpus;
	uint64_t total_migrations, total_iterations;
	double worst_spread;
	uint64_t worst_gap_ms;
	int worst_gap_cpu;
	double worst_migration_ratio;
	double worst_p99_wake_latency_us, worst_median_wake_latency_us, worst_wake_latency_cv;
	uint64_t worst_mean_run_delay_us, worst_run_delay_us;
	double worst_page_locality, worst_cross_node_migration_ratio;
	double worst_wake_latency_tail_ratio, worst_iterations_per_worker;
};

/* Topology as read back from guest sysfs. */
struct kt_seen_topo {
	unsigned cpus, nodes, llcs;
	unsigned llc_size_min, llc_size_max; /* CPUs per LLC */
	unsigned smt_min, smt_max;           /* CPUs per core */
	bool llcs_within_nodes;              /* no LLC spans two nodes */
	char llc_lists[KT_MAX_LLCS][32];     /* "0-1" ... (first KT_MAX_LLCS) */
	char node_lists[8][64];
};

struct kt_result {
	char test[128];
	bool passed, skipped;
	unsigned ndetails;
	struct kt_detail details[KT_MAX_DETAILS];
	unsigned ncg;
	struct kt_cgstats cg[KT_MAX_CGROUPS];
	bool have_topo;
	struct kt_seen_topo topo;
	uint64_t elapsed_ms;
	unsigned workers;
	struct kt_scenario_stats stats;
};

void kt_result_init(struct kt_result *r, const char *test);
void kt_result_add(struct kt_result *r, enum ktstr_kind kind, const char *msg);
/* The log2 histogram bucket of v (see KT_HIST_BUCKETS). */
unsigned kt_hist_bucket(uint64_t v);
enum ktstr_kind ktstr_kind_parse(const char *s);

/* JSON (compact, one line). */
int kt_result_to_json(const struct kt_result *r, struct kbuf *out);
/* Parses untrusted JSON; unknown fields ignored, strings truncated to fit. */
int kt_result_from_json(const char *json, size_t len, struct kt_result *r, char *err, size_t errlen);

/* Frame: "===KTSTR_RESULT_BEGIN len=N crc=XXXXXXXX===\n<json>\n===KTSTR_RESULT_END===\n" */
int kt_frame_encode(const char *json, size_t len, struct kbuf *out);

/* The frame search, streaming and linear (docs/protocol.md): carriage
 * returns are dropped; a header is the last KT_FRAME_BEGIN of a line
 * with exactly " len=<decimal> crc=<8 hex digits>===" after it and then
 * the line's end; its payload is the first len bytes of the next line
 * (no newline among them; the rest of that line does not matter), len at
 * most KT_FRAME_MAX_LEN; the last payload whose CRC-32 matches wins.
 * Every byte is looked at once and checksummed at most once. */
#define KT_FRAME_MAX_LEN (1u << 20)
struct kt_frame_scan {
	struct kt_marker begin; /* KT_FRAME_BEGIN in the current line */
	uint64_t line_len;      /* the current line so far, CRs not counted */
	uint64_t marks;         /* KT_FRAME_BEGINs in it */
	char hdr[48];           /* what follows the last one */
	size_t hdr_len;
	bool hdr_long;
	bool want;              /* the previous line announced a frame: */
	uint64_t want_len;      /*   its length, */
	uint32_t want_crc, crc; /*   its CRC and the CRC so far */
	struct kbuf cur;        /*   its payload so far */
	bool any, ok, done;     /* a header seen; a frame verified; finished */
	struct kbuf payload;    /* the last verified payload */
	char err[160];          /* why the last failed one failed */
	uint64_t work;          /* bytes examined + bytes checksummed */
};
void kt_frame_scan_init(struct kt_frame_scan *s);
void kt_frame_scan_feed(struct kt_frame_scan *s, const char *p, size_t n);
/* The end of the stream (an unterminated last line counts as a line). */
void kt_frame_scan_finish(struct kt_frame_scan *s);
void kt_frame_scan_free(struct kt_frame_scan *s);
/* After finish: 0 with the payload copied to out; -ENOENT: no header;
 * -EBADMSG: headers but no frame verified (err says why). */
int kt_frame_scan_result(const struct kt_frame_scan *s, struct kbuf *out, char *err, size_t errlen);
/* All of the above over one buffer. */
int kt_frame_find_last(const char *stream, size_t len, struct kbuf *out, char *err, size_t errlen);

/* Compare what the guest saw with what was asked.  Returns 0 if they
 * match, else -EINVAL with both described in err. */
int kt_topo_compare(const struct ktstr_topo *want, const struct kt_seen_topo *seen, char *err,
		    size_t errlen);

#endif
