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

/* ---- the readers of untrusted bytes (also for unit tests and fuzzing) ---- */

/* What one object tells about its dependencies. */
struct kt_elf_info {
	int cls, machine;
	char *interp, *soname, *rpath, *runpath; /* NULL if absent; rpath dropped with a runpath */
	struct strlist needed;                   /* DT_NEEDED, in order */
};
/* The same from an ELF image in memory (name for messages).  0, or
 * -errno with a message and *info empty. */
int kt_elf_info_mem(const void *img, size_t len, const char *name, struct kt_elf_info *info);
void kt_elf_info_free(struct kt_elf_info *info);

/* /etc/ld.so.cache (glibc's new format, alone or after the old one). */
struct kt_ldcache {
	const char *data; /* the whole file, not copied */
	size_t len, off;  /* off: the new-format header */
	uint32_t n;       /* entries, all within len */
};
/* 0, or -EINVAL for a file this reader does not know (then c->n is 0). */
int kt_ldcache_parse(struct kt_ldcache *c, const void *data, size_t len);
/* Entry i: true with key (the soname) and val (the path), both
 * terminated within the file, when it is a libc6 entry for arch (an
 * ld.so.cache FLAG_*_LIB64-style value; -1 for any) without hwcap. */
bool kt_ldcache_entry(const struct kt_ldcache *c, uint32_t i, int arch, const char **key, const char **val);

#endif
