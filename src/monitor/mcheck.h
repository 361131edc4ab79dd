/* The monitor's samples and the checks derived from them.  Pure: no
 * guest memory, no clocks; unit-tested in unit/test_monitor.c.
 *
 * Every check is "sustained": a sample (or an interval between two
 * samples) violates its threshold, and the check fails when violations
 * follow each other without a break for the sustained window (the
 * reference's 5 samples at 100 ms = 500 ms, doubled under TCG).  Each
 * check reports its first failure: CPU, signal, values and time.
 *
 * A CPU is stalled over an interval when it had runnable tasks at both
 * ends, the host did not keep its vCPU off a host CPU for half of it,
 * and it made no progress on them: its rq clock stood still (a frozen
 * CPU, the reference's definition), or it was idle at both ends (a
 * scheduler that leaves runnable tasks queued while the CPU idles and
 * ticks: a healthy CPU with runnable tasks is never seen idle at every
 * sample of a window). */
#ifndef KTSTR_MONITOR_MCHECK_H
#define KTSTR_MONITOR_MCHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One CPU in one sample. */
struct kt_mon_cpu {
	uint64_t clock;             /* rq->clock, ns */
	uint64_t run_delay, pcount; /* rq->rq_sched_info */
	uint64_t vcpu_run_ns, vcpu_wait_ns; /* host: the vCPU thread on/waiting for a host CPU */
	int64_t ev_fallback, ev_keep_last;  /* sched_ext event counters */
	uint32_t nr_running, scx_nr_running, dsq_depth, scx_flags;
	uint32_t sched_count, sched_goidle, ttwu_count;
	uint8_t idle;               /* rq->curr == rq->idle */
	bool ok;                    /* the rq was read */
	bool idle_ok, sched_ok;     /* idle, and the schedstat fields, are known */
	bool vcpu_ok, ev_ok;
};

struct kt_mon_sample {
	uint64_t t_ns;              /* since VM launch (host clock) */
	int scx_state;              /* index into the layout's names, -1: unknown */
	int switching_all;          /* -1: unknown */
	int64_t nr_rejected;        /* -1: unknown */
};

/* n samples of ncpus CPUs: cpu(i, c) = c[i * ncpus + c]. */
struct kt_mon_series {
	const struct kt_mon_sample *s;
	const struct kt_mon_cpu *c;
	size_t n;
	unsigned ncpus;
};

/* Thresholds in force (docs/monitor.md: the reference's defaults). */
#define KT_MON_IMBALANCE 4.0
#define KT_MON_DSQ_DEPTH 50u
#define KT_MON_SUSTAINED 5u
#define KT_MON_FALLBACK_RATE 200.0
#define KT_MON_KEEP_LAST_RATE 100.0
#define KT_MON_REF_INTERVAL_MS 100u /* the sustained count is in samples of this period */
#define KT_MON_DSQ_CEILING 10000u   /* deeper: not a real DSQ (data not initialised) */

struct kt_mon_limits {
	double max_imbalance_ratio;
	uint32_t max_local_dsq_depth;
	bool fail_on_stall;
	double max_fallback_rate, max_keep_last_rate;
	uint64_t window_ns;   /* sustained window */
	uint64_t interval_ns; /* sampling period */
	bool imbalance, dsq, events; /* which checks run (signals present, scheduler active) */
};

#define KT_MON_MAX_FAIL 8
struct kt_mon_verdict {
	bool ok;
	unsigned nfail;
	struct {
		uint64_t t_ns;
		char msg[300];
	} fail[KT_MON_MAX_FAIL];
	size_t judged;        /* samples evaluated */
	size_t invalid;       /* of them, skipped by the plausibility gate */
};

void kt_mon_verdict_add(struct kt_mon_verdict *v, uint64_t t_ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Evaluate samples [from, to) of s. */
void kt_mon_evaluate(const struct kt_mon_series *s, size_t from, size_t to, const struct kt_mon_limits *l,
		     struct kt_mon_verdict *v);

/* Cross-check of a guest reading of one CPU's nr_running taken when its
 * rq->clock was `clock`: the two samples bracketing that clock.  Returns
 * 1 if the reading agrees (within [min - 1, max + 1] of the two samples'
 * nr_running: the reader itself and short-lived tasks come and go), 0 if
 * not (lo/hi get the samples' range), -1 if no samples bracket it. */
int kt_mon_match_nr(const struct kt_mon_series *s, unsigned cpu, uint64_t clock, uint32_t nr, uint32_t *lo,
		    uint32_t *hi, size_t *at);

#endif
