/* NUMA memory policy validation (see mempolicy.h). */
#include "model/mempolicy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define F_ALL (KTSTR_MPOL_F_STATIC_NODES | KTSTR_MPOL_F_RELATIVE_NODES | KTSTR_MPOL_F_NUMA_BALANCING)

/* The kernel's mode numbers, by enum ktstr_mempolicy. */
static const int kmode[] = { 0, 2, 1, 3, 4, 5, 6 };
static const char *const names[] = { "default", "bind", "preferred", "interleave", "local", "preferred_many",
				     "weighted_interleave" };

const char *kt_mpol_name(enum ktstr_mempolicy p)
{
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

static bool takes_set(enum ktstr_mempolicy p)
{
	return p == KTSTR_MPOL_BIND || p == KTSTR_MPOL_INTERLEAVE || p == KTSTR_MPOL_PREFERRED_MANY ||
	       p == KTSTR_MPOL_WEIGHTED_INTERLEAVE;
}

static int fail(char *err, size_t len, const char *what)
{
	snprintf(err, len, "%s", what);
	return -EINVAL;
}

int kt_mpol_build(enum ktstr_mempolicy p, const char *nodes, unsigned flags, unsigned nr_nodes,
		  uint64_t cpuset_nodes, struct kt_mpol *out, char *err, size_t errlen)
{
	struct ktstr_cpumask m;
	unsigned n, hi = 0, cnt = 0;
	const unsigned bpw = 8 * sizeof(unsigned long);

	memset(out, 0, sizeof(*out));
	out->mode = -1;
	if ((unsigned)p >= sizeof(kmode) / sizeof(kmode[0]))
		return snprintf(err, errlen, "mem_policy: unknown policy %d", (int)p), -EINVAL;
	if (flags & ~F_ALL)
		return snprintf(err, errlen, "mpol_flags: unknown bits 0x%x", flags & ~F_ALL), -EINVAL;
	if ((flags & KTSTR_MPOL_F_STATIC_NODES) && (flags & KTSTR_MPOL_F_RELATIVE_NODES))
		return fail(err, errlen, "mpol_flags: STATIC_NODES and RELATIVE_NODES exclude each other");
	if (p == KTSTR_MPOL_DEFAULT || p == KTSTR_MPOL_LOCAL) {
		if (nodes && *nodes)
			return snprintf(err, errlen, "mem_nodes: policy %s takes no nodes, got '%s'", names[p], nodes),
			       -EINVAL;
		if (p == KTSTR_MPOL_DEFAULT && flags)
			return fail(err, errlen, "mpol_flags: set without a mem_policy");
		if (p == KTSTR_MPOL_LOCAL)
			out->mode = kmode[p] | (int)flags;
		return 0;
	}
	if (!nodes || !*nodes)
		return snprintf(err, errlen, "mem_nodes: policy %s needs a node list", names[p]), -EINVAL;
	if (kt_mask_parse(nodes, &m))
		return snprintf(err, errlen, "mem_nodes: bad node list '%s'", nodes), -EINVAL;
	for (n = 0; n < KTSTR_MASK_BITS; n++) {
		if (!kmask_test(&m, n))
			continue;
		if (n >= KT_MPOL_MAX_NODES)
			return snprintf(err, errlen, "mem_nodes: node %u beyond %d", n, KT_MPOL_MAX_NODES - 1), -EINVAL;
		if (!(flags & KTSTR_MPOL_F_RELATIVE_NODES) && n >= nr_nodes)
			return snprintf(err, errlen, "mem_nodes: node %u does not exist (the VM has %u node%s)", n,
					nr_nodes, nr_nodes == 1 ? "" : "s"),
			       -EINVAL;
		if (!(flags & (KTSTR_MPOL_F_RELATIVE_NODES | KTSTR_MPOL_F_STATIC_NODES)) && cpuset_nodes &&
		    !(cpuset_nodes >> n & 1))
			return snprintf(err, errlen,
					"mem_nodes: node %u is not a node of the cgroup's cpuset (use STATIC_NODES to "
					"allow it)",
					n),
			       -EINVAL;
		out->mask[n / bpw] |= 1ul << (n % bpw);
		hi = n;
		cnt++;
	}
	if (!cnt)
		return snprintf(err, errlen, "mem_nodes: empty node list '%s'", nodes), -EINVAL;
	if (p == KTSTR_MPOL_PREFERRED && cnt != 1)
		return snprintf(err, errlen, "mem_nodes: policy preferred takes one node, got '%s'", nodes), -EINVAL;
	if (!takes_set(p) && p != KTSTR_MPOL_PREFERRED)
		return fail(err, errlen, "mem_policy: unknown policy");
	out->mode = kmode[p] | (int)flags;
	out->maxnode = hi + 2;
	return 0;
}
