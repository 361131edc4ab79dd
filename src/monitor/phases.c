/* Phases, their changes and the run's totals (phases.h). */
#include "monitor/phases.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CPU(ser, i, cpu) (&(ser)->c[(i) * (ser)->ncpus + (cpu)])
#define SEC(ns) ((double)(ns) / 1e9)

/* Interval (i-1, i): CPU-intervals stalled and idle while work waited. */
static void interval(const struct kt_mon_series *s, size_t i, unsigned *stalled, unsigned *idle_waiting)
{
	bool walk = s->s[i].walk_ok && s->s[i - 1].walk_ok;
	bool none = walk && kt_mon_none_busy(s, i) && kt_mon_none_busy(s, i - 1);
	uint64_t dt = s->s[i].t_ns - s->s[i - 1].t_ns;

	for (unsigned c = 0; c < s->ncpus; c++) {
		const struct kt_mon_cpu *p = CPU(s, i - 1, c), *q = CPU(s, i, c);

		if (kt_mon_stalled(p, q, walk, none, dt))
			(*stalled)++;
		else if (walk && !none && kt_mon_idle_waiting(p, q, dt))
			(*idle_waiting)++;
	}
}

static uint32_t dsq_max(const struct kt_mon_series *s, size_t i, unsigned *cpu)
{
	uint32_t mx = 0;

	for (unsigned c = 0; c < s->ncpus; c++)
		if (CPU(s, i, c)->ok && CPU(s, i, c)->dsq_depth > mx && CPU(s, i, c)->dsq_depth <= KT_MON_DSQ_CEILING)
			mx = CPU(s, i, c)->dsq_depth, *cpu = c;
	return mx;
}

void kt_mon_totals(const struct kt_mon_series *s, size_t from, size_t to, struct kt_mon_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->imb_max = 1.0;
	if (to > s->n)
		to = s->n;
	for (size_t i = from; i < to; i++) {
		struct kt_mon_imb b;
		unsigned cpu = 0;
		uint32_t d = dsq_max(s, i, &cpu);

		t->n++;
		kt_mon_imbalance(s, i, &b);
		if (b.ratio > t->imb_max)
			t->imb_max = b.ratio, t->imb_t = s->s[i].t_ns;
		if (d > t->dsq_max)
			t->dsq_max = d, t->dsq_cpu = cpu;
		if (i > from)
			interval(s, i, &t->stalled, &t->idle_waiting);
	}
}

size_t kt_mon_phases(const struct kt_mon_series *s, const struct kt_mon_mark *marks, size_t nmarks, uint64_t t_end,
		     struct kt_mon_phase *out, size_t max)
{
	size_t np = 0, i = 0;

	for (size_t k = 0; k < nmarks && np < max; k++) {
		struct kt_mon_phase *p = &out[np++];
		uint64_t t1 = k + 1 < nmarks ? marks[k + 1].t_ns : t_end;
		double dsq_sum = 0, imb_sum = 0;

		memset(p, 0, sizeof(*p));
		p->t0 = marks[k].t_ns;
		p->t1 = t1 > p->t0 ? t1 : p->t0;
		snprintf(p->label, sizeof(p->label), "%s", marks[k].label);
		p->imb_max = 1.0;
		if (k + 1 < nmarks && marks[k].have_iter && marks[k + 1].have_iter && p->t1 > p->t0 &&
		    marks[k + 1].iter >= marks[k].iter) {
			p->have_rate = true;
			p->iter_rate = (double)(marks[k + 1].iter - marks[k].iter) / SEC(p->t1 - p->t0);
		}
		while (i < s->n && s->s[i].t_ns < p->t0)
			i++;
		for (; i < s->n && s->s[i].t_ns < p->t1; i++) {
			struct kt_mon_imb b;
			unsigned cpu = 0, sum = 0;

			kt_mon_imbalance(s, i, &b);
			p->n++;
			imb_sum += b.ratio;
			if (b.ratio > p->imb_max)
				p->imb_max = b.ratio;
			for (unsigned c = 0; c < s->ncpus; c++)
				sum += CPU(s, i, c)->ok && CPU(s, i, c)->dsq_depth <= KT_MON_DSQ_CEILING ? CPU(s, i, c)->dsq_depth
													   : 0;
			dsq_sum += s->ncpus ? (double)sum / s->ncpus : 0;
			if (dsq_max(s, i, &cpu) > p->dsq_max)
				p->dsq_max = dsq_max(s, i, &cpu);
			if (p->n > 1)
				interval(s, i, &p->stalled, &p->idle_waiting);
		}
		if (p->n) {
			p->imb_avg = imb_sum / (double)p->n;
			p->dsq_avg = dsq_sum / (double)p->n;
		}
	}
	return np;
}

/* What changed from a to b, appended to out ("" if nothing). */
static void changes(const struct kt_mon_phase *a, const struct kt_mon_phase *b, struct kbuf *out)
{
	const char *sep = "";

	if (fabs(b->imb_avg - a->imb_avg) > 0.5) {
		kt_kbuf_printf(out, "%simbalance %+.1f (%s)", sep, b->imb_avg - a->imb_avg,
			       b->imb_avg > a->imb_avg ? "DEGRADATION" : "IMPROVEMENT");
		sep = "; ";
	}
	if (fabs(b->dsq_avg - a->dsq_avg) > 3.0) {
		kt_kbuf_printf(out, "%slocal DSQ depth %+.1f (%s)", sep, b->dsq_avg - a->dsq_avg,
			       b->dsq_avg > a->dsq_avg ? "DEGRADATION" : "IMPROVEMENT");
		sep = "; ";
	}
	if (!a->stalled != !b->stalled) {
		kt_kbuf_printf(out, "%sstalled CPUs %s (%s)", sep, b->stalled ? "appear" : "gone",
			       b->stalled ? "DEGRADATION" : "IMPROVEMENT");
		sep = "; ";
	}
	if (!a->idle_waiting != !b->idle_waiting) {
		kt_kbuf_printf(out, "%sCPUs idle while work waits %s (%s)", sep, b->idle_waiting ? "appear" : "gone",
			       b->idle_waiting ? "DEGRADATION" : "IMPROVEMENT");
		sep = "; ";
	}
	if (a->have_rate && b->have_rate && a->iter_rate > 0 && fabs(b->iter_rate - a->iter_rate) / a->iter_rate > 0.3)
		kt_kbuf_printf(out, "%siteration rate %+.0f%% (%s)", sep, 100.0 * (b->iter_rate - a->iter_rate) / a->iter_rate,
			       b->iter_rate < a->iter_rate ? "DEGRADATION" : "IMPROVEMENT");
}

void kt_mon_phases_text(const struct kt_mon_phase *p, size_t n, struct kbuf *out)
{
	const struct kt_mon_phase *prev = NULL;

	for (size_t k = 0; k < n; k++) {
		if (!p[k].n)
			continue; /* a boundary right after another */
		kt_kbuf_printf(out, "%-12s t=%.1f-%.1f s  samples=%zu  imbalance avg %.1f max %.1f  local DSQ avg %.1f "
				    "max %u  stalled %u  idle-while-waiting %u",
			       p[k].label, SEC(p[k].t0), SEC(p[k].t1), p[k].n, p[k].imb_avg, p[k].imb_max, p[k].dsq_avg,
			       p[k].dsq_max, p[k].stalled, p[k].idle_waiting);
		if (p[k].have_rate)
			kt_kbuf_printf(out, "  iterations/s %.0f", p[k].iter_rate);
		if (prev) {
			size_t at = out->len;

			kt_kbuf_printf(out, "  | vs %s: ", prev->label);
			{
				size_t mark = out->len;

				changes(prev, &p[k], out);
				if (out->len == mark)
					out->len = at; /* nothing changed: no suffix */
			}
		}
		kt_kbuf_printf(out, "\n");
		prev = &p[k];
	}
}
