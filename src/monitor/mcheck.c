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

static void imbalance(const struct kt_mon_series *s, size_t i, const struct kt_mon_limits *l, struct run *r,
		      struct kt_mon_verdict *v)
{
	uint32_t mx = 0, mn = UINT32_MAX;
	unsigned cmx = 0, cmn = 0, n = 0;
	double ratio;

	for (unsigned c = 0; c < s->ncpus; c++) {
		const struct kt_mon_cpu *k = CPU(s, i, c);

		if (!k->ok)
			continue;
		n++;
		if (k->nr_running > mx)
			mx = k->nr_running, cmx = c;
		if (k->nr_running < mn)
			mn = k->nr_running, cmn = c;
	}
	ratio = n ? (double)mx / (mn > 1 ? mn : 1) : 1.0;
	if (run_step(r, ratio > l->max_imbalance_ratio, s->s[i].t_ns, s->s[i].t_ns, l->interval_ns, l->window_ns))
		kt_mon_verdict_add(v, s->s[i].t_ns,
				   "imbalance ratio %.1f (nr_running %u on cpu %u, %u on cpu %u) above %.1f for %.1f s "
				   "(window %.1f s) at t=%.1f s",
				   ratio, mx, cmx, mn, cmn, l->max_imbalance_ratio,
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

/* Interval (p, q) of one CPU (see mcheck.h): 0 not stalled, 1 clock
 * frozen, 2 idle with runnable tasks. */
static int stalled(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, uint64_t dt)
{
	if (!p->ok || !q->ok || !p->nr_running || !q->nr_running)
		return 0; /* (also: idle vCPUs are exempt) */
	if (p->vcpu_ok && q->vcpu_ok &&
	    (q->vcpu_wait_ns < p->vcpu_wait_ns || q->vcpu_wait_ns - p->vcpu_wait_ns >= dt / 2))
		return 0; /* preempted by the host: it could not advance */
	if (q->clock && q->clock == p->clock)
		return 1;
	/* A CPU with runnable tasks picks one within microseconds: seen
	 * idle at every sample of the window, it is leaving them queued
	 * (brief per-CPU kthreads in between do not count as progress). */
	if (p->idle_ok && q->idle_ok && p->idle && q->idle)
		return 2;
	return 0;
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
	struct run stall[256] = { { 0 } };
	int stall_kind[256] = { 0 };
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
				stall[c].on = false;
			prev_ok = false;
			continue;
		}
		if (l->imbalance)
			imbalance(s, i, l, &imb, v);
		if (l->dsq)
			dsq(s, i, l, &dq, v);
		if (prev_ok && l->fail_on_stall) {
			uint64_t dt = s->s[i].t_ns - s->s[i - 1].t_ns;

			for (unsigned c = 0; c < s->ncpus && c < 256; c++) {
				const struct kt_mon_cpu *q = CPU(s, i, c);
				int why = stalled(CPU(s, i - 1, c), q, dt);

				if (why && stall_kind[c] && why != stall_kind[c])
					stall[c].on = false; /* a different kind of stall starts its own run */
				stall_kind[c] = why;
				if (!run_step(&stall[c], why, s->s[i - 1].t_ns, s->s[i].t_ns, 0, l->window_ns))
					continue;
				if (why == 1)
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: rq clock unchanged for %.1f s with "
							   "nr_running=%u (threshold %.1f s) at t=%.1f s",
							   c, SEC(s->s[i].t_ns - stall[c].start), q->nr_running,
							   SEC(l->window_ns), SEC(s->s[i].t_ns));
				else
					kt_mon_verdict_add(v, s->s[i].t_ns,
							   "cpu %u stalled: idle with nr_running=%u runnable tasks "
							   "for %.1f s (threshold %.1f s) at t=%.1f s",
							   c, q->nr_running, SEC(s->s[i].t_ns - stall[c].start),
							   SEC(l->window_ns), SEC(s->s[i].t_ns));
			}
		}
		if (prev_ok && l->events) {
			rate(s, i, false, l->max_fallback_rate, &fb, l, v);
			rate(s, i, true, l->max_keep_last_rate, &kl, l, v);
		}
		prev_ok = true;
	}
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
