/* Unit tests: verifier statistics lines, libbpf load-log blocks and the
 * rejection reason (src/model/vstats.c).
 *
 * Fixtures (unit/fixtures/README.md), the whole stderr of scx_ktstr in a
 * guest of the cached kernel 6.12.118:
 *   sched-log_level4-6.12.118.log   `scx_ktstr --log-level 4`: four
 *                                   programs load, each log is the
 *                                   statistics alone;
 *   sched-fail_verify-6.12.118.log  `--fail-verify`: ops.dispatch rejected;
 *   sched-verify_loop-6.12.118.log  `--verify-loop`: ops.dispatch rejected.
 * Expected values are read off those files by eye. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "model/vlog.h"
#include "unit.h"

static const char *block_text(const unsigned char *f, const struct kt_vlog_block *b)
{
	return (const char *)f + b->off;
}

UNIT_TEST(vstats_real_successful_loads)
{
	static const struct {
		const char *prog;
		uint64_t processed, total, peak, mark_read, usec;
		const char *stack;
	} want[] = {
		{ "ktstr_enqueue", 92, 10, 10, 2, 25032, "8" },
		{ "ktstr_dispatch", 48, 4, 4, 1, 3420, "8+0" },
		{ "ktstr_init", 4, 0, 0, 0, 591, "0" },
		{ "ktstr_exit", 25, 2, 2, 1, 881, "0" },
	};
	size_t len, n;
	unsigned char *f = unit_fixture("sched-log_level4-6.12.118.log", &len);
	struct kt_vlog_block b[8];

	if (!f)
		return;
	n = kt_vlog_blocks((const char *)f, len, b, 8);
	CHECK_EQ_INT(n, 4);
	for (size_t i = 0; i < n && i < 4; i++) {
		struct kt_vstats s;
		char stack[64], reason[128];

		CHECK_EQ_STR(b[i].prog, want[i].prog);
		CHECK(b[i].complete && !b[i].failed);
		CHECK(kt_vstats_parse(block_text(f, &b[i]), b[i].len, &s) == 0);
		CHECK(s.have_processed && s.have_time);
		CHECK_EQ_INT(s.processed, want[i].processed);
		CHECK_EQ_INT(s.limit, 1000000);
		CHECK_EQ_INT(s.max_states_per_insn, 0);
		CHECK_EQ_INT(s.total_states, want[i].total);
		CHECK_EQ_INT(s.peak_states, want[i].peak);
		CHECK_EQ_INT(s.mark_read, want[i].mark_read);
		CHECK_EQ_INT(s.time_usec, want[i].usec);
		kt_vstats_stack_str(&s, stack, sizeof(stack));
		CHECK_EQ_STR(stack, want[i].stack);
		/* nothing but statistics: no reason */
		kt_vlog_reason(block_text(f, &b[i]), b[i].len, reason, sizeof(reason));
		CHECK_EQ_STR(reason, "");
	}
	free(f);
}

UNIT_TEST(vstats_real_rejections)
{
	static const struct {
		const char *file, *reason;
		uint64_t processed, states, mark_read;
	} want[] = {
		{ "sched-fail_verify-6.12.118.log", "R2 invalid mem access 'scalar'", 38, 3, 2 },
		{ "sched-verify_loop-6.12.118.log", "infinite loop detected at insn 115", 113, 12, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t len;
		unsigned char *f = unit_fixture(want[i].file, &len);
		struct kt_vlog_block b[2];
		struct kt_vstats s;
		char reason[128];

		if (!f)
			continue;
		CHECK_EQ_INT(kt_vlog_blocks((const char *)f, len, b, 2), 1);
		CHECK_EQ_STR(b[0].prog, "ktstr_dispatch");
		CHECK(b[0].complete && b[0].failed);
		CHECK(!strncmp(block_text(f, &b[0]), "Global function ktstr_dispatch() doesn't return scalar.", 55));
		CHECK(kt_vstats_parse(block_text(f, &b[0]), b[0].len, &s) == 0);
		CHECK(s.have_processed && !s.have_time && s.nstack == 0);
		CHECK_EQ_INT(s.processed, want[i].processed);
		CHECK_EQ_INT(s.total_states, want[i].states);
		CHECK_EQ_INT(s.peak_states, want[i].states);
		CHECK_EQ_INT(s.mark_read, want[i].mark_read);
		kt_vlog_reason(block_text(f, &b[0]), b[0].len, reason, sizeof(reason));
		CHECK_EQ_STR(reason, want[i].reason);
		/* bounded: a short buffer gets a prefix */
		kt_vlog_reason(block_text(f, &b[0]), b[0].len, reason, 9);
		CHECK_EQ_INT(strlen(reason), 8);
		free(f);
	}
}

UNIT_TEST(vstats_hostile_lines)
{
	struct kt_vstats s;
	const char *t;
	char stack[16];

	CHECK(kt_vstats_parse(NULL, 0, &s) == -ENOENT);
	CHECK(kt_vstats_parse("", 0, &s) == -ENOENT);
	CHECK(kt_vstats_parse("\n\n\n", 3, &s) == -ENOENT);
	/* overflowing numbers are not statistics */
	t = "processed 99999999999999999999999 insns (limit 1000000)\nverification time 18446744073709551616 usec\n";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == -ENOENT);
	/* the largest u64 is */
	t = "verification time 18446744073709551615 usec";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == 0 && s.time_usec == UINT64_MAX);
	/* garbage after the number, missing words */
	t = "processed 12insns\nprocessed insns\nverification time 5 msec\nstack depth 8+\nstack depth +8\n";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == -ENOENT);
	/* too many frames, a frame over 32 bits */
	t = "stack depth 1+2+3+4+5+6+7+8+9\nstack depth 4294967296\n";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == -ENOENT);
	t = "stack depth 1+2+3+4+5+6+7+8";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == 0 && s.nstack == 8);
	kt_vstats_stack_str(&s, stack, sizeof(stack));
	CHECK_EQ_STR(stack, "1+2+3+4+5+6+7+8");
	kt_vstats_stack_str(&s, stack, 6); /* cut, still terminated */
	CHECK_EQ_INT(strlen(stack), 5);
	/* the last of each line wins; keys missing are 0; CRLF */
	t = "processed 5 insns (limit 10) total_states 1\r\nprocessed 7 insns peak_states 3 total_states 2\r\n";
	CHECK(kt_vstats_parse(t, strlen(t), &s) == 0);
	CHECK(s.processed == 7 && s.limit == 0 && s.total_states == 2 && s.peak_states == 3 && s.mark_read == 0);
	/* a block cut short: no END marker, partial last line dropped */
	t = "x\nlibbpf: prog 'p1': BPF program load failed: Permission denied\nlibbpf: prog 'p1': -- BEGIN PROG LOAD LOG "
	    "--\n0: R1=ctx()\n1: (b7) r0 = 0\n2: (95) ex";
	{
		struct kt_vlog_block b[2];

		CHECK_EQ_INT(kt_vlog_blocks(t, strlen(t), b, 2), 1);
		CHECK(!b[0].complete && b[0].failed);
		CHECK_EQ_STR(b[0].prog, "p1");
		CHECK(b[0].len == strlen("0: R1=ctx()\n1: (b7) r0 = 0\n") && !strncmp(t + b[0].off, "0: R1", 5));
	}
	/* a name with control bytes and no quote end; two blocks, the first
	 * cut by the second; max respected */
	t = "prog 'a\x1b[31m\n-- BEGIN PROG LOAD LOG --\nl1\nprog 'b': -- BEGIN PROG LOAD LOG --\nl2\n-- END PROG LOAD LOG "
	    "--\nprog 'c': -- BEGIN PROG LOAD LOG --\n-- END PROG LOAD LOG --";
	{
		struct kt_vlog_block b[3];

		CHECK_EQ_INT(kt_vlog_blocks(t, strlen(t), b, 3), 3);
		CHECK_EQ_STR(b[0].prog, "");
		CHECK(!b[0].complete && b[0].len == 3);
		CHECK_EQ_STR(b[1].prog, "b");
		CHECK(b[1].complete && b[1].len == 3 && !b[1].failed);
		CHECK(b[2].complete && b[2].len == 0);
		CHECK_EQ_INT(kt_vlog_blocks(t, strlen(t), b, 1), 1);
		CHECK_EQ_INT(kt_vlog_blocks(NULL, 0, b, 3), 0);
	}
	/* a prog name longer than the field is cut */
	{
		struct kbuf l = { 0 };
		struct kt_vlog_block b[1];

		kt_kbuf_printf(&l, "prog '");
		for (int i = 0; i < 300; i++)
			kt_kbuf_append(&l, "n", 1);
		kt_kbuf_printf(&l, "': -- BEGIN PROG LOAD LOG --\n-- END PROG LOAD LOG --\n");
		CHECK_EQ_INT(kt_vlog_blocks(l.data, l.len, b, 1), 1);
		CHECK_EQ_INT(strlen(b[0].prog), KT_VLOG_NAME - 1);
		kt_kbuf_free(&l);
	}
}
