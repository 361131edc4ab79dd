/* Fixed-size CPU sets and the kernel's cpulist format ("0-3,8,10-11").
 * Pure functions. */
#ifndef KTSTR_CPUMASK_H
#define KTSTR_CPUMASK_H
#include <ktstr/api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTSTR_MASK_BITS 1024

struct ktstr_cpumask {
	uint64_t w[KTSTR_MASK_BITS / 64];
};

static inline void kmask_zero(struct ktstr_cpumask *m)
{
	for (size_t i = 0; i < KTSTR_MASK_BITS / 64; i++)
		m->w[i] = 0;
}
static inline void kmask_set(struct ktstr_cpumask *m, unsigned cpu)
{
	if (cpu < KTSTR_MASK_BITS)
		m->w[cpu / 64] |= 1ull << (cpu % 64);
}
static inline bool kmask_test(const struct ktstr_cpumask *m, unsigned cpu)
{
	return cpu < KTSTR_MASK_BITS && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}
KTSTR_API unsigned kt_mask_weight(const struct ktstr_cpumask *m);
KTSTR_API bool kt_mask_equal(const struct ktstr_cpumask *a, const struct ktstr_cpumask *b);
KTSTR_API bool kt_mask_subset(const struct ktstr_cpumask *a, const struct ktstr_cpumask *b); /* a within b */
KTSTR_API void kt_mask_or(struct ktstr_cpumask *d, const struct ktstr_cpumask *s);
KTSTR_API void kt_mask_and(struct ktstr_cpumask *d, const struct ktstr_cpumask *s);
KTSTR_API void kt_mask_andnot(struct ktstr_cpumask *d, const struct ktstr_cpumask *s);
KTSTR_API int kt_mask_first(const struct ktstr_cpumask *m); /* -1 if empty */
/* Parse a cpulist; -EINVAL on syntax errors, reversed ranges or CPUs
 * >= KTSTR_MASK_BITS. */
KTSTR_API int kt_mask_parse(const char *s, struct ktstr_cpumask *m);
/* Format as a cpulist ("" for empty).  Returns 0 or -ENOSPC. */
KTSTR_API int kt_mask_format(const struct ktstr_cpumask *m, char *buf, size_t len);

#endif
