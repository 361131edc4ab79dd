/* Kernel address translation for the monitor (see xlate.h). */
#include "monitor/xlate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PAGE 4096ull

static int rd(const struct kt_xlate *x, uint64_t pa, void *buf, size_t len)
{
	if (pa >= x->mem_top || len > x->mem_top - pa)
		return -EFAULT;
	return x->read(x->ctx, pa, buf, len) ? -EFAULT : 0;
}

static bool banner_at(const struct kt_xlate *x, const struct kt_kernel_syms *s, uint64_t phys)
{
	char buf[256];
	uint64_t pa = phys + (s->banner - s->text);

	if (s->banner_len > sizeof(buf) || rd(x, pa, buf, s->banner_len))
		return false;
	return !memcmp(buf, s->banner_bytes, s->banner_len);
}

uint64_t kt_xlate_sym(const struct kt_xlate *x, uint64_t link_va)
{
	return link_va - x->syms->text + x->phys_load;
}

int kt_xlate_locate(struct kt_xlate *x, const struct kt_kernel_syms *s, char *why, size_t wlen)
{
	uint64_t def, phys = UINT64_MAX, pbase, rt_text, pob;
	uint32_t l5 = 0;

	x->located = false;
	x->cache_ok = false;
	if (!s->banner_len || s->banner < s->text || s->end <= s->text || s->text < KT_START_KERNEL_MAP_X86) {
		snprintf(why, wlen, "vmlinux symbols _text/_end/linux_banner unusable");
		return -ENOENT;
	}
	/* Without KASLR the image sits at its link-time physical address
	 * (CONFIG_PHYSICAL_START); with it, at a random 2 MiB-aligned one. */
	def = s->text - KT_START_KERNEL_MAP_X86;
	if (banner_at(x, s, def))
		phys = def;
	for (uint64_t p = 0; phys == UINT64_MAX && p + (s->end - s->text) <= x->mem_top; p += KT_KERNEL_ALIGN)
		if (banner_at(x, s, p))
			phys = p;
	if (phys == UINT64_MAX) {
		snprintf(why, wlen, "kernel image (linux_banner of this vmlinux) not found in guest RAM");
		return -EAGAIN;
	}
	x->syms = s;
	x->phys_load = phys;
	/* __startup_64 stores phys_base = load address - (runtime _text -
	 * __START_KERNEL_map), so the runtime virtual address follows. */
	if (rd(x, kt_xlate_sym(x, s->phys_base), &pbase, sizeof(pbase)))
		goto fault;
	rt_text = phys - pbase + KT_START_KERNEL_MAP_X86;
	if (rt_text < KT_START_KERNEL_MAP_X86 || rt_text % KT_KERNEL_ALIGN ||
	    rt_text - KT_START_KERNEL_MAP_X86 + (s->end - s->text) > KT_KERNEL_IMAGE_SIZE) {
		snprintf(why, wlen, "phys_base 0x%llx not set yet (image at 0x%llx)", (unsigned long long)pbase,
			 (unsigned long long)phys);
		return -EAGAIN;
	}
	x->voff = rt_text - s->text;
	if (s->pgtable_l5 && rd(x, kt_xlate_sym(x, s->pgtable_l5), &l5, sizeof(l5)))
		goto fault;
	x->levels = l5 ? 5 : 4;
	if (rd(x, kt_xlate_sym(x, s->page_offset_base), &pob, sizeof(pob)))
		goto fault;
	/* Randomised in PUD (1 GiB) steps; always in the upper half. */
	if (!(pob >> 63) || pob & ((1ull << 30) - 1)) {
		snprintf(why, wlen, "page_offset_base 0x%llx not plausible", (unsigned long long)pob);
		return -EAGAIN;
	}
	x->page_offset = pob;
	x->pgd = kt_xlate_sym(x, s->init_top_pgt);
	if (x->pgd % PAGE || x->pgd >= x->mem_top) {
		snprintf(why, wlen, "init_top_pgt at 0x%llx outside RAM", (unsigned long long)x->pgd);
		return -ENOENT;
	}
	x->located = true;
	return 0;
fault:
	snprintf(why, wlen, "kernel variables beyond guest RAM (image at 0x%llx)", (unsigned long long)phys);
	return -EAGAIN;
}

static bool canonical(const struct kt_xlate *x, uint64_t va)
{
	unsigned bits = x->levels == 5 ? 57 : 48;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == va;
}

int kt_xlate_walk(struct kt_xlate *x, uint64_t va, uint64_t *pa)
{
	static const unsigned shift[] = { 48, 39, 30, 21, 12 };
	uint64_t table;

	if (!x->located)
		return -EAGAIN;
	if (!canonical(x, va))
		return -ENOENT;
	table = x->pgd;
	for (unsigned l = x->levels == 5 ? 0 : 1; l < 5; l++) {
		uint64_t e, addr;

		if (rd(x, table + ((va >> shift[l]) & 511) * 8, &e, sizeof(e)))
			return -EFAULT;
		if (!(e & KT_PTE_PRESENT))
			return -ENOENT;
		addr = e & KT_PTE_ADDR;
		if ((l == 2 || l == 3) && (e & KT_PTE_PS)) { /* 1 GiB / 2 MiB page */
			uint64_t mask = (1ull << shift[l]) - 1;

			*pa = (addr & ~mask) | (va & mask);
			return 0;
		}
		if (l == 4) {
			*pa = addr | (va & (PAGE - 1));
			return 0;
		}
		table = addr;
	}
	return -ENOENT;
}

/* The arithmetic ranges: kernel image and direct map. */
static bool direct(const struct kt_xlate *x, uint64_t va, uint64_t len, uint64_t *pa)
{
	uint64_t rt_text = x->syms->text + x->voff, size = x->syms->end - x->syms->text;

	if (va >= rt_text && va - rt_text < size && len <= size - (va - rt_text)) {
		*pa = va - rt_text + x->phys_load;
		return true;
	}
	if (va >= x->page_offset && va - x->page_offset < x->mem_top &&
	    len <= x->mem_top - (va - x->page_offset)) {
		*pa = va - x->page_offset;
		return true;
	}
	return false;
}

int kt_xlate_va(struct kt_xlate *x, uint64_t va, uint64_t *pa)
{
	int ret;

	if (!x->located)
		return -EAGAIN;
	if (direct(x, va, 1, pa))
		return 0;
	if (x->cache_ok && (va & ~(PAGE - 1)) == x->cache_va) {
		*pa = x->cache_pa | (va & (PAGE - 1));
		return 0;
	}
	ret = kt_xlate_walk(x, va, pa);
	if (!ret) {
		x->cache_va = va & ~(PAGE - 1);
		x->cache_pa = *pa & ~(PAGE - 1);
		x->cache_ok = true;
	}
	return ret;
}

int kt_xlate_read(struct kt_xlate *x, uint64_t va, void *buf, size_t len)
{
	uint64_t pa;

	if (!x->located)
		return -EAGAIN;
	if (direct(x, va, len, &pa))
		return rd(x, pa, buf, len);
	while (len) {
		size_t chunk = PAGE - (va & (PAGE - 1));
		int ret;

		if (chunk > len)
			chunk = len;
		ret = kt_xlate_va(x, va, &pa);
		if (ret)
			return ret;
		if (rd(x, pa, buf, chunk))
			return -EFAULT;
		va += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

int kt_xlate_selfcheck(struct kt_xlate *x, char *why, size_t wlen)
{
	const struct {
		const char *what;
		uint64_t va, want;
	} c[] = {
		{ "_text", x->syms->text + x->voff, x->phys_load },
		{ "linux_banner", x->syms->banner + x->voff, kt_xlate_sym(x, x->syms->banner) },
		{ "direct map of the kernel image", x->page_offset + x->phys_load, x->phys_load },
		{ "direct map of init_top_pgt", x->page_offset + x->pgd, x->pgd },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t pa = 0;
		int ret = kt_xlate_walk(x, c[i].va, &pa);

		if (ret || pa != c[i].want) {
			snprintf(why, wlen, "page tables disagree for %s (va 0x%llx): walk %s 0x%llx, expected 0x%llx",
				 c[i].what, (unsigned long long)c[i].va, ret ? "failed" : "gave",
				 (unsigned long long)pa, (unsigned long long)c[i].want);
			return -EPROTO;
		}
	}
	return 0;
}
