/* The local executor (bare-metal `ktstr run`): a case's body runs on this
 * host under whatever scheduler is active, in a forked child (its
 * workers die with it) that hands its result back through shared
 * memory.  Cgroups go under <cgroup2 root>/ktstr-<pid> and are removed
 * after each case, and on SIGINT/SIGTERM. */
#include "runner/exec.h"
#include "runner/local.h"
#include "model/ctx.h"
#include "workload/sysfs_topo.h"
#include "workload/workload.h"
#include <ktstr/scenario.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270

static volatile pid_t child;

static void on_signal(int sig)
{
	kt_interrupted = sig;
	if (child > 0)
		kill(child, SIGKILL);
}

static bool is_cgroup2(const char *p)
{
	struct statfs s;

	return !statfs(p, &s) && (unsigned long)s.f_type == CGROUP2_MAGIC;
}

void kt_local_topo(struct ktstr_topo *t, char *note, size_t len)
{
	struct kt_seen_topo s;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (len)
		note[0] = '\0';
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
	snprintf(note, len, "host topology is not uniform; treating it as 1 node, 1 LLC, %u CPUs", s.cpus);
}

void kt_local_sched(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/sched_ext/root/ops", "r");

	snprintf(buf, len, "eevdf");
	if (f) {
		if (!fgets(buf, (int)len, f))
			snprintf(buf, len, "eevdf");
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

int kt_local_setup(struct kt_local *l)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct sigaction sa = { .sa_handler = on_signal };
	char path[PATH_MAX];
	FILE *f;
	int n;

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < 2 && !l->root[0]; i++)
		if (is_cgroup2(roots[i]))
			snprintf(l->root, sizeof(l->root), "%s", roots[i]);
	if (!l->root[0])
		return -ENOENT;
	n = snprintf(l->base, sizeof(l->base), "%s/ktstr-%d", l->root, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(l->base))
		return -ENAMETOOLONG;
	f = kt_fmt(path, sizeof(path), "%s/cgroup.controllers", l->root) ? NULL : fopen(path, "r");
	if (f) {
		if (!fgets(l->controllers, sizeof(l->controllers), f))
			l->controllers[0] = '\0';
		l->controllers[strcspn(l->controllers, "\n")] = '\0';
		fclose(f);
	}
	l->have_cpuset = strstr(l->controllers, "cpuset") != NULL;
	kt_workload_set_cgroup_base(l->root, l->base);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

/* Depth-first removal of the base; processes still in it go to the root. */
static void rm_tree(const char *path, const char *root)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < sizeof(p))
			rm_tree(p, root);
	closedir(d);
	for (int i = 0; i < 40 && rmdir(path) && errno == EBUSY; i++) {
		char procs[PATH_MAX], line[32], dst[PATH_MAX];
		FILE *f;

		if (kt_fmt(procs, sizeof(procs), "%s/cgroup.procs", path) ||
		    kt_fmt(dst, sizeof(dst), "%s/cgroup.procs", root))
			break;
		f = fopen(procs, "r");
		while (f && fgets(line, sizeof(line), f))
			kt_write_str(dst, line);
		if (f)
			fclose(f);
		usleep(50000);
	}
}

void kt_local_cleanup(const struct kt_local *l)
{
	if (l->base[0])
		rm_tree(l->base, l->root);
}

/* The body in a child; its result through a shared page. */
static int run_child(const struct kt_resolved *r, struct kt_result *res)
{
	const struct ktstr_test *t = r->c->t;
	struct ktstr_ctx *ctx = mmap(NULL, sizeof(*ctx), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st = 0;

	if (ctx == MAP_FAILED)
		return -errno;
	kt_ctx_init(ctx, t, &r->topo, r->duration_ms, false);
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
		int e = errno;

		munmap(ctx, sizeof(*ctx));
		return -e;
	}
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	child = 0;
	*res = ctx->result;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		kt_result_add(res, KTSTR_K_OTHER, kt_interrupted ? "interrupted" : "scenario process died");
	munmap(ctx, sizeof(*ctx));
	return 0;
}

void kt_case_exec_local(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out)
{
	const struct ktstr_test *t = r->c->t;
	struct kt_result *res;
	uint64_t t0;
	int ret;

	ktstr_topo_format(&r->topo, out->topo, sizeof(out->topo));
	snprintf(out->accel, sizeof(out->accel), "bare-metal");
	out->duration_ms = r->duration_ms;
	if (!env->have_cpuset && kt_scenario_needs_cpuset(t)) {
		out->verdict = KT_SKIP;
		snprintf(out->reason, sizeof(out->reason),
			 "needs cpusets; the cpuset controller is not available in %s", env->cgroup_root);
		return;
	}
	res = calloc(1, sizeof(*res));
	if (!res) {
		out->verdict = KT_ERROR;
		snprintf(out->reason, sizeof(out->reason), "allocate the result: %s", strerror(ENOMEM));
		return;
	}
	t0 = kt_now_ns();
	ret = run_child(r, res);
	out->wall_s = (double)(kt_now_ns() - t0) / 1e9;
	if (env->cgroup_base)
		rm_tree(env->cgroup_base, env->cgroup_root);
	if (ret) {
		out->verdict = KT_ERROR;
		snprintf(out->reason, sizeof(out->reason), "run the scenario in a child: %s", strerror(-ret));
	} else {
		kt_judge_local(t, r->c->name, &r->topo, res, out);
	}
	free(res);
}
