/* Payloads: real programs (stress-ng, fio, cyclictest, hackbench, a
 * build of your own) run in the guest beside the workers, with metrics
 * taken from their output and checks on them (docs/payloads.md).
 *
 *   KTSTR_PAYLOAD(hackbench, .binary = "hackbench", .args = { "-g", "2", "-l", "200" },
 *                 .output = KTSTR_OUT_REGEX, .regex = "^Time: ([0-9.]+)", .captures = { "time_s" },
 *                 .metrics = { { "time_s", KTSTR_LOWER_BETTER, "s" } },
 *                 .checks = { KTSTR_CHECK_MAX("time_s", 60) });
 *
 * and in a scenario's op list (include/ktstr/scenario.h):
 *
 *   KTSTR_OP_RUN_PAYLOAD(hackbench, .cgroup = "cg_0", .timeout_ms = 30000)
 *
 * The binary is a PATH name or a path on the host.  The runner resolves
 * it before any VM boots (a missing one is bad input, exit status 2,
 * naming the Debian package when known) and packs it, with its
 * shared-library closure and the .include files, into the guest at the
 * same absolute paths; /payload/NAME links to it. */
#ifndef KTSTR_PAYLOAD_H
#define KTSTR_PAYLOAD_H
#include <ktstr/api.h>
#include <stddef.h>

#define KTSTR_PAYLOAD_MAX_ARGS 32
#define KTSTR_PAYLOAD_MAX_CAPTURES 8
#define KTSTR_PAYLOAD_MAX_METRICS 16
#define KTSTR_PAYLOAD_MAX_CHECKS 16
#define KTSTR_PAYLOAD_MAX_INCLUDE 8

/* Where the metrics come from. */
enum ktstr_output {
	KTSTR_OUT_EXIT_CODE = 0, /* none: only the exit status counts */
	KTSTR_OUT_JSON,          /* the first JSON document in the output: each
				  * numeric leaf, named by its dotted path
				  * ("jobs.0.read.iops") */
	KTSTR_OUT_REGEX,         /* each output line matching .regex (POSIX ERE):
				  * group i is the metric .captures[i-1] */
};

/* Which way a metric is better; stats and compare take it from here. */
enum ktstr_polarity {
	KTSTR_POLARITY_UNKNOWN = 0, /* recorded, not compared */
	KTSTR_HIGHER_BETTER,
	KTSTR_LOWER_BETTER,
};

struct ktstr_metric_decl {
	const char *name; /* as extracted: "time_s", "jobs.0.read.iops" */
	enum ktstr_polarity polarity;
	const char *unit; /* display unit, e.g. "s", "iops", "us"; NULL: none */
};

/* Checks on a payload's metrics and exit status; a failed one fails the
 * test with the metric, its value and the bound. */
enum ktstr_pcheck_kind {
	KTSTR_PCHECK_END = 0,
	KTSTR_PCHECK_MIN,       /* metric >= lo */
	KTSTR_PCHECK_MAX,       /* metric <= hi */
	KTSTR_PCHECK_RANGE,     /* lo <= metric <= hi */
	KTSTR_PCHECK_EXISTS,    /* the output produced the metric */
	KTSTR_PCHECK_EXIT_CODE, /* exit status == code when the payload ended by itself */
};
struct ktstr_payload_check {
	enum ktstr_pcheck_kind kind;
	const char *metric;
	double lo, hi;
	int code;
};
#define KTSTR_CHECK_MIN(m, v) { .kind = KTSTR_PCHECK_MIN, .metric = (m), .lo = (v) }
#define KTSTR_CHECK_MAX(m, v) { .kind = KTSTR_PCHECK_MAX, .metric = (m), .hi = (v) }
#define KTSTR_CHECK_RANGE(m, l, h) { .kind = KTSTR_PCHECK_RANGE, .metric = (m), .lo = (l), .hi = (h) }
#define KTSTR_CHECK_EXISTS(m) { .kind = KTSTR_PCHECK_EXISTS, .metric = (m) }
#define KTSTR_CHECK_EXIT(c) { .kind = KTSTR_PCHECK_EXIT_CODE, .code = (c) }

/* A payload.  Lists end at their first NULL (zero) entry.  Without an
 * exit-code check a payload must exit 0 when it ends by itself. */
struct ktstr_payload {
	const char *name;   /* set by KTSTR_PAYLOAD: [A-Za-z0-9_-], <= 31 bytes */
	const char *binary; /* PATH name or host path */
	const char *args[KTSTR_PAYLOAD_MAX_ARGS];
	enum ktstr_output output;
	/* JSON and REGEX: read this file (relative to the payload's working
	 * directory, a fresh one per run) instead of stdout and stderr,
	 * e.g. cyclictest --json=FILE.  NULL: stdout, then stderr. */
	const char *output_file;
	const char *regex;  /* REGEX: extended POSIX regex, one line at a time */
	const char *captures[KTSTR_PAYLOAD_MAX_CAPTURES]; /* REGEX: group names ("": not a metric) */
	struct ktstr_metric_decl metrics[KTSTR_PAYLOAD_MAX_METRICS];
	struct ktstr_payload_check checks[KTSTR_PAYLOAD_MAX_CHECKS];
	const char *include[KTSTR_PAYLOAD_MAX_INCLUDE]; /* host files or directories it needs */
	/* The Debian package providing binary, for the message when it is
	 * missing; NULL: ktstr's own table (stress-ng, fio, rt-tests...). */
	const char *package;
};

#define KTSTR_PAYLOAD(var, ...) const struct ktstr_payload var = { .name = #var, __VA_ARGS__ }

/* A NULL-terminated argument list for KTSTR_OP_RUN_PAYLOAD's .payload_args. */
#define KTSTR_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Check a declaration (name, binary, output mode, regex and its groups,
 * metric names, checks).  0, or -EINVAL with "field: reason" in err. */
KTSTR_API int ktstr_payload_validate(const struct ktstr_payload *p, char *err, size_t errlen);

#endif
