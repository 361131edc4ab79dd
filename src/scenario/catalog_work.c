/* Canned scenarios over work types: stress, interaction and performance
 * mixes (reference catalog §2.13), as plain cgroup lists. */
#include <stdio.h>
#include <ktstr/ktstr.h>

const int kt_catalog_work_linked = 1;

#define T2 .llcs = 2, .cores = 2, .duration_s = 3

KTSTR_SCENARIO(mixed_workloads, T2,
	       .desc = "interaction: a heavy CpuSpin cgroup beside Bursty and IoSync cgroups; none starves")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "heavy", .workers = 4 },
		{ .name = "bursty", .workers = 2, .work = KTSTR_WORK_BURSTY, .work_args = "burst_ms=50,sleep_ms=100" },
		{ .name = "io", .workers = 2, .work = KTSTR_WORK_IO_SYNC },
		{ 0 },
	});
}

KTSTR_SCENARIO(workload_variety, T2,
	       .desc = "stress: 5 cgroups, 5 work types (CpuSpin, Bursty, IoSync, Mixed, YieldHeavy)")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "spin", .workers = 2 },
		{ .name = "bursty", .workers = 2, .work = KTSTR_WORK_BURSTY, .work_args = "burst_ms=50,sleep_ms=100" },
		{ .name = "io", .workers = 2, .work = KTSTR_WORK_IO_SYNC },
		{ .name = "mixed", .workers = 2, .work = KTSTR_WORK_MIXED },
		{ .name = "yield", .workers = 2, .work = KTSTR_WORK_YIELD_HEAVY },
		{ 0 },
	});
}

KTSTR_SCENARIO(pipe_io_compute, T2, .desc = "interaction: pipe-paired IO workers beside CPU spinners")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pipe", .workers = 4, .work = KTSTR_WORK_PIPE_IO },
		{ .name = "spin", .workers = 2 },
		{ 0 },
	});
}

KTSTR_SCENARIO(futex_ping_pong, T2, .desc = "interaction: futex ping-pong pairs beside CPU spinners")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pingpong", .workers = 4, .work = KTSTR_WORK_FUTEX_PING_PONG },
		{ .name = "spin", .workers = 2 },
		{ 0 },
	});
}

KTSTR_SCENARIO(fork_exit_churn, T2, .desc = "stress: 2 cgroups of rapid fork+exit cycling")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .work = KTSTR_WORK_FORK_EXIT },
		{ .name = "cg_1", .workers = 2, .work = KTSTR_WORK_FORK_EXIT },
		{ 0 },
	});
}

KTSTR_SCENARIO(nice_sweep, T2, .desc = "stress: workers cycling their own nice values, beside spinners")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "sweep", .workers = 2, .work = KTSTR_WORK_NICE_SWEEP },
		{ .name = "spin", .workers = 2 },
		{ 0 },
	});
}

KTSTR_SCENARIO(affinity_churn, T2, .desc = "stress: workers changing their own affinity every iteration")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .work = KTSTR_WORK_AFFINITY_CHURN },
		{ .name = "cg_1", .workers = 2, .work = KTSTR_WORK_AFFINITY_CHURN },
		{ 0 },
	});
}

KTSTR_SCENARIO(policy_churn, T2, .desc = "stress: workers cycling through scheduling policies")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .work = KTSTR_WORK_POLICY_CHURN },
		{ .name = "cg_1", .workers = 2, .work = KTSTR_WORK_POLICY_CHURN },
		{ 0 },
	});
}

KTSTR_SCENARIO(page_fault_churn, T2, .desc = "stress: mmap / fault / MADV_DONTNEED cycling in 2 cgroups")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2, .work = KTSTR_WORK_PAGE_FAULT_CHURN },
		{ .name = "cg_1", .workers = 2, .work = KTSTR_WORK_PAGE_FAULT_CHURN },
		{ 0 },
	});
}

KTSTR_SCENARIO(mutex_contention_light, T2, .desc = "stress: 4-way futex mutex contention, short hold")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "mutex", .workers = 4, .work = KTSTR_WORK_MUTEX_CONTENTION,
		  .work_args = "contenders=4,hold_iters=64,work_iters=1024" },
		{ 0 },
	});
}

KTSTR_SCENARIO(cache_pressure_imbalance, T2, .desc = "performance: CachePressure workers beside CpuSpin workers")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cache", .workers = 2, .work = KTSTR_WORK_CACHE_PRESSURE, .work_args = "size_kb=1024" },
		{ .name = "spin", .workers = 4 },
		{ 0 },
	});
}

KTSTR_SCENARIO(cache_yield_wake, T2, .desc = "performance: CacheYield workers (touch cache, yield) beside CachePipe pairs")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "yield", .workers = 2, .work = KTSTR_WORK_CACHE_YIELD },
		{ .name = "pipe", .workers = 2, .work = KTSTR_WORK_CACHE_PIPE },
		{ 0 },
	});
}

/* The messenger and its receivers do different work by design, so their
 * off-CPU shares differ structurally: no spread check (as the project's
 * own work_fan_out test); starvation and gaps are still checked. */
KTSTR_SCENARIO(fan_out_compute, T2, .no_spread_check = true,
	       .desc = "performance: 1:3 fan-out with matrix compute per wake (no spread check: asymmetric roles)")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "fanout", .workers = 4, .work = KTSTR_WORK_FAN_OUT_COMPUTE,
		  .work_args = "fan_out=3,cache_footprint_kb=64" },
		{ 0 },
	});
}

/* FutexFanOut: the messenger spins and wakes; receivers block on the
 * word between wakes, so their CPU shares differ from the spinners'. */
KTSTR_SCENARIO(fan_out_wake, T2, .no_spread_check = true,
	       .desc = "interaction: FutexFanOut 1:3 beside 2 spinners (wake latency sampled; no spread check)")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "fanout", .workers = 4, .work = KTSTR_WORK_FUTEX_FAN_OUT, .work_args = "fan_out=3" },
		{ .name = "spin", .workers = 2 },
		{ 0 },
	});
}

KTSTR_SCENARIO(cgroup_per_cpu, T2, .desc = "cpuset: one cgroup per CPU with an exact 1-CPU cpuset, 2 spinners each")
{
	const struct ktstr_topo *t = ktstr_ctx_topo(ctx);
	unsigned n = ktstr_topo_cpus(t) < 16 ? ktstr_topo_cpus(t) : 16;
	struct ktstr_cgroup_def defs[17] = { { 0 } };
	char names[16][16], sets[16][12];

	for (unsigned c = 0; c < n; c++) {
		snprintf(names[c], sizeof(names[c]), "cpu_%u", c);
		snprintf(sets[c], sizeof(sets[c]), "%u", c);
		defs[c] = (struct ktstr_cgroup_def){ .name = names[c], .workers = 2, .cpuset = sets[c] };
	}
	return ktstr_run_cgroups(ctx, defs);
}
