/* Payload declarations checked, the package hint, the metric set and
 * the checks on a run (model/payload.h).  Pure. */
#include "model/payload.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static bool name_chars(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= max && kt_word_chars(s, n, extra);
}

bool kt_metric_name_ok(const char *name)
{
	return name_chars(name, KT_METRIC_NAME - 1, ".");
}

bool kt_payload_name_ok(const char *name)
{
	return name_chars(name, 31, "");
}

const struct kt_metric *kt_metrics_find(const struct kt_metrics *m, const char *name)
{
	for (unsigned i = 0; name && i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

int kt_metrics_add(struct kt_metrics *m, const char *name, double v)
{
	int ret = 0;

	if (!kt_metric_name_ok(name) || !isfinite(v))
		ret = -EINVAL;
	else if (m->n >= KT_METRICS_MAX) /* before the search: a huge document stays linear */
		ret = -ENOSPC;
	else if (kt_metrics_find(m, name))
		ret = -EEXIST;
	if (ret) {
		m->dropped++;
		return ret;
	}
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	m->v[m->n++].value = v;
	return 0;
}

const struct ktstr_metric_decl *kt_payload_metric(const struct ktstr_payload *p, const char *name)
{
	for (size_t i = 0; name && i < KTSTR_PAYLOAD_MAX_METRICS && p->metrics[i].name; i++)
		if (!strcmp(p->metrics[i].name, name))
			return &p->metrics[i];
	return NULL;
}

/* Programs whose Debian package is known (apt-get install PACKAGE). */
static const struct {
	const char *binary, *package;
} packages[] = {
	{ "stress-ng", "stress-ng" }, { "fio", "fio" },           { "cyclictest", "rt-tests" },
	{ "hackbench", "rt-tests" },  { "pi_stress", "rt-tests" }, { "signaltest", "rt-tests" },
	{ "cyclicdeadline", "rt-tests" }, { "deadline_test", "rt-tests" }, { "pmqtest", "rt-tests" },
	{ "ptsematest", "rt-tests" }, { "sigwaittest", "rt-tests" }, { "svsematest", "rt-tests" },
	{ "perf", "linux-perf" },     { "sysbench", "sysbench" },  { "stress", "stress" },
	{ "iperf3", "iperf3" },       { "netperf", "netperf" },   { "busybox", "busybox-static" },
};

const char *kt_payload_package(const struct ktstr_payload *p)
{
	const char *base;

	if (p->package && *p->package)
		return p->package;
	if (!p->binary)
		return NULL;
	base = strrchr(p->binary, '/');
	base = base ? base + 1 : p->binary;
	for (size_t i = 0; i < ARRAY_SIZE(packages); i++)
		if (!strcmp(packages[i].binary, base))
			return packages[i].package;
	return NULL;
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static bool unit_ok(const char *u)
{
	return !u || !*u || name_chars(u, 15, "%/.");
}

static int check_regex(const struct ktstr_payload *p, char *err, size_t errlen)
{
	size_t ncap = 0, named = 0, groups;
	regex_t re;
	int rc;

	while (ncap < KTSTR_PAYLOAD_MAX_CAPTURES && p->captures[ncap])
		ncap++;
	if (p->output != KTSTR_OUT_REGEX) {
		if (p->regex || ncap)
			return BAD("regex: .regex and .captures are for KTSTR_OUT_REGEX only");
		return 0;
	}
	if (!p->regex || !*p->regex)
		return BAD("regex: KTSTR_OUT_REGEX needs a .regex");
	rc = regcomp(&re, p->regex, REG_EXTENDED);
	if (rc) {
		char why[128];

		regerror(rc, &re, why, sizeof(why));
		return BAD("regex: '%s' does not compile: %s", p->regex, why);
	}
	groups = re.re_nsub;
	regfree(&re);
	if (groups != ncap)
		return BAD("captures: '%s' has %zu groups but %zu capture names are given", p->regex, groups, ncap);
	for (size_t i = 0; i < ncap; i++) {
		if (*p->captures[i] && !kt_metric_name_ok(p->captures[i]))
			return BAD("captures: '%s' is not a metric name ([A-Za-z0-9_.-], 1..%d bytes)", p->captures[i],
				   KT_METRIC_NAME - 1);
		named += *p->captures[i] != '\0';
	}
	if (!named)
		return BAD("captures: every capture name is empty; name at least one");
	return 0;
}

static int check_checks(const struct ktstr_payload *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < KTSTR_PAYLOAD_MAX_CHECKS && p->checks[i].kind; i++) {
		const struct ktstr_payload_check *c = &p->checks[i];

		if ((unsigned)c->kind > KTSTR_PCHECK_EXIT_CODE)
			return BAD("checks[%zu]: unknown kind %d", i, (int)c->kind);
		if (c->kind == KTSTR_PCHECK_EXIT_CODE) {
			if (c->metric)
				return BAD("checks[%zu]: an exit-code check names no metric", i);
			if (c->code < 0 || c->code > 255)
				return BAD("checks[%zu]: exit code %d is not in 0..255", i, c->code);
			continue;
		}
		if (p->output == KTSTR_OUT_EXIT_CODE)
			return BAD("checks[%zu]: metric '%s': KTSTR_OUT_EXIT_CODE produces no metrics", i,
				   c->metric ? c->metric : "(null)");
		if (!kt_metric_name_ok(c->metric))
			return BAD("checks[%zu]: metric '%s' is not a metric name", i, c->metric ? c->metric : "(null)");
		if (!isfinite(c->lo) || !isfinite(c->hi))
			return BAD("checks[%zu]: bounds of '%s' must be finite", i, c->metric);
		if (c->kind == KTSTR_PCHECK_RANGE && c->lo > c->hi)
			return BAD("checks[%zu]: range of '%s': %g > %g", i, c->metric, c->lo, c->hi);
	}
	return 0;
}

int ktstr_payload_validate(const struct ktstr_payload *p, char *err, size_t errlen)
{
	int ret;

	if (!p)
		return BAD("payload: NULL");
	if (!kt_payload_name_ok(p->name))
		return BAD("name: '%s' must be 1..31 bytes of [A-Za-z0-9_-]", p->name ? p->name : "(null)");
	if (!p->binary || !*p->binary || strchr(p->binary, '\n'))
		return BAD("binary: a PATH name or a path is required");
	if ((unsigned)p->output > KTSTR_OUT_REGEX)
		return BAD("output: unknown mode %d", (int)p->output);
	if (p->output_file) {
		if (p->output == KTSTR_OUT_EXIT_CODE)
			return BAD("output_file: only for KTSTR_OUT_JSON or KTSTR_OUT_REGEX");
		if (!name_chars(p->output_file, 127, ".") || !strcmp(p->output_file, ".") ||
		    !strcmp(p->output_file, ".."))
			return BAD("output_file: '%s' must be a plain file name ([A-Za-z0-9_.-])", p->output_file);
	}
	ret = check_regex(p, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < KTSTR_PAYLOAD_MAX_METRICS && p->metrics[i].name; i++) {
		const struct ktstr_metric_decl *d = &p->metrics[i];

		if (!kt_metric_name_ok(d->name))
			return BAD("metrics[%zu]: '%s' is not a metric name ([A-Za-z0-9_.-], 1..%d bytes)", i, d->name,
				   KT_METRIC_NAME - 1);
		if ((unsigned)d->polarity > KTSTR_LOWER_BETTER)
			return BAD("metrics[%zu]: '%s': unknown polarity %d", i, d->name, (int)d->polarity);
		if (!unit_ok(d->unit))
			return BAD("metrics[%zu]: '%s': unit '%s' must be < 16 bytes of [A-Za-z0-9_%%/.-]", i, d->name,
				   d->unit);
		if (kt_payload_metric(p, d->name) != d)
			return BAD("metrics[%zu]: '%s' declared twice", i, d->name);
	}
	for (size_t i = 0; i < KTSTR_PAYLOAD_MAX_INCLUDE && p->include[i]; i++)
		if (!*p->include[i])
			return BAD("include[%zu]: empty path", i);
	return check_checks(p, err, errlen);
}

struct failer {
	void (*fail)(void *arg, const char *msg);
	void *arg;
	unsigned n;
};

static void __attribute__((format(printf, 2, 3))) failf(struct failer *f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->n++;
	if (f->fail)
		f->fail(f->arg, msg);
}

static void exit_check(struct failer *f, const char *name, const struct kt_payload_end *e, int want)
{
	if (!e->exited)
		return;
	if (e->sig)
		failf(f, "payload %s: killed by signal %d (%s), expected exit status %d", name, e->sig,
		      strsignal(e->sig), want);
	else if (e->code != want)
		failf(f, "payload %s: exit status %d, expected %d", name, e->code, want);
}

unsigned kt_payload_checks(const struct ktstr_payload *p, const struct kt_metrics *m, const struct kt_payload_end *e,
			   void (*fail)(void *arg, const char *msg), void *arg)
{
	struct failer f = { fail, arg, 0 };
	bool exit_declared = false;

	if (e->timed_out)
		failf(&f, "payload %s: timed out after %u ms (killed)", p->name, e->timeout_ms);
	for (size_t i = 0; i < KTSTR_PAYLOAD_MAX_CHECKS && p->checks[i].kind; i++) {
		const struct ktstr_payload_check *c = &p->checks[i];
		const struct kt_metric *v;

		if (c->kind == KTSTR_PCHECK_EXIT_CODE) {
			exit_declared = true;
			exit_check(&f, p->name, e, c->code);
			continue;
		}
		v = kt_metrics_find(m, c->metric);
		if (!v) {
			failf(&f, "payload %s: metric %s: not in the output", p->name, c->metric);
			continue;
		}
		if ((c->kind == KTSTR_PCHECK_MIN || c->kind == KTSTR_PCHECK_RANGE) && v->value < c->lo)
			failf(&f, "payload %s: metric %s = %g below the minimum %g", p->name, c->metric, v->value, c->lo);
		else if ((c->kind == KTSTR_PCHECK_MAX || c->kind == KTSTR_PCHECK_RANGE) && v->value > c->hi)
			failf(&f, "payload %s: metric %s = %g above the maximum %g", p->name, c->metric, v->value, c->hi);
	}
	if (!exit_declared)
		exit_check(&f, p->name, e, 0);
	return f.n;
}
