/* Fuzz target: what the initramfs builder reads from the files it packs
 * (src/initramfs/elfdeps.c): an ELF file's program headers and dynamic
 * section (the scheduler binary, --include-files executables, their
 * libraries), its section names (src/initramfs/strip.c: has it DWARF?),
 * and the host's /etc/ld.so.cache.
 *
 * Input: a selector byte, then the file: an ELF image (even selector) or
 * an ld.so.cache (odd).  Only the readers run: nothing is resolved on
 * the host's file system.
 * Oracles: an ELF image's interpreter, soname, rpath, runpath and needed
 * names are terminated strings (read in full); no rpath next to a
 * runpath; a failed read leaves nothing behind (LeakSanitizer); every
 * cache entry the reader accepts has its key and value terminated inside
 * the file, and no entry past the count it validated is accepted. */
#include "fuzz.h"
#include "initramfs/elfdeps.h"
#include "initramfs/strip.h"

#include <errno.h>

static volatile size_t sink;

/* Read a result string in full (ASan: inside its allocation). */
static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void elf(const uint8_t *data, size_t size)
{
	struct kt_elf_info info;
	int ret = kt_elf_info_mem(data, size, "fuzz", &info);

	sink += kt_elf_has_debug(data, size); /* within bounds: ASan */
	if (ret) {
		FZ_CHECK(!info.interp && !info.soname && !info.rpath && !info.runpath && !info.needed.n,
			 "a failed read left results");
		return;
	}
	FZ_CHECK(!(info.rpath && info.runpath), "rpath kept next to a runpath");
	touch(info.interp);
	touch(info.soname);
	touch(info.rpath);
	touch(info.runpath);
	for (size_t i = 0; i < info.needed.n; i++)
		touch(info.needed.v[i]);
	kt_elf_info_free(&info);
}

static void ldcache(const uint8_t *data, size_t size)
{
	char *copy = fz_dup(data, size, false);
	struct kt_ldcache c;
	const char *k, *v;

	if (kt_ldcache_parse(&c, copy, size)) {
		FZ_CHECK(c.n == 0, "an invalid cache with %u entries", c.n);
		free(copy);
		return;
	}
	FZ_CHECK(c.off <= size && c.n <= size / 24, "%u entries at %zu in %zu bytes", c.n, c.off, size);
	for (uint32_t i = 0; i <= c.n; i++) {
		for (int arch = -1; arch <= 0x0300; arch += 0x0301) {
			if (!kt_ldcache_entry(&c, i, arch, &k, &v))
				continue;
			FZ_CHECK(i < c.n, "entry %u of %u accepted", i, c.n);
			FZ_CHECK(k >= copy && k < copy + size && memchr(k, '\0', (size_t)(copy + size - k)), "key outside");
			FZ_CHECK(v >= copy && v < copy + size && memchr(v, '\0', (size_t)(copy + size - v)), "value outside");
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		ldcache(data + 1, size - 1);
	else
		elf(data + 1, size - 1);
	return 0;
}
