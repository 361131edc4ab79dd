/* CPU and simple blocking work: CpuSpin, YieldHeavy, Mixed, IoSync,
 * Bursty. */
#include "workload/work/work.h"

#include <sched.h>

static void spin_step(struct kt_worker *w) { kt_spin(w, 1024); }

const struct kt_work_type kt_wt_cpu_spin = {
	.info = { KTSTR_WORK_SPIN, "CpuSpin", "spin 1024 units per iteration; never blocks", NULL, 0, true },
	.step = spin_step,
};

static void yield_heavy_step(struct kt_worker *w)
{
	w->units++;
	sched_yield();
}

const struct kt_work_type kt_wt_yield_heavy = {
	.info = { KTSTR_WORK_YIELD_HEAVY, "YieldHeavy", "1 unit, then sched_yield(), per iteration", NULL, 0,
		  true },
	.step = yield_heavy_step,
};

static void mixed_step(struct kt_worker *w)
{
	kt_spin(w, 1024);
	sched_yield();
}

const struct kt_work_type kt_wt_mixed = {
	.info = { KTSTR_WORK_MIXED, "Mixed", "spin 1024 units, then sched_yield()", NULL, 0, true },
	.step = mixed_step,
};

static int io_init(struct kt_worker *w) { return kt_io_open(w, "ktstr_io"); }
static void io_fini(struct kt_worker *w) { kt_io_close(w); }

const struct kt_work_type kt_wt_io_sync = {
	.info = { KTSTR_WORK_IO_SYNC, "IoSync",
		  "rewrite a 64 KiB temp file (16 x 4 KiB, 1 unit each), then sleep 100 us (sampled)", NULL, 0,
		  true },
	.init = io_init,
	.step = kt_io_sync_body,
	.fini = io_fini,
};

static const struct ktstr_work_param bursty_params[] = {
	{ "burst_ms", "spin for this long per iteration", 50, 1, 60000 },
	{ "sleep_ms", "then sleep for this long (sampled; counted in the gap)", 100, 0, 60000 },
};

static void bursty_step(struct kt_worker *w)
{
	uint64_t end = kt_now() + w->p[0] * 1000000ull, t0;

	do
		kt_spin(w, 1024);
	while (kt_now() < end && !kt_stopped(w));
	t0 = kt_now();
	kt_sleep_ns(w, w->p[1] * 1000000ull);
	kt_sample(w, kt_now() - t0);
}

const struct kt_work_type kt_wt_bursty = {
	.info = { KTSTR_WORK_BURSTY, "Bursty", "spin bursts of 1024 units for burst_ms, then sleep sleep_ms",
		  bursty_params, 2, true },
	.step = bursty_step,
};
