/* The cache (issue 16, finding 9): no shared fallback root, no root that
 * others can write, and a cached initramfs used only when its content
 * still hashes to its name. */
#include "unit.h"
#include "initramfs/initramfs.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

UNIT_TEST(cache_root_no_shared_fallback)
{
	char buf[256];

	CHECK_EQ_INT(kt_cache_root_for("/c", "/x", "/h", "/p", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/c");
	CHECK_EQ_INT(kt_cache_root_for("", "/x", "/h", "/p", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/x/ktstr");
	CHECK_EQ_INT(kt_cache_root_for(NULL, NULL, "/h", "/p", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/h/.cache/ktstr");
	CHECK_EQ_INT(kt_cache_root_for(NULL, NULL, "", "/p", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/p/.cache/ktstr");
	/* No HOME, no passwd entry: not /tmp/.cache/ktstr. */
	CHECK_EQ_INT(kt_cache_root_for(NULL, NULL, NULL, NULL, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ_INT(kt_cache_root_for("/a-long-path", NULL, NULL, NULL, buf, 4), -ENAMETOOLONG);
}

/* Run f with KTSTR_CACHE_DIR set to dir, then restore it. */
static int with_cache(const char *dir, int (*f)(void *), void *arg)
{
	const char *saved = getenv("KTSTR_CACHE_DIR");
	char *copy = saved ? strdup(saved) : NULL;
	int ret;

	setenv("KTSTR_CACHE_DIR", dir, 1);
	ret = f(arg);
	if (copy)
		setenv("KTSTR_CACHE_DIR", copy, 1);
	else
		unsetenv("KTSTR_CACHE_DIR");
	free(copy);
	return ret;
}

static int root_of(void *arg)
{
	return kt_cache_root(arg, PATH_MAX);
}

UNIT_TEST(cache_root_refuses_world_writable)
{
	char tmpl[] = "/tmp/ktstr-unit-cache.XXXXXX", root[PATH_MAX], sub[PATH_MAX];

	if (!mkdtemp(tmpl)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	CHECK_EQ_INT(chmod(tmpl, 0777), 0);
	CHECK_EQ_INT(with_cache(tmpl, root_of, root), -EPERM);
	CHECK_EQ_INT(chmod(tmpl, 01777), 0); /* sticky like /tmp: still shared */
	CHECK_EQ_INT(with_cache(tmpl, root_of, root), -EPERM);
	CHECK_EQ_INT(chmod(tmpl, 0755), 0);
	CHECK_EQ_INT(with_cache(tmpl, root_of, root), 0);
	CHECK_EQ_STR(root, tmpl);
	/* Not there yet: fine, we create it. */
	snprintf(sub, sizeof(sub), "%s/new", tmpl);
	CHECK_EQ_INT(with_cache(sub, root_of, root), 0);
	/* Not a directory. */
	CHECK_EQ_INT(kt_write_file(sub, "x", 1), 0);
	CHECK_EQ_INT(kt_cache_dir_check(sub), -ENOTDIR);
	kt_rm_rf(tmpl);
}

struct build {
	struct initramfs_spec spec;
	char out[PATH_MAX];
};

static int build(void *arg)
{
	struct build *b = arg;

	return kt_initramfs_build(&b->spec, b->out, sizeof(b->out));
}

static void name_is_content_hash(const char *path)
{
	struct sha256 *h = kt_sha256_new();
	const char *slash = strrchr(path, '/');
	char hex[65];

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK_EQ_INT(kt_sha256_update_file(h, path), 0);
	kt_sha256_final_hex(h, hex);
	CHECK(slash && !strncmp(slash + 1, hex, 64) && !strcmp(slash + 65, ".cpio"));
}

UNIT_TEST(initramfs_cache_hit_checks_content)
{
	char tmpl[] = "/tmp/ktstr-unit-icache.XXXXXX", init[PATH_MAX], first[PATH_MAX];
	struct build b = { .spec = { .busybox = false } };
	struct kbuf a = { 0 };
	struct stat st;

	if (!realpath("/bin/true", init) || !mkdtemp(tmpl)) {
		unit_fail(__FILE__, __LINE__, "setup: %s", strerror(errno));
		return;
	}
	b.spec.init = init;
	CHECK_EQ_INT(with_cache(tmpl, build, &b), 0);
	name_is_content_hash(b.out);
	snprintf(first, sizeof(first), "%s", b.out);
	/* Someone changes the cached archive, same size: not used. */
	CHECK_EQ_INT(kt_read_file(first, &a), 0);
	a.data[a.len / 2] ^= 0x5a;
	CHECK_EQ_INT(kt_write_file(first, a.data, a.len), 0);
	CHECK_EQ_INT(with_cache(tmpl, build, &b), 0);
	CHECK_EQ_STR(b.out, first);
	name_is_content_hash(b.out);
	/* Truncated, or replaced by something else entirely. */
	CHECK_EQ_INT(truncate(first, 100), 0);
	CHECK_EQ_INT(with_cache(tmpl, build, &b), 0);
	name_is_content_hash(b.out);
	/* An intact copy is a hit: the same file (inode) comes back. */
	CHECK_EQ_INT(stat(first, &st), 0);
	{
		struct stat st2;

		CHECK_EQ_INT(with_cache(tmpl, build, &b), 0);
		CHECK_EQ_INT(stat(b.out, &st2), 0);
		CHECK_EQ_INT(st.st_ino, st2.st_ino);
	}
	kt_kbuf_free(&a);
	kt_rm_rf(tmpl);
}
