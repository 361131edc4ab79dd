/* Cgroups and forked worker processes inside the guest (or on the host in
 * bare-metal mode), the parent side of src/guest/work/.  Every def's work
 * type is resolved and validated first; groups of paired workers get
 * their shared state before any fork; workers join their cgroup, run the
 * type's init, and all start together on a shared flag.  They report
 * through one shared mapping (reports, then wake samples), and are
 * stopped (flag, SIGCONT), reaped within 5 s, and checked here. */
#include "model/ctx.h"
#include "model/mempolicy.h"
#include "proto/shm_ring.h"
#include "workload/work/work.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload/workload.h"

/* Cgroup v2 root and the harness's base under it; bare-metal mode points
 * them elsewhere (kt_workload_set_cgroup_base). */
static char cg_root[256] = "/sys/fs/cgroup";
static char cg_base[320] = "/sys/fs/cgroup/ktstr";
/* Enable the cpu controller for the harness's cgroups (off: "no-ctrl"). */
static bool cpu_ctrl = true;
#define CG_ROOT cg_root
#define CG_BASE cg_base
#define STOP_DEADLINE_NS 5000000000ull
#define READY_DEADLINE_NS 5000000000ull

struct cg_work {
	struct kt_work_cfg cfg;
	struct kt_mpol mpol;
	unsigned nw, gsize, ngroups;
	struct kt_work_group *groups;
	size_t first; /* index of its first worker */
	char path[512];
};

struct ktstr_workload {
	const struct ktstr_cgroup_def *defs;
	unsigned ndefs;
	struct cg_work *cg;
	size_t n, forked;
	pid_t *pids;
	bool *reaped;
	void *map;
	size_t maplen;
	struct kt_work_sync *sync;
	struct ktstr_worker_report *rep;
	uint64_t *samples;
	bool stopped;
	bool quiet; /* no SCENARIO_START/END messages (the step engine sends them) */
	bool keep;  /* do not rmdir the cgroups at finish */
	bool host;  /* workers stay in the caller's cgroup (no cgroup made or joined) */
};

void kt_workload_set_cgroup_base(const char *root, const char *base)
{
	snprintf(cg_root, sizeof(cg_root), "%s", root);
	snprintf(cg_base, sizeof(cg_base), "%s", base);
}

const char *kt_workload_cgroup_base(void) { return cg_base; }
const char *kt_workload_cgroup_root(void) { return cg_root; }
void kt_workload_set_cpu_controller(bool on) { cpu_ctrl = on; }
bool kt_workload_cpu_controller(void) { return cpu_ctrl; }

static int cg_setup(const struct ktstr_cgroup_def *d, char *path, size_t len)
{
	char f[600];
	int ret;

	snprintf(path, len, "%s/%s", CG_BASE, d->name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return kt_err(errno, "cgroup %s: mkdir", path);
	if (d->cpuset) {
		snprintf(f, sizeof(f), "%s/cpuset.cpus", path);
		ret = kt_write_str(f, d->cpuset);
		if (ret)
			return kt_err(-ret, "cgroup %s: write cpuset.cpus '%s'", d->name, d->cpuset);
	}
	if (d->cpu_weight) {
		char w[16];

		if (d->cpu_weight > 10000)
			return kt_err(EINVAL, "cgroup %s: cpu_weight %u not in 1..10000", d->name, d->cpu_weight);
		snprintf(f, sizeof(f), "%s/cpu.weight", path);
		snprintf(w, sizeof(w), "%u", d->cpu_weight);
		ret = kt_write_str(f, w);
		if (ret)
			return kt_err(-ret, "cgroup %s: write cpu.weight %u (cpu controller %s)", d->name, d->cpu_weight,
				      cpu_ctrl ? "asked for" : "off");
	}
	return 0;
}

static int cg_base_setup(void)
{
	if (mkdir(CG_BASE, 0755) && errno != EEXIST)
		return kt_err(errno, "cgroup %s: mkdir", CG_BASE);
	/* Controllers are best effort: cpu may be unavailable with RT tasks. */
	char f[400];

	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", CG_ROOT);
	kt_write_str(f, "+cpuset");
	if (cpu_ctrl)
		kt_write_str(f, "+cpu");
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", CG_BASE);
	kt_write_str(f, "+cpuset");
	kt_write_str(f, cpu_ctrl ? "+cpu" : "-cpu");
	return 0;
}

/* A def's work: type, parameters, phases or function, group size. */
static int resolve_work(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *d, struct cg_work *cw)
{
	const char *tn = ktstr_work_name(d->work);
	char err[256];
	unsigned i;

	if (!ktstr_work_info(d->work)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: unknown work type %d", d->name, (int)d->work);
		return -EINVAL;
	}
	if (ktstr_work_parse_args(d->work, d->work_args, cw->cfg.p, err, sizeof(err))) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: %s", d->name, err);
		return -EINVAL;
	}
	cw->cfg.type = d->work;
	cw->cfg.phases = d->sequence;
	cw->cfg.custom = d->custom;
	cw->cfg.custom_arg = d->custom_arg;
	if (d->work == KTSTR_WORK_SEQUENCE) {
		for (i = 0; d->sequence && i < KTSTR_SEQUENCE_MAX_PHASES && d->sequence[i].kind; i++)
			;
		if (!i || i == KTSTR_SEQUENCE_MAX_PHASES) {
			ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: Sequence needs 1..%d phases ending with END",
				   d->name, KTSTR_SEQUENCE_MAX_PHASES - 1);
			return -EINVAL;
		}
	}
	if (d->work == KTSTR_WORK_CUSTOM && !d->custom) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: Custom needs a function (.custom)", d->name);
		return -EINVAL;
	}
	cw->nw = d->workers ? d->workers : ctx->workers_per_cgroup;
	cw->gsize = ktstr_work_group_size(d->work, cw->cfg.p);
	if (cw->nw % cw->gsize) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: %s requires num_workers divisible by %u, got %u", d->name,
			   tn, cw->gsize, cw->nw);
		return -EINVAL;
	}
	cw->ngroups = cw->gsize > 1 ? cw->nw / cw->gsize : 0;
	return 0;
}

static uint64_t mask_nodes(const struct ktstr_topo *t, const struct ktstr_cpumask *m);

/* A def's memory policy, checked against the VM's nodes and its cpuset. */
static int resolve_mpol(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *d, struct cg_work *cw)
{
	const struct ktstr_topo *t = ktstr_ctx_topo(ctx);
	uint64_t nodes = 0;
	struct ktstr_cpumask m;
	char err[256];

	if (d->cpuset && !kt_mask_parse(d->cpuset, &m))
		nodes = mask_nodes(t, &m);
	if (kt_mpol_build(d->mem_policy, d->mem_nodes, d->mpol_flags, t->numa_nodes ? t->numa_nodes : 1, nodes,
			  &cw->mpol, err, sizeof(err))) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "cgroup %s: %s", d->name, err);
		return -EINVAL;
	}
	return 0;
}

static int validate_defs(struct ktstr_ctx *ctx, struct ktstr_workload *wl)
{
	const struct ktstr_cgroup_def *defs = wl->defs;
	unsigned n = 0;

	while (n <= KT_MAX_CGROUPS && defs[n].name)
		n++;
	if (!n || n > KT_MAX_CGROUPS)
		return kt_err(0, "cgroup defs: %s cgroups (1..%d allowed)", n ? "too many" : "no", KT_MAX_CGROUPS);
	wl->cg = calloc(n, sizeof(*wl->cg));
	if (!wl->cg)
		return -ENOMEM;
	wl->ndefs = n;
	for (unsigned c = 0; c < n; c++) {
		struct ktstr_cpumask m;
		int ret;

		if (!kt_cgroup_name_ok(defs[c].name))
			return kt_err(0, "cgroup def %u: name '%s' must be non-empty, relative, without '..' or '//'", c,
				      defs[c].name);
		if (defs[c].cpuset && (kt_mask_parse(defs[c].cpuset, &m) || !kt_mask_weight(&m)))
			return kt_err(0, "cgroup %s: bad cpuset '%s'", defs[c].name, defs[c].cpuset);
		if (defs[c].cpuset && wl->host)
			return kt_err(0, "%s: host workers join no cgroup, so they take no cpuset", defs[c].name);
		ret = resolve_work(ctx, &defs[c], &wl->cg[c]);
		if (ret)
			return ret;
		ret = resolve_mpol(ctx, &defs[c], &wl->cg[c]);
		if (ret)
			return ret;
		wl->cg[c].first = wl->n;
		wl->n += wl->cg[c].nw;
	}
	return 0;
}

/* Shared state of every group, before any fork. */
static int setup_groups(struct ktstr_workload *wl)
{
	for (unsigned c = 0; c < wl->ndefs; c++) {
		struct cg_work *cw = &wl->cg[c];
		const struct kt_work_type *t = kt_work_type(cw->cfg.type);

		if (!cw->ngroups)
			continue;
		cw->groups = calloc(cw->ngroups, sizeof(*cw->groups));
		if (!cw->groups)
			return -ENOMEM;
		for (unsigned g = 0; g < cw->ngroups; g++) {
			struct kt_work_group *gr = &cw->groups[g];
			int ret;

			gr->size = cw->gsize;
			memset(gr->fd, -1, sizeof(gr->fd));
			ret = t->group_setup ? t->group_setup(gr, cw->cfg.p) : 0;
			if (ret)
				return kt_err(-ret, "cgroup %s: %s group setup", wl->defs[c].name, t->info.name);
		}
	}
	return 0;
}

static void release_groups(struct ktstr_workload *wl, const struct kt_work_group *keep)
{
	for (unsigned c = 0; wl->cg && c < wl->ndefs; c++) {
		for (unsigned g = 0; wl->cg[c].groups && g < wl->cg[c].ngroups; g++)
			if (&wl->cg[c].groups[g] != keep)
				kt_group_release(&wl->cg[c].groups[g]);
		if (!keep) {
			free(wl->cg[c].groups);
			wl->cg[c].groups = NULL;
		}
	}
}

static void __attribute__((noreturn)) worker_child(struct ktstr_workload *wl, unsigned c, size_t k, pid_t parent)
{
	struct cg_work *cw = &wl->cg[c];
	struct kt_work_group *g = cw->ngroups ? &cw->groups[(k - cw->first) / cw->gsize] : NULL;
	struct kt_worker w = { 0 };
	char path[600];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(5);
	setpgid(0, 0); /* killpg() then reaps whatever a worker forked */
	signal(SIGPIPE, SIG_IGN);
	release_groups(wl, g); /* other groups' pipes and memory */
	wl->rep[k].pid = getpid();
	snprintf(path, sizeof(path), "%s/cgroup.procs", cw->path);
	if (!wl->host && kt_write_str(path, "0")) {
		__atomic_add_fetch(&wl->sync->ready, 1, __ATOMIC_RELEASE);
		_exit(3);
	}
	if (cw->mpol.mode >= 0 && syscall(SYS_set_mempolicy, cw->mpol.mode, cw->mpol.maxnode ? cw->mpol.mask : NULL,
					  cw->mpol.maxnode)) {
		fprintf(stderr, "ktstr: worker %d (cgroup %s): set_mempolicy(%s, nodes '%s'): %s\n", (int)getpid(),
			wl->defs[c].name, kt_mpol_name(wl->defs[c].mem_policy),
			wl->defs[c].mem_nodes ? wl->defs[c].mem_nodes : "", strerror(errno));
		__atomic_add_fetch(&wl->sync->ready, 1, __ATOMIC_RELEASE);
		_exit(6);
	}
	w.cfg = &cw->cfg;
	w.rep = &wl->rep[k];
	w.grp = g;
	w.rank = g ? (unsigned)((k - cw->first) % cw->gsize) : 0;
	w.wake = (struct kt_reservoir){ .buf = wl->samples + k * KTSTR_WAKE_SAMPLES_MAX,
					.cap = KTSTR_WAKE_SAMPLES_MAX };
	_exit(kt_worker_run(&w, wl->sync));
}

static int map_shared(struct ktstr_workload *wl)
{
	size_t hdr = 64, reps = wl->n * sizeof(struct ktstr_worker_report);

	reps = (reps + 63) & ~(size_t)63;
	wl->maplen = hdr + reps + wl->n * KTSTR_WAKE_SAMPLES_MAX * sizeof(uint64_t);
	wl->map = mmap(NULL, wl->maplen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (wl->map == MAP_FAILED) {
		wl->map = NULL;
		return -ENOMEM;
	}
	wl->sync = wl->map;
	wl->rep = (struct ktstr_worker_report *)((char *)wl->map + hdr);
	wl->samples = (uint64_t *)((char *)wl->map + hdr + reps);
	return 0;
}

static int fork_all(struct ktstr_workload *wl)
{
	pid_t self = getpid();

	for (unsigned c = 0; c < wl->ndefs; c++)
		for (size_t k = wl->cg[c].first; k < wl->cg[c].first + wl->cg[c].nw; k++) {
			struct ktstr_worker_report *r = &wl->rep[k];
			pid_t pid;

			r->cgroup = c;
			r->work = wl->cg[c].cfg.type;
			r->wake_samples = wl->samples + k * KTSTR_WAKE_SAMPLES_MAX;
			r->max_gap_cpu = -1;
			r->exit_code = -1;
			fflush(NULL);
			pid = fork();
			if (pid < 0)
				return kt_err(errno, "worker %zu: fork", k);
			if (pid == 0)
				worker_child(wl, c, k, self);
			setpgid(pid, pid);
			wl->pids[k] = pid;
			r->pid = pid;
			wl->forked = k + 1;
		}
	return 0;
}

/* Everyone past init (or gone), bounded. */
static void wait_ready(struct ktstr_workload *wl)
{
	uint64_t deadline = kt_now_ns() + READY_DEADLINE_NS;

	while (__atomic_load_n(&wl->sync->ready, __ATOMIC_ACQUIRE) < (int)wl->n && kt_now_ns() < deadline) {
		bool gone = false;

		/* A worker that died before counting itself never will. */
		for (size_t i = 0; i < wl->n && !gone; i++) {
			siginfo_t si = { 0 };

			gone = !waitid(P_PID, (id_t)wl->pids[i], &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid;
		}
		if (gone)
			break;
		usleep(1000);
	}
}

static void destroy(struct ktstr_workload *wl)
{
	release_groups(wl, NULL);
	if (wl->map)
		munmap(wl->map, wl->maplen);
	free(wl->cg);
	free(wl->pids);
	free(wl->reaped);
	free(wl);
}

/* Scenario start, for the SCEN message on the ring. */
static uint64_t scenario_t0;
/* ktstr_workload_start_held(): fork and wait for ready, but no "go". */
static bool held_start;

bool kt_cgroup_name_ok(const char *n)
{
	size_t l = n ? strlen(n) : 0;

	return l && n[0] != '/' && n[l - 1] != '/' && !strstr(n, "//") && !strstr(n, "..");
}

int ktstr_workload_start(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, struct ktstr_workload **out)
{
	return kt_workload_start_opts(ctx, defs, false, false, out);
}

int ktstr_workload_start_held(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs,
			      struct ktstr_workload **out)
{
	int ret;

	held_start = true;
	ret = kt_workload_start_opts(ctx, defs, false, false, out);
	held_start = false;
	return ret;
}

void ktstr_workload_go(struct ktstr_workload *wl)
{
	if (!wl || __atomic_load_n(&wl->sync->go, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&wl->sync->go, 1, __ATOMIC_RELEASE);
	if (!wl->quiet) {
		scenario_t0 = kt_now_ns();
		kt_shm_send(KT_MSG_SCENARIO_START, NULL, 0);
	}
}

int kt_workload_start_opts(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, bool quiet, bool keep,
			   struct ktstr_workload **out)
{
	return kt_workload_start_host(ctx, defs, quiet, keep, false, out);
}

int kt_workload_start_host(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, bool quiet, bool keep,
			   bool host, struct ktstr_workload **out)
{
	struct ktstr_workload *wl = calloc(1, sizeof(*wl));
	int ret;

	if (!wl)
		return -ENOMEM;
	wl->defs = defs;
	wl->quiet = quiet;
	wl->keep = keep;
	wl->host = host;
	ret = validate_defs(ctx, wl);
	if (!ret)
		ret = cg_base_setup();
	if (!ret)
		ret = map_shared(wl);
	if (!ret) {
		wl->pids = calloc(wl->n, sizeof(pid_t));
		wl->reaped = calloc(wl->n, sizeof(bool));
		ret = wl->pids && wl->reaped ? 0 : -ENOMEM;
	}
	for (unsigned c = 0; !ret && !host && c < wl->ndefs; c++)
		ret = cg_setup(&defs[c], wl->cg[c].path, sizeof(wl->cg[c].path));
	if (!ret)
		ret = setup_groups(wl);
	if (!ret)
		ret = fork_all(wl);
	release_groups(wl, NULL); /* the workers hold their own copies */
	if (ret) {
		if (wl->map)
			ktstr_workload_stop(wl);
		for (unsigned c = 0; wl->cg && c < wl->ndefs; c++)
			if (wl->cg[c].path[0])
				rmdir(wl->cg[c].path);
		destroy(wl);
		return ret;
	}
	wait_ready(wl);
	*out = wl;
	if (!held_start)
		ktstr_workload_go(wl);
	return 0;
}

size_t ktstr_workload_nworkers(const struct ktstr_workload *w) { return w->n; }
pid_t ktstr_workload_pid(const struct ktstr_workload *w, size_t i) { return i < w->n ? w->pids[i] : -1; }

const struct ktstr_worker_report *ktstr_workload_report(const struct ktstr_workload *w, size_t i)
{
	return i < w->n ? &w->rep[i] : NULL;
}

static void reaped(struct ktstr_workload *wl, size_t i, int status)
{
	struct ktstr_worker_report *r = &wl->rep[i];

	wl->reaped[i] = true;
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->exit_signal = WTERMSIG(status);
}

int ktstr_workload_stop(struct ktstr_workload *wl)
{
	uint64_t deadline = kt_now_ns() + STOP_DEADLINE_NS;
	size_t left = wl->forked;

	if (wl->stopped)
		return 0;
	wl->stopped = true;
	if (!wl->quiet) {
		uint32_t ms = (uint32_t)((kt_now_ns() - scenario_t0) / 1000000u);

		kt_shm_send(KT_MSG_SCENARIO_END, &ms, sizeof(ms));
	}
	__atomic_store_n(&wl->sync->stop, 1, __ATOMIC_RELEASE);
	for (size_t i = 0; i < wl->forked; i++)
		kill(wl->pids[i], SIGCONT); /* SIGSTOPped workers must see the flag */
	while (left && kt_now_ns() < deadline) {
		for (size_t i = 0; i < wl->forked; i++) {
			int st;

			if (!wl->reaped[i] && waitpid(wl->pids[i], &st, WNOHANG) == wl->pids[i]) {
				reaped(wl, i, st);
				left--;
			}
		}
		if (left)
			usleep(10000);
	}
	for (size_t i = 0; i < wl->forked; i++) {
		int st;

		if (!wl->reaped[i]) {
			fprintf(stderr, "ktstr: worker %d did not stop within 5 s; killed\n", (int)wl->pids[i]);
			kill(wl->pids[i], SIGKILL);
			if (waitpid(wl->pids[i], &st, 0) == wl->pids[i])
				reaped(wl, i, st);
			wl->rep[i].timed_out = true;
		}
		killpg(wl->pids[i], SIGKILL); /* anything the worker forked */
		if (!wl->rep[i].completed)
			fprintf(stderr, "ktstr: worker pid=%d returned no report (exit=%d signal=%d%s)\n",
				(int)wl->pids[i], wl->rep[i].exit_code, wl->rep[i].exit_signal,
				wl->rep[i].timed_out ? ", timed out" : "");
	}
	return 0;
}

/* Nodes with CPUs in the mask, by the test's topology numbering. */
static uint64_t mask_nodes(const struct ktstr_topo *t, const struct ktstr_cpumask *m)
{
	unsigned cpus = ktstr_topo_cpus(t);
	uint64_t nodes = 0;

	for (unsigned c = 0; c < cpus && c < KTSTR_MASK_BITS; c++)
		if (kmask_test(m, c) && ktstr_topo_cpu_node(t, c) < 64)
			nodes |= 1ull << ktstr_topo_cpu_node(t, c);
	return nodes;
}

int ktstr_workload_finish(struct ktstr_ctx *ctx, struct ktstr_workload *wl)
{
	unsigned first_detail = ctx->result.ndetails;

	ktstr_workload_stop(wl);
	for (unsigned c = 0; c < wl->ndefs; c++) {
		const struct ktstr_cgroup_def *d = &wl->defs[c];
		struct ktstr_cpumask allowed;
		struct kt_cg_env env = { .work = ktstr_work_name(d->work) };

		if (d->cpuset && !kt_mask_parse(d->cpuset, &allowed)) {
			env.cpuset = &allowed;
			env.cpuset_nodes = mask_nodes(&ctx->topo, &allowed);
		}
		kt_check_workers(&ctx->result, d->name, &wl->rep[wl->cg[c].first], wl->cg[c].nw, &ctx->checks, &env);
		if (!wl->keep && !wl->host)
			rmdir(wl->cg[c].path);
	}
	for (unsigned i = first_detail; i < ctx->result.ndetails; i++)
		if (ctx->result.details[i].kind != KTSTR_K_SKIP)
			fprintf(stderr, "%s: %s\n", ktstr_kind_name(ctx->result.details[i].kind),
				ctx->result.details[i].msg);
	destroy(wl);
	return 0;
}

void kt_workload_drop(struct ktstr_workload *wl)
{
	ktstr_workload_stop(wl);
	destroy(wl);
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
