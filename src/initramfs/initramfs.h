/* Build the guest initramfs: /init (the test binary), busybox, scheduler
 * binaries and extra files plus their shared-library closure.  Cached by
 * content under <cache>/initramfs/<sha256>.cpio. */
#ifndef KTSTR_INITRAMFS_H
#define KTSTR_INITRAMFS_H
#include <stdbool.h>
#include <stddef.h>

struct initramfs_file {
	const char *src; /* host path */
	const char *dst; /* archive path, e.g. "bin/scx_simple" */
	unsigned perm;   /* 0: take the source file's permission bits */
};

struct initramfs_spec {
	const char *init;    /* host path of the binary that becomes /init */
	bool busybox;        /* add /bin/busybox (busybox-static) + applet links */
	const struct initramfs_file *files;
	size_t nfiles;
};

/* Writes the archive path into out.  Reuses a cached archive when every
 * input (paths, modes, contents) hashes the same. */
int kt_initramfs_build(const struct initramfs_spec *spec, char *out, size_t outlen);

#endif
