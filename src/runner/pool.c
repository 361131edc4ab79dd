/* The host pool: resolve and set up once, run every case through
 * kt_case_exec() (or kt_case_exec_local() for bare metal) with up to
 * `jobs` at a time and --retries, print KTAP, reports and the summary. */
#include "runner/runner.h"
#include "runner/emit.h"
#include "runner/exec.h"
#include "runner/jobs.h"
#include "runner/local.h"
#include "runner/prepare.h"
#include "runner/payload_host.h"
#include "runner/progress.h"
#include "runner/repro.h"
#include "runner/report_out.h"
#include "runner/retry.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the summary needs of a finished case.  The whole outcome (its
 * guest result alone is 63 KiB) lives only while its case runs, in its
 * worker, so the runner's memory does not grow with the number of
 * cases (bench/soak.sh). */
struct kept {
	enum kt_verdict verdict;
	unsigned attempts;
	char first_failure[sizeof(((struct kt_outcome *)0)->first_failure)];
	struct kbuf report, first_report;
};

struct job {
	struct kt_resolved r;
	bool bad;                 /* did not resolve (local: skipped with reason) */
	char why[256];
	struct kept kept;         /* once it ran */
};

struct pool {
	const struct kt_run_opts *o;
	struct kt_exec_env env;
	struct job *jobs;
	size_t n, next, done;
	struct kt_report *rep;    /* --junit/--out, NULL: none */
	struct kt_progress *prog; /* stderr progress line, NULL: none */
	unsigned retry_budget, retry_budget_total; /* retries left / allowed in this run */
	bool budget_said;
	pthread_mutex_t lock;
};

static const char *sched_name(const struct kt_case *c, const char *local_sched)
{
	if (local_sched)
		return local_sched;
	return c->sched ? (c->sched->name ? c->sched->name : c->sched->binary) : "eevdf";
}

void kt_outcome_release(struct kt_outcome *o)
{
	kt_kbuf_free(&o->report);
	kt_kbuf_free(&o->guest_json);
	kt_kbuf_free(&o->com1_tail);
	kt_kbuf_free(&o->com1);
	kt_kbuf_free(&o->com2_tail);
	kt_kbuf_free(&o->monitor_json);
	kt_kbuf_free(&o->bpf_json);
	kt_kbuf_free(&o->first_report);
	kt_kbuf_free(&o->hvc0);
	kt_repro_free(o->repro);
	o->repro = NULL;
	kt_kbuf_free(&o->payloads_json);
	kt_kbuf_free(&o->mon_summary);
	kt_kbuf_free(&o->mon_timeline);
	kt_kbuf_free(&o->scx_dump);
}

struct attempt_ctx {
	struct pool *p;
	struct job *j;
};

static void attempt_run(void *arg, struct kt_outcome *out)
{
	struct attempt_ctx *a = arg;

	if (a->j->bad) { /* local only: a case that does not fit this host */
		out->verdict = KT_SKIP;
		snprintf(out->reason, sizeof(out->reason), "%s", a->j->why);
	} else if (a->p->env.where == KT_EXEC_LOCAL) {
		kt_case_exec_local(&a->j->r, &a->p->env, out);
	} else {
		kt_case_exec(&a->j->r, &a->p->env, out);
	}
}

static void attempt_retrying(void *arg, unsigned attempt, unsigned max, const struct kt_outcome *out)
{
	struct attempt_ctx *a = arg;
	char reason[sizeof(out->reason) * 2];

	kt_line_clean(out->reason, reason, sizeof(reason));
	pthread_mutex_lock(&a->p->lock);
	kt_progress_pause(a->p->prog);
	printf("# %s: attempt %u of %u failed (%s); running it again\n", a->j->r.c->name, attempt, max, reason);
	fflush(stdout);
	kt_progress_resume(a->p->prog, (size_t)(a->j - a->p->jobs));
	pthread_mutex_unlock(&a->p->lock);
}

/* Retries are capped per run (pool.retry_budget): many failures are not
 * flakiness, and re-running them only makes a red run slower. */
static bool attempt_stop(void *arg)
{
	struct attempt_ctx *a = arg;
	bool stop;

	if (kt_interrupted)
		return true;
	pthread_mutex_lock(&a->p->lock);
	stop = !a->p->retry_budget;
	if (stop && !a->p->budget_said) {
		kt_progress_pause(a->p->prog);
		printf("# retry budget spent (%u retries in this run); failures from here on are final\n",
		       a->p->retry_budget_total);
		fflush(stdout);
		kt_progress_resume(a->p->prog, (size_t)(a->j - a->p->jobs));
		a->p->budget_said = true;
	}
	if (!stop)
		a->p->retry_budget--;
	pthread_mutex_unlock(&a->p->lock);
	return stop;
}

/* Keep what the summary needs; the reports move, the rest is freed. */
static void keep(struct job *j, struct kt_outcome *out)
{
	struct kept *k = &j->kept;

	k->verdict = out->verdict;
	k->attempts = out->attempts;
	memcpy(k->first_failure, out->first_failure, sizeof(k->first_failure));
	k->report = out->report;
	k->first_report = out->first_report;
	out->report = out->first_report = (struct kbuf){ 0 };
	kt_outcome_release(out);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct kt_outcome *out = malloc(sizeof(*out)); /* this worker's case at a time */
	char local_sched[64];

	if (p->env.where == KT_EXEC_LOCAL)
		kt_local_sched(local_sched, sizeof(local_sched));
	for (;;) {
		struct job *j;
		struct attempt_ctx a;
		struct kt_attempt_ops ops = { attempt_run, attempt_retrying, attempt_stop, &a };

		pthread_mutex_lock(&p->lock);
		if (!out || p->next >= p->n || kt_interrupted) {
			if (!out)
				kt_err(ENOMEM, "runner: a worker's outcome");
			pthread_mutex_unlock(&p->lock);
			free(out);
			return NULL;
		}
		j = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->lock);
		a = (struct attempt_ctx){ p, j };
		memset(out, 0, sizeof(*out));
		kt_progress_running(p->prog, (size_t)(j - p->jobs), j->r.c->name);
		kt_run_attempts(&ops, j->bad ? 0 : p->o->retries, out);
		if (!j->bad && p->env.where == KT_EXEC_VM)
			kt_repro_after(&j->r, &p->env, out, p->o->no_auto_repro);
		pthread_mutex_lock(&p->lock);
		kt_progress_pause(p->prog);
		kt_emit_case(stdout, "", (unsigned)++p->done, j->r.c->name,
			     sched_name(j->r.c, p->env.where == KT_EXEC_LOCAL ? local_sched : NULL), out);
		kt_report_case(p->rep, (size_t)(j - p->jobs), j->r.c, out);
		if (p->o->case_done)
			p->o->case_done(p->o->case_done_arg, j->r.c, out);
		keep(j, out);
		kt_progress_resume(p->prog, (size_t)(j - p->jobs));
		pthread_mutex_unlock(&p->lock);
	}
}

static unsigned host_mem_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (unsigned)((unsigned long long)pages * (unsigned long long)psz >> 20) : 0;
}

/* Resolve every case before anything boots.  A VM case that does not
 * resolve is bad input; a local one that does not fit this host is
 * skipped with the reason. */
static int resolve_all(struct pool *p, const struct kt_case *cases, const struct kt_case_overrides *ov)
{
	unsigned hm = host_mem_mb();

	for (size_t i = 0; i < p->n; i++) {
		struct job *j = &p->jobs[i];
		char err[200];

		if (kt_case_resolve(&cases[i], ov, p->env.where, &j->r, err, sizeof(err))) {
			if (p->env.where != KT_EXEC_LOCAL)
				return kt_err(0, "test %s: %s", cases[i].name, err), -EINVAL;
			j->r.c = &cases[i];
			j->bad = true;
			snprintf(j->why, sizeof(j->why), "does not fit this host's topology: %s", err);
			continue;
		}
		if (p->o->probe_stack) /* --repro: probes from the start */
			j->r.probe = p->o->probe_stack;
		if (p->env.where != KT_EXEC_LOCAL && hm && j->r.memory_mb > hm)
			return kt_err(0, "test %s: guest memory %u MiB is more than the host's %u MiB; lower it (--memory)",
				      cases[i].name, j->r.memory_mb, hm), -EINVAL;
	}
	return 0;
}

/* -j: the requested count, or (0) as many VMs as the host's CPUs hold
 * vCPUs; one line when a request stretches guest time (runner/jobs.h). */
static unsigned pool_jobs(const struct pool *p)
{
	unsigned host = kt_host_cpus_allowed(), *v, jobs = p->o->jobs, peak = 0;

	if (p->o->local || p->n < 2)
		return 1;
	v = calloc(p->n, sizeof(*v));
	if (!v)
		return jobs ? jobs : 1;
	for (size_t i = 0; i < p->n; i++)
		v[i] = ktstr_topo_cpus(&p->jobs[i].r.topo);
	if (!jobs) {
		jobs = kt_jobs_fit(v, p->n, host);
		kt_debug("runner: -j %u (%u host CPUs, the largest case %u vCPUs)", jobs, host,
			 kt_jobs_peak_vcpus(v, p->n, 1));
	} else if (kt_jobs_stretch(v, p->n, jobs, host, &peak)) {
		kt_info("warning: -j %u may run %u vCPUs on %u host CPUs: guest time stretches and timing checks "
			"may report false stalls; -j %u fits this host", jobs, peak, host, kt_jobs_fit(v, p->n, host));
	}
	free(v);
	return jobs;
}

static void overrides(const struct kt_run_opts *o, struct kt_case_overrides *ov)
{
	const char *env_to = getenv("KTSTR_VM_TIMEOUT");

	memset(ov, 0, sizeof(*ov));
	ov->have_topo = o->have_topo;
	ov->topo = o->topo;
	ov->duration_s = o->duration_s;
	ov->duration_ms = o->duration_ms;
	ov->memory_mb = o->memory_mb;
	ov->timeout_s = o->timeout_s;
	if (env_to && *env_to)
		ov->env_timeout_s = (unsigned)strtoul(env_to, NULL, 10);
	ov->have_watchdog = o->have_watchdog_timeout;
	ov->watchdog_s = o->watchdog_timeout_s;
}

static void run_pool(struct pool *p, unsigned jobs, const char *header)
{
	pthread_t th[64];
	unsigned nth = jobs ? jobs : 1;

	kt_emit_begin(stdout, header, p->n);
	if (nth > p->n)
		nth = (unsigned)p->n;
	if (nth > sizeof(th) / sizeof(th[0]))
		nth = sizeof(th) / sizeof(th[0]);
	p->prog = kt_progress_start(p->n, nth, !p->o->verbose && !p->o->no_progress);
	for (unsigned i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, p);
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	kt_progress_stop(p->prog);
}

static void finish(struct pool *p, struct kt_run_summary *sum)
{
	struct kt_outcome *o = calloc(1, sizeof(*o)); /* each kept case seen as an outcome again */
	struct kt_tally t = { 0 };

	if (!o)
		kt_err(ENOMEM, "runner: the reports and the summary");

	for (size_t i = 0; o && i < p->n && i < p->next; i++) {
		const struct kept *k = &p->jobs[i].kept;

		o->verdict = k->verdict;
		o->attempts = k->attempts;
		memcpy(o->first_failure, k->first_failure, sizeof(o->first_failure));
		o->report = k->report;
		o->first_report = k->first_report;
		kt_emit_report(stdout, p->jobs[i].r.c->name, o);
		kt_tally_add(&t, o);
	}
	free(o);
	if (t.flaky) { /* passed, but not at the first try: name them */
		printf("\n# flaky (passed on a retry):");
		for (size_t i = 0; i < p->next && i < p->n; i++)
			if (p->jobs[i].kept.verdict == KT_PASS && p->jobs[i].kept.first_failure[0])
				printf(" %s", p->jobs[i].r.c->name);
		printf("\n");
	}
	for (size_t i = 0; i < p->n; i++) {
		kt_kbuf_free(&p->jobs[i].kept.report);
		kt_kbuf_free(&p->jobs[i].kept.first_report);
	}
	if (kt_report_end(p->rep)) {
		t.failed++; /* a requested output could not be written */
		sum->output_failed = true;
	}
	sum->interrupted = kt_interrupted != 0;
	sum->not_run = p->n - (p->next < p->n ? p->next : p->n);
	if (sum->interrupted)
		printf("# interrupted: %zu of %zu tests not run\n", sum->not_run, p->n);
	kt_emit_summary(stdout, &t);
	sum->passed = t.passed;
	sum->failed = t.failed;
	sum->skipped = t.skipped;
	sum->flaky = t.flaky;
}

int kt_run_tests(const struct kt_case *cases, size_t n, const struct kt_run_opts *o, struct kt_run_summary *sum)
{
	struct pool p = { .o = o, .n = n };
	struct kt_case_overrides ov;
	struct kt_prep prep = { 0 };
	struct kt_local local = { 0 };
	char header[PATH_MAX + 640], why[512];
	unsigned jobs;
	int ret;

	memset(sum, 0, sizeof(*sum));
	kt_signals_install(); /* before anything that makes a file or a process */
	p.jobs = calloc(n ? n : 1, sizeof(*p.jobs));
	if (!p.jobs)
		return kt_err(ENOMEM, "allocate %zu jobs", n), -ENOMEM;
	p.env.where = o->local ? KT_EXEC_LOCAL : KT_EXEC_VM;
	overrides(o, &ov);
	if (o->local) {
		struct ktstr_topo topo;
		char note[160];

		kt_local_topo(&topo, note, sizeof(note));
		if (note[0])
			kt_info("%s", note);
		ov.have_topo = true;
		ov.topo = topo;
	}
	ret = resolve_all(&p, cases, &ov);
	if (!ret) /* payload binaries and files exist here (bad input otherwise) */
		ret = kt_payload_check_cases(cases, n);
	if (ret)
		goto err_jobs;
	jobs = pool_jobs(&p); /* said before the set-up, which may take long */
	if (o->local) {
		char ts[32], sched[64];

		ret = kt_local_setup(&local);
		if (ret) {
			kt_err(-ret, "bare metal: no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified");
			ret = -EINVAL;
			goto err_jobs;
		}
		p.env.cgroup_root = local.root;
		p.env.cgroup_base = local.base;
		p.env.have_cpuset = local.have_cpuset;
		ktstr_topo_format(&ov.topo, ts, sizeof(ts));
		kt_local_sched(sched, sizeof(sched));
		snprintf(header, sizeof(header), "bare metal: topo=%s sched=%s cgroups=%s%s", ts, sched, local.base,
			 local.have_cpuset ? "" : " (no cpuset controller)");
	} else {
		if (!kt_vm_select(o->vmm, why, sizeof(why))) {
			kt_err(0, "%s", why);
			ret = -EINVAL;
			goto err_jobs;
		}
		ret = kt_prep_vm(&prep, cases, n, o);
		if (ret || kt_interrupted)
			goto err_prep;
		kt_prep_env(&prep, o, &p.env);
		snprintf(header, sizeof(header), "kernel %s (%s)", prep.k.key[0] ? prep.k.key : prep.k.bzimage,
			 prep.k.version);
	}
	pthread_mutex_init(&p.lock, NULL);
	/* --retries N per case, at most max(2, n/10) retries in all. */
	p.retry_budget = o->retries ? (unsigned)(n / 10 > 2 ? n / 10 : 2) : 0;
	p.retry_budget_total = p.retry_budget;
	p.rep = kt_report_begin(o, n, o->local ? "bare metal" : prep.k.key[0] ? prep.k.key : prep.k.bzimage);
	run_pool(&p, jobs, header);
	finish(&p, sum);
	pthread_mutex_destroy(&p.lock);
	ret = 0;
	if (o->local) {
		kt_local_cleanup(&local);
		if (sum->interrupted)
			printf("# %s removed\n", local.base);
	}
err_prep:
	kt_prep_free(&prep);
err_jobs:
	free(p.jobs);
	if (kt_interrupted && !sum->interrupted) { /* during set-up: nothing ran */
		printf("# interrupted by signal %d during set-up; no test ran\n", (int)kt_interrupted);
		fflush(stdout);
		sum->interrupted = true;
		sum->not_run = n;
		ret = 0;
	}
	if (sum->interrupted)
		sum->signal = kt_interrupted;
	return ret;
}
