/* Private to src/kernel: the state of one `ktstr kernel build` (kbuild.c)
 * and the source step it starts with (ksource.c). */
#ifndef KTSTR_KERNEL_KB_H
#define KTSTR_KERNEL_KB_H
#include "kernel/kernel.h"

#define DEB_PKG "linux-source-6.12"
#define DEB_TARBALL "/usr/src/linux-source-6.12.tar.xz"
#define DEB_TOPDIR "linux-source-6.12"
#define EXTRACT_MARKER ".ktstr-extracted"

struct kb {
	const struct kernel_build_opts *o;
	char root[KT_PATH];
	char srcid[160];
	char src[KT_PATH];    /* kernel source tree */
	char origin[KT_PATH]; /* tarball or realpath(--source), for metadata */
	char xdir[KT_PATH];   /* <cache>/src/<srcid> (tarball only) */
	char out[KT_PATH];    /* make O= */
	char log[KT_PATH];
	char version[64];
	char key[128];
	char frag_sha[65];
	int jobs;
	bool deb;
};

/* ksource.c: snprintf into a KT_PATH buffer; -ENAMETOOLONG (reported)
 * when it does not fit. */
int kb_pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The lowercase hex SHA-256 of a string ("" if hashing is unavailable). */
void kb_sha256_hex(const char *s, char hex[65]);
/* The source: Debian's tarball (srcid deb-<version>[-p<patch hash>],
 * extracted under <cache>/src) or a clean tree at dir (src-<name>-<hash>). */
int kb_resolve_deb(struct kb *b);
int kb_resolve_dir(struct kb *b, const char *dir);
/* Extract the tarball once and apply kernel/ktstr-fixes.patch (deb only). */
int kb_ensure_extracted(struct kb *b);
/* b->version from the tree's top Makefile. */
int kb_read_version(struct kb *b);

#endif
