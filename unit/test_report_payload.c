/* Payload metrics in stats and compare (src/report/payload_metrics.c,
 * metrics.c, compare.c, statsfmt.c): taken from a sidecar's
 * "payloads", averaged, compared with their declared polarity. */
#include "unit.h"
#include "report/report.h"

#include <stdlib.h>

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		unit_fail(__FILE__, __LINE__, "fixture JSON: %s (line %d)", e.text, e.line);
	return j;
}

/* A sidecar of test NAME with hackbench time_s = T and a helper rps = R. */
static json_t *sidecar(const char *name, double t, double r)
{
	char buf[1400];

	snprintf(buf, sizeof(buf),
		 "{\"name\": \"%s\", \"verdict\": \"pass\", \"passed\": true, \"topology\": \"1n1l2c1t\","
		 " \"scheduler\": \"eevdf\", \"payloads\": ["
		 "{\"payload\": \"hackbench\", \"metrics\": ["
		 "  {\"name\": \"time_s\", \"value\": %g, \"unit\": \"s\", \"polarity\": \"lower\"},"
		 "  {\"name\": \"undeclared\", \"value\": 5, \"unit\": \"\", \"polarity\": null}]},"
		 "{\"payload\": \"helper\", \"metrics\": ["
		 "  {\"name\": \"rps\", \"value\": %g, \"unit\": \"req/s\", \"polarity\": \"higher\"},"
		 "  {\"name\": \"bad name\", \"value\": 1, \"unit\": \"\", \"polarity\": \"higher\"},"
		 "  {\"name\": \"x\", \"value\": \"7\", \"unit\": \"\", \"polarity\": \"higher\"},"
		 "  {\"name\": \"y\", \"value\": 7, \"unit\": \"<b>\", \"polarity\": \"higher\"},"
		 "  {\"name\": \"z\", \"value\": 7, \"unit\": \"\", \"polarity\": \"sideways\"}]},"
		 "{\"payload\": \"hackbench\", \"metrics\": ["
		 "  {\"name\": \"time_s\", \"value\": 9, \"unit\": \"s\", \"polarity\": \"lower\"}]},"
		 "{\"payload\": \"bad/payload\", \"metrics\": ["
		 "  {\"name\": \"t\", \"value\": 1, \"unit\": \"\", \"polarity\": \"lower\"}]}]}",
		 name, t, r);
	return parse(buf);
}

static double ext(const struct kr_row *r, const char *name)
{
	int i = kt_rep_ext_find(r, name);

	return i < 0 ? -1 : r->ext[i].v;
}

UNIT_TEST(report_payload_from_sidecar)
{
	json_t *j = sidecar("t", 1.5, 1000);
	struct kr_row r;
	char err[128];

	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	/* declared ones only; a second hackbench run is hackbench#2; a bad
	 * name, a string value, an unknown polarity, a bad payload: skipped */
	CHECK_EQ_INT(r.next, 4);
	CHECK_NEAR(ext(&r, "hackbench.time_s"), 1.5, 0);
	CHECK_NEAR(ext(&r, "hackbench#2.time_s"), 9, 0);
	CHECK_NEAR(ext(&r, "helper.rps"), 1000, 0);
	CHECK_NEAR(ext(&r, "helper.y"), 7, 0);
	CHECK_EQ_STR(r.ext[kt_rep_ext_find(&r, "helper.y")].unit, ""); /* "<b>" is not a unit */
	CHECK_EQ_INT(r.ext[kt_rep_ext_find(&r, "hackbench.time_s")].pol, KR_LOWER_BETTER);
	CHECK_EQ_INT(r.ext[kt_rep_ext_find(&r, "helper.rps")].pol, KR_HIGHER_BETTER);
	CHECK(kt_rep_ext_find(&r, "hackbench.undeclared") < 0);
	CHECK(kt_rep_ext_find(&r, "helper.z") < 0);
	json_decref(j);
}

static void load(struct kr_set *s, json_t *j)
{
	struct kr_row r;
	char err[128];

	CHECK_EQ_INT(kt_rep_row_from_sidecar(j, &r, err, sizeof(err)), 0);
	kt_rep_set_add(s, &r);
	json_decref(j);
}

UNIT_TEST(report_payload_group_and_stats_json)
{
	struct kr_set in = { 0 }, g = { 0 }, back = { 0 };
	struct kr_row all;
	struct kbuf b = { 0 };
	json_t *j;
	char err[128];

	load(&in, sidecar("t", 1.0, 1000));
	load(&in, sidecar("t", 2.0, 3000));
	CHECK_EQ_INT(kt_rep_group(&in, KR_DIM_ALL, &g), 0);
	CHECK_EQ_INT(g.n, 1);
	CHECK_NEAR(ext(&g.rows[0], "hackbench.time_s"), 1.5, 1e-12);
	CHECK_NEAR(ext(&g.rows[0], "helper.rps"), 2000, 1e-9);
	kt_rep_overall(&g, &all);
	CHECK_EQ_INT(kt_rep_stats_json(&g, &all, &b), 0);
	CHECK(strstr(b.data, "\"payload_metrics\""));
	j = parse(b.data);
	CHECK_EQ_INT(kt_rep_rows_from_stats_json(j, &back, err, sizeof(err)), 0);
	CHECK_EQ_INT(back.rows[0].next, g.rows[0].next);
	CHECK_NEAR(ext(&back.rows[0], "helper.rps"), 2000, 1e-9);
	CHECK_EQ_INT(back.rows[0].ext[kt_rep_ext_find(&back.rows[0], "helper.rps")].pol, KR_HIGHER_BETTER);
	b.len = 0;
	CHECK_EQ_INT(kt_rep_stats_text(&g, &all, &b), 0);
	CHECK(strstr(b.data, "payload metrics"));
	CHECK(strstr(b.data, "helper.rps") && strstr(b.data, "2000 req/s"));
	json_decref(j);
	kt_kbuf_free(&b);
	kt_rep_set_free(&in);
	kt_rep_set_free(&g);
	kt_rep_set_free(&back);
}

static enum kr_change change_of(const struct kr_cmp *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->lines[i].ext >= 0 && !strcmp(c->new.rows[c->lines[i].new].ext[c->lines[i].ext].name, name))
			return c->lines[i].change;
	return (enum kr_change)-1;
}

UNIT_TEST(report_payload_compare_polarity)
{
	struct kr_set base = { 0 }, worse = { 0 }, better = { 0 }, noise = { 0 };
	struct kr_gate g[KR_NGATES];
	struct kr_cmp c;
	struct kbuf b = { 0 };
	char err[128];

	kt_rep_gates_default(g);
	CHECK_NEAR(g[KR_GATE_PAYLOAD].rel, 0.10, 0);
	load(&base, sidecar("t", 1.0, 1000));
	load(&worse, sidecar("t", 1.5, 800));   /* slower, fewer requests */
	load(&better, sidecar("t", 0.5, 1200)); /* faster, more requests */
	load(&noise, sidecar("t", 1.05, 1050)); /* 5 %: under the 10 % gate */
	CHECK_EQ_INT(kt_rep_compare(&base, &worse, g, &c), 0);
	CHECK_EQ_INT(change_of(&c, "hackbench.time_s"), KR_REGRESSION); /* up, lower is better */
	CHECK_EQ_INT(change_of(&c, "helper.rps"), KR_REGRESSION);       /* down, higher is better */
	CHECK_EQ_INT(change_of(&c, "helper.y"), KR_SAME);
	CHECK_EQ_INT(c.regressions, 2);
	CHECK_EQ_INT(kt_rep_compare_text(&c, false, &b), 0);
	CHECK(strstr(b.data, "hackbench.time_s") && strstr(b.data, "REGRESSION"));
	CHECK(strstr(b.data, "+0.50 s"));
	kt_rep_cmp_free(&c);
	CHECK_EQ_INT(kt_rep_compare(&base, &better, g, &c), 0);
	CHECK_EQ_INT(change_of(&c, "hackbench.time_s"), KR_IMPROVEMENT);
	CHECK_EQ_INT(change_of(&c, "helper.rps"), KR_IMPROVEMENT);
	CHECK_EQ_INT(c.regressions, 0);
	kt_rep_cmp_free(&c);
	CHECK_EQ_INT(kt_rep_compare(&base, &noise, g, &c), 0);
	CHECK_EQ_INT(change_of(&c, "hackbench.time_s"), KR_NOISE);
	CHECK_EQ_INT(c.regressions, 0);
	kt_rep_cmp_free(&c);
	/* the payload gate: 60 % lets the 50 % slowdown through */
	CHECK_EQ_INT(kt_rep_gate_parse("payload=,60%", g, err, sizeof(err)), 0);
	CHECK_NEAR(g[KR_GATE_PAYLOAD].rel, 0.60, 1e-12);
	CHECK_EQ_INT(kt_rep_compare(&base, &worse, g, &c), 0);
	CHECK_EQ_INT(change_of(&c, "hackbench.time_s"), KR_NOISE);
	kt_rep_cmp_free(&c);
	CHECK_EQ_INT(kt_rep_gate_parse("all=0,1%", g, err, sizeof(err)), 0);
	CHECK_NEAR(g[KR_GATE_PAYLOAD].rel, 0.01, 1e-12);
	kt_kbuf_free(&b);
	kt_rep_set_free(&base);
	kt_rep_set_free(&worse);
	kt_rep_set_free(&better);
	kt_rep_set_free(&noise);
}
