/* Fairness under contention (docs/checks.md): more runnable workers than
 * CPUs, in one cgroup and across cgroups with different cpu.weight, with
 * and without cpusets.  Every cgroup's workers have equal claims, so the
 * worker checks judge fairness per worker (the spread of their off-CPU
 * share, starvation, gaps) — a scheduler that shortchanges some tasks
 * fails them here, where the reference-derived scenarios with unequal
 * shares switch the spread check off. */
#include <stdio.h>
#include <ktstr/ktstr.h>

const int kt_catalog_contend_linked = 1;

static unsigned ncpus(struct ktstr_ctx *ctx)
{
	return ktstr_topo_cpus(ktstr_ctx_topo(ctx));
}

KTSTR_SCENARIO(contend_one_cgroup, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "contention: 3 spinners per CPU in one cgroup; every worker gets an equal share")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 3 * ncpus(ctx) },
		{ 0 },
	});
}

KTSTR_SCENARIO(contend_weighted, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "contention: 2 spinners per CPU in two cgroups of cpu.weight 100 and 400; equal shares "
		       "within each")
{
	unsigned n = ncpus(ctx);

	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "light", .workers = n, .cpu_weight = 100 },
		{ .name = "heavy", .workers = n, .cpu_weight = 400 },
		{ 0 },
	});
}

/* Two cgroups on the two halves of the CPUs (the LLCs of 1n2l2c1t). */
KTSTR_SCENARIO(contend_cpusets, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "contention: one cgroup per half of the CPUs, 3 spinners per CPU of its cpuset; equal shares, "
		       "no escape")
{
	unsigned n = ncpus(ctx), half = n / 2 ? n / 2 : 1;
	char a[32], b[32];

	if (n < 2) {
		ktstr_skip(ctx, "needs 2 CPUs");
		return 0;
	}
	snprintf(a, sizeof(a), "0-%u", half - 1);
	snprintf(b, sizeof(b), "%u-%u", half, n - 1);
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "lo", .workers = 3 * half, .cpuset = a },
		{ .name = "hi", .workers = 3 * (n - half), .cpuset = b },
		{ 0 },
	});
}

/* Spinners beside wakers that burst and sleep: the sleepers must not
 * be punished for sleeping, nor the spinners starved. */
KTSTR_SCENARIO(contend_mixed, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "contention: 2 spinners per CPU beside 1 burst/sleep worker per CPU; equal shares within each "
		       "kind")
{
	unsigned n = ncpus(ctx);

	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "spin", .workers = 2 * n },
		{ .name = "burst", .workers = n, .work = KTSTR_WORK_BURSTY, .work_args = "burst_ms=30,sleep_ms=20" },
		{ 0 },
	});
}
