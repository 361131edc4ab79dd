/* Payloads, the pure part: declarations checked, the Debian package of
 * a missing binary, metrics taken from output (JSON leaves, regex
 * captures) and the checks on them.  No syscalls; every input is
 * bounded (a payload's output is whatever the program printed). */
#ifndef KTSTR_MODEL_PAYLOAD_H
#define KTSTR_MODEL_PAYLOAD_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/payload.h>

#define KT_METRIC_NAME 96    /* a metric name, NUL included */
#define KT_METRICS_MAX 256   /* per payload run; more are counted as dropped */
#define KT_JSON_DEPTH 32     /* deeper JSON subtrees are dropped */
#define KT_JSON_TRIES 16     /* line starts tried for the JSON document */
#define KT_LINE_MAX 4096     /* longer output lines are cut there for the regex */

struct kt_metric {
	char name[KT_METRIC_NAME];
	double value;
};
struct kt_metrics {
	unsigned n;
	unsigned dropped; /* not kept: over KT_METRICS_MAX, name too long, not a finite number */
	struct kt_metric v[KT_METRICS_MAX];
};

/* A metric name: 1..95 bytes of [A-Za-z0-9_.-]. */
bool kt_metric_name_ok(const char *name);
/* A payload name: 1..31 bytes of [A-Za-z0-9_-]. */
bool kt_payload_name_ok(const char *name);
/* Adds name = v: -EEXIST if present, -EINVAL for a bad name or a
 * non-finite value, -ENOSPC when full (each counted in dropped). */
int kt_metrics_add(struct kt_metrics *m, const char *name, double v);
const struct kt_metric *kt_metrics_find(const struct kt_metrics *m, const char *name);

/* The first JSON object or array in text (at its start or at a line
 * starting with '{' or '[', KT_JSON_TRIES tried): every numeric leaf
 * becomes a metric named by its path, object keys with bytes outside
 * [A-Za-z0-9_-] replaced by '_', array indices in decimal, joined by
 * '.'.  0, or -ENOMSG when there is no JSON document. */
int kt_metrics_from_json(const char *text, size_t len, struct kt_metrics *m);
/* REGEX mode: each line (cut at KT_LINE_MAX) matching p->regex gives
 * one metric per named group, the group's text as a number; a name
 * seen before gets ".1", ".2"... for its later lines.  0, or -EINVAL
 * (err) when the regex does not compile. */
int kt_metrics_from_lines(const struct ktstr_payload *p, const char *text, size_t len, struct kt_metrics *m,
			  char *err, size_t errlen);

/* The declared metric called name, or NULL. */
const struct ktstr_metric_decl *kt_payload_metric(const struct ktstr_payload *p, const char *name);
/* The Debian package providing p->binary: p->package, else ktstr's
 * table by the binary's base name; NULL when unknown. */
const char *kt_payload_package(const struct ktstr_payload *p);

/* How a payload run ended. */
struct kt_payload_end {
	bool exited;      /* ended by itself: code (exit status) or sig */
	int code, sig;    /* exit status; signal that killed it (0: none) */
	bool killed;      /* stopped by the harness (KILL_PAYLOAD, end of step, cgroup removed) */
	bool timed_out;   /* stopped because its timeout_ms passed */
	unsigned timeout_ms;
};
/* Evaluates p's checks (and, without an exit-code check, "exit 0 when
 * it ended by itself"; a timeout always fails) on the run's metrics.
 * Calls fail(arg, message) per failure, the message naming the
 * payload, the metric, its value and the bound.  Returns the number
 * of failures. */
unsigned kt_payload_checks(const struct ktstr_payload *p, const struct kt_metrics *m, const struct kt_payload_end *e,
			   void (*fail)(void *arg, const char *msg), void *arg);

#endif
