/* -j that fits the host (runner/jobs.h). */
#include "runner/jobs.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

unsigned kt_jobs_peak_vcpus(const unsigned *vcpus, size_t n, unsigned jobs)
{
	unsigned top[KT_JOBS_MAX] = { 0 }, sum = 0;
	size_t k = jobs < KT_JOBS_MAX ? jobs : KT_JOBS_MAX;

	if (k > n)
		k = n;
	/* top[] holds the k largest seen so far, in descending order. */
	for (size_t i = 0; i < n && k; i++) {
		size_t j = k - 1;

		if (vcpus[i] <= top[j])
			continue;
		for (; j > 0 && top[j - 1] < vcpus[i]; j--)
			top[j] = top[j - 1];
		top[j] = vcpus[i];
	}
	for (size_t i = 0; i < k; i++)
		sum += top[i];
	return sum;
}

unsigned kt_jobs_fit(const unsigned *vcpus, size_t n, unsigned host_cpus)
{
	unsigned j = 1;

	while (j < n && j < KT_JOBS_MAX && kt_jobs_peak_vcpus(vcpus, n, j + 1) <= host_cpus)
		j++;
	return j;
}

bool kt_jobs_stretch(const unsigned *vcpus, size_t n, unsigned jobs, unsigned host_cpus, unsigned *peak)
{
	unsigned p = kt_jobs_peak_vcpus(vcpus, n, jobs);

	if (peak)
		*peak = p;
	if (jobs < 2 || n < 2)
		return false;
	return p > KT_JOBS_STRETCH * (host_cpus ? host_cpus : 1);
}

unsigned kt_host_cpus_allowed(void)
{
	cpu_set_t s;
	int n;

	if (sched_getaffinity(0, sizeof(s), &s))
		return 1;
	n = CPU_COUNT(&s);
	return n > 0 ? (unsigned)n : 1;
}

int kt_jobs_parse(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > KT_JOBS_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}
