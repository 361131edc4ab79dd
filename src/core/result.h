/* A test's verdict as produced in the guest and judged on the host:
 * details, per-cgroup statistics, the topology the guest saw.  JSON
 * encoding (jansson) and the checksummed COM2 frame.  Pure logic. */
#ifndef KTSTR_RESULT_H
#define KTSTR_RESULT_H
#include <ktstr/ktstr.h>
#include "util/util.h"

#define KT_FRAME_BEGIN "===KTSTR_RESULT_BEGIN"
#define KT_FRAME_END "===KTSTR_RESULT_END==="
#define KT_MAX_DETAILS 64
#define KT_MAX_CGROUPS 64
#define KT_MAX_LLCS 64

struct kt_detail {
	enum ktstr_kind kind;
	char msg[256];
};

struct kt_cgstats {
	char name[64];
	unsigned workers, cpus;
	double spread_pct;
	uint64_t max_gap_ms;
	int max_gap_cpu;
	uint64_t migrations, iterations, work_units;
	uint64_t mean_run_delay_us;
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
};

void kt_result_init(struct kt_result *r, const char *test);
void kt_result_add(struct kt_result *r, enum ktstr_kind kind, const char *msg);
enum ktstr_kind ktstr_kind_parse(const char *s);

/* JSON (compact, one line). */
int kt_result_to_json(const struct kt_result *r, struct kbuf *out);
/* Parses untrusted JSON; unknown fields ignored, strings truncated to fit. */
int kt_result_from_json(const char *json, size_t len, struct kt_result *r, char *err, size_t errlen);

/* Frame: "===KTSTR_RESULT_BEGIN len=N crc=XXXXXXXX===\n<json>\n===KTSTR_RESULT_END===\n" */
int kt_frame_encode(const char *json, size_t len, struct kbuf *out);
/* Finds the last frame in a stream (carriage returns tolerated) whose
 * length and CRC verify; copies its payload to out.  -ENOENT: none;
 * -EBADMSG: frames exist but none verified (err says why). */
int kt_frame_find_last(const char *stream, size_t len, struct kbuf *out, char *err, size_t errlen);

/* Compare what the guest saw with what was asked.  Returns 0 if they
 * match, else -EINVAL with both described in err. */
int kt_topo_compare(const struct ktstr_topo *want, const struct kt_seen_topo *seen, char *err,
		    size_t errlen);

#endif
