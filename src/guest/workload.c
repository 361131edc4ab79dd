/* Cgroups and forked worker processes inside the guest (or on the host in
 * bare-metal mode).  Workers start together on a shared "go" flag, report
 * telemetry through a shared mapping, and are stopped and reaped here. */
#include "core/ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"
#define CG_BASE CG_ROOT "/ktstr"

struct shared {
	volatile int go, stop;
	struct ktstr_worker_report rep[];
};

struct ktstr_workload {
	const struct ktstr_cgroup_def *defs;
	unsigned ndefs;
	size_t n;
	pid_t *pids;
	struct shared *sh;
	size_t shsize;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t run_delay_ns(void)
{
	char buf[128];
	unsigned long long run, delay;

	if (read_file_str("/proc/self/schedstat", buf, sizeof(buf)) ||
	    sscanf(buf, "%llu %llu", &run, &delay) != 2)
		return 0;
	return delay;
}

static volatile uint64_t sink;

static void work_chunk(enum ktstr_work w)
{
	uint64_t x = sink | 1;

	for (int i = 0; i < 4000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
	if (w == KTSTR_WORK_YIELD)
		sched_yield();
	else if (w == KTSTR_WORK_SLEEP)
		usleep(1000);
}

static void __attribute__((noreturn)) worker_main(struct shared *sh, size_t idx, const char *cg,
						  enum ktstr_work w)
{
	struct ktstr_worker_report *r = &sh->rep[idx];
	char path[600];
	uint64_t t0, last, cpu0, rd0;
	int cpu;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	if (write_str(path, "0"))
		_exit(3);
	while (!sh->go && !sh->stop)
		usleep(500);
	rd0 = run_delay_ns();
	cpu0 = cpu_ns();
	t0 = last = mono_ns();
	cpu = sched_getcpu();
	kmask_set(&r->cpus_used, (unsigned)cpu);
	r->max_gap_cpu = cpu;
	while (!sh->stop) {
		uint64_t now, gap;
		int c;

		work_chunk(w);
		r->work_units++;
		r->iterations++;
		now = mono_ns();
		gap = now - last;
		if (gap > r->max_gap_ns) {
			r->max_gap_ns = gap;
			r->max_gap_cpu = cpu;
			r->max_gap_at_ns = last - t0;
		}
		last = now;
		c = sched_getcpu();
		if (c != cpu) {
			r->migrations++;
			cpu = c;
			kmask_set(&r->cpus_used, (unsigned)c);
		}
	}
	r->wall_time_ns = mono_ns() - t0;
	r->cpu_time_ns = cpu_ns() - cpu0;
	r->run_delay_ns = run_delay_ns() - rd0;
	r->completed = true;
	_exit(0);
}

static int cg_setup(const struct ktstr_cgroup_def *d, char *path, size_t len)
{
	char f[600];
	int ret;

	snprintf(path, len, CG_BASE "/%s", d->name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return kt_err(errno, "cgroup %s: mkdir", path);
	if (d->cpuset) {
		snprintf(f, sizeof(f), "%s/cpuset.cpus", path);
		ret = write_str(f, d->cpuset);
		if (ret)
			return kt_err(-ret, "cgroup %s: write cpuset.cpus '%s'", d->name, d->cpuset);
	}
	return 0;
}

static int cg_base_setup(void)
{
	if (mkdir(CG_BASE, 0755) && errno != EEXIST)
		return kt_err(errno, "cgroup %s: mkdir", CG_BASE);
	/* Controllers are best effort: cpu may be unavailable with RT tasks. */
	write_str(CG_ROOT "/cgroup.subtree_control", "+cpuset");
	write_str(CG_ROOT "/cgroup.subtree_control", "+cpu");
	write_str(CG_BASE "/cgroup.subtree_control", "+cpuset");
	write_str(CG_BASE "/cgroup.subtree_control", "+cpu");
	return 0;
}

static int validate_defs(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, unsigned *ndefs,
			 size_t *nworkers)
{
	unsigned n = 0;
	size_t w = 0;

	for (; defs[n].name; n++) {
		struct ktstr_cpumask m;

		if (!defs[n].name[0] || strchr(defs[n].name, '/'))
			return kt_err(0, "cgroup def %u: name '%s' must be non-empty without '/'", n, defs[n].name);
		if (defs[n].cpuset && (kmask_parse(defs[n].cpuset, &m) || !kmask_weight(&m)))
			return kt_err(0, "cgroup %s: bad cpuset '%s'", defs[n].name, defs[n].cpuset);
		w += defs[n].workers ? defs[n].workers : ctx->workers_per_cgroup;
	}
	if (!n || n > KT_MAX_CGROUPS)
		return kt_err(0, "cgroup defs: %u cgroups (1..%d allowed)", n, KT_MAX_CGROUPS);
	*ndefs = n;
	*nworkers = w;
	return 0;
}

int ktstr_workload_start(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, struct ktstr_workload **out)
{
	struct ktstr_workload *wl = calloc(1, sizeof(*wl));
	size_t k = 0;
	int ret;

	if (!wl)
		return -ENOMEM;
	wl->defs = defs;
	ret = validate_defs(ctx, defs, &wl->ndefs, &wl->n);
	if (ret)
		goto fail;
	ret = cg_base_setup();
	if (ret)
		goto fail;
	wl->shsize = sizeof(struct shared) + wl->n * sizeof(struct ktstr_worker_report);
	wl->sh = mmap(NULL, wl->shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	wl->pids = calloc(wl->n, sizeof(pid_t));
	if (wl->sh == MAP_FAILED || !wl->pids) {
		wl->sh = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned c = 0; c < wl->ndefs; c++) {
		char path[512];
		unsigned nw = defs[c].workers ? defs[c].workers : ctx->workers_per_cgroup;

		ret = cg_setup(&defs[c], path, sizeof(path));
		if (ret)
			goto fail;
		for (unsigned i = 0; i < nw; i++, k++) {
			pid_t pid;

			wl->sh->rep[k].cgroup = c;
			fflush(NULL);
			pid = fork();
			if (pid < 0) {
				ret = kt_err(errno, "worker %zu: fork", k);
				goto fail;
			}
			if (pid == 0)
				worker_main(wl->sh, k, path, defs[c].work);
			wl->pids[k] = pid;
			wl->sh->rep[k].pid = pid;
		}
	}
	/* Give every worker the chance to join its cgroup, then start all. */
	ktstr_sleep_ms(50);
	wl->sh->go = 1;
	*out = wl;
	return 0;
fail:
	if (wl->sh) {
		wl->sh->stop = 1;
		for (size_t i = 0; i < k; i++) {
			kill(wl->pids[i], SIGKILL);
			waitpid(wl->pids[i], NULL, 0);
		}
		munmap(wl->sh, wl->shsize);
	}
	free(wl->pids);
	free(wl);
	return ret;
}

size_t ktstr_workload_nworkers(const struct ktstr_workload *w) { return w->n; }
pid_t ktstr_workload_pid(const struct ktstr_workload *w, size_t i) { return i < w->n ? w->pids[i] : -1; }

static void reap_all(struct ktstr_workload *wl)
{
	uint64_t deadline = mono_ns() + 5000000000ull;
	size_t left = wl->n;

	for (size_t i = 0; i < wl->n; i++)
		kill(wl->pids[i], SIGCONT);
	wl->sh->stop = 1;
	while (left && mono_ns() < deadline) {
		for (size_t i = 0; i < wl->n; i++)
			if (wl->pids[i] > 0 && waitpid(wl->pids[i], NULL, WNOHANG) == wl->pids[i]) {
				wl->pids[i] = -wl->pids[i];
				left--;
			}
		if (left)
			usleep(10000);
	}
	for (size_t i = 0; i < wl->n; i++)
		if (wl->pids[i] > 0) {
			fprintf(stderr, "worker %d did not stop within 5 s; killed\n", (int)wl->pids[i]);
			kill(wl->pids[i], SIGKILL);
			waitpid(wl->pids[i], NULL, 0);
		}
}

int ktstr_workload_finish(struct ktstr_ctx *ctx, struct ktstr_workload *wl)
{
	size_t k = 0;

	reap_all(wl);
	for (unsigned c = 0; c < wl->ndefs; c++) {
		const struct ktstr_cgroup_def *d = &wl->defs[c];
		size_t first = k;
		char path[512];

		while (k < wl->n && wl->sh->rep[k].cgroup == c)
			k++;
		kt_check_cgroup(&ctx->result, d->name, &wl->sh->rep[first], k - first, ctx->gap_threshold_ms,
				ctx->spread_threshold_pct, !ctx->test->no_spread_check);
		if (d->cpuset) {
			struct ktstr_cpumask allowed, bad;
			char list[256];

			kmask_parse(d->cpuset, &allowed);
			for (size_t i = first; i < k; i++) {
				bad = wl->sh->rep[i].cpus_used;
				kmask_andnot(&bad, &allowed);
				if (kmask_weight(&bad)) {
					kmask_format(&bad, list, sizeof(list));
					ktstr_fail(ctx, KTSTR_K_ISOLATION, "%s: tid %d ran on unexpected CPUs %s",
						   d->name, (int)wl->sh->rep[i].pid, list);
				}
			}
		}
		snprintf(path, sizeof(path), CG_BASE "/%s", d->name);
		rmdir(path);
	}
	munmap(wl->sh, wl->shsize);
	free(wl->pids);
	free(wl);
	return 0;
}

int ktstr_run_cgroups(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs)
{
	struct ktstr_workload *wl;
	int ret = ktstr_workload_start(ctx, defs, &wl);

	if (ret)
		return ret;
	ktstr_sleep_ms(ctx->duration_ms);
	return ktstr_workload_finish(ctx, wl);
}
