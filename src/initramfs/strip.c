/* DWARF out of the ELF files of a guest initramfs (initramfs/strip.h). */
#include "initramfs/strip.h"
#include "util/util.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

static bool debug_name(const char *tab, size_t size, uint32_t off)
{
	static const char *const prefixes[] = { ".debug_", ".zdebug_" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (off < size && size - off > n && !memcmp(tab + off, prefixes[i], n))
			return true;
	}
	return false;
}

bool kt_elf_has_debug(const void *img, size_t len)
{
	const unsigned char *p = img;
	Elf64_Ehdr eh;
	Elf64_Shdr sh;

	if (len < sizeof(eh) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64 || p[EI_DATA] != ELFDATA2LSB)
		return false;
	memcpy(&eh, p, sizeof(eh));
	/* shnum 0 (more than SHN_LORESERVE sections) is not read: none of
	 * the files this sees has that many. */
	if (eh.e_shentsize != sizeof(sh) || !eh.e_shnum || eh.e_shstrndx >= eh.e_shnum || eh.e_shoff > len ||
	    (len - eh.e_shoff) / sizeof(sh) < eh.e_shnum)
		return false;
	memcpy(&sh, p + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(sh), sizeof(sh));
	if (sh.sh_type != SHT_STRTAB || sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
		return false;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr s;

		memcpy(&s, p + eh.e_shoff + (size_t)i * sizeof(s), sizeof(s));
		if (s.sh_type != SHT_NOBITS && debug_name((const char *)p + sh.sh_offset, sh.sh_size, s.sh_name))
			return true;
	}
	return false;
}

static char objcopy[PATH_MAX];

static void find_objcopy(void)
{
	if (kt_find_in_path("objcopy", objcopy, sizeof(objcopy))) {
		objcopy[0] = '\0';
		kt_debug("initramfs: objcopy not found (binutils): ELF files go into guest images with their debug info");
	}
}

int kt_initramfs_strip(const char *src, char *out, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int ret;

	pthread_once(&once, find_objcopy);
	if (!objcopy[0])
		return -ENOENT;
	ret = kt_strip_debug_cached(objcopy, src, KT_STRIP_SUBDIR, true, out, len);
	if (ret)
		kt_debug("initramfs: %s goes in with its debug info (%s)", src, strerror(-ret));
	return ret;
}
