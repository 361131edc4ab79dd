/* Guest kernel management: build from a source tree with ktstr.kconfig,
 * verify the config, cache under <cache>/kernels/<key>/, resolve which
 * kernel a command uses. */
#ifndef KTSTR_KERNEL_H
#define KTSTR_KERNEL_H
#include <stdbool.h>
#include <stdio.h>
#include "util/util.h"

#define KT_PATH 4096

struct kernel_info {
	char key[128];         /* cache key, e.g. "6.12.117-1a2b3c4d5e6f"; "" for a bare path */
	char dir[KT_PATH];     /* cache entry dir, or the dir holding the image */
	char bzimage[KT_PATH];
	char vmlinux[KT_PATH]; /* "" if not available */
	char config[KT_PATH];  /* "" if not available */
	char version[64];      /* e.g. "6.12.117" ("" if unknown) */
	char sched_dir[KT_PATH]; /* dir with scx_* binaries, "" if none */
};

/* The fragment compiled into the binary (kernel/ktstr.kconfig). */
extern const char ktstr_kconfig_fragment[];
/* ktstr's fixes to the Debian tarball's tree (kernel/ktstr-fixes.patch),
 * applied with patch -p1 on extraction; "" when there are none. */
extern const char ktstr_kernel_patch[];

/* Pure: every CONFIG_X=v line of fragment (and every "# CONFIG_X is not
 * set" line) must hold in config_text.  Adds "CONFIG_X=want (have: got)"
 * strings to missing.  Returns 0 if all hold, -ENOENT if some are missing,
 * -ENOMEM. */
int kt_kconfig_check(const char *config_text, const char *fragment_text, struct strlist *missing);
/* Pure: value of CONFIG_NAME in config text ("y", "256", ...) or NULL-free
 * "" if unset/absent; writes into buf. */
void kt_kconfig_get(const char *config_text, const char *name, char *buf, size_t len);

/* Pure: true if the first bytes of a file look like a bzImage ("HdrS" at
 * 0x202, boot protocol >= 2.06). */
bool kt_kernel_is_bzimage(const void *head, size_t len);

/* Bump when the layout or the meaning of a cache entry changes: every key
 * changes with it, so old entries are never mistaken for new ones. */
#define KTSTR_KCACHE_FORMAT "ktstr-kcache-1"

/* Pure: the cache key "<version>-<12 hex>", the hex being the start of
 * sha256(srcid "\n" fragment "\n" KTSTR_KCACHE_FORMAT).  Returns 0,
 * -ENAMETOOLONG if out is too small, -ENOMEM. */
int kt_kernel_cache_key(const char *version, const char *srcid, const char *fragment,
		     char *out, size_t len);

/* Pure: the kernel version a top-level kernel Makefile declares (what
 * `make -s kernelversion` prints: VERSION.PATCHLEVEL.SUBLEVEL EXTRAVERSION),
 * e.g. "6.12.117".  Returns 0 or -EINVAL if VERSION is missing. */
int kt_kernel_makefile_version(const char *makefile_text, char *buf, size_t len);

/* 0 if path starts like a bzImage; else prints why and returns -errno
 * (-ENOEXEC for another kind of file). */
int kt_kernel_check_bzimage(const char *path);

/* Fill out from a cache entry dir (<cache>/kernels/<key>/: bzImage,
 * vmlinux, .config, sched/, metadata.json).  Returns 0 or -errno, quietly. */
int kt_kernel_info_from_entry(const char *dir, struct kernel_info *out);

struct kernel_build_opts {
	const char *source;  /* kernel tree; NULL: Debian linux-source-6.12 tarball */
	int jobs;            /* make -j; 0: nproc + 1 */
	bool force;          /* rebuild even on a cache hit */
	bool no_schedulers;  /* skip tools/sched_ext */
};

int kt_kernel_build(const struct kernel_build_opts *o, struct kernel_info *out);

/* Resolution order: spec (--kernel PATH|KEY), then $KTSTR_KERNEL, then
 * the newest cached kernel.  A path may be a bzImage, a cache entry dir or
 * a kernel build tree.  Errors print one line saying what to do. */
int kt_kernel_resolve(const char *spec, struct kernel_info *out);

/* Path of a kernel-tree scheduler (e.g. "scx_simple") for this kernel.
 * Returns -ENOENT without printing if it was not built, so callers can
 * fall back to another location. */
int kt_kernel_scheduler_path(const struct kernel_info *k, const char *name, char *buf, size_t len);

/* scx-ktstr, our fixture scheduler (scxbuild.c).  Its sources are
 * $KTSTR_SRC_DIR/scx-ktstr, else <the source tree or, installed,
 * <prefix>/share/ktstr>/scx-ktstr.  buf gets that path even when it does
 * not exist (-ENOENT; "" when no directory is known). */
int kt_scx_ktstr_src_dir(char *buf, size_t len);
/* sha256 (hex) of the sources in dir src: the stamp kept next to the binary. */
int kt_scx_ktstr_stamp(const char *src, char hex[65]);
/* Build it against kobj (a kernel make O= dir with tools/sched_ext built)
 * into sched_dir/scx_ktstr and the fixtures beside it (+ scx_ktstr.stamp),
 * unless the stamp there
 * matches.  On failure prints a warning naming the build log and returns
 * -errno; nothing else is affected. */
int kt_scx_ktstr_install(const char *kobj, const char *sched_dir);
/* The scx_ktstr of kernel k, in path: rebuilt first if the sources no
 * longer match its stamp (a match costs one hash of the sources).  0, or
 * -errno with a message (no sched dir, no sources and no binary, build
 * failed with no older binary to fall back on). */
int kt_kernel_scx_ktstr(const struct kernel_info *k, char *path, size_t len);
/* The same for any binary built from scx-ktstr: scx_ktstr and the
 * faulty fixtures scx_kt_unfair, scx_kt_idle, scx_kt_park, scx_kt_noaff
 * (built and installed together). */
bool kt_scx_fixture(const char *name);
int kt_kernel_scx_fixture(const struct kernel_info *k, const char *name, char *path, size_t len);

/* A copy of vmlinux without DWARF (symbols, .BTF and allocated sections
 * kept: all the host monitor reads), cached; its path in out.  0, or
 * -errno with a message (no vmlinux, no objcopy, objcopy failed). */
int kt_kernel_monitor_vmlinux(const char *vmlinux, char *out, size_t len);

/* ---- the cache's entries (kcache.c) ---- */

struct kt_kernel_entry {
	char key[128];
	char dir[KT_PATH];
	char version[64];  /* "" if unknown */
	char built[32];    /* ISO 8601 UTC: built_at, else the dir's mtime */
	char scheds[160];  /* schedulers built with it, comma-separated */
	char srcid[160];   /* the source and build trees it came from ("" if unknown) */
};

/* <cache>/kernels into buf.  0, or -errno with a message. */
int kt_kernel_cache_dir(char *buf, size_t len);
/* Valid entries (metadata.json + bzImage), newest first, in *out (free
 * it); a missing kernels dir is an empty list.  0, or -errno with a
 * message. */
int kt_kernel_list(struct kt_kernel_entry **out, size_t *n);
/* Removing: each removal prints "removed DIR" (kt_info); a failure
 * prints a message, the rest are still tried and the first -errno is
 * returned. */
int kt_kernel_remove(const struct kt_kernel_entry *e);
/* Keep the keep newest entries and remove the others (a note when there
 * is nothing to remove); also the temp dirs of builds whose process is
 * gone (best effort). */
int kt_kernel_prune(unsigned keep);
/* Every entry, and the source and build trees (the next build starts
 * from scratch). */
int kt_kernel_remove_all(void);
/* The source and build trees (<cache>/src/<srcid>, build/<srcid>) that
 * neither a cached kernel nor the next default build (Debian's tarball)
 * would use, unless a build holds their lock; each removal printed.  A
 * cached kernel that does not record its srcid keeps every tree.  The
 * number removed, or -errno (the first failure; the rest are tried). */
int kt_kernel_remove_unused_trees(void);
/* The srcid `ktstr kernel build` gives Debian's linux-source tarball
 * now: deb-<package version>[-p<patch hash>].  -ENOENT (quietly) when
 * the package is not installed. */
int kt_kernel_deb_srcid(char *buf, size_t len);

#endif
