/* sched_ext schedulers under test: the kernel tree's example schedulers
 * must pass the steady scenario; broken schedulers must be reported as
 * FAIL with the reason. */
#include <ktstr/ktstr.h>

KTSTR_SCHEDULER(scx_simple, .name = "scx_simple", .binary = "scx_simple");
KTSTR_SCHEDULER(scx_qmap, .name = "scx_qmap", .binary = "scx_qmap");
KTSTR_SCHEDULER(scx_central, .name = "scx_central", .binary = "scx_central");
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
	   .expect_fail = true, .expect_reason = "exited before sched_ext attached",
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
