/* Unit tests: the monitor's BTF reader (src/monitor/btf.c) and offset
 * table (layout.c) on hand-made blobs: cycles, absurd counts, and the
 * hostile nesting of issue 16 (findings 5 and 6). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "btf_mk.h"
#include "monitor/layout.h"
#include "unit.h"

UNIT_TEST(monitor_btf_handmade)
{
	struct mk m = { .nt = 0 };
	struct kt_btf *b;
	uint64_t off;
	uint32_t type;

	/* [1] int; [2] int[2] of itself; [3] -> [4] -> [3] arrays;
	 * [5] int[0xffffffff][0xffffffff][0xffffffff]; [6]/[7] a typedef
	 * cycle; [8] struct s { <anonymous struct s>; int x at 4 } of
	 * itself; [9] struct with a member of type 99 (no such id). */
	mk(&m, mk_str(&m, "int"), INFO(KT_BTF_INT, 0), 4);
	m.t[m.nt++] = 32;
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 2, 1, 2);
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 4, 1, 3);
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 3, 1, 3);
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 10, 1, 0xffffffffu);
	mk(&m, mk_str(&m, "a"), INFO(KT_BTF_TYPEDEF, 0), 7);
	mk(&m, mk_str(&m, "b"), INFO(KT_BTF_TYPEDEF, 0), 6);
	mk(&m, mk_str(&m, "s"), INFO(KT_BTF_STRUCT, 2), 8);
	mk(&m, 0, 8, 0);
	mk(&m, mk_str(&m, "x"), 1, 32);
	mk(&m, mk_str(&m, "bad"), INFO(KT_BTF_STRUCT, 1), 8);
	mk(&m, mk_str(&m, "y"), 99, 0);
	/* [10], [11]: int[0xffffffff] of int[0xffffffff] -> 5 overflows */
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 11, 1, 0xffffffffu);
	mk(&m, 0, INFO(KT_BTF_ARRAY, 0), 0);
	mk(&m, 1, 1, 0xffffffffu);
	b = mk_parse(&m);
	if (!b)
		return;
	CHECK_EQ_INT(kt_btf_count(b), 11);
	CHECK_EQ_INT(kt_btf_size(b, 1), 4);
	CHECK_EQ_INT(kt_btf_size(b, 11), 4ll * 0xffffffffll);
	CHECK_EQ_INT(kt_btf_size(b, 2), -EINVAL); /* a cycle */
	CHECK_EQ_INT(kt_btf_size(b, 3), -EINVAL);
	CHECK_EQ_INT(kt_btf_size(b, 5), -EINVAL); /* 4 * 2^96: overflows */
	CHECK_EQ_INT(kt_btf_size(b, 10), -EINVAL);
	CHECK_EQ_INT(kt_btf_size(b, 6), -EINVAL);
	CHECK(kt_btf_resolve(b, 6) == 6 || kt_btf_resolve(b, 6) == 7);
	CHECK_EQ_INT(kt_btf_find(b, "s", KT_BTF_STRUCT), 8);
	CHECK_EQ_INT(kt_btf_member(b, 8, "x", &off, &type, NULL, 0), 0);
	CHECK_EQ_INT(off, 4);
	CHECK_EQ_INT(kt_btf_member(b, 8, "z", &off, &type, NULL, 0), -ENOENT); /* bounded recursion */
	CHECK_EQ_INT(kt_btf_member(b, 9, "y", &off, &type, NULL, 0), 0);
	CHECK_EQ_INT(type, 99);
	CHECK_EQ_INT(kt_btf_member(b, 9, "y.z", &off, &type, NULL, 0), -ENOENT);
	CHECK_EQ_INT(kt_btf_member(b, 6, "x", &off, &type, NULL, 0), -EINVAL); /* a typedef cycle, not a struct */
	kt_btf_free(b);
}

/* Issue 16 finding 5: anonymous members were searched with a depth limit
 * but no limit on the total work.  [2] struct w { 2 anonymous members of
 * type w }: 2^17 paths to the depth limit, each walked for a missing
 * name; [3] the same 16 wide: 16^17, effectively forever. */
UNIT_TEST(monitor_btf_member_work_budget)
{
	struct mk m = { .nt = 0 };
	struct kt_btf *b;
	uint64_t off;
	uint32_t type;
	char missing[16];

	mk(&m, mk_str(&m, "int"), INFO(KT_BTF_INT, 0), 4);
	m.t[m.nt++] = 32;
	mk(&m, mk_str(&m, "w"), INFO(KT_BTF_STRUCT, 2), 8);
	mk(&m, 0, 2, 0);
	mk(&m, 0, 2, 0);
	mk(&m, mk_str(&m, "v"), INFO(KT_BTF_STRUCT, 16), 8);
	for (int i = 0; i < 16; i++)
		mk(&m, 0, 3, 0);
	b = mk_parse(&m);
	if (!b)
		return;
	CHECK_EQ_INT(kt_btf_member(b, 2, "x", &off, &type, missing, sizeof(missing)), -E2BIG);
	CHECK_EQ_STR(missing, "x");
	CHECK_EQ_INT(kt_btf_member(b, 3, "x", &off, &type, NULL, 0), -E2BIG);
	kt_btf_free(b);
}

/* Issue 16 finding 6: offsets summed through nested anonymous members
 * went past 4 GiB and were cut to 32 bits in the layout, so off + size
 * wrapped, passed read_rq's bounds check and wrote outside the host's
 * buffer.  struct rq { u32 nr_running at 0; <anonymous a1> at byte
 * 0x1fffffff }, a1..a15 each { <anonymous next> at byte 0x1fffffff },
 * a16 { u64 clock at byte 12 }: clock at 16 * 0x1fffffff + 12 =
 * 0x1fffffffc, 0xfffffffc in 32 bits, where off + 8 wraps to 4. */
UNIT_TEST(monitor_btf_offsets_past_4g)
{
	struct mk m = { .nt = 0 };
	struct kt_btf *b;
	struct kt_layout l;
	uint64_t sym[32], off;
	uint32_t type;

	for (unsigned i = 0; i < kt_layout_nsyms; i++) /* every symbol there */
		sym[i] = 0xffffffff81000000ull + i * 0x1000;
	/* [1] u32, [2] u64, [3] rq, [4..19] a1..a16 */
	mk(&m, mk_str(&m, "u32"), INFO(KT_BTF_INT, 0), 4);
	m.t[m.nt++] = 32;
	mk(&m, mk_str(&m, "u64"), INFO(KT_BTF_INT, 0), 8);
	m.t[m.nt++] = 64;
	mk(&m, mk_str(&m, "rq"), INFO(KT_BTF_STRUCT, 2), 4096);
	mk(&m, mk_str(&m, "nr_running"), 1, 0);
	mk(&m, 0, 4, 0xfffffff8u);
	for (uint32_t id = 4; id < 19; id++) {
		mk(&m, 0, INFO(KT_BTF_STRUCT, 1), 16);
		mk(&m, 0, id + 1, 0xfffffff8u);
	}
	mk(&m, 0, INFO(KT_BTF_STRUCT, 1), 16);
	mk(&m, mk_str(&m, "clock"), 2, 12 * 8);
	b = mk_parse(&m);
	if (!b)
		return;
	/* The BTF reader sums in 64 bits. */
	CHECK_EQ_INT(kt_btf_member(b, 3, "clock", &off, &type, NULL, 0), 0);
	CHECK_EQ_INT(off, 0x1fffffffcll);
	memset(&l, 0, sizeof(l));
	kt_layout_resolve(&l, b, sym);
	/* Whatever the layout accepts lies inside struct rq and inside the
	 * span the monitor reads per CPU (64-bit sums: no wrap hides it). */
	for (int f = 0; f < KT_RQ__COUNT; f++)
		if (l.rq[f].ok)
			CHECK((uint64_t)l.rq[f].off >= l.rq_lo && (uint64_t)l.rq[f].off + l.rq[f].size <= l.rq_hi &&
			      l.rq_hi <= 4096);
	CHECK(!l.rq[KT_RQ_CLOCK].ok);
	CHECK(!l.group[KT_G_CORE]);
	CHECK(l.degraded.n && strstr(l.degraded.v[0], "clock") != NULL);
	kt_layout_free(&l);
	kt_btf_free(b);
}
