/* The kernel tree's schedulers named on the command line get what a
 * KTSTR_SCHEDULER declaration would give them (model/schedquirks.h). */
#include "unit.h"
#include "model/schedquirks.h"

#include <errno.h>

UNIT_TEST(schedquirks_central_helper)
{
	char b[16];

	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central", "", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "0");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("/root/.cache/k/sched/scx_central", NULL, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "0");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central", "-s 20000 -c 3", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "3");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central", " -c2  -v", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "2");
	/* Not a CPU: nothing pinned; scx_central refuses it itself. */
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central", "-c x", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "");
	/* Others, and names that only contain it. */
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_simple", "-c 3", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central_v2", "", b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus(NULL, NULL, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "");
	CHECK_EQ_INT(kt_sched_quirk_helper_cpus("scx_central", "-c 1234", b, 3), -ENAMETOOLONG);
}
