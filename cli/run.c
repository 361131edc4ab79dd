/* `ktstr run`: bare-metal mode.  Runs canned scenarios on this host under
 * whatever scheduler is active, through the runner's local executor
 * (runner/local.c): topology from the host's sysfs, cgroups under
 * <cgroup2 root>/ktstr-<pid>, removed afterwards even on SIGINT. */
#include "model/ctx.h"
#include "runner/runner.h"
#include "cli.h"
#include <ktstr/scenario.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe/probe.h"

extern const int kt_catalog_linked;

static void usage(FILE *f)
{
	fprintf(f, "usage: ktstr run [--duration S] [--list] [--repro [--probe-stack F1,F2|FILE]] [NAME...|all]\n\n"
		   "Run canned scenarios on this host (bare metal) under the active scheduler.\n"
		   "Cgroups go under <cgroup2 root>/ktstr-<pid> and are removed afterwards.\n"
		   "  --duration S   scenario length in seconds (fractions allowed; default: each scenario's)\n"
		   "  --list         list the scenarios and exit\n"
		   "  --repro        BPF probes on this host while the scenarios run (root; kprobes):\n"
		   "                 the active sched_ext scheduler's callbacks and their kernel callers,\n"
		   "                 and --probe-stack's functions; if the scheduler exits with an error,\n"
		   "                 an `--- auto-repro ---` section shows what led to it, else a status\n"
		   "  --probe-stack F1,F2|FILE  kernel functions to probe with --repro: a list, or a\n"
		   "                 file holding a sched_ext dump or a kernel stack trace\n"
		   "Exit status: 0 all passed, 1 a scenario failed (or --repro cannot probe here),\n"
		   "2 bad input.\n");
}

static const struct ktstr_test *find(const char *name)
{
	for (size_t k = 0; k < kt_scenario_count(); k++)
		if (!strcmp(kt_scenario_at(k)->name, name))
			return kt_scenario_at(k);
	return NULL;
}

static int add_case(struct kt_case *cases, size_t *n, const struct ktstr_test *t)
{
	struct kt_case *c = &cases[(*n)++];

	memset(c, 0, sizeof(*c));
	c->t = t;
	return snprintf(c->name, sizeof(c->name), "%s", t->name) < (int)sizeof(c->name) ? 0 : -1;
}

int cli_run(int argc, char **argv)
{
	struct kt_run_opts o = { .local = true, .jobs = 1, .no_monitor = true };
	struct kt_run_summary sum;
	struct kt_host_probes hp = { 0 };
	struct kt_case *cases;
	size_t n = 0, max = kt_scenario_count();
	bool list = false, all = false, repro = false;
	const char *probe_arg = NULL;
	char probes[KT_PROBE_LIST_MAX];
	uint64_t t0;
	int ret;

	if (!kt_catalog_linked || !max)
		return 1;
	cases = calloc(max + (size_t)argc, sizeof(*cases));
	if (!cases)
		return 1;
	for (int i = 1; i < argc; i++) {
		const struct ktstr_test *t;
		char *end;
		double d;

		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			d = strtod(argv[++i], &end);
			if (*end || !(d * 1000 >= 1) || d > 3600) {
				fprintf(stderr, "ktstr run: --duration '%s': expected seconds, more than 0 and at most 3600\n",
					argv[i]);
				free(cases);
				return 2;
			}
			o.duration_ms = (unsigned)(d * 1000);
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "--repro")) {
			repro = true;
		} else if (!strcmp(argv[i], "--probe-stack") && i + 1 < argc) {
			probe_arg = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			free(cases);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "ktstr run: unknown option '%s'\n", argv[i]);
			usage(stderr);
			free(cases);
			return 2;
		} else if (!strcmp(argv[i], "all")) {
			all = true;
		} else if (!(t = find(argv[i]))) {
			fprintf(stderr, "ktstr run: unknown scenario '%s'; see `ktstr scenario --list`\n", argv[i]);
			free(cases);
			return 2;
		} else if (!all) {
			add_case(cases, &n, t);
		}
	}
	if (probe_arg && !repro) {
		fprintf(stderr, "ktstr run: --probe-stack needs --repro\n");
		free(cases);
		return 2;
	}
	if (all || !n) {
		n = 0;
		for (size_t k = 0; k < max; k++)
			add_case(cases, &n, kt_scenario_at(k));
	}
	if (list) {
		for (size_t i = 0; i < n; i++)
			printf("%-34s %s\n", cases[i].t->name, cases[i].t->desc ? cases[i].t->desc : "");
		free(cases);
		return 0;
	}
	if (repro) {
		ret = kt_cli_probe_list(probe_arg, probes, sizeof(probes)) ? 2
									   : kt_cli_run_probes_begin(&hp, probes, probe_arg != NULL);
		if (ret) {
			free(cases);
			return ret;
		}
	}
	t0 = kt_now_ns();
	ret = kt_run_exit_status(kt_run_tests(cases, n, &o, &sum), &sum);
	kt_cli_run_probes_end(&hp, (double)(kt_now_ns() - t0) / 1e9);
	free(cases);
	return ret;
}
