#include "unit.h"
#include "model/defaults.h"
#include "runner/watchdog.h"

#include <stdint.h>
#include <string.h>

UNIT_TEST(watchdog_layers)
{
	enum kt_wd_source src;

	CHECK_EQ_INT(kt_watchdog_explicit(0, 0, false, 0, &src), 0);
	CHECK_EQ_INT(src, KT_WD_DEFAULT);
	CHECK_EQ_INT(kt_watchdog_seconds(0, src, false), 4);
	CHECK_EQ_INT(kt_watchdog_seconds(0, src, true), 8);
	CHECK_EQ_INT(kt_watchdog_explicit(0, 6, false, 0, &src), 6);
	CHECK_EQ_INT(src, KT_WD_SCHED);
	CHECK_EQ_INT(kt_watchdog_seconds(6, src, true), 6); /* explicit: not scaled */
	CHECK_EQ_INT(kt_watchdog_explicit(2, 6, false, 0, &src), 2);
	CHECK_EQ_INT(src, KT_WD_TEST);
	CHECK_EQ_INT(kt_watchdog_explicit(2, 6, true, 9, &src), 9);
	CHECK_EQ_INT(src, KT_WD_CLI);
	CHECK_EQ_INT(kt_watchdog_explicit(2, 6, true, 0, &src), 0); /* --watchdog-timeout 0 */
	CHECK_EQ_INT(src, KT_WD_OWN);
	CHECK_EQ_INT(kt_watchdog_seconds(0, src, true), 0);
	CHECK_EQ_INT(kt_watchdog_explicit(KTSTR_WATCHDOG_OWN, 6, false, 0, &src), 0);
	CHECK_EQ_INT(src, KT_WD_OWN);
	CHECK_EQ_INT(kt_watchdog_explicit(0, KTSTR_WATCHDOG_OWN, false, 0, &src), 0);
	CHECK_EQ_INT(src, KT_WD_OWN);
}

/* HZ 1000, a scheduler with a 30 s timeout enabled at jiffies 5000:
 * its first pass is due at 20000, and the check-in timestamp is moved
 * there once, with the first write. */
UNIT_TEST(watchdog_lowers_and_moves_the_timestamp_to_the_first_pass)
{
	struct kt_wd w = { .want = 8000, .hz = 1000 };
	struct kt_wd_io in = { .timeout = 30000, .stamp = 5000, .have_stamp = true }, out;
	struct kt_wd_obs o = { .active = true, .seconds = 8 };
	char why[256];
	unsigned wr = kt_wd_tick(&w, &in, &out);

	CHECK_EQ_INT(wr, KT_WD_W_TIMEOUT | KT_WD_W_STAMP);
	CHECK((uint64_t)(out.timeout) == (uint64_t)(8000));
	CHECK((uint64_t)(out.stamp) == (uint64_t)(20000));
	CHECK((uint64_t)(w.own) == (uint64_t)(30000));
	/* Read back; the timestamp is the kernel's from now on. */
	in.timeout = 8000;
	in.stamp = 20000;
	CHECK_EQ_INT(kt_wd_tick(&w, &in, &out), KT_WD_W_TIMEOUT);
	in.stamp = 24000;
	CHECK_EQ_INT(kt_wd_tick(&w, &in, &out), KT_WD_W_TIMEOUT);
	CHECK(!kt_wd_finish(&w, &o, why, sizeof(why)));
	CHECK(o.applied && o.read);
	CHECK((uint64_t)(o.read_jiffies) == (uint64_t)(8000));
	CHECK((uint64_t)(o.own_jiffies) == (uint64_t)(30000));
	CHECK((uint64_t)(o.pass_due_jiffies) == (uint64_t)(20000));
}

UNIT_TEST(watchdog_read_back_differs)
{
	struct kt_wd w = { .want = 4000, .hz = 1000 };
	struct kt_wd_io in = { .timeout = 20000, .have_stamp = false }, out;
	struct kt_wd_obs o = { .active = true, .seconds = 4 };
	char why[256];

	CHECK_EQ_INT(kt_wd_tick(&w, &in, &out), KT_WD_W_TIMEOUT); /* no timestamp: no refresh */
	in.timeout = 1234;                                          /* the write did not land */
	kt_wd_tick(&w, &in, &out);
	CHECK(kt_wd_finish(&w, &o, why, sizeof(why)));
	CHECK(strstr(why, "infrastructure error") && strstr(why, "1234") && strstr(why, "4000"));
}

UNIT_TEST(watchdog_default_never_raises)
{
	struct kt_wd w = { .want = 8000, .hz = 1000 };
	struct kt_wd_io in = { .timeout = 3000, .stamp = 1, .have_stamp = true }, out;
	struct kt_wd_obs o = { .active = true, .seconds = 8 };
	char why[256];

	CHECK_EQ_INT(kt_wd_tick(&w, &in, &out), 0);
	CHECK_EQ_INT(kt_wd_tick(&w, &in, &out), 0);
	CHECK(!kt_wd_finish(&w, &o, why, sizeof(why)));
	CHECK(o.skipped && !o.applied && strstr(o.note, "left alone"));
	CHECK_EQ_INT(o.seconds, 3); /* what is in force: the scheduler's own */
	CHECK_EQ_STR(o.source, "scheduler's own");
	/* An explicit value is written even above the scheduler's own. */
	w = (struct kt_wd){ .want = 8000, .hz = 1000, .force = true };
	CHECK(kt_wd_tick(&w, &in, &out) & KT_WD_W_TIMEOUT);
}

/* A hostile guest's timeout cannot push the check-in timestamp beyond
 * the kernel's maximum pass interval. */
UNIT_TEST(watchdog_pass_due_bounded)
{
	struct kt_wd w = { .want = 4000, .hz = 1000 };
	struct kt_wd_io in = { .timeout = UINT64_MAX, .stamp = 100, .have_stamp = true }, out;

	kt_wd_tick(&w, &in, &out);
	CHECK((uint64_t)(out.stamp) == (uint64_t)(100 + 15000));
}

UNIT_TEST(watchdog_never_started)
{
	struct kt_wd w = { .want = 4000, .hz = 1000 };
	struct kt_wd_obs o = { .active = true, .seconds = 4 };
	char why[64];

	CHECK(!kt_wd_finish(&w, &o, why, sizeof(why)));
	CHECK(strstr(o.note, "never reported"));
}
