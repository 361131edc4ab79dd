/* A live progress line on stderr while VMs run: done/total, what runs,
 * elapsed, ETA.  Only on a terminal (and not with -v, whose consoles
 * stream to stderr); KTAP on stdout is never touched. */
#ifndef KTSTR_PROGRESS_H
#define KTSTR_PROGRESS_H
#include <stdbool.h>
#include <stddef.h>

struct kt_progress;
/* NULL (and every call below a no-op) unless enabled and stderr is a TTY. */
struct kt_progress *kt_progress_start(size_t total, unsigned jobs, bool enabled);
void kt_progress_running(struct kt_progress *p, size_t idx, const char *name);
/* Around printing to stdout: pause erases the line (and holds it off);
 * resume marks case done_idx finished (SIZE_MAX: none) and redraws. */
void kt_progress_pause(struct kt_progress *p);
void kt_progress_resume(struct kt_progress *p, size_t done_idx);
void kt_progress_stop(struct kt_progress *p);

/* Pure: the line for a state (exposed for unit tests). */
void kt_progress_format(char *buf, size_t len, size_t done, size_t total, const char *running, double elapsed_s,
			unsigned jobs);

#endif
