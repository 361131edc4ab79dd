/* How many VMs to run at once (-j).  Under TCG every vCPU is a host
 * thread that wants a whole host CPU while its guest runs; with more
 * vCPUs than host CPUs guest time stretches (a 1 s scenario takes longer
 * on the host clock, ticks arrive late), which shows up as false stalls.
 * The default therefore counts vCPUs against host CPUs, and a requested
 * -j that oversubscribes the host far gets one warning. */
#ifndef KTSTR_RUNNER_JOBS_H
#define KTSTR_RUNNER_JOBS_H
#include <stdbool.h>
#include <stddef.h>

#define KT_JOBS_MAX 64
/* Warn once the VMs of a run may hold more than this many vCPUs per
 * host CPU: each vCPU then gets under half a host CPU. */
#define KT_JOBS_STRETCH 2

/* Pure: the vCPUs of the `jobs` largest cases, the most a pool of that
 * many VMs can run at once (jobs capped at KT_JOBS_MAX). */
unsigned kt_jobs_peak_vcpus(const unsigned *vcpus, size_t n, unsigned jobs);

/* Pure: the default -j: the most VMs whose vCPUs fit the host's CPUs
 * even when the largest cases run together; at least 1, at most n and
 * KT_JOBS_MAX. */
unsigned kt_jobs_fit(const unsigned *vcpus, size_t n, unsigned host_cpus);

/* Pure: a requested -j oversubscribes the host so far that guest time
 * stretches: more than one VM at once and the peak vCPUs (*peak) above
 * KT_JOBS_STRETCH x host_cpus.  One VM alone is never flagged: -j
 * cannot make it fit. */
bool kt_jobs_stretch(const unsigned *vcpus, size_t n, unsigned jobs, unsigned host_cpus, unsigned *peak);

/* The host CPUs this process may run on (its affinity mask), at least 1. */
unsigned kt_host_cpus_allowed(void);

/* Parse KTSTR_JOBS / -j text: 0 and *out, or -EINVAL. */
int kt_jobs_parse(const char *s, unsigned *out);

#endif
