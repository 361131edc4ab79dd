/* Fuzz target: finding the kernel in guest memory and walking its page
 * tables (src/monitor/xlate.c), over guest RAM the guest wrote.
 *
 * Input:
 *   struct hdr (below): translation state or the vmlinux symbols to
 *     locate the kernel with, and mem_top;
 *   nva x le64: kernel virtual addresses to translate and read;
 *   then pages of guest RAM as records {le64 physical address, 4096
 *     bytes} (unit/fixtures/pgtable-*.bin uses the same records); RAM
 *     not in a record reads as zeros, a partial last record is dropped.
 * With mode bit 0 clear the state is taken as located (the fixture's
 * case: page tables alone); set, kt_xlate_locate() must find the kernel
 * by the banner bytes first.
 * Oracles: the read callback asserts that every physical read lies below
 * mem_top (the walker's bound); a direct-map address translates by the
 * arithmetic; kt_xlate_read() of 64 bytes within one page returns what
 * guest RAM holds at the address kt_xlate_va() gives. */
#include "fuzz.h"
#include "monitor/xlate.h"

#include <errno.h>

#define PAGE 4096u
#define REC (8 + PAGE)
#define MAX_VA 16
#define MEM_TOP_MAX (64ull << 30) /* bounds kt_xlate_locate()'s 2 MiB scan */

struct hdr {
	uint8_t mode, levels, nva, banner_len;
	uint32_t pad;
	uint64_t mem_top, pgd, page_offset, phys_load, voff;
	uint64_t text, end, banner, phys_base, page_offset_base, pgtable_l5, init_top_pgt;
	char banner_bytes[32];
};

struct ram {
	const uint8_t *recs;
	size_t n;
	uint64_t mem_top;
	unsigned reads;
};

/* Is [va, va+len) inside the image / the direct map (as xlate.h defines them)? */
static bool in_image(const struct kt_xlate *x, uint64_t va, uint64_t len)
{
	uint64_t rt = x->syms->text + x->voff, size = x->syms->end - x->syms->text;

	return va >= rt && va - rt < size && len <= size - (va - rt);
}

static bool in_dmap(const struct kt_xlate *x, uint64_t va, uint64_t len)
{
	return va >= x->page_offset && va - x->page_offset < x->mem_top && len <= x->mem_top - (va - x->page_offset);
}

static const uint8_t *page_at(const struct ram *r, uint64_t pa)
{
	for (size_t i = 0; i < r->n; i++) {
		uint64_t p;

		memcpy(&p, r->recs + i * REC, 8);
		if (p == pa)
			return r->recs + i * REC + 8;
	}
	return NULL;
}

static int ram_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct ram *r = ctx;
	uint8_t *out = buf;

	FZ_CHECK(pa < r->mem_top && len <= r->mem_top - pa, "read of %zu bytes at 0x%llx beyond mem_top 0x%llx",
		 len, (unsigned long long)pa, (unsigned long long)r->mem_top);
	r->reads++;
	while (len) {
		size_t in = PAGE - (pa & (PAGE - 1)), k = in < len ? in : len;
		const uint8_t *p = page_at(r, pa & ~(uint64_t)(PAGE - 1));

		if (p)
			memcpy(out, p + (pa & (PAGE - 1)), k);
		else
			memset(out, 0, k);
		out += k;
		pa += k;
		len -= k;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct hdr h;
	struct kt_kernel_syms s = { 0 };
	struct kt_xlate x = { 0 };
	struct ram r = { 0 };
	uint64_t va[MAX_VA];
	unsigned nva;
	uint8_t *recs;
	char why[256];

	fz_take(&f, &h, sizeof(h));
	nva = h.nva % (MAX_VA + 1);
	for (unsigned i = 0; i < nva; i++)
		va[i] = fz_u64(&f);
	r.n = f.n / REC;
	recs = (uint8_t *)fz_dup(f.p, r.n * REC, false);
	r.recs = recs;
	r.mem_top = h.mem_top % MEM_TOP_MAX;
	x.read = ram_read;
	x.ctx = &r;
	x.mem_top = r.mem_top;
	s = (struct kt_kernel_syms){ .text = h.text, .end = h.end, .banner = h.banner, .phys_base = h.phys_base,
				     .page_offset_base = h.page_offset_base, .pgtable_l5 = h.pgtable_l5,
				     .init_top_pgt = h.init_top_pgt, .banner_bytes = h.banner_bytes,
				     .banner_len = h.banner_len % sizeof(h.banner_bytes) };
	if (h.mode & 1) {
		int ret = kt_xlate_locate(&x, &s, why, sizeof(why));

		FZ_CHECK(ret == 0 || ret == -EAGAIN || ret == -ENOENT, "locate: %d", ret);
		FZ_CHECK(memchr(why, '\0', sizeof(why)) || !ret, "why unterminated");
		if (ret)
			goto out;
		FZ_CHECK(x.located && (x.levels == 4 || x.levels == 5) && x.pgd < x.mem_top, "located state");
		kt_xlate_selfcheck(&x, why, sizeof(why));
	} else {
		/* A state as kt_xlate_locate() leaves it (the unit test's
		 * fixture state, or a fuzzed one). */
		if (s.end <= s.text || s.text < KT_START_KERNEL_MAP_X86)
			goto out;
		x.syms = &s;
		x.phys_load = h.phys_load % (r.mem_top + 1);
		x.voff = h.voff;
		x.page_offset = h.page_offset;
		x.pgd = h.pgd & ~(uint64_t)(PAGE - 1);
		x.levels = h.levels & 1 ? 5 : 4;
		x.located = true;
		if (x.pgd >= x.mem_top)
			goto out;
	}
	for (unsigned i = 0; i < nva; i++) {
		uint64_t pa = 0, wpa = 0;
		uint8_t buf[64], want[64];
		int ret = kt_xlate_va(&x, va[i], &pa), wret = kt_xlate_walk(&x, va[i], &wpa);

		FZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EFAULT, "kt_xlate_va: %d", ret);
		FZ_CHECK(wret == 0 || wret == -ENOENT || wret == -EFAULT, "kt_xlate_walk: %d", wret);
		if (!in_image(&x, va[i], 1) && in_dmap(&x, va[i], 1))
			FZ_CHECK(!ret && pa == va[i] - x.page_offset, "direct map 0x%llx -> 0x%llx",
				 (unsigned long long)va[i], (unsigned long long)pa);
		/* One page, one way of translating it: what kt_xlate_va() says. */
		if (!ret && pa < x.mem_top && sizeof(buf) <= x.mem_top - pa && (va[i] & (PAGE - 1)) <= PAGE - sizeof(buf) &&
		    in_image(&x, va[i], 1) == in_image(&x, va[i], sizeof(buf)) &&
		    in_dmap(&x, va[i], 1) == in_dmap(&x, va[i], sizeof(buf)) &&
		    !kt_xlate_read(&x, va[i], buf, sizeof(buf))) {
			ram_read(&r, pa, want, sizeof(want));
			FZ_CHECK(!memcmp(buf, want, sizeof(buf)), "read of 0x%llx differs from its page 0x%llx",
				 (unsigned long long)va[i], (unsigned long long)pa);
		}
		kt_xlate_read(&x, va[i], buf, (size_t)(va[i] & 63));
	}
out:
	free(recs);
	return 0;
}
