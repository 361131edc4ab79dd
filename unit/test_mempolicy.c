/* NUMA memory policy validation and syscall arguments (src/core/mempolicy.c). */
#include "unit.h"
#include <string.h>
#include "model/mempolicy.h"

static const char *build(enum ktstr_mempolicy p, const char *nodes, unsigned flags, unsigned nr, uint64_t cs,
			 struct kt_mpol *out)
{
	static char err[256];

	err[0] = '\0';
	return kt_mpol_build(p, nodes, flags, nr, cs, out, err, sizeof(err)) ? err : "OK";
}

UNIT_TEST(mpol_modes_and_masks)
{
	struct kt_mpol m;

	CHECK_EQ_STR(build(KTSTR_MPOL_DEFAULT, NULL, 0, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, -1); /* no syscall */
	CHECK_EQ_STR(build(KTSTR_MPOL_LOCAL, NULL, 0, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 4);
	CHECK_EQ_INT(m.maxnode, 0);
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "1", 0, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 2);
	CHECK_EQ_INT(m.mask[0], 2);
	CHECK_EQ_INT(m.maxnode, 3); /* highest node + 2 */
	CHECK_EQ_STR(build(KTSTR_MPOL_INTERLEAVE, "0-3", 0, 4, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 3);
	CHECK_EQ_INT(m.mask[0], 0xf);
	CHECK_EQ_STR(build(KTSTR_MPOL_PREFERRED, "0", 0, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 1);
	CHECK_EQ_STR(build(KTSTR_MPOL_PREFERRED_MANY, "0,1", 0, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 5);
	CHECK_EQ_STR(build(KTSTR_MPOL_WEIGHTED_INTERLEAVE, "0-1", KTSTR_MPOL_F_STATIC_NODES, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 6 | (1 << 15));
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "0", KTSTR_MPOL_F_NUMA_BALANCING, 2, 0, &m), "OK");
	CHECK_EQ_INT(m.mode, 2 | (1 << 13));
}

UNIT_TEST(mpol_rejects)
{
	struct kt_mpol m;

	CHECK(strstr(build(KTSTR_MPOL_BIND, NULL, 0, 2, 0, &m), "mem_nodes: policy bind needs a node list"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "", 0, 2, 0, &m), "needs a node list"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "x", 0, 2, 0, &m), "bad node list 'x'"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "2", 0, 2, 0, &m), "node 2 does not exist (the VM has 2 nodes)"));
	CHECK(strstr(build(KTSTR_MPOL_PREFERRED, "0-1", 0, 2, 0, &m), "takes one node"));
	CHECK(strstr(build(KTSTR_MPOL_LOCAL, "0", 0, 2, 0, &m), "takes no nodes"));
	CHECK(strstr(build(KTSTR_MPOL_DEFAULT, NULL, KTSTR_MPOL_F_STATIC_NODES, 2, 0, &m), "without a mem_policy"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "0", 1, 2, 0, &m), "unknown bits 0x1"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "0",
			   KTSTR_MPOL_F_STATIC_NODES | KTSTR_MPOL_F_RELATIVE_NODES, 2, 0, &m), "exclude each other"));
	CHECK(strstr(build((enum ktstr_mempolicy)42, "0", 0, 2, 0, &m), "unknown policy 42"));
	CHECK(strstr(build(KTSTR_MPOL_BIND, "64", KTSTR_MPOL_F_RELATIVE_NODES, 2, 0, &m), "beyond 63"));
}

/* Policy nodes against the cgroup's cpuset (reference §2.8). */
UNIT_TEST(mpol_vs_cpuset)
{
	struct kt_mpol m;

	/* cpuset on node 0 only: node 1 is refused... */
	CHECK(strstr(build(KTSTR_MPOL_BIND, "1", 0, 2, 0x1, &m), "node 1 is not a node of the cgroup's cpuset"));
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "0", 0, 2, 0x1, &m), "OK");
	/* ...unless STATIC_NODES (the node must still exist) or RELATIVE_NODES. */
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "1", KTSTR_MPOL_F_STATIC_NODES, 2, 0x1, &m), "OK");
	CHECK(strstr(build(KTSTR_MPOL_BIND, "3", KTSTR_MPOL_F_STATIC_NODES, 2, 0x1, &m), "does not exist"));
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "3", KTSTR_MPOL_F_RELATIVE_NODES, 2, 0x1, &m), "OK");
	/* No cpuset: any existing node. */
	CHECK_EQ_STR(build(KTSTR_MPOL_BIND, "1", 0, 2, 0, &m), "OK");
}
