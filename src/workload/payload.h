/* Payload processes in the guest (or on this host in bare-metal mode),
 * for the step engine's RUN/WAIT/KILL_PAYLOAD ops.
 *
 * A run gets a fresh working directory under /tmp, its stdout and
 * stderr in files there, stdin from /dev/null, a process group of its
 * own and, if named, a cgroup under the harness's base.  It ends by
 * itself, or is stopped: SIGTERM to the group, SIGKILL 2 s later, and
 * SIGKILL to the group once its leader is reaped, so nothing it forked
 * outlives it.  Then its output (the first KT_PAYLOAD_OUT_MAX bytes)
 * gives the metrics (model/payload.h), sent to the host as one PMET
 * message (proto/pmet.h), and its checks fail the test with
 * KTSTR_K_PAYLOAD details.  The binary is /payload/NAME when the
 * initramfs has it, else the declaration's (PATH name or path). */
#ifndef KTSTR_WORKLOAD_PAYLOAD_H
#define KTSTR_WORKLOAD_PAYLOAD_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/ktstr.h>
#include <ktstr/payload.h>

#define KT_PAYLOAD_OUT_MAX (1u << 20) /* output bytes read per stream */
#define KT_PAYLOAD_GRACE_MS 2000      /* SIGTERM to SIGKILL */
#define KT_PAYLOAD_RUNS 64            /* alive at once per scenario */

struct kt_payloads;

struct kt_payloads *kt_payloads_new(struct ktstr_ctx *ctx);
/* Starts p in cgroup (NULL: the caller's) with extra args (NULL-
 * terminated, or NULL).  Foreground: waits (killing it after timeout_ms
 * when non-zero) and finishes it; background: it runs until
 * kt_payloads_wait/kill or the end of its step.  0, or -errno with the
 * reason in err when it could not be started. */
int kt_payloads_run(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup,
		    const char *const *extra, bool background, unsigned timeout_ms, int step, char *err, size_t errlen);
/* A background run of p in cgroup: wait for it to end (killed after
 * timeout_ms when non-zero), or stop it; then finish it.  -ENOENT (err)
 * when there is none. */
int kt_payloads_wait(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup, unsigned timeout_ms,
		     char *err, size_t errlen);
int kt_payloads_kill(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup, char *err,
		     size_t errlen);
/* Stop and finish the background runs started by step (-1: the
 * backdrop), or running in cgroup. */
void kt_payloads_end_step(struct kt_payloads *s, int step);
void kt_payloads_end_cgroup(struct kt_payloads *s, const char *cgroup);
/* Stops and finishes whatever still runs, frees s. */
void kt_payloads_free(struct kt_payloads *s);

#endif
