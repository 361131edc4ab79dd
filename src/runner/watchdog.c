/* The sched_ext watchdog override and its read-back (runner/watchdog.h). */
#include "runner/watchdog.h"
#include "runner/ksym.h"
#include "kernel/kernel.h"
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SCX_WATCHDOG_MAX_TIMEOUT: no scheduler's own timeout is longer. */
#define WD_MAX_S 30u

int kt_watchdog_locate(const char *vmlinux, const char *config, struct kt_wd_loc *loc)
{
	static const char *const names[] = { "scx_watchdog_timeout", "scx_watchdog_timestamp" };
	struct kbuf cfg = { 0 };
	uint64_t addr[2];
	char v[16] = "";
	unsigned long hz;

	memset(loc, 0, sizeof(*loc));
	if (!vmlinux || !*vmlinux || kt_ksym_lookup(vmlinux, names, addr, 2) < 1 || !addr[0])
		return -ENOENT;
	if (config && *config && !kt_read_file(config, &cfg))
		kt_kconfig_get(cfg.data, "CONFIG_HZ", v, sizeof(v));
	kt_kbuf_free(&cfg);
	hz = v[0] ? strtoul(v, NULL, 10) : 0;
	loc->hz = hz >= 24 && hz <= 10000 ? (unsigned)hz : 0;
	loc->timeout = ksym_phys(addr[0]);
	loc->stamp = ksym_phys(addr[1]);
	return 0;
}

unsigned kt_wd_tick(struct kt_wd *w, const struct kt_wd_io *in, struct kt_wd_io *out)
{
	unsigned wr = KT_WD_W_TIMEOUT;

	memset(out, 0, sizeof(*out));
	if (!w->want || w->skipped)
		return 0;
	if (!w->started) {
		uint64_t half;

		w->started = true;
		w->own = in->timeout;
		if (!w->force && w->own && w->own <= w->want) {
			w->skipped = true; /* the default never raises a scheduler's own */
			return 0;
		}
		/* The next pass is due own/2 after the timestamp (the enable,
		 * or the last pass); a guest's value is bounded by the
		 * kernel's maximum. */
		half = w->own / 2;
		if (half > (uint64_t)WD_MAX_S * w->hz / 2)
			half = (uint64_t)WD_MAX_S * w->hz / 2;
		if (in->have_stamp && half) {
			w->pass_due = in->stamp + half;
			out->stamp = w->pass_due;
			wr |= KT_WD_W_STAMP;
		}
	} else if (w->written) {
		if (!w->observed) {
			w->observed = true;
			w->read_back = in->timeout;
		}
		if (in->timeout != w->want)
			w->mismatches++;
	}
	out->timeout = w->want;
	w->written = true;
	return wr;
}

bool kt_wd_finish(const struct kt_wd *w, struct kt_wd_obs *o, char *why, size_t len)
{
	if (len)
		why[0] = '\0';
	o->hz = w->hz;
	o->applied = w->written;
	o->skipped = w->skipped;
	o->own_jiffies = w->own;
	o->written_jiffies = w->written ? w->want : 0;
	o->read = w->observed;
	o->read_jiffies = w->read_back;
	o->pass_due_jiffies = w->pass_due;
	if (!o->active || !o->seconds)
		return false;
	if (w->skipped) {
		snprintf(o->note, sizeof(o->note), "the default %u s would raise the scheduler's own %llu jiffies: "
			 "left alone", o->seconds, (unsigned long long)w->own);
		o->seconds = w->hz ? (unsigned)((w->own + w->hz / 2) / w->hz) : 0;
		snprintf(o->source, sizeof(o->source), "scheduler's own");
		return false;
	}
	if (!w->started) {
		if (!o->note[0])
			snprintf(o->note, sizeof(o->note), "not applied: the guest never reported the scheduler up");
		return false;
	}
	if (!w->observed) {
		snprintf(o->note, sizeof(o->note), "written, but the run ended before it could be read back");
		return false;
	}
	if (w->read_back != w->want) {
		snprintf(why, len,
			 "infrastructure error: sched_ext watchdog read back as %llu jiffies after writing %llu (%u s at "
			 "HZ=%u)",
			 (unsigned long long)w->read_back, (unsigned long long)w->want, o->seconds, w->hz);
		return true;
	}
	return false;
}
