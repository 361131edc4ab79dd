/* Unit tests: the verifier-log ring message (src/proto/vlog_msg.c) and
 * its host side (src/runner/vlog_out.c): hostile payloads are refused,
 * limits hold, a rejection is reported with its collapsed log.
 * Fixture: unit/fixtures/sched-verify_loop-6.12.118.log (see
 * unit/fixtures/README.md); expected lines read off that file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "proto/vlog_msg.h"
#include "runner/vlog_out.h"
#include "unit.h"

UNIT_TEST(vlog_msg_roundtrip_and_hostile)
{
	struct kbuf m = { 0 };
	struct kt_vlog_hdr h;
	const char *log;

	CHECK(kt_vlog_msg_encode("ktstr_dispatch", KT_VLOG_F_FAILED | KT_VLOG_F_COMPLETE, "abc\n", 4, &m) == 0);
	CHECK_EQ_INT(m.len, sizeof(h) + 4);
	CHECK(kt_vlog_msg_decode(m.data, m.len, &h, &log) == 0);
	CHECK_EQ_STR(h.prog, "ktstr_dispatch");
	CHECK(h.flags == (KT_VLOG_F_FAILED | KT_VLOG_F_COMPLETE) && h.log_len == 4 && !memcmp(log, "abc\n", 4));
	/* encoder refuses what the decoder would */
	CHECK(kt_vlog_msg_encode("a b", 0, "", 0, &m) == -EINVAL);
	CHECK(kt_vlog_msg_encode("p", 0x100, "", 0, &m) == -EINVAL);
	CHECK(kt_vlog_msg_encode("p", 0, "", KT_VLOG_MSG_LOG_MAX + 1, &m) == -EINVAL);
	/* decoder: short, lengths that disagree, unknown flags, names */
	m.len = 0;
	kt_vlog_msg_encode("p", 0, "0123456789", 10, &m);
	CHECK(kt_vlog_msg_decode(m.data, sizeof(h) - 1, &h, &log) == -EINVAL);
	CHECK(kt_vlog_msg_decode(m.data, m.len - 1, &h, &log) == -EINVAL);
	CHECK(kt_vlog_msg_decode(NULL, 0, &h, &log) == -EINVAL);
	{
		struct kt_vlog_hdr bad;

		memcpy(&bad, m.data, sizeof(bad));
		bad.log_len = 0xffffffffu;
		memcpy(m.data, &bad, sizeof(bad));
		CHECK(kt_vlog_msg_decode(m.data, m.len, &h, &log) == -EINVAL);
		bad.log_len = 10;
		bad.flags = 0x80000000u;
		memcpy(m.data, &bad, sizeof(bad));
		CHECK(kt_vlog_msg_decode(m.data, m.len, &h, &log) == -EINVAL);
		bad.flags = 0;
		memset(bad.prog, 'x', sizeof(bad.prog)); /* no NUL */
		memcpy(m.data, &bad, sizeof(bad));
		CHECK(kt_vlog_msg_decode(m.data, m.len, &h, &log) == -EINVAL);
		memcpy(bad.prog, "a\x1b[2J", 6);
		memcpy(m.data, &bad, sizeof(bad));
		CHECK(kt_vlog_msg_decode(m.data, m.len, &h, &log) == -EINVAL);
	}
	kt_kbuf_free(&m);
}

UNIT_TEST(vlogs_host_limits_and_report)
{
	static struct kt_vlogs l; /* large */
	struct kbuf m = { 0 }, rep = { 0 }, big = { 0 };
	size_t len;
	unsigned char *f = unit_fixture("sched-verify_loop-6.12.118.log", &len);
	struct kt_vlog_block b[1];

	if (!f)
		return;
	CHECK_EQ_INT(kt_vlog_blocks((const char *)f, len, b, 1), 1);
	kt_vlog_msg_encode(b[0].prog, KT_VLOG_F_FAILED | KT_VLOG_F_COMPLETE, (const char *)f + b[0].off, b[0].len, &m);
	CHECK(kt_vlogs_add(&l, m.data, m.len) == 0);
	CHECK(l.v[0].have_st && l.v[0].st.processed == 113);
	/* a garbage message is counted, not kept */
	CHECK(kt_vlogs_add(&l, "garbage", 7) == -EINVAL);
	CHECK(l.n == 1 && l.bad == 1);
	kt_vlogs_report(&l, &rep);
	CHECK(rep.data && strstr(rep.data, "--- verifier: ktstr_dispatch rejected (infinite loop detected at insn 115) ---\n"));
	CHECK(rep.data && strstr(rep.data, "processed 113 insns (0.01 % of the 1000000 budget), states 12 peak / 12 total"));
	CHECK(rep.data && strstr(rep.data, "\n    --- 8x of the following 12 lines ---\n"));
	CHECK(rep.data && strstr(rep.data, "\n    --- 6 identical iterations omitted ---\n"));
	CHECK(rep.data && strstr(rep.data, "\n    infinite loop detected at insn 115\n"));
	CHECK(rep.data && strstr(rep.data, "... 33 earlier lines of the collapsed log (73 lines in all) ..."));
	{ /* JSON: reason, stats, collapsed log */
		json_t *j = kt_vlogs_json(&l), *o = json_array_get(j, 0);

		CHECK(json_array_size(j) == 1);
		CHECK_EQ_STR(json_string_value(json_object_get(o, "reason")), "infinite loop detected at insn 115");
		CHECK_EQ_INT(json_integer_value(json_object_get(o, "processed_insns")), 113);
		CHECK(strstr(json_string_value(json_object_get(o, "log")), "--- 8x of the following 12 lines ---"));
		json_decref(j);
	}
	/* limits: 1 MiB of logs per run, 32 messages */
	kt_kbuf_reserve(&big, KT_VLOG_MSG_LOG_MAX);
	memset(big.data, 'x', KT_VLOG_MSG_LOG_MAX);
	m.len = 0;
	kt_vlog_msg_encode("big", 0, big.data, KT_VLOG_MSG_LOG_MAX, &m);
	for (int i = 0; i < 3; i++)
		CHECK(kt_vlogs_add(&l, m.data, m.len) == 0);
	CHECK(kt_vlogs_add(&l, m.data, m.len) == -E2BIG);
	CHECK(l.bytes <= KT_VLOGS_BYTES_MAX && l.n == 4);
	m.len = 0;
	kt_vlog_msg_encode("small", 0, "x\n", 2, &m);
	while (l.n < KT_VLOG_MSGS_MAX)
		CHECK(kt_vlogs_add(&l, m.data, m.len) == 0);
	CHECK(kt_vlogs_add(&l, m.data, m.len) == -E2BIG);
	kt_vlogs_free(&l);
	kt_kbuf_free(&m);
	kt_kbuf_free(&rep);
	kt_kbuf_free(&big);
	free(f);
}
