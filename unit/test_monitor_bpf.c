/* Unit tests: the monitor's BPF walk (src/monitor/bpf_walk.c,
 * bpf_layout.c) replayed over guest memory captured from a real guest.
 *
 * Fixtures (unit/fixtures/README.md), one run of the cached kernel
 * 6.12.118 (QEMU TCG, 2 vCPUs, 5-level paging, nokaslr) with scx_ktstr
 * attached, captured with KTSTR_MON_CAPTURE by `ktstr shell`:
 *   bpf-6.12.118.bin        the 33 guest-physical pages the walk read;
 *   bpf-6.12.118.txt        the translation state and per-CPU offsets
 *                           (inputs), and what the live walk found;
 *   btf-bpf-6.12.118.btf    the kernel's BTF cut to the walk's types;
 *   bpf-guest-6.12.118.txt  the guest's own view in the same boot:
 *                           `bpftool prog show`, `bpftool map show`
 *                           and the fdinfo files of scx_ktstr's descriptors.
 * Expected values come from the guest's own view, not from our walk:
 * ids, names, types, key/value sizes from bpftool, verified_insns and
 * run counts from fdinfo (the walk ran later, so its counts are at least
 * those); symbol addresses from `nm vmlinux`; the .bss layout from
 * scx_ktstr.c's _Static_asserts (stall 0, crash 4, degrade_rt 8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "monitor/bpf.h"
#include "unit.h"

#define PG 4096u

struct mem {
	unsigned char *bin;
	size_t len, n;
};

static int mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct mem *m = ctx;

	while (len) {
		size_t in = (size_t)(pa & (PG - 1)), chunk = PG - in < len ? PG - in : len;
		bool found = false;

		for (size_t i = 0; i < m->n && !found; i++) {
			uint64_t base = 0;

			for (int b = 0; b < 8; b++)
				base |= (uint64_t)m->bin[i * (8 + PG) + b] << (8 * b);
			if (base == (pa & ~(uint64_t)(PG - 1))) {
				memcpy(buf, m->bin + i * (8 + PG) + 8 + in, chunk);
				found = true;
			}
		}
		if (!found)
			return -EFAULT;
		pa += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

/* A page's bytes in the fixture, for corrupting. */
static unsigned char *mem_page(struct mem *m, uint64_t pa)
{
	for (size_t i = 0; i < m->n; i++) {
		uint64_t base = 0;

		for (int b = 0; b < 8; b++)
			base |= (uint64_t)m->bin[i * (8 + PG) + b] << (8 * b);
		if (base == (pa & ~(uint64_t)(PG - 1)))
			return m->bin + i * (8 + PG) + 8 + (pa & (PG - 1));
	}
	return NULL;
}

struct fx {
	struct mem mem;
	struct kt_kernel_syms syms;
	struct kt_xlate x;
	struct kt_btf *btf;
	struct kt_bpf_layout l;
	uint64_t pcpu[8];
	unsigned ncpu;
};

static uint64_t field(const char *txt, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", key);
	p = strstr(txt, pat);
	return p ? strtoull(p + strlen(pat), NULL, 0) : 0;
}

static bool fx_load(struct fx *f)
{
	static const uint64_t nm[] = { 0xffffffff820f69a0ull /* prog_idr */, 0xffffffff820f6980ull /* map_idr */ };
	size_t tl, bl;
	char *txt = (char *)unit_fixture("bpf-6.12.118.txt", &tl), *t0;
	unsigned char *btf = unit_fixture("btf-bpf-6.12.118.btf", &bl);
	char err[160];

	memset(f, 0, sizeof(*f));
	f->mem.bin = unit_fixture("bpf-6.12.118.bin", &f->mem.len);
	if (!txt || !btf || !f->mem.bin || kt_btf_parse(btf, bl, &f->btf, err, sizeof(err))) {
		unit_fail(__FILE__, __LINE__, "fixtures unusable");
		free(txt);
		free(btf);
		return false;
	}
	t0 = calloc(1, tl + 2); /* "\n" + text + NUL: keys at line starts */
	t0[0] = '\n';
	memcpy(t0 + 1, txt, tl);
	f->mem.n = f->mem.len / (8 + PG);
	f->syms.text = field(t0, "text");
	f->syms.end = field(t0, "end");
	f->x.read = mem_read;
	f->x.ctx = &f->mem;
	f->x.syms = &f->syms;
	f->x.mem_top = field(t0, "mem_top");
	f->x.pgd = field(t0, "pgd");
	f->x.levels = (unsigned)field(t0, "levels");
	f->x.page_offset = field(t0, "page_offset");
	f->x.phys_load = field(t0, "phys_load");
	f->x.voff = field(t0, "voff");
	f->x.located = true;
	f->ncpu = (unsigned)field(t0, "ncpu");
	for (unsigned c = 0; c < f->ncpu && c < 8; c++) {
		char k[16];

		snprintf(k, sizeof(k), "pcpu %u", c);
		f->pcpu[c] = field(t0, k);
	}
	kt_bpf_layout_resolve(&f->l, f->btf, nm);
	free(txt);
	free(t0);
	free(btf);
	return true;
}

static void fx_free(struct fx *f)
{
	kt_btf_free(f->btf);
	free(f->mem.bin);
}

UNIT_TEST(monitor_bpf_layout_from_btf)
{
	struct fx f;

	if (!fx_load(&f))
		return;
	CHECK(f.l.progs_ok && f.l.maps_ok && f.l.stats_ok && f.l.map_btf_ok);
	CHECK_EQ_STR(f.l.why, "");
	/* pahole -F dwarf -C xa_node / bpf_prog_aux vmlinux */
	CHECK_EQ_INT(f.l.xa_shift, 0);
	CHECK_EQ_INT(f.l.xa_array, 16);
	CHECK_EQ_INT(f.l.xa_slots, 40);
	CHECK_EQ_INT(f.l.xa_nslots, 64);
	CHECK_EQ_INT(f.l.aux_id, 32);
	CHECK_EQ_INT(f.l.aux_verified, 944);
	CHECK_EQ_INT(f.l.aux_name, 968);
	CHECK_EQ_INT(f.l.t_struct_ops, 27);
	CHECK_EQ_STR(kt_bpf_prog_type_name(&f.l, 27), "struct_ops");
	CHECK_EQ_STR(kt_bpf_map_type_name(&f.l, 6), "percpu_array");
	CHECK_EQ_STR(kt_bpf_map_type_name(&f.l, 999), "?");
	fx_free(&f);
}

UNIT_TEST(monitor_bpf_progs_match_the_guest)
{
	/* bpftool prog show + fdinfo in the same guest */
	static const struct {
		uint32_t id, verified;
		const char *name;
		uint64_t min_cnt;
	} want[] = {
		{ 7, 92, "ktstr_enqueue", 78 },
		{ 9, 48, "ktstr_dispatch", 285 },
		{ 10, 4, "ktstr_init", 1 },
		{ 11, 25, "ktstr_exit", 0 },
	};
	struct kt_bpf_prog p[16];
	struct kt_bpf_walk_stats ws;
	size_t n = 0;
	struct fx f;

	if (!fx_load(&f))
		return;
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0);
	CHECK_EQ_INT(n, 4);
	CHECK(ws.bad == 0 && !ws.truncated && ws.nodes >= 1);
	for (size_t i = 0; i < n && i < 4; i++) {
		CHECK_EQ_INT(p[i].id, want[i].id);
		CHECK_EQ_STR(p[i].name, want[i].name);
		CHECK_EQ_INT(p[i].type, 27);
		CHECK_EQ_INT(p[i].verified_insns, want[i].verified);
		CHECK(p[i].stats_ok && p[i].run_cnt >= want[i].min_cnt);
	}
	/* ops.init runs once: its figures cannot have moved since fdinfo */
	CHECK(n >= 3 && p[2].run_cnt == 1 && p[2].run_ns == 209905);
	CHECK(n >= 4 && p[3].run_cnt == 0 && p[3].run_ns == 0);
	/* without per-CPU offsets: no run statistics, the rest the same */
	CHECK(kt_bpf_progs(&f.x, &f.l, NULL, 0, p, 16, &n, &ws) == 0);
	CHECK(n == 4 && !p[0].stats_ok && p[0].verified_insns == 92);
	/* bounded output */
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 2, &n, &ws) == 0);
	CHECK(n == 2 && ws.truncated);
	fx_free(&f);
}

UNIT_TEST(monitor_bpf_maps_and_typed_access)
{
	/* bpftool map show in the same guest */
	static const struct {
		uint32_t id, type, value_size;
		const char *name;
	} want[] = {
		{ 3, 2, 24, "scx_ktst.rodata" }, { 4, 2, 20, "scx_ktst.bss" },	 { 5, 2, 1204, "scx_ktst.data" },
		{ 6, 2, 32768, ".data.uei_dump" }, { 7, 26, 512, "ktstr_ops" },
	};
	struct kt_bpf_map m[16];
	struct kt_bpf_walk_stats ws;
	struct kt_btf *b = NULL;
	uint32_t off, size;
	uint64_t va;
	size_t n = 0;
	struct fx f;

	if (!fx_load(&f))
		return;
	CHECK(kt_bpf_maps(&f.x, &f.l, m, 16, &n, &ws) == 0);
	CHECK_EQ_INT(n, 5);
	for (size_t i = 0; i < n && i < 5; i++) {
		CHECK_EQ_INT(m[i].id, want[i].id);
		CHECK_EQ_STR(m[i].name, want[i].name);
		CHECK_EQ_INT(m[i].type, want[i].type);
		CHECK(m[i].key_size == 4 && m[i].max_entries == 1);
		CHECK_EQ_INT(m[i].value_size, want[i].value_size);
	}
	CHECK_EQ_STR(kt_bpf_map_type_name(&f.l, m[4].type), "struct_ops");
	/* ARRAY elements: value_size rounded up to 8 */
	CHECK(m[1].elem_size == 24 && m[4].elem_size == 0);
	CHECK(kt_bpf_map_value_va(&f.x, &f.l, &m[1], 0, NULL, 0, 0, &va) == 0 && va == m[1].va + f.l.array_value);
	CHECK(kt_bpf_map_value_va(&f.x, &f.l, &m[1], 1, NULL, 0, 0, &va) == -EINVAL); /* key beyond max_entries */
	CHECK(kt_bpf_map_value_va(&f.x, &f.l, &m[4], 0, NULL, 0, 0, &va) == -EINVAL); /* not an array */
	/* the .bss through its own BTF */
	CHECK(kt_bpf_map_btf(&f.x, &f.l, &m[1], &b) == 0);
	CHECK(b && !kt_bpf_value_field(b, m[1].btf_value_type_id, "stall", &off, &size) && off == 0 && size == 4);
	CHECK(b && !kt_bpf_value_field(b, m[1].btf_value_type_id, "crash", &off, &size) && off == 4 && size == 4);
	CHECK(b && !kt_bpf_value_field(b, m[1].btf_value_type_id, "degrade_rt", &off, &size) && off == 8 && size == 4);
	CHECK(b && kt_bpf_value_field(b, m[1].btf_value_type_id, "nope", &off, &size) == -ENOENT);
	CHECK(b && kt_bpf_value_field(b, m[1].btf_value_type_id, "", &off, &size) == -EINVAL);
	kt_btf_free(b);
	fx_free(&f);
}

/* The guest is hostile: a node that does not point back at its array,
 * a slot pointing at its own node (a cycle), an object filed under
 * another id. */
UNIT_TEST(monitor_bpf_hostile_memory)
{
	struct kt_bpf_prog p[16];
	struct kt_bpf_walk_stats ws;
	uint64_t head = 0, node_pa, prog_pa, slot;
	unsigned char *np;
	size_t n = 0;
	struct fx f;

	if (!fx_load(&f))
		return;
	CHECK(kt_xlate_read(&f.x, f.l.prog_idr + f.l.idr_head, &head, 8) == 0);
	CHECK((head & 3) == 2);
	CHECK(kt_xlate_va(&f.x, head - 2, &node_pa) == 0);
	np = mem_page(&f.mem, node_pa);
	CHECK(np != NULL);
	if (!np)
		return;
	/* slot 7 holds prog 7; point it at the node itself */
	memcpy(&slot, np + f.l.xa_slots + 7 * 8, 8);
	CHECK(kt_xlate_va(&f.x, slot, &prog_pa) == 0);
	memcpy(np + f.l.xa_slots + 7 * 8, &head, 8);
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0);
	CHECK(n == 3 && ws.bad >= 1); /* a node below the last level is refused */
	memcpy(np + f.l.xa_slots + 7 * 8, &slot, 8);
	/* the node names another array */
	np[f.l.xa_array] ^= 0x40;
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0);
	CHECK(n == 0 && ws.bad == 1 && strstr(ws.first_bad, "array"));
	np[f.l.xa_array] ^= 0x40;
	/* a shift that is not a multiple of 6, then one too high */
	np[f.l.xa_shift] = 3;
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0 && n == 0 && ws.bad == 1);
	np[f.l.xa_shift] = 36;
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0 && n == 0 && ws.bad == 1);
	np[f.l.xa_shift] = 0;
	/* an internal (retry) entry and a value entry are not objects */
	{
		uint64_t retry = (256ull << 2) | 2, value = 0x1235;

		memcpy(np + f.l.xa_slots + 9 * 8, &retry, 8);
		memcpy(np + f.l.xa_slots + 10 * 8, &value, 8);
		CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0 && n == 2 && ws.bad == 0);
	}
	/* prog 7 filed under id 8 */
	memcpy(np + f.l.xa_slots + 8 * 8, &slot, 8);
	CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0);
	CHECK(ws.bad == 1 && strstr(ws.first_bad, "says id 7"));
	/* an object outside guest RAM */
	{
		uint64_t far = f.x.page_offset + f.x.mem_top + 0x1000; /* a leaf beyond RAM */

		memcpy(np + f.l.xa_slots + 12 * 8, &far, 8);
		CHECK(kt_bpf_progs(&f.x, &f.l, f.pcpu, f.ncpu, p, 16, &n, &ws) == 0);
		CHECK(ws.bad == 2);
	}
	fx_free(&f);
}
