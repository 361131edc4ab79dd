/* Small helpers shared by every module: error reporting, files, hashing,
 * child processes.  Actions return 0 or -errno; messages name the object,
 * the operation and the errno string. */
#ifndef KTSTR_UTIL_H
#define KTSTR_UTIL_H
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ktstr/print.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Messages go through the print callback (<ktstr/print.h>, kt_set_print);
 * by default to stderr as "ktstr: <msg>".  kt_err returns -err (err > 0)
 * so callers can write `return kt_err(errno, "open %s", path)`; the errno
 * string is appended when err != 0 (err == 0 returns -EINVAL). */
int kt_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug lines: the default callback prints them only when kt_verbose. */
extern int kt_verbose;
void kt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf that says when it cut: 0, or -ENAMETOOLONG when the result
 * did not fit in len (buf then holds a cut string: do not use it). */
int kt_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Interruption: the SIGINT, SIGTERM or SIGHUP that asked this process
 * to stop (0: none), set by the handler kt_signals_install() installs
 * (no SA_RESTART: blocking calls return EINTR).  Nothing dies on the
 * signal: every long operation (child processes, VM runs, the pool)
 * checks it, stops, cleans up what it made and returns -EINTR or says it
 * was interrupted; the CLI exits with 128 + the signal. */
extern volatile sig_atomic_t kt_interrupted;
extern bool kt_signals_handled; /* kt_signals_install() ran */
void kt_signals_install(void);

/* Growable byte buffer. */
struct kbuf {
	char *data;
	size_t len, cap;
};
int kt_kbuf_reserve(struct kbuf *b, size_t extra);
int kt_kbuf_append(struct kbuf *b, const void *p, size_t n);
int kt_kbuf_printf(struct kbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kt_kbuf_free(struct kbuf *b);

/* Growable list of owned strings. */
struct strlist {
	char **v;
	size_t n, cap;
};
int kt_strlist_add(struct strlist *l, const char *s);
bool kt_strlist_has(const struct strlist *l, const char *s);
void kt_strlist_free(struct strlist *l);
/* Whether s[0..len) are all [A-Za-z0-9_-] or in extra (names that go in
 * files, messages and JSON as they are). */
bool kt_word_chars(const char *s, size_t len, const char *extra);

/* Files. */
int kt_read_file(const char *path, struct kbuf *out);          /* whole file */
int kt_read_file_str(const char *path, char *buf, size_t len); /* NUL-terminated, trimmed */
int kt_write_file(const char *path, const void *data, size_t len);
/* Replace path with data (mode, 0: 0644) through a temporary file made
 * by mkstemp() next to it (path KT_TMP_SUFFIX XXXXXX: O_EXCL, never a
 * file or symlink someone planted) and rename(): readers see the old
 * file or the new one, never half, and a symlink at path is replaced,
 * not followed.  0 or -errno; the temporary file never stays. */
#define KT_TMP_SUFFIX ".tmp-"
int kt_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
int kt_write_str(const char *path, const char *s);
int kt_mkdir_p(const char *path, mode_t mode);
int kt_rm_rf(const char *path);
int kt_copy_or_link(const char *src, const char *dst); /* hard link, else copy */
bool kt_path_exists(const char *path);
bool kt_is_executable(const char *path);

/* The cache root: $KTSTR_CACHE_DIR, else $XDG_CACHE_HOME/ktstr, else
 * ~/.cache/ktstr ($HOME, else the passwd entry's home; never a shared
 * fallback like /tmp).  Writes into buf.  -ENOENT without a home, -EPERM
 * when it exists but is world-writable or someone else's (both said). */
int kt_cache_root(char *buf, size_t len);
/* Pure: the choice above from the values given (NULL or "": unset). */
int kt_cache_root_for(const char *cache_dir, const char *xdg, const char *home, const char *pw_home, char *buf,
		      size_t len);
/* 0 when path is absent, or a directory owned by us (or root) that
 * others cannot write; -EPERM, -ENOTDIR or -errno otherwise. */
int kt_cache_dir_check(const char *path);

/* SHA-256 (libcrypto, opened at the first kt_sha256_new: util/dl.h).
 * hex must hold 65 bytes.  kt_sha256_new: NULL with errno set (ENOENT:
 * libcrypto missing, said once). */
struct sha256;
struct sha256 *kt_sha256_new(void);
void kt_sha256_update(struct sha256 *h, const void *p, size_t n);
int kt_sha256_update_file(struct sha256 *h, const char *path);
void kt_sha256_final_hex(struct sha256 *h, char hex[65]); /* frees h */

/* A copy of the ELF file src without its DWARF (objcopy --strip-debug:
 * the symbol tables, .BTF and the allocated sections stay), cached as
 * <cache root>/<subdir>/<key>.<name>, the key from src's real path, size
 * and mtime; a hit refreshes the copy's mtime.  objcopy: its path (the
 * caller looked it up).  0 with the copy's path in out, or -errno said
 * with kt_err (quiet: with kt_debug only, for a caller that falls back). */
int kt_strip_debug_cached(const char *objcopy, const char *src, const char *subdir, bool quiet, char *out,
			  size_t len);

uint32_t kt_crc32(const void *p, size_t n); /* IEEE CRC-32 (zlib) */

/* Time. */
uint64_t kt_now_ns(void);      /* CLOCK_MONOTONIC */
uint64_t kt_now_real_ns(void); /* CLOCK_REALTIME */

/* Run argv with stdout/stderr appended to log_path (NULL: inherit).
 * Returns the exit status (>= 0), or -errno if it could not start. */
int kt_run_cmd(char *const argv[], const char *cwd, const char *log_path);
/* Run argv capturing stdout into out (stderr inherited). */
int kt_run_capture(char *const argv[], struct kbuf *out);
/* First executable called name in $PATH, or NULL-terminated empty. */
int kt_find_in_path(const char *name, char *buf, size_t len);
/* A pipe already holding all of s (at most 4096 bytes, within the pipe's
 * capacity: no writer thread), closed for writing; *rd is its read end
 * (O_CLOEXEC | O_NONBLOCK).  -E2BIG for a longer s. */
int kt_pipe_with(const char *s, int *rd);

#endif
