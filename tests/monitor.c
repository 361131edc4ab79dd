/* The host-side monitor (docs/monitor.md) against the guest's own view:
 * its per-CPU nr_running agrees with the guest's debugfs at the same rq
 * clock; it finds the kernel with KASLR on and off (the guest's kallsyms,
 * iomem and vmallocinfo confirm the addresses and the page walk); it
 * flags a stalling and an imbalanced scheduler on its own; a test's
 * thresholds and its switch apply; reading sched/debug is safe. */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <ktstr/ktstr.h>

KTSTR_SCHEDULER(mon_scx_ktstr, .name = "scx_ktstr", .binary = "scx_ktstr");

/* Pinned spinners give each CPU a steady nr_running (cpu1: 2, cpu2: 3);
 * the probing test body stays on cpu0.  Readings every 100 ms. */
static int probe_while_pinned(struct ktstr_ctx *ctx, unsigned what)
{
	struct ktstr_workload *w;
	cpu_set_t set;
	unsigned rounds = ktstr_ctx_duration_ms(ctx) / 100, sent = 0;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "pin the test body to cpu 0 failed");
		return 0;
	}
	ret = ktstr_workload_start(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "two", .workers = 2, .cpuset = "1" },
		{ .name = "three", .workers = 3, .cpuset = "2" },
		{ 0 },
	}, &w);
	if (ret)
		return ret;
	for (unsigned i = 0; i < rounds; i++) {
		ktstr_sleep_ms(100);
		ret = ktstr_monitor_probe(ctx, i == rounds / 2 ? what | KTSTR_PROBE_KERNEL : what);
		if (ret < 0) {
			ktstr_fail(ctx, KTSTR_K_OTHER, "guest readings for the monitor failed: error %d", ret);
			break;
		}
		sent += (unsigned)ret;
	}
	if (!sent)
		ktstr_fail(ctx, KTSTR_K_OTHER, "no guest readings were sent");
	return ktstr_workload_finish(ctx, w);
}

KTSTR_TEST(monitor_nr_running_agrees, .llcs = 1, .cores = 3, .duration_s = 4, .no_spread_check = true,
	   .desc = "monitor nr_running per CPU = the guest's sched/debug at the same rq clock (EEVDF, pinned spinners)")
{
	return probe_while_pinned(ctx, KTSTR_PROBE_NR_RUNNING);
}

KTSTR_TEST(monitor_nr_running_agrees_scx, .scheduler = &mon_scx_ktstr, .llcs = 1, .cores = 3, .duration_s = 4,
	   .no_spread_check = true,
	   .desc = "monitor nr_running per CPU = the guest's at the same rq clock, under scx_ktstr")
{
	return probe_while_pinned(ctx, KTSTR_PROBE_NR_RUNNING);
}

KTSTR_TEST(monitor_kaslr_on, .kaslr = true, .llcs = 1, .cores = 3, .duration_s = 2, .no_spread_check = true,
	   .desc = "KASLR: the monitor finds the kernel in guest memory; _text, its physical address and "
		   "ioremap page walks agree with the guest's kallsyms/iomem/vmallocinfo")
{
	return probe_while_pinned(ctx, KTSTR_PROBE_NR_RUNNING);
}

KTSTR_TEST(monitor_kaslr_off, .llcs = 1, .cores = 3, .duration_s = 2, .no_spread_check = true,
	   .desc = "nokaslr: the same addresses and page walks agree")
{
	return probe_while_pinned(ctx, KTSTR_PROBE_NR_RUNNING);
}

/* The guest's readings come from /sys/kernel/debug/sched/debug, whose
 * print_cfs_rq() called avg_vruntime() (which moves zero_vruntime) without
 * the rq lock: reads raced the scheduler and the kernel died in
 * pick_task_fair() (kernel/ktstr-fixes.patch, docs/ci.md).  Readers flat
 * out on cpu 0 against yielders and spinners in cgroups on every CPU;
 * before the fix this panicked within seconds. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whole reads of the file until ms have passed; how many. */
static uint64_t read_sched_debug_for(unsigned ms)
{
	static char buf[1 << 16];
	uint64_t reads = 0, end = mono_ns() + (uint64_t)ms * 1000000ull;

	while (mono_ns() < end) {
		int fd = open("/sys/kernel/debug/sched/debug", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		reads++;
	}
	return reads;
}

KTSTR_TEST(monitor_sched_debug_safe, .llcs = 1, .cores = 4, .duration_s = 6, .no_spread_check = true,
	   .max_gap_ms = 60000,
	   .desc = "reading sched/debug flat out while yielders and spinners run in cgroups does not crash the "
		   "kernel (the probe's source; kernel/ktstr-fixes.patch)")
{
	struct ktstr_workload *w;
	int ret = ktstr_workload_start(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "yield", .workers = 8, .work = KTSTR_WORK_YIELD_HEAVY },
		{ .name = "spin", .workers = 4 },
		{ 0 },
	}, &w);

	if (ret)
		return ret;
	if (!read_sched_debug_for(ktstr_ctx_duration_ms(ctx)))
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/kernel/debug/sched/debug could not be read");
	return ktstr_workload_finish(ctx, w);
}

static int spin(struct ktstr_ctx *ctx)
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ .name = "cg_1", .workers = 2 },
		{ 0 },
	});
}

/* scx_ktstr stops dispatching 3 s after it attaches (after the monitor's
 * 2 s warm-up); its own watchdog is set to 15 s and the worker checks
 * are loosened, so the first to notice must be the monitor. */
KTSTR_TEST(monitor_stall_flagged, .scheduler = &mon_scx_ktstr, .sched_args = "--stall-after 3 --timeout-ms 15000",
	   .llcs = 1, .cores = 2, .duration_s = 8, .no_spread_check = true, .max_gap_ms = 60000,
	   .expect_fail = true, .expect_reason = "stalled:",
	   .desc = "negative: scx_ktstr stops dispatching; the host monitor flags the stall on its own")
{
	return spin(ctx);
}

/* The same stall for user tasks only: kernel threads keep running, so
 * CPUs are briefly busy now and then; the monitor must still see that
 * no user task runs while they wait. */
KTSTR_TEST(monitor_user_stall_flagged, .scheduler = &mon_scx_ktstr,
	   .sched_args = "--stall-after 3 --stall-user --timeout-ms 15000", .llcs = 1, .cores = 2, .duration_s = 8,
	   .no_spread_check = true, .max_gap_ms = 60000, .expect_fail = true, .expect_reason = "stalled:",
	   .desc = "negative: scx_ktstr stops dispatching user tasks, kernel threads run on; the host monitor "
		   "flags the stall on its own")
{
	return spin(ctx);
}

/* Six spinners pinned to cpu 0 of two: nr_running 6 vs 0, but cpu 1 may
 * run none of them; under sched_ext the monitor judges where work
 * waits and what it may run on, so this is neither an imbalance nor
 * idle-while-waiting (the reference's ratio over all CPUs flagged it). */
static int pinned_pile(struct ktstr_ctx *ctx)
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pile", .workers = 6, .cpuset = "0" },
		{ 0 },
	});
}

KTSTR_TEST(monitor_pinned_pile_ok, .scheduler = &mon_scx_ktstr, .llcs = 1, .cores = 2, .duration_s = 5,
	   .no_spread_check = true, .max_gap_ms = 60000,
	   .desc = "6 spinners pinned to one CPU of two under a healthy scheduler: no monitor failure")
{
	return pinned_pile(ctx);
}

/* scx_kt_idle queues every user task on cpu 0's local DSQ: six spinners
 * there, cpu 1 idle although they may run on it. */
KTSTR_SCHEDULER(mon_kt_idle, .name = "scx_kt_idle", .binary = "scx_kt_idle");

static int free_pile(struct ktstr_ctx *ctx)
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pile", .workers = 6 },
		{ 0 },
	});
}

KTSTR_TEST(monitor_imbalance_flagged, .scheduler = &mon_kt_idle, .llcs = 1, .cores = 2, .duration_s = 5,
	   .no_spread_check = true, .max_gap_ms = 60000, .monitor = { .fail_on_idle_waiting = KTSTR_OFF },
	   .expect_fail = true, .expect_reason = "imbalance ratio",
	   .desc = "negative: a scheduler piling 6 spinners on one CPU of two fails the imbalance check")
{
	return free_pile(ctx);
}

KTSTR_TEST(monitor_idle_waiting_flagged, .scheduler = &mon_kt_idle, .llcs = 1, .cores = 2, .duration_s = 5,
	   .no_spread_check = true, .max_gap_ms = 60000, .monitor = { .max_imbalance_ratio = 100.0 },
	   .expect_fail = true, .expect_reason = "idle while",
	   .desc = "negative: the same pile fails work conservation: cpu 1 idles while tasks it may run wait")
{
	return free_pile(ctx);
}

KTSTR_TEST(monitor_imbalance_threshold, .scheduler = &mon_kt_idle, .llcs = 1, .cores = 2, .duration_s = 5,
	   .no_spread_check = true, .max_gap_ms = 60000,
	   .monitor = { .max_imbalance_ratio = 10.0, .max_mean_imbalance = 10.0, .fail_on_idle_waiting = KTSTR_OFF },
	   .desc = "the same pile passes with the test's own imbalance thresholds (10, sustained and mean) and work "
		   "conservation off")
{
	return free_pile(ctx);
}

KTSTR_TEST(monitor_off, .scheduler = &mon_kt_idle, .llcs = 1, .cores = 2, .duration_s = 5,
	   .no_spread_check = true, .max_gap_ms = 60000, .monitor = { .enable = KTSTR_OFF },
	   .desc = "the same pile passes with the monitor switched off for the test")
{
	return free_pile(ctx);
}
