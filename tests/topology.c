/* Topology tests: the guest reads its topology back from sysfs and the
 * host compares it with what was asked (a mismatch is an infrastructure
 * error).  Each also runs a short workload pinned per LLC to prove the
 * cpuset math on that topology. */
#include <stdio.h>
#include <ktstr/ktstr.h>

static int per_llc_workload(struct ktstr_ctx *ctx)
{
	const struct ktstr_topo *t = ktstr_ctx_topo(ctx);
	unsigned per = t->cores * t->threads, n = t->llcs < 8 ? t->llcs : 8;
	struct ktstr_cgroup_def defs[9] = { { 0 } };
	char names[8][16], sets[8][32];

	for (unsigned l = 0; l < n; l++) {
		snprintf(names[l], sizeof(names[l]), "llc_%u", l);
		ktstr_topo_llc_cpus(t, l, sets[l], sizeof(sets[l]));
		defs[l] = (struct ktstr_cgroup_def){ .name = names[l], .workers = per, .cpuset = sets[l] };
	}
	return ktstr_run_cgroups(ctx, defs);
}

KTSTR_TEST(topo_1n1l2c1t, .numa_nodes = 1, .llcs = 1, .cores = 2, .threads = 1, .duration_s = 1,
	   .desc = "1 node, 1 LLC, 2 cores: topology read back; cpuset per LLC holds")
{
	return per_llc_workload(ctx);
}

KTSTR_TEST(topo_1n2l2c2t, .numa_nodes = 1, .llcs = 2, .cores = 2, .threads = 2, .duration_s = 1,
	   .desc = "1 node, 2 LLCs, 2 cores, SMT2: topology read back; cpuset per LLC holds")
{
	return per_llc_workload(ctx);
}

KTSTR_TEST(topo_2n2l2c1t, .numa_nodes = 2, .llcs = 2, .cores = 2, .threads = 1, .duration_s = 1,
	   .desc = "2 nodes, 1 LLC each, 2 cores: topology read back; cpuset per LLC holds")
{
	return per_llc_workload(ctx);
}
