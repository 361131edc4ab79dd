/* Unit tests: scheduler flag profile expansion. */
#include <errno.h>
#include "model/ctx.h"
#include "model/profiles.h"
#include "unit.h"

static const char *const needs_llc[] = { "llc", NULL };
static const char *const not_steal[] = { "steal", NULL };
static const struct ktstr_sched_flag flags[] = {
	{ .name = "llc", .args = "--llc" },
	{ .name = "numa", .args = "--numa", .requires = needs_llc },
	{ .name = "steal", .args = "--steal" },
	{ .name = "lowlat", .args = "--lowlat -s 100", .excludes = not_steal },
	{ 0 },
};

UNIT_TEST(profiles_power_set_with_constraints)
{
	uint32_t m[64];
	char err[128], name[64], args[128];
	int n = kt_flag_profiles(flags, NULL, NULL, m, 64, err, sizeof(err));

	/* 16 subsets; numa without llc (4 of them: numa alone and with
	 * steal/lowlat combos) and steal+lowlat together are invalid. */
	CHECK_EQ_INT(n, 9);
	CHECK_EQ_INT(m[0], 0);
	kt_profile_name(flags, m[0], name, sizeof(name));
	CHECK_EQ_STR(name, "default");
	kt_profile_name(flags, 0x3, name, sizeof(name));
	CHECK_EQ_STR(name, "llc+numa");
	kt_profile_args(flags, 0x9, args, sizeof(args));
	CHECK_EQ_STR(args, "--llc --lowlat -s 100");
	for (int i = 0; i < n; i++) {
		CHECK(!((m[i] & 2) && !(m[i] & 1)));
		CHECK((m[i] & 0xc) != 0xc);
		if (i)
			CHECK(__builtin_popcount(m[i - 1]) <= __builtin_popcount(m[i]));
	}
}

UNIT_TEST(profiles_test_required_excluded)
{
	static const char *const req[] = { "numa", NULL }, *const exc[] = { "lowlat", NULL };
	uint32_t m[64];
	char err[128];
	int n = kt_flag_profiles(flags, req, exc, m, 64, err, sizeof(err));

	/* numa (so llc) always, never lowlat: {llc,numa} +- steal. */
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(m[0], 0x3);
	CHECK_EQ_INT(m[1], 0x7);
}

UNIT_TEST(profiles_bad_input)
{
	static const char *const bogus[] = { "nope", NULL };
	static const struct ktstr_sched_flag dup[] = { { .name = "a" }, { .name = "a" }, { 0 } };
	static const struct ktstr_sched_flag unk[] = { { .name = "a", .requires = bogus }, { 0 } };
	uint32_t m[4];
	char err[128];

	CHECK_EQ_INT(kt_flag_profiles(flags, bogus, NULL, m, 64, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'nope'") != NULL);
	CHECK_EQ_INT(kt_flag_profiles(dup, NULL, NULL, m, 4, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_flag_profiles(unk, NULL, NULL, m, 4, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "flag 'a' requires") != NULL);
	CHECK_EQ_INT(kt_flag_profiles(flags, NULL, NULL, m, 4, err, sizeof(err)), -E2BIG);
	CHECK_EQ_INT(kt_flag_profiles(NULL, NULL, NULL, m, 4, err, sizeof(err)), 1);
}

UNIT_TEST(profiles_unsatisfiable_is_empty)
{
	/* lowlat excludes steal: requiring both leaves no profile (the
	 * runner reports that as bad input). */
	static const char *const req[] = { "lowlat", "steal", NULL };
	uint32_t m[64];
	char err[128];

	CHECK_EQ_INT(kt_flag_profiles(flags, req, NULL, m, 64, err, sizeof(err)), 0);
}

UNIT_TEST(scheduler_topology_inherited_per_dimension)
{
	static const struct ktstr_scheduler s = { .name = "x", .binary = "x",
						  .topology = { .numa_nodes = 2, .llcs = 4, .cores = 0, .threads = 2 } };
	struct ktstr_test t = { .name = "t", .scheduler = &s, .cores = 3 };
	struct ktstr_topo o;

	kt_test_topo(&t, &o);
	CHECK_EQ_INT(o.numa_nodes, 2);
	CHECK_EQ_INT(o.llcs, 4);
	CHECK_EQ_INT(o.cores, 3);   /* the test's own */
	CHECK_EQ_INT(o.threads, 2);
	t.scheduler = NULL;
	kt_test_topo(&t, &o);
	CHECK_EQ_INT(o.numa_nodes, 1);
	CHECK_EQ_INT(o.llcs, 1);
	CHECK_EQ_INT(o.threads, 1);
}
