/* Fuzz target: the bzImage header, as ktstr's VMM reads the kernel a user
 * names with --kernel (src/vm/x86/boot.c) and as the kernel cache
 * recognises one (src/kernel/kconfig.c).
 *
 * Input: the start of a kernel image (the whole image as far as the
 * parser is concerned).
 * Oracles: an accepted image has its setup (at least two sectors) and its
 * protected-mode code inside the input, adding up to its size; the setup
 * header to copy ends inside the setup and before the zero page's fields
 * past the header; the zero page built from it (copied from exactly the input's
 * bytes: ASan) keeps our loader fields whatever the image says; an image
 * the VMM accepts is one the cache recognises; the initrd placement from
 * its initrd_addr_max is page-aligned, above the shared region and below
 * both limits. */
#include "fuzz.h"
#include "vm/kvm/kvmm.h"
#include "kernel/kernel.h"

#include <errno.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = (uint8_t *)fz_dup(data, size, false);
	struct kvmm_kernel k;
	struct boot_params *bp;
	struct boot_e820_entry e820[2] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x7ff00000, 1 } };
	struct kvmm_boot_info bi = { .cmdline_gpa = 0x20000, .cmdline_len = 10, .initrd_gpa = 0x7000000,
				     .initrd_size = 0x100000, .rsdp_gpa = 0xe0000, .e820 = e820, .ne820 = 2 };
	char err[256];
	int ret = kt_vmm_parse_bzimage(img, size, &k, err, sizeof(err));
	bool cache_ok = kt_kernel_is_bzimage(img, size);

	if (ret) {
		FZ_CHECK(ret == -ENOEXEC, "parse: %d", ret);
		FZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0], "err");
		free(img);
		return 0;
	}
	FZ_CHECK(cache_ok, "the VMM boots an image the cache does not recognise");
	FZ_CHECK(k.setup_size >= 1024 && k.setup_size < size && k.setup_size + k.pm_size == size,
		 "setup %zu + code %zu vs %zu bytes", k.setup_size, k.pm_size, size);
	FZ_CHECK(k.hdr_end >= 0x202 && k.hdr_end <= offsetof(struct boot_params, edd_mbr_sig_buffer) &&
			 k.hdr_end <= k.setup_size,
		 "setup header ends at 0x%zx", k.hdr_end);
	FZ_CHECK(k.init_size >= k.pm_size && k.cmdline_size && k.initrd_addr_max && k.version >= 0x20c,
		 "init_size %u, cmdline_size %u, initrd_addr_max 0x%x", k.init_size, k.cmdline_size, k.initrd_addr_max);
	bp = malloc(sizeof(*bp));
	if (!bp)
		abort();
	kt_vmm_build_boot_params(bp, img, &k, &bi);
	FZ_CHECK(bp->hdr.type_of_loader == 0xff && bp->hdr.cmd_line_ptr == 0x20000 &&
			 bp->hdr.ramdisk_image == 0x7000000 && bp->hdr.ramdisk_size == 0x100000 &&
			 bp->e820_entries == 2 && bp->acpi_rsdp_addr == 0xe0000 && (bp->hdr.loadflags & 0x01),
		 "the image overrode a loader field");
	for (uint64_t low_end = 0x8000000; low_end <= KVMM_LOW_END; low_end <<= 2) {
		uint64_t sz = (uint64_t)(k.init_size & 0xffffff) + 1, at = kt_vmm_initrd_gpa(low_end, k.initrd_addr_max, sz);

		if (!at)
			continue;
		FZ_CHECK(!(at & 0xfff) && at >= VM_SHM_GPA + VM_SHM_SIZE && at + sz <= low_end &&
				 at + sz - 1 <= k.initrd_addr_max,
			 "initrd of %llu bytes at 0x%llx (low end 0x%llx, max 0x%x)", (unsigned long long)sz,
			 (unsigned long long)at, (unsigned long long)low_end, k.initrd_addr_max);
	}
	free(bp);
	free(img);
	return 0;
}
