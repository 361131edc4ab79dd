/* Unit tests: the monitor's page-table walk (src/monitor/xlate.c) over
 * real guest page tables.
 *
 * Fixture: unit/fixtures/pgtable-6.12.117.bin, the 15 page-table pages
 * (4 KiB each) the monitor's walks touched in one real run of
 * `KTSTR_MON_CAPTURE=DIR build/ktstr-tests monitor_kaslr_on` (kernel
 * 6.12.117-74daf981d1bf, QEMU TCG -cpu max, 2 GiB, KASLR on: 5-level
 * paging); pgtable-6.12.117.txt is the capture's manifest
 * (unit/fixtures/README.md).
 *
 * The translation state below is what kt_xlate_locate() found in that
 * guest, confirmed by the guest itself in the same run (the sidecar's
 * crosscheck: 8 of 8 kernel readings agreed): runtime _text
 * 0xffffffff8ea00000 = its /proc/kallsyms, physical 0x32800000 = its
 * /proc/iomem "Kernel code".  Expected results, per address, say where
 * they come from: the guest's own files in that run, or the direct map's
 * definition (pa = va - page_offset_base, the guest's variable), or the
 * raw entry in the fixture with its present bit clear. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "monitor/xlate.h"
#include "util/util.h"
#include "unit.h"

#define PT_FIXTURE "pgtable-6.12.117.bin"
#define REC (8 + 4096)

#define MEM_TOP 0x80000000ull     /* 2 GiB guest */
#define PGD 0x3383e000ull         /* init_top_pgt: phys_load + (init_top_pgt - _text) */
#define PAGE_OFFSET 0xff131a99c0000000ull
#define PHYS_LOAD 0x32800000ull
#define VOFF 0xda00000ull
#define RT_TEXT 0xffffffff8ea00000ull
#define VMAP 0xff6052e880000000ull /* the ioremap areas below: VMAP + 0x5000 ... */

/* nm vmlinux */
static const struct kt_kernel_syms syms = {
	.text = 0xffffffff81000000ull,
	.end = 0xffffffff82430000ull,
	.banner = 0xffffffff81aa3800ull,
	.phys_base = 0xffffffff82045010ull,
	.page_offset_base = 0xffffffff81c1d3d0ull,
	.pgtable_l5 = 0xffffffff81c1d3e0ull,
	.init_top_pgt = 0xffffffff8203e000ull,
};

struct fx {
	unsigned char *data; /* {le64 pa, 4096 bytes} records */
	size_t n;
	unsigned reads, misses, beyond;
	uint64_t last_pa;
};

static unsigned char *fx_page(struct fx *f, uint64_t pa)
{
	for (size_t i = 0; i < f->n; i++) {
		uint64_t p = 0;

		for (int b = 0; b < 8; b++)
			p |= (uint64_t)f->data[i * REC + b] << (8 * b);
		if (p == pa)
			return f->data + i * REC + 8;
	}
	return NULL;
}

/* The guest's RAM, as far as the fixture holds it. */
static int fx_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct fx *f = ctx;
	unsigned char *p = fx_page(f, pa & ~4095ull);

	f->reads++;
	f->last_pa = pa;
	if (pa >= MEM_TOP || len > MEM_TOP - pa)
		f->beyond++; /* the walker must never ask */
	if (!p || (pa & 4095) + len > 4096) {
		f->misses++;
		return -1;
	}
	memcpy(buf, p + (pa & 4095), len);
	return 0;
}

static bool fx_load(struct fx *f, struct kt_xlate *x)
{
	size_t len;

	memset(f, 0, sizeof(*f));
	f->data = unit_fixture(PT_FIXTURE, &len);
	if (!f->data)
		return false;
	CHECK_EQ_INT(len % REC, 0);
	f->n = len / REC;
	*x = (struct kt_xlate){
		.read = fx_read, .ctx = f, .mem_top = MEM_TOP, .syms = &syms, .phys_load = PHYS_LOAD,
		.voff = VOFF, .page_offset = PAGE_OFFSET, .pgd = PGD, .levels = 5, .located = true,
	};
	return true;
}

static uint64_t entry(struct fx *f, uint64_t table, unsigned idx)
{
	unsigned char *p = fx_page(f, table);
	uint64_t e = 0;

	if (!p) {
		unit_fail(__FILE__, __LINE__, "table 0x%llx not in the fixture", (unsigned long long)table);
		return 0;
	}
	memcpy(&e, p + idx * 8, 8);
	return e;
}

static void set_entry(struct fx *f, uint64_t table, unsigned idx, uint64_t e)
{
	unsigned char *p = fx_page(f, table);

	if (p)
		memcpy(p + idx * 8, &e, 8);
}

#define NP 1 /* expected: not mapped */
static const struct {
	uint64_t va, pa;
	unsigned page_kb; /* leaf size, from the fixture's entries; 0: not mapped */
	const char *source;
} walks[] = {
	/* Guest /proc/kallsyms _text -> guest /proc/iomem "Kernel code". */
	{ RT_TEXT, PHYS_LOAD, 2048, "guest kallsyms/iomem" },
	/* Guest _text + (nm offsets): linux_banner, init_top_pgt, the page before _end. */
	{ RT_TEXT + 0xaa3800, PHYS_LOAD + 0xaa3800, 2048, "guest _text + nm" },
	{ RT_TEXT + 0x103e000, PHYS_LOAD + 0x103e000, 4, "guest _text + nm" },
	{ RT_TEXT + 0x142f000, PHYS_LOAD + 0x142f000, 2048, "guest _text + nm" },
	/* Guest /proc/vmallocinfo ioremap areas (start, phys=). */
	{ VMAP + 0x5000, 0x7ffe2000, 4, "guest vmallocinfo (ACPI)" },
	{ VMAP + 0x8000, 0x7ffe0000, 4, "guest vmallocinfo (ACPI)" },
	{ VMAP + 0xc000, 0xfed00000, 4, "guest vmallocinfo (HPET, beyond RAM)" },
	{ VMAP + 0xe000, 0xfed00000, 4, "guest vmallocinfo (HPET, beyond RAM)" },
	{ VMAP + 0x15000, 0xf5000, 4, "guest vmallocinfo (memremap)" },
	{ VMAP + 0x10000000, 0xb0000000, 2048, "guest vmallocinfo (PCI MMCONFIG, 256 MiB)" },
	{ VMAP + 0x10000000 + 0xfffffff, 0xbfffffff, 2048, "last byte of MMCONFIG" },
	/* The direct map: pa = va - page_offset_base. */
	{ PAGE_OFFSET + 0x1000, 0x1000, 4, "direct map" },
	{ PAGE_OFFSET + 0x9f000, 0x9f000, 4, "direct map" },
	{ PAGE_OFFSET + 0x100000, 0x100000, 4, "direct map" },
	{ PAGE_OFFSET + 0x200000, 0x200000, 2048, "direct map" },
	{ PAGE_OFFSET + 0x2abcde, 0x2abcde, 2048, "direct map" },
	{ PAGE_OFFSET + PHYS_LOAD, PHYS_LOAD, 2048, "direct map of the kernel image" },
	{ PAGE_OFFSET + PGD, PGD, 2048, "direct map of init_top_pgt" },
	{ PAGE_OFFSET + 0x40000000, 0x40000000, 2048, "direct map" },
	{ PAGE_OFFSET + 0x40005000, 0x40005000, 2048, "direct map" },
	/* Not mapped: the user half (init_top_pgt's lower half is cleared at
	 * boot); the guard page after an ioremap area (the guest's
	 * vmallocinfo sizes include it: 8192 = one page + guard; 16384 =
	 * three + guard; 268439552 = 256 MiB + guard, at the PD level);
	 * the top of RAM QEMU's firmware reserves (guest iomem:
	 * 7ffe0000-7fffffff Reserved), absent from the direct map. */
	{ 0x1000, NP, 0, "user half" },
	{ 0x00007ffffffff000ull, NP, 0, "user half" },
	{ VMAP + 0x6000, NP, 0, "guard page" },
	{ VMAP + 0xb000, NP, 0, "guard page" },
	{ VMAP + 0xd000, NP, 0, "guard page" },
	{ VMAP + 0xf000, NP, 0, "guard page" },
	{ VMAP + 0x16000, NP, 0, "guard page" },
	{ VMAP + 0x20000000, NP, 0, "guard page of MMCONFIG" },
	{ PAGE_OFFSET + 0x7ffff000, NP, 0, "reserved top of RAM" },
};

UNIT_TEST(monitor_xlate_fixture_walks)
{
	struct kt_xlate x;
	struct fx f;

	if (!fx_load(&f, &x))
		return;
	CHECK_EQ_INT(f.n, 15);
	for (size_t i = 0; i < ARRAY_SIZE(walks); i++) {
		uint64_t pa = 0;
		int ret;

		f.misses = f.beyond = 0;
		ret = kt_xlate_walk(&x, walks[i].va, &pa);
		if (walks[i].pa == NP ? ret != -ENOENT : ret || pa != walks[i].pa)
			unit_fail(__FILE__, __LINE__, "walk 0x%llx (%s): ret %d pa 0x%llx, expected 0x%llx",
				  (unsigned long long)walks[i].va, walks[i].source, ret, (unsigned long long)pa,
				  (unsigned long long)walks[i].pa);
		CHECK_EQ_INT(f.misses, 0); /* every table it needs is in the fixture */
		CHECK_EQ_INT(f.beyond, 0);
		if (walks[i].page_kb) { /* the whole leaf maps linearly */
			uint64_t last = walks[i].va | ((uint64_t)walks[i].page_kb * 1024 - 1), lpa = 0;

			CHECK_EQ_INT(kt_xlate_walk(&x, last, &lpa), 0);
			CHECK_EQ_INT(lpa, walks[i].pa + (last - walks[i].va));
		}
	}
	free(f.data);
}

/* The fixture's entries themselves (read here, not by the walker): the
 * page sizes and the not-present entries the table above relies on. */
UNIT_TEST(monitor_xlate_fixture_entries)
{
	struct kt_xlate x;
	struct fx f;

	if (!fx_load(&f, &x))
		return;
	CHECK_EQ_INT(entry(&f, PGD, 0), 0);                                /* user half */
	CHECK_EQ_INT(entry(&f, PGD, 511), 0x3383f067);                     /* kernel image */
	CHECK_EQ_INT(entry(&f, 0x33841000, 117), 0x328001a1);              /* _text: 2 MiB, PS, read-only */
	CHECK_EQ_INT(entry(&f, 0x33841000, 125), 0x1bea063);               /* init_top_pgt: 4 KiB (split) */
	CHECK_EQ_INT(entry(&f, 0x1143000, 12), 0x80000000fed00173ull);     /* HPET: PCD, NX */
	CHECK_EQ_INT(entry(&f, 0x1143000, 13), 0);                         /* its guard */
	CHECK_EQ_INT(entry(&f, 0x1142000, 128), 0x80000000b00001f3ull);    /* MMCONFIG: 2 MiB */
	CHECK_EQ_INT(entry(&f, 0x1142000, 256), 0);                        /* its guard */
	CHECK_EQ_INT(entry(&f, 0x33c08000, 511), 0);                       /* reserved 0x7ffff000 */
	free(f.data);
}

UNIT_TEST(monitor_xlate_not_walked)
{
	struct kt_xlate x;
	struct fx f;
	uint64_t pa = 0;

	if (!fx_load(&f, &x))
		return;
	/* Not canonical: refused without reading guest memory. */
	CHECK_EQ_INT(kt_xlate_walk(&x, 0x0100000000000000ull, &pa), -ENOENT);
	CHECK_EQ_INT(kt_xlate_walk(&x, 0xfe00000000000000ull, &pa), -ENOENT);
	CHECK_EQ_INT(f.reads, 0);
	/* 4-level paging over the same kernel-image tables (init_top_pgt's
	 * last entry points at the 4-level root of the top 512 GiB): the
	 * 5-level direct-map address is not canonical in 48 bits. */
	x.levels = 4;
	x.pgd = 0x3383f000;
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), 0);
	CHECK_EQ_INT(pa, PHYS_LOAD);
	f.reads = 0;
	CHECK_EQ_INT(kt_xlate_walk(&x, PAGE_OFFSET + 0x1000, &pa), -ENOENT);
	CHECK_EQ_INT(f.reads, 0);
	/* Not located yet. */
	x.located = false;
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), -EAGAIN);
	CHECK_EQ_INT(kt_xlate_va(&x, RT_TEXT, &pa), -EAGAIN);
	free(f.data);
}

/* Entries are guest data: a table address beyond RAM is refused before
 * it is read, one inside RAM but not in the fixture fails the read, and
 * a self-referencing table ends after five levels. */
UNIT_TEST(monitor_xlate_untrusted_entries)
{
	struct kt_xlate x;
	struct fx f;
	uint64_t pa = 0;

	if (!fx_load(&f, &x))
		return;
	set_entry(&f, PGD, 511, KT_PTE_ADDR | 0x67);                /* top of the 52-bit space */
	f.reads = f.beyond = 0;
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), -EFAULT);
	CHECK_EQ_INT(f.reads, 1);                                    /* the PGD entry only */
	CHECK_EQ_INT(f.beyond, 0);
	set_entry(&f, PGD, 511, MEM_TOP | 0x67);                     /* just past RAM */
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), -EFAULT);
	CHECK_EQ_INT(f.beyond, 0);
	set_entry(&f, PGD, 511, (MEM_TOP - 4096) | 0x67);            /* last page: in RAM, not captured */
	f.reads = f.misses = 0;
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), -EFAULT);
	CHECK_EQ_INT(f.misses, 1);
	CHECK_EQ_INT(f.last_pa, MEM_TOP - 4096 + 511 * 8);
	set_entry(&f, PGD, 511, 0x3383f067);                         /* restored */
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT, &pa), 0);
	CHECK_EQ_INT(pa, PHYS_LOAD);

	set_entry(&f, PGD, 0, PGD | 0x67);                           /* PGD[0] -> itself */
	f.reads = 0;
	CHECK_EQ_INT(kt_xlate_walk(&x, 0, &pa), 0);                  /* five levels, then a "page" */
	CHECK_EQ_INT(pa, PGD);
	CHECK_EQ_INT(f.reads, 5);
	CHECK_EQ_INT(kt_xlate_walk(&x, 0x1000, &pa), -ENOENT);       /* PGD[1] is clear */
	CHECK_EQ_INT(f.beyond, 0);

	/* A leaf beyond RAM is an answer (MMIO: HPET at 0xfed00000), but
	 * reading through it is refused without asking for those bytes. */
	f.reads = f.beyond = 0;
	{
		uint32_t v;

		CHECK_EQ_INT(kt_xlate_read(&x, VMAP + 0xc000, &v, sizeof(v)), -EFAULT);
		CHECK_EQ_INT(f.beyond, 0);
		CHECK_EQ_INT(f.last_pa == 0xfed00000, 0);
	}
	free(f.data);
}

UNIT_TEST(monitor_xlate_large_pages)
{
	struct kt_xlate x;
	struct fx f;
	uint64_t pa = 0, e;

	if (!fx_load(&f, &x))
		return;
	/* 2 MiB: the address bits below 21 come from the VA, not the entry
	 * (bit 12 of a large-page entry is PAT). */
	e = entry(&f, 0x33841000, 117);
	set_entry(&f, 0x33841000, 117, e | 0x1000);
	CHECK_EQ_INT(kt_xlate_walk(&x, RT_TEXT + 0x12345, &pa), 0);
	CHECK_EQ_INT(pa, PHYS_LOAD + 0x12345);
	set_entry(&f, 0x33841000, 117, e);
	/* No 1 GiB page in this capture (its direct map uses 2 MiB pages),
	 * so make one out of the real PUD entry for 1-2 GiB: PS and a
	 * 1 GiB-aligned frame; bits 29..12 of the entry are ignored. */
	CHECK_EQ_INT(entry(&f, 0x33c02000, 104), 0x33c07067);
	set_entry(&f, 0x33c02000, 104, 0x8000000040000000ull | 0x1e3 | 0x1000);
	f.reads = 0;
	CHECK_EQ_INT(kt_xlate_walk(&x, PAGE_OFFSET + 0x7ffff000, &pa), 0);
	CHECK_EQ_INT(pa, 0x7ffff000);
	CHECK_EQ_INT(f.reads, 3); /* PML5, PML4, PUD */
	CHECK_EQ_INT(kt_xlate_walk(&x, PAGE_OFFSET + 0x40000000, &pa), 0);
	CHECK_EQ_INT(pa, 0x40000000);
	free(f.data);
}

UNIT_TEST(monitor_xlate_read_and_selfcheck)
{
	struct kt_xlate x;
	struct fx f;
	uint64_t pa = 0, e = 0;
	char why[256] = "";

	if (!fx_load(&f, &x))
		return;
	/* The monitor's own check of the arithmetic against the page
	 * tables, over the fixture: it passed in the live run too. */
	CHECK_EQ_INT(kt_xlate_selfcheck(&x, why, sizeof(why)), 0);
	/* Direct ranges need no walk; others walk once, then hit the cache. */
	f.reads = 0;
	CHECK_EQ_INT(kt_xlate_va(&x, PAGE_OFFSET + 0x1234, &pa), 0);
	CHECK_EQ_INT(pa, 0x1234);
	CHECK_EQ_INT(kt_xlate_va(&x, RT_TEXT + 0x103e008, &pa), 0);
	CHECK_EQ_INT(pa, PGD + 8);
	CHECK_EQ_INT(f.reads, 0);
	CHECK_EQ_INT(kt_xlate_va(&x, VMAP + 0x15010, &pa), 0);
	CHECK_EQ_INT(pa, 0xf5010);
	CHECK_EQ_INT(f.reads, 5);
	CHECK_EQ_INT(kt_xlate_va(&x, VMAP + 0x15ff8, &pa), 0);
	CHECK_EQ_INT(pa, 0xf5ff8);
	CHECK_EQ_INT(f.reads, 5);
	/* Read init_top_pgt[511] through the image mapping. */
	CHECK_EQ_INT(kt_xlate_read(&x, RT_TEXT + 0x103e000 + 511 * 8, &e, sizeof(e)), 0);
	CHECK_EQ_INT(e, 0x3383f067);
	CHECK_EQ_INT(kt_xlate_read(&x, VMAP + 0x6000, &e, sizeof(e)), -ENOENT); /* guard page */
	/* A page table that disagrees with the arithmetic is caught. */
	set_entry(&f, 0x33841000, 117, 0x30000000 | 0x1a1);
	x.cache_ok = false;
	CHECK_EQ_INT(kt_xlate_selfcheck(&x, why, sizeof(why)), -EPROTO);
	CHECK(strstr(why, "page tables disagree for _text") != NULL);
	CHECK(strstr(why, "walk gave 0x30000000, expected 0x32800000") != NULL);
	free(f.data);
}
