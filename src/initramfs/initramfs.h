/* Build the guest initramfs: /init (the test binary), busybox, scheduler
 * binaries and extra files plus their shared-library closure.  /init, the
 * libraries and the files marked .strip go in without their DWARF
 * (initramfs/strip.h).  Cached by content under
 * <cache>/initramfs/<sha256>.cpio. */
#ifndef KTSTR_INITRAMFS_H
#define KTSTR_INITRAMFS_H
#include <stdbool.h>
#include <stddef.h>

struct initramfs_file {
	const char *src; /* host path */
	const char *dst; /* archive path, e.g. "bin/scx_simple" */
	unsigned perm;   /* 0: take the source file's permission bits */
	bool strip;      /* an ELF of ours (a scheduler): goes in without DWARF */
};

/* A symbolic link made in the archive (no host file behind it). */
struct initramfs_link {
	const char *dst;    /* archive path, e.g. "payload/fio" */
	const char *target; /* what it points to, e.g. "/usr/bin/fio" */
};

struct initramfs_spec {
	const char *init;    /* host path of the binary that becomes /init */
	bool busybox;        /* add /bin/busybox (busybox-static) + applet links */
	const struct initramfs_file *files;
	size_t nfiles;
	const struct initramfs_link *links;
	size_t nlinks;
};

/* Writes the archive path into out.  Reuses a cached archive when every
 * input (paths, modes, contents) hashes the same. */
int kt_initramfs_build(const struct initramfs_spec *spec, char *out, size_t outlen);

/* ---- include.c: host files at the same absolute path in the guest ---- */
struct kt_include_file {
	char *src; /* host path to read */
	char *dst; /* archive path (no leading '/') */
};
struct kt_include_files {
	struct kt_include_file *v;
	size_t n, cap;
};
/* Each argument: a file or a directory (recursively, regular files)
 * placed at the same absolute path in the guest; a bare name that is
 * not a file here is looked up in $PATH.  Paths the guest mounts over
 * (/proc, /sys, /dev) and ktstr's own (/init, /sched/, /payload/) are
 * refused.  Messages start with `what` ("--include-files").  Bad input:
 * message printed, -ENOENT/-EINVAL; out is empty then. */
int kt_include_collect(const char *what, const char *const *args, size_t n, struct kt_include_files *out);
void kt_include_files_free(struct kt_include_files *f);

#endif
