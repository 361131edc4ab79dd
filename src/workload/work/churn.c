/* Workers that churn kernel state: ForkExit, NiceSweep, AffinityChurn,
 * PolicyChurn, PageFaultChurn.  Each restores what it changed in fini. */
#include "workload/work/work.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void fork_exit_step(struct kt_worker *w)
{
	uint64_t t0 = kt_now();
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	w->units++; /* a failed fork still counts */
	kt_sample(w, kt_now() - t0);
}

const struct kt_work_type kt_wt_fork_exit = {
	.info = { KTSTR_WORK_FORK_EXIT, "ForkExit", "fork a child that exits at once and reap it (sampled)", NULL,
		  0, true },
	.step = fork_exit_step,
};

/* NiceSweep: the lowest nice value allowed, probed once (in scratch). */
static int nice_init(struct kt_worker *w)
{
	w->scratch = setpriority(PRIO_PROCESS, 0, -20) == 0 ? -20 : 0;
	setpriority(PRIO_PROCESS, 0, 0);
	return 0;
}

static void nice_step(struct kt_worker *w)
{
	int min = (int)w->scratch, nice = min + (int)(w->iters % (uint64_t)(20 - min));

	kt_spin(w, 512);
	setpriority(PRIO_PROCESS, 0, nice);
	kt_sample(w, kt_yield());
}

static void nice_fini(struct kt_worker *w)
{
	setpriority(PRIO_PROCESS, 0, 0);
}

const struct kt_work_type kt_wt_nice_sweep = {
	.info = { KTSTR_WORK_NICE_SWEEP, "NiceSweep",
		  "spin 512 units, step nice through min..19 (min -20 if allowed), sched_yield() (sampled)", NULL,
		  0, true },
	.init = nice_init,
	.step = nice_step,
	.fini = nice_fini,
};

static const struct ktstr_work_param churn_params[] = {
	{ "spin_iters", "spin units per iteration", 1024, 1, 1u << 24 },
};

struct affinity_state {
	cpu_set_t orig;
	int cpus[CPU_SETSIZE];
	int n;
};

static int affinity_init(struct kt_worker *w)
{
	struct affinity_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	w->priv = s;
	if (sched_getaffinity(0, sizeof(s->orig), &s->orig))
		return -errno;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &s->orig))
			s->cpus[s->n++] = c;
	return s->n ? 0 : -EINVAL;
}

static void affinity_step(struct kt_worker *w)
{
	struct affinity_state *s = w->priv;
	cpu_set_t one;

	kt_spin(w, w->p[0]);
	CPU_ZERO(&one);
	CPU_SET(s->cpus[kt_xorshift64(&w->rng) % (uint64_t)s->n], &one);
	sched_setaffinity(0, sizeof(one), &one);
	kt_sample(w, kt_yield());
}

static void affinity_fini(struct kt_worker *w)
{
	struct affinity_state *s = w->priv;

	if (s)
		sched_setaffinity(0, sizeof(s->orig), &s->orig);
	free(s);
	w->priv = NULL;
}

const struct kt_work_type kt_wt_affinity_churn = {
	.info = { KTSTR_WORK_AFFINITY_CHURN, "AffinityChurn",
		  "spin, pin to a random CPU of the initial affinity, sched_yield() (sampled)", churn_params, 1,
		  true },
	.init = affinity_init,
	.step = affinity_step,
	.fini = affinity_fini,
};

/* PolicyChurn: OTHER, BATCH, IDLE, and FIFO/1, RR/1 if a probe succeeds. */
struct policy_state {
	int policy[5];
	int n;
};

static int set_policy(int policy)
{
	struct sched_param sp = { .sched_priority = policy == SCHED_FIFO || policy == SCHED_RR ? 1 : 0 };

	return sched_setscheduler(0, policy, &sp);
}

static int policy_init(struct kt_worker *w)
{
	struct policy_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->policy[s->n++] = SCHED_OTHER;
	s->policy[s->n++] = SCHED_BATCH;
	s->policy[s->n++] = SCHED_IDLE;
	if (set_policy(SCHED_FIFO) == 0) {
		s->policy[s->n++] = SCHED_FIFO;
		s->policy[s->n++] = SCHED_RR;
	}
	set_policy(SCHED_OTHER);
	w->priv = s;
	return 0;
}

static void policy_step(struct kt_worker *w)
{
	struct policy_state *s = w->priv;

	kt_spin(w, w->p[0]);
	set_policy(s->policy[w->iters % (uint64_t)s->n]);
	kt_sample(w, kt_yield());
}

static void policy_fini(struct kt_worker *w)
{
	set_policy(SCHED_OTHER);
	free(w->priv);
	w->priv = NULL;
}

const struct kt_work_type kt_wt_policy_churn = {
	.info = { KTSTR_WORK_POLICY_CHURN, "PolicyChurn",
		  "spin, switch scheduling policy (OTHER, BATCH, IDLE, FIFO/1, RR/1 if allowed), sched_yield() "
		  "(sampled)",
		  churn_params, 1, true },
	.init = policy_init,
	.step = policy_step,
	.fini = policy_fini,
};

static const struct ktstr_work_param fault_params[] = {
	{ "region_kb", "anonymous private region", 4096, 4, 1u << 20 },
	{ "touches_per_cycle", "random pages written per iteration (1 unit each)", 256, 1, 1u << 20 },
	{ "spin_iters", "spin units after the region is dropped", 64, 0, 1u << 24 },
};

struct fault_state {
	volatile uint8_t *region;
	size_t len, pages, page;
};

static int fault_init(struct kt_worker *w)
{
	struct fault_state *s = calloc(1, sizeof(*s));
	long psz = sysconf(_SC_PAGESIZE);
	void *m;

	if (!s)
		return -ENOMEM;
	w->priv = s;
	s->page = psz > 0 ? (size_t)psz : 4096;
	s->len = (size_t)w->p[0] * 1024u;
	s->pages = s->len / s->page ? s->len / s->page : 1;
	m = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	s->region = m;
	madvise(m, s->len, MADV_NOHUGEPAGE);
	return 0;
}

static void fault_step(struct kt_worker *w)
{
	struct fault_state *s = w->priv;

	for (uint64_t i = 0; i < w->p[1]; i++) {
		s->region[(kt_xorshift64(&w->rng) % s->pages) * s->page] = 1;
		w->units++;
		if ((i & 255) == 255 && kt_stopped(w))
			break;
	}
	madvise((void *)s->region, s->len, MADV_DONTNEED);
	kt_spin(w, w->p[2]);
}

static void fault_fini(struct kt_worker *w)
{
	struct fault_state *s = w->priv;

	if (s && s->region)
		munmap((void *)s->region, s->len);
	free(s);
	w->priv = NULL;
}

const struct kt_work_type kt_wt_page_fault_churn = {
	.info = { KTSTR_WORK_PAGE_FAULT_CHURN, "PageFaultChurn",
		  "write touches_per_cycle random pages of a region, drop it (MADV_DONTNEED), spin", fault_params,
		  3, true },
	.init = fault_init,
	.step = fault_step,
	.fini = fault_fini,
};
