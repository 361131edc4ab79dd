/* Soak (issue 16, part 4): N consecutive VM tests in one host runner
 * process (kt_run_tests, -j1, the host monitor on), and after each the
 * runner's open file descriptors and resident memory.  Both must stay
 * flat: a leaked fd, mapping or buffer per run shows as a slope.
 * Prints one row per run and a summary; exits 1 when the fd count grew.
 *   bench/soak.sh [N [KERNEL]]     (default 50; results: docs/soak.md) */
#include "runner/runner.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ktstr/ktstr.h>

KTSTR_TEST(bench_soak, .numa_nodes = 1, .llcs = 1, .cores = 2, .threads = 1, .duration_s = 1,
	   .desc = "soak: two spinning workers for 1 s (bench/soak.sh runs it N times in one process)")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){ { .name = "soak", .workers = 2 }, { 0 } });
}

struct soak {
	unsigned runs, failed;
	long fd_first, fd_min, fd_max, fd_last;
	long rss_first, rss_min, rss_max, rss_last, rss_at2;
};

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static void after_case(void *arg, const struct kt_case *c, const struct kt_outcome *out)
{
	struct soak *s = arg;
	long fds = open_fds(), rss = rss_kib();

	(void)c;
	if (!s->runs++) {
		s->fd_first = s->fd_min = s->fd_max = fds;
		s->rss_first = s->rss_min = s->rss_max = rss;
	}
	if (s->runs == 2)
		s->rss_at2 = rss;
	s->failed += out->verdict != KT_PASS;
	s->fd_min = fds < s->fd_min ? fds : s->fd_min;
	s->fd_max = fds > s->fd_max ? fds : s->fd_max;
	s->rss_min = rss < s->rss_min ? rss : s->rss_min;
	s->rss_max = rss > s->rss_max ? rss : s->rss_max;
	s->fd_last = fds;
	s->rss_last = rss;
	printf("SOAK| %u | %s | %ld | %ld |\n", s->runs, out->verdict == KT_PASS ? "pass" : "FAIL", fds, rss);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const struct ktstr_test *t[] = { &ktstr_def_bench_soak };
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 50;
	struct soak s = { 0 };
	struct kt_run_opts o = { .jobs = 1, .no_progress = true, .case_done = after_case, .case_done_arg = &s };
	struct kt_run_summary sum;
	struct kt_case *one = NULL, *cases;
	size_t n1 = 0;
	int ret;

	if (getpid() == 1)
		return ktstr_main(argc, argv);
	o.kernel = argc > 2 ? argv[2] : NULL;
	if (!n || kt_expand_cases(t, 1, NULL, &one, &n1) || n1 != 1 || !(cases = calloc(n, sizeof(*cases))))
		return fprintf(stderr, "soak: usage: soak [N [KERNEL]]\n"), 2;
	for (unsigned i = 0; i < n; i++) {
		cases[i] = one[0];
		snprintf(cases[i].name, sizeof(cases[i].name), "bench_soak#%u", i + 1);
	}
	printf("SOAK| run | verdict | open fds | RSS KiB |\n");
	ret = kt_run_tests(cases, n, &o, &sum);
	printf("soak: %u runs, %u failed; fds %ld after the first, %ld to %ld, %ld after the last; "
	       "RSS %ld KiB after the first, %ld after the second, %ld to %ld, %ld after the last\n",
	       s.runs, s.failed, s.fd_first, s.fd_min, s.fd_max, s.fd_last, s.rss_first, s.rss_at2, s.rss_min, s.rss_max,
	       s.rss_last);
	free(cases);
	free(one);
	if (ret || s.runs != n)
		return 2;
	return s.fd_last > s.fd_first ? 1 : 0;
}
