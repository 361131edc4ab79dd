/* scx-ktstr, ktstr's own fixture scheduler (<repo>/scx-ktstr), built
 * against a kernel's tools/sched_ext build (libbpf.a, bpftool and
 * vmlinux.h under <O>/build) by scx-ktstr/Makefile, and kept in the
 * kernel's scheduler dir:
 *
 *   <sched dir>/scx_ktstr         the loader with the BPF skeleton inside
 *   <sched dir>/scx_ktstr.stamp   sha256 of the sources it was built from
 *
 * The sources are found at run time in <root>/scx-ktstr, root being
 * $KTSTR_SRC_DIR, else the directory compiled in: the source tree for an
 * in-tree build (KTSTR_SRC_DIR), <prefix>/share/ktstr for the copies
 * `make install` installs (KTSTR_DATA_DIR).  When their hash differs from
 * the stamp the binary is rebuilt, so editing scx-ktstr needs no `ktstr
 * kernel build --force`.  A matching stamp costs one hash of a few small
 * files. */
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
		return -ENOMEM;
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

static bool stamp_matches(const char *sched_dir, const char *stamp)
{
	char p[KT_PATH], have[80] = "";

	if (kt_fmt(p, sizeof(p), "%s/%s.stamp", sched_dir, SCX_NAME) || kt_read_file_str(p, have, sizeof(have)) ||
	    strcmp(have, stamp))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		if (kt_fmt(p, sizeof(p), "%s/%s", sched_dir, fixtures[i]) || !kt_is_executable(p))
			return false;
	return true;
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

/* Build under an flock on <kobj>/build/scx-ktstr.lock (several ktstr may
 * find the same stale binary at once), then install into sched_dir. */
static int build_locked(const char *src, const char *kobj, const char *sched_dir, const char *stamp)
{
	char out[KT_PATH], log[KT_PATH], lock[KT_PATH], dst[KT_PATH], built[KT_PATH];
	char a_kobj[KT_PATH + 8], a_out[KT_PATH + 8];
	char *argv[] = { "make", "-B", "-C", (char *)src, a_kobj, a_out, NULL };
	struct kbuf bin = { 0 };
	uint64_t t0 = kt_now_ns();
	int fd, rc, ret;

	if ((ret = kt_fmt(out, sizeof(out), "%s/build/scx-ktstr", kobj)) ||
	    (ret = kt_fmt(log, sizeof(log), "%s/build.log", out)) ||
	    (ret = kt_fmt(lock, sizeof(lock), "%s.lock", out)) ||
	    (ret = kt_fmt(built, sizeof(built), "%s/%s", out, SCX_NAME)) ||
	    (ret = kt_fmt(dst, sizeof(dst), "%s/%s", sched_dir, SCX_NAME)))
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
	if (stamp_matches(sched_dir, stamp)) /* someone else just built it */
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
	/* The fixtures first, the stamp last: a matching stamp means all. */
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		bin.len = 0;
		if ((ret = kt_fmt(built, sizeof(built), "%s/%s", out, fixtures[i])) ||
		    (ret = kt_fmt(dst, sizeof(dst), "%s/%s", sched_dir, fixtures[i])) || (ret = kt_read_file(built, &bin)) ||
		    (ret = kt_write_atomic(dst, bin.data, bin.len, 0755))) {
			kt_err(-ret, "install %s into %s", built, sched_dir);
			goto out;
		}
	}
	if ((ret = kt_fmt(dst, sizeof(dst), "%s/%s.stamp", sched_dir, SCX_NAME)) ||
	    (ret = kt_write_atomic(dst, stamp, strlen(stamp), 0))) {
		kt_err(-ret, "install %s into %s", dst, sched_dir);
		goto out;
	}
	kt_info("%s built in %.1f s: %s/%s", SCX_NAME, (kt_now_ns() - t0) / 1e9, sched_dir, SCX_NAME);
out:
	kt_kbuf_free(&bin);
	close(fd);
	if (ret)
		kt_info("warning: %s not built (log: %s)", SCX_NAME, log);
	return ret;
}

int kt_scx_ktstr_install(const char *kobj, const char *sched_dir)
{
	char src[KT_PATH], stamp[65];
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
	if (stamp_matches(sched_dir, stamp))
		return 0;
	return build_locked(src, kobj, sched_dir, stamp);
}

int kt_kernel_scx_ktstr(const struct kernel_info *k, char *path, size_t len)
{
	return kt_kernel_scx_fixture(k, SCX_NAME, path, len);
}

int kt_kernel_scx_fixture(const struct kernel_info *k, const char *name, char *path, size_t len)
{
	char p[KT_PATH], src[KT_PATH], kobj[KT_PATH], stamp[65];
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
	if (stamp_matches(k->sched_dir, stamp))
		return 0;
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
	ret = build_locked(src, kobj, k->sched_dir, stamp);
	if (ret && have) {
		kt_info("warning: using the old %s", p);
		return 0;
	}
	return ret;
}
