/* The scheduler's verifier logs (libbpf's PROG LOAD LOG blocks in its
 * output), sent to the host on the ring, one message per block
 * (proto/vlog_msg.h), and the rejection reason for the result. */
#include "guest/guest.h"
#include "guest/sched.h"
#include "model/vlog.h"
#include "proto/vlog_msg.h"

#include <stdio.h>
#include <string.h>

#define TOTAL_MAX (1024u * 1024u) /* log bytes sent per boot */

static size_t total_sent;

void kt_sched_send_vlogs(struct kt_sched *s)
{
	static struct kt_vlog_block blk[KT_VLOG_MSGS_MAX];
	struct kbuf b = { 0 }, msg = { 0 }, body = { 0 };
	size_t n;

	if (kt_read_file(KT_SCHED_LOG, &b) || !b.data)
		return;
	n = kt_vlog_blocks(b.data, b.len, blk, KT_VLOG_MSGS_MAX);
	for (size_t i = s->vlogs_sent; i < n && total_sent < TOTAL_MAX; i++) {
		uint32_t flags = (blk[i].complete ? KT_VLOG_F_COMPLETE : 0) | (blk[i].failed ? KT_VLOG_F_FAILED : 0);
		size_t room = TOTAL_MAX - total_sent;

		body.len = msg.len = 0;
		bool folded = false, cut = false;

		if (kt_vlog_fit(b.data + blk[i].off, blk[i].len, room < KT_VLOG_MSG_LOG_MAX ? room : KT_VLOG_MSG_LOG_MAX,
				&body, &folded, &cut))
			continue;
		flags |= (folded ? KT_VLOG_F_COLLAPSED : 0) | (cut ? KT_VLOG_F_CUT : 0);
		if (kt_vlog_msg_encode(blk[i].prog, flags, body.data, body.len, &msg))
			continue;
		if (!kt_shm_send(KT_MSG_VERIFIER_LOG, msg.data, msg.len))
			total_sent += body.len;
	}
	if (n > s->vlogs_sent)
		s->vlogs_sent = (unsigned)n;
	kt_kbuf_free(&b);
	kt_kbuf_free(&msg);
	kt_kbuf_free(&body);
}

void kt_sched_verifier_reason(char *buf, size_t len)
{
	static struct kt_vlog_block blk[KT_VLOG_MSGS_MAX];
	struct kbuf b = { 0 };
	size_t n;

	buf[0] = '\0';
	if (kt_read_file(KT_SCHED_LOG, &b) || !b.data)
		return;
	n = kt_vlog_blocks(b.data, b.len, blk, KT_VLOG_MSGS_MAX);
	/* The (last) rejected program's reason. */
	for (size_t i = n; i-- > 0;)
		if (blk[i].failed) {
			kt_vlog_reason(b.data + blk[i].off, blk[i].len, buf, len);
			break;
		}
	kt_kbuf_free(&b);
}
