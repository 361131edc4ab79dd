/* Every work type runs and reports plausible telemetry.  Each test runs
 * several types side by side (one cgroup per type) for 1 s, stops the
 * workers, checks each cgroup's reports (work done, iterations, NUMA
 * pages, schedstat, wake samples exactly for blocking types, migrations
 * for AffinityChurn, messengers for the fan-out types), then lets the
 * harness run its checks (starvation, gaps; not the spread).  A negative
 * test proves the wake-latency and migration checks fire. */
#include <inttypes.h>
#include <time.h>
#include <ktstr/ktstr.h>

#define WAKE (1u << 0) /* wake-latency samples expected in the cgroup */
#define MIGR (1u << 1) /* migrations expected */
#define MSGR (1u << 2) /* one messenger per group expected */

static uint64_t pages_of(const struct ktstr_worker_report *r)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < KTSTR_REPORT_NODES; k++)
		n += r->numa_pages[k];
	return n;
}

/* Every worker completed, did work and iterations; the cgroup's
 * expectations hold.  Logs one line of telemetry per cgroup. */
static void expect_cgroup(struct ktstr_ctx *ctx, struct ktstr_workload *w, const struct ktstr_cgroup_def *d,
			  unsigned cg, unsigned expect)
{
	unsigned workers = 0, messengers = 0;
	uint64_t units = 0, iters = 0, wakes = 0, migrations = 0;

	for (size_t i = 0; i < ktstr_workload_nworkers(w); i++) {
		const struct ktstr_worker_report *r = ktstr_workload_report(w, i);

		if (r->cgroup != cg)
			continue;
		workers++;
		messengers += r->is_messenger;
		units += r->work_units;
		iters += r->iterations;
		wakes += r->nwake;
		migrations += r->migrations;
		if (!r->completed || !r->work_units || !r->iterations || !r->wall_time_ns)
			ktstr_fail(ctx, KTSTR_K_OTHER,
				   "%s (%s): worker %d implausible: completed=%d work_units=%" PRIu64
				   " iterations=%" PRIu64 " wall=%" PRIu64 "ns",
				   d->name, ktstr_work_name(d->work), (int)r->pid, r->completed, r->work_units,
				   r->iterations, r->wall_time_ns);
		/* Custom reports only what its function fills in. */
		if (d->work != KTSTR_WORK_CUSTOM && (!pages_of(r) || !r->run_count || !kt_mask_weight(&r->cpus_used)))
			ktstr_fail(ctx, KTSTR_K_OTHER,
				   "%s (%s): worker %d: no NUMA pages (%" PRIu64 "), schedstat runs (%" PRIu64
				   ") or CPUs", d->name, ktstr_work_name(d->work), (int)r->pid, pages_of(r), r->run_count);
		if (r->nwake > r->wake_total || r->nwake > KTSTR_WAKE_SAMPLES_MAX)
			ktstr_fail(ctx, KTSTR_K_OTHER, "%s: worker %d keeps %u of %" PRIu64 " wake samples", d->name,
				   (int)r->pid, r->nwake, r->wake_total);
	}
	ktstr_log(ctx, "%-14s %-16s workers=%u units=%" PRIu64 " iterations=%" PRIu64 " wakes=%" PRIu64
		  " migrations=%" PRIu64, d->name, ktstr_work_name(d->work), workers, units, iters, wakes,
		  migrations);
	if (!workers)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: no workers", d->name);
	if ((expect & WAKE) && !wakes)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s (%s): no wake-latency samples", d->name, ktstr_work_name(d->work));
	if (!(expect & WAKE) && wakes)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s (%s): %" PRIu64 " wake samples from a type that never blocks",
			   d->name, ktstr_work_name(d->work), wakes);
	if ((expect & MIGR) && !migrations)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s (%s): no migrations counted", d->name, ktstr_work_name(d->work));
	if ((expect & MSGR) && !messengers)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s (%s): no messenger", d->name, ktstr_work_name(d->work));
}

/* Run defs for the test's duration, check telemetry per expect[], then
 * stop and let the harness check. */
static int run_and_expect(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, const unsigned *expect)
{
	struct ktstr_workload *w;
	int ret = ktstr_workload_start(ctx, defs, &w);

	if (ret)
		return ret;
	ktstr_sleep_ms(ktstr_ctx_duration_ms(ctx));
	ktstr_workload_stop(w);
	for (unsigned c = 0; defs[c].name; c++)
		expect_cgroup(ctx, w, &defs[c], c, expect[c]);
	return ktstr_workload_finish(ctx, w);
}

/* Fairness is the steady tests' job: 10 workers on 2 vCPUs for 1 s under
 * a loaded TCG host give too noisy an off-CPU spread to judge here. */
KTSTR_TEST(work_cpu, .llcs = 1, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .desc = "CpuSpin, YieldHeavy, Mixed, CachePressure, PageFaultChurn: work and iterations")
{
	static const unsigned expect[] = { 0, 0, 0, 0, 0 };

	return run_and_expect(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cpu_spin", .work = KTSTR_WORK_SPIN },
		{ .name = "yield_heavy", .work = KTSTR_WORK_YIELD_HEAVY },
		{ .name = "mixed", .work = KTSTR_WORK_MIXED },
		{ .name = "cache_pressure", .work = KTSTR_WORK_CACHE_PRESSURE, .work_args = "size_kb=64,stride=64" },
		{ .name = "page_faults", .work = KTSTR_WORK_PAGE_FAULT_CHURN, .work_args = "region_kb=1024" },
		{ 0 },
	}, expect);
}

KTSTR_TEST(work_blocking, .llcs = 1, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .desc = "IoSync, Bursty, CacheYield, ForkExit, NiceSweep: blocking calls are sampled")
{
	static const unsigned expect[] = { WAKE, WAKE, WAKE, WAKE, WAKE };

	return run_and_expect(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "io_sync", .work = KTSTR_WORK_IO_SYNC },
		{ .name = "bursty", .work = KTSTR_WORK_BURSTY, .work_args = "burst_ms=10,sleep_ms=20" },
		{ .name = "cache_yield", .work = KTSTR_WORK_CACHE_YIELD },
		{ .name = "fork_exit", .work = KTSTR_WORK_FORK_EXIT },
		{ .name = "nice_sweep", .work = KTSTR_WORK_NICE_SWEEP },
		{ 0 },
	}, expect);
}

KTSTR_TEST(work_paired, .llcs = 1, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .desc = "PipeIo, FutexPingPong, CachePipe (pairs), MutexContention (2 contenders): round trips sampled")
{
	static const unsigned expect[] = { WAKE, WAKE, WAKE, WAKE };

	return run_and_expect(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pipe_io", .workers = 2, .work = KTSTR_WORK_PIPE_IO },
		{ .name = "ping_pong", .workers = 2, .work = KTSTR_WORK_FUTEX_PING_PONG },
		{ .name = "cache_pipe", .workers = 2, .work = KTSTR_WORK_CACHE_PIPE },
		{ .name = "mutex", .workers = 4, .work = KTSTR_WORK_MUTEX_CONTENTION, .work_args = "contenders=2" },
		{ 0 },
	}, expect);
}

static const struct ktstr_work_phase phases[] = {
	{ KTSTR_PHASE_SPIN, 10 }, { KTSTR_PHASE_SLEEP, 5 }, { KTSTR_PHASE_YIELD, 5 }, { KTSTR_PHASE_IO, 5 },
	{ KTSTR_PHASE_END, 0 },
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A custom loop: counts units until told to stop and times itself (the
 * framework adds no telemetry to Custom reports). */
static void custom_loop(const volatile int *stop, struct ktstr_worker_report *rep, void *arg)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	volatile uint64_t x = (uintptr_t)arg;

	for (uint64_t i = 0; !*stop && i < (1ull << 40); i++) {
		for (int k = 0; k < 1000; k++)
			x = x * 6364136223846793005ull + 1;
		rep->work_units++;
		rep->iterations++;
	}
	rep->wall_time_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	rep->cpu_time_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}

KTSTR_TEST(work_fan_out, .llcs = 1, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .desc = "FutexFanOut, FanOutCompute (messenger + 2), Sequence, Custom")
{
	static const unsigned expect[] = { WAKE | MSGR, WAKE | MSGR, WAKE, 0 };

	return run_and_expect(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "futex_fan_out", .workers = 3, .work = KTSTR_WORK_FUTEX_FAN_OUT, .work_args = "fan_out=2" },
		{ .name = "fan_out_compute", .workers = 3, .work = KTSTR_WORK_FAN_OUT_COMPUTE,
		  .work_args = "fan_out=2,cache_footprint_kb=48,operations=2" },
		{ .name = "sequence", .workers = 2, .work = KTSTR_WORK_SEQUENCE, .sequence = phases },
		{ .name = "custom", .workers = 2, .work = KTSTR_WORK_CUSTOM, .custom = custom_loop },
		{ 0 },
	}, expect);
}

KTSTR_TEST(work_churn, .llcs = 2, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .desc = "AffinityChurn migrates (counted), PolicyChurn cycles policies, on 1n2l2c1t")
{
	static const unsigned expect[] = { WAKE | MIGR, WAKE };

	return run_and_expect(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "affinity", .workers = 2, .work = KTSTR_WORK_AFFINITY_CHURN, .work_args = "spin_iters=256" },
		{ .name = "policy", .workers = 2, .work = KTSTR_WORK_POLICY_CHURN },
		{ 0 },
	}, expect);
}

/* Negative: a 1 us p99 wake-latency limit on 20 ms sleeps and a
 * migration ratio of 0.001 on AffinityChurn must both fail. */
KTSTR_TEST(work_neg_thresholds, .llcs = 1, .cores = 2, .duration_s = 1, .no_spread_check = true,
	   .max_p99_wake_latency_ns = 1000, .max_migration_ratio = 0.001, .expect_fail = true,
	   .expect_reason = "p99 wake latency",
	   .desc = "negative: p99 wake latency and migration ratio limits must fail")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "bursty", .workers = 2, .work = KTSTR_WORK_BURSTY, .work_args = "burst_ms=5,sleep_ms=20" },
		{ .name = "affinity", .workers = 2, .work = KTSTR_WORK_AFFINITY_CHURN },
		{ 0 },
	});
}
