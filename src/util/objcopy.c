/* A copy of an ELF file without its DWARF, made by objcopy --strip-debug
 * and cached by the source's path, size and modification time (util.h:
 * kt_strip_debug_cached).  Used for the monitor-only vmlinux
 * (kernel/monvmlinux.c) and the ELF files of a guest initramfs
 * (initramfs/strip.c). */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* kt_err, or only a debug line for a caller that falls back quietly. */
#define say(quiet, err, ...) ((quiet) ? (kt_debug(__VA_ARGS__), -(err)) : kt_err((err), __VA_ARGS__))

/* The cache name: 16 hex digits of SHA-256 over the real path, size and
 * mtime, then the file's own name ("<key>.vmlinux"). */
static int cache_name(const char *real, const struct stat *st, const char *dir, char *out, size_t len)
{
	struct sha256 *h = kt_sha256_new();
	const char *base = strrchr(real, '/');
	char key[65];

	if (!h)
		return -errno;
	kt_sha256_update(h, real, strlen(real));
	kt_sha256_update(h, &st->st_size, sizeof(st->st_size));
	kt_sha256_update(h, &st->st_mtim, sizeof(st->st_mtim));
	kt_sha256_final_hex(h, key);
	key[16] = '\0';
	return kt_fmt(out, len, "%s/%s.%s", dir, key, base ? base + 1 : real);
}

int kt_strip_debug_cached(const char *objcopy, const char *src, const char *subdir, bool quiet, char *out,
			  size_t len)
{
	char root[PATH_MAX], dir[PATH_MAX], real[PATH_MAX], tdir[PATH_MAX], tmp[PATH_MAX + 16];
	struct stat st;
	int ret;

	if (!src || !*src)
		return say(quiet, ENOENT, "strip: no file given");
	if (!realpath(src, real) || stat(real, &st))
		return say(quiet, errno, "strip %s", src);
	ret = kt_cache_root(root, sizeof(root));
	if (ret)
		return say(quiet, -ret, "strip %s: cache directory", real);
	if (kt_fmt(dir, sizeof(dir), "%s/%s", root, subdir))
		return say(quiet, ENAMETOOLONG, "strip %s: cache path under %s", real, root);
	ret = cache_name(real, &st, dir, out, len);
	if (ret)
		return say(quiet, -ret, "strip %s: cache path under %s", real, dir);
	/* A hit refreshes the mtime, which keeps a pruned cache from
	 * removing what is still used. */
	if (kt_path_exists(out)) {
		utimensat(AT_FDCWD, out, NULL, 0);
		return 0;
	}
	ret = kt_mkdir_p(dir, 0755);
	if (ret)
		return say(quiet, -ret, "strip %s: mkdir %s", real, dir);
	/* objcopy writes into a directory of our own (mkdtemp: 0700, a
	 * fresh name), never a predictable path someone could plant. */
	if (kt_fmt(tdir, sizeof(tdir), "%s/.strip" KT_TMP_SUFFIX "XXXXXX", dir))
		return say(quiet, ENAMETOOLONG, "strip %s: temporary directory in %s", real, dir);
	if (!mkdtemp(tdir))
		return say(quiet, errno, "strip %s: mkdtemp %s", real, tdir);
	snprintf(tmp, sizeof(tmp), "%s/copy", tdir);
	{
		char *argv[] = { (char *)objcopy, "--strip-debug", real, tmp, NULL };

		ret = kt_run_cmd(argv, NULL, NULL);
	}
	if (ret)
		ret = say(quiet, ret < 0 ? -ret : EIO, "strip %s: %s --strip-debug (exit %d)", real, objcopy, ret);
	else if (chmod(tmp, 0644) || rename(tmp, out))
		ret = say(quiet, errno, "strip %s: rename %s -> %s", real, tmp, out);
	unlink(tmp);
	rmdir(tdir);
	if (!ret)
		kt_debug("strip: %s from %s", out, real);
	return ret;
}
