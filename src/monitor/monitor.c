/* Monitor lifecycle: the kernel layout, per-test settings, start, stop
 * (see monitor.h). */
#include "monitor/mon_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kt_layout *kt_monitor_kernel(const char *vmlinux)
{
	struct kt_layout *l = calloc(1, sizeof(*l));

	if (!l) {
		kt_err(ENOMEM, "monitor: kernel layout");
		return NULL;
	}
	if (kt_layout_load(l, vmlinux)) {
		kt_layout_free(l);
		free(l);
		return NULL;
	}
	for (size_t i = 0; i < l->degraded.n; i++)
		kt_debug("monitor: degraded: %s", l->degraded.v[i]);
	return l;
}

void kt_monitor_kernel_free(struct kt_layout *l)
{
	if (!l)
		return;
	kt_layout_free(l);
	free(l);
}

/* Later layers win where they set a field. */
static void overlay(struct ktstr_monitor *a, const struct ktstr_monitor *b)
{
	if (b->enable)
		a->enable = b->enable;
	if (b->fail_on_stall)
		a->fail_on_stall = b->fail_on_stall;
	if (b->fail_on_idle_waiting)
		a->fail_on_idle_waiting = b->fail_on_idle_waiting;
	if (b->max_idle_waiting_pct > 0)
		a->max_idle_waiting_pct = b->max_idle_waiting_pct;
	if (b->max_mean_imbalance > 0)
		a->max_mean_imbalance = b->max_mean_imbalance;
	if (b->max_imbalance_ratio > 0)
		a->max_imbalance_ratio = b->max_imbalance_ratio;
	if (b->max_local_dsq_depth)
		a->max_local_dsq_depth = b->max_local_dsq_depth;
	if (b->sustained_samples)
		a->sustained_samples = b->sustained_samples;
	if (b->max_fallback_rate > 0)
		a->max_fallback_rate = b->max_fallback_rate;
	if (b->max_keep_last_rate > 0)
		a->max_keep_last_rate = b->max_keep_last_rate;
	if (b->interval_ms)
		a->interval_ms = b->interval_ms;
}

bool kt_monitor_opts(struct kt_mon_opts *o, const struct ktstr_test *t, const struct ktstr_scheduler *s,
		     unsigned interval_override_ms)
{
	struct ktstr_monitor m = {
		.enable = KTSTR_ON,
		.fail_on_stall = KTSTR_ON,
		.fail_on_idle_waiting = KTSTR_ON,
		.max_idle_waiting_pct = KT_MON_IDLE_WAITING_PCT,
		.max_mean_imbalance = KT_MON_MEAN_IMBALANCE,
		.max_imbalance_ratio = KT_MON_IMBALANCE,
		.max_local_dsq_depth = KT_MON_DSQ_DEPTH,
		.sustained_samples = KT_MON_SUSTAINED,
		.max_fallback_rate = KT_MON_FALLBACK_RATE,
		.max_keep_last_rate = KT_MON_KEEP_LAST_RATE,
		.interval_ms = KT_MON_REF_INTERVAL_MS,
	};

	memset(o, 0, sizeof(*o));
	if (s)
		overlay(&m, &s->monitor);
	overlay(&m, &t->monitor);
	if (interval_override_ms)
		m.interval_ms = interval_override_ms;
	o->interval_ms = m.interval_ms;
	o->sustained_samples = m.sustained_samples;
	o->limits.max_imbalance_ratio = m.max_imbalance_ratio;
	o->limits.max_local_dsq_depth = m.max_local_dsq_depth;
	o->limits.fail_on_stall = m.fail_on_stall == KTSTR_ON;
	o->limits.fail_on_idle_waiting = m.fail_on_idle_waiting == KTSTR_ON;
	o->limits.max_idle_waiting_pct = m.max_idle_waiting_pct;
	o->limits.max_mean_imbalance = m.max_mean_imbalance;
	o->limits.max_fallback_rate = m.max_fallback_rate;
	o->limits.max_keep_last_rate = m.max_keep_last_rate;
	/* The reference judges only sched_ext schedulers (not EEVDF), after
	 * a warm-up of 20 samples at 100 ms from the scheduler's start. */
	o->judge = s != NULL;
	o->warmup_ns = 20ull * KT_MON_REF_INTERVAL_MS * 1000000ull;
	return m.enable != KTSTR_OFF;
}

struct kt_monitor *kt_monitor_new(const struct kt_layout *l, const struct kt_mon_opts *o)
{
	struct kt_monitor *m = calloc(1, sizeof(*m));
	pthread_condattr_t ca;

	if (!m)
		return NULL;
	m->l = l;
	m->o = *o;
	m->ev = calloc(KT_MON_MAX_EVENTS, sizeof(*m->ev));
	m->probe = calloc(KT_MON_MAX_PROBES, sizeof(*m->probe));
	m->nrp = calloc(KT_MON_MAX_PROBES, sizeof(*m->nrp));
	m->bpf = kt_mon_bpf_new();
	if (!m->ev || !m->probe || !m->nrp || !m->bpf) {
		free(m->bpf);
		free(m->ev);
		free(m->probe);
		free(m->nrp);
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	return m;
}

int kt_monitor_start(struct kt_monitor *m, struct vm *vm, uint64_t t0)
{
	uint64_t top = 0;
	int ret;

	if (!m || m->started)
		return 0;
	m->vm = vm;
	m->vcpu_named = vm->ops->vcpu_thread != NULL;
	m->t0 = t0;
	m->ncpus = ktstr_topo_cpus(&vm->cfg->topo);
	m->tcg = !strcmp(vm->accel, "tcg");
	/* The end of the highest RAM range: there may be a hole below it
	 * (reads there fail). */
	for (unsigned i = 0; i < vm->nram; i++)
		if (vm->ram[i].gpa + vm->ram[i].size > top)
			top = vm->ram[i].gpa + vm->ram[i].size;
	m->x.read = kt_mon_phys_read;
	m->x.ctx = vm;
	m->x.mem_top = top;
	/* The sustained window is a time: the reference's samples at its
	 * 100 ms period, doubled under TCG like the guest's gap limit. */
	m->o.limits.interval_ns = (uint64_t)m->o.interval_ms * 1000000ull;
	m->o.limits.window_ns = (uint64_t)m->o.sustained_samples * KT_MON_REF_INTERVAL_MS * 1000000ull * (m->tcg ? 2 : 1);
	m->rq_va = calloc(m->ncpus, sizeof(*m->rq_va));
	m->vcpu_fd = malloc(m->ncpus * sizeof(*m->vcpu_fd));
	m->rqbuf = calloc(1, m->l->rq_hi > m->l->rq_lo ? m->l->rq_hi - m->l->rq_lo : 1);
	m->tasks_cap = (size_t)m->ncpus * KT_MON_WALK_PER_CPU < 8192 ? (size_t)m->ncpus * KT_MON_WALK_PER_CPU : 8192;
	m->tasks = calloc(m->tasks_cap, sizeof(*m->tasks));
	if (!m->rq_va || !m->vcpu_fd || !m->rqbuf || !m->tasks)
		return kt_err(ENOMEM, "monitor: per-CPU state for %u CPUs", m->ncpus);
	for (unsigned c = 0; c < m->ncpus; c++)
		m->vcpu_fd[c] = -1;
	if (!m->l->group[KT_G_CORE]) {
		m->started = true; /* events are still recorded; no sampling */
		return 0;
	}
	ret = pthread_create(&m->th, NULL, kt_mon_thread, m);
	if (ret)
		return kt_err(ret, "monitor: start thread");
	m->started = true;
	m->running = true;
	return 0;
}

void kt_monitor_stop(struct kt_monitor *m)
{
	if (m && !m->running)
		m->vm = NULL;
	if (!m || !m->running)
		return;
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->stop, true);
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->th, NULL);
	m->running = false;
	m->vm = NULL;
	for (unsigned c = 0; c < m->ncpus; c++)
		if (m->vcpu_fd[c] >= 0) {
			close(m->vcpu_fd[c]);
			m->vcpu_fd[c] = -1;
		}
}

void kt_monitor_free(struct kt_monitor *m)
{
	if (!m)
		return;
	kt_monitor_stop(m);
	if (m->vcpu_fd)
		for (unsigned c = 0; c < m->ncpus; c++)
			if (m->vcpu_fd[c] >= 0)
				close(m->vcpu_fd[c]);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	kt_strlist_free(&m->degraded);
	free(m->rq_va);
	free(m->vcpu_fd);
	free(m->rqbuf);
	free(m->tasks);
	free(m->s);
	free(m->c);
	free(m->ev);
	free(m->probe);
	free(m->nrp);
	kt_mon_bpf_free(m);
	free(m);
}
