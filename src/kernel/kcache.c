/* The kernel cache (<cache>/kernels/<key>/, written by kbuild.c): which
 * kernel a command uses (kt_kernel_resolve), listing and removing entries
 * (`ktstr kernel list|clean`, cli/kernel.c). */
#include "kernel/kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What a kernel must have for ktstr: sched_ext, and BTF for its BPF. */
static const char required_config[] = "CONFIG_SCHED_CLASS_EXT=y\nCONFIG_DEBUG_INFO_BTF=y\n";


static void set(char *buf, size_t len, const char *s)
{
	snprintf(buf, len, "%s", s ? s : "");
}

int kt_kernel_check_bzimage(const char *path)
{
	char head[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return kt_err(errno, "kernel image %s: open", path);
	n = read(fd, head, sizeof(head));
	if (n < 0) {
		int e = errno;

		close(fd);
		return kt_err(e, "kernel image %s: read", path);
	}
	close(fd);
	if (!kt_kernel_is_bzimage(head, (size_t)n)) {
		kt_err(0, "kernel image %s: not a bzImage (no \"HdrS\" boot header >= 2.06 at 0x202)", path);
		return -ENOEXEC;
	}
	return 0;
}

static json_t *load_meta(const char *dir)
{
	char p[KT_PATH];

	return kt_fmt(p, sizeof(p), "%s/metadata.json", dir) ? NULL : json_load_file(p, 0, NULL);
}

int kt_kernel_info_from_entry(const char *dir, struct kernel_info *out)
{
	char p[KT_PATH];
	const char *base = strrchr(dir, '/');
	json_t *meta;

	memset(out, 0, sizeof(*out));
	set(out->dir, sizeof(out->dir), dir);
	if (kt_fmt(out->bzimage, sizeof(out->bzimage), "%s/bzImage", dir))
		return -ENAMETOOLONG;
	if (!kt_path_exists(out->bzimage))
		return -ENOENT;
	if (!kt_fmt(p, sizeof(p), "%s/vmlinux", dir) && kt_path_exists(p))
		set(out->vmlinux, sizeof(out->vmlinux), p);
	if (!kt_fmt(p, sizeof(p), "%s/.config", dir) && kt_path_exists(p))
		set(out->config, sizeof(out->config), p);
	if (!kt_fmt(p, sizeof(p), "%s/sched/scx_simple", dir) && kt_is_executable(p))
		kt_fmt(out->sched_dir, sizeof(out->sched_dir), "%s/sched", dir);
	meta = load_meta(dir);
	set(out->key, sizeof(out->key), json_string_value(json_object_get(meta, "key")));
	if (!out->key[0])
		set(out->key, sizeof(out->key), base ? base + 1 : dir);
	set(out->version, sizeof(out->version), json_string_value(json_object_get(meta, "version")));
	json_decref(meta);
	return 0;
}

int kt_kernel_cache_dir(char *buf, size_t len)
{
	char root[KT_PATH];
	int ret = kt_cache_root(root, sizeof(root));

	if (ret)
		return kt_err(-ret, "cache root");
	return kt_fmt(buf, len, "%s/kernels", root) ? kt_err(ENAMETOOLONG, "cache dir %s/kernels", root) : 0;
}

static int cmp_newest(const void *a, const void *b)
{
	const struct kt_kernel_entry *x = a, *y = b;
	int c = strcmp(y->built, x->built);

	return c ? c : strcmp(x->key, y->key);
}

int kt_kernel_list(struct kt_kernel_entry **out, size_t *n)
{
	char dir[KT_PATH], p[KT_PATH];
	struct kt_kernel_entry *v = NULL, *e;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = kt_kernel_cache_dir(dir, sizeof(dir));

	*out = NULL;
	*n = 0;
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : kt_err(errno, "kernel cache %s: opendir", dir);
	while ((de = readdir(d))) {
		struct stat st;
		json_t *meta, *arr;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->key) ||
		    kt_fmt(p, sizeof(p), "%s/%s/bzImage", dir, de->d_name) || !kt_path_exists(p) ||
		    kt_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) || !(meta = load_meta(p)))
			continue;
		if (cnt == cap) {
			struct kt_kernel_entry *nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));

			if (!nv) {
				json_decref(meta);
				closedir(d);
				free(v);
				return kt_err(ENOMEM, "kernel cache %s: list", dir);
			}
			v = nv;
		}
		e = &v[cnt++];
		memset(e, 0, sizeof(*e));
		set(e->key, sizeof(e->key), de->d_name);
		set(e->dir, sizeof(e->dir), p);
		set(e->version, sizeof(e->version), json_string_value(json_object_get(meta, "version")));
		set(e->built, sizeof(e->built), json_string_value(json_object_get(meta, "built_at")));
		set(e->srcid, sizeof(e->srcid), json_string_value(json_object_get(meta, "srcid")));
		if (!e->built[0] && !stat(p, &st))
			strftime(e->built, sizeof(e->built), "%Y-%m-%dT%H:%M:%SZ", gmtime(&st.st_mtime));
		arr = json_object_get(meta, "schedulers");
		for (size_t i = 0; i < json_array_size(arr); i++) {
			size_t l = strlen(e->scheds);

			snprintf(e->scheds + l, sizeof(e->scheds) - l, "%s%s", l ? "," : "",
				 json_string_value(json_array_get(arr, i)) ?: "?");
		}
		json_decref(meta);
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_newest);
	*out = v;
	*n = cnt;
	return 0;
}

/* Check what a .config says, when one is known. */
static int verify_kernel(const struct kernel_info *k, const char *what)
{
	struct strlist missing = { 0 };
	struct kbuf cfg = { 0 };
	int ret = kt_kernel_check_bzimage(k->bzimage);

	if (ret || !k->config[0])
		return ret;
	if ((ret = kt_read_file(k->config, &cfg)))
		return kt_err(-ret, "kernel %s: read %s", what, k->config);
	ret = kt_kconfig_check(cfg.data, required_config, &missing);
	kt_kbuf_free(&cfg);
	if (ret == -ENOENT)
		kt_err(0, "kernel %s: %s lacks %s%s%s: ktstr needs sched_ext with BTF (build one with "
			  "`ktstr kernel build`)", what, k->config, missing.v[0],
		       missing.n > 1 ? ", " : "", missing.n > 1 ? missing.v[1] : "");
	else if (ret)
		kt_err(-ret, "kernel %s: check %s", what, k->config);
	kt_strlist_free(&missing);
	return ret;
}

/* A kernel build tree: arch/x86/boot/bzImage + vmlinux + .config. */
static bool from_tree(const char *dir, struct kernel_info *k)
{
	char p[KT_PATH];

	if (kt_fmt(k->bzimage, sizeof(k->bzimage), "%s/arch/x86/boot/bzImage", dir) || !kt_path_exists(k->bzimage))
		return false;
	set(k->dir, sizeof(k->dir), dir);
	if (!kt_fmt(p, sizeof(p), "%s/vmlinux", dir) && kt_path_exists(p))
		set(k->vmlinux, sizeof(k->vmlinux), p);
	if (!kt_fmt(p, sizeof(p), "%s/.config", dir) && kt_path_exists(p))
		set(k->config, sizeof(k->config), p);
	if (!kt_fmt(p, sizeof(p), "%s/build/bin/scx_simple", dir) && kt_is_executable(p))
		kt_fmt(k->sched_dir, sizeof(k->sched_dir), "%s/build/bin", dir);
	if (!kt_fmt(p, sizeof(p), "%s/include/config/kernel.release", dir))
		kt_read_file_str(p, k->version, sizeof(k->version));
	return true;
}

static int resolve_path(const char *path, const char *what, struct kernel_info *k)
{
	char real[PATH_MAX], parent[PATH_MAX], meta[PATH_MAX + 16];
	struct stat st;
	char *slash;
	size_t l;

	if (!realpath(path, real) || stat(real, &st))
		return kt_err(errno, "kernel %s: resolve path", what);
	if (S_ISDIR(st.st_mode)) {
		if (!kt_kernel_info_from_entry(real, k) || from_tree(real, k))
			return 0;
		kt_err(0, "kernel %s: %s is neither a cache entry (bzImage) nor a kernel build tree "
			  "(arch/x86/boot/bzImage)", what, real);
		return -ENOENT;
	}
	set(parent, sizeof(parent), real);
	slash = strrchr(parent, '/');
	slash[slash == parent] = '\0'; /* realpath: absolute, so a '/' exists */
	/* A bzImage inside a cache entry or a build tree brings its friends. */
	if (!strcmp(strrchr(real, '/') + 1, "bzImage") &&
	    !kt_fmt(meta, sizeof(meta), "%s/metadata.json", parent) && kt_path_exists(meta) &&
	    !kt_kernel_info_from_entry(parent, k))
		return 0;
	l = strlen(parent);
	if (l > 14 && !strcmp(parent + l - 14, "/arch/x86/boot")) {
		parent[l - 14] = '\0';
		if (from_tree(parent, k) && !strcmp(k->bzimage, real))
			return 0;
		parent[l - 14] = '/';
	}
	memset(k, 0, sizeof(*k));
	set(k->bzimage, sizeof(k->bzimage), real);
	set(k->dir, sizeof(k->dir), parent);
	return 0;
}

static int resolve_spec(const char *spec, const char *from, struct kernel_info *k)
{
	struct kt_kernel_entry *v;
	size_t n, hit = SIZE_MAX, nhit = 0;
	char what[KT_PATH + 32];
	int ret;

	snprintf(what, sizeof(what), from ? "%s (from %s)" : "%s", spec, from);
	if (strchr(spec, '/') || kt_path_exists(spec))
		ret = resolve_path(spec, what, k);
	else {
		if ((ret = kt_kernel_list(&v, &n)))
			return ret;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(v[i].key, spec)) {
				hit = i;
				nhit = 1;
				break;
			}
			if (!strncmp(v[i].key, spec, strlen(spec)) && !nhit++)
				hit = i;
		}
		if (nhit == 1)
			ret = kt_kernel_info_from_entry(v[hit].dir, k);
		else if (nhit > 1)
			ret = kt_err(0, "kernel %s: ambiguous, matches %zu cached kernels (see `ktstr kernel list`)",
				     what, nhit);
		else
			ret = kt_err(0, "kernel %s: no such file, directory or cached kernel key "
				        "(see `ktstr kernel list`)", what);
		free(v);
		if (nhit != 1)
			return nhit ? -EINVAL : -ENOENT;
	}
	return ret ? ret : verify_kernel(k, what);
}

int kt_kernel_resolve(const char *spec, struct kernel_info *out)
{
	const char *env = getenv("KTSTR_KERNEL");
	struct kt_kernel_entry *v;
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	if (spec && *spec)
		return resolve_spec(spec, NULL, out);
	if (env && *env)
		return resolve_spec(env, "KTSTR_KERNEL", out);
	if ((ret = kt_kernel_list(&v, &n)))
		return ret;
	if (!n) {
		kt_err(0, "no kernel found: run `ktstr kernel build` (or pass --kernel PATH)");
		return -ENOENT;
	}
	ret = kt_kernel_info_from_entry(v[0].dir, out);
	if (ret)
		kt_err(-ret, "kernel cache entry %s: read", v[0].dir);
	else
		ret = verify_kernel(out, v[0].key);
	free(v);
	return ret;
}

int kt_kernel_scheduler_path(const struct kernel_info *k, const char *name, char *buf, size_t len)
{
	if (!k->sched_dir[0] || strchr(name, '/'))
		return -ENOENT;
	if (kt_fmt(buf, len, "%s/%s", k->sched_dir, name))
		return -ENAMETOOLONG;
	if (!kt_is_executable(buf)) {
		kt_debug("scheduler %s: not built for kernel %s (no %s)", name, k->key, buf);
		return -ENOENT;
	}
	return 0;
}

/* ---- removing cached kernels ---- */

static int remove_dir(const char *dir)
{
	int ret = kt_rm_rf(dir);

	if (ret)
		return kt_err(-ret, "remove %s", dir);
	kt_info("removed %s", dir);
	return 0;
}

int kt_kernel_remove(const struct kt_kernel_entry *e)
{
	return remove_dir(e->dir);
}

/* The pid of a build's temp dir name (".tmp-<key>-<pid>"), or 0. */
static pid_t temp_dir_pid(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end;
	long v;

	if ((strncmp(name, ".tmp-", 5) && strncmp(name, ".old-", 5)) || !dash || !dash[1])
		return 0;
	errno = 0;
	v = strtol(dash + 1, &end, 10);
	return errno || *end || v < 1 || v > INT_MAX ? 0 : (pid_t)v;
}

/* Leftover temp dirs (".tmp-<key>-<pid>", ".old-...") of dead builds;
 * best effort (a failure is printed, not returned). */
static void remove_stale(const char *dir)
{
	char p[KT_PATH];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		pid_t pid = temp_dir_pid(de->d_name);

		if (!pid || !kill(pid, 0) || errno != ESRCH || kt_fmt(p, sizeof(p), "%s/%s", dir, de->d_name))
			continue;
		remove_dir(p);
	}
	if (d)
		closedir(d);
}

int kt_kernel_prune(unsigned keep)
{
	char dir[KT_PATH];
	struct kt_kernel_entry *e;
	size_t n;
	int ret, r;

	if ((ret = kt_kernel_cache_dir(dir, sizeof(dir))) || (ret = kt_kernel_list(&e, &n)))
		return ret;
	for (size_t i = keep; i < n; i++)
		if ((r = remove_dir(e[i].dir)) && !ret)
			ret = r;
	if (n <= keep)
		kt_info("nothing to remove (%zu cached kernel%s, keeping %u)", n, n == 1 ? "" : "s", keep);
	free(e);
	remove_stale(dir);
	return ret;
}

int kt_kernel_remove_all(void)
{
	static const char *const subs[] = { "kernels", "build", "src" };
	char root[KT_PATH], p[KT_PATH];
	int ret = kt_cache_root(root, sizeof(root)), r;

	if (ret)
		return kt_err(-ret, "cache root");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!kt_fmt(p, sizeof(p), "%s/%s", root, subs[i]) && kt_path_exists(p) && (r = remove_dir(p)) && !ret)
			ret = r;
	return ret;
}

/* Whether name (an entry of src/ or build/) is a tree to keep. */
static bool tree_in_use(const char *name, const struct kt_kernel_entry *e, size_t n, const char *deb)
{
	if (deb[0] && !strcmp(name, deb))
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, e[i].srcid))
			return true;
	return false;
}

static bool srcid_cached(const char *name)
{
	struct kt_kernel_entry *e;
	size_t n;
	bool hit = true; /* when unsure, keep */

	if (!kt_kernel_list(&e, &n)) {
		hit = tree_in_use(name, e, n, "");
		free(e);
	}
	return hit;
}

/* Remove <root>/<sub>/<name> under build/<name>.lock, the lock a build
 * of that srcid holds from start to publish: not while a build holds
 * it, and not if a kernel of that srcid was published meanwhile.  The
 * lock file stays (a build waiting on it must lock the same file).
 * 1 removed, 0 kept, -errno. */
static int remove_tree(const char *root, const char *sub, const char *name)
{
	char p[KT_PATH], lock[KT_PATH];
	int fd, ret;

	if (kt_fmt(p, sizeof(p), "%s/%s/%s", root, sub, name) ||
	    kt_fmt(lock, sizeof(lock), "%s/build/%s.lock", root, name))
		return kt_err(ENAMETOOLONG, "remove tree %s/%s/%s: path", root, sub, name);
	*strrchr(lock, '/') = '\0'; /* build/, for the lock */
	if ((ret = kt_mkdir_p(lock, 0755)) && ret != -EEXIST)
		return kt_err(-ret, "remove tree %s: mkdir %s", p, lock);
	lock[strlen(lock)] = '/';
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kt_err(errno, "remove tree %s: open its lock %s", p, lock);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			kt_info("kept %s: a build holds %s", p, lock);
		else
			kt_err(errno, "kept %s: lock %s", p, lock);
		close(fd);
		return 0;
	}
	if (srcid_cached(name)) {
		kt_info("kept %s: a kernel built from it was cached meanwhile", p);
		ret = 0;
	} else {
		ret = remove_dir(p) ?: 1;
	}
	close(fd);
	return ret;
}

int kt_kernel_remove_unused_trees(void)
{
	static const char *const subs[] = { "src", "build" };
	char root[KT_PATH], deb[160] = "", p[KT_PATH];
	struct kt_kernel_entry *e;
	size_t n;
	int ret = kt_cache_root(root, sizeof(root)), removed = 0, r;

	if (ret)
		return kt_err(-ret, "cache root");
	if ((ret = kt_kernel_list(&e, &n)))
		return ret;
	for (size_t i = 0; i < n; i++)
		if (!e[i].srcid[0]) {
			kt_info("kept the source and build trees: cached kernel %s does not record its srcid", e[i].key);
			free(e);
			return 0;
		}
	kt_kernel_deb_srcid(deb, sizeof(deb));
	for (size_t s = 0; s < ARRAY_SIZE(subs); s++) {
		struct dirent *de;
		DIR *d;

		if (kt_fmt(p, sizeof(p), "%s/%s", root, subs[s]))
			continue;
		if (!(d = opendir(p))) {
			if (errno != ENOENT && !ret)
				ret = kt_err(errno, "kernel cache %s: opendir", p);
			continue;
		}
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (de->d_name[0] == '.' || (l > 5 && !strcmp(de->d_name + l - 5, ".lock")) ||
			    tree_in_use(de->d_name, e, n, deb))
				continue;
			r = remove_tree(root, subs[s], de->d_name);
			if (r > 0)
				removed++;
			else if (r < 0 && !ret)
				ret = r;
		}
		closedir(d);
	}
	free(e);
	return ret ? ret : removed;
}
