/* Guest side of a sched_ext scheduler under test: start it, wait until
 * sched_ext names it, watch it while the test runs, stop it and check it
 * detached.  Failures are recorded as KTSTR_K_SCHEDULER details. */
#ifndef KTSTR_GUEST_SCHED_H
#define KTSTR_GUEST_SCHED_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "proto/com2.h" /* KT_SCHED_LOG_BEGIN, KT_SCHED_LOG_END */
#include "proto/result.h"

#define KT_SCHED_LOG "/tmp/sched.log"

struct kt_sched {
	char path[256];
	char ops[64];          /* name sched_ext reports */
	pid_t pid;
	uint64_t t0;
	pthread_t watcher;
	bool watching;
	volatile bool stop_watch;
	/* Set by the watcher on the first sign of trouble. */
	volatile bool failed;
	volatile bool exited;
	int status;            /* exit status when exited */
	uint64_t failed_at_ms;
	char why[256];
	unsigned vlogs_sent;   /* verifier-log blocks already sent to the host */
};

/* path: scheduler binary in the guest; args: decoded argument string. */
int kt_sched_start(struct kt_sched *s, const char *path, const char *args, unsigned attach_ms,
		   struct kt_result *r);
/* Stops it, records failures (died, ejected, did not detach), prints the
 * scheduler log on stdout between the markers. */
void kt_sched_finish(struct kt_sched *s, struct kt_result *r);
/* Pin the kernel's scx_ops_enable_helper kthread(s) to cpulist;
 * -ENOENT if none exists yet (it is created by the first load). */
int kt_sched_pin_enable_helper(const char *cpulist);
/* Before kt_sched_start: pin the enable helper to helper_cpus (NULL or
 * "": what model/schedquirks.h says for path and args, maybe nothing).
 * The helper appears with the first load, so when it is missing the
 * scheduler is loaded once, stopped, the helper pinned; that first
 * attempt is logged, not judged. */
void kt_sched_prepare_helper(struct kt_sched *s, const char *path, const char *args, const char *helper_cpus,
			     unsigned attach_ms);
/* guest/vlog_send.c: send the verifier-log blocks of the scheduler's
 * output not sent yet to the host (KT_MSG_VERIFIER_LOG), and the reason
 * the (last) rejected program was rejected ("" if none). */
void kt_sched_send_vlogs(struct kt_sched *s);
void kt_sched_verifier_reason(char *buf, size_t len);
/* The kernel's own words: last sched_ext lines of the kernel log. */
void kt_kmsg_sched_ext(char *buf, size_t len);

#endif
