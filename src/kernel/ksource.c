/* The source step of `ktstr kernel build` (kb.h): which tree, its
 * version, and Debian's tarball extracted once with
 * kernel/ktstr-fixes.patch applied. */
#include "kernel/kb.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kb_pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, KT_PATH, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= KT_PATH)
		return kt_err(ENAMETOOLONG, "path %.64s...", buf);
	return 0;
}

void kb_sha256_hex(const char *s, char hex[65])
{
	struct sha256 *h = kt_sha256_new();

	hex[0] = '\0';
	if (!h)
		return;
	kt_sha256_update(h, s, strlen(s));
	kt_sha256_final_hex(h, hex);
}

int kt_kernel_deb_srcid(char *buf, size_t len)
{
	char *argv[] = { "dpkg-query", "-W", "-f=${db:Status-Abbrev}${Version}", DEB_PKG, NULL };
	struct kbuf out = { 0 };
	const char *ver;
	size_t i = 0;
	int rc;

	if (len < 32 || !kt_path_exists(DEB_TARBALL)) /* and dpkg-query says nothing */
		return -ENOENT;
	rc = kt_run_capture(argv, &out);
	ver = out.data ? out.data : "";
	if (rc || strncmp(ver, "ii", 2)) {
		kt_kbuf_free(&out);
		return -ENOENT;
	}
	ver += 2;
	while (*ver == ' ')
		ver++;
	i = snprintf(buf, len, "deb-");
	for (; *ver && *ver != '\n' && i + 20 < len; ver++)
		buf[i++] = isalnum((unsigned char)*ver) || strchr("._-", *ver) ? *ver : '-';
	buf[i] = '\0';
	if (ktstr_kernel_patch[0]) { /* a patched tree is its own source */
		char hex[65];

		kb_sha256_hex(ktstr_kernel_patch, hex);
		snprintf(buf + i, len - i, "-p%.8s", hex);
	}
	kt_kbuf_free(&out);
	return 0;
}

int kb_resolve_deb(struct kb *b)
{
	if (kt_kernel_deb_srcid(b->srcid, sizeof(b->srcid))) {
		kt_err(0, "kernel source: %s is missing: install %s (apt-get install %s) or pass --source DIR",
		       DEB_TARBALL, DEB_PKG, DEB_PKG);
		return -ENOENT;
	}
	b->deb = true;
	snprintf(b->origin, sizeof(b->origin), "%s", DEB_TARBALL);
	return kb_pathf(b->xdir, "%s/src/%s", b->root, b->srcid) ?: kb_pathf(b->src, "%s/%s", b->xdir, DEB_TOPDIR);
}

int kb_resolve_dir(struct kb *b, const char *dir)
{
	char real[PATH_MAX], p[KT_PATH], hex[65];
	const char *base;

	if (!realpath(dir, real))
		return kt_err(errno, "kernel source %s: realpath", dir);
	if (kb_pathf(p, "%s/Kconfig", real) || !kt_path_exists(p) ||
	    kb_pathf(p, "%s/Makefile", real) || !kt_path_exists(p)) {
		kt_err(0, "kernel source %s: not a kernel tree (no Makefile and Kconfig at its top)", real);
		return -ENOENT;
	}
	if ((!kb_pathf(p, "%s/.config", real) && kt_path_exists(p)) ||
	    (!kb_pathf(p, "%s/include/config", real) && kt_path_exists(p))) {
		kt_err(0, "kernel source %s is configured in-tree (%s exists) and kbuild refuses an "
			  "out-of-tree build (make O=) from such a tree: run `make -C %s mrproper` "
			  "(deletes its in-tree build and .config) or pass a clean copy",
		       real, p, real);
		return -EEXIST;
	}
	kb_sha256_hex(real, hex);
	base = strrchr(real, '/');
	base = base && base[1] ? base + 1 : "root";
	snprintf(b->srcid, sizeof(b->srcid), "src-%.100s-%.8s", base, hex);
	snprintf(b->src, sizeof(b->src), "%s", real);
	snprintf(b->origin, sizeof(b->origin), "%s", real);
	return 0;
}

int kb_read_version(struct kb *b)
{
	struct kbuf mk = { 0 };
	char p[KT_PATH];
	int ret = kb_pathf(p, "%s/Makefile", b->src);

	if (ret)
		return ret;
	if ((ret = kt_read_file(p, &mk)))
		return kt_err(-ret, "read %s", p);
	ret = kt_kernel_makefile_version(mk.data, b->version, sizeof(b->version));
	kt_kbuf_free(&mk);
	if (ret)
		return kt_err(-ret, "kernel version from %s", p);
	return 0;
}

/* kernel/ktstr-fixes.patch onto the unpacked tree at dir. */
static int apply_fixes(struct kb *b, const char *dir)
{
	char pf[KT_PATH], log[KT_PATH];
	char *argv[] = { "patch", "-p1", "-N", "--batch", "-d", (char *)dir, "-i", pf, NULL };
	int ret;

	if (!ktstr_kernel_patch[0])
		return 0;
	if ((ret = kb_pathf(pf, "%s/src/.%s.patch-%d", b->root, b->srcid, (int)getpid())) ||
	    (ret = kb_pathf(log, "%s.log", pf)))
		return ret;
	if ((ret = kt_write_file(pf, ktstr_kernel_patch, strlen(ktstr_kernel_patch))))
		return kt_err(-ret, "write %s", pf);
	kt_info("applying kernel/ktstr-fixes.patch to %s", dir);
	ret = kt_run_cmd(argv, NULL, log);
	unlink(pf);
	if (ret) {
		kt_err(ret < 0 ? -ret : 0, "apply kernel/ktstr-fixes.patch to %s (patch output: %s)",
		       dir, log);
		return ret < 0 ? ret : -EIO;
	}
	unlink(log);
	return 0;
}

/* A tarball source without an extraction marker: adopt an existing tree
 * only if `tar -d` finds it identical to the tarball (then patch it), else
 * extract anew into a temp dir, patch it and rename it into place. */
int kb_ensure_extracted(struct kb *b)
{
	char marker[KT_PATH], tmp[KT_PATH], top[KT_PATH];
	char *cmp[] = { "tar", "-df", DEB_TARBALL, "-C", b->xdir, NULL };
	char *xt[] = { "tar", "-xf", DEB_TARBALL, "-C", tmp, NULL };
	uint64_t t0 = kt_now_ns();
	int ret;

	if ((ret = kb_pathf(marker, "%s/%s", b->xdir, EXTRACT_MARKER)))
		return ret;
	if (kt_path_exists(marker))
		return 0;
	if (kt_path_exists(b->src)) {
		kt_info("verifying the existing extraction %s against %s (one time)", b->src, DEB_TARBALL);
		if (kt_run_cmd(cmp, NULL, "/dev/null") == 0) {
			kt_info("existing extraction is complete (%.1f s)", (kt_now_ns() - t0) / 1e9);
			if ((ret = apply_fixes(b, b->src)))
				return ret;
			ret = kt_write_file(marker, "", 0);
			return ret ? kt_err(-ret, "write %s", marker) : 0;
		}
		kt_info("existing extraction %s differs from the tarball: extracting again", b->xdir);
	}
	if ((ret = kb_pathf(tmp, "%s/src/.%s.tmp-%d", b->root, b->srcid, (int)getpid())))
		return ret;
	kt_rm_rf(tmp);
	if ((ret = kt_mkdir_p(tmp, 0755)))
		return kt_err(-ret, "mkdir %s", tmp);
	kt_info("extracting %s into %s (one time)", DEB_TARBALL, b->xdir);
	if ((ret = kt_run_cmd(xt, NULL, NULL))) {
		kt_rm_rf(tmp);
		return ret < 0 ? kt_err(-ret, "run tar") : kt_err(EIO, "extract %s", DEB_TARBALL);
	}
	if ((ret = kb_pathf(top, "%s/%s", tmp, DEB_TOPDIR)) || (ret = apply_fixes(b, top))) {
		kt_rm_rf(tmp);
		return ret;
	}
	if ((ret = kt_rm_rf(b->xdir)))
		return kt_err(-ret, "remove incomplete %s", b->xdir);
	if (rename(tmp, b->xdir))
		return kt_err(errno, "rename %s to %s", tmp, b->xdir);
	if ((ret = kt_write_file(marker, "", 0)))
		return kt_err(-ret, "write %s", marker);
	kt_info("extracted in %.1f s", (kt_now_ns() - t0) / 1e9);
	return 0;
}
