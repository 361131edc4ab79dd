/* The step engine: backdrop ops, then each step's ops and hold, worker
 * sets started through src/guest/workload.c and checked by its finish
 * path.  Runs in the guest, or on the host in bare-metal mode. */
#include <ktstr/scenario.h>
#include "model/ctx.h"
#include "proto/shm_ring.h"
#include "workload/workload.h"
#include "workload/payload.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CG 64
#define MAX_H 128

extern const char *const kt_op_names[KTSTR_OP__COUNT];

struct scg {
	char name[128];
	int step;                 /* -1: backdrop */
	bool has_cpuset;
	struct ktstr_cpumask cpuset;
	bool live;
};

struct handle {
	struct ktstr_workload *wl;
	struct ktstr_cgroup_def def[2];
	char name[128];
	char cpuset[256];
	int step;
	bool changed; /* cpuset changed or tasks moved: no isolation check */
	bool host;    /* SPAWN_HOST: in no cgroup; no op names these workers */
};

struct eng {
	struct ktstr_ctx *ctx;
	const struct ktstr_topo *t;
	struct scg cg[MAX_CG];
	unsigned ncg;
	struct handle *h[MAX_H];
	unsigned nh;
	uint64_t rng;
	uint64_t t0;
	int step;
	struct kt_payloads *pl; /* RUN/WAIT/KILL_PAYLOAD */
};

/* The last op error, for the step's failure detail (one engine per process). */
static char last_why[400];

static int serr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int serr(int err, const char *fmt, ...)
{
	va_list ap;
	char msg[300];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(last_why, sizeof(last_why), "%s%s%s", msg, err ? ": " : "", err ? strerror(err) : "");
	return kt_err(err, "%s", msg);
}

static const char *why(int ret)
{
	return last_why[0] ? last_why : strerror(ret < 0 ? -ret : ret);
}

static struct scg *cg_find(struct eng *e, const char *n)
{
	for (unsigned i = 0; n && i < e->ncg; i++)
		if (e->cg[i].live && !strcmp(e->cg[i].name, n))
			return &e->cg[i];
	return NULL;
}

/* Whether h holds workers of cgroup `name` (host workers belong to none). */
static bool of_cgroup(const struct handle *h, const char *name)
{
	return !h->host && !strcmp(h->name, name);
}

static void cg_path(const char *name, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", kt_workload_cgroup_base(), name, file ? "/" : "", file ? file : "");
}

static int write_cpuset(const char *name, const struct ktstr_cpumask *m)
{
	char f[512], list[512] = "";
	int ret;

	if (m && kt_mask_format(m, list, sizeof(list)))
		return -ENOSPC;
	cg_path(name, "cpuset.cpus", f, sizeof(f));
	ret = kt_write_str(f, list);
	return ret ? serr(-ret, "cgroup %s: write cpuset.cpus '%s'", name, list) : 0;
}

static void finish(struct eng *e, unsigned i)
{
	struct handle *h = e->h[i];

	if (h->changed)
		h->def[0].cpuset = NULL;
	ktstr_workload_finish(e->ctx, h->wl);
	free(h);
	e->h[i] = e->h[--e->nh];
}

static void drop_cgroup_workers(struct eng *e, const char *name)
{
	for (unsigned i = e->nh; i-- > 0;)
		if (of_cgroup(e->h[i], name)) {
			kt_workload_drop(e->h[i]->wl);
			free(e->h[i]);
			e->h[i] = e->h[--e->nh];
		}
}

static void apply_policy(pid_t pid, enum ktstr_policy p, int prio, int nice)
{
	static const int pol[] = { SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR };
	struct sched_param sp = { .sched_priority = 0 };

	if (p == KTSTR_POL_FIFO || p == KTSTR_POL_RR)
		sp.sched_priority = prio < 1 ? 1 : prio > 99 ? 99 : prio;
	if (p != KTSTR_POL_NORMAL)
		sched_setscheduler(pid, pol[p], &sp);
	if (nice && p != KTSTR_POL_FIFO && p != KTSTR_POL_RR)
		setpriority(PRIO_PROCESS, (id_t)pid, nice);
}

/* c: the workers' cgroup, NULL for host workers (pool: all CPUs). */
static int apply_affinity(struct eng *e, struct handle *h, const struct scg *c, enum ktstr_affinity k,
			  const char *cpus)
{
	size_t n = ktstr_workload_nworkers(h->wl);
	const struct ktstr_cpumask *pool = c && c->has_cpuset ? &c->cpuset : NULL;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		struct ktstr_cpumask m;
		cpu_set_t set;
		bool none;

		if (ktstr_affinity_resolve(e->t, k, cpus, pool, &e->rng, &m, &none, err, sizeof(err)))
			return serr(0, "%s", err);
		if (none)
			return 0;
		CPU_ZERO(&set);
		for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (kmask_test(&m, cpu))
				CPU_SET(cpu, &set);
		if (sched_setaffinity(ktstr_workload_pid(h->wl, i), sizeof(set), &set) && errno != ESRCH)
			return serr(errno, "%s: sched_setaffinity", h->name);
	}
	return 0;
}

/* SPAWN into c, or SPAWN_HOST (c NULL): workers in no cgroup, named "host". */
static int spawn(struct eng *e, const struct ktstr_op *o, struct scg *c)
{
	struct handle *h;
	int ret;

	if (e->nh >= MAX_H)
		return serr(0, "more than %d worker sets", MAX_H);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->host = !c;
	snprintf(h->name, sizeof(h->name), "%s", c ? c->name : "host");
	if (c && c->has_cpuset)
		kt_mask_format(&c->cpuset, h->cpuset, sizeof(h->cpuset));
	h->def[0] = (struct ktstr_cgroup_def){ .name = h->name, .workers = o->workers, .work = o->work,
					       .work_args = o->work_args,
					       .cpuset = h->cpuset[0] ? h->cpuset : NULL,
					       .mem_policy = o->mem_policy, .mem_nodes = o->mem_nodes,
					       .mpol_flags = o->mpol_flags };
	h->step = e->step;
	ret = kt_workload_start_host(e->ctx, h->def, true, true, h->host, &h->wl);
	if (ret) {
		free(h);
		return ret;
	}
	e->h[e->nh++] = h;
	for (size_t i = 0; i < ktstr_workload_nworkers(h->wl); i++)
		apply_policy(ktstr_workload_pid(h->wl, i), o->policy, o->prio, o->nice);
	return apply_affinity(e, h, c, o->affinity, o->affinity_cpus);
}

static int add_cgroup(struct eng *e, const struct ktstr_op *o)
{
	struct scg *c;
	char p[512], err[256];
	const char *sl = strrchr(o->cgroup, '/');

	if (cg_find(e, o->cgroup))
		return serr(0, "cgroup %s already exists", o->cgroup);
	if (e->ncg >= MAX_CG)
		return serr(0, "more than %d cgroups", MAX_CG);
	if (sl) { /* the parent passes cpuset and cpu down */
		snprintf(p, sizeof(p), "%s/%.*s/cgroup.subtree_control", kt_workload_cgroup_base(),
			 (int)(sl - o->cgroup), o->cgroup);
		kt_write_str(p, "+cpuset");
		if (kt_workload_cpu_controller())
			kt_write_str(p, "+cpu");
	}
	cg_path(o->cgroup, NULL, p, sizeof(p));
	if (mkdir(p, 0755) && errno != EEXIST)
		return serr(errno, "cgroup %s: mkdir", p);
	c = &e->cg[e->ncg++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", o->cgroup);
	c->step = e->step;
	c->live = true;
	if (o->cpuset.kind != KTSTR_CS_NONE) {
		if (ktstr_cpuset_resolve(e->t, &o->cpuset, &c->cpuset, err, sizeof(err)))
			return serr(0, "cgroup '%s': %s", o->cgroup, err);
		c->has_cpuset = true;
		return write_cpuset(c->name, &c->cpuset);
	}
	return 0;
}

static void remove_cgroup(struct eng *e, struct scg *c)
{
	char p[512];

	kt_payloads_end_cgroup(e->pl, c->name);
	drop_cgroup_workers(e, c->name);
	cg_path(c->name, NULL, p, sizeof(p));
	if (rmdir(p) && errno != ENOENT)
		fprintf(stderr, "ktstr: rmdir %s: %s\n", p, strerror(errno));
	c->live = false;
}

static void mark_changed(struct eng *e, const char *name)
{
	for (unsigned i = 0; i < e->nh; i++)
		if (of_cgroup(e->h[i], name))
			e->h[i]->changed = true;
}

static int move_tasks(struct eng *e, struct scg *from, struct scg *to)
{
	char f[512], pid[24];

	cg_path(to->name, "cgroup.procs", f, sizeof(f));
	for (unsigned i = 0; i < e->nh; i++) {
		struct handle *h = e->h[i];

		if (!of_cgroup(h, from->name))
			continue;
		for (size_t k = 0; k < ktstr_workload_nworkers(h->wl); k++) {
			int ret = 0;

			snprintf(pid, sizeof(pid), "%d", (int)ktstr_workload_pid(h->wl, k));
			for (int tries = 0; tries < 4; tries++) { /* sched_ext may refuse a move for a while */
				ret = kt_write_str(f, pid);
				if (ret != -EBUSY)
					break;
				ktstr_sleep_ms(100);
			}
			if (ret && ret != -ESRCH)
				return serr(-ret, "move pid %s to %s", pid, to->name);
		}
		snprintf(h->name, sizeof(h->name), "%s", to->name);
		h->changed = true;
	}
	return 0;
}

static int payload_op(struct eng *e, const struct ktstr_op *o)
{
	char err[300];
	int ret;

	if (o->cgroup && !cg_find(e, o->cgroup))
		return serr(0, "%s: no cgroup '%s'", kt_op_names[o->kind], o->cgroup);
	if (o->kind == KTSTR_OP_RUN_PAYLOAD)
		ret = kt_payloads_run(e->pl, o->payload, o->cgroup, o->payload_args, o->background, o->timeout_ms, e->step,
				      err, sizeof(err));
	else if (o->kind == KTSTR_OP_WAIT_PAYLOAD)
		ret = kt_payloads_wait(e->pl, o->payload, o->cgroup, o->timeout_ms, err, sizeof(err));
	else
		ret = kt_payloads_kill(e->pl, o->payload, o->cgroup, err, sizeof(err));
	return ret ? serr(0, "%s", err) : 0;
}

static int apply_op(struct eng *e, const struct ktstr_op *o)
{
	struct scg *c = cg_find(e, o->cgroup), *d = o->to ? cg_find(e, o->to) : NULL;
	char err[256];

	if (o->kind >= KTSTR_OP_RUN_PAYLOAD && o->kind < KTSTR_OP__COUNT)
		return payload_op(e, o);
	if (o->kind == KTSTR_OP_SPAWN_HOST)
		return spawn(e, o, NULL);
	if (o->kind != KTSTR_OP_ADD_CGROUP && !c)
		return serr(0, "%s: no cgroup '%s'", kt_op_names[o->kind], o->cgroup);
	if ((o->kind == KTSTR_OP_SWAP_CPUSETS || o->kind == KTSTR_OP_MOVE_TASKS) && !d)
		return serr(0, "%s: no cgroup '%s'", kt_op_names[o->kind], o->to ? o->to : "(null)");
	switch (o->kind) {
	case KTSTR_OP_ADD_CGROUP:
		return add_cgroup(e, o);
	case KTSTR_OP_REMOVE_CGROUP:
		remove_cgroup(e, c);
		return 0;
	case KTSTR_OP_SET_CPUSET:
		if (ktstr_cpuset_resolve(e->t, &o->cpuset, &c->cpuset, err, sizeof(err)))
			return serr(0, "cgroup '%s': %s", c->name, err);
		c->has_cpuset = true;
		mark_changed(e, c->name);
		return write_cpuset(c->name, &c->cpuset);
	case KTSTR_OP_CLEAR_CPUSET:
		c->has_cpuset = false;
		mark_changed(e, c->name);
		return write_cpuset(c->name, NULL);
	case KTSTR_OP_SWAP_CPUSETS: {
		struct ktstr_cpumask m = c->cpuset;
		bool h = c->has_cpuset;
		int ret = 0;

		c->cpuset = d->cpuset;
		c->has_cpuset = d->has_cpuset;
		d->cpuset = m;
		d->has_cpuset = h;
		mark_changed(e, c->name);
		mark_changed(e, d->name);
		/* Widen first so the two never need a CPU at once in a way
		 * that empties one: write the side gaining CPUs first. */
		if (d->has_cpuset)
			ret = write_cpuset(d->name, &d->cpuset);
		if (!ret && c->has_cpuset)
			ret = write_cpuset(c->name, &c->cpuset);
		return ret;
	}
	case KTSTR_OP_SPAWN:
		return spawn(e, o, c);
	case KTSTR_OP_STOP:
		drop_cgroup_workers(e, c->name);
		return 0;
	case KTSTR_OP_SET_AFFINITY:
		for (unsigned i = 0; i < e->nh; i++)
			if (of_cgroup(e->h[i], c->name)) {
				int ret = apply_affinity(e, e->h[i], c, o->affinity, o->affinity_cpus);

				if (ret)
					return ret;
			}
		return 0;
	case KTSTR_OP_MOVE_TASKS:
		return move_tasks(e, c, d);
	case KTSTR_OP_SET_POLICY:
		for (unsigned i = 0; i < e->nh; i++)
			if (of_cgroup(e->h[i], c->name))
				for (size_t k = 0; k < ktstr_workload_nworkers(e->h[i]->wl); k++)
					apply_policy(ktstr_workload_pid(e->h[i]->wl, k), o->policy, o->prio, o->nice);
		return 0;
	default:
		return serr(0, "unknown op kind %d", (int)o->kind);
	}
}

static int apply_ops(struct eng *e, const struct ktstr_op *ops)
{
	for (unsigned i = 0; ops && ops[i].kind; i++) {
		int ret = apply_op(e, &ops[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t total_iterations(struct eng *e)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < e->nh; i++)
		for (size_t k = 0; k < ktstr_workload_nworkers(e->h[i]->wl); k++) {
			const struct ktstr_worker_report *r = ktstr_workload_report(e->h[i]->wl, k);

			s += r ? __atomic_load_n(&r->iterations, __ATOMIC_RELAXED) : 0;
		}
	return s;
}

/* Stop its background payloads, stop and check the workers of step s,
 * remove its cgroups (deepest first). */
static void collect(struct eng *e, int s)
{
	kt_payloads_end_step(e->pl, s);
	for (unsigned i = e->nh; i-- > 0;)
		if (e->h[i]->step == s)
			finish(e, i);
	for (unsigned i = e->ncg; i-- > 0;)
		if (e->cg[i].live && e->cg[i].step == s)
			remove_cgroup(e, &e->cg[i]);
}

static void hold(struct eng *e, const struct ktstr_step *st)
{
	uint64_t end = e->t0 + (uint64_t)e->ctx->duration_ms * 1000000u, now;

	switch (st->hold.kind) {
	case KTSTR_HOLD_K_FRAC:
		ktstr_sleep_ms((unsigned)(e->ctx->duration_ms * st->hold.frac));
		return;
	case KTSTR_HOLD_K_FIXED:
		ktstr_sleep_ms(st->hold.ms);
		return;
	case KTSTR_HOLD_K_LOOP:
		while ((now = kt_now_ns()) < end) {
			uint64_t left = (end - now) / 1000000u;

			ktstr_sleep_ms(left < st->hold.ms ? (unsigned)left : st->hold.ms);
			if (kt_now_ns() >= end)
				break;
			int ret = apply_ops(e, st->ops);

			if (ret) {
				ktstr_fail(e->ctx, KTSTR_K_OTHER, "step %d failed: %s", e->step, why(ret));
				return;
			}
		}
	}
}

/* Controllers for the harness's cgroups: cpuset always (best effort, as
 * the workload module), cpu unless "no-ctrl", in which case it must be
 * verifiably off in the base's subtree_control. */
static int setup_controllers(bool cpu)
{
	char f[400], have[256];
	int ret;

	kt_workload_set_cpu_controller(cpu);
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", kt_workload_cgroup_root());
	kt_write_str(f, "+cpuset");
	if (cpu)
		kt_write_str(f, "+cpu");
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", kt_workload_cgroup_base());
	kt_write_str(f, "+cpuset");
	kt_write_str(f, cpu ? "+cpu" : "-cpu");
	if (cpu)
		return 0;
	ret = kt_read_file_str(f, have, sizeof(have));
	if (ret)
		return serr(-ret, "no cpu controller: read %s", f);
	if (kt_controllers_has(have, "cpu"))
		return serr(0, "no cpu controller: %s still enables cpu ('%s'); remove the base's child cgroups that "
			       "enable it", f, have);
	return 0;
}

int ktstr_run_steps(struct ktstr_ctx *ctx, const struct ktstr_backdrop *bd, const struct ktstr_step *steps)
{
	struct eng *e = calloc(1, sizeof(*e));
	char err[512];
	uint32_t ms;
	int ret;

	if (!e)
		return -ENOMEM;
	if (ktstr_steps_validate(&ctx->topo, bd, steps, ctx->workers_per_cgroup, err, sizeof(err))) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "scenario data: %s", err);
		free(e);
		return 0;
	}
	e->ctx = ctx;
	e->t = &ctx->topo;
	e->pl = kt_payloads_new(ctx);
	if (!e->pl) {
		free(e);
		return -ENOMEM;
	}
	e->rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull | 1;
	if (mkdir(kt_workload_cgroup_base(), 0755) && errno != EEXIST) {
		ret = serr(errno, "mkdir %s", kt_workload_cgroup_base());
		kt_payloads_free(e->pl);
		free(e);
		return ret;
	}
	last_why[0] = '\0';
	ret = setup_controllers(!(bd && bd->no_cpu_controller));
	e->t0 = kt_now_ns();
	kt_shm_send(KT_MSG_SCENARIO_START, NULL, 0);
	e->step = -1;
	if (!ret)
		ret = apply_ops(e, bd ? bd->ops : NULL);
	if (ret) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "backdrop setup failed: %s", why(ret));
	} else {
		for (int s = 0; !ktstr_step_end(&steps[s]); s++) {
			e->step = s;
			{
				ret = apply_ops(e, steps[s].ops);
				if (ret) {
					ktstr_fail(ctx, KTSTR_K_OTHER, "step %d failed: %s", s, why(ret));
					collect(e, s);
					break;
				}
			}
			if (steps[s].hold.kind != KTSTR_HOLD_K_LOOP)
				ktstr_stimulus(ctx, (unsigned)s, KTSTR_STIM_STEP, total_iterations(e));
			hold(e, &steps[s]);
			collect(e, s);
		}
	}
	ms = (uint32_t)((kt_now_ns() - e->t0) / 1000000u);
	kt_shm_send(KT_MSG_SCENARIO_END, &ms, sizeof(ms));
	collect(e, -1);
	for (unsigned i = e->ncg; i-- > 0;) /* whatever is left, deepest first */
		if (e->cg[i].live)
			remove_cgroup(e, &e->cg[i]);
	while (e->nh)
		finish(e, e->nh - 1);
	kt_payloads_free(e->pl);
	kt_workload_set_cpu_controller(true);
	free(e);
	return 0;
}
