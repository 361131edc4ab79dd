/* Unit tests: `ktstr verifier` output and --compare (src/report/
 * verifier_fmt.c, verifier_cmp.c).  The rejected program's log is the
 * real one of unit/fixtures/sched-fail_verify-6.12.118.log (see
 * unit/fixtures/README.md); the other figures are made up here, and
 * each expected line follows from them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "report/verifier.h"
#include "unit.h"

static struct kt_mon_bpf_prog mkprog(uint32_t id, const char *name, uint32_t insns)
{
	struct kt_mon_bpf_prog p = { .first_ns = 1000000, .last_ns = 2000000 };

	p.last.id = id;
	p.last.type = 27;
	snprintf(p.last.name, sizeof(p.last.name), "%s", name);
	snprintf(p.type_name, sizeof(p.type_name), "struct_ops");
	p.last.verified_insns = insns;
	p.last.stats_ok = true;
	p.last.run_cnt = 10;
	p.last.run_ns = 5000;
	p.first = p.last;
	return p;
}

static char *print(const struct kt_vprofile *p, size_t n, bool table)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < n; i++)
		kt_verifier_print(f, p[i].name, &p[i], false);
	if (table)
		kt_verifier_table(f, p, n);
	fclose(f);
	return buf;
}

UNIT_TEST(verifier_print_budget_warning_and_rejection)
{
	static struct kt_vprofile p[2];
	struct kt_mon_bpf_prog progs[3] = { mkprog(7, "big_loop", 800000), mkprog(9, "small", 48),
					    mkprog(12, "big_loop", 750000) /* reloaded: the last wins */ };
	size_t len;
	unsigned char *f = unit_fixture("sched-fail_verify-6.12.118.log", &len);
	struct kt_vlog_block b[1];
	struct kbuf m = { 0 };
	char *out;

	if (!f)
		return;
	snprintf(p[0].name, sizeof(p[0].name), "default");
	p[0].run.progs = progs;
	p[0].run.nprogs = 3;
	out = print(p, 1, false);
	CHECK(strstr(out, "  big_loop                                 verified_insns=750000    75.00 % of 1000000 !"));
	CHECK(strstr(out, "  small                                    verified_insns=48         0.00 % of 1000000"));
	CHECK(strstr(out, "WARNING:   big_loop: 750000 verified instructions, 75.0 % of the budget"));
	CHECK(!strstr(out, "800000"));
	CHECK(!strstr(out, "small: 48 verified"));
	free(out);
	/* a rejected program: its reason and its log around the rejection */
	snprintf(p[1].name, sizeof(p[1].name), "fail");
	p[1].status = 1;
	CHECK_EQ_INT(kt_vlog_blocks((const char *)f, len, b, 1), 1);
	kt_vlog_msg_encode(b[0].prog, KT_VLOG_F_FAILED | KT_VLOG_F_COMPLETE, (const char *)f + b[0].off, b[0].len, &m);
	CHECK(kt_vlogs_add(&p[1].run.vlogs, m.data, m.len) == 0);
	out = print(&p[1], 1, false);
	CHECK(strstr(out, "fail: the scheduler did not load and attach"));
	CHECK(strstr(out, "  ktstr_dispatch                           REJECTED: R2 invalid mem access 'scalar'"));
	CHECK(strstr(out, "--- verifier: ktstr_dispatch rejected (R2 invalid mem access 'scalar') ---"));
	CHECK(strstr(out, "    123: (7b) *(u64 *)(r2 +0) = r1\n    R2 invalid mem access 'scalar'\n"));
	CHECK(strstr(out, "  ktstr_dispatch                           processed=38  states=3/3"));
	free(out);
	/* the table: a row per program, a column per profile */
	out = print(p, 2, true);
	CHECK(strstr(out, "\ndefault             2       750048  big_loop 750000                    75.00 %\n"));
	CHECK(strstr(out, "\nfail                0            0  -                                        -  (did not "
			  "load)\n"));
	CHECK(strstr(out, "program                              default        fail\n"));
	CHECK(strstr(out, "big_loop                            750000 !           -\n"));
	CHECK(strstr(out, "ktstr_dispatch                             -    REJECTED\n"));
	free(out);
	kt_vlogs_free(&p[1].run.vlogs);
	kt_kbuf_free(&m);
	free(f);
}

static json_t *doc(const char *prof, const char *const *names, const long long *insns, size_t n)
{
	json_t *j = json_object(), *ps = json_array(), *p = json_object(), *progs = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *g = json_object();

		json_object_set_new(g, "name", json_string(names[i]));
		json_object_set_new(g, "verified_insns", json_integer(insns[i]));
		json_array_append_new(progs, g);
	}
	json_object_set_new(p, "profile", json_string(prof));
	json_object_set_new(p, "progs", progs);
	json_array_append_new(ps, p);
	json_object_set_new(j, "profiles", ps);
	return j;
}

static int cmp(json_t *a, json_t *b, bool have_max, double max, char **out)
{
	char err[200];
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int ret = kt_verifier_compare(f, "A.json", a, "B.json", b, have_max, max, err, sizeof(err));

	fclose(f);
	return ret;
}

UNIT_TEST(verifier_compare_growth_gate)
{
	static const char *const an[] = { "enqueue", "dispatch", "old" }, *const bn[] = { "enqueue", "dispatch", "new" };
	static const long long av[] = { 100, 1000, 5 }, bv[] = { 100, 1300, 7 };
	json_t *a = doc("default", an, av, 3), *b = doc("default", bn, bv, 3);
	char *out = NULL;

	CHECK_EQ_INT(cmp(a, b, true, 10.0, &out), 1);
	CHECK(strstr(out, "default/dispatch                                         1000         1300  +300 (+30.0 %)  "
			  "over the limit\n"));
	CHECK(strstr(out, "default/old                                                 5            -  removed\n"));
	CHECK(strstr(out, "default/new                                                 -            7  new\n"));
	CHECK(strstr(out, "total (programs in both)                                 1100         1400  +300 (+27.3 %)"));
	CHECK(strstr(out, "FAIL: growth limit 10.0 %"));
	free(out);
	CHECK_EQ_INT(cmp(a, b, true, 30.0, &out), 0); /* 30.0 is not over 30 */
	CHECK(strstr(out, "ok: growth limit 30.0 %"));
	free(out);
	CHECK_EQ_INT(cmp(a, b, false, 0, &out), 0); /* no gate */
	free(out);
	CHECK_EQ_INT(cmp(b, a, true, 0.0, &out), 0); /* shrinking is fine */
	free(out);
	json_decref(a);
	json_decref(b);
	/* from nothing to something is growth */
	{
		static const char *const n1[] = { "p" };
		static const long long z[] = { 0 }, one[] = { 1 };

		a = doc("x", n1, z, 1);
		b = doc("x", n1, one, 1);
		CHECK_EQ_INT(cmp(a, b, true, 1000.0, &out), 1);
		free(out);
		json_decref(a);
		json_decref(b);
	}
}

UNIT_TEST(verifier_compare_hostile_files)
{
	static const char *const n1[] = { "p" };
	static const long long neg[] = { -1 }, big[] = { 1ll << 33 }, ok[] = { 5 };
	json_t *good = doc("x", n1, ok, 1), *bad;
	char *out = NULL, err[200];
	FILE *f;
	size_t len;

	bad = json_array();
	CHECK_EQ_INT(cmp(bad, good, false, 0, &out), -EINVAL);
	free(out);
	json_decref(bad);
	bad = doc("x", n1, neg, 1);
	CHECK_EQ_INT(cmp(good, bad, false, 0, &out), -EINVAL);
	free(out);
	json_decref(bad);
	bad = doc("x", n1, big, 1);
	CHECK_EQ_INT(cmp(good, bad, false, 0, &out), -EINVAL);
	free(out);
	json_decref(bad);
	bad = json_pack("{s:[{s:s,s:[{s:i}]}]}", "profiles", "profile", "x", "progs", "verified_insns", 3);
	f = open_memstream(&out, &len);
	CHECK_EQ_INT(kt_verifier_compare(f, "A", good, "B", bad, false, 0, err, sizeof(err)), -EINVAL);
	fclose(f);
	CHECK(strstr(err, "B: profile x program 0: no name"));
	free(out);
	json_decref(bad);
	/* an escape sequence in a name is not printed */
	{
		static const char *const esc[] = { "p\x1b[2Jq" };

		bad = doc("x", esc, ok, 1);
		CHECK_EQ_INT(cmp(good, bad, false, 0, &out), 0);
		CHECK(!strchr(out, '\x1b'));
		free(out);
		json_decref(bad);
	}
	json_decref(good);
}
