/* ELF files go into a guest initramfs without their DWARF: /init (the
 * test binary, built with -g), the libraries of the closure and the
 * scheduler binaries.  Nothing in the guest reads DWARF (backtraces use
 * the symbol tables, which stay), and every byte of the archive is
 * copied into each guest at every boot. */
#ifndef KTSTR_INITRAMFS_STRIP_H
#define KTSTR_INITRAMFS_STRIP_H
#include <stdbool.h>
#include <stddef.h>

/* The stripped copies, under the cache root (pruned with the archives). */
#define KT_STRIP_SUBDIR "initramfs/strip"

/* Pure: whether img (a whole file) is a 64-bit little-endian ELF with a
 * .debug_* or .zdebug_* section.  False for anything else, including
 * headers or section tables that do not fit in len. */
bool kt_elf_has_debug(const void *img, size_t len);

/* A copy of src without its DWARF, cached (kt_strip_debug_cached): 0
 * with its path in out.  Otherwise -errno and src goes in as it is:
 * without objcopy (one debug line per process) or when objcopy fails
 * (a debug line). */
int kt_initramfs_strip(const char *src, char *out, size_t len);

#endif
