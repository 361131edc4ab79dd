/* Linux x86 64-bit boot protocol without firmware: the guest-RAM map,
 * bzImage validation, e820, the zero page, the identity page tables and
 * GDT the 64-bit entry point (startup_64 = protected-mode code + 0x200)
 * expects, and where the initrd goes.  All pure. */
#include "vm/kvm/kvmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int kt_vmm_memmap(const struct vm_region *r, unsigned n, struct kvmm_chunk *out, unsigned max)
{
	struct vm_ram_range m[KVMM_MAX_CHUNKS];
	int k = kt_vm_ram_split(r, n, KVMM_LOW_END, KVMM_HIGH_START, m, max < KVMM_MAX_CHUNKS ? max : KVMM_MAX_CHUNKS);

	for (int i = 0; i < k; i++)
		out[i] = (struct kvmm_chunk){ .gpa = m[i].gpa, .size = m[i].size, .host = m[i].host, .node = m[i].node };
	return k;
}

uint64_t kt_vmm_low_ram_end(const struct kvmm_chunk *c, unsigned n)
{
	uint64_t end = 0;
	bool grew = true;

	while (grew) {
		grew = false;
		for (unsigned i = 0; i < n; i++)
			if (c[i].gpa == end && c[i].size) {
				end += c[i].size;
				grew = true;
			}
	}
	return end < KVMM_LOW_END ? end : KVMM_LOW_END;
}

void *kt_vmm_gpa_ptr(const struct kvmm_chunk *c, unsigned n, uint64_t gpa, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= c[i].gpa && gpa - c[i].gpa <= c[i].size && len <= c[i].size - (gpa - c[i].gpa))
			return (char *)c[i].host + (gpa - c[i].gpa);
	return NULL;
}

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int kt_vmm_parse_bzimage(const void *img, size_t len, struct kvmm_kernel *k, char *err, size_t errlen)
{
	const uint8_t *b = img;
	unsigned setup_sects;

	memset(k, 0, sizeof(*k));
	if (len < 0x270 || get32(b + 0x202) != 0x53726448 /* "HdrS" */ || get16(b + 0x1fe) != 0xaa55) {
		snprintf(err, errlen, "not a bzImage (no Linux boot-protocol header)");
		return -ENOEXEC;
	}
	k->version = get16(b + 0x206);
	if (k->version < 0x20c) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old (need 2.12 for the 64-bit entry)",
			 k->version >> 8, k->version & 0xff);
		return -ENOEXEC;
	}
	if (!(b[0x211] & 0x01)) { /* LOADED_HIGH */
		snprintf(err, errlen, "zImage (not a bzImage)");
		return -ENOEXEC;
	}
	if (!(get16(b + 0x236) & 0x1)) { /* XLF_KERNEL_64 */
		snprintf(err, errlen, "kernel has no 64-bit entry point (XLF_KERNEL_64)");
		return -ENOEXEC;
	}
	setup_sects = b[0x1f1] ? b[0x1f1] : 4;
	k->setup_size = (size_t)(setup_sects + 1) * 512;
	k->hdr_end = 0x202 + b[0x201];
	if (k->hdr_end > 0x290)
		k->hdr_end = 0x290;
	if (k->setup_size >= len) {
		snprintf(err, errlen, "truncated bzImage (%zu bytes, setup alone is %zu)", len, k->setup_size);
		return -ENOEXEC;
	}
	k->pm_size = len - k->setup_size;
	/* syssize: the protected-mode code in 16-byte paragraphs. */
	if ((uint64_t)get32(b + 0x1f4) * 16 > k->pm_size) {
		snprintf(err, errlen, "truncated bzImage (%zu bytes of kernel code, header says %llu)", k->pm_size,
			 (unsigned long long)get32(b + 0x1f4) * 16);
		return -ENOEXEC;
	}
	k->init_size = get32(b + 0x260);
	k->initrd_addr_max = get32(b + 0x22c);
	k->cmdline_size = get32(b + 0x238);
	if (!k->initrd_addr_max)
		k->initrd_addr_max = 0x37ffffff;
	if (!k->cmdline_size)
		k->cmdline_size = 255;
	if (k->init_size < k->pm_size)
		k->init_size = (uint32_t)k->pm_size;
	return 0;
}

int kt_vmm_build_e820(const struct kvmm_chunk *c, unsigned n, struct boot_e820_entry *out, unsigned max)
{
	unsigned k = 0;

#define ADD(a, s, t)                                                                          \
	do {                                                                                  \
		if (k >= max)                                                                 \
			return -ENOSPC;                                                       \
		out[k++] = (struct boot_e820_entry){ .addr = (a), .size = (s), .type = (t) }; \
	} while (0)
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = c[i].gpa, end = c[i].gpa + c[i].size;

		if (gpa == 0) {
			ADD(0, KVMM_MPTABLE_GPA, 1);
			ADD(KVMM_MPTABLE_GPA, KVMM_KERNEL_GPA - KVMM_MPTABLE_GPA, 2);
			gpa = KVMM_KERNEL_GPA;
		}
		if (end > gpa)
			ADD(gpa, end - gpa, 1);
	}
#undef ADD
	return (int)k;
}

void kt_vmm_build_boot_params(struct boot_params *bp, const void *img, const struct kvmm_kernel *k,
			    const struct kvmm_boot_info *bi)
{
	struct setup_header *h = &bp->hdr;

	memset(bp, 0, sizeof(*bp));
	memcpy((uint8_t *)bp + 0x1f1, (const uint8_t *)img + 0x1f1, k->hdr_end - 0x1f1);
	h->type_of_loader = 0xff;
	h->loadflags |= 0x01 | 0x80; /* LOADED_HIGH, CAN_USE_HEAP */
	h->loadflags &= (uint8_t)~0x20; /* not QUIET */
	h->heap_end_ptr = 0xfe00 - 0x200;
	h->cmd_line_ptr = (uint32_t)bi->cmdline_gpa;
	bp->ext_cmd_line_ptr = (uint32_t)(bi->cmdline_gpa >> 32);
	h->ramdisk_image = (uint32_t)bi->initrd_gpa;
	h->ramdisk_size = (uint32_t)bi->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(bi->initrd_gpa >> 32);
	bp->ext_ramdisk_size = (uint32_t)(bi->initrd_size >> 32);
	h->vid_mode = 0xffff; /* normal */
	bp->acpi_rsdp_addr = bi->rsdp_gpa;
	bp->e820_entries = (uint8_t)bi->ne820;
	memcpy(bp->e820_table, bi->e820, bi->ne820 * sizeof(*bi->e820));
}

void kt_vmm_build_page_tables(void *low)
{
	uint64_t *pml4 = (uint64_t *)((char *)low + KVMM_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)((char *)low + KVMM_PDPT_GPA);
	uint64_t *pd = (uint64_t *)((char *)low + KVMM_PD_GPA);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = KVMM_PDPT_GPA | 0x3; /* present, writable */
	for (unsigned g = 0; g < 4; g++) {
		pdpt[g] = (KVMM_PD_GPA + 4096ull * g) | 0x3;
		for (unsigned i = 0; i < 512; i++)
			pd[g * 512 + i] = ((uint64_t)(g * 512 + i) << 21) | 0x83; /* 2 MiB page */
	}
}

void kt_vmm_build_gdt(void *low)
{
	static const uint64_t gdt[] = {
		0,                     /* null */
		0,                     /* unused */
		0x00af9b000000ffffull, /* 0x10: 64-bit code (__BOOT_CS) */
		0x00cf93000000ffffull, /* 0x18: flat data (__BOOT_DS) */
		0x008f8b000000ffffull, /* 0x20: busy TSS (TR must be valid for VMX) */
	};

	memcpy((char *)low + KVMM_GDT_GPA, gdt, sizeof(gdt));
}

uint64_t kt_vmm_initrd_gpa(uint64_t low_end, uint32_t initrd_addr_max, uint64_t size)
{
	uint64_t top = low_end, floor = VM_SHM_GPA + VM_SHM_SIZE, at;

	if ((uint64_t)initrd_addr_max + 1 < top)
		top = (uint64_t)initrd_addr_max + 1;
	if (size > top || top - size < floor)
		return 0;
	at = (top - size) & ~0xfffull;
	return at >= floor ? at : 0;
}
