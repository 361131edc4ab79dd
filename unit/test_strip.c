/* Unit tests: DWARF out of the ELF files of a guest initramfs
 * (initramfs/strip.h). */
#include "unit.h"
#include "fixture.h"
#include "initramfs/initramfs.h"
#include "initramfs/strip.h"
#include "util/util.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* This binary is built with -g; Debian's /bin/true is stripped.  Cut
 * or damaged images are "no" (and read within bounds: ASan). */
UNIT_TEST(strip_elf_has_debug)
{
	struct kbuf self = { 0 }, tru = { 0 };
	Elf64_Ehdr eh;

	CHECK_EQ_INT(kt_read_file("/proc/self/exe", &self), 0);
	CHECK_EQ_INT(kt_read_file("/bin/true", &tru), 0);
	CHECK(kt_elf_has_debug(self.data, self.len));
	CHECK(!kt_elf_has_debug(tru.data, tru.len));
	CHECK(!kt_elf_has_debug(self.data, 0));
	CHECK(!kt_elf_has_debug(self.data, sizeof(eh) - 1));
	/* the section table is at the end: any cut loses it */
	CHECK(!kt_elf_has_debug(self.data, self.len - 1));
	CHECK(!kt_elf_has_debug(self.data, self.len / 2));
	memcpy(&eh, self.data, sizeof(eh));
	eh.e_shstrndx = eh.e_shnum;
	memcpy(self.data, &eh, sizeof(eh));
	CHECK(!kt_elf_has_debug(self.data, self.len));
	eh.e_shstrndx = 0;
	eh.e_shoff = ~0ull;
	memcpy(self.data, &eh, sizeof(eh));
	CHECK(!kt_elf_has_debug(self.data, self.len));
	CHECK(!kt_elf_has_debug("not an ELF file at all, but long enough to hold an ELF header", 64));
	kt_kbuf_free(&self);
	kt_kbuf_free(&tru);
}

/* The stripped copy: smaller, no DWARF, under the cache, reused; an
 * initramfs with this binary as /init holds the copy. */
UNIT_TEST(strip_copy_cached_and_packed)
{
	char self[PATH_MAX], out[PATH_MAX], out2[PATH_MAX], dir[PATH_MAX];
	struct initramfs_spec spec = { .init = self };
	struct kbuf copy = { 0 }, archive = { 0 };
	struct unit_cache cache;
	struct stat a, b, c;

	if (!realpath("/proc/self/exe", self) || !unit_cache_enter(&cache, "strip")) {
		unit_fail(__FILE__, __LINE__, "setup: %s", strerror(errno));
		return;
	}
	if (kt_find_in_path("objcopy", out, sizeof(out))) {
		printf("# SKIP objcopy not installed\n");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/" KT_STRIP_SUBDIR "/", cache.dir);
	CHECK_EQ_INT(kt_initramfs_strip(self, out, sizeof(out)), 0);
	CHECK(!strncmp(out, dir, strlen(dir)));
	CHECK(stat(self, &a) == 0 && stat(out, &b) == 0);
	CHECK(b.st_size > 0 && b.st_size < a.st_size);
	CHECK_EQ_INT(kt_read_file(out, &copy), 0);
	CHECK(copy.len > 0 && !kt_elf_has_debug(copy.data, copy.len));
	CHECK_EQ_INT(kt_initramfs_strip(self, out2, sizeof(out2)), 0);
	CHECK_EQ_STR(out, out2);
	CHECK(stat(out2, &c) == 0 && c.st_ino == b.st_ino);
	CHECK(kt_initramfs_strip("/nonexistent/init", out2, sizeof(out2)) < 0);
	/* /init goes in as the stripped copy */
	CHECK_EQ_INT(kt_initramfs_build(&spec, out2, sizeof(out2)), 0);
	CHECK_EQ_INT(kt_read_file(out2, &archive), 0);
	CHECK(copy.len && memmem(archive.data, archive.len, copy.data, copy.len));
out:
	kt_kbuf_free(&copy);
	kt_kbuf_free(&archive);
	unit_cache_leave(&cache);
}
