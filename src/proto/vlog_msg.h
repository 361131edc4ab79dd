/* The verifier-log message on the guest->host ring (docs/protocol.md):
 * one of libbpf's load-log blocks of the scheduler under test.
 *
 *   struct kt_vlog_hdr { u32 flags, u32 log_len, char prog[64] } + log_len bytes
 *
 * The guest shortens a log over KT_VLOG_MSG_LOG_MAX before sending it
 * (cycle collapse, then head and tail) and says so in flags.  The host
 * decodes it as untrusted input: exact length, known flags only, a
 * NUL-terminated printable program name.  Pure. */
#ifndef KTSTR_PROTO_VLOG_MSG_H
#define KTSTR_PROTO_VLOG_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

#define KT_MSG_VERIFIER_LOG 0x564C4F47u /* "VLOG" */

#define KT_VLOG_PROG_LEN 64
#define KT_VLOG_MSG_LOG_MAX (256u * 1024u) /* log bytes in one message */
#define KT_VLOG_MSGS_MAX 32u               /* messages a guest sends, at most */

#define KT_VLOG_F_COMPLETE 0x1u  /* the END marker was seen */
#define KT_VLOG_F_FAILED 0x2u    /* libbpf said the program's load failed */
#define KT_VLOG_F_COLLAPSED 0x4u /* the guest folded repeated blocks to fit */
#define KT_VLOG_F_CUT 0x8u       /* the guest cut the middle out to fit */
#define KT_VLOG_F_ALL 0xfu

struct kt_vlog_hdr {
	uint32_t flags;
	uint32_t log_len;
	char prog[KT_VLOG_PROG_LEN];
};

/* Appends the message payload to out.  -EINVAL for a log over the
 * limit, unknown flags or a name that does not fit; -ENOMEM. */
int kt_vlog_msg_encode(const char *prog, uint32_t flags, const char *log, size_t len, struct kbuf *out);
/* Checks a received payload; on 0 *hdr is a copy and *log points into
 * payload (hdr->log_len bytes).  -EINVAL otherwise. */
int kt_vlog_msg_decode(const void *payload, size_t len, struct kt_vlog_hdr *hdr, const char **log);

#endif
