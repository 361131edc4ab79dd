/* PMET messages (src/proto/pmet.c): what the host accepts from the
 * guest, what it refuses, the bound on runs, the sidecar's view. */
#include "unit.h"
#include "proto/pmet.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct msg {
	struct kt_pmet_head h;
	struct kt_pmet_rec r[3];
};

static void good(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->h.payload, sizeof(m->h.payload), "fio");
	m->h.code = 0;
	m->h.flags = KT_PMET_EXITED;
	m->h.nmetrics = 3;
	m->h.wall_ms = 2100;
	snprintf(m->r[0].name, sizeof(m->r[0].name), "jobs.0.read.iops");
	snprintf(m->r[0].unit, sizeof(m->r[0].unit), "iops");
	m->r[0].value = 2921.5;
	m->r[0].polarity = 1;
	snprintf(m->r[1].name, sizeof(m->r[1].name), "jobs.0.read.lat_ns.mean");
	snprintf(m->r[1].unit, sizeof(m->r[1].unit), "ns");
	m->r[1].value = 341251.6;
	m->r[1].polarity = 2;
	snprintf(m->r[2].name, sizeof(m->r[2].name), "jobs.0.elapsed");
	m->r[2].value = 3;
}

static const char *dec(const struct msg *m, uint32_t len)
{
	static char err[160];
	struct kt_pmet_run r;
	int ret = kt_pmet_decode(m, len, &r, err, sizeof(err));

	free(r.m);
	return ret ? err : "OK";
}

UNIT_TEST(pmet_decode_accepts_and_refuses)
{
	struct msg m;
	struct kt_pmet_run r;
	char err[160];

	CHECK_EQ_INT(kt_pmet_size(3), sizeof(struct msg));
	good(&m);
	CHECK_EQ_INT(kt_pmet_decode(&m, sizeof(m), &r, err, sizeof(err)), 0);
	CHECK_EQ_STR(r.h.payload, "fio");
	CHECK_EQ_STR(r.m[1].name, "jobs.0.read.lat_ns.mean");
	CHECK_NEAR(r.m[0].value, 2921.5, 0);
	free(r.m);
	CHECK(strstr(dec(&m, 10), "shorter than"));
	CHECK(strstr(dec(&m, sizeof(m) - 1), "bytes for 3 metrics"));
	m.h.nmetrics = KT_PMET_MAX + 1;
	CHECK(strstr(dec(&m, sizeof(m)), "more than 256"));
	m.h.nmetrics = 0xffffffffu; /* no overflow of the size */
	CHECK(strstr(dec(&m, sizeof(m)), "more than"));
	good(&m);
	memset(m.h.payload, 'a', sizeof(m.h.payload)); /* no NUL */
	CHECK(strstr(dec(&m, sizeof(m)), "payload name"));
	good(&m);
	m.h.payload[1] = '\n';
	CHECK(strstr(dec(&m, sizeof(m)), "payload name"));
	good(&m);
	m.h.flags |= 0x100;
	CHECK(strstr(dec(&m, sizeof(m)), "unknown flags"));
	good(&m);
	m.h.reserved = 1;
	CHECK(strstr(dec(&m, sizeof(m)), "reserved"));
	good(&m);
	m.h.code = 256;
	CHECK(strstr(dec(&m, sizeof(m)), "exit code 256"));
	good(&m);
	memset(m.r[2].name, 'x', sizeof(m.r[2].name));
	CHECK_EQ_STR(dec(&m, sizeof(m)), "payload fio: metric 2 is malformed");
	good(&m);
	m.r[0].name[3] = ' ';
	CHECK(strstr(dec(&m, sizeof(m)), "metric 0 is malformed"));
	good(&m);
	m.r[1].unit[0] = '"';
	CHECK(strstr(dec(&m, sizeof(m)), "metric 1 is malformed"));
	good(&m);
	m.r[1].value = NAN;
	CHECK(strstr(dec(&m, sizeof(m)), "metric 1 is malformed"));
	good(&m);
	m.r[1].value = -INFINITY;
	CHECK(strstr(dec(&m, sizeof(m)), "metric 1 is malformed"));
	good(&m);
	m.r[0].polarity = 3;
	CHECK(strstr(dec(&m, sizeof(m)), "metric 0 is malformed"));
	good(&m);
	m.r[2].reserved = 7;
	CHECK(strstr(dec(&m, sizeof(m)), "metric 2 is malformed"));
	good(&m);
	snprintf(m.r[2].name, sizeof(m.r[2].name), "jobs.0.read.iops");
	CHECK_EQ_STR(dec(&m, sizeof(m)), "payload fio: metric jobs.0.read.iops twice");
	good(&m);
	m.r[2].name[0] = '\0';
	CHECK(strstr(dec(&m, sizeof(m)), "metric 2 is malformed"));
	/* a message with no metrics is fine (exit-code mode) */
	good(&m);
	m.h.nmetrics = 0;
	CHECK_EQ_STR(dec(&m, kt_pmet_size(0)), "OK");
}

UNIT_TEST(pmet_collect_bounds_and_json)
{
	struct kt_pmet_runs runs = { 0 };
	struct msg m;
	json_t *j, *r0, *ms;
	char *text;

	good(&m);
	for (int i = 0; i < KT_PMET_RUNS + 3; i++)
		kt_pmet_collect(&runs, &m, sizeof(m));
	m.h.flags = 0xff;
	kt_pmet_collect(&runs, &m, sizeof(m));
	kt_pmet_collect(&runs, "junk", 4);
	CHECK_EQ_INT(runs.n, KT_PMET_RUNS);
	CHECK_EQ_INT(runs.over, 3);
	CHECK_EQ_INT(runs.rejected, 2);
	j = kt_pmet_json(&runs);
	CHECK_EQ_INT(json_array_size(j), KT_PMET_RUNS);
	r0 = json_array_get(j, 0);
	CHECK_EQ_STR(json_string_value(json_object_get(r0, "payload")), "fio");
	CHECK_EQ_INT(json_integer_value(json_object_get(r0, "exit_code")), 0);
	CHECK(json_is_true(json_object_get(r0, "ended")));
	CHECK(json_is_false(json_object_get(r0, "killed")));
	CHECK_EQ_INT(json_integer_value(json_object_get(r0, "wall_ms")), 2100);
	ms = json_object_get(r0, "metrics");
	CHECK_EQ_INT(json_array_size(ms), 3);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(ms, 0), "polarity")), "higher");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(ms, 1), "polarity")), "lower");
	CHECK(json_is_null(json_object_get(json_array_get(ms, 2), "polarity")));
	CHECK_NEAR(json_real_value(json_object_get(json_array_get(ms, 1), "value")), 341251.6, 1e-9);
	text = json_dumps(j, JSON_COMPACT);
	CHECK(text && strstr(text, "\"unit\":\"ns\""));
	free(text);
	json_decref(j);
	kt_pmet_runs_free(&runs);
	/* a signal instead of an exit status */
	good(&m);
	m.h.flags = KT_PMET_KILLED | KT_PMET_SIGNALED;
	m.h.code = 9;
	kt_pmet_collect(&runs, &m, sizeof(m));
	j = kt_pmet_json(&runs);
	r0 = json_array_get(j, 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(r0, "signal")), 9);
	CHECK(json_object_get(r0, "exit_code") == NULL);
	CHECK(json_is_true(json_object_get(r0, "killed")));
	json_decref(j);
	kt_pmet_runs_free(&runs);
}
