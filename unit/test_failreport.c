/* The failure report's sections (kt_report_compose) and the monitor's
 * phases behind its timeline (src/monitor/phases.c). */
#include "unit.h"
#include "monitor/phases.h"
#include "runner/runner.h"

#include <stdint.h>
#include <string.h>

#define NS 100000000ull

UNIT_TEST(failreport_sections_in_order)
{
	struct vm_result vr;
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
	kt_kbuf_printf(&vr.com2, "KTSTR_INIT_STARTED\n===SCHED_OUTPUT_START===\nEXIT: runnable task stall\n"
				 "===SCHED_OUTPUT_END===\n");
	kt_kbuf_printf(&vr.com1, "[ 0.1] Linux\nlast line\n");
	o.verdict = KT_FAIL;
	snprintf(o.reason, sizeof(o.reason), "monitor: cpu 1 stalled");
	snprintf(v.fail[0].msg, sizeof(v.fail[0].msg), "cpu 1 stalled");
	kt_kbuf_printf(&sum, "samples=10 judged=5; verdict: monitor FAILED: 1 violation(s)");
	kt_kbuf_printf(&tl, "scenario     t=1.0-2.0 s\n");
	/* Guest text: an escape sequence must not reach the terminal. */
	kt_kbuf_printf(&dump, "CPU states\n\x1b[31mred\nend");
	kt_report_compose("t", &vr, &x, &o);
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
	kt_report_compose("t", &vr, NULL, &o);
	CHECK(o.report.data && !strstr(o.report.data, "--- timeline ---") && strstr(o.report.data, "reason: "));
	kt_kbuf_free(&o.report);
	kt_kbuf_free(&sum);
	kt_kbuf_free(&tl);
	kt_kbuf_free(&dump);
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
