/* What the kernel tree's example schedulers need of the harness, for a
 * scheduler named on the command line (`--scheduler scx_central`) rather
 * than declared with KTSTR_SCHEDULER, where a test would set it. */
#ifndef KTSTR_SCHEDQUIRKS_H
#define KTSTR_SCHEDQUIRKS_H
#include <stddef.h>

/* Pure: the CPU list the sched_ext enable helper kthread must be pinned
 * to for this binary and these arguments, into buf; "" if none.  Since
 * 6.12 ops.init runs on that kthread, and scx_central's init fails ("init
 * from non-central CPU") unless it runs on its central CPU: 0, or what
 * its -c N says.  0, or -ENAMETOOLONG. */
int kt_sched_quirk_helper_cpus(const char *binary, const char *args, char *buf, size_t len);

#endif
