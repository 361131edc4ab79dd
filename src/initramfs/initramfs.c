/* Guest initramfs builder.  The archive is described first as a manifest
 * (paths, modes, contents read into memory) and built in memory; the
 * SHA-256 of the archive names the cached copy
 * <cache>/initramfs/<sha256>.cpio, so the name covers exactly what is
 * written: init, the extra files, busybox and every library of the
 * closure, with their modes and contents.  A cached copy is used only
 * when its content still hashes to its name.  ELF files that may be
 * stripped go in as their copies without DWARF (strip.c); the closure
 * is still read from the original (its $ORIGIN). */
#include "initramfs/initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/cpio.h"
#include "initramfs/elfdeps.h"
#include "initramfs/strip.h"
#include "util/util.h"

#define BUSYBOX_PATH "/bin/busybox"
#define CACHE_MAX_AGE (7 * 24 * 3600) /* unused archives are pruned after */
#define TMP_MAX_AGE (24 * 3600)       /* leftovers of crashed builders */

static const char *const applets[] = {
	"sh", "ls", "cat", "echo", "mkdir", "mount", "umount", "ps", "grep", "sed",
	"awk", "head", "tail", "sleep", "dmesg", "find", "ip", "free", "top", "uname",
	"rm", "cp", "mv", "ln", "kill", "wc", "cut", "sort", "env", "true", "false",
};
static const char *const empty_dirs[] = { "proc", "sys", "dev", "tmp", "run", "etc" };

struct entry {
	char type; /* 'd' dir, 'f' file, 'l' symlink, 'c' char device */
	char *path;
	unsigned perm, major, minor;
	struct kbuf data; /* file content or symlink target */
};

struct manifest {
	struct entry *v;
	size_t n, cap;
};

static void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].path);
		kt_kbuf_free(&m->v[i].data);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static struct entry *find(const struct manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].path, path))
			return &m->v[i];
	return NULL;
}

/* New entry for path; -EEXIST if the path is taken. */
static int add(struct manifest *m, char type, const char *path, unsigned perm,
	       struct entry **out)
{
	struct entry *e;

	if (find(m, path))
		return -EEXIST;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct entry *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	e = &m->v[m->n];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->perm = perm & 07777;
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	m->n++;
	*out = e;
	return 0;
}

static int add_dir(struct manifest *m, const char *path, unsigned perm)
{
	struct entry *e;
	int ret = add(m, 'd', path, perm, &e);

	if (ret == -EEXIST && find(m, path)->type == 'd')
		return 0;
	return ret ? kt_err(-ret, "initramfs: add directory %s", path) : 0;
}

static int add_symlink(struct manifest *m, const char *path, const char *target)
{
	struct entry *e;
	int ret = add(m, 'l', path, 0777, &e);

	if (!ret)
		ret = kt_kbuf_append(&e->data, target, strlen(target));
	return ret ? kt_err(-ret, "initramfs: add symlink %s -> %s", path, target) : 0;
}

/* Content of a stripped copy of src instead of src's own (data), when
 * src has DWARF and the copy can be made; otherwise data stays. */
static void strip_data(const char *src, struct kbuf *data)
{
	struct kbuf copy = { 0 };
	char path[PATH_MAX];
	int ret;

	if (!kt_elf_has_debug(data->data, data->len) || kt_initramfs_strip(src, path, sizeof(path)))
		return;
	ret = kt_read_file(path, &copy);
	if (ret) {
		kt_debug("initramfs: read %s: %s; %s goes in with its debug info", path, strerror(-ret), src);
		kt_kbuf_free(&copy);
		return;
	}
	kt_kbuf_free(data);
	*data = copy;
}

/* Host file src at archive path dst; perm 0 takes src's permission bits;
 * strip: without its DWARF if it has any. */
static int add_file(struct manifest *m, const char *src, const char *dst, unsigned perm, bool strip)
{
	struct entry *e;
	struct stat st;
	int ret;

	if (stat(src, &st))
		return kt_err(errno, "initramfs: stat %s", src);
	if (!S_ISREG(st.st_mode))
		return kt_err(EINVAL, "initramfs: %s: not a regular file", src);
	ret = add(m, 'f', dst, perm ? perm : st.st_mode, &e);
	if (ret == -EEXIST)
		return kt_err(EEXIST, "initramfs: %s: archive path %s used twice", src, dst);
	if (ret)
		return kt_err(-ret, "initramfs: add %s", dst);
	ret = kt_read_file(src, &e->data);
	if (ret)
		return kt_err(-ret, "initramfs: read %s", src);
	if (strip)
		strip_data(src, &e->data);
	return 0;
}

/* Libraries: the first path of each real file gets the content, later
 * paths of the same file become symlinks to it. */
static int add_libs(struct manifest *m, const struct elf_deps *deps)
{
	bool *stored = calloc(deps->n + 1, sizeof(*stored));
	int ret = stored ? 0 : kt_err(ENOMEM, "initramfs: add libraries");

	for (size_t i = 0; i < deps->n && !ret; i++) {
		const char *path = deps->v[i].path, *real = deps->v[i].realpath;
		size_t j;

		while (*path == '/')
			path++;
		if (!*path || find(m, path))
			continue; /* an explicit file wins */
		for (j = 0; j < i && (!stored[j] || strcmp(deps->v[j].realpath, real)); j++)
			;
		if (j < i) {
			ret = add_symlink(m, path, deps->v[j].path);
		} else {
			ret = add_file(m, real, path, 0, true);
			stored[i] = true;
		}
	}
	free(stored);
	return ret;
}

static int collect(const char *path, struct elf_deps *deps)
{
	return kt_elf_is_elf(path) ? kt_elf_deps_collect(path, deps) : 0;
}

static int make_manifest(const struct initramfs_spec *spec, struct manifest *m)
{
	struct elf_deps deps = { 0 };
	struct entry *e;
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(empty_dirs) && !ret; i++)
		ret = add_dir(m, empty_dirs[i], !strcmp(empty_dirs[i], "tmp") ? 01777 : 0755);
	if (!ret && (ret = add(m, 'c', "dev/console", 0600, &e))) {
		ret = kt_err(-ret, "initramfs: add dev/console");
	} else if (!ret) { /* the kernel opens it for init's stdio */
		e->major = 5;
		e->minor = 1;
	}
	if (!ret)
		ret = add_file(m, spec->init, "init", 0755, true);
	if (!ret)
		ret = collect(spec->init, &deps);
	for (size_t i = 0; i < spec->nfiles && !ret; i++) {
		const struct initramfs_file *f = &spec->files[i];

		if (!f->src || !f->dst) {
			ret = kt_err(EINVAL, "initramfs: file %zu: missing src or dst", i);
			break;
		}
		ret = add_file(m, f->src, f->dst[0] == '/' ? f->dst + 1 : f->dst, f->perm, f->strip);
		if (!ret)
			ret = collect(f->src, &deps);
	}
	for (size_t i = 0; i < spec->nlinks && !ret; i++) {
		const struct initramfs_link *l = &spec->links[i];

		if (!l->dst || !l->target || !*l->dst || !*l->target) {
			ret = kt_err(EINVAL, "initramfs: link %zu: missing dst or target", i);
			break;
		}
		ret = add_symlink(m, l->dst[0] == '/' ? l->dst + 1 : l->dst, l->target);
	}
	if (!ret && spec->busybox) {
		if (!kt_path_exists(BUSYBOX_PATH))
			ret = kt_err(ENOENT, "initramfs: %s missing (install busybox-static)",
				     BUSYBOX_PATH);
		else
			ret = add_file(m, BUSYBOX_PATH, "bin/busybox", 0755, false);
		if (!ret)
			ret = collect(BUSYBOX_PATH, &deps);
		for (size_t i = 0; i < ARRAY_SIZE(applets) && !ret; i++) {
			char p[64];

			snprintf(p, sizeof(p), "bin/%s", applets[i]);
			if (!find(m, p))
				ret = add_symlink(m, p, "busybox");
		}
	}
	if (!ret)
		ret = add_libs(m, &deps);
	kt_elf_deps_free(&deps);
	return ret;
}

/* The SHA-256 of a file, "" if it cannot be read. */
static void hash_file(const char *path, char hex[65])
{
	struct sha256 *h = kt_sha256_new();
	int ret = h ? kt_sha256_update_file(h, path) : -errno;

	hex[0] = '\0';
	if (h)
		kt_sha256_final_hex(h, hex);
	if (ret)
		hex[0] = '\0';
}

static int put_entry(struct cpio *c, const struct entry *e)
{
	int ret = kt_cpio_add_parents(c, e->path);

	if (ret)
		return ret;
	switch (e->type) {
	case 'd':
		return kt_cpio_add_dir(c, e->path, e->perm);
	case 'f':
		return kt_cpio_add_file(c, e->path, e->perm, e->data.data, e->data.len);
	case 'l':
		return kt_cpio_add_symlink(c, e->path, e->data.data);
	default:
		return kt_cpio_add_node(c, e->path, S_IFCHR, e->perm, e->major, e->minor);
	}
}

static int write_cpio(const struct manifest *m, struct cpio *c)
{
	int ret;

	for (size_t i = 0; i < m->n; i++) {
		ret = put_entry(c, &m->v[i]);
		if (ret)
			return kt_err(-ret, "initramfs: cpio: add %s", m->v[i].path);
	}
	ret = kt_cpio_finish(c);
	return ret ? kt_err(-ret, "initramfs: cpio: finish archive") : 0;
}

/* Removes the files named *suffix unused for CACHE_MAX_AGE (a cache hit
 * refreshes the mtime) and stale temporary files.  Failures are not
 * errors. */
static void prune(const char *dir, const char *keep, const char *suffix)
{
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		size_t sl = strlen(suffix);
		bool archive = len > sl && !strcmp(n + len - sl, suffix);
		bool tmp = strstr(n, ".cpio" KT_TMP_SUFFIX) || !strncmp(n, ".tmp-cpio.", 10); /* now, before */
		struct stat st;

		if (!strcmp(n, keep) || (!archive && !tmp) ||
		    fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime > (archive ? CACHE_MAX_AGE : TMP_MAX_AGE)) {
			if (unlinkat(dirfd(d), n, 0) && errno != ENOENT)
				kt_debug("initramfs: remove %s/%s: %s", dir, n, strerror(errno));
			else
				kt_debug("initramfs: removed stale %s/%s", dir, n);
		}
	}
	closedir(d);
}

int kt_initramfs_build(const struct initramfs_spec *spec, char *out, size_t outlen)
{
	struct manifest m = { 0 };
	struct sha256 *h;
	struct cpio c;
	char root[PATH_MAX], dir[PATH_MAX], hex[65], name[80];
	int ret;

	if (!spec || !spec->init || (spec->nfiles && !spec->files) || (spec->nlinks && !spec->links))
		return kt_err(EINVAL, "initramfs: build: no init binary in spec");
	ret = kt_cache_root(root, sizeof(root));
	if (ret)
		return kt_err(-ret, "initramfs: cache directory");
	if (snprintf(dir, sizeof(dir), "%s/initramfs", root) >= (int)sizeof(dir))
		return kt_err(ENAMETOOLONG, "initramfs: cache directory %s/initramfs", root);
	ret = kt_mkdir_p(dir, 0755);
	if (ret)
		return kt_err(-ret, "initramfs: create %s", dir);

	ret = make_manifest(spec, &m);
	if (ret)
		goto out;
	kt_cpio_init(&c);
	ret = write_cpio(&m, &c);
	if (ret)
		goto out_cpio;
	h = kt_sha256_new();
	if (!h) {
		ret = kt_err(errno, "initramfs: sha256 of the archive for %s", spec->init);
		goto out_cpio;
	}
	kt_sha256_update(h, c.buf.data, c.buf.len);
	kt_sha256_final_hex(h, hex);
	snprintf(name, sizeof(name), "%s.cpio", hex);
	if (snprintf(out, outlen, "%s/%s", dir, name) >= (int)outlen) {
		ret = kt_err(ENAMETOOLONG, "initramfs: archive path %s/%s", dir, name);
		goto out_cpio;
	}
	/* A hit counts only if the content is what the name says; it
	 * refreshes the mtime, which keeps it from being pruned. */
	if (kt_path_exists(out)) {
		char have[65];

		hash_file(out, have);
		if (!strcmp(have, hex) && !utimensat(AT_FDCWD, out, NULL, 0)) {
			kt_debug("initramfs: cached %s", out);
			goto out_cpio;
		}
		kt_info("initramfs: cached %s does not hash to its name (sha256 %s); writing it again", out,
			have[0] ? have : "unreadable");
	}
	if ((ret = kt_write_atomic(out, c.buf.data, c.buf.len, 0644)))
		kt_err(-ret, "initramfs: write %s", out);
	else
		kt_debug("initramfs: built %s (%zu bytes, %zu entries)", out, c.buf.len, m.n);
	if (!ret) {
		prune(dir, name, ".cpio");
		/* The stripped copies (strip.c) of the files in use were
		 * refreshed while this archive was made. */
		if (!kt_fmt(dir, sizeof(dir), "%s/" KT_STRIP_SUBDIR, root))
			prune(dir, "", "");
	}
out_cpio:
	kt_cpio_free(&c);
out:
	manifest_free(&m);
	return ret;
}
