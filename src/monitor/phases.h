/* The monitor's account of a run for the failure report and the
 * sidecar (docs/monitor.md): a one-line summary and a timeline of the
 * scenario's phases (delimited by the guest's scenario events) with
 * what changed from one phase to the next.  Pure. */
#ifndef KTSTR_MONITOR_PHASES_H
#define KTSTR_MONITOR_PHASES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "monitor/mcheck.h"
#include "util/util.h"

/* A phase boundary: the scenario started, a step started, it ended. */
struct kt_mon_mark {
	uint64_t t_ns;
	char label[40];
	bool have_iter;
	uint64_t iter;       /* every worker's iterations so far */
};

struct kt_mon_phase {
	uint64_t t0, t1;
	char label[40];
	size_t n;            /* samples */
	double imb_avg, imb_max;
	double dsq_avg;
	uint32_t dsq_max;
	unsigned stalled;    /* CPU-intervals the stall check counts */
	unsigned idle_waiting; /* CPU-intervals idle while work it may run waited */
	bool have_rate;
	double iter_rate;    /* iterations per second */
};

/* Phases from marks (sorted by time) up to t_end; samples before the
 * first mark belong to none.  Returns how many (at most max). */
size_t kt_mon_phases(const struct kt_mon_series *s, const struct kt_mon_mark *marks, size_t nmarks, uint64_t t_end,
		     struct kt_mon_phase *out, size_t max);
/* One line per phase with samples, and what changed from the previous
 * one (the reference's thresholds: imbalance 0.5, DSQ depth 3, iteration
 * rate 30 %; stalls and idle-while-waiting appearing or going). */
void kt_mon_phases_text(const struct kt_mon_phase *p, size_t n, struct kbuf *out);

/* Over samples [from, to): how many, the largest imbalance (and when),
 * the deepest local DSQ (and where), stalled and idle-while-waiting
 * CPU-intervals. */
struct kt_mon_totals {
	size_t n;
	double imb_max;
	uint64_t imb_t;
	uint32_t dsq_max;
	unsigned dsq_cpu;
	unsigned stalled, idle_waiting;
};
void kt_mon_totals(const struct kt_mon_series *s, size_t from, size_t to, struct kt_mon_totals *t);

#endif
