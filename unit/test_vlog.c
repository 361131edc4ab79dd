/* Unit tests: verifier-log cycle collapse (src/model/cycle.c).
 *
 * Fixture: unit/fixtures/sched-verify_loop-6.12.118.log, the whole
 * stderr of `scx_ktstr --verify-loop` in a guest of the cached kernel
 * 6.12.118 (unit/fixtures/README.md).  Expected lines are copied from
 * that file by eye: the 8x unrolled block of ops.dispatch() is 12 lines
 * (three source comments, three instructions after each), its first copy
 * at instructions 40-48, its last at 103-111. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "model/vlog.h"
#include "unit.h"

static size_t nlines(const struct kbuf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

static bool has_line(const struct kbuf *b, const char *line)
{
	size_t l = strlen(line);

	for (const char *p = b->data, *end = b->data + b->len; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n == l && !memcmp(p, line, l))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

static void norm(const char *line, char *a, char *b)
{
	size_t ao, al, bo, bl;

	kt_vlog_normalize(line, strlen(line), &ao, &al, &bo, &bl);
	memcpy(a, line + ao, al);
	a[al] = '\0';
	memcpy(b, line + bo, bl);
	b[bl] = '\0';
}

UNIT_TEST(vlog_normalize_real_lines)
{
	char a[256], b[256];

	/* instruction with register state after "; R" */
	norm("43: (bf) r6 = r0                      ; R0_w=scalar(id=3) R6_w=scalar(id=3)", a, b);
	CHECK_EQ_STR(a, "43: (bf) r6 = r0");
	CHECK_EQ_STR(b, "(bf) r6 = r0");
	/* the same instruction at a longer address, other padding and ids */
	norm("106: (bf) r6 = r0                     ; R0_w=scalar(id=10) R6_w=scalar(id=10)", a, b);
	CHECK_EQ_STR(b, "(bf) r6 = r0");
	/* branch with the target's state inline: kept through pc+N */
	norm("4: (16) if w2 == 0x0 goto pc+9 14: R1_w=scalar() R2_w=0 R10=fp0", a, b);
	CHECK_EQ_STR(a, "4: (16) if w2 == 0x0 goto pc+9");
	CHECK_EQ_STR(b, "(16) if w2 == 0x0 goto pc+9");
	norm("17: (56) if w2 != 0x0 goto pc-5       ; R2_w=0", a, b);
	CHECK_EQ_STR(a, "17: (56) if w2 != 0x0 goto pc-5");
	/* a register dump alone */
	norm("0: R1=ctx() R10=fp0", a, b);
	CHECK_EQ_STR(a, "0:");
	CHECK_EQ_STR(b, "0:");
	norm("12: frame1: R1=ctx() R10=fp0", a, b);
	CHECK_EQ_STR(a, "12:");
	/* "; frame" state */
	norm("7: (85) call pc+3 ; frame1: R1=1", a, b);
	CHECK_EQ_STR(a, "7: (85) call pc+3");
	/* source comments and other lines are only trimmed */
	norm("  ; acc ^= acc >> 7; @ scx_ktstr.bpf.c:132  ", a, b);
	CHECK_EQ_STR(a, "; acc ^= acc >> 7; @ scx_ktstr.bpf.c:132");
	CHECK_EQ_STR(b, a);
	norm("R2 invalid mem access 'scalar'", a, b);
	CHECK_EQ_STR(a, "R2 invalid mem access 'scalar'");
	norm("", a, b);
	CHECK_EQ_STR(a, "");
	norm("123", a, b);
	CHECK_EQ_STR(a, "123");
	norm("5:", a, b);
	CHECK_EQ_STR(b, "5:");
}

UNIT_TEST(vlog_collapse_real_verify_loop)
{
	size_t len;
	unsigned char *f = unit_fixture("sched-verify_loop-6.12.118.log", &len);
	struct kt_vlog_block blk[4];
	struct kt_collapse_stats st;
	struct kbuf out = { 0 };
	size_t n;

	if (!f)
		return;
	n = kt_vlog_blocks((const char *)f, len, blk, 4);
	CHECK_EQ_INT(n, 1);
	CHECK(kt_vlog_collapse((const char *)f + blk[0].off, blk[0].len, &out, &st) == 0);
	CHECK_EQ_INT(st.folds, 1);
	CHECK(has_line(&out, "--- 8x of the following 12 lines ---"));
	CHECK(has_line(&out, "--- 6 identical iterations omitted ---"));
	CHECK(has_line(&out, "--- end repeat ---"));
	/* first iteration, exact */
	CHECK(has_line(&out, "40: (27) r6 *= 31                     ; R6_w=scalar()"));
	CHECK(has_line(&out, "43: (bf) r6 = r0                      ; R0_w=scalar(id=3) R6_w=scalar(id=3)"));
	CHECK(has_line(&out, "48: (0f) r6 += r0                     ; R0_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,"
			     "var_off=(0x0; 0xff)) R6_w=scalar()"));
	/* last iteration, exact */
	CHECK(has_line(&out, "103: (27) r6 *= 31                    ; R6_w=scalar()"));
	CHECK(has_line(&out, "106: (bf) r6 = r0                     ; R0_w=scalar(id=10) R6_w=scalar(id=10)"));
	CHECK(has_line(&out, "111: (0f) r6 += r0                    ; R0_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,"
			     "var_off=(0x0; 0xff)) R6_w=scalar()"));
	/* the middle iterations are gone, everything around is kept */
	CHECK(!has_line(&out, "58: (27) r6 *= 31                     ; R6_w=scalar()"));
	CHECK(!has_line(&out, "94: (27) r6 *= 31                     ; R6_w=scalar()"));
	CHECK(has_line(&out, "; u64 acc = bpf_ktime_get_ns(); @ scx_ktstr.bpf.c:127"));
	CHECK(has_line(&out, "infinite loop detected at insn 115"));
	CHECK(has_line(&out, "processed 113 insns (limit 1000000) max_states_per_insn 0 total_states 12 peak_states 12 mark_read 1"));
	CHECK_EQ_INT(st.lines_out, st.lines_in - 6 * 12 + 3);
	CHECK_EQ_INT(nlines(&out), st.lines_out);
	kt_kbuf_free(&out);
	free(f);
}

/* The real 12-line block, with its addresses and ids as in iteration k. */
static void real_block(struct kbuf *b, unsigned addr, unsigned id)
{
	kt_kbuf_printf(b, "; acc = acc * 31 + bpf_ktime_get_ns(); @ scx_ktstr.bpf.c:131\n");
	kt_kbuf_printf(b, "%u: (27) r6 *= 31                     ; R6_w=scalar()\n", addr);
	kt_kbuf_printf(b, "%u: (85) call bpf_ktime_get_ns#5      ; R0_w=scalar()\n", addr + 1);
	kt_kbuf_printf(b, "%u: (0f) r0 += r6                     ; R0_w=scalar() R6_w=scalar()\n", addr + 2);
	kt_kbuf_printf(b, "; acc ^= acc >> 7; @ scx_ktstr.bpf.c:132\n");
	kt_kbuf_printf(b, "%u: (bf) r6 = r0                      ; R0_w=scalar(id=%u) R6_w=scalar(id=%u)\n", addr + 3,
		       id, id);
	kt_kbuf_printf(b, "%u: (77) r6 >>= 7                     ; R6_w=scalar(smin=0,smax=umax=0x1ffffffffffffff)\n",
		       addr + 4);
	kt_kbuf_printf(b, "%u: (af) r6 ^= r0                     ; R0_w=scalar(id=%u) R6_w=scalar()\n", addr + 5, id);
	kt_kbuf_printf(b, "; acc += bpf_ktime_get_ns() & 0xff; @ scx_ktstr.bpf.c:133\n");
	kt_kbuf_printf(b, "%u: (85) call bpf_ktime_get_ns#5      ; R0=scalar()\n", addr + 6);
	kt_kbuf_printf(b, "%u: (57) r0 &= 255                    ; R0_w=scalar(smin=smin32=0,smax=umax=255)\n", addr + 7);
	kt_kbuf_printf(b, "%u: (0f) r6 += r0                     ; R6_w=scalar()\n", addr + 8);
}

/* Thousands of lines (an unrolled loop of 500 copies) shrink to a few
 * dozen; the first and last copies are kept byte for byte. */
UNIT_TEST(vlog_collapse_thousands_of_lines)
{
	struct kbuf in = { 0 }, first = { 0 }, last = { 0 }, out = { 0 };
	struct kt_collapse_stats st;
	const unsigned reps = 500;

	kt_kbuf_printf(&in, "func#0 @0\n0: R1=ctx() R10=fp0\n; u64 acc = bpf_ktime_get_ns(); @ scx_ktstr.bpf.c:127\n"
			    "38: (85) call bpf_ktime_get_ns#5      ; R0_w=scalar()\n");
	for (unsigned k = 0; k < reps; k++)
		real_block(&in, 40 + 9 * k, 3 + k);
	kt_kbuf_printf(&in, "; verify_sink = acc; @ scx_ktstr.bpf.c:135\nBPF program is too large. Processed 1000001 "
			    "insn\nprocessed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 9 "
			    "peak_states 9 mark_read 1\n");
	real_block(&first, 40, 3);
	real_block(&last, 40 + 9 * (reps - 1), 3 + reps - 1);
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK_EQ_INT(st.lines_in, 4 + 12 * reps + 3);
	CHECK(st.lines_in > 6000);
	CHECK_EQ_INT(st.lines_out, 4 + 12 * 2 + 3 + 3);
	CHECK(st.lines_out < 40);
	CHECK(out.data && strstr(out.data, "--- 500x of the following 12 lines ---\n"));
	CHECK(out.data && strstr(out.data, "--- 498 identical iterations omitted ---\n"));
	/* first and last iterations exact, in place */
	{
		const char *m1 = strstr(out.data, "lines ---\n"), *m2 = strstr(out.data, "omitted ---\n");

		CHECK(m1 && !memcmp(m1 + 10, first.data, first.len));
		CHECK(m2 && !memcmp(m2 + 12, last.data, last.len));
		CHECK(m2 && !strncmp(m2 + 12 + last.len, "--- end repeat ---\n; verify_sink", 32));
	}
	CHECK(!strncmp(out.data, "func#0 @0\n0: R1=ctx() R10=fp0\n", 30));
	kt_kbuf_free(&in);
	kt_kbuf_free(&first);
	kt_kbuf_free(&last);
	kt_kbuf_free(&out);
}

UNIT_TEST(vlog_collapse_hostile_small)
{
	struct kbuf in = { 0 }, out = { 0 };
	struct kt_collapse_stats st;

	/* empty, NULL */
	CHECK(kt_vlog_collapse("", 0, &out, &st) == 0);
	CHECK_EQ_INT(out.len, 0);
	CHECK(kt_vlog_collapse(NULL, 0, &out, NULL) == 0);
	CHECK_EQ_INT(out.len, 0);
	/* no final newline: added */
	CHECK(kt_vlog_collapse("abc", 3, &out, &st) == 0);
	CHECK(out.len == 4 && !memcmp(out.data, "abc\n", 4));
	out.len = 0;
	/* only empty lines: nothing to anchor on, unchanged */
	for (int i = 0; i < 1000; i++)
		kt_kbuf_append(&in, "\n", 1);
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(out.len == in.len && !memcmp(out.data, in.data, in.len));
	CHECK_EQ_INT(st.folds, 0);
	/* one line 3000 times: a period of 1 is below the minimum of 5 */
	in.len = out.len = 0;
	for (int i = 0; i < 3000; i++)
		kt_kbuf_printf(&in, "115: (05) goto pc-1\n");
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(out.len == in.len && st.folds == 0);
	/* only repetitions: a 6-line block 1000 times -> 2 copies + 3 markers */
	in.len = out.len = 0;
	for (int i = 0; i < 1000; i++)
		kt_kbuf_printf(&in, "; for (int j = 0; j < n; j++) @ x.c:7\n1: r1 += 1\n2: r2 += 2\n3: r3 += 3\n"
				    "4: r4 += 4\n5: if r1 > 0x9 goto pc-6\n");
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK_EQ_INT(st.lines_out, 15);
	CHECK(out.data && !strncmp(out.data, "--- 1000x of the following 6 lines ---\n; for", 44));
	/* two repetitions are not a cycle */
	in.len = out.len = 0;
	for (int i = 0; i < 2; i++)
		kt_kbuf_printf(&in, "; for (int j = 0; j < n; j++) @ x.c:7\n1: a\n2: b\n3: c\n4: d\n5: e\n");
	kt_kbuf_printf(&in, "; for (int j = 0; j < n; j++) @ x.c:7\n9: other\n");
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(st.folds == 0 && out.len == in.len);
	/* NUL and control bytes are just bytes */
	in.len = out.len = 0;
	for (int i = 0; i < 50; i++)
		kt_kbuf_append(&in, "; anchor line\0xx\n\x1b[2Jb\nc\nd\ne\n", 29);
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK_EQ_INT(st.folds, 1);
	CHECK_EQ_INT(st.lines_out, 13);
	kt_kbuf_free(&in);
	kt_kbuf_free(&out);
}

/* Several loops: each pass folds one, at most KT_VLOG_PASSES. */
UNIT_TEST(vlog_collapse_passes)
{
	struct kbuf in = { 0 }, out = { 0 };
	struct kt_collapse_stats st;

	for (int loop = 0; loop < 7; loop++) {
		kt_kbuf_printf(&in, "between loops %d\n", loop);
		for (int r = 0; r < 4 + loop; r++)
			kt_kbuf_printf(&in, "; loop %d body @ x.c:%d\n%d: a\n%d: b\n%d: c\n%d: d\n", loop, loop, 10 * loop,
				       10 * loop + 1, 10 * loop + 2, 10 * loop + 3);
	}
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK_EQ_INT(st.folds, KT_VLOG_PASSES);
	/* the most repeated loops go first: 6, 5, 4, 3, 2 folded; 0 and 1 not */
	CHECK(strstr(out.data, "--- 10x of the following 5 lines ---"));
	CHECK(strstr(out.data, "--- 6x of the following 5 lines ---"));
	CHECK(!strstr(out.data, "--- 5x of the following") && !strstr(out.data, "--- 4x of the following"));
	kt_kbuf_free(&in);
	kt_kbuf_free(&out);
}

/* 10 MB logs: the work (bytes hashed, lines and positions visited) is
 * counted, and bounded by a small multiple of the input's size. */
UNIT_TEST(vlog_collapse_10mb_bounded_work)
{
	const size_t target = 10u << 20;
	struct kbuf in = { 0 }, out = { 0 };
	struct kt_collapse_stats st;
	unsigned k = 0;

	/* an unrolled loop, ~100-byte lines */
	while (in.len < target)
		real_block(&in, 40 + 9 * k, 3 + k), k++;
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(!st.too_big && st.folds == 1 && st.lines_out < 40);
	CHECK(st.work <= 8 * (in.len + st.lines_in));
	/* no repetition at all: every line different */
	in.len = out.len = 0;
	for (k = 0; in.len < target; k++)
		kt_kbuf_printf(&in, "%u: (b7) r%u = %u ; R0_w=scalar(id=%u) some more text to fill the line\n", k, k % 10, k,
			       k);
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(st.folds == 0 && out.len == in.len);
	CHECK(st.work <= 8 * (in.len + st.lines_in));
	/* the anchor every 5 lines and blocks equal in pairs only: every
	 * anchor position passes the 2-block test, none reaches 3 */
	in.len = out.len = 0;
	for (k = 0; in.len < target; k++)
		kt_kbuf_printf(&in, "; anchor anchor anchor\nx%u\ny%u\nz%u\nw%u\n", k / 2, k / 2, k / 2, k / 2);
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK_EQ_INT(st.folds, 0);
	CHECK(st.work <= 8 * (in.len + st.lines_in));
	/* 10 MB of newlines: more lines than collapsed, copied in one pass */
	in.len = out.len = 0;
	kt_kbuf_reserve(&in, target);
	memset(in.data, '\n', target);
	in.len = target;
	CHECK(kt_vlog_collapse(in.data, in.len, &out, &st) == 0);
	CHECK(st.too_big && out.len == in.len);
	CHECK(st.work <= in.len);
	kt_kbuf_free(&in);
	kt_kbuf_free(&out);
}

/* Fitting a log into a ring message: as is, folded, or head + tail on
 * line boundaries, never over the limit. */
UNIT_TEST(vlog_fit_limits)
{
	struct kbuf in = { 0 }, out = { 0 };
	bool folded, cut;
	char last[128];
	unsigned k;

	CHECK(kt_vlog_fit("a\nb\n", 4, 1024, &out, &folded, &cut) == 0);
	CHECK(out.len == 4 && !folded && !cut);
	out.len = 0;
	for (k = 0; k < 500; k++)
		real_block(&in, 40 + 9 * k, 3 + k);
	CHECK(in.len > 40000);
	CHECK(kt_vlog_fit(in.data, in.len, 8192, &out, &folded, &cut) == 0);
	CHECK(folded && !cut && out.len <= 8192);
	CHECK(out.data && strstr(out.data, "--- 500x of the following 12 lines ---"));
	in.len = out.len = 0;
	for (k = 0; k < 3000; k++)
		kt_kbuf_printf(&in, "%u: (b7) r1 = %u ; distinct line\n", k, k);
	snprintf(last, sizeof(last), "%u: (b7) r1 = %u ; distinct line\n", k - 1, k - 1);
	CHECK(kt_vlog_fit(in.data, in.len, 4096, &out, &folded, &cut) == 0);
	CHECK(!folded && cut && out.len <= 4096);
	CHECK(out.len > 3000);
	CHECK(!strncmp(out.data, "0: (b7) r1 = 0 ; distinct line\n", 31));
	CHECK(out.len >= strlen(last) && !memcmp(out.data + out.len - strlen(last), last, strlen(last)));
	{
		const char *m = strstr(out.data, "--- ");

		CHECK(m && m > out.data && m[-1] == '\n' && strstr(m, " bytes cut ---\n"));
		CHECK(m && strchr(m, '\n')[1] >= '0' && strchr(m, '\n')[1] <= '9');
	}
	out.len = 0;
	CHECK(kt_vlog_fit(in.data, in.len, 1000, &out, &folded, &cut) == -ENOSPC);
	CHECK_EQ_INT(out.len, 0);
	kt_kbuf_free(&in);
	kt_kbuf_free(&out);
}
