/* Canned scenarios with real programs (docs/payloads.md): cyclictest
 * latency under a CPU-hog cgroup, hackbench across two LLCs, fio beside
 * spinners, stress-ng's scheduler stressors.  The programs come from
 * Debian packages (rt-tests, fio, stress-ng; scripts/setup.sh installs
 * them).
 *
 * Thresholds (docs/payloads.md, "The canned payload scenarios"): from 14
 * runs of each under QEMU/TCG on 2 shared host cores, 7 under EEVDF and 7
 * under scx_simple (5 at -j1, 2 at -j2), a maximum is 2 x the worst value
 * seen and a minimum half the worst, rounded outwards to one significant
 * digit; 2 is the TCG factor of the gap check (KT_TCG_GAP_FACTOR).  TCG
 * is the slowest backend, so they hold under KVM and on bare metal too.
 * They catch a scheduler that starves or stalls the program, not one a
 * few percent slower: `ktstr compare` of the metrics is for that. */
#include <ktstr/scenario.h>
#include <unistd.h>

const int kt_catalog_payload_linked = 1;

#define END_OPS { 0 }
/* A foreground payload's step: the step waits for it; then a short hold. */
#define RUN_STEP(p, cg) \
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(p, .cgroup = (cg), .timeout_ms = 60000), END_OPS }, \
	  .hold = KTSTR_HOLD_FIXED(200) }

/* --- cyclictest: wake-up latency of a normal-policy thread (1 ms period)
 * in its own cgroup beside a cgroup of 3 spinners per CPU.  The policy is
 * SCHED_OTHER so that the scheduler under test (not the RT class) runs it.
 * Latencies in us. */
KTSTR_PAYLOAD(cyclictest_hog, .binary = "cyclictest",
	      .args = { "-D", "3", "-q", "-t", "1", "-i", "1000", "--policy=other", "--json=ct.json" },
	      .output = KTSTR_OUT_JSON, .output_file = "ct.json",
	      .metrics = { { "thread.0.max", KTSTR_LOWER_BETTER, "us" },
			   { "thread.0.avg", KTSTR_LOWER_BETTER, "us" },
			   { "thread.0.cycles", KTSTR_HIGHER_BETTER, "wakeups" } },
	      /* worst seen: max 742 ms, avg 27 ms, 109 wake-ups (scx_simple; EEVDF 332 ms, 2.6 ms, 983) */
	      .checks = { KTSTR_CHECK_RANGE("thread.0.max", 1, 2000000), KTSTR_CHECK_MAX("thread.0.avg", 60000),
			  KTSTR_CHECK_MIN("thread.0.cycles", 50) });

static const struct ktstr_op hog_bd[] = {
	KTSTR_OP_ADD("hog"), KTSTR_OP_SPAWN("hog", 6), KTSTR_OP_ADD("rt"), END_OPS,
};
static const struct ktstr_step cyclictest_steps[] = { RUN_STEP(cyclictest_hog, "rt"), { 0 } };
KTSTR_STEPS_SCENARIO(payload_cyclictest_hog, hog_bd, cyclictest_steps, .llcs = 1, .cores = 2, .duration_s = 3,
		     .timeout_s = 120,
		     .desc = "payload: cyclictest (SCHED_OTHER, 1 ms) in a cgroup beside 3 spinners per CPU")

/* --- hackbench: 4 groups of 10 senders and 10 receivers over sockets,
 * free to spread over both LLCs; its Time: line (seconds). */
KTSTR_PAYLOAD(hackbench_llc, .binary = "hackbench", .args = { "-g", "4", "-f", "10", "-l", "200" },
	      .output = KTSTR_OUT_REGEX, .regex = "^Time: *([0-9.]+)", .captures = { "time_s" },
	      .metrics = { { "time_s", KTSTR_LOWER_BETTER, "s" } },
	      /* worst seen: 3.7 s (EEVDF at -j2; medians 1.1 s) */
	      .checks = { KTSTR_CHECK_RANGE("time_s", 0.000001, 8) });

static const struct ktstr_op bench_bd[] = { KTSTR_OP_ADD("bench"), END_OPS };
static const struct ktstr_step hackbench_steps[] = { RUN_STEP(hackbench_llc, "bench"), { 0 } };
KTSTR_STEPS_SCENARIO(payload_hackbench_llc, bench_bd, hackbench_steps, .llcs = 2, .cores = 2, .duration_s = 3,
		     .timeout_s = 120,
		     .desc = "payload: hackbench (4 x 10:10 over sockets) spread over 2 LLCs, its run time")

/* --- fio: 4 KiB random reads of a 16 MiB file on the guest's tmpfs for
 * 3 s, beside a cgroup of 2 spinners per CPU.  fio needs System V shared
 * memory (kernel/ktstr.kconfig sets CONFIG_SYSVIPC); on a kernel without
 * it the scenario is skipped, saying so. */
KTSTR_PAYLOAD(fio_spin, .binary = "fio",
	      .args = { "--name=randread", "--rw=randread", "--bs=4k", "--size=16m", "--filename=fio.dat",
			"--runtime=3", "--time_based", "--thread", "--output-format=json" },
	      .output = KTSTR_OUT_JSON,
	      .metrics = { { "jobs.0.read.iops", KTSTR_HIGHER_BETTER, "iops" },
			   { "jobs.0.read.lat_ns.mean", KTSTR_LOWER_BETTER, "ns" },
			   { "jobs.0.read.clat_ns.percentile.99_000000", KTSTR_LOWER_BETTER, "ns" } },
	      /* worst seen: 8788 IOPS, mean 91 us (scx_simple), p99 848 us (EEVDF at -j2) */
	      .checks = { KTSTR_CHECK_MIN("jobs.0.read.iops", 4000), KTSTR_CHECK_MAX("jobs.0.read.lat_ns.mean", 200000),
			  KTSTR_CHECK_MAX("jobs.0.read.clat_ns.percentile.99_000000", 2000000) });

static const struct ktstr_op fio_ops[] = {
	KTSTR_OP_ADD("hog"), KTSTR_OP_SPAWN("hog", 4), KTSTR_OP_ADD("io"), END_OPS,
};
static const struct ktstr_backdrop fio_bd = { .ops = fio_ops };
static const struct ktstr_step fio_steps[] = { RUN_STEP(fio_spin, "io"), { 0 } };
KTSTR_STEPS_DATA(payload_fio_spinners, fio_bd, fio_steps)
KTSTR_SCENARIO(payload_fio_spinners, .llcs = 1, .cores = 2, .duration_s = 3, .timeout_s = 120,
	       .desc = "payload: fio 4k randread on tmpfs (JSON) in a cgroup beside 2 spinners per CPU")
{
	if (access("/proc/sysvipc", F_OK)) {
		ktstr_skip(ctx, "fio needs System V IPC (shmget); this kernel has no CONFIG_SYSVIPC");
		return 0;
	}
	return ktstr_run_steps(ctx, &fio_bd, fio_steps);
}

/* --- stress-ng's scheduler-class stressors, each in a cgroup of its own
 * and at the same time, beside 2 spinners: switch (context switches over
 * a pipe) and yield (sched_yield loops), 3 s each.  Regex over each one's
 * --metrics-brief line "stress-ng: metrc: [PID] NAME BOGO_OPS REAL USR
 * SYS OPS/S OPS/S".  real_s: 3.0-3.3 s seen. */
#define STRESS_NG_SCHED(var, stressor, min_ops)                                                    \
	KTSTR_PAYLOAD(var, .binary = "stress-ng",                                                   \
		      .args = { "--" stressor, "1", "--timeout", "3s", "--metrics-brief" },         \
		      .output = KTSTR_OUT_REGEX,                                                    \
		      .regex = "^stress-ng: [a-z]+: +\\[[0-9]+\\] +" stressor                       \
			       " +([0-9]+) +([0-9.]+) +[0-9.]+ +[0-9.]+ +([0-9.]+)",                \
		      .captures = { "bogo_ops", "real_s", "bogo_ops_per_s" },                       \
		      .metrics = { { "bogo_ops", KTSTR_HIGHER_BETTER, "ops" },                      \
				   { "bogo_ops_per_s", KTSTR_HIGHER_BETTER, "ops/s" } },            \
		      .checks = { KTSTR_CHECK_MIN("bogo_ops", min_ops), KTSTR_CHECK_RANGE("real_s", 1.5, 7) })
/* worst seen: switch 7963 ops (EEVDF at -j2); yield 260 ops (scx_simple, whose
 * yielder waits behind the spinners' 20 ms slices; EEVDF 30356) */
STRESS_NG_SCHED(stress_ng_switch, "switch", 3000);
STRESS_NG_SCHED(stress_ng_yield, "yield", 100);

static const struct ktstr_op sng_bd[] = {
	KTSTR_OP_ADD("hog"), KTSTR_OP_SPAWN("hog", 2), KTSTR_OP_ADD("switch"), KTSTR_OP_ADD("yield"), END_OPS,
};
static const struct ktstr_step sng_steps[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(stress_ng_switch, .cgroup = "switch", .background = true),
					    KTSTR_OP_RUN_PAYLOAD(stress_ng_yield, .cgroup = "yield", .background = true),
					    KTSTR_OP_WAIT_PAYLOAD(stress_ng_switch, .cgroup = "switch", .timeout_ms = 60000),
					    KTSTR_OP_WAIT_PAYLOAD(stress_ng_yield, .cgroup = "yield", .timeout_ms = 60000),
					    END_OPS },
	  .hold = KTSTR_HOLD_FIXED(200) },
	{ 0 },
};
KTSTR_STEPS_SCENARIO(payload_stress_ng_sched, sng_bd, sng_steps, .llcs = 1, .cores = 2, .duration_s = 3,
		     .timeout_s = 120,
		     .desc = "payload: stress-ng switch and yield stressors in 2 cgroups beside 2 spinners, bogo-ops")
