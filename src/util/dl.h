/* Libraries only the host side uses, opened with dlopen() at their first
 * use instead of being linked: the test binary is also the guest's /init,
 * and the guest initramfs carries its whole dynamic closure
 * (initramfs/elfdeps.c), so a linked libcrypto (4.7 MB) or libdw (with
 * liblzma and libbz2, 1 MB) would go into every guest for nothing. */
#ifndef KTSTR_UTIL_DL_H
#define KTSTR_UTIL_DL_H
#include <stddef.h>

struct kt_dl_lib {
	const char *soname;  /* what dlopen() asks for: "libcrypto.so.3" */
	const char *package; /* the Debian package that ships it, for messages */
};
extern const struct kt_dl_lib kt_dl_crypto; /* SHA-256 (util/fs.c) */
extern const struct kt_dl_lib kt_dl_dw;     /* kernel file:line (runner/kline.c) */

/* One symbol to look up: its name and where its address goes (a
 * function pointer of the header's type, __typeof__(name) *). */
struct kt_dl_sym {
	const char *name;
	void **addr;
};
#define KT_DL_SYM(var, fn) { #fn, (void **)&(var) }

/* Opens lib (once per process: dlopen counts references) and fills in
 * every symbol of syms.  0, or -ENOENT with one message naming the
 * library, the symbol and the package to install; every address is
 * NULL then.  Callers bind once (pthread_once) and keep the result, so
 * the message comes once per process. */
int kt_dl_bind(const struct kt_dl_lib *lib, const struct kt_dl_sym *syms, size_t n);

/* The path the dynamic loader opens lib from on this host (it opens
 * it, quietly): for shipping lib into a guest that runs host code (the
 * nested rig's L1).  0, or -ENOENT (no message). */
int kt_dl_path(const struct kt_dl_lib *lib, char *buf, size_t len);

#endif
