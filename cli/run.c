/* `ktstr run`: bare-metal mode.  Runs canned scenarios on this host under
 * whatever scheduler is active: topology from the host's sysfs, cgroups
 * under <cgroup2 root>/ktstr-<pid>, removed afterwards even on SIGINT.
 * Each scenario runs in a forked child (its workers die with it), which
 * hands its verdict back through shared memory. */
#include "model/ctx.h"
#include "workload/sysfs_topo.h"
#include "workload/workload.h"
#include "cli.h"
#include <ktstr/scenario.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270

extern const int kt_catalog_linked;

static volatile sig_atomic_t interrupted;
static volatile pid_t child;

static void on_signal(int sig)
{
	interrupted = sig;
	if (child > 0)
		kill(child, SIGKILL);
}

static bool is_cgroup2(const char *p)
{
	struct statfs s;

	return !statfs(p, &s) && (unsigned long)s.f_type == CGROUP2_MAGIC;
}

/* The host's topology in ktstr's uniform form; falls back to one LLC of
 * all CPUs when the host's numbering or sizes are not uniform. */
static void host_topo(struct ktstr_topo *t)
{
	struct kt_seen_topo s;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	*t = (struct ktstr_topo){ 1, 1, n > 0 ? (unsigned)n : 1, 1 };
	if (kt_read_topo("/sys", &s) || !s.cpus)
		return;
	if (s.llcs && s.nodes && s.llc_size_min == s.llc_size_max && s.smt_min && s.smt_min == s.smt_max &&
	    s.llcs % s.nodes == 0 && s.llc_size_min % s.smt_min == 0 && s.cpus == s.llcs * s.llc_size_min) {
		struct ktstr_topo u = { s.nodes, s.llcs, s.llc_size_min / s.smt_min, s.smt_min };
		bool same = true;

		for (unsigned l = 0; l < s.llcs && l < KT_MAX_LLCS; l++) {
			char b[32];

			ktstr_topo_llc_cpus(&u, l, b, sizeof(b));
			same &= !strcmp(b, s.llc_lists[l]);
		}
		if (same) {
			*t = u;
			return;
		}
	}
	t->cores = s.cpus;
	fprintf(stderr, "ktstr: host topology is not uniform; treating it as 1 node, 1 LLC, %u CPUs\n", s.cpus);
}

/* Depth-first removal of the base; processes still in it go to the root. */
static void rm_tree(const char *path, const char *root)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[1024];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			rm_tree(p, root);
		}
	closedir(d);
	for (int i = 0; i < 40 && rmdir(path) && errno == EBUSY; i++) {
		char procs[1100], line[32], dst[300];
		FILE *f;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
		snprintf(dst, sizeof(dst), "%s/cgroup.procs", root);
		f = fopen(procs, "r");
		while (f && fgets(line, sizeof(line), f))
			kt_write_str(dst, line);
		if (f)
			fclose(f);
		usleep(50000);
	}
}

static void active_sched(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/sched_ext/root/ops", "r");

	snprintf(buf, len, "eevdf");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ktstr run [--duration S] [--list] [NAME...|all]\n\n"
		   "Run canned scenarios on this host (bare metal) under the active scheduler.\n"
		   "Cgroups go under <cgroup2 root>/ktstr-<pid> and are removed afterwards.\n"
		   "Exit status: 0 all passed, 1 a scenario failed, 2 bad input.\n");
}

/* Verdict of one scenario run in a child: 0 pass, 1 fail, 2 skip. */
static int run_one(const struct ktstr_test *t, const struct ktstr_topo *topo, unsigned dur_ms, struct kt_result *r)
{
	struct ktstr_ctx *ctx = mmap(NULL, sizeof(*ctx), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st = 0, v;

	if (ctx == MAP_FAILED)
		return kt_err(errno, "mmap"), 1;
	kt_ctx_init(ctx, t, topo, dur_ms ? dur_ms : (t->duration_s ? t->duration_s : 2) * 1000, false);
	fflush(NULL);
	child = fork();
	if (child == 0) {
		int ret;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		ret = t->fn(ctx);
		if (ret < 0) {
			char m[128];

			snprintf(m, sizeof(m), "scenario body returned error: %s", strerror(-ret));
			kt_result_add(&ctx->result, KTSTR_K_OTHER, m);
		}
		_exit(0);
	}
	if (child < 0) {
		munmap(ctx, sizeof(*ctx));
		return kt_err(errno, "fork"), 1;
	}
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	child = 0;
	*r = ctx->result;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		kt_result_add(r, KTSTR_K_OTHER, interrupted ? "interrupted" : "scenario process died");
	v = r->skipped ? 2 : r->passed ? 0 : 1;
	munmap(ctx, sizeof(*ctx));
	return v;
}

int cli_run(int argc, char **argv)
{
	const char *roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	const char *root = NULL;
	char base[300], ctrl[256] = "", sched[64], topo_s[32], why[512];
	struct ktstr_topo topo;
	unsigned dur_ms = 0, passed = 0, failed = 0, skipped = 0, n = 0, num = 0;
	const struct ktstr_test **sel;
	bool list = false, have_cpuset;
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *f;

	sel = calloc(kt_scenario_count() + 1, sizeof(*sel));
	if (!kt_catalog_linked || !sel)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			dur_ms = (unsigned)(atof(argv[++i]) * 1000);
			if (!dur_ms)
				return fprintf(stderr, "ktstr run: --duration must be > 0\n"), free(sel), 2;
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			free(sel);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "ktstr run: unknown option '%s'\n", argv[i]);
			usage(stderr);
			free(sel);
			return 2;
		} else if (!strcmp(argv[i], "all")) {
			n = 0;
			for (size_t k = 0; k < kt_scenario_count(); k++)
				sel[n++] = kt_scenario_at(k);
		} else {
			const struct ktstr_test *t = NULL;

			for (size_t k = 0; k < kt_scenario_count() && !t; k++)
				if (!strcmp(kt_scenario_at(k)->name, argv[i]))
					t = kt_scenario_at(k);
			if (!t) {
				fprintf(stderr, "ktstr run: unknown scenario '%s'; see `ktstr scenario --list`\n", argv[i]);
				free(sel);
				return 2;
			}
			if (n < kt_scenario_count())
				sel[n++] = t;
		}
	}
	if (!n)
		for (size_t k = 0; k < kt_scenario_count(); k++)
			sel[n++] = kt_scenario_at(k);
	host_topo(&topo);
	ktstr_topo_format(&topo, topo_s, sizeof(topo_s));
	if (list) {
		for (unsigned i = 0; i < n; i++)
			printf("%-34s %s\n", sel[i]->name, sel[i]->desc ? sel[i]->desc : "");
		free(sel);
		return 0;
	}
	for (size_t i = 0; i < 2 && !root; i++)
		if (is_cgroup2(roots[i]))
			root = roots[i];
	if (!root) {
		fprintf(stderr, "ktstr run: no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified\n");
		free(sel);
		return 2;
	}
	snprintf(base, sizeof(base), "%s/ktstr-%d", root, (int)getpid());
	snprintf(why, sizeof(why), "%s/cgroup.controllers", root);
	f = fopen(why, "r");
	if (f) {
		if (!fgets(ctrl, sizeof(ctrl), f))
			ctrl[0] = '\0';
		ctrl[strcspn(ctrl, "\n")] = '\0';
		fclose(f);
	}
	have_cpuset = strstr(ctrl, "cpuset") != NULL;
	kt_workload_set_cgroup_base(root, base);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	active_sched(sched, sizeof(sched));
	printf("KTAP version 1\n# bare metal: topo=%s sched=%s cgroups=%s%s\n1..%u\n", topo_s, sched, base,
	       have_cpuset ? "" : " (no cpuset controller)", n);
	fflush(stdout);
	for (unsigned i = 0; i < n && !interrupted; i++) {
		const struct ktstr_test *t = sel[i];
		struct kt_result *r = calloc(1, sizeof(*r));
		struct timespec a, b;
		int v;

		num = i + 1;
		if (!r)
			break;
		if (!have_cpuset && kt_scenario_needs_cpuset(t)) {
			printf("ok %u %s # SKIP needs cpusets; the cpuset controller is not available in %s "
			       "(cgroup.controllers: '%s')\n", num, t->name, root, ctrl);
			skipped++;
			free(r);
			continue;
		}
		if (kt_scenario_validate(t, &topo, why, sizeof(why))) {
			printf("ok %u %s # SKIP does not fit host topology %s: %s\n", num, t->name, topo_s, why);
			skipped++;
			free(r);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		v = run_one(t, &topo, dur_ms, r);
		clock_gettime(CLOCK_MONOTONIC, &b);
		rm_tree(base, root);
		if (v == 2) {
			printf("ok %u %s # SKIP %s\n", num, t->name, r->ndetails ? r->details[0].msg : "");
			skipped++;
		} else {
			printf("%s %u %s # topo=%s sched=%s bare-metal wall=%.1fs", v ? "not ok" : "ok", num, t->name,
			       topo_s, sched, (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
			for (unsigned d = 0; v && d < r->ndetails; d++)
				printf("%s%s: %s", d ? "; " : " — ", ktstr_kind_name(r->details[d].kind),
				       r->details[d].msg);
			printf("\n");
			if (v)
				failed++;
			else
				passed++;
		}
		fflush(stdout);
		free(r);
	}
	rm_tree(base, root);
	if (interrupted)
		printf("# interrupted: %u of %u scenarios not run; %s removed\n", n - num, n, base);
	printf("%u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped", skipped);
	printf("\n");
	free(sel);
	return failed || interrupted ? 1 : 0;
}
