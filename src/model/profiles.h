/* Scheduler flag profiles: the valid power set of a scheduler's flags
 * (each flag's requires inside, excludes outside, the test's required
 * flags in and excluded flags out).  Pure functions. */
#ifndef KTSTR_PROFILES_H
#define KTSTR_PROFILES_H
#include <stddef.h>
#include <stdint.h>
#include <ktstr/ktstr.h>

#define KT_MAX_FLAGS 16

/* Writes valid masks (bit i = flags[i]) in order of size, then value.
 * Returns the count, or -EINVAL (err says which flag name is unknown or
 * malformed), -E2BIG (more than KT_MAX_FLAGS flags or more than max
 * profiles). */
int kt_flag_profiles(const struct ktstr_sched_flag *flags, const char *const *required,
		     const char *const *excluded, uint32_t *masks, size_t max, char *err, size_t errlen);
/* "llc+steal" in declaration order, or "default".  Both: 0, or
 * -ENAMETOOLONG when it does not fit in len (never a flag cut off). */
int kt_profile_name(const struct ktstr_sched_flag *flags, uint32_t mask, char *buf, size_t len);
/* The flags' arguments joined by spaces. */
int kt_profile_args(const struct ktstr_sched_flag *flags, uint32_t mask, char *buf, size_t len);

#endif
