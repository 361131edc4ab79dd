/* cpio writer and initramfs builder: archives are read back with a small
 * newc parser written independently of the writer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/cpio.h"
#include "initramfs/initramfs.h"
#include "unit.h"
#include "util/util.h"

struct centry {
	char name[512];
	unsigned long f[13]; /* ino mode uid gid nlink mtime size devmaj devmin rmaj rmin namesize check */
	const char *data;
};
#define F_INO 0
#define F_MODE 1
#define F_UID 2
#define F_GID 3
#define F_NLINK 4
#define F_MTIME 5
#define F_SIZE 6
#define F_RMAJ 9
#define F_RMIN 10
#define F_CHECK 12

static size_t up4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static int hexfield(const char *p, unsigned long *out)
{
	*out = 0;
	for (int i = 0; i < 8; i++) {
		int c = p[i], v = c >= '0' && c <= '9' ? c - '0'
			      : c >= 'A' && c <= 'F' ? c - 'A' + 10
			      : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		*out = *out << 4 | (unsigned long)v;
	}
	return 0;
}

/* Parses a whole archive; returns the entry count before the trailer or -1
 * (with a reported failure) if anything is malformed. */
static int parse(const char *buf, size_t len, struct centry *out, int max)
{
	size_t off = 0;
	int n = 0;

	CHECK_EQ_INT(len % 512, 0);
	for (;;) {
		struct centry e;

		if (off % 4 || len - off < 110 || memcmp(buf + off, "070701", 6)) {
			unit_fail(__FILE__, __LINE__, "bad header at %zu", off);
			return -1;
		}
		for (int i = 0; i < 13; i++)
			if (hexfield(buf + off + 6 + 8 * i, &e.f[i])) {
				unit_fail(__FILE__, __LINE__, "bad hex field %d at %zu", i, off);
				return -1;
			}
		if (!e.f[11] || e.f[11] > sizeof(e.name) || len - off - 110 < e.f[11] ||
		    buf[off + 110 + e.f[11] - 1] != '\0') {
			unit_fail(__FILE__, __LINE__, "bad name at %zu", off);
			return -1;
		}
		memcpy(e.name, buf + off + 110, e.f[11]);
		off = up4(off + 110 + e.f[11]);
		if (off > len || len - off < e.f[F_SIZE]) {
			unit_fail(__FILE__, __LINE__, "data of %s past the end", e.name);
			return -1;
		}
		e.data = buf + off;
		off = up4(off + e.f[F_SIZE]);
		if (!strcmp(e.name, "TRAILER!!!"))
			break;
		if (n == max) {
			unit_fail(__FILE__, __LINE__, "too many entries");
			return -1;
		}
		out[n++] = e;
	}
	for (; off < len; off++)
		if (buf[off]) {
			unit_fail(__FILE__, __LINE__, "non-zero padding at %zu", off);
			return -1;
		}
	return n;
}

static const struct centry *lookup(const struct centry *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

UNIT_TEST(cpio_entries_roundtrip)
{
	static struct centry v[16];
	struct cpio c;
	int n;

	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "etc", 0755), 0);
	CHECK_EQ_INT(kt_cpio_add_file(&c, "etc/hello", 0644, "hi\n", 3), 0);
	CHECK_EQ_INT(kt_cpio_add_file(&c, "empty", 0600, NULL, 0), 0);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "bin/sh"), 0);
	CHECK_EQ_INT(kt_cpio_add_symlink(&c, "bin/sh", "busybox"), 0);
	CHECK_EQ_INT(kt_cpio_add_node(&c, "console", S_IFCHR, 0600, 5, 1), 0);
	CHECK_EQ_INT(kt_cpio_finish(&c), 0);
	n = parse(c.buf.data, c.buf.len, v, 16);
	CHECK_EQ_INT(n, 6);
	if (n != 6)
		goto out;
	CHECK_EQ_STR(v[0].name, "etc");
	CHECK_EQ_INT(v[0].f[F_MODE], S_IFDIR | 0755);
	CHECK_EQ_INT(v[0].f[F_NLINK], 2);
	CHECK_EQ_STR(v[1].name, "etc/hello");
	CHECK_EQ_INT(v[1].f[F_MODE], S_IFREG | 0644);
	CHECK_EQ_INT(v[1].f[F_SIZE], 3);
	CHECK(!memcmp(v[1].data, "hi\n", 3));
	CHECK_EQ_STR(v[2].name, "empty");
	CHECK_EQ_INT(v[2].f[F_SIZE], 0);
	CHECK_EQ_STR(v[3].name, "bin");
	CHECK_EQ_STR(v[4].name, "bin/sh");
	CHECK_EQ_INT(v[4].f[F_MODE], S_IFLNK | 0777);
	CHECK_EQ_INT(v[4].f[F_SIZE], 7);
	CHECK(!memcmp(v[4].data, "busybox", 7));
	CHECK_EQ_INT(v[5].f[F_MODE], S_IFCHR | 0600);
	CHECK_EQ_INT(v[5].f[F_RMAJ], 5);
	CHECK_EQ_INT(v[5].f[F_RMIN], 1);
	for (int i = 0; i < n; i++) {
		CHECK_EQ_INT(v[i].f[F_UID], 0);
		CHECK_EQ_INT(v[i].f[F_GID], 0);
		CHECK_EQ_INT(v[i].f[F_MTIME], 0);
		CHECK_EQ_INT(v[i].f[F_CHECK], 0);
		CHECK(v[i].f[F_INO] != 0);
		for (int j = 0; j < i; j++)
			CHECK(v[i].f[F_INO] != v[j].f[F_INO]);
	}
	/* nothing may follow the trailer */
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "late", 0755), -EINVAL);
out:
	kt_cpio_free(&c);
}

/* Every name and data length modulo 4 lands on the right padding. */
UNIT_TEST(cpio_alignment)
{
	static struct centry v[64];
	static const char data[] = "0123456789";
	struct cpio c;
	char name[32];
	int n, k = 0;

	kt_cpio_init(&c);
	for (int nl = 1; nl <= 6; nl++)
		for (int dl = 0; dl <= 5; dl++) {
			snprintf(name, sizeof(name), "%.*s%d", nl - 1, "abcdef", dl);
			CHECK_EQ_INT(kt_cpio_add_file(&c, name, 0644, data, (size_t)dl), 0);
		}
	CHECK_EQ_INT(kt_cpio_finish(&c), 0);
	n = parse(c.buf.data, c.buf.len, v, 64);
	CHECK_EQ_INT(n, 36);
	for (int nl = 1; nl <= 6 && n == 36; nl++)
		for (int dl = 0; dl <= 5; dl++, k++) {
			CHECK_EQ_INT(strlen(v[k].name), nl);
			CHECK_EQ_INT(v[k].f[F_SIZE], dl);
			CHECK(!memcmp(v[k].data, data, (size_t)dl));
		}
	kt_cpio_free(&c);
}

UNIT_TEST(cpio_parents_added_once)
{
	static struct centry v[16];
	struct cpio c;
	int n;

	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "usr/lib/x86_64-linux-gnu/libc.so.6"), 0);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "usr/lib/x86_64-linux-gnu/libm.so.6"), 0);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "usr/lib/other/x"), 0);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "top"), 0); /* no parent */
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "usr", 0700), 0); /* already there */
	CHECK_EQ_INT(kt_cpio_finish(&c), 0);
	n = parse(c.buf.data, c.buf.len, v, 16);
	CHECK_EQ_INT(n, 4);
	if (n == 4) {
		CHECK_EQ_STR(v[0].name, "usr");
		CHECK_EQ_STR(v[1].name, "usr/lib");
		CHECK_EQ_STR(v[2].name, "usr/lib/x86_64-linux-gnu");
		CHECK_EQ_STR(v[3].name, "usr/lib/other");
		for (int i = 0; i < n; i++)
			CHECK_EQ_INT(v[i].f[F_MODE], S_IFDIR | 0755);
	}
	kt_cpio_free(&c);
}

UNIT_TEST(cpio_rejects_bad_paths)
{
	static const char *const bad[] = {
		"", "/abs", "..", "../a", "a/..", "a/../b", "a//b", "a/", ".", "./a", "a/./b",
	};
	struct cpio c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		kt_cpio_init(&c);
		CHECK_EQ_INT(kt_cpio_add_file(&c, bad[i], 0644, "x", 1), -EINVAL);
		kt_cpio_free(&c);
		kt_cpio_init(&c);
		CHECK_EQ_INT(kt_cpio_add_parents(&c, bad[i]), -EINVAL);
		CHECK_EQ_INT(c.buf.len, 0);
		kt_cpio_free(&c);
	}
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "a/../../etc", 0755), -EINVAL);
	/* sticky: the archive is unusable afterwards */
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "ok", 0755), -EINVAL);
	CHECK_EQ_INT(kt_cpio_finish(&c), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_symlink(&c, "l", ""), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_node(&c, "n", S_IFREG, 0600, 1, 1), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c); /* names with dots are fine */
	CHECK_EQ_INT(kt_cpio_add_file(&c, "a/..b/.c/...", 0644, "", 0), 0);
	kt_cpio_free(&c);
}

/* An entry named like the end marker would end the archive there for
 * the kernel's reader (init/initramfs.c compares the whole name), and
 * every later entry would be lost.  Found by fuzz/fuzz_cpio.c. */
UNIT_TEST(cpio_rejects_the_trailer_name)
{
	struct centry v[4];
	struct cpio c;

	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_dir(&c, "TRAILER!!!", 0755), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_file(&c, "TRAILER!!!", 0644, "x", 1), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_symlink(&c, "TRAILER!!!", "/bin/sh"), -EINVAL);
	kt_cpio_free(&c);
	kt_cpio_init(&c); /* as a parent directory */
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "TRAILER!!!/x"), -EINVAL);
	kt_cpio_free(&c);
	/* only the whole name: deeper or longer it is a name like any other */
	kt_cpio_init(&c);
	CHECK_EQ_INT(kt_cpio_add_parents(&c, "a/TRAILER!!!/x"), 0);
	CHECK_EQ_INT(kt_cpio_add_file(&c, "a/TRAILER!!!/x", 0644, "x", 1), 0);
	CHECK_EQ_INT(kt_cpio_add_file(&c, "TRAILER!!!x", 0644, "y", 1), 0);
	CHECK_EQ_INT(kt_cpio_finish(&c), 0);
	CHECK_EQ_INT(parse(c.buf.data, c.buf.len, v, 4), 4);
	CHECK_EQ_STR(v[1].name, "a/TRAILER!!!");
	kt_cpio_free(&c);
}

static bool same_content(const char *host, const struct centry *e)
{
	struct kbuf b = { 0 };
	bool same = !kt_read_file(host, &b) && b.len == e->f[F_SIZE] && !memcmp(b.data, e->data, b.len);

	kt_kbuf_free(&b);
	return same;
}

/* Before every entry, each of its parent directories is already there. */
static void check_parents_first(const struct centry *v, int n)
{
	for (int i = 0; i < n; i++) {
		char dir[512];
		char *slash;

		memcpy(dir, v[i].name, sizeof(dir)); /* same size, NUL-terminated */
		while ((slash = strrchr(dir, '/'))) {
			const struct centry *d;

			*slash = '\0';
			d = lookup(v, i, dir);
			if (!d || (d->f[F_MODE] & S_IFMT) != S_IFDIR)
				unit_fail(__FILE__, __LINE__, "%s before its parent %s", v[i].name, dir);
		}
	}
}

UNIT_TEST(initramfs_build_and_cache)
{
	static struct centry v[256];
	char tmpl[] = "/tmp/ktstr-unit-initramfs.XXXXXX", out[PATH_MAX], out2[PATH_MAX];
	char dir[64], old[96], fresh[96], init[PATH_MAX];
	const char *saved = getenv("KTSTR_CACHE_DIR");
	char *saved_copy = saved ? strdup(saved) : NULL;
	const struct initramfs_file files[] = {
		{ .src = "/usr/bin/env", .dst = "usr/bin/env", .perm = 0 },
		{ .src = "/etc/hostname", .dst = "etc/hostname", .perm = 0600 },
	};
	struct initramfs_spec spec = { .files = files, .nfiles = 1 };
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	struct kbuf a = { 0 };
	struct stat st1, st2;
	int n;

	if (!realpath("/bin/ls", init) || !mkdtemp(tmpl)) {
		unit_fail(__FILE__, __LINE__, "setup: %s", strerror(errno));
		free(saved_copy);
		return;
	}
	spec.init = init;
	spec.busybox = kt_path_exists("/bin/busybox");
	if (kt_path_exists("/etc/hostname"))
		spec.nfiles = 2;
	setenv("KTSTR_CACHE_DIR", tmpl, 1);
	/* a stale archive is pruned, a recent one is kept */
	snprintf(dir, sizeof(dir), "%s/initramfs", tmpl);
	snprintf(old, sizeof(old), "%s/old.cpio", dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.cpio", dir);
	CHECK_EQ_INT(kt_mkdir_p(dir, 0755), 0);
	CHECK_EQ_INT(kt_write_file(old, "x", 1), 0);
	CHECK_EQ_INT(kt_write_file(fresh, "x", 1), 0);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 8 * 24 * 3600;
	CHECK_EQ_INT(utimensat(AT_FDCWD, old, ts, 0), 0);

	CHECK_EQ_INT(kt_initramfs_build(&spec, out, sizeof(out)), 0);
	CHECK(!strncmp(out, tmpl, strlen(tmpl)));
	CHECK(strlen(out) > 5 && !strcmp(out + strlen(out) - 5, ".cpio"));
	CHECK(!kt_path_exists(old));
	CHECK(kt_path_exists(fresh));
	CHECK_EQ_INT(kt_read_file(out, &a), 0);
	n = parse(a.data, a.len, v, 256);
	CHECK(n > 0);
	if (n > 0) {
		const struct centry *e = lookup(v, n, "init");

		check_parents_first(v, n);
		CHECK(e && e->f[F_MODE] == (S_IFREG | 0755) && same_content(init, e));
		e = lookup(v, n, "usr/bin/env");
		CHECK(e && (e->f[F_MODE] & S_IFMT) == S_IFREG && same_content("/usr/bin/env", e));
		if (spec.nfiles == 2) {
			e = lookup(v, n, "etc/hostname");
			CHECK(e && e->f[F_MODE] == (S_IFREG | 0600));
		}
#ifdef __x86_64__ /* Debian's multiarch layout */
		e = lookup(v, n, "lib/x86_64-linux-gnu/libc.so.6");
		CHECK(e && same_content("/lib/x86_64-linux-gnu/libc.so.6", e));
		e = lookup(v, n, "lib64/ld-linux-x86-64.so.2");
		CHECK(e && same_content("/lib64/ld-linux-x86-64.so.2", e));
#endif
		e = lookup(v, n, "dev/console");
		CHECK(e && e->f[F_MODE] == (S_IFCHR | 0600) && e->f[F_RMAJ] == 5);
		for (const char *const *d = (const char *const[]){ "proc", "sys", "tmp", "run", NULL };
		     *d; d++)
			CHECK((e = lookup(v, n, *d)) && (e->f[F_MODE] & S_IFMT) == S_IFDIR);
		if (spec.busybox) {
			e = lookup(v, n, "bin/busybox");
			CHECK(e && same_content("/bin/busybox", e));
			e = lookup(v, n, "bin/sh");
			CHECK(e && e->f[F_MODE] == (S_IFLNK | 0777) && e->f[F_SIZE] == 7 &&
			      !memcmp(e->data, "busybox", 7));
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < i; j++)
				if (!strcmp(v[i].name, v[j].name))
					unit_fail(__FILE__, __LINE__, "duplicate %s", v[i].name);
	}
	/* same inputs: the cached archive is returned untouched */
	CHECK_EQ_INT(stat(out, &st1), 0);
	CHECK_EQ_INT(kt_initramfs_build(&spec, out2, sizeof(out2)), 0);
	CHECK_EQ_STR(out, out2);
	CHECK_EQ_INT(stat(out2, &st2), 0);
	CHECK_EQ_INT(st1.st_ino, st2.st_ino);
	/* different inputs: a different archive */
	spec.nfiles = 0;
	CHECK_EQ_INT(kt_initramfs_build(&spec, out2, sizeof(out2)), 0);
	CHECK(strcmp(out, out2) != 0);
	/* a missing input is an error */
	spec.init = "/nonexistent/ktstr-init";
	CHECK(kt_initramfs_build(&spec, out2, sizeof(out2)) < 0);

	kt_kbuf_free(&a);
	kt_rm_rf(tmpl);
	if (saved_copy)
		setenv("KTSTR_CACHE_DIR", saved_copy, 1);
	else
		unsetenv("KTSTR_CACHE_DIR");
	free(saved_copy);
}
