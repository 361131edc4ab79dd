/* The monitor thread: find the kernel in guest memory, then sample every
 * CPU's runqueue each interval (see monitor.h, docs/monitor.md). */
#include "monitor/mon_int.h"
#include "proto/shm_ring.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int kt_mon_phys_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return kt_vm_read_phys(ctx, pa, buf, len);
}

static void add_event_iter(struct kt_monitor *m, uint64_t t, const char *kind, const char *detail, bool have_iter,
			   uint64_t iter)
{
	pthread_mutex_lock(&m->lock);
	if (m->nev < KT_MON_MAX_EVENTS) {
		struct kt_mon_event *e = &m->ev[m->nev++];

		e->t_ns = t;
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
		e->have_iter = have_iter;
		e->iter = iter;
	}
	pthread_mutex_unlock(&m->lock);
}

static void add_event(struct kt_monitor *m, uint64_t t, const char *kind, const char *detail)
{
	add_event_iter(m, t, kind, detail, false, 0);
}

void kt_monitor_event(struct kt_monitor *m, const char *kind, const char *fmt, ...)
{
	char d[200];
	va_list ap;

	if (!m || !m->started)
		return;
	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	add_event(m, kt_now_ns() - m->t0, kind, d);
}

void kt_monitor_probes(struct kt_monitor *m, const void *payload, uint32_t len)
{
	size_t n = len / sizeof(struct kt_mon_probe);

	if (!m || !m->started || len % sizeof(struct kt_mon_probe))
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < n && m->nprobe < KT_MON_MAX_PROBES; i++)
		memcpy(&m->probe[m->nprobe++], (const char *)payload + i * sizeof(struct kt_mon_probe),
		       sizeof(struct kt_mon_probe));
	pthread_mutex_unlock(&m->lock);
}

void kt_monitor_ring_msg(struct kt_monitor *m, uint32_t type, const void *p, uint32_t len)
{
	struct kt_stimulus st;
	uint32_t ms = 0;

	if (!m)
		return;
	switch (type) {
	case KT_MSG_TEST_RESULT:
		kt_monitor_event(m, "result", "guest result received");
		break;
	case KT_MSG_SCHED_EXIT:
		if (!m->sched_exit_seen)
			kt_monitor_event(m, "sched_exit", "the scheduler exited or was ejected");
		m->sched_exit_seen = true;
		break;
	case KT_MSG_STIMULUS: {
		char d[200];

		if (len != sizeof(st) || !m->started)
			break;
		memcpy(&st, p, sizeof(st));
		snprintf(d, sizeof(d), "step %u%s (iterations %llu)", st.step, st.kind == KTSTR_STIM_OP ? " op" : " start",
			 (unsigned long long)st.iterations);
		add_event_iter(m, kt_now_ns() - m->t0, st.kind == KTSTR_STIM_OP ? "op" : "step", d, st.iterations > 0,
			       st.iterations);
		break;
	}
	case KT_MSG_SCENARIO_START:
		kt_monitor_event(m, "scenario_start", "workers started");
		break;
	case KT_MSG_SCENARIO_END:
		if (len == sizeof(ms))
			memcpy(&ms, p, sizeof(ms));
		kt_monitor_event(m, "scenario_end", "scenario over (%u ms in the guest)", ms);
		break;
	case KT_MSG_MON_PROBE:
		kt_monitor_probes(m, p, len);
		break;
	default:
		break;
	}
}

uint64_t kt_monitor_sym_pa(struct kt_monitor *m, uint64_t link_va)
{
	if (!m || !atomic_load(&m->located) || link_va < KT_START_KERNEL_MAP_X86)
		return 0;
	return link_va - KT_START_KERNEL_MAP_X86 + atomic_load(&m->phys_delta);
}

static void degrade(struct kt_monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void degrade(struct kt_monitor *m, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&m->lock);
	if (!kt_strlist_has(&m->degraded, line))
		kt_strlist_add(&m->degraded, line);
	pthread_mutex_unlock(&m->lock);
}

static uint64_t field(const unsigned char *buf, const struct kt_field *f, uint64_t lo)
{
	uint64_t v = 0;

	memcpy(&v, buf + (f->off - lo), f->size); /* x86_64 guest and host: little endian */
	return v;
}

/* The kernel is found and its per-CPU runqueues are set up: every CPU's
 * __per_cpu_offset points outside the image (the boot value points at
 * the image's copy), they differ, and each rq says it is that CPU's. */
static int init_kernel(struct kt_monitor *m, uint64_t *pcpu)
{
	const struct kt_layout *l = m->l;
	uint64_t rt_text, rt_end;
	int ret = kt_xlate_locate(&m->x, &l->syms, m->wait_why, sizeof(m->wait_why));

	if (ret)
		return ret;
	if (m->x.read(m->x.ctx, kt_xlate_sym(&m->x, l->per_cpu_offset), pcpu, m->ncpus * sizeof(*pcpu))) {
		snprintf(m->wait_why, sizeof(m->wait_why), "__per_cpu_offset[] beyond guest RAM");
		return -EAGAIN;
	}
	rt_text = l->syms.text + m->x.voff;
	rt_end = l->syms.end + m->x.voff;
	for (unsigned c = 0; c < m->ncpus; c++) {
		uint64_t va = l->runqueues + pcpu[c];
		uint32_t cpu;

		if (!pcpu[c] || (va >= rt_text && va < rt_end) || (c && pcpu[c] == pcpu[c - 1])) {
			snprintf(m->wait_why, sizeof(m->wait_why), "per-CPU areas not set up yet (cpu %u)", c);
			return -EAGAIN;
		}
		m->rq_va[c] = va;
		if (l->rq_cpu.ok &&
		    (kt_xlate_read(&m->x, va + l->rq_cpu.off, &cpu, sizeof(cpu)) || cpu != c)) {
			snprintf(m->wait_why, sizeof(m->wait_why), "runqueue of cpu %u not initialised yet", c);
			return -EAGAIN;
		}
	}
	return 0;
}

static void open_vcpus(struct kt_monitor *m)
{
	if (!m->vm->ops->vcpu_thread) {
		if (!m->vcpu_any)
			degrade(m, "vcpu_run_ns, vcpu_wait_ns: the %s backend does not name its vCPU threads; the stall "
				   "check cannot exempt host-preempted vCPUs", m->vm->ops->name);
		m->vcpu_any = true; /* do not ask again */
		return;
	}
	for (unsigned c = 0; c < m->ncpus; c++) {
		pid_t pid, tid;
		char path[64];

		if (m->vcpu_fd[c] >= 0 || m->vm->ops->vcpu_thread(m->vm, c, &pid, &tid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
		m->vcpu_fd[c] = open(path, O_RDONLY | O_CLOEXEC);
		if (m->vcpu_fd[c] >= 0)
			m->vcpu_any = true;
	}
}

/* /proc/<pid>/task/<tid>/schedstat: "<on-cpu ns> <run-queue wait ns> <slices>". */
static bool vcpu_stat(int fd, uint64_t *run, uint64_t *wait)
{
	char buf[96];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	unsigned long long r, w;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &r, &w) != 2)
		return false;
	*run = r;
	*wait = w;
	return true;
}

static void read_events(struct kt_monitor *m, const uint64_t *pcpu, struct kt_mon_cpu *cs)
{
	const struct kt_layout *l = m->l;
	uint64_t base = 0;

	if (l->ev == KT_EV_ROOT_PCPU || l->ev == KT_EV_ROOT_STATS) {
		uint64_t root = 0;

		if (m->x.read(m->x.ctx, kt_xlate_sym(&m->x, l->ev_var), &root, sizeof(root)) || !root ||
		    kt_xlate_read(&m->x, root + l->ev_ptr_off, &base, sizeof(base)))
			return; /* no scheduler loaded: no counters */
	} else if (l->ev == KT_EV_PERCPU_VAR) {
		base = l->ev_var;
	} else {
		return;
	}
	for (unsigned c = 0; c < m->ncpus; c++) {
		uint64_t va = base + pcpu[c] + l->ev_base_off;
		int64_t fb, kl;

		if (!kt_xlate_read(&m->x, va + l->ev_fallback_off, &fb, sizeof(fb)) &&
		    !kt_xlate_read(&m->x, va + l->ev_keep_last_off, &kl, sizeof(kl))) {
			cs[c].ev_fallback = fb;
			cs[c].ev_keep_last = kl;
			cs[c].ev_ok = true;
		}
	}
}

static void read_global(struct kt_monitor *m, struct kt_mon_sample *s)
{
	const struct kt_layout *l = m->l;
	int32_t st;
	uint8_t sw;
	int64_t rej;

	s->scx_state = s->switching_all = -1;
	s->nr_rejected = -1;
	if (!l->group[KT_G_SCX_STATE])
		return;
	if (!m->x.read(m->x.ctx, kt_xlate_sym(&m->x, l->scx_state_var), &st, sizeof(st)) && st >= 0 &&
	    st < KT_SCX_STATES)
		s->scx_state = st;
	if (l->scx_switching_all && !m->x.read(m->x.ctx, kt_xlate_sym(&m->x, l->scx_switching_all), &sw, 1))
		s->switching_all = sw != 0;
	if (l->scx_nr_rejected && !m->x.read(m->x.ctx, kt_xlate_sym(&m->x, l->scx_nr_rejected), &rej, sizeof(rej)))
		s->nr_rejected = rej;
}

static bool grow(struct kt_monitor *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct kt_mon_sample *s;
	struct kt_mon_cpu *c;

	if ((m->n + 1) * m->ncpus > KT_MON_MAX_CPU_ENTRIES)
		return false;
	if (m->n < m->cap)
		return true;
	if (cap * m->ncpus > KT_MON_MAX_CPU_ENTRIES)
		cap = KT_MON_MAX_CPU_ENTRIES / m->ncpus;
	s = realloc(m->s, cap * sizeof(*s));
	if (!s)
		return false;
	m->s = s;
	c = realloc(m->c, cap * m->ncpus * sizeof(*c));
	if (!c)
		return false;
	m->c = c;
	m->cap = cap;
	return true;
}

/* The rq fields the layout has, each at its offset in m->rqbuf (the
 * rest of the span is not read: a dozen words touch far fewer cache
 * lines of the guest's memory than the whole ~3 KB struct). */
static int read_rq(struct kt_monitor *m, uint64_t rq_va, uint64_t lo, uint64_t span)
{
	const struct kt_layout *l = m->l;

	for (unsigned f = 0; f < KT_RQ__COUNT; f++) {
		const struct kt_field *fl = &l->rq[f];

		if (!fl->ok)
			continue;
		if (fl->off < lo || fl->off - lo > span || fl->size > span - (fl->off - lo) ||
		    kt_xlate_read(&m->x, rq_va + fl->off, m->rqbuf + (fl->off - lo), fl->size))
			return -EFAULT;
	}
	return 0;
}

static void take_sample(struct kt_monitor *m, const uint64_t *pcpu)
{
	const struct kt_layout *l = m->l;
	struct kt_mon_sample *s;
	struct kt_mon_cpu *cs;
	uint64_t lo = l->rq_lo, span = l->rq_hi > l->rq_lo ? l->rq_hi - l->rq_lo : 0;

	if (!grow(m)) {
		m->dropped++;
		return;
	}
	s = &m->s[m->n];
	cs = &m->c[m->n * m->ncpus];
	memset(cs, 0, m->ncpus * sizeof(*cs));
	s->t_ns = kt_now_ns() - m->t0;
	for (unsigned c = 0; c < m->ncpus; c++) {
		struct kt_mon_cpu *k = &cs[c];

		k->vcpu_ok = vcpu_stat(m->vcpu_fd[c], &k->vcpu_run_ns, &k->vcpu_wait_ns);
		if (read_rq(m, m->rq_va[c], lo, span))
			continue;
		k->ok = true;
		k->nr_running = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_NR_RUNNING], lo);
		k->clock = field(m->rqbuf, &l->rq[KT_RQ_CLOCK], lo);
		if (l->group[KT_G_IDLE]) {
			k->idle = field(m->rqbuf, &l->rq[KT_RQ_CURR], lo) == field(m->rqbuf, &l->rq[KT_RQ_IDLE], lo);
			k->idle_ok = true;
		}
		if (l->group[KT_G_SCX]) {
			k->scx_nr_running = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_SCX_NR], lo);
			k->dsq_depth = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_SCX_DSQ_NR], lo);
			k->scx_flags = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_SCX_FLAGS], lo);
		}
		if (l->group[KT_G_SCHEDSTAT]) {
			k->run_delay = field(m->rqbuf, &l->rq[KT_RQ_RUN_DELAY], lo);
			k->pcount = field(m->rqbuf, &l->rq[KT_RQ_PCOUNT], lo);
			k->sched_count = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_SCHED_COUNT], lo);
			k->sched_goidle = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_SCHED_GOIDLE], lo);
			k->ttwu_count = (uint32_t)field(m->rqbuf, &l->rq[KT_RQ_TTWU_COUNT], lo);
			k->sched_ok = true;
		}
	}
	if (l->group[KT_G_EVENTS])
		read_events(m, pcpu, cs);
	read_global(m, s);
	s->walk_ok = false;
	s->shared_waiting = 0;
	if (m->tasks && l->walk.ok && l->group[KT_G_IDLE]) {
		size_t n = 0;
		bool all = true;

		for (unsigned c = 0; c < m->ncpus; c++)
			all &= cs[c].ok;
		if (all && !kt_mon_walk(m, m->tasks, m->tasks_cap, &n)) {
			kt_mon_place(m->tasks, n, m->ncpus, cs, &s->shared_waiting);
			s->walk_ok = true;
		}
	}
	m->n++;
}

/* Guest readings that can be checked now, while the guest is alive;
 * nr_running readings wait for all samples (timeline.c). */
static void take_probes(struct kt_monitor *m)
{
	struct kt_mon_probe p[64];
	size_t n;

	for (;;) {
		pthread_mutex_lock(&m->lock);
		n = m->nprobe < ARRAY_SIZE(p) ? m->nprobe : ARRAY_SIZE(p);
		memcpy(p, m->probe, n * sizeof(*p));
		memmove(m->probe, m->probe + n, (m->nprobe - n) * sizeof(*p));
		m->nprobe -= n;
		pthread_mutex_unlock(&m->lock);
		if (!n)
			return;
		for (size_t i = 0; i < n; i++) {
			uint64_t want = 0, got = 0;
			const char *what;
			int ret = 0;

			switch (p[i].kind) {
			case KT_PROBE_NR_RUNNING:
				pthread_mutex_lock(&m->lock);
				m->xc.nr_total++;
				if (m->nnrp < KT_MON_MAX_PROBES)
					m->nrp[m->nnrp++] = p[i];
				pthread_mutex_unlock(&m->lock);
				continue;
			case KT_PROBE_TEXT_VA:
				what = "runtime _text (guest /proc/kallsyms)";
				want = p[i].a;
				got = m->l->syms.text + m->x.voff;
				break;
			case KT_PROBE_TEXT_PA:
				what = "kernel physical load address (guest /proc/iomem)";
				want = p[i].a;
				got = m->x.phys_load;
				break;
			case KT_PROBE_VMAP:
				what = "vmalloc page walk (guest /proc/vmallocinfo)";
				want = p[i].b;
				ret = kt_xlate_walk(&m->x, p[i].a, &got);
				break;
			default:
				continue;
			}
			if (m->ready)
				kt_mon_cap_probe(m->capture, &m->x, &p[i]);
			pthread_mutex_lock(&m->lock);
			m->xc.kernel_checked++;
			if (!m->ready || ret || got != want) {
				m->xc.kernel_bad++;
				if (!m->xc.kernel_first_bad[0])
					snprintf(m->xc.kernel_first_bad, sizeof(m->xc.kernel_first_bad),
						 "%s: guest says 0x%llx, monitor %s 0x%llx%s%s", what, (unsigned long long)want,
						 m->ready ? (ret ? "walk failed at" : "has") : "not ready:",
						 (unsigned long long)got, m->ready ? "" : " ", m->ready ? "" : m->wait_why);
			}
			pthread_mutex_unlock(&m->lock);
		}
	}
}

/* The verdict's checks over the latest window, as samples come: the
 * first sustained violation is kept for kt_monitor_live_failure() (the
 * host asks the guest for a sched_ext dump on it). */
static void live_check(struct kt_monitor *m)
{
	struct kt_mon_series ser = { m->s, m->c, m->n, m->ncpus };
	struct kt_mon_limits lim = m->o.limits;
	struct kt_mon_verdict v;
	uint64_t judge_from;
	size_t from, span;

	if (!m->o.judge || !m->t_ready || atomic_load(&m->live_fired) || !m->n || !lim.interval_ns)
		return;
	pthread_mutex_lock(&m->lock);
	judge_from = kt_mon_judge_from(m, m->t_ready);
	pthread_mutex_unlock(&m->lock);
	if (m->s[m->n - 1].t_ns < judge_from)
		return;
	/* The latest span the checks need: the idle-waiting share's. */
	span = (size_t)(2 * lim.window_ns / lim.interval_ns) + 3;
	from = m->n > span ? m->n - span : 0;
	while (from < m->n && m->s[from].t_ns < judge_from)
		from++;
	lim.imbalance = true;
	lim.dsq = m->l->group[KT_G_SCX];
	lim.events = m->l->group[KT_G_EVENTS];
	kt_mon_evaluate(&ser, from, m->n, &lim, &v);
	if (v.ok || !v.nfail)
		return;
	pthread_mutex_lock(&m->lock);
	snprintf(m->live_msg, sizeof(m->live_msg), "%s", v.fail[0].msg);
	atomic_store(&m->live_fired, true);
	pthread_mutex_unlock(&m->lock);
}

bool kt_monitor_live_failure(struct kt_monitor *m, char *buf, size_t len)
{
	if (!m || !atomic_load(&m->live_fired))
		return false;
	pthread_mutex_lock(&m->lock);
	snprintf(buf, len, "%s", m->live_msg);
	pthread_mutex_unlock(&m->lock);
	return true;
}

void *kt_mon_thread(void *arg)
{
	struct kt_monitor *m = arg;
	struct kt_ring_hdr *h = m->vm->shm;
	uint64_t *pcpu = calloc(m->ncpus, sizeof(*pcpu));
	struct timespec ts, cpu0, cpu1;
	bool ready_seen = false, broken = false;
	uint64_t last_locate = 0;

	m->capture = kt_mon_cap_new(getenv("KTSTR_MON_CAPTURE"));
	if (kt_vm_service_cpu(m->vm) >= 0) { /* performance mode: off the vCPUs' CPUs */
		cpu_set_t s;

		CPU_ZERO(&s);
		CPU_SET((unsigned)kt_vm_service_cpu(m->vm), &s);
		pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&m->lock);
	while (pcpu && !atomic_load(&m->stop)) {
		ts.tv_nsec += (long)m->o.interval_ms * 1000000L;
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!atomic_load(&m->stop) && pthread_cond_timedwait(&m->wake, &m->lock, &ts) != ETIMEDOUT)
			;
		if (atomic_load(&m->stop))
			break;
		pthread_mutex_unlock(&m->lock);
		{
			struct timespec now;

			/* Fell behind (host load): restart the period from now. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - ts.tv_sec) * 1000000000LL + (now.tv_nsec - ts.tv_nsec) >
			    (long long)m->o.interval_ms * 1000000LL)
				ts = now;
		}
		if (!ready_seen && h && kt_ctl_ready(h)) {
			ready_seen = true;
			m->t_ready = kt_now_ns() - m->t0;
			add_event(m, m->t_ready, "ready", "guest: scheduler up, test body starting");
		}
		/* Locating scans guest RAM for the image (KASLR) and fails
		 * until the kernel is up: try at most every KT_MON_LOCATE_MS,
		 * whatever the sampling period, so 100 Hz costs no more
		 * before "ready" than 10 Hz. */
		if (!m->ready && !broken && kt_now_ns() - last_locate >= KT_MON_LOCATE_MS * 1000000ull) {
			last_locate = kt_now_ns();
			if (!init_kernel(m, pcpu)) {
				char why[240];

				m->ready = true;
				m->t_located = kt_now_ns() - m->t0;
				atomic_store(&m->phys_delta, m->x.phys_load - (m->l->syms.text - KT_START_KERNEL_MAP_X86));
				atomic_store(&m->located, true);
				if (kt_xlate_selfcheck(&m->x, why, sizeof(why))) {
					snprintf(m->selfcheck, sizeof(m->selfcheck), "%s", why);
					degrade(m, "all signals: address translation self-check failed: %s", why);
					m->ready = false;
					broken = true;
				} else {
					snprintf(m->selfcheck, sizeof(m->selfcheck), "ok");
					kt_mon_cap_located(m->capture, &m->x);
				}
				kt_monitor_event(m, "monitor", "kernel found: _text at phys 0x%llx virt 0x%llx (KASLR "
							       "offset 0x%llx), direct map 0x%llx, %u-level paging",
						 (unsigned long long)m->x.phys_load,
						 (unsigned long long)(m->l->syms.text + m->x.voff),
						 (unsigned long long)m->x.voff, (unsigned long long)m->x.page_offset,
						 m->x.levels);
			}
		}
		if (m->ready) {
			if (!m->vcpu_any)
				open_vcpus(m);
			take_sample(m, pcpu);
			kt_mon_bpf_tick(m, pcpu, false);
			live_check(m);
		}
		take_probes(m);
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
	take_probes(m); /* those that came with the last ring drain */
	kt_mon_bpf_tick(m, pcpu, true); /* what is loaded at the end */
	kt_mon_cap_finish(m->capture, &m->x);
	m->capture = NULL;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
	m->read_ns = (uint64_t)(cpu1.tv_sec - cpu0.tv_sec) * 1000000000ull + (uint64_t)cpu1.tv_nsec -
		     (uint64_t)cpu0.tv_nsec;
	free(pcpu);
	return NULL;
}
