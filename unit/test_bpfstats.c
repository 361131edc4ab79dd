/* Unit tests: the sidecar "bpf" object in `ktstr stats`, the HTML report
 * and the compare metrics (src/report/bpfstats.c).  The sidecars are made
 * up here; the expected lines follow from their numbers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/bpfstats.h"
#include "runner/bpf_run.h"
#include "report/report.h"
#include "unit.h"

static json_t *sidecar(const char *test, const char *progs_json)
{
	json_error_t je;
	json_t *j = json_pack("{s:s,s:s}", "name", test, "verdict", "pass");
	json_t *p = json_loads(progs_json, 0, &je);

	json_object_set_new(j, "bpf", json_pack("{s:o}", "progs", p));
	return j;
}

UNIT_TEST(bpfstats_text_metrics_and_warning)
{
	static struct kr_bpf_set s;
	json_t *a = sidecar("t1", "[{\"name\":\"enq\",\"type\":\"struct_ops\",\"verified_insns\":800000,\"run_cnt\":10,"
				  "\"run_time_ns\":5000},{\"name\":\"disp\",\"type\":\"struct_ops\",\"verified_insns\":48}]");
	json_t *b = sidecar("t1", "[{\"name\":\"enq\",\"type\":\"struct_ops\",\"verified_insns\":790000,\"run_cnt\":30,"
				  "\"run_time_ns\":15000}]");
	struct kbuf out = { 0 };
	struct kr_row row;
	char err[100];
	bool has;
	double ns, per, insns;

	CHECK(kt_rep_bpf_add(&s, a) == 0 && kt_rep_bpf_add(&s, b) == 0);
	CHECK_EQ_INT(s.n, 2);
	/* two runs of t1: the largest figure, counts summed */
	CHECK(s.v[0].verified_insns == 800000 && s.v[0].run_cnt == 40 && s.v[0].run_ns == 20000 && s.v[0].runs == 2);
	CHECK(!s.v[1].have_runs);
	CHECK(kt_rep_bpf_text(&s, &out) == 0 && out.data);
	CHECK(strstr(out.data, "  t1                               enq              struct_ops     800000   80.00%"
			       "           40        500 !\n"));
	CHECK(strstr(out.data, "  t1                               disp             struct_ops         48    0.00%"
			       "            -          -\n"));
	CHECK(strstr(out.data, "WARNING: t1: enq uses 80.0 % of the verifier's budget"));
	CHECK(!strstr(out.data, "WARNING: t1: disp"));
	/* compare metrics of one sidecar */
	kt_rep_bpf_metrics(json_object_get(a, "bpf"), &has, &ns, &per, &insns);
	CHECK(has && ns == 5000 && per == 500 && insns == 800000);
	CHECK(kt_rep_row_from_sidecar(a, &row, err, sizeof(err)) == 0);
	CHECK(row.has[kt_rep_metric_find("bpf_run_ns")] && row.v[kt_rep_metric_find("bpf_run_ns")] == 5000);
	CHECK(row.v[kt_rep_metric_find("bpf_max_verified_insns")] == 800000);
	/* the HTML table */
	out.len = 0;
	kt_rep_bpf_html(&out, json_object_get(a, "bpf"));
	CHECK(out.data && strstr(out.data, "<td>enq</td><td>struct_ops</td><td>800000</td><td>80.00 % !</td><td>10</td>"
					   "<td>500</td>"));
	json_decref(a);
	json_decref(b);
	kt_kbuf_free(&out);
}

UNIT_TEST(bpfstats_hostile_sidecars)
{
	static struct kr_bpf_set s;
	json_t *j = sidecar("t\x1b[2J", "[{\"name\":\"a\\u001b[31m\",\"verified_insns\":5},{\"name\":\"neg\","
					"\"verified_insns\":-1},{\"name\":7,\"verified_insns\":1},{\"verified_insns\":1},"
					"{\"name\":\"big\",\"verified_insns\":1e300,\"run_cnt\":-5,\"run_time_ns\":3}]");
	struct kbuf out = { 0 };
	bool has;
	double ns, per, insns;

	CHECK(kt_rep_bpf_add(&s, j) == 0);
	CHECK_EQ_INT(s.n, 2); /* "a..." and "big"; negative, non-string and nameless refused */
	CHECK_EQ_STR(s.v[0].test, "t?[2J");
	CHECK_EQ_STR(s.v[0].prog, "a?[31m");
	CHECK(s.v[1].verified_insns == 9007199254740992.0 && !s.v[1].have_runs);
	kt_rep_bpf_text(&s, &out);
	CHECK(out.data && !strchr(out.data, '\x1b'));
	kt_rep_bpf_metrics(json_object_get(j, "bpf"), &has, &ns, &per, &insns);
	CHECK(has && ns == 0 && per == 0);
	/* no "bpf" object, or not an array: nothing */
	kt_rep_bpf_metrics(NULL, &has, &ns, &per, &insns);
	CHECK(!has);
	json_decref(j);
	kt_kbuf_free(&out);
	/* full */
	s.n = KR_BPF_MAX;
	j = sidecar("x", "[{\"name\":\"new\",\"verified_insns\":1}]");
	CHECK(kt_rep_bpf_add(&s, j) == -E2BIG);
	json_decref(j);
}

/* A scheduler loaded twice (the enable-helper warm-up): the first load's
 * programs, gone before the second's appeared, are not reported; one
 * that is still there, or another's, stays. */
UNIT_TEST(bpf_run_drop_superseded)
{
	struct kt_mon_bpf_prog v[5];

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 5; i++)
		v[i].first.type = v[i].last.type = 27; /* struct_ops */
	strcpy(v[0].first.name, "central_enqueue"), v[0].first.id = 9, v[0].first_ns = 100, v[0].last_ns = 200;
	strcpy(v[1].first.name, "central_init"), v[1].first.id = 12, v[1].first_ns = 100, v[1].last_ns = 200;
	strcpy(v[2].first.name, "central_enqueue"), v[2].first.id = 19, v[2].first_ns = 300, v[2].last_ns = 900;
	/* overlapping lifetimes: two live programs of one name, both kept */
	strcpy(v[3].first.name, "other"), v[3].first.id = 20, v[3].first_ns = 300, v[3].last_ns = 900;
	strcpy(v[4].first.name, "other"), v[4].first.id = 21, v[4].first_ns = 400, v[4].last_ns = 900;
	CHECK_EQ_INT((int)kt_bpf_progs_drop_superseded(v, 5), 4);
	CHECK_EQ_INT((int)v[0].first.id, 12); /* central_init: not reloaded, kept */
	CHECK_EQ_INT((int)v[1].first.id, 19);
	CHECK_EQ_INT((int)v[2].first.id, 20);
	CHECK_EQ_INT((int)v[3].first.id, 21);
	CHECK_EQ_INT((int)kt_bpf_progs_drop_superseded(v, 0), 0);
}
