/* Monitor checks over samples (see mcheck.h). */
#include "monitor/mcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CPU(ser, i, cpu) (&(ser)->c[(i) * (ser)->ncpus + (cpu)])
#define SEC(ns) ((double)(ns) / 1e9)

void kt_mon_verdict_add(struct kt_mon_verdict *v, uint64_t t_ns, const char *fmt, ...)
{
	va_list ap;

	v->ok = false;
	if (v->nfail >= KT_MON_MAX_FAIL)
		return;
	v->fail[v->nfail].t_ns = t_ns;
	va_start(ap, fmt);
	vsnprintf(v->fail[v->nfail].msg, sizeof(v->fail[v->nfail].msg), fmt, ap);
	va_end(ap);
	v->nfail++;
}

/* A run of consecutive violations. */
struct run {
	bool on, fired;
	uint64_t start;
};

/* Violation at time t (level checks: a sample covers one interval from
 * t; interval checks pass the start of the interval as `from`).  True
 * the first time the run spans the window. */
static bool run_step(struct run *r, bool violating, uint64_t from, uint64_t t, uint64_t span_extra,
		     uint64_t window)
{
	if (!violating) {
		r->on = false;
		return false;
	}
	if (!r->on) {
		r->on = true;
		r->start = from;
	}
	if (r->fired || t + span_extra - r->start < window)
		return false;
	r->fired = true;
	return true;
}

static bool plausible(const struct kt_mon_series *s, size_t i)
{
	for (unsigned c = 0; c < s->ncpus; c++)
		if (CPU(s, i, c)->ok && CPU(s, i, c)->dsq_depth > KT_MON_DSQ_CEILING)
			return false;
	return true;
}

void kt_mon_imbalance(const struct kt_mon_series *s, size_t i, struct kt_mon_imb *o)
{
	uint32_t mx = 0, mn = UINT32_MAX;
	unsigned n = 0;

	memset(o, 0, sizeof(*o));
	o->ratio = 1.0;
	if (s->s[i].walk_ok) {
		o->scx = true;
		for (unsigned c = 0; c < s->ncpus; c++) {
			const struct kt_mon_cpu *k = CPU(s, i, c);
			double r;

			if (!k->waiting_local || k->peer_min == UINT32_MAX)
				continue;
			r = (double)kt_mon_load(k) / (k->peer_min > 1 ? k->peer_min : 1);
			if (r > o->ratio)
				*o = (struct kt_mon_imb){ r, c, k->peer_cpu, kt_mon_load(k), k->peer_min, true };
		}
		return;
	}
	for (unsigned c = 0; c < s->ncpus; c++) {
		const struct kt_mon_cpu *k = CPU(s, i, c);

		if (!k->ok)
			continue;
		n++;
		if (k->nr_running > mx)
			mx = k->nr_running, o->hi_cpu = c;
		if (k->nr_running < mn)
			mn = k->nr_running, o->lo_cpu = c;
	}
	if (n) {
		o->hi = mx;
		o->lo = mn;
		o->ratio = (double)mx / (mn > 1 ? mn : 1);
	}
}

static void imbalance(const struct kt_mon_series *s, size_t i, const struct kt_mon_limits *l, struct run *r,
		      struct kt_mon_verdict *v)
{
	struct kt_mon_imb b;

	kt_mon_imbalance(s, i, &b);
	if (!run_step(r, b.ratio > l->max_imbalance_ratio, s->s[i].t_ns, s->s[i].t_ns, l->interval_ns, l->window_ns))
		return;
	if (b.scx)
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "imbalance ratio %.1f (cpu %u: %u tasks queued locally or running; cpu %u, where "
				   "they may run: %u) above %.1f for %.1f s (window %.1f s) at t=%.1f s",
				   b.ratio, b.hi_cpu, b.hi, b.lo_cpu, b.lo, l->max_imbalance_ratio,
				   SEC(s->s[i].t_ns + l->interval_ns - r->start), SEC(l->window_ns), SEC(s->s[i].t_ns));
	else
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "imbalance ratio %.1f (nr_running %u on cpu %u, %u on cpu %u) above %.1f for %.1f s "
				   "(window %.1f s) at t=%.1f s",
				   b.ratio, b.hi, b.hi_cpu, b.lo, b.lo_cpu, l->max_imbalance_ratio,
				   SEC(s->s[i].t_ns + l->interval_ns - r->start), SEC(l->window_ns), SEC(s->s[i].t_ns));
}

static void dsq(const struct kt_mon_series *s, size_t i, const struct kt_mon_limits *l, struct run *r,
		struct kt_mon_verdict *v)
{
	uint32_t worst = 0;
	unsigned wc = 0;

	for (unsigned c = 0; c < s->ncpus; c++)
		if (CPU(s, i, c)->ok && CPU(s, i, c)->dsq_depth > worst)
			worst = CPU(s, i, c)->dsq_depth, wc = c;
	if (run_step(r, worst > l->max_local_dsq_depth, s->s[i].t_ns, s->s[i].t_ns, l->interval_ns, l->window_ns))
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "cpu %u local DSQ depth %u above %u for %.1f s (window %.1f s) at t=%.1f s", wc, worst,
				   l->max_local_dsq_depth, SEC(s->s[i].t_ns + l->interval_ns - r->start),
				   SEC(l->window_ns), SEC(s->s[i].t_ns));
}

/* The host kept this vCPU off a host CPU for half the interval: it
 * could not have advanced. */
static bool preempted(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, uint64_t dt)
{
	return p->vcpu_ok && q->vcpu_ok &&
	       (q->vcpu_wait_ns < p->vcpu_wait_ns || q->vcpu_wait_ns - p->vcpu_wait_ns >= dt / 2);
}

int kt_mon_stalled(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, bool walk, bool none_busy, uint64_t dt)
{
	bool idle = p->idle_ok && q->idle_ok && p->idle && q->idle;

	if (!p->ok || !q->ok || preempted(p, q, dt))
		return 0; /* preempted by the host: it could not advance */
	if (p->nr_running && q->nr_running) {
		if (q->clock && q->clock == p->clock)
			return 1;
		/* A CPU with runnable tasks picks one within microseconds:
		 * seen idle at every sample of the window, it is leaving
		 * them queued (brief per-CPU kthreads in between do not
		 * count as progress).  Under sched_ext with the walk known,
		 * only its own local DSQ is its own. */
		if (idle && (!walk || (p->waiting_local && q->waiting_local)))
			return 2;
	}
	if (!walk || !idle)
		return 0;
	/* Tasks it may run elsewhere: a stall when no CPU runs anything,
	 * or when the longest-waiting of them has not run since (else it
	 * is work conservation's). */
	if (none_busy && p->may_take && q->may_take)
		return 2;
	if (p->has_oldest && q->has_oldest && p->oldest == q->oldest)
		return 3;
	return 0;
}

bool kt_mon_idle_waiting(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, uint64_t dt)
{
	return p->ok && q->ok && p->idle_ok && q->idle_ok && p->idle && q->idle && p->may_take && q->may_take &&
	       !preempted(p, q, dt);
}

/* Where the tasks an idle CPU may run wait: the busiest local DSQ. */
static unsigned busiest(const struct kt_mon_series *s, size_t i, unsigned not, uint32_t *depth)
{
	unsigned best = not;

	*depth = 0;
	for (unsigned c = 0; c < s->ncpus; c++)
		if (c != not && CPU(s, i, c)->waiting_local > *depth)
			*depth = CPU(s, i, c)->waiting_local, best = c;
	return best;
}

static bool vcpus_known(const struct kt_mon_series *s, size_t i, int cpu)
{
	for (unsigned c = 0; c < s->ncpus; c++)
		if ((cpu < 0 || (unsigned)cpu == c) && !CPU(s, i, c)->vcpu_ok)
			return false;
	return true;
}

bool kt_mon_vcpu_share(const struct kt_mon_series *s, uint64_t t0, uint64_t t1, int cpu, struct kt_vcpu_share *out)
{
	size_t a = SIZE_MAX, b = SIZE_MAX;
	uint64_t run = 0, wait = 0;

	memset(out, 0, sizeof(*out));
	if (cpu >= (int)s->ncpus)
		cpu = -1;
	/* The last sample at or before t0 (else the first after), the
	 * first at or after t1 (else the last before). */
	for (size_t i = 0; i < s->n; i++) {
		if (!vcpus_known(s, i, cpu))
			continue;
		if (s->s[i].t_ns <= t0 || a == SIZE_MAX)
			a = i;
		if (b == SIZE_MAX || s->s[b].t_ns < t1)
			b = i;
	}
	if (a == SIZE_MAX || b == SIZE_MAX || b <= a || s->s[b].t_ns <= s->s[a].t_ns)
		return false;
	for (unsigned c = 0; c < s->ncpus; c++) {
		const struct kt_mon_cpu *p = CPU(s, a, c), *q = CPU(s, b, c);

		if (cpu >= 0 && (unsigned)cpu != c)
			continue;
		out->vcpus++;
		run += q->vcpu_run_ns > p->vcpu_run_ns ? q->vcpu_run_ns - p->vcpu_run_ns : 0;
		wait += q->vcpu_wait_ns > p->vcpu_wait_ns ? q->vcpu_wait_ns - p->vcpu_wait_ns : 0;
	}
	out->span_ns = s->s[b].t_ns - s->s[a].t_ns;
	out->run = (double)run / ((double)out->span_ns * out->vcpus);
	out->wait = (double)wait / ((double)out->span_ns * out->vcpus);
	{
		uint64_t busy = 0, got = 0;
		size_t prev = a;

		for (size_t i = a + 1; i <= b; i++) {
			uint64_t dt;

			if (!vcpus_known(s, i, cpu))
				continue;
			dt = s->s[i].t_ns - s->s[prev].t_ns;
			for (unsigned c = 0; c < s->ncpus; c++) {
				const struct kt_mon_cpu *p = CPU(s, prev, c), *q = CPU(s, i, c);
				uint64_t d;

				if ((cpu >= 0 && (unsigned)cpu != c) || !p->idle_ok || !q->idle_ok || p->idle || q->idle)
					continue;
				d = q->vcpu_run_ns > p->vcpu_run_ns ? q->vcpu_run_ns - p->vcpu_run_ns : 0;
				busy += dt;
				got += d < dt ? d : dt;
			}
			prev = i;
		}
		out->busy = (double)busy / ((double)out->span_ns * out->vcpus);
		out->got = busy ? (double)got / (double)busy : 1.0;
	}
	return true;
}

bool kt_mon_none_busy(const struct kt_mon_series *s, size_t i)
{
	for (unsigned c = 0; c < s->ncpus; c++)
		if (!CPU(s, i, c)->idle_ok || !CPU(s, i, c)->idle)
			return false;
	return true;
}

static void idle_waiting(const struct kt_mon_series *s, size_t i, unsigned c, struct run *r,
			 const struct kt_mon_limits *l, struct kt_mon_verdict *v)
{
	const struct kt_mon_cpu *q = CPU(s, i, c);
	/* With every CPU idle it is a stall (the stall check's), not this. */
	bool viol = s->s[i].walk_ok && s->s[i - 1].walk_ok && !(kt_mon_none_busy(s, i) && kt_mon_none_busy(s, i - 1)) &&
		    kt_mon_idle_waiting(CPU(s, i - 1, c), q, s->s[i].t_ns - s->s[i - 1].t_ns);
	uint32_t depth;
	unsigned b;

	if (!run_step(r, viol, s->s[i - 1].t_ns, s->s[i].t_ns, 0, l->window_ns))
		return;
	b = busiest(s, i, c, &depth);
	if (depth)
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "cpu %u idle while %u runnable tasks it may run waited elsewhere (cpu %u local DSQ: "
				   "%u, shared queues: %u) for %.1f s (threshold %.1f s) at t=%.1f s",
				   c, q->may_take, b, depth, s->s[i].shared_waiting, SEC(s->s[i].t_ns - r->start),
				   SEC(l->window_ns), SEC(s->s[i].t_ns));
	else
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "cpu %u idle while %u runnable tasks it may run waited elsewhere (shared queues: %u) "
				   "for %.1f s (threshold %.1f s) at t=%.1f s",
				   c, q->may_take, s->s[i].shared_waiting, SEC(s->s[i].t_ns - r->start),
				   SEC(l->window_ns), SEC(s->s[i].t_ns));
}

/* Work conservation as a share: over the last 2 x window, the CPU-
 * intervals idle while tasks they may run waited elsewhere, against all
 * (a scheduler that keeps leaving CPUs idle for short spells, which no
 * single CPU does for a whole window).  Fires once. */
struct share {
	bool fired;
	size_t from;        /* first interval (its end sample) in the span */
	unsigned n, bad;    /* CPU-intervals in the span, of them idle-waiting */
};

static unsigned idle_waiting_cpus(const struct kt_mon_series *s, size_t i)
{
	unsigned k = 0;

	if (!s->s[i].walk_ok || !s->s[i - 1].walk_ok || (kt_mon_none_busy(s, i) && kt_mon_none_busy(s, i - 1)))
		return 0;
	for (unsigned c = 0; c < s->ncpus; c++)
		k += kt_mon_idle_waiting(CPU(s, i - 1, c), CPU(s, i, c), s->s[i].t_ns - s->s[i - 1].t_ns);
	return k;
}

static void idle_share(const struct kt_mon_series *s, size_t i, struct share *sh, const struct kt_mon_limits *l,
		       struct kt_mon_verdict *v)
{
	uint64_t span = 2 * l->window_ns;

	if (sh->fired || !s->s[i].walk_ok || !s->s[i - 1].walk_ok) {
		sh->n = sh->bad = 0;
		sh->from = i + 1;
		return;
	}
	if (!sh->n)
		sh->from = i;
	sh->n += s->ncpus;
	sh->bad += idle_waiting_cpus(s, i);
	while (sh->from < i && s->s[i].t_ns - s->s[sh->from - 1].t_ns > span) {
		sh->n -= s->ncpus;
		sh->bad -= idle_waiting_cpus(s, sh->from);
		sh->from++;
	}
	if (s->s[i].t_ns - s->s[sh->from - 1].t_ns + l->interval_ns < span ||
	    100.0 * sh->bad < l->max_idle_waiting_pct * sh->n)
		return;
	sh->fired = true;
	kt_mon_verdict_add(v, s->s[i].t_ns,
			   "CPUs idle while runnable tasks they may run waited elsewhere for %.0f%% of CPU time over "
			   "%.1f s (threshold %.0f%%) at t=%.1f s",
			   100.0 * sh->bad / sh->n, SEC(s->s[i].t_ns - s->s[sh->from - 1].t_ns), l->max_idle_waiting_pct,
			   SEC(s->s[i].t_ns));
}

/* Misplacement as a mean: random placement piles tasks on local DSQs
 * that drain and pile up again elsewhere, seldom on one CPU for a whole
 * window, so the sustained ratio misses it; averaged over the range
 * (samples whose walk is known: shared queues are shared) it shows.
 * The worst sample names the CPUs. */
struct mean_imb {
	double sum;
	unsigned n;
	uint64_t t0, t1, worst_t;
	struct kt_mon_imb worst;
};

static void mean_imb_add(const struct kt_mon_series *s, size_t i, struct mean_imb *m)
{
	struct kt_mon_imb b;

	if (!s->s[i].walk_ok)
		return;
	kt_mon_imbalance(s, i, &b);
	if (!m->n++)
		m->t0 = s->s[i].t_ns;
	m->t1 = s->s[i].t_ns;
	m->sum += b.ratio;
	if (b.ratio > m->worst.ratio || m->n == 1)
		m->worst = b, m->worst_t = s->s[i].t_ns;
}

static void mean_imb_judge(const struct mean_imb *m, const struct kt_mon_limits *l, struct kt_mon_verdict *v)
{
	double mean;

	if (!m->n)
		return;
	mean = m->sum / m->n;
	v->mean_imbalance = mean;
	v->mean_span_ns = m->t1 - m->t0 + l->interval_ns;
	if (l->max_mean_imbalance <= 0 || m->n < 2 || v->mean_span_ns < l->window_ns || mean <= l->max_mean_imbalance)
		return;
	kt_mon_verdict_add(v, m->t1,
			   "misplaced work: imbalance ratio %.1f on average over %.1f s (%u samples; threshold %.1f) of "
			   "where tasks wait, up to %.1f (cpu %u: %u tasks queued locally or running; cpu %u, where "
			   "they may run: %u) at t=%.1f s",
			   mean, SEC(v->mean_span_ns), m->n, l->max_mean_imbalance, m->worst.ratio,
			   m->worst.hi_cpu, m->worst.hi, m->worst.lo_cpu, m->worst.lo, SEC(m->worst_t));
}

static void rate(const struct kt_mon_series *s, size_t i, bool keep_last, double max, struct run *r,
		 const struct kt_mon_limits *l, struct kt_mon_verdict *v)
{
	int64_t d = 0;
	double dt = SEC(s->s[i].t_ns - s->s[i - 1].t_ns), rt;

	for (unsigned c = 0; c < s->ncpus; c++) {
		const struct kt_mon_cpu *p = CPU(s, i - 1, c), *q = CPU(s, i, c);

		if (!p->ev_ok || !q->ev_ok)
			continue;
		d += keep_last ? q->ev_keep_last - p->ev_keep_last : q->ev_fallback - p->ev_fallback;
	}
	rt = dt > 0 && d > 0 ? (double)d / dt : 0;
	if (run_step(r, rt > max, s->s[i - 1].t_ns, s->s[i].t_ns, 0, l->window_ns))
		kt_mon_verdict_add(v, s->s[i].t_ns, "%s rate %.1f/s above %.1f/s for %.1f s (window %.1f s) at t=%.1f s",
				   keep_last ? "dispatch keep_last" : "select_cpu fallback", rt, max,
				   SEC(s->s[i].t_ns - r->start), SEC(l->window_ns), SEC(s->s[i].t_ns));
}

void kt_mon_evaluate(const struct kt_mon_series *s, size_t from, size_t to, const struct kt_mon_limits *l,
		     struct kt_mon_verdict *v)
{
	struct run imb = { 0 }, dq = { 0 }, fb = { 0 }, kl = { 0 };
	struct share share = { 0 };
	struct mean_imb mi = { 0 };
	struct run stall[256] = { { 0 } }, wc[256] = { { 0 } };
	bool prev_ok = false;

	memset(v, 0, sizeof(*v));
	v->ok = true;
	if (to > s->n)
		to = s->n;
	for (size_t i = from; i < to; i++) {
		bool ok = plausible(s, i);

		v->judged++;
		if (!ok) {
			/* Not a real DSQ depth: the rq is not what we think it
			 * is (yet); break every run. */
			v->invalid++;
			imb.on = dq.on = fb.on = kl.on = false;
			for (unsigned c = 0; c < s->ncpus && c < 256; c++)
				stall[c].on = wc[c].on = false;
			prev_ok = false;
			continue;
		}
		if (l->imbalance) {
			imbalance(s, i, l, &imb, v);
			mean_imb_add(s, i, &mi);
		}
		if (l->dsq)
			dsq(s, i, l, &dq, v);
		if (prev_ok && l->fail_on_stall) {
			uint64_t dt = s->s[i].t_ns - s->s[i - 1].t_ns;
			bool walk = s->s[i].walk_ok && s->s[i - 1].walk_ok;
			bool idle_all = walk && kt_mon_none_busy(s, i) && kt_mon_none_busy(s, i - 1);

			for (unsigned c = 0; c < s->ncpus && c < 256; c++) {
				const struct kt_mon_cpu *q = CPU(s, i, c);
				int why = kt_mon_stalled(CPU(s, i - 1, c), q, walk, idle_all, dt);

				/* The kinds are one stall seen different ways: an idle
				 * CPU's clock stops (1, NOHZ) between samples that see
				 * it idle with work queued (2, 3); other CPUs going
				 * briefly busy switch 2 and 3.  One run for all; the
				 * message names the kind seen last. */
				if (!run_step(&stall[c], why, s->s[i - 1].t_ns, s->s[i].t_ns, 0, l->window_ns))
					continue;
				if (v->nfail < KT_MON_MAX_FAIL) {
					v->fail[v->nfail].stall = true;
					v->fail[v->nfail].from_ns = stall[c].start;
					v->fail[v->nfail].cpu = c;
				}
				if (why == 1)
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: rq clock unchanged for %.1f s with "
							   "nr_running=%u (threshold %.1f s) at t=%.1f s",
							   c, SEC(s->s[i].t_ns - stall[c].start), q->nr_running,
							   SEC(l->window_ns), SEC(s->s[i].t_ns));
				else if (why == 3)
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: idle while %u runnable tasks it may run "
							   "waited (shared queues: %u), the longest-waiting one not run "
							   "for %.1f s (threshold %.1f s) at t=%.1f s",
							   c, q->may_take + q->waiting_local, s->s[i].shared_waiting,
							   SEC(s->s[i].t_ns - stall[c].start), SEC(l->window_ns),
							   SEC(s->s[i].t_ns));
				else if (walk)
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: idle with %u runnable tasks in its local DSQ "
							   "and %u more it may run (shared queues: %u)%s for %.1f s "
							   "(threshold %.1f s) at t=%.1f s",
							   c, q->waiting_local, q->may_take, s->s[i].shared_waiting,
							   idle_all ? " while no CPU ran anything" : "",
							   SEC(s->s[i].t_ns - stall[c].start), SEC(l->window_ns),
							   SEC(s->s[i].t_ns));
				else
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: idle with nr_running=%u runnable tasks "
							   "for %.1f s (threshold %.1f s) at t=%.1f s",
							   c, q->nr_running, SEC(s->s[i].t_ns - stall[c].start),
							   SEC(l->window_ns), SEC(s->s[i].t_ns));
			}
		}
		if (prev_ok && l->fail_on_idle_waiting) {
			for (unsigned c = 0; c < s->ncpus && c < 256; c++)
				idle_waiting(s, i, c, &wc[c], l, v);
			if (l->max_idle_waiting_pct > 0)
				idle_share(s, i, &share, l, v);
		} else {
			share.n = share.bad = 0;
		}
		if (prev_ok && l->events) {
			rate(s, i, false, l->max_fallback_rate, &fb, l, v);
			rate(s, i, true, l->max_keep_last_rate, &kl, l, v);
		}
		prev_ok = true;
	}
	if (l->imbalance)
		mean_imb_judge(&mi, l, v);
}

bool kt_mon_xcheck_thin(unsigned total, unsigned matched)
{
	return total && (uint64_t)matched * 2 < total;
}

bool kt_mon_xcheck_off(unsigned matched, unsigned agree)
{
	return agree > matched || (uint64_t)(matched - agree) * 20 > matched;
}

int kt_mon_match_nr(const struct kt_mon_series *s, unsigned cpu, uint64_t clock, uint32_t nr, uint32_t *lo,
		    uint32_t *hi, size_t *at)
{
	size_t prev = SIZE_MAX;

	if (cpu >= s->ncpus)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		const struct kt_mon_cpu *k = CPU(s, i, cpu);

		if (!k->ok || !k->clock)
			continue;
		if (k->clock >= clock && prev != SIZE_MAX && CPU(s, prev, cpu)->clock <= clock) {
			uint32_t a = CPU(s, prev, cpu)->nr_running, b = k->nr_running;

			/* An exact clock match pins the moment to one sample. */
			if (k->clock == clock)
				a = b;
			else if (CPU(s, prev, cpu)->clock == clock)
				b = a;
			*lo = a < b ? a : b;
			*hi = a < b ? b : a;
			*at = i;
			return nr + 1 >= *lo && nr <= *hi + 1;
		}
		prev = i;
	}
	return -1;
}
