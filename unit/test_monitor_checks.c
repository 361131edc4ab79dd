/* The monitor's pure checks (src/monitor/mcheck.c) and the placement of
 * waiting sched_ext tasks (kt_mon_place, src/monitor/walk.c). */
#include "unit.h"
#include "monitor/mcheck.h"

#include <stdint.h>
#include <string.h>

#define NS 100000000ull /* 100 ms samples */
#define MAXN 40
#define MAXC 4

struct fixture {
	struct kt_mon_sample s[MAXN];
	struct kt_mon_cpu c[MAXN * MAXC];
	struct kt_mon_series ser;
	struct kt_mon_limits l;
};

static void init(struct fixture *f, size_t n, unsigned ncpus)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f->s[i].t_ns = i * NS;
		for (unsigned c = 0; c < ncpus; c++) {
			struct kt_mon_cpu *k = &f->c[i * ncpus + c];

			k->ok = k->idle_ok = true;
			k->clock = 1000 + i * NS; /* advancing */
			k->peer_min = UINT32_MAX;
		}
	}
	f->ser = (struct kt_mon_series){ f->s, f->c, n, ncpus };
	f->l = (struct kt_mon_limits){ .max_imbalance_ratio = 4.0, .max_local_dsq_depth = 50, .fail_on_stall = true,
				       .fail_on_idle_waiting = true, .window_ns = 10 * NS, .interval_ns = NS,
				       .imbalance = true, .dsq = true };
}

static struct kt_mon_task task(int local, uint64_t mask)
{
	struct kt_mon_task t = { .local = local };

	t.mask[0] = mask;
	return t;
}

/* Sample i: the CPUs' idle flags (bit c: idle) and the waiting tasks.
 * Tasks that take turns (rotate) wait since the sample before; the
 * others since the start. */
static void place_at(struct fixture *f, size_t i, unsigned idle_bits, struct kt_mon_task *t, size_t n, bool rotate)
{
	struct kt_mon_cpu *cs = &f->c[i * f->ser.ncpus];

	for (size_t k = 0; k < n; k++)
		t[k].runnable_at = rotate ? 5000 + i + k : 5000;

	for (unsigned c = 0; c < f->ser.ncpus; c++) {
		cs[c].idle = (idle_bits >> c) & 1;
		cs[c].nr_running = !cs[c].idle;
	}
	for (size_t k = 0; k < n; k++)
		if (t[k].local >= 0)
			cs[t[k].local].nr_running++, cs[t[k].local].dsq_depth++;
		else
			cs[0].nr_running++; /* shared: counted on some rq */
	kt_mon_place(t, n, f->ser.ncpus, cs, &f->s[i].shared_waiting);
	f->s[i].walk_ok = true;
}

static void place(struct fixture *f, size_t i, unsigned idle_bits, struct kt_mon_task *t, size_t n)
{
	place_at(f, i, idle_bits, t, n, true);
}

UNIT_TEST(monitor_place_counts)
{
	struct kt_mon_cpu cs[3] = { 0 };
	struct kt_mon_task t[4] = { task(0, 0x7), task(0, 0x1), task(-1, 0x6), task(-1, 0x1) };
	uint32_t shared;

	t[0].runnable_at = 300;
	t[1].runnable_at = 200;
	t[2].runnable_at = 100;
	t[3].runnable_at = 400;

	cs[0].idle_ok = cs[1].idle_ok = cs[2].idle_ok = true;
	cs[1].idle = cs[2].idle = 1;
	kt_mon_place(t, 4, 3, cs, &shared);
	CHECK_EQ_INT(shared, 2);
	CHECK_EQ_INT(cs[0].waiting_local, 2);
	CHECK_EQ_INT(kt_mon_load(&cs[0]), 3);                /* 2 queued + running */
	CHECK_EQ_INT(cs[0].may_take, 1);                     /* the shared one pinned to cpu 0 */
	CHECK_EQ_INT(cs[1].may_take, 2);                     /* one from cpu 0's DSQ, one shared */
	CHECK_EQ_INT(cs[2].may_take, 2);
	CHECK_EQ_INT(cs[0].peer_min, 0);                     /* cpu 1 (idle, empty) may take one */
	CHECK_EQ_INT(cs[0].peer_cpu, 1);
	CHECK((uint32_t)cs[1].peer_min == UINT32_MAX);       /* nothing in its own DSQ */
	CHECK(cs[0].has_oldest && cs[0].oldest == 200);      /* its own DSQ's, older than the shared one */
	CHECK(cs[1].has_oldest && cs[1].oldest == 100);
}

/* scx_simple under cpusets: 40 tasks on the shared DSQ, counted on one
 * CPU's rq (nr_running 41 vs 1), every CPU busy: the reference's ratio
 * is 41, where work waits says 1. */
UNIT_TEST(monitor_shared_queue_is_not_imbalance)
{
	struct fixture f;
	struct kt_mon_task t[40];
	struct kt_mon_verdict v;
	struct kt_mon_imb b;

	init(&f, 20, 4);
	for (int k = 0; k < 40; k++)
		t[k] = task(-1, k < 30 ? 0x3 : 0xc);
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0, t, 40);
	kt_mon_imbalance(&f.ser, 5, &b);
	CHECK(b.scx);
	CHECK_NEAR(b.ratio, 1.0, 1e-9);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(v.ok);
	/* Without the walk the same counts fail the reference's ratio. */
	for (size_t i = 0; i < 20; i++)
		f.s[i].walk_ok = false;
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok && strstr(v.fail[0].msg, "imbalance ratio 41.0"));
}

/* One CPU with 3 runnable (2 queued + running) while another idles: a
 * ratio of 3 passes the imbalance check, work conservation fails it. */
UNIT_TEST(monitor_idle_while_work_waits)
{
	struct fixture f;
	struct kt_mon_task t[2] = { task(0, 0x3), task(0, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 20, 2);
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0x2, t, 2);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok);
	CHECK_EQ_INT(v.nfail, 1);
	CHECK(strstr(v.fail[0].msg, "cpu 1 idle while 2 runnable tasks it may run waited elsewhere (cpu 0 local DSQ: 2"));
	CHECK(strstr(v.fail[0].msg, "for 1.0 s"));
	/* The same tasks pinned to cpu 0: nothing cpu 1 could do. */
	t[0] = task(0, 0x1);
	t[1] = task(0, 0x1);
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0x2, t, 2);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(v.ok);
}

/* Not sustained: a busy sample in between breaks the run. */
UNIT_TEST(monitor_idle_waiting_sustained)
{
	struct fixture f;
	struct kt_mon_task t[1] = { task(-1, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 30, 2);
	for (size_t i = 0; i < 30; i++)
		place(&f, i, i % 8 == 7 ? 0x0 : 0x2, t, 1);
	kt_mon_evaluate(&f.ser, 0, 30, &f.l, &v);
	CHECK(v.ok);
	/* A vCPU the host kept off a CPU for half of each interval is exempt. */
	for (size_t i = 0; i < 30; i++) {
		place(&f, i, 0x2, t, 1);
		f.c[i * 2 + 1].vcpu_ok = true;
		f.c[i * 2 + 1].vcpu_wait_ns = i * NS * 3 / 4;
	}
	kt_mon_evaluate(&f.ser, 0, 30, &f.l, &v);
	CHECK(v.ok);
}

/* Every CPU idle while tasks they may run wait on a shared queue: a
 * stall, reported as one (not as work conservation). */
UNIT_TEST(monitor_all_idle_is_a_stall)
{
	struct fixture f;
	struct kt_mon_task t[3] = { task(-1, 0x3), task(-1, 0x3), task(-1, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 20, 2);
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0x3, t, 3);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok);
	CHECK(strstr(v.fail[0].msg, "stalled: idle with 0 runnable tasks in its local DSQ and 3 more it may run"));
	CHECK(strstr(v.fail[0].msg, "while no CPU ran anything"));
	for (unsigned k = 0; k < v.nfail; k++)
		CHECK(!strstr(v.fail[k].msg, "idle while"));
}

/* A stall seen different ways from one interval to the next: cpu 0's
 * clock stops (NOHZ idle) in some intervals, it is seen idle with work
 * queued in the others.  One stall, not runs cut at each change of kind
 * (which let a stall of user tasks pass the monitor, issue 12). */
UNIT_TEST(monitor_stall_kinds_alternate)
{
	struct fixture f;
	struct kt_mon_task t[3] = { task(-1, 0x3), task(-1, 0x3), task(-1, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 20, 2);
	for (size_t i = 0; i < 20; i++) {
		place_at(&f, i, 0x3, t, 3, false);
		if (i % 3 == 1)
			f.c[i * 2].clock = f.c[(i - 1) * 2].clock;
	}
	CHECK_EQ_INT(kt_mon_stalled(&f.c[0], &f.c[2], true, true, NS), 1);
	CHECK_EQ_INT(kt_mon_stalled(&f.c[2], &f.c[4], true, true, NS), 2);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok);
	CHECK(v.nfail >= 1 && strstr(v.fail[0].msg, "cpu 0 stalled: ") && v.fail[0].stall && v.fail[0].from_ns == 0);
}

/* One CPU keeps running one task, the other idles while the tasks it may
 * run never get a turn (a scheduler that stopped dispatching): a stall,
 * named before work conservation. */
UNIT_TEST(monitor_waiting_without_progress_is_a_stall)
{
	struct fixture f;
	struct kt_mon_task t[4] = { task(-1, 0x3), task(-1, 0x3), task(-1, 0x3), task(-1, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 20, 2);
	for (size_t i = 0; i < 20; i++)
		place_at(&f, i, 0x1, t, 4, false);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok);
	CHECK(strstr(v.fail[0].msg, "cpu 0 stalled: idle while 4 runnable tasks it may run waited (shared queues: 4), "
				    "the longest-waiting one not run for 1.0 s"));
	/* The same while they take turns: work conservation only. */
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0x1, t, 4);
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok && strstr(v.fail[0].msg, "cpu 0 idle while 4 runnable tasks"));
}

/* A scheduler piling every task into cpu 0's local DSQ: load 6 against
 * an idle peer they may run on. */
UNIT_TEST(monitor_local_pile_imbalance)
{
	struct fixture f;
	struct kt_mon_task t[5];
	struct kt_mon_verdict v;
	struct kt_mon_imb b;

	init(&f, 20, 2);
	for (int k = 0; k < 5; k++)
		t[k] = task(0, 0x3);
	for (size_t i = 0; i < 20; i++)
		place(&f, i, 0x2, t, 5);
	kt_mon_imbalance(&f.ser, 3, &b);
	CHECK_NEAR(b.ratio, 6.0, 1e-9);
	CHECK_EQ_INT(b.hi_cpu, 0);
	CHECK_EQ_INT(b.lo_cpu, 1);
	f.l.fail_on_idle_waiting = false;
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok && strstr(v.fail[0].msg, "imbalance ratio 6.0 (cpu 0: 6 tasks queued locally or running; cpu 1"));
}

/* Work conservation as a share: a CPU idle while work it may run waits,
 * never for a whole window but in one interval of four (12.5 % of CPU
 * time over 2 s), fails at 10 %; one in eight (6 %) passes. */
UNIT_TEST(monitor_idle_waiting_share)
{
	struct fixture f;
	struct kt_mon_task t[2] = { task(0, 0x3), task(0, 0x3) };
	struct kt_mon_verdict v;

	init(&f, 40, 2);
	f.l.max_idle_waiting_pct = 10.0;
	for (size_t i = 0; i < 40; i++)
		place(&f, i, i % 4 == 1 || i % 4 == 2 ? 0x2 : 0x0, t, 2);
	kt_mon_evaluate(&f.ser, 0, 40, &f.l, &v);
	CHECK(!v.ok);
	CHECK(v.nfail == 1 && strstr(v.fail[0].msg, "CPUs idle while runnable tasks they may run waited elsewhere for 13% "
						    "of CPU time over 1.9 s (threshold 10%)"));
	for (size_t i = 0; i < 40; i++)
		place(&f, i, i % 8 == 1 || i % 8 == 2 ? 0x2 : 0x0, t, 2);
	kt_mon_evaluate(&f.ser, 0, 40, &f.l, &v);
	CHECK(v.ok);
}

/* Misplacement as a mean: two tasks piled on one busy CPU's local DSQ
 * (load 3 against 1), the pile moving on every third sample, so no CPU
 * holds it for a window and the ratio of 3 stays under 4 anyway: the
 * average over the run fails at 2.0.  A pile in one sample of eight
 * (mean 1.25) passes, and so does a run shorter than the window. */
UNIT_TEST(monitor_mean_imbalance)
{
	struct fixture f;
	struct kt_mon_task t[2];
	struct kt_mon_verdict v;

	init(&f, 20, 4);
	f.l.max_mean_imbalance = 2.0;
	for (size_t i = 0; i < 20; i++) {
		t[0] = t[1] = task((int)(i / 3 % 4), 0xf);
		place(&f, i, 0x0, t, 2);
	}
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(!v.ok && v.nfail == 1);
	CHECK_NEAR(v.mean_imbalance, 3.0, 1e-9);
	CHECK_EQ_INT(v.mean_span_ns, 20 * NS);
	CHECK(strstr(v.fail[0].msg, "misplaced work: imbalance ratio 3.0 on average over 2.0 s (20 samples; threshold "
				    "2.0) of where tasks wait, up to 3.0 (cpu 0: 3 tasks queued locally or running; "
				    "cpu 1, where they may run: 1)"));
	kt_mon_evaluate(&f.ser, 0, 5, &f.l, &v);
	CHECK(v.ok);
	for (size_t i = 0; i < 20; i++) {
		t[0] = t[1] = task(i % 8 ? -1 : 0, 0xf);
		place(&f, i, 0x0, t, 2);
	}
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(v.ok);
	/* Without the walk (EEVDF), the mean is not judged. */
	for (size_t i = 0; i < 20; i++) {
		t[0] = t[1] = task((int)(i / 3 % 4), 0xf);
		place(&f, i, 0x0, t, 2);
		f.s[i].walk_ok = false;
	}
	kt_mon_evaluate(&f.ser, 0, 20, &f.l, &v);
	CHECK(v.ok);
}
