/* The runner command line shared by test binaries (ktstr_main) and
 * `ktstr scenario`: options, selection by name, --list, run. */
#include "model/ctx.h"
#include "model/defaults.h"
#include "runner/runner.h"
#include "runner/emit.h"
#include "cli.h"
#include "runner/report_out.h"
#include "runner/shard.h"
#include "runner/jobs.h"
#include "gauntlet/gauntlet.h"
#include "guest/guest.h"
#include "probe/probe.h"

#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f, const char *argv0, const char *what)
{
	fprintf(f,
		"usage: %s [OPTIONS] [FILTER...]\n"
		"Runs each selected %s in its own VM.  A FILTER selects the %ss whose name\n"
		"contains it, or with a leading ^ starts with the rest (several filters: any of\n"
		"them; \"all\" selects everything).\n\n"
		"  -l, --list           list the %ss (name, topology, duration) and exit\n"
		"  -j, --jobs N         run N VMs in parallel (default: $KTSTR_JOBS, else as many\n"
		"                       as this host's CPUs hold vCPUs, at least 1; warns when N\n"
		"                       runs over 2 vCPUs per host CPU: guest time stretches)\n"
		"  -k, --kernel P|KEY   kernel: bzImage path, build tree, cache dir or cache key\n"
		"                       (default: $KTSTR_KERNEL, else the newest cached kernel)\n"
		"      --vmm V          qemu | kvm | auto (default auto)\n"
		"  -t, --topo T         override the topology, e.g. 1n2l2c1t\n"
		"                       (NUMA nodes, LLCs, cores per LLC, threads per core)\n"
		"  -d, --duration S     override the scenario duration (seconds)\n"
		"  -s, --scheduler P    run under this sched_ext scheduler binary (host path, or\n"
		"                       scx_simple/scx_qmap/scx_central/scx_flatcg from the kernel\n"
		"                       cache); default: the %s's own, else EEVDF\n"
		"  -a, --args \"ARGS\"    arguments for --scheduler\n"
		"      --memory MB      override the guest memory (default: 2048; 3072 for a nested rig)\n"
		"      --timeout S      VM wall-clock limit (default: derived; env KTSTR_VM_TIMEOUT)\n"
		"      --retries N      run a failed %s again, up to N more times; a pass on a\n"
		"                       retry counts as passed and is reported as flaky, with the\n"
		"                       first failure (default 0; env KTSTR_RETRIES); at most\n"
		"                       max(2, cases/10) retries per run\n"
		"      --shard I/N      run (or --list) only shard I of N: a deterministic split\n"
		"                       of the sorted list, for a CI matrix (docs/ci.md)\n"
		"      --junit FILE     also write the results as JUnit XML to FILE\n"
		"      --out DIR        write one JSON sidecar per %s into DIR (created):\n"
		"                       verdict, topology, durations, telemetry, payload\n"
		"                       metrics (docs/payloads.md), console tails\n"
		"      --no-progress    no live progress line on stderr (shown on a terminal)\n"
		"      --no-monitor     no host-side monitor (guest kernel state read from guest\n"
		"                       memory; its verdict and timeline, docs/monitor.md)\n"
		"      --monitor-interval MS  monitor sampling period (default: the %s's, else 100)\n"
		"      --watchdog-timeout S  sched_ext watchdog for every case under a sched_ext\n"
		"                       scheduler, written into the guest kernel and read back\n"
		"                       (default: the test's, the scheduler's, else 4 s, 8 s under\n"
		"                       TCG; 0: each scheduler's own ops.timeout_ms)\n"
		"      --gauntlet       run every %s on every topology preset its constraints accept\n"
		"                       (and every flag profile), as NAME@TOPO[/FLAGS] (docs/gauntlet.md)\n"
		"      --presets P,Q|all  gauntlet presets to use (names from `ktstr topo`; default all;\n"
		"                       implies --gauntlet)\n"
		"      --budget S       run only the subset covering the most features (tests, flags,\n"
		"                       NUMA/SMT/LLC/CPU classes) in about S seconds (x -j); with --list,\n"
		"                       show the choice, its estimated costs and the features covered\n"
		"      --costs FILE     measured per-VM costs to read and update (default:\n"
		"                       $KTSTR_COSTS, else <cache>/costs.json)\n"
		"      --no-auto-repro  no second VM with BPF probes when a case fails under a\n"
		"                       sched_ext scheduler (docs/auto-repro.md)\n"
		"      --repro          run with the auto-repro probes from the start (the\n"
		"                       scheduler's callbacks, and --probe-stack's functions)\n"
		"      --probe-stack F1,F2|FILE  kernel functions to probe with --repro: a list,\n"
		"                       or a file (a saved dump or stack trace) to take them from\n"
		"      --perf-mode      performance mode: vCPU threads pinned to host CPUs (each guest\n"
		"                       LLC on a host LLC of its own, locked against other runs),\n"
		"                       SCHED_FIFO, a service CPU for the monitor, hugepage-backed\n"
		"                       guest memory bound to its host node; what the host lacks is\n"
		"                       warned about once (docs/performance.md)\n"
		"      --cpu-cap N      use at most N host CPUs per VM (with --perf-mode: vCPUs and\n"
		"                       the service CPU; without: the vCPU threads share N CPUs)\n"
		"      --restore        restore a snapshot of a guest parked at init instead of booting\n"
		"                       (QEMU/TCG; the first VM of each kernel, initramfs and VM shape\n"
		"                       boots and takes it; also $KTSTR_RESTORE=1; docs/performance.md)\n"
		"  -v, --verbose        stream guest consoles to stderr, debug messages\n"
		"  -h, --help           this help\n"
		"Exit status: 0 all passed, 1 a %s failed, 2 bad input.\n",
		argv0, what, what, what, what, what, what, what, what, what);
}

static void list_cases(const struct kt_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_test *t = c[i].t;
		struct ktstr_topo topo;
		char ts[32];

		kt_case_topo(&c[i], false, NULL, &topo);
		ktstr_topo_format(&topo, ts, sizeof(ts));
		printf("%-34s topo=%-10s duration=%us sched=%s%s%s%s\n", c[i].name, ts,
		       kt_default_duration_s(t, 0), c[i].sched ? (c[i].sched->name ? c[i].sched->name : c[i].sched->binary) : "eevdf",
		       t->expect_fail ? " expect_fail" : "", t->desc ? "  " : "", t->desc ? t->desc : "");
	}
}

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "ktstr: %s '%s': expected a number from %u to %u\n", opt, s, min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kt_case *)a)->name, ((const struct kt_case *)b)->name);
}

static bool selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int a = first; a < argc; a++)
		if (!strcmp(argv[a], "all") || (argv[a][0] == '^' ? !strncmp(name, argv[a] + 1, strlen(argv[a] + 1))
								  : strstr(name, argv[a]) != NULL))
			return true;
	return false;
}

int kt_run_exit_status(int ret, const struct kt_run_summary *sum)
{
	if (sum->interrupted)
		return 128 + (sum->signal > 0 && sum->signal < 64 ? sum->signal : SIGINT);
	if (ret == -EINVAL)
		return 2;
	if (ret < 0)
		return 1;
	return sum->failed ? 1 : 0;
}

int kt_cli_probe_list(const char *arg, char *buf, size_t len)
{
	struct kt_probe_names n = { 0 };
	struct kbuf f = { 0 };
	int ret = 0;

	snprintf(buf, len, "*");
	if (!arg)
		return 0; /* the scheduler's callbacks only */
	if (kt_path_exists(arg)) { /* a saved dump or stack trace */
		ret = kt_read_file(arg, &f);
		if (ret)
			return fprintf(stderr, "ktstr: --probe-stack %s: %s\n", arg, strerror(-ret)), -EINVAL;
		kt_probe_extract(f.data ? f.data : "", f.len, &n);
		kt_kbuf_free(&f);
		if (!n.n)
			return fprintf(stderr, "ktstr: --probe-stack %s: no stack frames in it\n", arg), -EINVAL;
	} else if ((ret = kt_probe_list_parse(arg, &n))) {
		fprintf(stderr, "ktstr: --probe-stack '%s': %s (want f1,f2 or a file)\n", arg,
			ret == -ENOSPC ? "more than 64 functions" : "not a list of function names");
		return -EINVAL;
	}
	if (kt_probe_list_format(&n, buf, len < 900 ? len : 900))
		fprintf(stderr, "ktstr: --probe-stack: the list is cut to fit the guest command line\n");
	return 0;
}

int kt_runner_cli(int argc, char **argv, const char *what, const struct ktstr_test *const *registry, size_t nreg)
{
	return kt_runner_cli_mode(argc, argv, what, registry, nreg, false);
}

int kt_runner_cli_mode(int argc, char **argv, const char *what, const struct ktstr_test *const *registry, size_t nreg,
		       bool gauntlet)
{
	static const struct option lo[] = {
		{ "list", no_argument, 0, 'l' },	  { "jobs", required_argument, 0, 'j' },
		{ "kernel", required_argument, 0, 'k' },   { "vmm", required_argument, 0, 'V' },
		{ "topo", required_argument, 0, 't' },	  { "duration", required_argument, 0, 'd' },
		{ "timeout", required_argument, 0, 'T' },  { "verbose", no_argument, 0, 'v' },
		{ "memory", required_argument, 0, 'm' },   { "scheduler", required_argument, 0, 's' },
		{ "args", required_argument, 0, 'a' },	  { "help", no_argument, 0, 'h' },
		{ "shard", required_argument, 0, 'S' },   { "junit", required_argument, 0, 'J' },
		{ "out", required_argument, 0, 'O' },	  { "no-progress", no_argument, 0, 'P' },
		{ "gauntlet", no_argument, 0, 'G' },	  { "presets", required_argument, 0, 'p' },
		{ "budget", required_argument, 0, 'B' },   { "costs", required_argument, 0, 'C' },
		{ "no-monitor", no_argument, 0, 'M' },	  { "monitor-interval", required_argument, 0, 'I' },
		{ "retries", required_argument, 0, 'R' },  { "watchdog-timeout", required_argument, 0, 'W' },
		{ "no-auto-repro", no_argument, 0, 'N' }, { "repro", no_argument, 0, 'X' },
		{ "probe-stack", required_argument, 0, 'Y' },
		{ "perf-mode", no_argument, 0, 'F' },	  { "cpu-cap", required_argument, 0, 'c' },
		{ "restore", no_argument, 0, 'r' },
		{ 0 },
	};
	struct kt_run_opts o = { .jobs = 0 }; /* 0: fit the host (runner/jobs.h) */
	struct ktstr_scheduler override = { 0 };
	struct kt_case *all = NULL, *sel;
	size_t nall = 0, n = 0;
	bool list = false;
	unsigned shard_i = 1, shard_n = 1;
	char err[256], costs[PATH_MAX];
	struct kt_gauntlet_opts g = { .enabled = gauntlet };
	static char probes[KT_PROBE_LIST_MAX];
	const char *probe_arg = NULL;
	bool repro = false;
	int c, ret;

	if (getenv("KTSTR_RETRIES") && *getenv("KTSTR_RETRIES") &&
	    parse_uint("KTSTR_RETRIES", getenv("KTSTR_RETRIES"), 0, 100, &o.retries))
		return 2;
	if (getenv("KTSTR_JOBS") && *getenv("KTSTR_JOBS") && kt_jobs_parse(getenv("KTSTR_JOBS"), &o.jobs)) {
		fprintf(stderr, "ktstr: KTSTR_JOBS '%s': expected a number from 1 to %d\n", getenv("KTSTR_JOBS"),
			KT_JOBS_MAX);
		return 2;
	}
	o.restore = getenv("KTSTR_RESTORE") && !strcmp(getenv("KTSTR_RESTORE"), "1");
	optind = 1;
	while ((c = getopt_long(argc, argv, "lj:k:t:d:vhs:a:", lo, NULL)) != -1) {
		switch (c) {
		case 'l': list = true; break;
		case 'j': if (parse_uint("--jobs", optarg, 1, KT_JOBS_MAX, &o.jobs)) return 2; break;
		case 'k': o.kernel = optarg; break;
		case 'V':
			if (kt_vm_parse_vmm(optarg, &o.vmm)) {
				fprintf(stderr, "ktstr: --vmm '%s': expected qemu, kvm or auto\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (ktstr_topo_parse(optarg, &o.topo, err, sizeof(err))) {
				fprintf(stderr, "ktstr: --topo: %s\n", err);
				return 2;
			}
			o.have_topo = true;
			break;
		case 'd': if (parse_uint("--duration", optarg, 1, 3600, &o.duration_s)) return 2; break;
		case 'T': if (parse_uint("--timeout", optarg, 5, 86400, &o.timeout_s)) return 2; break;
		case 'm': if (parse_uint("--memory", optarg, 256, 1u << 24, &o.memory_mb)) return 2; break;
		case 's': override.binary = optarg; override.name = optarg; break;
		case 'a': override.args = optarg; break;
		case 'S':
			if (kt_shard_parse(optarg, &shard_i, &shard_n, err, sizeof(err))) {
				fprintf(stderr, "ktstr: --shard %s\n", err);
				return 2;
			}
			break;
		case 'J': o.junit = optarg; break;
		case 'O': o.out_dir = optarg; break;
		case 'P': o.no_progress = true; break;
		case 'M': o.no_monitor = true; break;
		case 'I': if (parse_uint("--monitor-interval", optarg, 1, 10000, &o.monitor_interval_ms)) return 2; break;
		case 'R': if (parse_uint("--retries", optarg, 0, 100, &o.retries)) return 2; break;
		case 'N': o.no_auto_repro = true; break;
		case 'X': repro = true; break;
		case 'Y': probe_arg = optarg; break;
		case 'F': o.perf_mode = true; break;
		case 'r': o.restore = true; break;
		case 'c': if (parse_uint("--cpu-cap", optarg, 1, 512, &o.cpu_cap)) return 2; break;
		case 'W':
			if (parse_uint("--watchdog-timeout", optarg, 0, 30, &o.watchdog_timeout_s))
				return 2;
			o.have_watchdog_timeout = true;
			break;
		case 'G': g.enabled = true; break;
		case 'p': g.presets = optarg; g.enabled = true; break;
		case 'B': if (parse_uint("--budget", optarg, 1, 30u * 86400, &g.budget_s)) return 2; break;
		case 'C': g.costs_path = optarg; break;
		case 'v': o.verbose = true; kt_verbose = 1; break;
		case 'h': usage(stdout, argv[0], what); return 0;
		default: fprintf(stderr, "ktstr: see %s --help\n", argv[0]); return 2;
		}
	}
	if (probe_arg && !repro) {
		fprintf(stderr, "ktstr: --probe-stack needs --repro\n");
		return 2;
	}
	if (repro) {
		if (kt_cli_probe_list(probe_arg, probes, sizeof(probes)))
			return 2;
		o.probe_stack = probes;
	}
	if (override.args && !override.binary) {
		fprintf(stderr, "ktstr: --args needs --scheduler\n");
		return 2;
	}
	if (g.enabled && o.have_topo) {
		fprintf(stderr, "ktstr: --topo and the gauntlet exclude each other: the gauntlet picks the topologies "
				"(choose them with --presets)\n");
		return 2;
	}
	if (kt_expand_cases(registry, nreg, override.binary ? &override : NULL, &all, &nall))
		return 2;
	if (g.enabled && (ret = kt_gauntlet_cases(&g, &all, &nall))) {
		free(all);
		return ret == -EINVAL ? 2 : 1;
	}
	sel = all;
	for (size_t i = 0; i < nall; i++)
		if (selected(all[i].name, argc, argv, optind))
			sel[n++] = all[i];
	qsort(sel, n, sizeof(*sel), by_name);
	if (n && g.budget_s) {
		ssize_t k = kt_gauntlet_budget(&g, &o, sel, n, list && shard_n == 1);

		if (k <= 0) { /* 0: nothing fits (said why) */
			free(all);
			return k < 0 ? 1 : 2;
		}
		if (list && shard_n == 1) {
			free(all);
			return 0;
		}
		n = (size_t)k;
	}
	if (shard_n > 1) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			if (kt_shard_member(i, shard_i, shard_n))
				sel[m++] = sel[i];
		if (!m && n) {
			/* More shards than cases: an empty shard is not an error
			 * (its --junit file is an empty suite, for CI). */
			ret = 0;
			if (!list && kt_report_check(&o))
				ret = 2;
			else if (!list && kt_report_end(kt_report_begin(&o, 0, "")))
				ret = 1;
			else if (!list) {
				static const struct kt_tally none;
				char h[128];

				snprintf(h, sizeof(h), "shard %u/%u of %zu %ss: empty", shard_i, shard_n, n, what);
				kt_emit_begin(stdout, h, 0);
				kt_emit_summary(stdout, &none);
			}
			free(all);
			return ret;
		}
		n = m;
	}
	if (!n) {
		fprintf(stderr, "ktstr: no %s matches", what);
		for (int a = optind; a < argc; a++)
			fprintf(stderr, " '%s'", argv[a]);
		fprintf(stderr, "; see --list\n");
		free(all);
		return 2;
	}
	if (list) {
		list_cases(sel, n);
		ret = 0;
	} else if (kt_report_check(&o)) {
		ret = 2;
	} else {
		if (!kt_costs_path(g.costs_path, costs, sizeof(costs))) {
			o.case_done = kt_gauntlet_record_cost;
			o.case_done_arg = costs;
		}
		struct kt_run_summary sum;

		ret = kt_run_exit_status(kt_run_tests(sel, n, &o, &sum), &sum);
	}
	free(all);
	return ret;
}

int ktstr_main(int argc, char **argv)
{
	const struct ktstr_test **reg;
	int ret;

	if (getpid() == 1)
		kt_guest_main();
	reg = calloc(kt_test_count() + 1, sizeof(*reg));
	if (!reg)
		return 1;
	for (size_t i = 0; i < kt_test_count(); i++)
		reg[i] = kt_test_at(i);
	if (argc > 1 && !strcmp(argv[1], "verifier")) /* with the flags its tests declare */
		ret = kt_verifier_cli(argc - 1, argv + 1, reg, kt_test_count());
	else
		ret = kt_runner_cli(argc, argv, "test", reg, kt_test_count());
	free(reg);
	return ret;
}
