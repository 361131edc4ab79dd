/* `ktstr kernel build|list|path|clean ...`: arguments to the kernel
 * cache's functions (src/kernel/); exit status 0 ok, 1 failure, 2 bad
 * usage or input. */
#include "kernel/kernel.h"
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char usage_text[] =
	"usage: ktstr kernel build [--source DIR] [-j N] [--force] [--no-schedulers]\n"
	"       ktstr kernel list\n"
	"       ktstr kernel path [KEY|PATH]\n"
	"       ktstr kernel clean [KEY | --all | --keep N]\n"
	"\n"
	"build   Build a guest kernel with kernel/ktstr.kconfig and cache it in\n"
	"        <cache>/kernels/<key>/ (<cache>: $KTSTR_CACHE_DIR, else\n"
	"        $XDG_CACHE_HOME/ktstr, else ~/.cache/ktstr).  Prints the bzImage path.\n"
	"          --source DIR     kernel tree to build (out of tree); default: the\n"
	"                           Debian linux-source-6.12 tarball, extracted once\n"
	"                           with kernel/ktstr-fixes.patch applied\n"
	"          -j, --jobs N     make -j N (default: online CPUs + 1)\n"
	"          --force          rebuild even if the kernel is cached\n"
	"          --no-schedulers  skip tools/sched_ext (scx_* schedulers, bpftool)\n"
	"list    Cached kernels, newest first (marked *).\n"
	"path    bzImage of KEY (a cache key or unique prefix, or a path), else of the\n"
	"        kernel commands use: $KTSTR_KERNEL, else the newest cached one.\n"
	"clean   Remove cached kernels.  Without arguments keeps the newest one\n"
	"        (same as --keep 1).  Then removes the source and build trees\n"
	"        (<cache>/src, <cache>/build) that no cached kernel came from and\n"
	"        the next default build would not use (not while a build holds them).\n"
	"          KEY              remove that entry only\n"
	"          --keep N         keep the N newest entries\n"
	"          --all            remove every entry and the source and build trees\n"
	"                           (the next build starts from scratch)\n";

/* One line on stderr; returns the exit status for bad usage. */
__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ktstr: kernel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see `ktstr kernel --help`)\n", stderr);
	return 2;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* "--name VALUE" or "--name=VALUE" (short: "-jN", "-j N"). */
static const char *opt_arg(int argc, char **argv, int *i, const char *name, const char *shrt, bool *bad)
{
	const char *a = argv[*i];
	size_t l = strlen(name);

	if (shrt && !strncmp(a, shrt, strlen(shrt)) && a[strlen(shrt)])
		return a + strlen(shrt);
	if (!strncmp(a, name, l) && a[l] == '=')
		return a + l + 1;
	if (strcmp(a, name) && (!shrt || strcmp(a, shrt)))
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

static bool parse_count(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static int cli_build(int argc, char **argv)
{
	struct kernel_build_opts o = { 0 };
	struct kernel_info k;
	bool bad = false;
	const char *v;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--force"))
			o.force = true;
		else if (!strcmp(argv[i], "--no-schedulers"))
			o.no_schedulers = true;
		else if ((v = opt_arg(argc, argv, &i, "--source", NULL, &bad)))
			o.source = v;
		else if ((v = opt_arg(argc, argv, &i, "--jobs", "-j", &bad))) {
			if (!parse_count(v, 1, 1024, &o.jobs))
				return bad_usage("build: -j wants a number of jobs 1..1024, not \"%s\"", v);
		} else if (bad)
			return bad_usage("build: %s needs a value", argv[i]);
		else
			return bad_usage("build: unknown argument \"%s\"", argv[i]);
	}
	if (kt_kernel_build(&o, &k))
		return 1;
	printf("%s\n", k.bzimage);
	return 0;
}

static int cli_list(int argc, char **argv)
{
	struct kt_kernel_entry *v;
	size_t n;
	char dir[KT_PATH];

	if (argc && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc)
		return bad_usage("list: unexpected argument \"%s\"", argv[0]);
	if (kt_kernel_list(&v, &n))
		return 1;
	if (kt_kernel_cache_dir(dir, sizeof(dir))) {
		free(v);
		return 1;
	}
	if (!n)
		fprintf(stderr, "ktstr: no cached kernels in %s (run `ktstr kernel build`)\n", dir);
	else
		printf("  %-28s %-12s %-21s %s\n", "KEY", "VERSION", "BUILT", "SCHEDULERS");
	for (size_t i = 0; i < n; i++)
		printf("%c %-28s %-12s %-21s %s\n", i ? ' ' : '*', v[i].key,
		       v[i].version[0] ? v[i].version : "?", v[i].built, v[i].scheds[0] ? v[i].scheds : "-");
	free(v);
	return 0;
}

static int cli_path(int argc, char **argv)
{
	struct kernel_info k;

	if (argc && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1 || (argc && argv[0][0] == '-'))
		return bad_usage("path: unexpected argument \"%s\"", argv[argc - 1]);
	if (kt_kernel_resolve(argc ? argv[0] : NULL, &k))
		return 1;
	printf("%s\n", k.bzimage);
	return 0;
}

/* `clean KEY`: the entry called exactly KEY. */
static int clean_key(const char *key)
{
	struct kt_kernel_entry *e;
	size_t n, i = 0;
	int ret;

	if (kt_kernel_list(&e, &n))
		return 1;
	while (i < n && strcmp(e[i].key, key))
		i++;
	ret = i < n ? !!kt_kernel_remove(&e[i]) : bad_usage("clean: no cached kernel \"%s\"", key);
	free(e);
	return ret;
}

static int cli_clean(int argc, char **argv)
{
	const char *key = NULL, *v;
	int keep = -1, ret;
	bool all = false, bad = false;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--all"))
			all = true;
		else if ((v = opt_arg(argc, argv, &i, "--keep", NULL, &bad))) {
			if (!parse_count(v, 0, INT_MAX, &keep))
				return bad_usage("clean: --keep wants a count >= 0, not \"%s\"", v);
		} else if (bad)
			return bad_usage("clean: %s needs a value", argv[i]);
		else if (argv[i][0] == '-' || key)
			return bad_usage("clean: unexpected argument \"%s\"", argv[i]);
		else
			key = argv[i];
	}
	if ((all && (key || keep >= 0)) || (key && keep >= 0))
		return bad_usage("clean: KEY, --all and --keep exclude each other");
	if (all)
		return !!kt_kernel_remove_all();
	ret = key ? clean_key(key) : !!kt_kernel_prune(keep < 0 ? 1 : (unsigned)keep);
	if (ret == 2)
		return ret;
	/* Then the trees no kernel left came from (a changed patch or
	 * Debian version leaves ~3 GB behind). */
	return kt_kernel_remove_unused_trees() < 0 ? 1 : ret;
}

int cli_kernel(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (is_help(sub)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(sub, "build"))
		return cli_build(argc - 2, argv + 2);
	if (!strcmp(sub, "list"))
		return cli_list(argc - 2, argv + 2);
	if (!strcmp(sub, "path"))
		return cli_path(argc - 2, argv + 2);
	if (!strcmp(sub, "clean"))
		return cli_clean(argc - 2, argv + 2);
	return bad_usage("unknown subcommand \"%s\"", sub);
}
