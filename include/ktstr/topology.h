/* CPU topology of a test VM: NUMA nodes x LLCs x cores per LLC x threads
 * per core, written "1n2l2c1t".  Pure functions. */
#ifndef KTSTR_TOPOLOGY_H
#define KTSTR_TOPOLOGY_H
#include <ktstr/api.h>
#include <stdbool.h>
#include <stddef.h>

#define KTSTR_MAX_CPUS 256

struct ktstr_topo {
	unsigned numa_nodes; /* NUMA nodes */
	unsigned llcs;       /* LLCs in total (a multiple of numa_nodes) */
	unsigned cores;      /* cores per LLC */
	unsigned threads;    /* hardware threads per core */
};

/* CPU numbering: cpu = (llc * cores + core) * threads + thread; LLC l is
 * on node l / (llcs / numa_nodes).  This is the order QEMU and our VMM
 * enumerate APIC IDs in, and the order Linux numbers CPUs. */
static inline unsigned ktstr_topo_cpus(const struct ktstr_topo *t)
{
	return t->llcs * t->cores * t->threads;
}

/* Parse "NnNlNcNt" (each dimension optional in order but all four present
 * in practice).  Returns 0, or -EINVAL with a human reason in err. */
KTSTR_API int ktstr_topo_parse(const char *s, struct ktstr_topo *t, char *err, size_t errlen);
/* Checks: every dimension > 0, llcs % numa_nodes == 0, 1..256 CPUs. */
KTSTR_API int ktstr_topo_validate(const struct ktstr_topo *t, char *err, size_t errlen);
KTSTR_API void ktstr_topo_format(const struct ktstr_topo *t, char *buf, size_t len);
KTSTR_API unsigned ktstr_topo_cpu_llc(const struct ktstr_topo *t, unsigned cpu);
KTSTR_API unsigned ktstr_topo_cpu_node(const struct ktstr_topo *t, unsigned cpu);
KTSTR_API unsigned ktstr_topo_cpu_core(const struct ktstr_topo *t, unsigned cpu); /* global core id */
/* The cpulist of LLC l ("4-7"); -EINVAL if l is out of range. */
KTSTR_API int ktstr_topo_llc_cpus(const struct ktstr_topo *t, unsigned l, char *buf, size_t len);

#endif
