/* The nr_running cross-check: the guest's sched/debug parser, the
 * reader's own CPU left out (src/guest/monprobe.c), and the host's
 * matching and thresholds (src/monitor/mcheck.c). */
#include "unit.h"
#include "guest/monprobe.h"
#include "monitor/mcheck.h"

#include <string.h>

static const char sched_debug[] = "Sched Debug Version: v0.11, 6.12.118\n"
				  "cpu#0\n"
				  "  .nr_running                    : 2\n"
				  "  .clock                         : 2777.271176\n"
				  "cfs_rq[0]:/\n"
				  "  .nr_running                    : 1\n"
				  "cpu#1\n"
				  "  .nr_running                    : 2\n"
				  "  .clock                         : 2777.300000\n"
				  "cpu#2\n"
				  "  .nr_running                    : 3\n"
				  "  .clock                         : 2777.400001\n";

UNIT_TEST(monprobe_sched_debug_one_reading_per_cpu)
{
	struct kt_mon_probe p[8];
	size_t n = kt_parse_sched_debug(sched_debug, p, 8);

	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(p[0].cpu, 0);
	CHECK_EQ_INT(p[0].b, 2);
	CHECK_EQ_INT(p[0].a, 2777271176ull);
	CHECK_EQ_INT(p[2].cpu, 2);
	CHECK_EQ_INT(p[2].b, 3);
	CHECK_EQ_INT(p[2].a, 2777400001ull);
}

UNIT_TEST(monprobe_reader_cpu_dropped)
{
	struct kt_mon_probe p[8];
	size_t n = kt_parse_sched_debug(sched_debug, p, 8);

	p[n++] = (struct kt_mon_probe){ .kind = KT_PROBE_TEXT_VA, .cpu = 0, .a = 1 };
	n = kt_probe_drop_cpu(p, n, 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(p[0].cpu, 1);
	CHECK_EQ_INT(p[1].cpu, 2);
	CHECK_EQ_INT(p[2].kind, KT_PROBE_TEXT_VA); /* other kinds stay */
	CHECK_EQ_INT(kt_probe_drop_cpu(p, n, 7), 3);
	CHECK_EQ_INT(kt_probe_drop_cpu(p, 0, 1), 0);
}

/* The flake (issue 17): cpu 0 sampled idle at 100 ms, the reader wakes
 * between two samples, sets the rq clock and reads itself plus one more
 * task: 2 against 0..0, a disagreement no scheduler caused. */
UNIT_TEST(monprobe_reader_counts_itself)
{
	struct kt_mon_sample s[2] = { { .t_ns = 0 }, { .t_ns = 100000000 } };
	struct kt_mon_cpu c[2] = { { .ok = true, .clock = 1000 }, { .ok = true, .clock = 100001000 } };
	struct kt_mon_series ser = { s, c, 2, 1 };
	uint32_t lo = 9, hi = 9;
	size_t at = 0;

	CHECK_EQ_INT(kt_mon_match_nr(&ser, 0, 50000000, 2, &lo, &hi, &at), 0);
	CHECK_EQ_INT(lo, 0);
	CHECK_EQ_INT(hi, 0);
	CHECK_EQ_INT(kt_mon_match_nr(&ser, 0, 50000000, 1, &lo, &hi, &at), 1);
	CHECK_EQ_INT(kt_mon_match_nr(&ser, 0, 200000000, 0, &lo, &hi, &at), -1);
}

UNIT_TEST(monprobe_xcheck_thresholds)
{
	CHECK(!kt_mon_xcheck_thin(0, 0));   /* no readings: nothing to judge */
	CHECK(kt_mon_xcheck_thin(80, 0));
	CHECK(kt_mon_xcheck_thin(80, 39));
	CHECK(!kt_mon_xcheck_thin(80, 40));
	CHECK(!kt_mon_xcheck_off(80, 80));
	CHECK(!kt_mon_xcheck_off(80, 76)); /* 4 of 80: 5 % */
	CHECK(kt_mon_xcheck_off(80, 75));
	CHECK(kt_mon_xcheck_off(120, 112)); /* the scx run before the fix: 8 of 120 */
	CHECK(!kt_mon_xcheck_off(0, 0));
	CHECK(kt_mon_xcheck_off(1, 2));
}
