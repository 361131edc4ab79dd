/* Cpuset specs, affinity kinds and scenario-data validation
 * (src/scenario/spec.c, src/scenario/validate.c). */
#include "unit.h"
#include <ktstr/scenario.h>
#include "model/ctx.h"

static const struct ktstr_topo t1224 = { 1, 2, 2, 1 };  /* 4 CPUs: LLC0 0-1, LLC1 2-3 */
static const struct ktstr_topo t2241 = { 2, 4, 2, 1 };  /* 8 CPUs, nodes 0-3 / 4-7 */

static const char *res(const struct ktstr_topo *t, struct ktstr_cpuset_spec s)
{
	static char buf[128];
	struct ktstr_cpumask m;
	char err[256];

	if (ktstr_cpuset_resolve(t, &s, &m, err, sizeof(err)))
		return "ERR";
	kt_mask_format(&m, buf, sizeof(buf));
	return buf;
}

static const char *res_err(const struct ktstr_topo *t, struct ktstr_cpuset_spec s)
{
	static char err[256];
	struct ktstr_cpumask m;

	err[0] = '\0';
	if (!ktstr_cpuset_resolve(t, &s, &m, err, sizeof(err)))
		return "OK";
	return err;
}

UNIT_TEST(scenario_usable)
{
	struct ktstr_cpumask m;
	char b[64];
	struct ktstr_topo two = { 1, 1, 2, 1 };

	ktstr_topo_usable(&t1224, &m);
	kt_mask_format(&m, b, sizeof(b));
	CHECK_EQ_STR(b, "0-2");
	ktstr_topo_usable(&two, &m); /* <= 2 CPUs: all usable */
	kt_mask_format(&m, b, sizeof(b));
	CHECK_EQ_STR(b, "0-1");
}

UNIT_TEST(scenario_cpuset_llc_numa)
{
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_LLC(0)), "0-1");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_LLC(1)), "2-3");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_LLC(2)), "ERR");
	CHECK(strstr(res_err(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_LLC(2)), "llc index 2"));
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_NUMA(1)), "4-7");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_NUMA(2)), "ERR");
}

UNIT_TEST(scenario_cpuset_range)
{
	/* usable of 1n2l2c1t = 0-2 */
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.0, 0.67)), "0-1");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.34, 1.0)), "1-2");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.5, 1.0)), "3-6");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.5, 0.5)), "ERR");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(-0.1, 0.5)), "ERR");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.0, 1.5)), "ERR");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_RANGE(0.0, 0.1)), "ERR"); /* empty */
}

UNIT_TEST(scenario_cpuset_disjoint)
{
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(0, 2)), "0");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(1, 2)), "1-2"); /* last takes the rest */
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(0, 3)), "0-1");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(1, 3)), "2-3");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(2, 3)), "4-6");
	CHECK(strstr(res_err(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(0, 0)), "of must be > 0"));
	CHECK(strstr(res_err(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(2, 2)), "index 2"));
	CHECK(strstr(res_err(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_DISJOINT(0, 4)), "cannot be split"));
}

UNIT_TEST(scenario_cpuset_overlap)
{
	/* 8 CPUs -> usable 0-6, chunk 3, ov floor(3*0.5)=1 */
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_OVERLAP(0, 2, 0.5)), "0-3");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_OVERLAP(1, 2, 0.5)), "2-6");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_OVERLAP(1, 3, 0.5)), "1-4");
	CHECK_EQ_STR(res(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_OVERLAP(0, 2, 0.0)), "0-2");
	CHECK(strstr(res_err(&t2241, (struct ktstr_cpuset_spec)KTSTR_CPUSET_OVERLAP(0, 2, 1.5)), "frac"));
}

UNIT_TEST(scenario_cpuset_exact)
{
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_EXACT("1,3")), "1,3");
	CHECK(strstr(res_err(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_EXACT("2-4")), "CPU 4"));
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_EXACT("x")), "ERR");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec)KTSTR_CPUSET_EXACT(NULL)), "ERR");
	CHECK_EQ_STR(res(&t1224, (struct ktstr_cpuset_spec){ .kind = KTSTR_CS_NONE }), "");
}

static const char *aff(enum ktstr_affinity k, const char *cpus, const char *cpuset, bool *none)
{
	static char buf[64];
	struct ktstr_cpumask cs, m;
	uint64_t rng = 12345;
	char err[128];

	if (cpuset)
		kt_mask_parse(cpuset, &cs);
	if (ktstr_affinity_resolve(&t1224, k, cpus, cpuset ? &cs : NULL, &rng, &m, none, err, sizeof(err)))
		return "ERR";
	kt_mask_format(&m, buf, sizeof(buf));
	return buf;
}

UNIT_TEST(scenario_affinity)
{
	bool none;
	struct ktstr_cpumask m, pool;
	uint64_t rng = 99;
	char err[64];

	aff(KTSTR_AFF_INHERIT, NULL, NULL, &none);
	CHECK(none);
	CHECK_EQ_STR(aff(KTSTR_AFF_CROSS, NULL, "0-1", &none), "0-3");
	CHECK_EQ_STR(aff(KTSTR_AFF_SINGLE, NULL, "2-3", &none), "2");
	CHECK_EQ_STR(aff(KTSTR_AFF_SINGLE, NULL, NULL, &none), "0");
	CHECK_EQ_STR(aff(KTSTR_AFF_LLC, NULL, "1-3", &none), "2-3"); /* LLC1 overlaps most */
	CHECK_EQ_STR(aff(KTSTR_AFF_LLC, NULL, "1-2", &none), "1");   /* tie: lowest LLC */
	CHECK_EQ_STR(aff(KTSTR_AFF_EXACT, "0-2", "1-3", &none), "1-2");
	aff(KTSTR_AFF_EXACT, "0", "2-3", &none);
	CHECK(none);
	CHECK_EQ_STR(aff(KTSTR_AFF_EXACT, "7", NULL, &none), "ERR");
	kt_mask_parse("0-3", &pool);
	CHECK_EQ_INT(ktstr_affinity_resolve(&t1224, KTSTR_AFF_RANDOM, NULL, &pool, &rng, &m, &none, err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_mask_weight(&m), 2);
	CHECK(kt_mask_subset(&m, &pool));
}

static const struct ktstr_op ok_bd[] = {
	KTSTR_OP_ADD("cg_0", .cpuset = KTSTR_CPUSET_LLC(0)), KTSTR_OP_ADD("cg_0/sub"), KTSTR_OP_SPAWN("cg_0/sub", 2),
	{ 0 },
};
static const struct ktstr_step ok_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("tmp"), KTSTR_OP_SPAWN("tmp", 1), { 0 } },
	  .hold = KTSTR_HOLD_FRAC(0.5) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("tmp"), { 0 } }, .hold = KTSTR_HOLD_FIXED(10) },
	{ 0 },
};

static int val(const struct ktstr_op *bd, const struct ktstr_step *steps, char *err)
{
	struct ktstr_backdrop b = { .ops = bd };

	err[0] = '\0';
	return ktstr_steps_validate(&t1224, &b, steps, 2, err, 256);
}

UNIT_TEST(scenario_validate)
{
	char err[256];
	static const struct ktstr_step full[] = { { .hold = KTSTR_HOLD_FULL }, { 0 } };

	CHECK_EQ_INT(val(ok_bd, ok_steps, err), 0); /* step-local "tmp" may be re-added by the next step */
	CHECK(val(ok_bd, (const struct ktstr_step[]){ { 0 } }, err) < 0);
	CHECK(strstr(err, "at least one step"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD(""), { 0 } }, full, err) < 0);
	CHECK(strstr(err, "backdrop op 0") && strstr(err, "cgroup: name"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a", .cpuset = KTSTR_CPUSET_EXACT("0-5")), { 0 } }, full,
		  err) < 0);
	CHECK(strstr(err, "cpuset") && strstr(err, "outside the topology"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a"), KTSTR_OP_SPAWN("a", 0), { 0 } }, full, err) < 0);
	CHECK(strstr(err, "op 1 (spawn 'a'): workers: must be > 0"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_SPAWN("nope", 1), { 0 } }, full, err) < 0);
	CHECK(strstr(err, "no such cgroup"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a/b"), { 0 } }, full, err) < 0);
	CHECK(strstr(err, "parent 'a'"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a"), KTSTR_OP_ADD("a/b"), KTSTR_OP_SPAWN("a", 1), { 0 } },
		  full, err) < 0);
	CHECK(strstr(err, "has child cgroup 'a/b'"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a"), KTSTR_OP_SPAWN("a", 3, .work = KTSTR_WORK_PIPE_IO),
					      { 0 } },
		  full, err) < 0);
	CHECK(strstr(err, "multiple of 2"));
	CHECK(val((const struct ktstr_op[]){ KTSTR_OP_ADD("a"), KTSTR_OP_SWAP("a", "b"), { 0 } }, full, err) < 0);
	CHECK(strstr(err, "to: 'b'"));
	CHECK(val(ok_bd, (const struct ktstr_step[]){ { .hold = KTSTR_HOLD_FIXED(0) },
						       { .ops = ok_bd, .hold = KTSTR_HOLD_FULL }, { 0 } },
		  err) < 0);
	CHECK(strstr(err, "step 0: hold"));
	/* Step-local cgroups are gone in the next step. */
	CHECK(val(NULL, (const struct ktstr_step[]){ { .ops = (const struct ktstr_op[]){ KTSTR_OP_ADD("x"), { 0 } },
							 .hold = KTSTR_HOLD_FULL },
						       { .ops = (const struct ktstr_op[]){ KTSTR_OP_STOP("x"), { 0 } },
							 .hold = KTSTR_HOLD_FULL },
						       { 0 } },
		  err) < 0);
	CHECK(strstr(err, "step 1 op 0 (stop 'x')"));
}

UNIT_TEST(scenario_catalog_valid)
{
	/* Every registered data-driven scenario is valid on its own topology. */
	unsigned n = 0;

	for (size_t i = 0; i < kt_scenario_count(); i++) {
		const struct ktstr_test *t = kt_scenario_at(i);
		struct ktstr_topo topo;
		char err[256] = "";

		if (!kt_scenario_data(t->name))
			continue;
		n++;
		kt_test_topo(t, &topo);
		if (kt_scenario_validate(t, &topo, err, sizeof(err)))
			unit_fail(__FILE__, __LINE__, "%s: %s", t->name, err);
	}
	CHECK(n >= 80);
}
