/* Payloads, the pure part (src/model/payload.c, payload_parse.c):
 * declarations checked, the package hint, metrics from JSON and from
 * regex captures (real outputs in unit/fixtures/payload-*, hostile
 * ones made here), the checks. */
#include "unit.h"
#include "fixture.h"
#include "model/payload.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static KTSTR_PAYLOAD(hackbench, .binary = "hackbench", .args = { "-g", "2" }, .output = KTSTR_OUT_REGEX,
		     .regex = "^Time: ([0-9.]+)", .captures = { "time_s" },
		     .metrics = { { "time_s", KTSTR_LOWER_BETTER, "s" } },
		     .checks = { KTSTR_CHECK_MAX("time_s", 60), KTSTR_CHECK_EXISTS("time_s") });
static KTSTR_PAYLOAD(fio_json, .binary = "/usr/bin/fio", .output = KTSTR_OUT_JSON,
		     .metrics = { { "jobs.0.read.iops", KTSTR_HIGHER_BETTER, "iops" } },
		     .checks = { KTSTR_CHECK_MIN("jobs.0.read.iops", 1), KTSTR_CHECK_EXIT(0) });

static const char *verr(const struct ktstr_payload *p)
{
	static char err[256];

	err[0] = '\0';
	return ktstr_payload_validate(p, err, sizeof(err)) ? err : "OK";
}

UNIT_TEST(payload_validate)
{
	struct ktstr_payload p;

	CHECK_EQ_STR(verr(&hackbench), "OK");
	CHECK_EQ_STR(verr(&fio_json), "OK");
	CHECK(strstr(verr(NULL), "NULL"));
	p = hackbench;
	p.name = "has space";
	CHECK(strstr(verr(&p), "name: 'has space'"));
	p = hackbench;
	p.binary = "";
	CHECK(strstr(verr(&p), "binary:"));
	p = hackbench;
	p.regex = "Time: ([0-9.]+";
	CHECK(strstr(verr(&p), "does not compile"));
	p = hackbench;
	p.regex = "Time: ([0-9.]+) ([a-z]+)";
	CHECK(strstr(verr(&p), "has 2 groups but 1 capture names"));
	p = hackbench;
	p.captures[0] = "";
	CHECK(strstr(verr(&p), "every capture name is empty"));
	p = hackbench;
	p.captures[0] = "time s";
	CHECK(strstr(verr(&p), "'time s' is not a metric name"));
	p = fio_json;
	p.regex = "x";
	CHECK(strstr(verr(&p), "for KTSTR_OUT_REGEX only"));
	p = hackbench;
	p.output = KTSTR_OUT_EXIT_CODE;
	p.regex = NULL;
	p.captures[0] = NULL;
	CHECK(strstr(verr(&p), "checks[0]: metric 'time_s': KTSTR_OUT_EXIT_CODE produces no metrics"));
	p = fio_json;
	p.checks[0] = (struct ktstr_payload_check)KTSTR_CHECK_RANGE("x", 5, 1);
	CHECK(strstr(verr(&p), "range of 'x': 5 > 1"));
	p = fio_json;
	p.checks[1] = (struct ktstr_payload_check)KTSTR_CHECK_EXIT(300);
	CHECK(strstr(verr(&p), "exit code 300"));
	p = fio_json;
	p.metrics[1] = p.metrics[0];
	CHECK(strstr(verr(&p), "declared twice"));
	p = fio_json;
	p.metrics[0].unit = "i o p s";
	CHECK(strstr(verr(&p), "unit 'i o p s'"));
	p = fio_json;
	p.output_file = "../x.json";
	CHECK(strstr(verr(&p), "plain file name"));
	p.output_file = "ct.json";
	CHECK_EQ_STR(verr(&p), "OK");
	p = hackbench;
	p.output_file = NULL;
	p.output = (enum ktstr_output)7;
	CHECK(strstr(verr(&p), "unknown mode 7"));
}

UNIT_TEST(payload_package_hint)
{
	struct ktstr_payload p = { .name = "x", .binary = "cyclictest" };

	CHECK_EQ_STR(kt_payload_package(&p), "rt-tests");
	p.binary = "/usr/bin/hackbench";
	CHECK_EQ_STR(kt_payload_package(&p), "rt-tests");
	p.binary = "fio";
	CHECK_EQ_STR(kt_payload_package(&p), "fio");
	p.binary = "stress-ng";
	CHECK_EQ_STR(kt_payload_package(&p), "stress-ng");
	p.binary = "schbench"; /* not packaged by Debian */
	CHECK(kt_payload_package(&p) == NULL);
	p.package = "my-schbench";
	CHECK_EQ_STR(kt_payload_package(&p), "my-schbench");
}

static double val(const struct kt_metrics *m, const char *name)
{
	const struct kt_metric *v = kt_metrics_find(m, name);

	return v ? v->value : NAN;
}

/* Expected values: Python's json module on the same file (README). */
UNIT_TEST(payload_json_fio_fixture)
{
	size_t len;
	char *text = (char *)unit_fixture("payload-fio.json", &len);
	struct kt_metrics *m = calloc(1, sizeof(*m));

	if (!text || !m)
		goto out;
	CHECK_EQ_INT(kt_metrics_from_json(text, len, m), 0);
	CHECK_EQ_INT(m->n, 205);
	CHECK_EQ_INT(m->dropped, 0);
	CHECK_NEAR(val(m, "jobs.0.read.iops"), 2921.723835, 1e-6);
	CHECK_NEAR(val(m, "jobs.0.read.lat_ns.mean"), 341251.658338, 1e-6);
	/* "99.000000" is one key: its '.' becomes '_' */
	CHECK_NEAR(val(m, "jobs.0.read.clat_ns.percentile.99_000000"), 1433600, 0);
	/* "job options" holds strings only; keys with spaces become '_' */
	CHECK(kt_metrics_find(m, "jobs.0.job_options.name") == NULL);
out:
	free(text);
	free(m);
}

UNIT_TEST(payload_json_cyclictest_fixture)
{
	size_t len;
	char *text = (char *)unit_fixture("payload-cyclictest.json", &len);
	struct kt_metrics *m = calloc(1, sizeof(*m));

	if (!text || !m)
		goto out;
	CHECK_EQ_INT(kt_metrics_from_json(text, len, m), 0);
	CHECK_NEAR(val(m, "thread.0.max"), 123838, 0);
	CHECK_NEAR(val(m, "thread.1.max"), 173482, 0);
	CHECK_NEAR(val(m, "num_threads"), 2, 0);
	CHECK(kt_metrics_find(m, "sysinfo.sysname") == NULL);
out:
	free(text);
	free(m);
}

UNIT_TEST(payload_json_shapes_and_bounds)
{
	struct kt_metrics *m = calloc(1, sizeof(*m));
	static const char mixed[] = "fio: note: a warning\n  {\"a\": {\"b\": [1, 2.5, {\"c d\": 3}]}, \"s\": \"x\","
				    " \"t\": true, \"n\": null} trailing text";
	struct kbuf b = { 0 };

	if (!m)
		return;
	CHECK_EQ_INT(kt_metrics_from_json(mixed, strlen(mixed), m), 0);
	CHECK_EQ_INT(m->n, 3);
	CHECK_NEAR(val(m, "a.b.0"), 1, 0);
	CHECK_NEAR(val(m, "a.b.1"), 2.5, 0);
	CHECK_NEAR(val(m, "a.b.2.c_d"), 3, 0);
	memset(m, 0, sizeof(*m));
	CHECK_EQ_INT(kt_metrics_from_json("no json here\n{ broken", 22, m), -ENOMSG);
	CHECK_EQ_INT(kt_metrics_from_json("", 0, m), -ENOMSG);
	CHECK_EQ_INT(kt_metrics_from_json("{\"a\": 1", 7, m), -ENOMSG);
	/* 40 levels of arrays: the leaf is beyond KT_JSON_DEPTH */
	for (int i = 0; i < 40; i++)
		kt_kbuf_append(&b, "[", 1);
	kt_kbuf_append(&b, "7", 1);
	for (int i = 0; i < 40; i++)
		kt_kbuf_append(&b, "]", 1);
	CHECK_EQ_INT(kt_metrics_from_json(b.data, b.len, m), 0);
	CHECK_EQ_INT(m->n, 0);
	CHECK_EQ_INT(m->dropped, 1);
	/* 300 leaves: 256 kept, 44 counted */
	memset(m, 0, sizeof(*m));
	b.len = 0;
	kt_kbuf_append(&b, "[0", 2);
	for (int i = 1; i < 300; i++)
		kt_kbuf_printf(&b, ",%d", i);
	kt_kbuf_append(&b, "]", 1);
	CHECK_EQ_INT(kt_metrics_from_json(b.data, b.len, m), 0);
	CHECK_EQ_INT(m->n, KT_METRICS_MAX);
	CHECK_EQ_INT(m->dropped, 300 - KT_METRICS_MAX);
	CHECK_NEAR(val(m, "255"), 255, 0);
	/* a key longer than a metric name: dropped, its sibling kept */
	memset(m, 0, sizeof(*m));
	b.len = 0;
	kt_kbuf_append(&b, "{\"", 2);
	for (int i = 0; i < 120; i++)
		kt_kbuf_append(&b, "k", 1);
	kt_kbuf_append(&b, "\": 1, \"ok\": 2}", 14);
	CHECK_EQ_INT(kt_metrics_from_json(b.data, b.len, m), 0);
	CHECK_EQ_INT(m->n, 1);
	CHECK_EQ_INT(m->dropped, 1);
	CHECK_NEAR(val(m, "ok"), 2, 0);
	kt_kbuf_free(&b);
	free(m);
}

UNIT_TEST(payload_regex_hackbench_fixture)
{
	size_t len;
	char *text = (char *)unit_fixture("payload-hackbench.txt", &len);
	struct kt_metrics *m = calloc(1, sizeof(*m));
	char err[128];

	if (!text || !m)
		goto out;
	CHECK_EQ_INT(kt_metrics_from_lines(&hackbench, text, len, m, err, sizeof(err)), 0);
	CHECK_EQ_INT(m->n, 1);
	CHECK_NEAR(val(m, "time_s"), 0.242, 1e-12);
out:
	free(text);
	free(m);
}

UNIT_TEST(payload_regex_captures)
{
	static KTSTR_PAYLOAD(ct, .binary = "cyclictest", .output = KTSTR_OUT_REGEX,
			     .regex = "^T: *([0-9]+) .*Min: *([0-9]+) .*Max: *([-0-9.a-z]+)",
			     .captures = { "", "min_us", "max_us" });
	static const char out[] = "policy: fifo\r\n"
				  "T: 0 ( 101) P:99 I:1000 C: 100 Min: 5 Act: 9 Avg: 8 Max: 50\r\n"
				  "T: 1 ( 102) P:99 I:1500 C: 66 Min: 6 Act: 9 Avg: 8 Max: 1.2.3\n"
				  "T: 2 ( 103) P:99 I:2000 C: 50 Min: 7 Act: 9 Avg: 8 Max: 70";
	struct kt_metrics *m = calloc(1, sizeof(*m));
	struct kbuf b = { 0 };
	char err[128];

	if (!m)
		return;
	CHECK_EQ_INT(kt_metrics_from_lines(&ct, out, sizeof(out) - 1, m, err, sizeof(err)), 0);
	/* later lines get .1, .2; "1.2.3" is not a number and is dropped */
	CHECK_NEAR(val(m, "min_us"), 5, 0);
	CHECK_NEAR(val(m, "min_us.1"), 6, 0);
	CHECK_NEAR(val(m, "min_us.2"), 7, 0);
	CHECK_NEAR(val(m, "max_us"), 50, 0);
	CHECK_NEAR(val(m, "max_us.1"), 70, 0);
	CHECK_EQ_INT(m->n, 5);
	CHECK_EQ_INT(m->dropped, 1);
	/* a line longer than KT_LINE_MAX is cut: a match past the cut is lost */
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < KT_LINE_MAX; i++)
		kt_kbuf_append(&b, "x", 1);
	kt_kbuf_append(&b, "Time: 3\nTime: 4\n", 16);
	CHECK_EQ_INT(kt_metrics_from_lines(&hackbench, b.data, b.len, m, err, sizeof(err)), 0);
	CHECK_EQ_INT(m->n, 1);
	CHECK_NEAR(val(m, "time_s"), 4, 0);
	kt_kbuf_free(&b);
	free(m);
}

struct fails {
	unsigned n;
	char last[256];
};

static void on_fail(void *arg, const char *msg)
{
	struct fails *f = arg;

	f->n++;
	snprintf(f->last, sizeof(f->last), "%s", msg);
}

UNIT_TEST(payload_checks)
{
	struct kt_metrics *m = calloc(1, sizeof(*m));
	struct kt_payload_end ok = { .exited = true }, e;
	struct ktstr_payload p = fio_json;
	struct fails f = { 0 };

	if (!m)
		return;
	kt_metrics_add(m, "time_s", 12.5);
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &ok, on_fail, &f), 0);
	m->v[0].value = 61;
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &ok, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload hackbench: metric time_s = 61 above the maximum 60");
	m->n = 0;
	f.n = 0;
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &ok, on_fail, &f), 2); /* MAX and EXISTS */
	CHECK_EQ_STR(f.last, "payload hackbench: metric time_s: not in the output");
	/* no exit check declared: it must exit 0 when it ends by itself */
	kt_metrics_add(m, "time_s", 1);
	e = ok;
	e.code = 3;
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &e, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload hackbench: exit status 3, expected 0");
	e = ok;
	e.sig = 11;
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &e, on_fail, &f), 1);
	CHECK(strstr(f.last, "killed by signal 11"));
	/* killed by the harness: the exit status is not judged */
	e = (struct kt_payload_end){ .killed = true, .sig = 15 };
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &e, on_fail, &f), 0);
	e = (struct kt_payload_end){ .timed_out = true, .killed = true, .timeout_ms = 500 };
	CHECK_EQ_INT(kt_payload_checks(&hackbench, m, &e, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload hackbench: timed out after 500 ms (killed)");
	/* a declared exit code replaces the implicit 0; MIN and RANGE */
	p.checks[1] = (struct ktstr_payload_check)KTSTR_CHECK_EXIT(1);
	p.checks[2] = (struct ktstr_payload_check)KTSTR_CHECK_RANGE("lat", 10, 20);
	memset(m, 0, sizeof(*m));
	kt_metrics_add(m, "jobs.0.read.iops", 0.5);
	kt_metrics_add(m, "lat", 20);
	e = ok;
	e.code = 1;
	CHECK_EQ_INT(kt_payload_checks(&p, m, &e, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload fio_json: metric jobs.0.read.iops = 0.5 below the minimum 1");
	m->v[0].value = 1;
	m->v[1].value = 9.5;
	CHECK_EQ_INT(kt_payload_checks(&p, m, &e, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload fio_json: metric lat = 9.5 below the minimum 10");
	m->v[1].value = 20;
	e.code = 0;
	CHECK_EQ_INT(kt_payload_checks(&p, m, &e, on_fail, &f), 1);
	CHECK_EQ_STR(f.last, "payload fio_json: exit status 0, expected 1");
	free(m);
}

UNIT_TEST(payload_metric_set)
{
	struct kt_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return;
	CHECK_EQ_INT(kt_metrics_add(m, "a", 1), 0);
	CHECK_EQ_INT(kt_metrics_add(m, "a", 2), -EEXIST);
	CHECK_EQ_INT(kt_metrics_add(m, "b c", 2), -EINVAL);
	CHECK_EQ_INT(kt_metrics_add(m, "b", INFINITY), -EINVAL);
	CHECK_EQ_INT(kt_metrics_add(m, "", 1), -EINVAL);
	CHECK_EQ_INT(m->n, 1);
	CHECK_EQ_INT(m->dropped, 4);
	CHECK(kt_metric_name_ok("jobs.0.read.iops"));
	CHECK(!kt_payload_name_ok("a.b"));
	CHECK(kt_payload_name_ok("fio_json-2"));
	free(m);
}
