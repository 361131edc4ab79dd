/* sched_ext schedulers under test: the kernel tree's example schedulers
 * must pass the steady scenario; broken schedulers must be reported as
 * FAIL with the reason. */
#include <signal.h>
#include <ktstr/ktstr.h>

KTSTR_SCHEDULER(scx_simple, .name = "scx_simple", .binary = "scx_simple");
KTSTR_SCHEDULER(scx_qmap, .name = "scx_qmap", .binary = "scx_qmap");
/* Since 6.12 ops.init runs on the scx_ops_enable_helper kthread, and
 * scx_central's init insists on running on its central CPU (0): pin the
 * helper there (see enable_helper_cpus). */
KTSTR_SCHEDULER(scx_central, .name = "scx_central", .binary = "scx_central", .enable_helper_cpus = "0");
KTSTR_SCHEDULER(scx_flatcg, .name = "scx_flatcg", .binary = "scx_flatcg");
/* Not schedulers at all: one exits at once, one never attaches. */
KTSTR_SCHEDULER(sched_true, .name = "true", .binary = "/bin/true");
KTSTR_SCHEDULER(sched_sleep, .name = "sleep", .binary = "/bin/sleep", .args = "600",
		.attach_timeout_s = 3);

static int steady_body(struct ktstr_ctx *ctx)
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ .name = "cg_1", .workers = 2 },
		{ 0 },
	});
}

#define STEADY_UNDER(sched)                                                           \
	KTSTR_TEST(sched_steady_##sched, .scheduler = &sched, .llcs = 2, .cores = 2,  \
		   .duration_s = 3, .desc = "steady scenario under " #sched)          \
	{                                                                             \
		return steady_body(ctx);                                              \
	}

STEADY_UNDER(scx_simple)
STEADY_UNDER(scx_qmap)
STEADY_UNDER(scx_central)
STEADY_UNDER(scx_flatcg)

/* scx_qmap's own stall injection (-t N: stall every Nth user thread):
 * the kernel watchdog ejects it and the harness must say so. */
KTSTR_TEST(neg_sched_qmap_stall, .scheduler = &scx_qmap, .sched_args = "-t 2", .llcs = 1, .cores = 2,
	   .duration_s = 12, .no_spread_check = true, .max_gap_ms = 60000, .expect_fail = true,
	   .expect_reason = "scheduler", .desc = "negative: scx_qmap -t 2 stalls tasks; the watchdog must eject it")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_sched_exits, .scheduler = &sched_true, .llcs = 1, .cores = 2, .duration_s = 1,
	   .expect_fail = true, .expect_reason = "exited before",
	   .desc = "negative: a scheduler binary that exits at once")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_sched_not_a_scheduler, .scheduler = &sched_sleep, .llcs = 1, .cores = 2, .duration_s = 1,
	   .expect_fail = true, .expect_reason = "did not attach",
	   .desc = "negative: a binary that is not a scheduler never attaches")
{
	return steady_body(ctx);
}

/* Flag profiles: every valid combination of scx_qmap options becomes a
 * variant (boost only with batch), each must pass the steady scenario. */
static const char *const qmap_needs_batch[] = { "batch", NULL };
KTSTR_SCHEDULER(scx_qmap_flags, .name = "scx_qmap", .binary = "scx_qmap",
		.flags = (const struct ktstr_sched_flag[]){
			{ .name = "batch", .args = "-b 4" },
			{ .name = "boost", .args = "-H", .requires = qmap_needs_batch },
			{ .name = "short_slice", .args = "-s 2000" },
			{ 0 },
		});

KTSTR_TEST(sched_qmap_profiles, .scheduler = &scx_qmap_flags, .llcs = 1, .cores = 2, .duration_s = 2,
	   .desc = "steady under every valid scx_qmap flag profile")
{
	return steady_body(ctx);
}

/* The host overrides the sched_ext watchdog (qmap asks for 5 s): with
 * 2 s, qmap's stalled threads get it ejected after about 2 s. */
KTSTR_TEST(neg_sched_watchdog_override, .scheduler = &scx_qmap, .sched_args = "-t 4", .watchdog_timeout_s = 2,
	   .llcs = 1, .cores = 2, .duration_s = 8, .no_spread_check = true, .max_gap_ms = 60000,
	   .expect_fail = true, .expect_reason = "runnable task stall",
	   .desc = "negative: qmap -t 4 under a 2 s watchdog written by the host into the guest kernel")
{
	return steady_body(ctx);
}

/* scx_ktstr: our own fixture scheduler (scx-ktstr/), built with the kernel. */
KTSTR_SCHEDULER(scx_ktstr, .name = "scx_ktstr", .binary = "scx_ktstr");

KTSTR_TEST(sched_steady_scx_ktstr, .scheduler = &scx_ktstr, .llcs = 2, .cores = 2, .duration_s = 3,
	   .desc = "steady scenario under scx_ktstr (global FIFO)")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_scx_ktstr_stall, .scheduler = &scx_ktstr, .sched_args = "--stall-after 1 --timeout-ms 3000",
	   .llcs = 1, .cores = 2, .duration_s = 8, .no_spread_check = true, .max_gap_ms = 60000,
	   .expect_fail = true, .expect_reason = "runnable task stall",
	   .desc = "negative: scx_ktstr stops dispatching after 1 s; the kernel watchdog must eject it")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_scx_ktstr_host_stall, .scheduler = &scx_ktstr, .sched_args = "--timeout-ms 3000",
	   .host_stall_after_ms = 1000, .llcs = 1, .cores = 2, .duration_s = 8, .no_spread_check = true,
	   .max_gap_ms = 60000, .expect_fail = true, .expect_reason = "runnable task stall",
	   .desc = "negative: the host requests a stall through the shared region; the watchdog must eject it")
{
	return steady_body(ctx);
}

/* Both host-side controls at once: scx_ktstr keeps its own 20 s watchdog,
 * the host writes 2 s into the kernel and requests the stall after 1 s.
 * The kernel's first watchdog pass is due 10 s (half its own) after the
 * enable; from then on the lowered value is in force, so the kernel
 * ejects it inside the 13 s scenario, where its own 20 s would not.  The
 * nested rig runs this same test in an L2 (nested_stall_watchdog). */
KTSTR_TEST(neg_scx_ktstr_host_stall_wd, .scheduler = &scx_ktstr, .host_stall_after_ms = 1000,
	   .watchdog_timeout_s = 2, .llcs = 1, .cores = 2, .duration_s = 13, .no_spread_check = true,
	   .max_gap_ms = 60000, .expect_fail = true, .expect_reason = "runnable task stall",
	   .desc = "negative: host-requested stall under a host-written 2 s watchdog (scx_ktstr's own is 20 s)")
{
	return steady_body(ctx);
}

/* The default watchdog (4 s, 8 s under TCG) is in force without asking:
 * scx_kt_park (own timeout 20 s) parks every user task with an odd pid
 * for good; the kernel's worker still runs, so its first pass (10 s
 * after the enable) finds them waiting longer than 8 s and ejects it
 * ("failed to run for": the runnable-task check) inside the 13 s
 * scenario, where the scheduler's own 20 s would not. */
KTSTR_SCHEDULER(kt_park_forever, .name = "scx_kt_park", .binary = "scx_kt_park", .args = "--release-ms 0");

KTSTR_TEST(neg_sched_watchdog_default, .scheduler = &kt_park_forever, .llcs = 1, .cores = 2, .duration_s = 13,
	   .no_spread_check = true, .max_gap_ms = 60000, .expect_fail = true, .expect_reason = "failed to run for",
	   .desc = "negative: tasks parked for good under the default lowered watchdog (the scheduler's own is "
		   "20 s) get it ejected")
{
	return steady_body(ctx);
}

/* ... and a healthy scheduler with a long timeout of its own outlives
 * the lowered default: the host keeps the kernel's check-in timestamp
 * fresh until its first watchdog pass, so no false ejection. */
KTSTR_TEST(sched_watchdog_default_healthy, .scheduler = &scx_ktstr, .llcs = 1, .cores = 2, .duration_s = 14,
	   .desc = "a healthy scx_ktstr (own watchdog 20 s) passes 14 s under the default lowered watchdog")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_scx_ktstr_fail_verify, .scheduler = &scx_ktstr, .sched_args = "--fail-verify", .llcs = 1,
	   .cores = 2, .duration_s = 1, .expect_fail = true, .expect_reason = "invalid mem access",
	   .desc = "negative: scx_ktstr --fail-verify is rejected by the verifier; its message is shown")
{
	return steady_body(ctx);
}

/* The host writes 1 into scx_ktstr's .bss `crash` through guest memory
 * (the map found by the monitor's walk, the field by the map's BTF):
 * ops.dispatch() then calls scx_bpf_error(), and the run must fail with
 * its text.  The second test writes by offset, as the reference does. */
KTSTR_TEST(neg_scx_ktstr_host_crash, .scheduler = &scx_ktstr,
	   .bpf_map_write = { .map = ".bss", .field = "crash", .value = 1, .after_ms = 1000 }, .llcs = 1,
	   .cores = 2, .duration_s = 6, .no_spread_check = true, .max_gap_ms = 60000, .expect_fail = true,
	   .expect_reason = "ktstr: host-triggered crash",
	   .desc = "negative: the host sets scx_ktstr's .bss crash; scx_bpf_error() is reported")
{
	return steady_body(ctx);
}

KTSTR_TEST(neg_scx_ktstr_host_crash_offset, .scheduler = &scx_ktstr,
	   .bpf_map_write = { .map = ".bss", .offset = 4, .value = 1, .after_ms = 1000 }, .llcs = 1, .cores = 2,
	   .duration_s = 6, .no_spread_check = true, .max_gap_ms = 60000, .expect_fail = true,
	   .expect_reason = "ktstr: host-triggered crash",
	   .desc = "negative: the same write at .bss offset 4 (scx_ktstr's ABI)")
{
	return steady_body(ctx);
}

/* The verifier walks the 8x unrolled block, then finds the endless loop:
 * the reason shown is its verdict, not the state dump after it; the
 * host's report folds the unrolled copies (docs/verifier.md). */
KTSTR_TEST(neg_scx_ktstr_verify_loop, .scheduler = &scx_ktstr, .sched_args = "--verify-loop", .llcs = 1,
	   .cores = 2, .duration_s = 1, .expect_fail = true, .expect_reason = "verifier: infinite loop detected at insn",
	   .desc = "negative: scx_ktstr --verify-loop is rejected by the verifier; its reason is shown")
{
	return steady_body(ctx);
}

/* Thresholds declared on the scheduler apply to its tests (defaults ->
 * scheduler -> test): a 500 ms gap limit catches a 1.5 s freeze. */
KTSTR_SCHEDULER(scx_simple_strict, .name = "scx_simple", .binary = "scx_simple",
		.topology = { .numa_nodes = 1, .llcs = 1, .cores = 2, .threads = 1 },
		.checks = { .max_gap_ms = 500 });

KTSTR_TEST(neg_sched_layer_threshold, .scheduler = &scx_simple_strict, .duration_s = 2, .no_spread_check = true,
	   .expect_fail = true, .expect_reason = "(threshold 500ms)",
	   .desc = "negative: the scheduler's own gap threshold (500 ms) flags a 1.5 s freeze")
{
	struct ktstr_workload *w;
	int ret = ktstr_workload_start(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ 0 },
	}, &w);

	if (ret)
		return ret;
	ktstr_sleep_ms(200);
	kill(ktstr_workload_pid(w, 1), SIGSTOP);
	ktstr_sleep_ms(1500);
	kill(ktstr_workload_pid(w, 1), SIGCONT);
	ktstr_sleep_ms(300);
	return ktstr_workload_finish(ctx, w);
}
