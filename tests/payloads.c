/* Payloads: real programs beside the workers (docs/payloads.md).  Each
 * test checks its metrics in the guest; tests/cli/payload.sh runs them
 * with --out and checks that the metrics reached the sidecars with
 * plausible values.  hackbench and cyclictest come from rt-tests, fio
 * and stress-ng from their packages (scripts/setup.sh installs them). */
#include <ktstr/scenario.h>
#include <unistd.h>

#if !defined(KTSTR_PAYLOAD_HELPER) || !defined(KTSTR_PAYLOAD_DATA)
#error "the Makefile passes KTSTR_PAYLOAD_HELPER and KTSTR_PAYLOAD_DATA (build/ktstr-payload-helper, tests/helpers/payload-data.json)"
#endif

/* Regex mode: hackbench prints "Time: 1.234" (seconds) at its end. */
KTSTR_PAYLOAD(hackbench, .binary = "hackbench", .args = { "-g", "2", "-f", "5", "-l", "100" },
	      .output = KTSTR_OUT_REGEX, .regex = "^Time: *([0-9.]+)", .captures = { "time_s" },
	      .metrics = { { "time_s", KTSTR_LOWER_BETTER, "s" } },
	      .checks = { KTSTR_CHECK_RANGE("time_s", 0.000001, 100) });

/* JSON mode: fio on a file in its working directory (guest tmpfs);
 * --thread: the guest kernel has no System V shared memory. */
KTSTR_PAYLOAD(fio, .binary = "fio",
	      .args = { "--name=randread", "--rw=randread", "--bs=4k", "--size=8m", "--filename=fio.dat",
			"--runtime=2", "--time_based", "--thread", "--output-format=json" },
	      .output = KTSTR_OUT_JSON,
	      .metrics = { { "jobs.0.read.iops", KTSTR_HIGHER_BETTER, "iops" },
			   { "jobs.0.read.lat_ns.mean", KTSTR_LOWER_BETTER, "ns" },
			   { "jobs.0.read.clat_ns.percentile.99_000000", KTSTR_LOWER_BETTER, "ns" } },
	      .checks = { KTSTR_CHECK_MIN("jobs.0.read.iops", 1), KTSTR_CHECK_EXISTS("jobs.0.read.lat_ns.mean") });

/* JSON from a file: cyclictest --json=FILE, a normal-policy thread
 * woken every ms for 3 s; latencies in us. */
KTSTR_PAYLOAD(cyclictest, .binary = "cyclictest",
	      .args = { "-D", "3", "-q", "-t", "1", "-i", "1000", "--policy=other", "--json=ct.json" },
	      .output = KTSTR_OUT_JSON, .output_file = "ct.json",
	      .metrics = { { "thread.0.max", KTSTR_LOWER_BETTER, "us" },
			   { "thread.0.avg", KTSTR_LOWER_BETTER, "us" } },
	      .checks = { KTSTR_CHECK_RANGE("thread.0.max", 1, 120e6), KTSTR_CHECK_MIN("thread.0.cycles", 1) });

/* Exit-code mode, a process tree: stress-ng forks its stressors. */
KTSTR_PAYLOAD(stress_ng, .binary = "stress-ng", .args = { "--cpu", "1", "--timeout", "120s", "--quiet" });

/* The project's own program, by path, in JSON mode (how a user points a
 * payload at a build of schbench), and one that ignores SIGTERM. */
KTSTR_PAYLOAD(helper_json, .binary = KTSTR_PAYLOAD_HELPER, .args = { "json", "1234.5" }, .output = KTSTR_OUT_JSON,
	      .metrics = { { "rps", KTSTR_HIGHER_BETTER, "req/s" }, { "latency_us.p99", KTSTR_LOWER_BETTER, "us" } },
	      .checks = { KTSTR_CHECK_MIN("rps", 1000), KTSTR_CHECK_EXISTS("threads.1.loops") });
KTSTR_PAYLOAD(helper_stubborn, .binary = KTSTR_PAYLOAD_HELPER, .args = { "ignore-term" });
/* A data file packed with .include, at its host path, read by the payload. */
KTSTR_PAYLOAD(helper_include, .binary = KTSTR_PAYLOAD_HELPER, .args = { "cat", KTSTR_PAYLOAD_DATA },
	      .include = { KTSTR_PAYLOAD_DATA }, .output = KTSTR_OUT_JSON,
	      .checks = { KTSTR_CHECK_RANGE("from_file.value", 42, 42) });
/* The same JSON with a check it cannot meet. */
KTSTR_PAYLOAD(helper_slow, .binary = KTSTR_PAYLOAD_HELPER, .args = { "json", "1234.5" }, .output = KTSTR_OUT_JSON,
	      .metrics = { { "rps", KTSTR_HIGHER_BETTER, "req/s" } }, .checks = { KTSTR_CHECK_MIN("rps", 5000) });

static const struct ktstr_op spinners[] = {
	KTSTR_OP_ADD("hog"), KTSTR_OP_SPAWN("hog", 2), KTSTR_OP_ADD("bench"), { 0 } };

/* hackbench in the foreground, in its own cgroup, beside 2 spinners. */
static const struct ktstr_step hackbench_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(hackbench, .cgroup = "bench", .timeout_ms = 90000),
					     { 0 } },
	  .hold = KTSTR_HOLD_FIXED(200) },
	{ 0 } };
KTSTR_STEPS_TEST(payload_hackbench, spinners, hackbench_steps, .llcs = 1, .cores = 2, .duration_s = 2,
		 .timeout_s = 180, .no_spread_check = true,
		 .desc = "hackbench (regex mode: its Time line) in a cgroup beside 2 spinners");

/* fio needs System V shared memory (shmget).  kernel/ktstr.kconfig sets
 * CONFIG_SYSVIPC; on a user's kernel without it the test is skipped,
 * saying so. */
static const struct ktstr_step fio_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(fio, .cgroup = "bench", .timeout_ms = 90000),
					     { 0 } },
	  .hold = KTSTR_HOLD_FIXED(200) },
	{ 0 } };
static const struct ktstr_backdrop fio_bd = { .ops = spinners };
KTSTR_STEPS_DATA(payload_fio_json, fio_bd, fio_steps)
KTSTR_TEST(payload_fio_json, .llcs = 1, .cores = 2, .duration_s = 2, .timeout_s = 180, .no_spread_check = true,
	   .desc = "fio --output-format=json on tmpfs beside 2 spinners (needs CONFIG_SYSVIPC)")
{
	if (access("/proc/sysvipc", F_OK)) {
		ktstr_skip(ctx, "fio needs System V IPC (shmget); this kernel has no CONFIG_SYSVIPC");
		return 0;
	}
	return ktstr_run_steps(ctx, &fio_bd, fio_steps);
}

/* Regex mode over stress-ng's --metrics-brief line of its cpu stressor:
 * "stress-ng: metrc: [PID] cpu  BOGO_OPS REAL USR SYS OPS/S OPS/S". */
KTSTR_PAYLOAD(stress_ng_cpu, .binary = "stress-ng", .args = { "--cpu", "1", "--timeout", "2s", "--metrics-brief" },
	      .output = KTSTR_OUT_REGEX,
	      .regex = "^stress-ng: [a-z]+: +\\[[0-9]+\\] +cpu +([0-9]+) +([0-9.]+) +[0-9.]+ +[0-9.]+ +([0-9.]+)",
	      .captures = { "bogo_ops", "real_s", "bogo_ops_per_s" },
	      .metrics = { { "bogo_ops", KTSTR_HIGHER_BETTER, "ops" },
			   { "bogo_ops_per_s", KTSTR_HIGHER_BETTER, "ops/s" } },
	      .checks = { KTSTR_CHECK_MIN("bogo_ops", 1), KTSTR_CHECK_RANGE("real_s", 1, 60) });
static const struct ktstr_step stress_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(stress_ng_cpu, .cgroup = "bench", .timeout_ms = 90000),
					     { 0 } },
	  .hold = KTSTR_HOLD_FIXED(200) },
	{ 0 } };
KTSTR_STEPS_TEST(payload_stress_ng, spinners, stress_steps, .llcs = 1, .cores = 2, .duration_s = 2,
		 .timeout_s = 180, .no_spread_check = true,
		 .desc = "stress-ng's cpu stressor (regex mode: its bogo-ops) beside 2 spinners");

static const struct ktstr_step cyclictest_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(cyclictest, .cgroup = "bench", .timeout_ms = 90000),
					     { 0 } },
	  .hold = KTSTR_HOLD_FIXED(200) },
	{ 0 } };
KTSTR_STEPS_TEST(payload_cyclictest, spinners, cyclictest_steps, .llcs = 1, .cores = 2, .duration_s = 2,
		 .timeout_s = 180, .no_spread_check = true,
		 .desc = "cyclictest latency (JSON file) in a cgroup beside a cgroup of 2 spinners");

/* Background payloads: stress-ng killed by KILL_PAYLOAD in step 1; the
 * helper ignores SIGTERM and is killed (SIGKILL after the grace period)
 * at the end of the scenario; the JSON helper ends by itself before the
 * end of its step; one more reads a file packed with .include. */
static const struct ktstr_op bg_backdrop[] = {
	KTSTR_OP_ADD("hog"),
	KTSTR_OP_SPAWN("hog", 1),
	KTSTR_OP_ADD("bench"),
	KTSTR_OP_RUN_PAYLOAD(stress_ng, .cgroup = "bench", .background = true),
	KTSTR_OP_RUN_PAYLOAD(helper_stubborn, .background = true),
	{ 0 } };
static const struct ktstr_step bg_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(helper_json, .background = true),
					     KTSTR_OP_RUN_PAYLOAD(helper_include, .timeout_ms = 30000), { 0 } },
	  .hold = KTSTR_HOLD_FRAC(0.5) },
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_KILL_PAYLOAD(stress_ng, .cgroup = "bench"), { 0 } },
	  .hold = KTSTR_HOLD_FRAC(0.5) },
	{ 0 } };
KTSTR_STEPS_TEST(payload_background_kill, bg_backdrop, bg_steps, .llcs = 1, .cores = 2, .duration_s = 2,
		 .timeout_s = 120, .no_spread_check = true,
		 .desc = "background payloads: stress-ng killed by KILL_PAYLOAD, a SIGTERM-ignoring one at the end");

/* Negative: a payload check that fails must fail the test, naming the
 * metric, its value and the bound. */
static const struct ktstr_step neg_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(helper_slow, .timeout_ms = 30000), { 0 } },
	  .hold = KTSTR_HOLD_FIXED(100) },
	{ 0 } };
static const struct ktstr_op no_backdrop[] = { { 0 } };
KTSTR_STEPS_TEST(payload_neg_check, no_backdrop, neg_steps, .llcs = 1, .cores = 2, .duration_s = 1,
		 .timeout_s = 90, .expect_fail = true,
		 .expect_reason = "payload helper_slow: metric rps = 1234.5 below the minimum 5000",
		 .desc = "negative: a payload's MIN check on its JSON metric fails the test");
