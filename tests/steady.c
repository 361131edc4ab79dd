/* The EEVDF steady test and its negative twin. */
#include <signal.h>
#include <ktstr/ktstr.h>

/* Two cgroups of two CPU-spinning workers on 1n2l2c1t: nobody starves,
 * no worker waits longer than the gap threshold, time is shared fairly. */
KTSTR_TEST(steady, .llcs = 2, .cores = 2, .duration_s = 3,
	   .desc = "2 cgroups x 2 spinning workers under EEVDF: no starvation, no long gaps")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ .name = "cg_1", .workers = 2 },
		{ 0 },
	});
}

/* Negative: one worker is frozen with SIGSTOP before it does any work.
 * The harness must report it as starved; the test passes only if the
 * guest verdict is FAIL with that reason. */
KTSTR_TEST(neg_starved, .llcs = 1, .cores = 2, .duration_s = 2, .expect_fail = true,
	   .expect_reason = "starved", .desc = "negative: a SIGSTOPped worker must be reported as starved")
{
	struct ktstr_workload *w;
	int ret = ktstr_workload_start_held(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ 0 },
	}, &w);

	if (ret)
		return ret;
	/* Stopped before "go": it cannot have done a unit of work (with a
	 * plain start it sometimes had, and was only reported unfair). */
	kill(ktstr_workload_pid(w, 0), SIGSTOP);
	ktstr_workload_go(w);
	ktstr_sleep_ms(ktstr_ctx_duration_ms(ctx));
	return ktstr_workload_finish(ctx, w);
}

/* Negative: a worker frozen mid-run for longer than the gap threshold
 * must be reported as stuck. */
KTSTR_TEST(neg_stuck, .llcs = 1, .cores = 2, .duration_s = 2, .max_gap_ms = 500, .no_spread_check = true,
	   .expect_fail = true, .expect_reason = "stuck",
	   .desc = "negative: a worker frozen for 1.5 s must be reported as stuck")
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
