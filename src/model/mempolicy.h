/* NUMA memory policies (reference §2.8): validation and the arguments of
 * set_mempolicy(2).  Pure; the worker makes the syscall. */
#ifndef KTSTR_CORE_MEMPOLICY_H
#define KTSTR_CORE_MEMPOLICY_H
#include <stddef.h>
#include <stdint.h>
#include <ktstr/ktstr.h>

#define KT_MPOL_MAX_NODES 64

struct kt_mpol {
	int mode;                 /* MPOL_* | flags, -1: DEFAULT (no syscall) */
	unsigned long mask[KT_MPOL_MAX_NODES / (8 * sizeof(unsigned long))];
	unsigned long maxnode;    /* highest node + 2, as the reference passes it */
};

const char *kt_mpol_name(enum ktstr_mempolicy p);

/* Validate a cgroup's policy and build its syscall arguments.  nr_nodes:
 * NUMA nodes of the VM; cpuset_nodes: bit n set when the cgroup's cpuset
 * has a CPU on node n, 0 when the cgroup has no cpuset.  Returns 0 or
 * -EINVAL with the reason, naming the field, in err. */
int kt_mpol_build(enum ktstr_mempolicy p, const char *nodes, unsigned flags, unsigned nr_nodes,
		  uint64_t cpuset_nodes, struct kt_mpol *out, char *err, size_t errlen);

#endif
