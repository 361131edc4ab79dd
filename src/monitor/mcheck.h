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
	/* Where sched_ext work waits (the sample's walk_ok; kt_mon_place):
	 * tasks waiting in this CPU's local DSQ, waiting tasks elsewhere
	 * (other local DSQs, shared DSQs, the scheduler's own queues) that
	 * this CPU may run, and the least load (local DSQ + running) of the
	 * other CPUs the tasks in its local DSQ may run on (UINT32_MAX:
	 * none). */
	uint16_t waiting_local, may_take;
	uint16_t peer_cpu;          /* the CPU with peer_min */
	uint32_t peer_min;
	bool has_oldest;            /* oldest: p->scx.runnable_at (jiffies) of the */
	uint64_t oldest;            /* longest-waiting task it may run, own DSQ included */
};

/* A CPU's sched_ext load: what waits in its local DSQ and what it runs. */
static inline uint32_t kt_mon_load(const struct kt_mon_cpu *k)
{
	return k->waiting_local + (k->idle_ok && !k->idle);
}

struct kt_mon_sample {
	uint64_t t_ns;              /* since VM launch (host clock) */
	int scx_state;              /* index into the layout's names, -1: unknown */
	int switching_all;          /* -1: unknown */
	int64_t nr_rejected;        /* -1: unknown */
	bool walk_ok;               /* every CPU's waiting tasks were read */
	uint32_t shared_waiting;    /* waiting tasks not in a local DSQ */
};

/* One waiting (runnable, not running) sched_ext task of a sample. */
#define KT_MON_MASK_WORDS 4u /* CPU masks of up to 256 CPUs */
struct kt_mon_task {
	int32_t local;       /* the CPU whose local DSQ holds it; -1: elsewhere */
	uint64_t runnable_at; /* jiffies: waiting since (reset each time it runs) */
	uint64_t mask[KT_MON_MASK_WORDS]; /* the CPUs it may run on */
};
/* Pure: fill waiting_local, may_take and peer_min of cs[0..ncpus) (their
 * idle fields set) from the sample's n waiting tasks; *shared gets how
 * many wait outside any local DSQ. */
void kt_mon_place(const struct kt_mon_task *t, size_t n, unsigned ncpus, struct kt_mon_cpu *cs, uint32_t *shared);

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
#define KT_MON_IDLE_WAITING_PCT 10.0 /* of CPU time idle while work it may run waits */
#define KT_MON_MEAN_IMBALANCE 2.0    /* the imbalance ratio averaged over the judged run */

struct kt_mon_limits {
	double max_imbalance_ratio;
	uint32_t max_local_dsq_depth;
	bool fail_on_stall;
	double max_fallback_rate, max_keep_last_rate;
	bool fail_on_idle_waiting; /* work conservation (where the walk is known) */
	double max_idle_waiting_pct; /* ... and its share of CPU time over twice the window */
	/* misplacement: the imbalance ratio of where sched_ext work waits
	 * (walk known) averaged over the range, judged at its end when the
	 * averaged samples span a window; 0: off */
	double max_mean_imbalance;
	uint64_t window_ns;   /* sustained window */
	uint64_t interval_ns; /* sampling period */
	bool imbalance, dsq, events; /* which checks run (signals present, scheduler active) */
};

/* One sample's imbalance ratio and the CPUs behind it.  Where the
 * sample says where sched_ext work waits (walk_ok): the largest ratio of
 * a CPU's load (local DSQ + running) to the least load of another CPU
 * its local DSQ's tasks may run on (1.0 when no task waits in a local
 * DSQ: shared queues are shared); otherwise the reference's
 * max(nr_running) / max(1, min(nr_running)) over all CPUs. */
struct kt_mon_imb {
	double ratio;
	unsigned hi_cpu, lo_cpu;
	uint32_t hi, lo;
	bool scx;             /* from the walk */
};
void kt_mon_imbalance(const struct kt_mon_series *s, size_t i, struct kt_mon_imb *out);
/* The interval (p, q) of one CPU (dt long): 0 not stalled, 1 clock
 * frozen, 2 idle with runnable tasks, 3 idle while the longest-waiting
 * task it may run has not run since before the interval.  With the walk
 * (walk: both samples) the tasks of 2 are those in its own local DSQ, or
 * any it may run while no CPU ran anything (none_busy: at both ends). */
int kt_mon_stalled(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, bool walk, bool none_busy, uint64_t dt);
/* How much host CPU the vCPU threads got over [t0, t1] (the samples
 * bracketing it; cpu < 0: all vCPUs): run and wait (runnable on the
 * host, not running) as fractions of the span per vCPU; busy: the
 * fraction of it the guest CPUs were running a task at both ends of an
 * interval (a halted vCPU wants no host CPU), and got: host CPU time
 * over that busy time (capped per interval).  false without vCPU times
 * there. */
struct kt_vcpu_share {
	double run, wait;
	double busy, got;
	uint64_t span_ns;
	unsigned vcpus;
};
bool kt_mon_vcpu_share(const struct kt_mon_series *s, uint64_t t0, uint64_t t1, int cpu, struct kt_vcpu_share *out);
/* No CPU of sample i runs anything. */
bool kt_mon_none_busy(const struct kt_mon_series *s, size_t i);
/* The interval (p, q) of one CPU: idle at both ends while tasks it may
 * run waited elsewhere, and not kept off a host CPU by the host. */
bool kt_mon_idle_waiting(const struct kt_mon_cpu *p, const struct kt_mon_cpu *q, uint64_t dt);

#define KT_MON_MAX_FAIL 8
struct kt_mon_verdict {
	bool ok;
	unsigned nfail;
	struct {
		uint64_t t_ns;
		char msg[300];
		bool stall;       /* the stall check's: it began at from_ns on cpu */
		uint64_t from_ns;
		unsigned cpu;
	} fail[KT_MON_MAX_FAIL];
	size_t judged;        /* samples evaluated */
	size_t invalid;       /* of them, skipped by the plausibility gate */
	double mean_imbalance; /* the averaged imbalance ratio (walk known), over */
	uint64_t mean_span_ns; /* ... this span; 0: none */
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
/* Whether `matched` of `total` readings fell between two samples is
 * enough (at least half), and whether `agree` of those agreeing is
 * (at most 5 % off): a reading that counts its own reader cannot be
 * off (the guest leaves its CPU out), so the few left are transitions. */
bool kt_mon_xcheck_thin(unsigned total, unsigned matched);
bool kt_mon_xcheck_off(unsigned matched, unsigned agree);

#endif
