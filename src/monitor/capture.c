/* KTSTR_MON_CAPTURE=DIR: a debugging aid that records the guest
 * page-table pages the monitor's page walks touch, for the unit-test
 * fixture unit/fixtures/pgtable-* (see unit/fixtures/README.md).
 *
 * Once the kernel is located and the self-check passed, and for every
 * kernel reading the guest sends (its kallsyms _text, iomem "Kernel
 * code", vmallocinfo ioremap areas), the address is walked once more
 * through a reader that snapshots each 4 KiB page the walk reads.  When
 * the monitor stops, DIR/pgtable.bin gets the pages ({le64 pa, 4096
 * bytes} records) and DIR/pgtable.txt the translation state and, per
 * walk, the live result, the result over the snapshot alone and what the
 * guest (or the direct-map arithmetic) says.  Off unless the variable is
 * set; run one VM at a time (the files are overwritten). */
#include "monitor/mon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_PAGE 4096ull
#define CAP_MAX_PAGES 64
#define CAP_MAX_WALKS 48

struct cap_walk {
	uint64_t va, pa, want;
	int ret;
	bool has_want;
	char what[64];
};

struct kt_mon_cap {
	char dir[512];
	const struct kt_xlate *live; /* while a walk runs */
	unsigned npages, nwalks;
	bool overflow, text_done;
	uint64_t text_va, text_pa;  /* guest kallsyms _text, iomem "Kernel code" */
	uint64_t pa[CAP_MAX_PAGES];
	struct cap_walk walk[CAP_MAX_WALKS];
	unsigned char page[CAP_MAX_PAGES][CAP_PAGE];
};

struct kt_mon_cap *kt_mon_cap_new(const char *dir)
{
	struct kt_mon_cap *c;

	if (!dir || !*dir || !(c = calloc(1, sizeof(*c))))
		return NULL;
	if (kt_fmt(c->dir, sizeof(c->dir), "%s", dir)) {
		kt_err(ENAMETOOLONG, "monitor: KTSTR_MON_CAPTURE=%.64s...: longer than %zu bytes", dir, sizeof(c->dir) - 1);
		free(c);
		return NULL;
	}
	return c;
}

static int find_page(const struct kt_mon_cap *c, uint64_t pa)
{
	for (unsigned i = 0; i < c->npages; i++)
		if (c->pa[i] == pa)
			return (int)i;
	return -1;
}

/* The live reader, snapshotting every page it is asked about. */
static int snap_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct kt_mon_cap *c = ctx;
	uint64_t base = pa & ~(CAP_PAGE - 1);
	int ret = c->live->read(c->live->ctx, pa, buf, len);

	if (ret || find_page(c, base) >= 0)
		return ret;
	if (c->npages == CAP_MAX_PAGES) {
		c->overflow = true;
		return ret;
	}
	if (!c->live->read(c->live->ctx, base, c->page[c->npages], CAP_PAGE))
		c->pa[c->npages++] = base;
	return ret;
}

/* Only the snapshot: what a unit test over the fixture will see. */
static int fixture_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct kt_mon_cap *c = ctx;
	int i = find_page(c, pa & ~(CAP_PAGE - 1));

	if (i < 0 || (pa & (CAP_PAGE - 1)) + len > CAP_PAGE)
		return -1;
	memcpy(buf, c->page[i] + (pa & (CAP_PAGE - 1)), len);
	return 0;
}

static void cap_walk(struct kt_mon_cap *c, const struct kt_xlate *x, uint64_t va, bool has_want, uint64_t want,
		     const char *what)
{
	struct kt_xlate y = *x;
	struct cap_walk *w;

	if (c->nwalks == CAP_MAX_WALKS) {
		c->overflow = true;
		return;
	}
	w = &c->walk[c->nwalks++];
	y.read = snap_read;
	y.ctx = c;
	c->live = x;
	w->va = va;
	w->ret = kt_xlate_walk(&y, va, &w->pa);
	w->has_want = has_want;
	w->want = want;
	snprintf(w->what, sizeof(w->what), "%s", what);
	c->live = NULL;
}

void kt_mon_cap_located(struct kt_mon_cap *c, const struct kt_xlate *x)
{
	static const uint64_t dm[] = { 0x1000, 0x9f000, 0x100000, 0x200000, 1ull << 30, (1ull << 30) + 0x5000 };

	if (!c)
		return;
	/* The direct map: pa = va - page_offset_base (the guest's own
	 * variable), low memory, the image's and init_top_pgt's pages, the
	 * top of RAM. */
	for (size_t i = 0; i < sizeof(dm) / sizeof(dm[0]); i++)
		if (dm[i] < x->mem_top)
			cap_walk(c, x, x->page_offset + dm[i], true, dm[i], "direct map (page_offset_base)");
	cap_walk(c, x, x->page_offset + x->phys_load, true, x->phys_load, "direct map of the kernel image");
	cap_walk(c, x, x->page_offset + x->pgd, true, x->pgd, "direct map of init_top_pgt");
	cap_walk(c, x, x->page_offset + x->mem_top - CAP_PAGE, true, x->mem_top - CAP_PAGE,
		 "direct map, last page below mem_top");
	/* The user half of init_top_pgt is empty (the kernel clears its
	 * early identity map). */
	cap_walk(c, x, 0x1000, false, 0, "user half (not mapped)");
	cap_walk(c, x, 0x00007ffffffff000ull, false, 0, "user half (not mapped)");
}

void kt_mon_cap_probe(struct kt_mon_cap *c, const struct kt_xlate *x, const struct kt_mon_probe *p)
{
	if (!c)
		return;
	if (p->kind == KT_PROBE_TEXT_VA)
		c->text_va = p->a;
	else if (p->kind == KT_PROBE_TEXT_PA)
		c->text_pa = p->a;
	else if (p->kind == KT_PROBE_VMAP)
		cap_walk(c, x, p->a, true, p->b, "ioremap (guest /proc/vmallocinfo)");
	if (c->text_va && c->text_pa && !c->text_done) {
		const struct kt_kernel_syms *s = x->syms;

		c->text_done = true;
		cap_walk(c, x, c->text_va, true, c->text_pa, "_text (guest kallsyms -> iomem Kernel code)");
		cap_walk(c, x, c->text_va + (s->banner - s->text), true, c->text_pa + (s->banner - s->text),
			 "linux_banner (guest _text + vmlinux offset)");
		cap_walk(c, x, c->text_va + (s->init_top_pgt - s->text), true,
			 c->text_pa + (s->init_top_pgt - s->text), "init_top_pgt (guest _text + vmlinux offset)");
		cap_walk(c, x, c->text_va + (s->end - s->text) - CAP_PAGE, true,
			 c->text_pa + (s->end - s->text) - CAP_PAGE, "last page before _end (guest _text + vmlinux offset)");
	}
}

static int write_files(const struct kt_mon_cap *c, const struct kt_xlate *x)
{
	char path[600];
	FILE *f;

	if (kt_fmt(path, sizeof(path), "%s/pgtable.bin", c->dir))
		return -ENAMETOOLONG;
	if (!(f = fopen(path, "wb")))
		return -errno;
	for (unsigned i = 0; i < c->npages; i++) {
		unsigned char le[8];

		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(c->pa[i] >> (8 * b));
		fwrite(le, 1, 8, f);
		fwrite(c->page[i], 1, CAP_PAGE, f);
	}
	if (fclose(f))
		return -errno;
	if (kt_fmt(path, sizeof(path), "%s/pgtable.txt", c->dir))
		return -ENAMETOOLONG;
	if (!(f = fopen(path, "w")))
		return -errno;
	fprintf(f, "# ktstr KTSTR_MON_CAPTURE: %u pages, %u walks%s\n", c->npages, c->nwalks,
		c->overflow ? " (some left out: tables full)" : "");
	fprintf(f, "mem_top 0x%llx\npgd 0x%llx\nlevels %u\npage_offset 0x%llx\nphys_load 0x%llx\nvoff 0x%llx\n",
		(unsigned long long)x->mem_top, (unsigned long long)x->pgd, x->levels,
		(unsigned long long)x->page_offset, (unsigned long long)x->phys_load, (unsigned long long)x->voff);
	fprintf(f, "# va  live-walk  snapshot-walk  expected  agree  what\n");
	for (unsigned i = 0; i < c->nwalks; i++) {
		const struct cap_walk *w = &c->walk[i];
		struct kt_xlate y = *x;
		uint64_t spa = 0;
		int sret;
		bool agree;

		y.read = fixture_read;
		y.ctx = (void *)c;
		sret = kt_xlate_walk(&y, w->va, &spa);
		agree = sret == w->ret && (w->ret || spa == w->pa) && (w->has_want ? !w->ret && w->pa == w->want : !!w->ret);
		fprintf(f, "0x%016llx  ", (unsigned long long)w->va);
		if (w->ret)
			fprintf(f, "err%d  ", w->ret);
		else
			fprintf(f, "0x%llx  ", (unsigned long long)w->pa);
		if (sret)
			fprintf(f, "err%d  ", sret);
		else
			fprintf(f, "0x%llx  ", (unsigned long long)spa);
		if (w->has_want)
			fprintf(f, "0x%llx  ", (unsigned long long)w->want);
		else
			fprintf(f, "unmapped  ");
		fprintf(f, "%s  %s\n", agree ? "yes" : "NO", w->what);
	}
	for (unsigned i = 0; i < c->npages; i++)
		fprintf(f, "page 0x%llx\n", (unsigned long long)c->pa[i]);
	return fclose(f) ? -errno : 0;
}

void kt_mon_cap_finish(struct kt_mon_cap *c, const struct kt_xlate *x)
{
	int ret;

	if (!c)
		return;
	if (!x->located)
		kt_err(0, "monitor: KTSTR_MON_CAPTURE: the kernel was never located; nothing captured");
	else if ((ret = write_files(c, x)))
		kt_err(-ret, "monitor: KTSTR_MON_CAPTURE: writing %s", c->dir);
	else
		kt_info("monitor: KTSTR_MON_CAPTURE: %u page-table pages, %u walks in %s", c->npages, c->nwalks, c->dir);
	free(c);
}
