/* main() of test binaries (build/ktstr-tests and any user binary linking
 * libktstr.a): PID 1 in the guest runs the test; on the host it selects
 * tests and runs each in a VM. */
#include "core/ctx.h"
#include "core/runner.h"
#include "guest/guest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [OPTIONS] [FILTER...]\n"
		"Runs the registered ktstr tests, each in its own VM.  A FILTER selects the\n"
		"tests whose name contains it (several filters: any of them).\n\n"
		"  -l, --list           list the tests (name, topology, duration) and exit\n"
		"  -j, --jobs N         run N VMs in parallel (default 1)\n"
		"  -k, --kernel P|KEY   kernel: bzImage path, build tree, cache dir or cache key\n"
		"                       (default: $KTSTR_KERNEL, else the newest cached kernel)\n"
		"      --vmm V          qemu | kvm | auto (default auto)\n"
		"  -t, --topo T         override every test's topology, e.g. 1n2l2c1t\n"
		"                       (NUMA nodes, LLCs, cores per LLC, threads per core)\n"
		"  -d, --duration S     override every test's scenario duration (seconds)\n"
		"      --memory MB      override every test's guest memory (default: the test's, 2048)\n"
		"      --timeout S      VM wall-clock limit (default: derived; env KTSTR_VM_TIMEOUT)\n"
		"  -v, --verbose        stream guest consoles to stderr, debug messages\n"
		"  -h, --help           this help\n"
		"Exit status: 0 all passed, 1 a test failed, 2 bad input.\n",
		argv0);
}

static int list_tests(const struct ktstr_test *const *sel, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ktstr_topo topo;
		char ts[32];

		kt_test_topo(sel[i], &topo);
		ktstr_topo_format(&topo, ts, sizeof(ts));
		printf("%-28s topo=%-10s duration=%us%s%s%s\n", sel[i]->name, ts,
		       sel[i]->duration_s ? sel[i]->duration_s : 2, sel[i]->expect_fail ? " expect_fail" : "",
		       sel[i]->desc ? "  " : "", sel[i]->desc ? sel[i]->desc : "");
	}
	return 0;
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
	return strcmp((*(const struct ktstr_test *const *)a)->name, (*(const struct ktstr_test *const *)b)->name);
}

int ktstr_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "list", no_argument, 0, 'l' },	{ "jobs", required_argument, 0, 'j' },
		{ "kernel", required_argument, 0, 'k' }, { "vmm", required_argument, 0, 'V' },
		{ "topo", required_argument, 0, 't' },	{ "duration", required_argument, 0, 'd' },
		{ "timeout", required_argument, 0, 'T' }, { "verbose", no_argument, 0, 'v' },
		{ "memory", required_argument, 0, 'm' }, { "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct kt_run_opts o = { .jobs = 1 };
	const struct ktstr_test **sel;
	bool list = false;
	size_t n = 0;
	char err[256];
	int c, ret;

	if (getpid() == 1)
		kt_guest_main();
	while ((c = getopt_long(argc, argv, "lj:k:t:d:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'l': list = true; break;
		case 'j': if (parse_uint("--jobs", optarg, 1, 64, &o.jobs)) return 2; break;
		case 'k': o.kernel = optarg; break;
		case 'V':
			if (vm_parse_vmm(optarg, &o.vmm)) {
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
		case 'v': o.verbose = true; kt_verbose = 1; break;
		case 'm': if (parse_uint("--memory", optarg, 256, 1u << 24, &o.memory_mb)) return 2; break;
		case 'h': usage(stdout, argv[0]); return 0;
		default: fprintf(stderr, "ktstr: see %s --help\n", argv[0]); return 2;
		}
	}
	sel = calloc(kt_test_count() + 1, sizeof(*sel));
	if (!sel)
		return 1;
	for (size_t i = 0; i < kt_test_count(); i++) {
		const struct ktstr_test *t = kt_test_at(i);
		bool take = optind >= argc;

		for (int a = optind; a < argc && !take; a++)
			take = strstr(t->name, argv[a]) != NULL;
		if (take)
			sel[n++] = t;
	}
	qsort(sel, n, sizeof(*sel), by_name);
	if (!n) {
		fprintf(stderr, "ktstr: no test matches%s", optind < argc ? "" : " (no tests registered)");
		for (int a = optind; a < argc; a++)
			fprintf(stderr, " '%s'", argv[a]);
		fprintf(stderr, "; see --list\n");
		free(sel);
		return 2;
	}
	ret = list ? list_tests(sel, n) : kt_run_tests(sel, n, &o);
	free(sel);
	return ret;
}
