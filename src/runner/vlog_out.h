/* The scheduler's verifier logs as the host received them on the ring
 * (KT_MSG_VERIFIER_LOG, proto/vlog_msg.h): kept per run, bounded, shown
 * in the failure report (a rejected program's collapsed log around the
 * rejection) and written to the sidecar. */
#ifndef KTSTR_RUNNER_VLOG_OUT_H
#define KTSTR_RUNNER_VLOG_OUT_H
#include <stddef.h>
#include <jansson.h>
#include "model/vlog.h"
#include "proto/vlog_msg.h"
#include "util/util.h"

#define KT_VLOGS_BYTES_MAX (1024u * 1024u) /* log bytes kept per run */
#define KT_VLOG_REPORT_LINES 40            /* collapsed lines shown around a rejection */

struct kt_vlog_entry {
	struct kt_vlog_hdr h;
	char *log;              /* h.log_len bytes + NUL */
	struct kt_vstats st;    /* parsed from the log; st.have_* false when absent */
	bool have_st;
};

struct kt_vlogs {
	struct kt_vlog_entry v[KT_VLOG_MSGS_MAX];
	size_t n, bytes;
	unsigned bad;           /* messages refused (malformed, over the limits) */
};

/* One ring message: validated and kept, or counted in bad (-EINVAL,
 * -E2BIG) . */
int kt_vlogs_add(struct kt_vlogs *l, const void *payload, size_t len);
void kt_vlogs_free(struct kt_vlogs *l);

/* "processed 38 insns (0.0 % of the 1000000 budget), states 3 peak / 3
 * total, 4043 us, stack 8+0" ("" when s has nothing). */
void kt_vstats_line(const struct kt_vstats *s, char *buf, size_t len);
/* For every rejected program: "--- verifier: PROG rejected (REASON) ---",
 * its statistics and the last KT_VLOG_REPORT_LINES lines of its
 * collapsed log, each line indented by `indent` spaces. */
void kt_vlog_rejection(struct kbuf *out, const char *prog, const char *log, size_t len, unsigned indent);
/* kt_vlog_rejection() for each rejected program in l. */
void kt_vlogs_report(const struct kt_vlogs *l, struct kbuf *report);
/* [{"prog","complete","failed","collapsed_by_guest","cut_by_guest",
 * "reason","processed",...,"log"}], the log collapsed; NULL on ENOMEM. */
json_t *kt_vlogs_json(const struct kt_vlogs *l);

#endif
