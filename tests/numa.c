/* NUMA memory policies and cpuset isolation, with their negative twins. */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <ktstr/ktstr.h>

/* 2 nodes x 1 LLC x 2 cores: node 0 = CPUs 0-1, node 1 = CPUs 2-3.  Each
 * worker touches a 16 MiB buffer, so its anonymous pages outweigh the
 * shared file pages (the binary, libraries) that numa_maps also counts. */
#define NUMA_TOPO .numa_nodes = 2, .llcs = 2, .cores = 2, .threads = 1
#define BIG_BUFFER "size_kb=16384"

KTSTR_TEST(numa_bind_local, NUMA_TOPO, .duration_s = 2, .min_page_locality = 0.9,
	   .desc = "MPOL_BIND to the cpuset's own node: page locality >= 0.9")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .cpuset = "0-1", .work = KTSTR_WORK_CACHE_PRESSURE,
		  .work_args = BIG_BUFFER, .mem_policy = KTSTR_MPOL_BIND, .mem_nodes = "0" },
		{ .name = "cg_1", .workers = 2, .cpuset = "2-3", .work = KTSTR_WORK_CACHE_PRESSURE,
		  .work_args = BIG_BUFFER, .mem_policy = KTSTR_MPOL_PREFERRED, .mem_nodes = "1" },
		{ 0 },
	});
}

/* Negative: bound to the other node (allowed by STATIC_NODES), the pages
 * land away from the cpuset and the locality check must say so. */
KTSTR_TEST(neg_numa_bind_remote, NUMA_TOPO, .duration_s = 2, .min_page_locality = 0.9, .expect_fail = true,
	   .expect_reason = "page locality",
	   .desc = "negative: MPOL_BIND to the remote node must fail the page-locality check")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .cpuset = "0-1", .work = KTSTR_WORK_CACHE_PRESSURE,
		  .work_args = BIG_BUFFER, .mem_policy = KTSTR_MPOL_BIND, .mem_nodes = "1",
		  .mpol_flags = KTSTR_MPOL_F_STATIC_NODES },
		{ 0 },
	});
}

/* Negative: a policy node outside the cpuset's nodes, without a flag that
 * allows it, is refused before any worker starts (reference §2.8). */
KTSTR_TEST(neg_numa_policy_vs_cpuset, NUMA_TOPO, .duration_s = 1, .expect_fail = true,
	   .expect_reason = "node 1 is not a node of the cgroup's cpuset",
	   .desc = "negative: a memory policy outside the cgroup's cpuset nodes is rejected")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .cpuset = "0-1", .mem_policy = KTSTR_MPOL_INTERLEAVE,
		  .mem_nodes = "0-1" },
		{ 0 },
	});
}

/* Negative: a worker escapes its cgroup (moved to the root cgroup and
 * pinned to CPU 3, as a scheduler that ignored the cpuset would place
 * it); the isolation check must name it and the CPU. */
KTSTR_TEST(neg_cpuset_violation, .llcs = 2, .cores = 2, .duration_s = 2, .no_spread_check = true,
	   .expect_fail = true, .expect_reason = "ran on unexpected CPUs 3",
	   .desc = "negative: a worker running outside its cgroup's cpuset is reported as an isolation failure")
{
	struct ktstr_workload *w;
	char pid[32];
	cpu_set_t set;
	FILE *f;
	int ret = ktstr_workload_start(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .cpuset = "0-1" },
		{ 0 },
	}, &w);

	if (ret)
		return ret;
	ktstr_sleep_ms(300);
	snprintf(pid, sizeof(pid), "%d", (int)ktstr_workload_pid(w, 0));
	f = fopen("/sys/fs/cgroup/cgroup.procs", "w");
	if (!f || fputs(pid, f) < 0 || fclose(f)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "moving worker %s to the root cgroup failed", pid);
		f = NULL;
	}
	CPU_ZERO(&set);
	CPU_SET(3, &set);
	if (sched_setaffinity(ktstr_workload_pid(w, 0), sizeof(set), &set))
		ktstr_fail(ctx, KTSTR_K_OTHER, "sched_setaffinity(worker %s, {3}) failed", pid);
	ktstr_sleep_ms(ktstr_ctx_duration_ms(ctx));
	return ktstr_workload_finish(ctx, w);
}
