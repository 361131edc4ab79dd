/* ELF symbol lookup with libelf (see ksym.h). */
#include "runner/ksym.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

int kt_ksym_lookup(const char *path, const char *const *names, uint64_t *addrs, size_t n)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	int fd, found = 0;

	for (size_t i = 0; i < n; i++)
		addrs[i] = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return kt_err(0, "libelf: version mismatch");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kt_err(errno, "symbols: open %s", path);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return kt_err(0, "symbols: %s is not an ELF file", path);
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t k = 0; d && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym sym;
			const char *nm;

			if (!gelf_getsym(d, (int)k, &sym) || !sym.st_value)
				continue;
			nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm)
				continue;
			for (size_t i = 0; i < n; i++)
				if (!addrs[i] && !strcmp(nm, names[i])) {
					addrs[i] = sym.st_value;
					found++;
				}
		}
	}
	elf_end(e);
	close(fd);
	return found;
}
