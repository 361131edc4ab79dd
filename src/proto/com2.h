/* COM2, the guest's application channel, read by the host as it arrives
 * and in bounded memory: the result frame (frame.c), the sentinels, the
 * scheduler's log and the guest's other words, so that a flooding guest
 * costs no more memory than a quiet one and nothing the judge needs is
 * lost in what is dropped (docs/protocol.md). */
#ifndef KTSTR_PROTO_COM2_H
#define KTSTR_PROTO_COM2_H
#include "proto/result.h"
#include "util/capture.h"

#define KT_COM2_INIT_STARTED "KTSTR_INIT_STARTED"
#define KT_COM2_PAYLOAD_STARTING "KTSTR_PAYLOAD_STARTING"
#define KT_SCHED_LOG_BEGIN "===SCHED_OUTPUT_START==="
#define KT_SCHED_LOG_END "===SCHED_OUTPUT_END==="
#define KT_COM2_TAIL (16u << 10) /* bytes of each tail kept */
#define KT_COM2_LINE 1024u       /* longer lines are cut in the tails */

struct kt_com2 {
	struct kt_frame_scan frame;
	struct kt_marker init_started, payload_starting;
	struct kt_capture sched_log; /* the last section between the log markers */
	struct kt_capture plain;     /* lines outside those sections and frames */
	char line[KT_COM2_LINE];     /* the current line, CRs dropped */
	size_t line_len;
	bool line_cut, in_sched, skip, done;
};
void kt_com2_init(struct kt_com2 *c);
void kt_com2_feed(struct kt_com2 *c, const char *p, size_t n);
/* The end of the stream; idempotent. */
void kt_com2_finish(struct kt_com2 *c);
void kt_com2_free(struct kt_com2 *c);

#endif
