/* Unit tests: auto-repro's pure part (src/probe/): stack extraction on
 * real sched_ext dumps, the probe list, the bridge list, the decoders.
 *
 * The fixtures are the scheduler logs (with the kernel's DEBUG DUMP) of
 * two real runs on the cached 6.12.118 kernel (unit/fixtures/README.md):
 * the expected names were read off them with grep/sed (every line
 * `  name+0xOFF/0xSIZE`, first appearance), less the drop list. */
#include <errno.h>
#include <stdlib.h>
#include "probe/probe.h"
#include "fixture.h"
#include "unit.h"

static void check_names(const struct kt_probe_names *n, const char *const *want, unsigned nwant)
{
	CHECK_EQ_INT(n->n, nwant);
	for (unsigned i = 0; i < nwant && i < n->n; i++) {
		CHECK_EQ_STR(n->name[i], want[i]);
		CHECK(!n->bpf[i]);
	}
}

static void check_fixture(const char *file, const char *const *want, unsigned nwant)
{
	size_t len;
	unsigned char *f = unit_fixture(file, &len);
	struct kt_probe_names n = { 0 };

	if (!f)
		return;
	kt_probe_extract((const char *)f, len, &n);
	check_names(&n, want, nwant);
	free(f);
}

UNIT_TEST(probe_extract_ktstr_stall)
{
	static const char *const want[] = { "scx_tick", "sched_tick", "update_process_times", "tick_nohz_handler",
					     "__hrtimer_run_queues", "hrtimer_interrupt", "scx_ops_error_irq_workfn",
					     "common_nsleep", "__x64_sys_clock_nanosleep" };

	check_fixture("sched-log-ktstr-stall-6.12.118.txt", want, sizeof(want) / sizeof(want[0]));
}

UNIT_TEST(probe_extract_qmap_stall)
{
	static const char *const want[] = { "scx_watchdog_workfn", "common_nsleep", "__x64_sys_clock_nanosleep",
					     "scx_ops_error_irq_workfn" };

	check_fixture("sched-log-qmap-stall-6.12.118.txt", want, sizeof(want) / sizeof(want[0]));
}

/* Frames as the kernel prints them elsewhere: the trace_pipe form of a
 * sched_ext_dump line, a printk'd Call Trace with timestamps, modules
 * and "? " guesses, and a JITed BPF program (bpf_prog_<tag>_<name>, the
 * ksym format of kernel/bpf/core.c bpf_get_prog_name). */
UNIT_TEST(probe_frame_forms)
{
	char name[KT_PROBE_NAME_MAX];
	bool bpf;
#define FRAME(l) kt_probe_frame(l, strlen(l), name, sizeof(name), &bpf)

	CHECK_EQ_INT(FRAME("  kworker/u8:1-31 [000] d.h2.  10.2: sched_ext_dump:     scx_tick+0x8e/0x90"), 1);
	CHECK_EQ_STR(name, "scx_tick");
	CHECK_EQ_INT(FRAME("[   10.289179]  do_enqueue_task+0x1f0/0x410"), 1);
	CHECK_EQ_STR(name, "do_enqueue_task");
	CHECK_EQ_INT(FRAME(" e1000_xmit_frame+0x12/0x40 [e1000]"), 1);
	CHECK_EQ_STR(name, "e1000_xmit_frame");
	CHECK_EQ_INT(FRAME("    bpf_prog_6deef7357e7b4530_ktstr_dispatch+0x4c/0x8e"), 1);
	CHECK_EQ_STR(name, "ktstr_dispatch");
	CHECK(bpf);
	CHECK_EQ_INT(FRAME("  bpf_prog_xyz_ktstr_dispatch+0x4c/0x8e"), 1); /* not a hex tag: as it is */
	CHECK_EQ_STR(name, "bpf_prog_xyz_ktstr_dispatch");
	CHECK(!bpf);
	CHECK_EQ_INT(FRAME("[   10.289179]  ? scx_tick+0x8e/0x90"), 0);
	CHECK_EQ_INT(FRAME("  R init[48] -4098ms"), 0);
	CHECK_EQ_INT(FRAME("      sticky/holding_cpu=-1/-1 dsq_id=0x0 dsq_vtime=0"), 0);
	CHECK_EQ_INT(FRAME("Backtrace:"), 0);
	CHECK_EQ_INT(FRAME("scx_tick+0x8e"), 0);
	CHECK_EQ_INT(FRAME("scx_tick+0x8e/0x90 trailing words"), 0);
	CHECK_EQ_INT(FRAME("+0x8e/0x90"), 0);
	CHECK_EQ_INT(FRAME("a_very_long_function_name_that_goes_on_and_on_past_sixty_three_chars+0x1/0x2"), 0);
#undef FRAME
}

UNIT_TEST(probe_generic_and_bpf_kept)
{
	static const char text[] = "  scx_bpf_error_bstr+0x6a/0x90\n"
				   "  bpf_prog_0123456789abcdef_qmap_dispatch+0x1c/0x40\n"
				   "  _raw_spin_lock+0x5/0x10\n"
				   "  balance_scx+0x93/0x3a0\n"
				   "  balance_scx+0x93/0x3a0\n"
				   "  schedule+0x2e/0xd0\n";
	struct kt_probe_names n = { 0 };

	CHECK(kt_probe_generic("__schedule"));
	CHECK(kt_probe_generic("asm_sysvec_apic_timer_interrupt"));
	CHECK(!kt_probe_generic("scx_tick"));
	kt_probe_extract(text, sizeof(text) - 1, &n);
	CHECK_EQ_INT(n.n, 3);
	CHECK_EQ_STR(n.name[0], "scx_bpf_error_bstr");
	CHECK_EQ_STR(n.name[1], "qmap_dispatch");
	CHECK(n.bpf[1]);
	CHECK_EQ_STR(n.name[2], "balance_scx");
}

UNIT_TEST(probe_list_roundtrip)
{
	struct kt_probe_names n = { 0 }, m;
	char buf[KT_PROBE_LIST_MAX], small[20];

	CHECK_EQ_INT(kt_probe_names_add(&n, "do_enqueue_task", false), 0);
	CHECK_EQ_INT(kt_probe_names_add(&n, "ktstr_enqueue", true), 0);
	CHECK_EQ_INT(kt_probe_names_add(&n, "ktstr_enqueue", true), 0);
	CHECK_EQ_INT(kt_probe_names_add(&n, "bad name", false), -EINVAL);
	CHECK_EQ_INT(kt_probe_names_add(&n, "", false), -EINVAL);
	CHECK_EQ_INT(n.n, 2);
	CHECK_EQ_INT(kt_probe_list_format(&n, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "do_enqueue_task,bpf:ktstr_enqueue");
	CHECK_EQ_INT(kt_probe_list_parse(buf, &m), 0);
	CHECK_EQ_INT(m.n, 2);
	CHECK_EQ_STR(m.name[1], "ktstr_enqueue");
	CHECK(m.bpf[1] && !m.bpf[0]);
	CHECK_EQ_INT(kt_probe_list_format(&n, small, sizeof(small)), -ENAMETOOLONG);
	CHECK_EQ_STR(small, "do_enqueue_task");
	CHECK_EQ_INT(kt_probe_list_parse("a,,b", &m), -EINVAL);
	CHECK_EQ_INT(kt_probe_list_parse("a,", &m), -EINVAL);
	CHECK_EQ_INT(kt_probe_list_parse("", &m), -EINVAL);
	CHECK_EQ_INT(kt_probe_list_parse("*", &m), 0);
	CHECK_EQ_INT(m.n, 0);
	CHECK_EQ_INT(kt_probe_list_format(&m, small, sizeof(small)), 0);
	CHECK_EQ_STR(small, "*");
	CHECK_EQ_INT(kt_probe_list_parse("a;b", &m), -EINVAL);
	for (unsigned i = 0; i < KT_PROBE_MAX_FUNCS; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "f%u", i);
		CHECK_EQ_INT(kt_probe_names_add(&m, nm, false), 0);
	}
	CHECK_EQ_INT(kt_probe_names_add(&m, "one_more", false), -ENOSPC);
	CHECK_EQ_INT(m.dropped, 1);
}

UNIT_TEST(probe_bridge)
{
	const struct kt_probe_bridge *b;

	CHECK_EQ_STR(kt_probe_op_of("ktstr_enqueue"), "enqueue");
	CHECK_EQ_STR(kt_probe_op_of("qmap_init_task"), "init_task");
	CHECK_EQ_STR(kt_probe_op_of("qmap_exit_task"), "exit_task");
	CHECK_EQ_STR(kt_probe_op_of("simple_exit"), "exit");
	CHECK_EQ_STR(kt_probe_op_of("dispatch"), "dispatch");
	CHECK_EQ_STR(kt_probe_op_of("central_dump_cpu"), "dump_cpu");
	CHECK(!kt_probe_op_of("ktstr_helper"));
	CHECK(!kt_probe_op_of("reenqueue")); /* no '_' before the op */
	b = kt_probe_bridge_of("enqueue");
	CHECK(b && !strcmp(b->callers[0], "do_enqueue_task") && b->task_arg == 1);
	b = kt_probe_bridge_of("dispatch");
	CHECK(b && !strcmp(b->callers[0], "balance_one") && !strcmp(b->callers[1], "balance_scx"));
	b = kt_probe_bridge_of("running");
	CHECK(b && !strcmp(b->callers[0], "set_next_task_scx") && b->task_arg == 1);
	b = kt_probe_bridge_of("set_cpumask");
	CHECK(b && !strcmp(b->callers[0], "set_cpus_allowed_scx") && b->task_arg == 0);
	CHECK(!kt_probe_bridge_of("exit"));
	CHECK(!kt_probe_bridge_of(NULL));
	CHECK_EQ_INT(kt_probe_arg_kind("task_struct"), KT_ARG_TASK);
	CHECK_EQ_INT(kt_probe_arg_kind("scx_dispatch_q"), KT_ARG_DSQ);
	CHECK_EQ_INT(kt_probe_arg_kind("scx_exit_info"), KT_ARG_EXIT_INFO);
	CHECK_EQ_INT(kt_probe_arg_kind("rq_flags"), KT_ARG_SCALAR);
	CHECK_EQ_INT(kt_probe_arg_kind(NULL), KT_ARG_SCALAR);
}

UNIT_TEST(probe_decoders)
{
	char b[160];
	uint64_t m[4] = { 0xf, 0, 0, 0 };

	kt_dec_dsq_id(0x8000000000000001ull, b, sizeof(b));
	CHECK_EQ_STR(b, "SCX_DSQ_GLOBAL");
	kt_dec_dsq_id(0x8000000000000000ull, b, sizeof(b));
	CHECK_EQ_STR(b, "SCX_DSQ_INVALID");
	kt_dec_dsq_id(0x8000000000000002ull, b, sizeof(b));
	CHECK_EQ_STR(b, "SCX_DSQ_LOCAL");
	kt_dec_dsq_id(0xc000000000000003ull, b, sizeof(b));
	CHECK_EQ_STR(b, "SCX_DSQ_LOCAL_ON|3");
	kt_dec_dsq_id(0x8000000000000010ull, b, sizeof(b));
	CHECK_EQ_STR(b, "BUILTIN(0x10)");
	kt_dec_dsq_id(0, b, sizeof(b));
	CHECK_EQ_STR(b, "DSQ(0x0)");
	kt_dec_cpumask(m, b, sizeof(b));
	CHECK_EQ_STR(b, "0xf(0-3)");
	m[0] = 0x5;
	kt_dec_cpumask(m, b, sizeof(b));
	CHECK_EQ_STR(b, "0x5(0,2)");
	m[0] = 1ull << 63;
	m[1] = 1;
	kt_dec_cpumask(m, b, sizeof(b));
	CHECK_EQ_STR(b, "0x18000000000000000(63-64)");
	memset(m, 0, sizeof(m));
	kt_dec_cpumask(m, b, sizeof(b));
	CHECK_EQ_STR(b, "0x0(none)");
	kt_dec_enq_flags(0x11, b, sizeof(b));
	CHECK_EQ_STR(b, "WAKEUP|HEAD");
	kt_dec_enq_flags((1ull << 32) | (1ull << 41) | (1ull << 50), b, sizeof(b));
	CHECK_EQ_STR(b, "PREEMPT|LAST|0x4000000000000");
	kt_dec_enq_flags(0, b, sizeof(b));
	CHECK_EQ_STR(b, "0");
	kt_dec_exit_kind(1026, b, sizeof(b));
	CHECK_EQ_STR(b, "ERROR_STALL");
	kt_dec_exit_kind(1025, b, sizeof(b));
	CHECK_EQ_STR(b, "ERROR_BPF");
	kt_dec_exit_kind(7, b, sizeof(b));
	CHECK_EQ_STR(b, "7");
	/* The dump's "scx_state/flags=3/0x9": QUEUED|DEQD_FOR_SLEEP; state 3 is ENABLED. */
	kt_dec_scx_flags(0x9 | (3u << 8), b, sizeof(b));
	CHECK_EQ_STR(b, "QUEUED|DEQD_FOR_SLEEP|state=ENABLED");
	kt_dec_scx_flags(1u << 8, b, sizeof(b));
	CHECK_EQ_STR(b, "state=INIT");
	kt_dec_sticky_cpu(0xffffffffu, b, sizeof(b));
	CHECK_EQ_STR(b, "-1");
	kt_dec_sticky_cpu(2, b, sizeof(b));
	CHECK_EQ_STR(b, "2");
	kt_dec_change("5000000", "5000000", b, sizeof(b));
	CHECK_EQ_STR(b, "5000000");
	kt_dec_change("5000000", "0", b, sizeof(b));
	CHECK_EQ_STR(b, "5000000 \xe2\x86\x92 0");
	kt_dec_dsq_id(0x8000000000000001ull, b, 5); /* truncated, still a string */
	CHECK_EQ_STR(b, "SCX_");
}
