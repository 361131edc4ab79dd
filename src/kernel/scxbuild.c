/* scx-ktstr, ktstr's own fixture scheduler (<repo>/scx-ktstr), built
 * against a kernel's tools/sched_ext build (libbpf.a, bpftool and
 * vmlinux.h under <O>/build) by scx-ktstr/Makefile, and kept in the
 * kernel's scheduler dir:
 *
 *   <sched dir>/scx-ktstr-<h>/scx_ktstr, scx_kt_*   built from sources whose
 *                                 sha256 starts with <h> (16 hex digits)
 *   <sched dir>/scx-ktstr-<h>/scx_ktstr.stamp        that whole sha256
 *   <sched dir>/scx_ktstr, scx_kt_* (+ .stamp)        the copies `ktstr
 *                                 kernel build` made, for a ktstr without
 *                                 its sources
 *
 * The sources are found at run time in <root>/scx-ktstr, root being
 * $KTSTR_SRC_DIR, else the directory compiled in: the source tree for an
 * in-tree build (KTSTR_SRC_DIR), <prefix>/share/ktstr for the copies
 * `make install` installs (KTSTR_DATA_DIR).  Binaries are kept per hash
 * of those sources, so editing scx-ktstr needs no `ktstr kernel build
 * --force`, and two source trees (two checkouts, a branch beside main)
 * sharing one cache each run their own fixtures instead of rebuilding the
 * other's away mid-run.  A matching stamp costs one hash of a few small
 * files; a build dir unused for a week goes at the next build. */
#include "kernel/kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(KTSTR_DATA_DIR)
#define SCX_ROOT KTSTR_DATA_DIR /* installed: <prefix>/share/ktstr */
#elif defined(KTSTR_SRC_DIR)
#define SCX_ROOT KTSTR_SRC_DIR /* in-tree: the source tree */
#else
#define SCX_ROOT ""
#endif

#define SCX_NAME "scx_ktstr"
#define STAMP_FORMAT "scx-ktstr-stamp-2"
#define STAMP_DIR "scx-ktstr-"           /* + the stamp's first 16 hex digits */
#define STAMP_DIR_MAX_AGE (7 * 24 * 3600) /* unused build dirs are pruned after */

/* Every binary scx-ktstr/Makefile builds (scx_ktstr first). */
static const char *const fixtures[] = { SCX_NAME, "scx_kt_unfair", "scx_kt_idle", "scx_kt_park", "scx_kt_noaff" };

bool kt_scx_fixture(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		if (!strcmp(name, fixtures[i]))
			return true;
	return false;
}

int kt_scx_ktstr_src_dir(char *buf, size_t len)
{
	const char *root = getenv("KTSTR_SRC_DIR");
	char p[KT_PATH];

	if (!root || !*root)
		root = SCX_ROOT;
	if (len)
		buf[0] = '\0';
	if (!*root)
		return -ENOENT;
	if (kt_fmt(buf, len, "%s/scx-ktstr", root) || kt_fmt(p, sizeof(p), "%s/Makefile", buf))
		return -ENAMETOOLONG;
	return kt_path_exists(p) ? 0 : -ENOENT;
}

static int src_filter(const struct dirent *de)
{
	const char *n = de->d_name, *dot = strrchr(n, '.');

	return n[0] != '.' && (!strcmp(n, "Makefile") || (dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h"))));
}

int kt_scx_ktstr_stamp(const char *src, char hex[65])
{
	struct dirent **names = NULL;
	struct sha256 *h = kt_sha256_new();
	char p[KT_PATH];
	int n, ret = 0;

	hex[0] = '\0';
	if (!h)
		return -errno;
	kt_sha256_update(h, STAMP_FORMAT, sizeof(STAMP_FORMAT));
	n = scandir(src, &names, src_filter, alphasort);
	if (n < 0)
		ret = -errno;
	for (int i = 0; i < n; i++) {
		if (!ret) {
			kt_sha256_update(h, names[i]->d_name, strlen(names[i]->d_name) + 1);
			ret = kt_fmt(p, sizeof(p), "%s/%s", src, names[i]->d_name) ?: kt_sha256_update_file(h, p);
			kt_sha256_update(h, "", 1);
		}
		free(names[i]);
	}
	free(names);
	kt_sha256_final_hex(h, hex);
	if (ret)
		hex[0] = '\0';
	return ret;
}

/* The kernel build dir (make O=) that holds tools/sched_ext's output: the
 * cache's build/<srcid> for a cache entry (metadata.json), else the
 * kernel dir itself (a build tree). */
static int find_kobj(const struct kernel_info *k, char *kobj, size_t len)
{
	char p[KT_PATH], root[KT_PATH];
	const char *srcid = NULL;
	json_t *meta = NULL;
	int ret = -ENOENT;

	if (!kt_fmt(p, sizeof(p), "%s/metadata.json", k->dir) && kt_path_exists(p)) {
		meta = json_load_file(p, 0, NULL);
		srcid = json_string_value(json_object_get(meta, "srcid"));
		if (srcid && !strchr(srcid, '/') && !kt_cache_root(root, sizeof(root)))
			ret = kt_fmt(kobj, len, "%s/build/%s", root, srcid);
	} else {
		ret = kt_fmt(kobj, len, "%s", k->dir);
	}
	json_decref(meta);
	return ret;
}

static bool kobj_ready(const char *kobj)
{
	static const char *const need[] = { "build/obj/libbpf/libbpf.a", "build/sbin/bpftool",
					    "build/include/vmlinux.h" };
	char p[KT_PATH];

	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (kt_fmt(p, sizeof(p), "%s/%s", kobj, need[i]) || !kt_path_exists(p))
			return false;
	return true;
}

/* The dir of the fixtures built from sources with this stamp. */
static int stamp_dir(const char *sched_dir, const char *stamp, char *buf, size_t len)
{
	return kt_fmt(buf, len, "%s/" STAMP_DIR "%.16s", sched_dir, stamp);
}

/* dir holds every fixture, built from sources with this stamp. */
static bool stamp_matches(const char *dir, const char *stamp)
{
	char p[KT_PATH], have[80] = "";

	if (kt_fmt(p, sizeof(p), "%s/%s.stamp", dir, SCX_NAME) || kt_read_file_str(p, have, sizeof(have)) ||
	    strcmp(have, stamp))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		if (kt_fmt(p, sizeof(p), "%s/%s", dir, fixtures[i]) || !kt_is_executable(p))
			return false;
	return true;
}

/* Build dirs of other stamps whose stamp file is older than a week (a
 * use refreshes it); never keep. */
static void prune_stamp_dirs(const char *sched_dir, const char *keep)
{
	DIR *d = opendir(sched_dir);
	time_t now = time(NULL);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[KT_PATH];
		struct stat st;

		if (strncmp(de->d_name, STAMP_DIR, strlen(STAMP_DIR)) || !strcmp(de->d_name, keep) ||
		    kt_fmt(p, sizeof(p), "%s/%s/%s.stamp", sched_dir, de->d_name, SCX_NAME))
			continue;
		if (!stat(p, &st) && now - st.st_mtime <= STAMP_DIR_MAX_AGE)
			continue;
		if (!kt_fmt(p, sizeof(p), "%s/%s", sched_dir, de->d_name) && !kt_rm_rf(p))
			kt_debug("%s: removed %s, unused for a week", SCX_NAME, p);
	}
	closedir(d);
}

/* The last lines of a failed build's log, most likely the compiler error. */
static void log_tail(const char *log, int lines)
{
	struct kbuf b = { 0 };
	size_t i;

	if (kt_read_file(log, &b) || !b.len) {
		kt_kbuf_free(&b);
		return;
	}
	for (i = b.len - 1; i > 0; i--)
		if (b.data[i - 1] == '\n' && --lines == 0)
			break;
	fprintf(stderr, "%.*s%s", (int)(b.len - i), b.data + i, b.data[b.len - 1] == '\n' ? "" : "\n");
	kt_kbuf_free(&b);
}

/* The fixtures from out into dir, the stamp last: a matching stamp
 * means all of them. */
static int install_into(const char *out, const char *dir, const char *stamp)
{
	char built[KT_PATH], dst[KT_PATH];
	struct kbuf bin = { 0 };
	int ret = kt_mkdir_p(dir, 0755);

	if (ret)
		return kt_err(-ret, "mkdir %s", dir);
	for (size_t i = 0; i < ARRAY_SIZE(fixtures) && !ret; i++) {
		bin.len = 0;
		if ((ret = kt_fmt(built, sizeof(built), "%s/%s", out, fixtures[i])) ||
		    (ret = kt_fmt(dst, sizeof(dst), "%s/%s", dir, fixtures[i])) || (ret = kt_read_file(built, &bin)) ||
		    (ret = kt_write_atomic(dst, bin.data, bin.len, 0755)))
			kt_err(-ret, "install %s into %s", built, dir);
	}
	kt_kbuf_free(&bin);
	if (!ret && ((ret = kt_fmt(dst, sizeof(dst), "%s/%s.stamp", dir, SCX_NAME)) ||
		     (ret = kt_write_atomic(dst, stamp, strlen(stamp), 0))))
		kt_err(-ret, "install %s into %s", dst, dir);
	return ret;
}

/* Build under an flock on <kobj>/build/scx-ktstr.lock (several ktstr may
 * find the same stale binary at once), then install into the stamp's
 * dir under sched_dir, and into sched_dir itself when top. */
static int build_locked(const char *src, const char *kobj, const char *sched_dir, const char *stamp, bool top)
{
	char out[KT_PATH], log[KT_PATH], lock[KT_PATH], dir[KT_PATH];
	char a_kobj[KT_PATH + 8], a_out[KT_PATH + 8];
	char *argv[] = { "make", "-B", "-C", (char *)src, a_kobj, a_out, NULL };
	uint64_t t0 = kt_now_ns();
	int fd, rc, ret;

	if ((ret = kt_fmt(out, sizeof(out), "%s/build/scx-ktstr", kobj)) ||
	    (ret = kt_fmt(log, sizeof(log), "%s/build.log", out)) ||
	    (ret = kt_fmt(lock, sizeof(lock), "%s.lock", out)) || (ret = stamp_dir(sched_dir, stamp, dir, sizeof(dir))))
		return kt_err(-ret, "%s: paths under %s", SCX_NAME, kobj);
	if ((ret = kt_mkdir_p(out, 0755)))
		return kt_err(-ret, "mkdir %s", out);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kt_err(errno, "open %s", lock);
	if (flock(fd, LOCK_EX)) {
		ret = kt_err(errno, "lock %s", lock);
		goto out;
	}
	if (stamp_matches(dir, stamp) && (!top || stamp_matches(sched_dir, stamp))) /* someone else just did */
		goto out;
	if (kt_fmt(a_kobj, sizeof(a_kobj), "KOBJ=%s", kobj) || kt_fmt(a_out, sizeof(a_out), "OUTDIR=%s", out)) {
		ret = kt_err(ENAMETOOLONG, "%s: make arguments for %s", SCX_NAME, kobj);
		goto out;
	}
	if ((ret = kt_write_file(log, "", 0))) {
		kt_err(-ret, "truncate %s", log);
		goto out;
	}
	kt_info("building %s from %s (log: %s)", SCX_NAME, src, log);
	rc = kt_run_cmd(argv, NULL, log);
	if (rc) {
		ret = rc < 0 ? kt_err(-rc, "run make") : -EIO;
		if (rc > 0)
			log_tail(log, 8);
		goto out;
	}
	if ((ret = install_into(out, dir, stamp)) || (top && (ret = install_into(out, sched_dir, stamp))))
		goto out;
	kt_info("%s built in %.1f s: %s/%s", SCX_NAME, (kt_now_ns() - t0) / 1e9, dir, SCX_NAME);
	prune_stamp_dirs(sched_dir, strrchr(dir, '/') + 1);
out:
	close(fd);
	if (ret)
		kt_info("warning: %s not built (log: %s)", SCX_NAME, log);
	return ret;
}

int kt_scx_ktstr_install(const char *kobj, const char *sched_dir)
{
	char src[KT_PATH], stamp[65], dir[KT_PATH];
	int ret;

	if (kt_scx_ktstr_src_dir(src, sizeof(src))) {
		kt_info("warning: %s not built: its sources are not at %s (set KTSTR_SRC_DIR to the "
			"directory holding scx-ktstr/: a ktstr source tree or <prefix>/share/ktstr)", SCX_NAME,
			src[0] ? src : "(no directory compiled in)");
		return -ENOENT;
	}
	if (!kobj_ready(kobj)) {
		kt_info("warning: %s not built: %s lacks the tools/sched_ext build (libbpf.a, bpftool, "
			"vmlinux.h); run `ktstr kernel build --force`", SCX_NAME, kobj);
		return -ENOENT;
	}
	if ((ret = kt_scx_ktstr_stamp(src, stamp)))
		return kt_err(-ret, "%s: hash the sources in %s", SCX_NAME, src);
	if ((ret = stamp_dir(sched_dir, stamp, dir, sizeof(dir))))
		return ret;
	if (stamp_matches(dir, stamp) && stamp_matches(sched_dir, stamp))
		return 0;
	return build_locked(src, kobj, sched_dir, stamp, true);
}

int kt_kernel_scx_ktstr(const struct kernel_info *k, char *path, size_t len)
{
	return kt_kernel_scx_fixture(k, SCX_NAME, path, len);
}

int kt_kernel_scx_fixture(const struct kernel_info *k, const char *name, char *path, size_t len)
{
	char p[KT_PATH], src[KT_PATH], kobj[KT_PATH], stamp[65], dir[KT_PATH], built[KT_PATH];
	bool have;
	int ret;

	if (!k->sched_dir[0]) {
		kt_err(0, "%s: kernel %s has no sched_ext schedulers build (run `ktstr kernel build`)", SCX_NAME,
		       k->key[0] ? k->key : k->bzimage);
		return -ENOENT;
	}
	if (!kt_scx_fixture(name))
		return -EINVAL;
	if ((ret = kt_fmt(p, sizeof(p), "%s/%s", k->sched_dir, name)))
		return ret;
	have = kt_is_executable(p);
	if (path && (ret = kt_fmt(path, len, "%s", p)))
		return ret;
	if (kt_scx_ktstr_src_dir(src, sizeof(src))) {
		if (have)
			return 0; /* an installed ktstr without its sources: use what is there */
		kt_err(0, "%s: not built for kernel %s and its sources are not at %s (set KTSTR_SRC_DIR)", name,
		       k->key[0] ? k->key : k->bzimage, src[0] ? src : "(no directory compiled in)");
		return -ENOENT;
	}
	if ((ret = kt_scx_ktstr_stamp(src, stamp)))
		return kt_err(-ret, "%s: hash the sources in %s", SCX_NAME, src);
	if ((ret = stamp_dir(k->sched_dir, stamp, dir, sizeof(dir))) ||
	    (ret = kt_fmt(built, sizeof(built), "%s/%s", dir, name)))
		return ret;
	if (stamp_matches(dir, stamp)) {
		if (!kt_fmt(p, sizeof(p), "%s/%s.stamp", dir, SCX_NAME))
			utimensat(AT_FDCWD, p, NULL, 0); /* in use: not pruned */
		return path ? kt_fmt(path, len, "%s", built) : 0;
	}
	if ((ret = find_kobj(k, kobj, sizeof(kobj))) || !kobj_ready(kobj)) {
		if (have) {
			kt_info("warning: %s sources changed but the kernel build dir is gone; using the old %s "
				"(`ktstr kernel build --force` rebuilds it)", name, p);
			return 0;
		}
		kt_err(0, "%s: cannot build it for kernel %s: no tools/sched_ext build found%s%s", name,
		       k->key[0] ? k->key : k->bzimage, ret ? "" : " in ", ret ? "" : kobj);
		return -ENOENT;
	}
	ret = build_locked(src, kobj, k->sched_dir, stamp, false);
	if (ret && have) {
		kt_info("warning: using the old %s", p);
		return 0;
	}
	return !ret && path ? kt_fmt(path, len, "%s", built) : ret;
}
