/* Work given as code rather than by name: Sequence (phases run in order,
 * one pass per iteration) and Custom (a function that owns the loop). */
#include "workload/work/work.h"

static bool has_io(const struct ktstr_work_phase *ph)
{
	for (unsigned i = 0; ph && i < KTSTR_SEQUENCE_MAX_PHASES && ph[i].kind != KTSTR_PHASE_END; i++)
		if (ph[i].kind == KTSTR_PHASE_IO)
			return true;
	return false;
}

static int seq_init(struct kt_worker *w) { return has_io(w->cfg->phases) ? kt_io_open(w, "ktstr_seq") : 0; }
static void seq_fini(struct kt_worker *w) { kt_io_close(w); }

static void run_phase(struct kt_worker *w, const struct ktstr_work_phase *ph)
{
	uint64_t t0 = kt_now(), end = t0 + (uint64_t)ph->ms * 1000000ull;

	switch (ph->kind) {
	case KTSTR_PHASE_SPIN:
		do
			kt_spin(w, 1024);
		while (kt_now() < end && !kt_stopped(w));
		break;
	case KTSTR_PHASE_SLEEP:
		kt_sample(w, kt_sleep_ns(w, end - t0));
		kt_reset_gap(w);
		break;
	case KTSTR_PHASE_YIELD:
		do {
			w->units++;
			kt_sample(w, kt_yield());
		} while (kt_now() < end && !kt_stopped(w));
		kt_reset_gap(w);
		break;
	case KTSTR_PHASE_IO:
		do
			kt_io_sync_body(w);
		while (kt_now() < end && !kt_stopped(w));
		break;
	case KTSTR_PHASE_END:
		break;
	}
}

static void seq_step(struct kt_worker *w)
{
	const struct ktstr_work_phase *ph = w->cfg->phases;

	for (unsigned i = 0; ph && i < KTSTR_SEQUENCE_MAX_PHASES && ph[i].kind != KTSTR_PHASE_END; i++) {
		if (kt_stopped(w))
			return;
		run_phase(w, &ph[i]);
	}
}

const struct kt_work_type kt_wt_sequence = {
	.info = { KTSTR_WORK_SEQUENCE, "Sequence",
		  "run the cgroup's phases in order (Spin, Sleep, Yield, Io, each for ms); one pass per iteration",
		  NULL, 0, false },
	.init = seq_init,
	.step = seq_step,
	.fini = seq_fini,
};

static void custom_step(struct kt_worker *w)
{
	if (w->cfg->custom)
		w->cfg->custom(w->stop, w->rep, w->cfg->custom_arg);
}

const struct kt_work_type kt_wt_custom = {
	.info = { KTSTR_WORK_CUSTOM, "Custom",
		  "the cgroup's function owns the loop until stop and fills the report itself", NULL, 0, false },
	.step = custom_step,
	.raw = true,
};
