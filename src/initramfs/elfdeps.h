/* Shared-library closure of an ELF executable: PT_INTERP plus DT_NEEDED,
 * resolved recursively (DT_RPATH/DT_RUNPATH with $ORIGIN, /etc/ld.so.cache,
 * the default library directories), via libelf. */
#ifndef KTSTR_ELFDEPS_H
#define KTSTR_ELFDEPS_H
#include "util/util.h"

struct elf_dep {
	char *path;     /* path the dynamic loader will open (as found) */
	char *realpath; /* resolved file to copy */
};

struct elf_deps {
	struct elf_dep *v;
	size_t n, cap;
};

/* Appends binary's closure (not the binary itself) to deps, skipping
 * entries already present.  A statically linked binary adds nothing.
 * A library that cannot be found is an error naming the library and the
 * object that needs it. */
int kt_elf_deps_collect(const char *binary, struct elf_deps *deps);
/* True if path is an ELF file (checks the magic). */
bool kt_elf_is_elf(const char *path);
void kt_elf_deps_free(struct elf_deps *deps);

#endif
