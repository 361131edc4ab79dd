/* The sched_ext watchdog of a case (docs/schedulers.md): the host writes
 * the value in force into the guest kernel's scx_watchdog_timeout once
 * the scheduler is up, reads it back, and records both.
 *
 * The kernel (up to 6.x, before scx_sched.watchdog_timeout) queues its
 * watchdog pass at enable + ops.timeout / 2 and, on every tick, ejects
 * the scheduler when no pass has run for scx_watchdog_timeout
 * ("watchdog failed to check in").  A lowered timeout written before
 * that first pass would trip the tick check on a healthy scheduler, so
 * with the first write the host also moves scx_watchdog_timestamp to
 * when that pass is due: the tick check then fires only if the pass is
 * late by the lowered timeout (a stall that starves the kernel's own
 * worker), and from the first pass on the pass requeues itself at the
 * lowered timeout / 2, so the lowered value is in force for both
 * checks.  The runnable-task check thus starts at the first pass, half
 * the scheduler's own timeout after the enable: the kernel's structure,
 * not something the host can move. */
#ifndef KTSTR_RUNNER_WATCHDOG_H
#define KTSTR_RUNNER_WATCHDOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the watchdog's variables are in the guest (guest-physical with
 * KASLR off, 0: absent) and the guest's HZ (0: unknown). */
struct kt_wd_loc {
	uint64_t timeout, stamp;
	unsigned hz;
};

/* From vmlinux's symbol table and the kernel's .config (CONFIG_HZ).
 * -ENOENT without scx_watchdog_timeout. */
int kt_watchdog_locate(const char *vmlinux, const char *config, struct kt_wd_loc *loc);

/* One VM's watchdog, driven by kt_wd_tick() every host tick after the
 * guest said "ready".  Pure. */
struct kt_wd {
	uint64_t want;          /* jiffies to write; 0: nothing to do */
	bool force;             /* explicit: written even above the scheduler's own */
	unsigned hz;
	bool started, skipped, written, observed;
	uint64_t own;           /* scx_watchdog_timeout before the first write */
	uint64_t pass_due;      /* guest jiffies of the kernel's next pass; 0: unknown */
	uint64_t read_back;     /* the first reading after the first write */
	unsigned mismatches;    /* readings after a write that differ from it */
};

/* Guest readings (in) and writes (out) of one tick. */
struct kt_wd_io {
	uint64_t timeout, stamp;
	bool have_stamp;        /* the timestamp is readable */
};
#define KT_WD_W_TIMEOUT 1u
#define KT_WD_W_STAMP 2u

/* Returns which of out's fields to write (KT_WD_W_*). */
unsigned kt_wd_tick(struct kt_wd *w, const struct kt_wd_io *in, struct kt_wd_io *out);

/* What the run saw, for the sidecar and the verdict. */
struct kt_wd_obs {
	bool active;            /* a sched_ext case: a watchdog was decided */
	unsigned seconds;       /* in force (0: the scheduler's own) */
	char source[24];        /* default, cli, test, scheduler, scheduler's own */
	unsigned hz;
	bool applied;           /* written at least once */
	bool skipped;           /* the default would have raised the scheduler's own */
	bool read;              /* read back */
	uint64_t own_jiffies, written_jiffies, read_jiffies;
	uint64_t pass_due_jiffies; /* the kernel's first pass under the new value, 0: unknown */
	char note[160];         /* why not applied / not read, "": nothing to say */
};

/* After the run.  True when the read-back differs from what was
 * written (an infrastructure error); why says so. */
bool kt_wd_finish(const struct kt_wd *w, struct kt_wd_obs *o, char *why, size_t len);

#endif
