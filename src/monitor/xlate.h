/* Guest kernel virtual -> guest physical address translation for the
 * host-side monitor, x86_64 guests.  Pure: guest memory is reached only
 * through a read callback (kt_vm_read_phys in the monitor, a buffer in unit
 * tests), and every value read from it is checked before use.
 *
 * Three kinds of kernel address (docs/monitor.md):
 *  - the kernel image (text, data, bss): pa = va - runtime _text + phys
 *    load address;
 *  - the direct map: pa = va - page_offset_base;
 *  - anything else (vmalloc, percpu chunks beyond the first, ...): a walk
 *    of the kernel's page tables from init_top_pgt, 4 or 5 levels.
 * With KASLR the image's physical and virtual placement and the direct
 * map base are random; kt_xlate_locate() finds them in guest memory
 * alone (no guest cooperation): the image by the build's linux_banner
 * at a 2 MiB-aligned physical address, then phys_base, page_offset_base
 * and __pgtable_l5_enabled read from the image itself. */
#ifndef KTSTR_MONITOR_XLATE_H
#define KTSTR_MONITOR_XLATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_START_KERNEL_MAP_X86 0xffffffff80000000ull
#define KT_KERNEL_ALIGN (2ull << 20)     /* x86_64 minimum CONFIG_PHYSICAL_ALIGN */
#define KT_KERNEL_IMAGE_SIZE (1ull << 30) /* KASLR range of the image (KERNEL_IMAGE_SIZE) */
#define KT_PTE_PRESENT 0x1ull
#define KT_PTE_PS 0x80ull
#define KT_PTE_ADDR 0x000ffffffffff000ull

typedef int (*kt_phys_read_fn)(void *ctx, uint64_t pa, void *buf, size_t len);

/* Link-time facts from vmlinux (symbol values). */
struct kt_kernel_syms {
	uint64_t text, end;               /* _text, _end */
	uint64_t banner;                  /* linux_banner */
	uint64_t phys_base, page_offset_base, pgtable_l5, init_top_pgt; /* pgtable_l5 may be 0 */
	const char *banner_bytes;         /* its content in the file (NUL-terminated) */
	size_t banner_len;                /* compared bytes */
};

struct kt_xlate {
	kt_phys_read_fn read;
	void *ctx;
	uint64_t mem_top;     /* end of guest RAM (guest-physical) */
	/* Found by kt_xlate_locate(): */
	const struct kt_kernel_syms *syms;
	uint64_t phys_load;   /* physical address of _text */
	uint64_t voff;        /* runtime _text - link-time _text (KASLR) */
	uint64_t page_offset; /* direct-map base */
	uint64_t pgd;         /* physical address of init_top_pgt */
	unsigned levels;      /* 4 or 5 */
	bool located;
	/* One-entry cache for the page walk. */
	uint64_t cache_va, cache_pa;
	bool cache_ok;
};

/* Find the kernel in guest memory.  0 when found; -EAGAIN (reason in
 * why) while the kernel is not yet far enough in its boot; -ENOENT when
 * no copy of the image is in RAM. */
int kt_xlate_locate(struct kt_xlate *x, const struct kt_kernel_syms *s, char *why, size_t wlen);
/* Physical address of a kernel image symbol (link-time address). */
uint64_t kt_xlate_sym(const struct kt_xlate *x, uint64_t link_va);
/* Any kernel virtual address.  0, -ENOENT (not mapped), -EFAULT. */
int kt_xlate_va(struct kt_xlate *x, uint64_t va, uint64_t *pa);
/* The page-table walk alone (also used to cross-check the arithmetic). */
int kt_xlate_walk(struct kt_xlate *x, uint64_t va, uint64_t *pa);
/* Read len bytes at kernel virtual va, page by page. */
int kt_xlate_read(struct kt_xlate *x, uint64_t va, void *buf, size_t len);
/* Walk a few image and direct-map addresses and compare with the
 * arithmetic: 0 if the page tables agree, -EPROTO with the first
 * disagreement in why. */
int kt_xlate_selfcheck(struct kt_xlate *x, char *why, size_t wlen);

#endif
