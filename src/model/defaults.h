/* Every default a case inherits, in one place: the scenario duration,
 * the guest memory, the VM's wall-clock limit and the sched_ext
 * watchdog.  Pure. */
#ifndef KTSTR_MODEL_DEFAULTS_H
#define KTSTR_MODEL_DEFAULTS_H
#include <stdbool.h>
#include <ktstr/ktstr.h>

#define KT_DEFAULT_DURATION_S 2u
#define KT_DEFAULT_MEMORY_MB 2048u
/* A nested rig's L1 runs KVM guests itself and needs room for them. */
#define KT_NESTED_HOST_MEMORY_MB 3072u

/* The scenario length: override (--duration), else the test's, else
 * KT_DEFAULT_DURATION_S. */
unsigned kt_default_duration_s(const struct ktstr_test *t, unsigned override_s);

/* Guest memory: override (--memory), else the variant's (a gauntlet
 * preset's), else the test's, else KT_NESTED_HOST_MEMORY_MB for a nested
 * rig's L1 or KT_DEFAULT_MEMORY_MB; never below min_mb (per-node floor). */
unsigned kt_default_memory_mb(const struct ktstr_test *t, unsigned variant_mb, unsigned override_mb, unsigned min_mb);

/* The VM's wall-clock limit in seconds: boot, the scenario and teardown
 * with margin.  TCG boots in 1-4 s but runs the guest several times
 * slower than hardware: 45 + 3 x duration + cpus / 2.  A guest of a
 * nested rig (an L2 under nested virtualization inside an emulated L1)
 * runs slower again: twice that. */
unsigned kt_default_timeout_s(unsigned duration_s, unsigned cpus, bool nested_guest);

/* The sched_ext watchdog every case under a sched_ext scheduler runs
 * with: the reference's 4 s, doubled under TCG like the other timing
 * limits (docs/schedulers.md). */
#define KT_DEFAULT_WATCHDOG_S 4u

/* Where a case's watchdog value comes from, strongest first. */
enum kt_wd_source { KT_WD_DEFAULT = 0, KT_WD_CLI, KT_WD_TEST, KT_WD_SCHED, KT_WD_OWN };

/* The explicit watchdog value of a case: --watchdog-timeout (cli_set),
 * else the test's, else the scheduler's (0 in a layer: inherit).  *src
 * says which; KT_WD_OWN when that layer asks for the scheduler's own
 * timeout (KTSTR_WATCHDOG_OWN, or --watchdog-timeout 0), KT_WD_DEFAULT
 * (and 0 returned) when no layer sets one. */
unsigned kt_watchdog_explicit(unsigned test_s, unsigned sched_s, bool cli_set, unsigned cli_s,
			      enum kt_wd_source *src);
/* Seconds in force: the explicit value, else the default (x2 under
 * TCG); 0 for KT_WD_OWN. */
unsigned kt_watchdog_seconds(unsigned explicit_s, enum kt_wd_source src, bool tcg);
const char *kt_wd_source_name(enum kt_wd_source s);

#endif
