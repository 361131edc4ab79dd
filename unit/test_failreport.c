/* The failure report's sections (kt_report_compose) and the monitor's
 * phases behind its timeline (src/monitor/phases.c). */
#include "unit.h"
#include "monitor/phases.h"
#include "runner/runner.h"
#include "runner/hostcheck.h"
#include "proto/com2.h"

#include <stdint.h>
#include <string.h>

#define NS 100000000ull

UNIT_TEST(failreport_sections_in_order)
{
	struct vm_result vr;
	struct kt_com2 c2;
	struct kt_outcome o;
	struct kbuf sum = { 0 }, tl = { 0 }, dump = { 0 };
	struct kt_mon_verdict v = { .ok = false, .nfail = 1 };
	struct kt_report_extra x = { &v, &sum, &tl, &dump };
	const char *order[] = { "  reason: monitor: cpu 1 stalled", "  --- monitor ---", "    samples=10",
				"    [monitor] cpu 1 stalled", "  --- timeline ---", "    scenario",
				"  --- sched_ext dump (3 lines) ---", "    CPU states", "  --- scheduler log",
				"    EXIT: runnable task stall", "  --- guest output (COM2)", "  --- kernel console (COM1)",
				"    last line" };
	const char *p;

	memset(&vr, 0, sizeof(vr));
	memset(&o, 0, sizeof(o));
	vr.exit = VM_EXIT_POWEROFF;
	{
		static const char com2[] = "KTSTR_INIT_STARTED\n===SCHED_OUTPUT_START===\nEXIT: runnable task stall\n"
					   "===SCHED_OUTPUT_END===\n";
		static const char com1[] = "[ 0.1] Linux\nlast line\n";

		kt_com2_init(&c2);
		kt_com2_feed(&c2, com2, sizeof(com2) - 1);
		kt_com2_finish(&c2);
		kt_capture_add(&vr.com1, com1, sizeof(com1) - 1);
	}
	o.verdict = KT_FAIL;
	snprintf(o.reason, sizeof(o.reason), "monitor: cpu 1 stalled");
	snprintf(v.fail[0].msg, sizeof(v.fail[0].msg), "cpu 1 stalled");
	kt_kbuf_printf(&sum, "samples=10 judged=5; verdict: monitor FAILED: 1 violation(s)");
	kt_kbuf_printf(&tl, "scenario     t=1.0-2.0 s\n");
	/* Guest text: an escape sequence must not reach the terminal. */
	kt_kbuf_printf(&dump, "CPU states\n\x1b[31mred\nend");
	kt_report_compose("t", &vr, &c2, &x, &o);
	CHECK(o.report.data != NULL);
	p = o.report.data ? o.report.data : "";
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *q = strstr(p, order[i]);

		if (!q)
			unit_fail(__FILE__, __LINE__, "'%s' missing or out of order in:\n%s", order[i], o.report.data);
		else
			p = q + strlen(order[i]);
	}
	CHECK(o.report.data && !strchr(o.report.data, 0x1b));
	/* Without the sections (kt_judge): none of their titles. */
	kt_report_compose("t", &vr, &c2, NULL, &o);
	CHECK(o.report.data && !strstr(o.report.data, "--- timeline ---") && strstr(o.report.data, "reason: "));
	CHECK(!strstr(o.report.data, "kernel oops"));
	CHECK(o.com1.len == 23); /* the whole kept COM1, for the sidecar */
	/* An oops whose head scrolled out of the last 20 lines: shown from
	 * its first line, before the tail. */
	kt_capture_add(&vr.com1, "[ 1.0] BUG: kernel NULL pointer dereference\n", 44);
	for (int i = 0; i < 30; i++)
		kt_capture_add(&vr.com1, "[ 1.1]  trace_line+0x1/0x2\n", 27);
	kt_report_compose("t", &vr, &c2, NULL, &o);
	p = o.report.data ? strstr(o.report.data, "--- kernel oops or panic (from its first line) (") : NULL;
	CHECK(p && strstr(p, "    [ 1.0] BUG: kernel NULL pointer dereference\n") &&
	      strstr(p, "--- kernel console (COM1)"));
	CHECK(strstr(o.com1.data, "[ 0.1] Linux\n") == o.com1.data);
	kt_outcome_release(&o);
	kt_kbuf_free(&sum);
	kt_kbuf_free(&tl);
	kt_kbuf_free(&dump);
	kt_com2_free(&c2);
	kt_vm_result_free(&vr);
}

/* Two phases of two CPUs: the second piles tasks on cpu 0 while cpu 1
 * idles and the workers' rate halves. */
UNIT_TEST(phases_and_changes)
{
	struct kt_mon_sample s[20];
	struct kt_mon_cpu c[40];
	struct kt_mon_series ser = { s, c, 20, 2 };
	struct kt_mon_mark mk[3] = { { .t_ns = 0, .label = "scenario", .have_iter = true, .iter = 0 },
				     { .t_ns = 10 * NS, .label = "step 1", .have_iter = true, .iter = 1000 },
				     { .t_ns = 20 * NS, .label = "teardown", .have_iter = true, .iter = 1500 } };
	struct kt_mon_phase ph[4];
	struct kt_mon_totals t;
	struct kbuf out = { 0 };
	size_t n;

	memset(s, 0, sizeof(s));
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < 20; i++) {
		s[i].t_ns = i * NS;
		s[i].walk_ok = true;
		for (unsigned k = 0; k < 2; k++) {
			struct kt_mon_cpu *p = &c[i * 2 + k];

			p->ok = p->idle_ok = true;
			p->clock = 1 + i;
			p->nr_running = 1;
			p->peer_min = UINT32_MAX;
		}
		if (i >= 10) { /* 5 queued on cpu 0, cpu 1 idle and may take them */
			c[i * 2].waiting_local = 5;
			c[i * 2].dsq_depth = 5;
			c[i * 2].peer_min = 0;
			c[i * 2].peer_cpu = 1;
			c[i * 2 + 1].idle = 1;
			c[i * 2 + 1].may_take = 5;
			c[i * 2 + 1].nr_running = 0;
		}
	}
	n = kt_mon_phases(&ser, mk, 3, 20 * NS, ph, 4);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(ph[0].n, 10);
	CHECK_NEAR(ph[0].imb_max, 1.0, 1e-9);
	CHECK_NEAR(ph[1].imb_avg, 6.0, 1e-9);
	CHECK_EQ_INT(ph[1].dsq_max, 5);
	CHECK_EQ_INT(ph[1].idle_waiting, 9); /* intervals inside the phase */
	CHECK_NEAR(ph[0].iter_rate, 1000.0, 1e-6);
	CHECK_NEAR(ph[1].iter_rate, 500.0, 1e-6);
	CHECK_EQ_INT(ph[2].n, 0);
	kt_mon_phases_text(ph, n, &out);
	CHECK(out.data && strstr(out.data, "step 1") && strstr(out.data, "| vs scenario: imbalance +5.0 (DEGRADATION)"));
	CHECK(out.data && strstr(out.data, "CPUs idle while work waits appear (DEGRADATION)"));
	CHECK(out.data && strstr(out.data, "iteration rate -50% (DEGRADATION)"));
	CHECK(out.data && !strstr(out.data, "teardown")); /* no samples: no line */
	kt_mon_totals(&ser, 0, 20, &t);
	CHECK_EQ_INT(t.n, 20);
	CHECK_NEAR(t.imb_max, 6.0, 1e-9);
	CHECK_EQ_INT(t.dsq_max, 5);
	CHECK_EQ_INT(t.dsq_cpu, 0);
	CHECK(t.idle_waiting > 0);
	kt_kbuf_free(&out);
}

/* Host starvation: which windows a failure is about, and the verdict. */
UNIT_TEST(hostcheck_windows)
{
	struct kt_result r;
	struct kt_mon_verdict v;
	struct kt_fail_window w[8];
	size_t n;

	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	r.ndetails = 5;
	r.details[0].kind = KTSTR_K_SCHEDULER;
	snprintf(r.details[0].msg, sizeof(r.details[0].msg), "ejected; kernel: init[62] failed to run for 8.314s");
	r.details[1].kind = KTSTR_K_STUCK;
	snprintf(r.details[1].msg, sizeof(r.details[1].msg), "cg_0: tid 68 stuck 8447ms on cpu3 at +9951ms (threshold 4000ms)");
	r.details[2].kind = KTSTR_K_STUCK; /* hostile: absurd and negative numbers are ignored */
	snprintf(r.details[2].msg, sizeof(r.details[2].msg), "tid 1 stuck 99999999999ms on cpu0 at +-5ms");
	r.details[3].kind = KTSTR_K_OTHER; /* not a window */
	snprintf(r.details[3].msg, sizeof(r.details[3].msg), "failed to run for 3s");
	r.details[4].kind = KTSTR_K_STUCK; /* gap longer than its end: nonsense */
	snprintf(r.details[4].msg, sizeof(r.details[4].msg), "tid 2 stuck 900ms on cpu0 at +100ms");
	v.nfail = 2;
	v.fail[0] = (typeof(v.fail[0])){ .t_ns = 7000000000ull, .stall = true, .from_ns = 6000000000ull, .cpu = 1 };
	snprintf(v.fail[0].msg, sizeof(v.fail[0].msg), "cpu 1 stalled");
	v.fail[1].t_ns = 1; /* not a stall */
	n = kt_fail_windows(&r, 2000000000ull, 20000000000ull, &v, w, 8);
	CHECK_EQ_INT(n, 3);
	CHECK((uint64_t)w[0].t0 == 20000000000ull - 8314000000ull && (uint64_t)w[0].t1 == 20000000000ull);
	CHECK((uint64_t)w[1].t0 == 2000000000ull + 1504000000ull && (uint64_t)w[1].t1 == 2000000000ull + 9951000000ull);
	CHECK((uint64_t)w[2].t0 == 6000000000ull && strstr(w[2].what, "cpu 1 stalled"));
	/* No scheduler exit seen: the kernel's window is unknown. */
	CHECK_EQ_INT(kt_fail_windows(&r, 2000000000ull, 0, NULL, w, 8), 1);
}

UNIT_TEST(hostcheck_starved)
{
	struct kt_vcpu_share busy = { .run = 0.45, .wait = 0.55, .busy = 0.9, .got = 0.5 }; /* 4 vCPUs, 2 host CPUs */
	struct kt_vcpu_share idle = { .run = 0.01, .wait = 0.0, .got = 1.0 };   /* a stalled guest halts */
	struct kt_vcpu_share starved = { .run = 0.03, .wait = 0.90, .busy = 0.9, .got = 0.03 };
	struct kt_vcpu_share loaded = { .run = 0.12, .wait = 0.88, .busy = 1.0, .got = 0.12 }; /* slow, but it ran */
	struct kt_vcpu_share stopped = { .run = 0.0, .wait = 0.0, .busy = 1.0, .got = 0.0 };  /* SIGSTOPped VMM */
	/* A stalled guest halts on a loaded host: its few wake-ups mostly
	 * wait (measured: ran 1 %, waited 5 %, got 32 %), yet it wanted
	 * almost nothing. */
	struct kt_vcpu_share halted = { .run = 0.01, .wait = 0.05, .busy = 0.0, .got = 0.32 };

	CHECK(!kt_host_starved(&busy));
	CHECK(!kt_host_starved(&idle));
	CHECK(kt_host_starved(&starved));
	CHECK(!kt_host_starved(&loaded));
	CHECK(kt_host_starved(&stopped));
	CHECK(!kt_host_starved(&halted));
}

UNIT_TEST(hostcheck_vcpu_share)
{
	struct kt_mon_sample s[5];
	struct kt_mon_cpu c[10];
	struct kt_mon_series ser = { s, c, 5, 2 };
	struct kt_vcpu_share sh;

	memset(s, 0, sizeof(s));
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < 5; i++) {
		s[i].t_ns = i * 1000000000ull;
		for (unsigned k = 0; k < 2; k++) {
			c[i * 2 + k].vcpu_ok = true;
			c[i * 2 + k].vcpu_run_ns = i * (k ? 100000000ull : 300000000ull);
			c[i * 2 + k].vcpu_wait_ns = i * 500000000ull;
		}
	}
	CHECK(kt_mon_vcpu_share(&ser, 1000000000ull, 3000000000ull, -1, &sh));
	CHECK_EQ_INT(sh.vcpus, 2);
	CHECK((uint64_t)sh.span_ns == 2000000000ull);
	CHECK_NEAR(sh.run, 0.2, 1e-9);
	CHECK_NEAR(sh.wait, 0.5, 1e-9);
	CHECK_NEAR(sh.busy, 0.0, 1e-9); /* idle_ok unset: no busy time known */
	for (size_t i = 0; i < 10; i++)
		c[i].idle_ok = true; /* running a task (idle 0) everywhere */
	CHECK(kt_mon_vcpu_share(&ser, 1000000000ull, 3000000000ull, -1, &sh));
	CHECK_NEAR(sh.busy, 1.0, 1e-9);
	CHECK_NEAR(sh.got, 0.2, 1e-9);
	CHECK(kt_mon_vcpu_share(&ser, 1500000000ull, 2500000000ull, 1, &sh)); /* bracketing samples 1 and 3 */
	CHECK_NEAR(sh.run, 0.1, 1e-9);
	c[3 * 2].vcpu_ok = false; /* unknown in the middle: the next known sample closes it */
	CHECK(kt_mon_vcpu_share(&ser, 1000000000ull, 3000000000ull, -1, &sh));
	CHECK((uint64_t)sh.span_ns == 3000000000ull);
	for (size_t i = 0; i < 10; i++)
		c[i].vcpu_ok = false;
	CHECK(!kt_mon_vcpu_share(&ser, 0, 1, -1, &sh));
}
