/* "PMET": one payload run's end and metrics, guest -> host on the ring
 * (docs/protocol.md).  Fixed-size records in native byte order: a head,
 * then nmetrics records.  The guest fills them; the host checks every
 * field (kt_pmet_decode) before anything is kept, and keeps at most
 * KT_PMET_RUNS runs per test.  Pure. */
#ifndef KTSTR_PMET_H
#define KTSTR_PMET_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define KT_PMET_PAYLOAD 32 /* payload name, NUL included */
#define KT_PMET_NAME 96    /* metric name, NUL included */
#define KT_PMET_UNIT 16
#define KT_PMET_MAX 256    /* metrics in one message */
#define KT_PMET_RUNS 64    /* runs kept per test; later ones are counted, not kept */

/* flags */
#define KT_PMET_EXITED 1u     /* ended by itself: exit status in code, or signal */
#define KT_PMET_SIGNALED 2u   /* code is the signal that ended it */
#define KT_PMET_KILLED 4u     /* stopped by the harness (KILL_PAYLOAD, end of step) */
#define KT_PMET_TIMED_OUT 8u  /* stopped because its timeout passed */
#define KT_PMET_TRUNCATED 16u /* output longer than the guest reads; metrics from its start */
#define KT_PMET_NO_DOC 32u    /* JSON mode: no JSON document in the output */
#define KT_PMET_FLAGS 63u

struct kt_pmet_head {
	char payload[KT_PMET_PAYLOAD];
	int32_t code;      /* exit status (0..255) or signal (KT_PMET_SIGNALED); -1: none */
	uint32_t flags;
	uint32_t nmetrics;
	uint32_t dropped;  /* metrics the guest could not keep (bounds, bad values) */
	uint32_t wall_ms;  /* start to end of the run */
	uint32_t reserved; /* 0 */
};

struct kt_pmet_rec {
	char name[KT_PMET_NAME];
	char unit[KT_PMET_UNIT]; /* "" when undeclared */
	double value;
	uint32_t polarity;       /* enum ktstr_polarity; 0: not declared with one */
	uint32_t reserved;       /* 0 */
};

/* A message of n records is exactly this long. */
static inline uint32_t kt_pmet_size(uint32_t n)
{
	return (uint32_t)(sizeof(struct kt_pmet_head) + (uint64_t)n * sizeof(struct kt_pmet_rec));
}

struct kt_pmet_run {
	struct kt_pmet_head h;
	struct kt_pmet_rec *m; /* h.nmetrics records */
};

/* The runs of one test as the host keeps them. */
struct kt_pmet_runs {
	struct kt_pmet_run *v;
	unsigned n;
	unsigned rejected; /* messages refused by kt_pmet_decode */
	unsigned over;     /* valid runs beyond KT_PMET_RUNS */
};

/* Checks one message: its length against nmetrics (at most
 * KT_PMET_MAX), NUL-terminated names of the allowed bytes (payload
 * [A-Za-z0-9_-], metric [A-Za-z0-9_.-], unit [A-Za-z0-9_%/.-]), no metric
 * twice, finite values, known polarities and flags, reserved 0.
 * Returns 0 (out->m allocated), -EINVAL (why in err) or -ENOMEM. */
int kt_pmet_decode(const void *msg, uint32_t len, struct kt_pmet_run *out, char *err, size_t errlen);
/* Decodes and appends; a bad message is counted in rejected (and
 * described by kt_debug), one beyond KT_PMET_RUNS in over. */
void kt_pmet_collect(struct kt_pmet_runs *r, const void *msg, uint32_t len);
void kt_pmet_runs_free(struct kt_pmet_runs *r);
/* The sidecar's "payloads" array: per run {"payload", "exit_code" or
 * "signal", "ended", "killed", "timed_out", "output_truncated",
 * "no_json", "metrics_dropped", "wall_ms", "metrics": [{"name",
 * "value", "unit", "polarity": "higher"|"lower"|null}]}. */
json_t *kt_pmet_json(const struct kt_pmet_runs *r);

#endif
