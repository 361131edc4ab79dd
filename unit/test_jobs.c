#include "unit.h"
#include "runner/jobs.h"

UNIT_TEST(jobs_peak_vcpus)
{
	static const unsigned v[] = { 4, 2, 8, 1, 4, 16, 2 };
	size_t n = sizeof(v) / sizeof(v[0]);

	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 0), 0);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 1), 16);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 2), 24);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 3), 28);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 4), 32);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 7), 37);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, n, 64), 37);
	CHECK_EQ_INT(kt_jobs_peak_vcpus(v, 0, 4), 0);
}

UNIT_TEST(jobs_fit)
{
	static const unsigned four[] = { 4, 4, 4, 4, 4, 4 }, small[] = { 1, 2, 1, 2, 1 }, one[] = { 2 };

	/* The project's machines: 2 CPUs, 4-vCPU tests: one VM at a time. */
	CHECK_EQ_INT(kt_jobs_fit(four, 6, 2), 1);
	CHECK_EQ_INT(kt_jobs_fit(four, 6, 8), 2);
	CHECK_EQ_INT(kt_jobs_fit(four, 6, 64), 6); /* never more than the cases */
	/* The largest run together: 2+2+1 = 5 <= 5, 2+2+1+1 = 6 > 5. */
	CHECK_EQ_INT(kt_jobs_fit(small, 5, 5), 3);
	CHECK_EQ_INT(kt_jobs_fit(small, 5, 1), 1);
	CHECK_EQ_INT(kt_jobs_fit(one, 1, 128), 1);
	CHECK_EQ_INT(kt_jobs_fit(one, 0, 128), 1);
	unsigned many[100];
	for (int i = 0; i < 100; i++)
		many[i] = 1;
	CHECK_EQ_INT(kt_jobs_fit(many, 100, 512), KT_JOBS_MAX);
}

UNIT_TEST(jobs_stretch)
{
	static const unsigned four[] = { 4, 4, 4, 4 }, mixed[] = { 8, 1, 1 };
	unsigned peak = 0;

	CHECK(!kt_jobs_stretch(four, 4, 1, 2, &peak)); /* one VM: -j cannot help */
	CHECK_EQ_INT(peak, 4);
	CHECK(kt_jobs_stretch(four, 4, 2, 2, &peak)); /* 8 vCPUs on 2 CPUs */
	CHECK_EQ_INT(peak, 8);
	CHECK(!kt_jobs_stretch(four, 4, 2, 4, &peak)); /* 8 on 4: exactly 2 per CPU */
	CHECK(kt_jobs_stretch(four, 4, 3, 4, &peak));
	CHECK_EQ_INT(peak, 12);
	CHECK(!kt_jobs_stretch(four, 1, 4, 2, NULL)); /* one case: one VM */
	CHECK(!kt_jobs_stretch(mixed, 3, 2, 8, &peak));
	CHECK_EQ_INT(peak, 9);
	CHECK(kt_jobs_stretch(mixed, 3, 3, 0, NULL)); /* no host CPU count: taken as 1 */
}

UNIT_TEST(jobs_parse)
{
	unsigned j = 0;

	CHECK_EQ_INT(kt_jobs_parse("1", &j), 0);
	CHECK_EQ_INT(j, 1);
	CHECK_EQ_INT(kt_jobs_parse("64", &j), 0);
	CHECK_EQ_INT(j, 64);
	static const char *const bad[] = { "", "0", "65", "-1", "+2", " 2", "2x", "x", "99999999999999999999", NULL };
	for (int k = 0; bad[k]; k++)
		if (kt_jobs_parse(bad[k], &j) != -22)
			unit_fail(__FILE__, __LINE__, "'%s' accepted", bad[k]);
	CHECK(kt_jobs_parse(NULL, &j) == -22);
	CHECK(kt_host_cpus_allowed() >= 1);
}
