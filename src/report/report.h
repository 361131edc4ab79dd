/* Analysis of JSON sidecars (`--out DIR`): the metric registry with
 * dual-gate thresholds (the reference's METRICS), per-test and overall
 * statistics, A/B comparison, and the self-contained HTML report.
 *
 * Everything in a sidecar came from or through the guest and is
 * untrusted: strings are truncated and escaped, numbers clamped, arrays
 * bounded.  Pure logic except kt_rep_docs_load (directory reading). */
#ifndef KTSTR_REPORT_H
#define KTSTR_REPORT_H
#include <jansson.h>
#include <stdbool.h>
#include "util/util.h"

/* ---- metric registry (metrics.c) ---- */
enum kr_polarity { KR_LOWER_BETTER, KR_HIGHER_BETTER };
/* How the overall row folds per-test values. */
enum kr_fold { KR_FOLD_SUM, KR_FOLD_MAX, KR_FOLD_MIN };

struct kr_metric {
	const char *name;
	enum kr_polarity pol;
	double abs, rel; /* default gates: absolute (metric units), relative (fraction) */
	const char *unit; /* display unit, "" for none */
	enum kr_fold fold;
	const char *desc;
};

#define KR_NMETRICS 22
extern const struct kr_metric kt_rep_metrics[KR_NMETRICS];
/* Index of a metric by name, or -1. */
int kt_rep_metric_find(const char *name);

/* A payload metric declared with a polarity (sidecar "payloads",
 * include/ktstr/payload.h), named "PAYLOAD.METRIC"; a test's second
 * run of the same payload gives "PAYLOAD#2.METRIC".  Undeclared ones
 * stay in the sidecar only.  Compared with the "payload" gate. */
#define KR_MAX_EXT 64
#define KR_EXT_NAME 136
struct kr_ext {
	char name[KR_EXT_NAME];
	char unit[16];
	enum kr_polarity pol;
	double v;
};

/* One sidecar, or several runs of one test averaged. */
struct kr_row {
	char name[128], topology[64], scheduler[128], flags[128];
	char verdict[16]; /* pass | fail | skip | error (one run), or "mixed" */
	bool passed, skipped;
	unsigned runs, passed_runs;
	double duration_s;
	bool has[KR_NMETRICS];
	double v[KR_NMETRICS];
	unsigned next;               /* payload metrics (first KR_MAX_EXT) */
	struct kr_ext ext[KR_MAX_EXT];
};

struct kr_set {
	struct kr_row *rows;
	size_t n, cap;
};
int kt_rep_set_add(struct kr_set *s, const struct kr_row *r);
void kt_rep_set_free(struct kr_set *s);

/* A sidecar's metrics.  -EINVAL (err says why) if j is not a sidecar. */
int kt_rep_row_from_sidecar(json_t *j, struct kr_row *row, char *err, size_t errlen);
/* Grouping dimensions besides the test name. */
enum { KR_DIM_TOPOLOGY = 1, KR_DIM_SCHEDULER = 2, KR_DIM_FLAGS = 4, KR_DIM_ALL = 7 };
/* Rows grouped by name plus the dims in mask (first-seen order): each
 * metric is the mean over the group's passing runs that have it (over
 * every non-skipped run when none passed); passed = every run passed. */
int kt_rep_group(const struct kr_set *in, unsigned dims, struct kr_set *out);
/* The overall row of non-skipped rows: sums of totals and counts, the
 * worst of the worst_* (max, or min for higher-is-better). */
void kt_rep_overall(const struct kr_set *in, struct kr_row *out);
/* Copy src into dst[len], truncated at a UTF-8 character boundary. */
void kt_rep_copy(char *dst, size_t len, const char *src);
/* Format a value with its unit ("12.5 ms", "0.0312"), "-" when absent. */
void kt_rep_fmt_value(int metric, double v, char *buf, size_t len);

/* ---- payload metrics (payload_metrics.c) ---- */
/* The declared payload metrics of a sidecar's "payloads" array into r
 * (untrusted: names and units checked, values finite and clamped). */
void kt_rep_ext_from_sidecar(json_t *sidecar, struct kr_row *r);
/* Index of the payload metric called name in r, or -1. */
int kt_rep_ext_find(const struct kr_row *r, const char *name);
/* out's payload metrics: each one of rows[0..n) averaged over the rows
 * that have it (first seen order). */
void kt_rep_ext_mean(const struct kr_row *const *rows, size_t n, struct kr_row *out);
/* {"NAME": {"value", "unit", "polarity"}} for stats --json, and back. */
json_t *kt_rep_ext_json(const struct kr_row *r);
void kt_rep_ext_from_json(json_t *o, struct kr_row *r);
/* "12.5 ms"-style value with a payload metric's unit. */
void kt_rep_ext_fmt(const struct kr_ext *e, double v, char *buf, size_t len);
/* The stats table's "payload metrics" section (nothing without any). */
int kt_rep_ext_text(const struct kr_set *t, struct kbuf *out);

/* ---- loading (load.c) ---- */
struct kr_doc {
	char *path;
	json_t *j;
};
struct kr_docs {
	struct kr_doc *v;
	size_t n, cap;
};
/* Every *.ktstr.json in dir and in its direct subdirectories, sorted by
 * path.  Prints what is wrong; -ENOENT/-ENOTDIR for the directory,
 * -EBADMSG for a file that is not JSON or not a sidecar. */
int kt_rep_docs_load(const char *dir, struct kr_docs *d);
void kt_rep_docs_free(struct kr_docs *d);
/* A directory of sidecars, or a `ktstr stats --json` file, as rows (not
 * grouped).  Prints what is wrong; -ENODATA when there are no sidecars. */
int kt_rep_load_rows(const char *path, struct kr_set *out);

/* ---- stats output (statsfmt.c) ---- */
/* The readable table: a row per test, then the overall row. */
int kt_rep_stats_text(const struct kr_set *tests, const struct kr_row *overall, struct kbuf *out);
/* {"ktstr_stats": 1, "tests": [...], "overall": {...}}, pretty-printed. */
int kt_rep_stats_json(const struct kr_set *tests, const struct kr_row *overall, struct kbuf *out);
/* Rows back from kt_rep_stats_json output.  -EINVAL (err) if it is not one. */
int kt_rep_rows_from_stats_json(json_t *j, struct kr_set *out, char *err, size_t errlen);
/* The registry as a table, or as JSON with --json. */
int kt_rep_metrics_list(bool json, struct kbuf *out);

/* ---- compare (compare.c) ---- */
struct kr_gate {
	double abs, rel;
};
/* Gates: one per registry metric, then KR_GATE_PAYLOAD for every
 * payload metric (default abs 0, rel 10%). */
#define KR_GATE_PAYLOAD KR_NMETRICS
#define KR_NGATES (KR_NMETRICS + 1)
void kt_rep_gates_default(struct kr_gate g[KR_NGATES]);
/* "METRIC=ABS,REL" (either may be empty: keep; REL a fraction, or a
 * percentage with '%'; METRIC "all" sets every metric, "payload" the
 * payload metrics' gate).  -EINVAL, err saying what is wrong. */
int kt_rep_gate_parse(const char *spec, struct kr_gate g[KR_NGATES], char *err, size_t errlen);

enum kr_change { KR_SAME, KR_NOISE, KR_REGRESSION, KR_IMPROVEMENT };
/* Dual gate: significant iff |b - a| >= abs AND |b - a| / |a| >= rel (a
 * base of ~0 makes any change relatively infinite); its direction from
 * the polarity.  KR_SAME when both are ~0 or equal. */
enum kr_change kt_rep_gate_eval(int metric, const struct kr_gate *g, double a, double b, double *delta,
			    double *rel);
/* The same for a metric of polarity pol (payload metrics). */
enum kr_change kt_rep_gate_eval_pol(enum kr_polarity pol, const struct kr_gate *g, double a, double b, double *delta,
				    double *rel);

struct kr_cmp_line {
	size_t base, new; /* rows of kr_cmp.base / .new */
	int metric;       /* -1: the verdict line (passed -> failed), or a payload metric */
	int ext;          /* payload metric: its index in the new row's ext[]; -1: none */
	double a, b, delta, rel;
	enum kr_change change;
};
struct kr_cmp {
	struct kr_set base, new; /* grouped by the pairing key */
	unsigned dims;           /* pairing dims (besides the name) */
	struct kr_cmp_line *lines;
	size_t n, cap;
	unsigned regressions, improvements, unchanged;
	unsigned paired, excluded, only_base, only_new, base_runs, new_runs;
};
/* Pair the tests of base and new and apply the gates.  Dimensions whose
 * values differ between the sides (e.g. the scheduler in a scheduler A/B)
 * are left out of the pairing key. */
int kt_rep_compare(const struct kr_set *base, const struct kr_set *new, const struct kr_gate g[KR_NGATES],
	       struct kr_cmp *c);
int kt_rep_compare_text(const struct kr_cmp *c, bool all, struct kbuf *out);
void kt_rep_cmp_free(struct kr_cmp *c);

/* ---- HTML (html.c, svg.c) ---- */
/* Append s escaped for HTML text and attributes (valid UTF-8, no markup). */
void kt_rep_html_esc(struct kbuf *b, const char *s);
/* One self-contained page: no external resources, no scripts. */
int kt_rep_html_report(const struct kr_docs *d, const char *title, struct kbuf *out);
/* Inline SVG plots of a test (the monitor's time series, histograms).
 * Return the number of <svg> elements appended. */
int kt_rep_svg_timeline(struct kbuf *b, json_t *monitor, const char *signal, const char *title);
int kt_rep_svg_hist(struct kbuf *b, const char *title, const char *unit, const uint64_t *counts, unsigned n);

#endif
