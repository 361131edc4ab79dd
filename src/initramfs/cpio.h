/* cpio "newc" (070701) archive writer into a memory buffer.  Pure logic:
 * no filesystem access. */
#ifndef KTSTR_CPIO_H
#define KTSTR_CPIO_H
#include <stddef.h>
#include "util/util.h"

struct cpio {
	struct kbuf buf;
	unsigned next_ino;
	int error; /* first error, sticky */
	struct strlist dirs; /* directories already in the archive */
	int finished;        /* kt_cpio_finish() done: no more entries */
};

void kt_cpio_init(struct cpio *c);
/* Paths are archive paths without a leading '/'.  Mode includes the file
 * type bits are added by each call (S_IFDIR/S_IFREG/S_IFLNK).
 * A path that is empty, starts with '/', ends with '/', has an empty,
 * "." or ".." component, or is "TRAILER!!!" (the end marker) is rejected
 * with -EINVAL.  Every error is sticky:
 * later calls (and kt_cpio_finish) return it.  kt_cpio_add_dir() of a directory
 * already in the archive is a no-op.  Entries have uid/gid/mtime 0. */
int kt_cpio_add_dir(struct cpio *c, const char *path, unsigned perm);
int kt_cpio_add_file(struct cpio *c, const char *path, unsigned perm, const void *data, size_t len);
int kt_cpio_add_symlink(struct cpio *c, const char *path, const char *target);
/* Device node; type is S_IFCHR or S_IFBLK (e.g. dev/console: c 5 1). */
int kt_cpio_add_node(struct cpio *c, const char *path, unsigned type, unsigned perm,
		  unsigned major, unsigned minor);
/* Adds every missing parent directory of path (e.g. "usr/lib/x86_64-linux-gnu"
 * for "usr/lib/x86_64-linux-gnu/libc.so.6"), tracking what was added. */
int kt_cpio_add_parents(struct cpio *c, const char *path);
/* Appends the TRAILER!!! entry and pads the archive to 512 bytes. */
int kt_cpio_finish(struct cpio *c);
void kt_cpio_free(struct cpio *c);

#endif
