/* The kernel cache (<cache>/kernels/<key>/, written by kbuild.c): which
 * kernel a command uses (kt_kernel_resolve) and `ktstr kernel ...`. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What a kernel must have for ktstr: sched_ext, and BTF for its BPF. */
static const char required_config[] = "CONFIG_SCHED_CLASS_EXT=y\nCONFIG_DEBUG_INFO_BTF=y\n";

struct kentry {
	char key[128];
	char dir[KT_PATH];
	char version[64];
	char built[32]; /* ISO 8601 UTC: built_at, else the dir's mtime */
	char scheds[160];
};

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

static int kernels_dir(char *buf, size_t len)
{
	char root[KT_PATH];
	int ret = kt_cache_root(root, sizeof(root));

	if (ret)
		return kt_err(-ret, "cache root");
	return kt_fmt(buf, len, "%s/kernels", root) ? kt_err(ENAMETOOLONG, "cache dir %s/kernels", root) : 0;
}

static int cmp_newest(const void *a, const void *b)
{
	const struct kentry *x = a, *y = b;
	int c = strcmp(y->built, x->built);

	return c ? c : strcmp(x->key, y->key);
}

/* Valid entries (metadata.json + bzImage), newest first.  A missing
 * kernels dir is an empty list. */
static int list_entries(struct kentry **out, size_t *n)
{
	char dir[KT_PATH], p[KT_PATH];
	struct kentry *v = NULL, *e;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = kernels_dir(dir, sizeof(dir));

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
			struct kentry *nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));

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
	struct kentry *v;
	size_t n, hit = SIZE_MAX, nhit = 0;
	char what[KT_PATH + 32];
	int ret;

	snprintf(what, sizeof(what), from ? "%s (from %s)" : "%s", spec, from);
	if (strchr(spec, '/') || kt_path_exists(spec))
		ret = resolve_path(spec, what, k);
	else {
		if ((ret = list_entries(&v, &n)))
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
	struct kentry *v;
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	if (spec && *spec)
		return resolve_spec(spec, NULL, out);
	if (env && *env)
		return resolve_spec(env, "KTSTR_KERNEL", out);
	if ((ret = list_entries(&v, &n)))
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

/* ---- `ktstr kernel ...` ---- */

static const char usage_text[] =
	"usage: ktstr kernel build [--source DIR] [-j N] [--force] [--no-schedulers]\n"
	"       ktstr kernel list\n"
	"       ktstr kernel path [KEY|PATH]\n"
	"       ktstr kernel clean [KEY | --all | --keep N]\n"
	"\n"
	"build   Build a guest kernel with kernel/ktstr.kconfig and cache it in\n"
	"        <cache>/kernels/<key>/ (<cache>: $KTSTR_CACHE_DIR, else\n"
	"        $XDG_CACHE_HOME/ktstr, else ~/.cache/ktstr).  Prints the bzImage path.\n"
	"          --source DIR     kernel tree to build (out of tree); default: the\n"
	"                           Debian linux-source-6.12 tarball, extracted once\n"
	"          -j, --jobs N     make -j N (default: online CPUs + 1)\n"
	"          --force          rebuild even if the kernel is cached\n"
	"          --no-schedulers  skip tools/sched_ext (scx_* schedulers, bpftool)\n"
	"list    Cached kernels, newest first (marked *).\n"
	"path    bzImage of KEY (a cache key or unique prefix, or a path), else of the\n"
	"        kernel commands use: $KTSTR_KERNEL, else the newest cached one.\n"
	"clean   Remove cached kernels.  Without arguments keeps the newest one\n"
	"        (same as --keep 1).\n"
	"          KEY              remove that entry only\n"
	"          --keep N         keep the N newest entries\n"
	"          --all            remove every entry and the source and build trees\n"
	"                           (the next build starts from scratch)\n";

static int bad_usage(const char *fmt_, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt_, ...)
{
	va_list ap;

	fputs("ktstr: kernel: ", stderr);
	va_start(ap, fmt_);
	vfprintf(stderr, fmt_, ap);
	va_end(ap);
	fputs(" (see `ktstr kernel --help`)\n", stderr);
	return 2;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* "--name VALUE" or "--name=VALUE" (short: "-jN", "-j N"). */
static const char *opt_arg(int argc, char **argv, int *i, const char *name, const char *shrt, bool *bad)
{
	const char *a = argv[*i];
	size_t l = strlen(name);

	if (shrt && !strncmp(a, shrt, strlen(shrt)) && a[strlen(shrt)])
		return a + strlen(shrt);
	if (!strncmp(a, name, l) && a[l] == '=')
		return a + l + 1;
	if (strcmp(a, name) && (!shrt || strcmp(a, shrt)))
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

static bool parse_count(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static int cli_build(int argc, char **argv)
{
	struct kernel_build_opts o = { 0 };
	struct kernel_info k;
	bool bad = false;
	const char *v;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--force"))
			o.force = true;
		else if (!strcmp(argv[i], "--no-schedulers"))
			o.no_schedulers = true;
		else if ((v = opt_arg(argc, argv, &i, "--source", NULL, &bad)))
			o.source = v;
		else if ((v = opt_arg(argc, argv, &i, "--jobs", "-j", &bad))) {
			if (!parse_count(v, 1, 1024, &o.jobs))
				return bad_usage("build: -j wants a number of jobs 1..1024, not \"%s\"", v);
		} else
			return bad_usage(bad ? "build: %s needs a value" : "build: unknown argument \"%s\"",
					 argv[i]);
	}
	if (kt_kernel_build(&o, &k))
		return 1;
	printf("%s\n", k.bzimage);
	return 0;
}

static int cli_list(int argc, char **argv)
{
	struct kentry *v;
	size_t n;
	char dir[KT_PATH];

	if (argc && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc)
		return bad_usage("list: unexpected argument \"%s\"", argv[0]);
	if (list_entries(&v, &n) || kernels_dir(dir, sizeof(dir)))
		return 1;
	if (!n)
		fprintf(stderr, "ktstr: no cached kernels in %s (run `ktstr kernel build`)\n", dir);
	else
		printf("  %-28s %-12s %-21s %s\n", "KEY", "VERSION", "BUILT", "SCHEDULERS");
	for (size_t i = 0; i < n; i++)
		printf("%c %-28s %-12s %-21s %s\n", i ? ' ' : '*', v[i].key,
		       v[i].version[0] ? v[i].version : "?", v[i].built, v[i].scheds[0] ? v[i].scheds : "-");
	free(v);
	return 0;
}

static int cli_path(int argc, char **argv)
{
	struct kernel_info k;

	if (argc && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1 || (argc && argv[0][0] == '-'))
		return bad_usage("path: unexpected argument \"%s\"", argv[argc - 1]);
	if (kt_kernel_resolve(argc ? argv[0] : NULL, &k))
		return 1;
	printf("%s\n", k.bzimage);
	return 0;
}

static int remove_dir(const char *dir)
{
	int ret = kt_rm_rf(dir);

	if (ret)
		return kt_err(-ret, "remove %s", dir);
	kt_info("removed %s", dir);
	return 0;
}

/* Leftover temp dirs (".tmp-<key>-<pid>", ".old-...") of dead builds. */
static void remove_stale(const char *dir)
{
	char p[KT_PATH];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		const char *dash = strrchr(de->d_name, '-');
		int pid;

		if ((strncmp(de->d_name, ".tmp-", 5) && strncmp(de->d_name, ".old-", 5)) || !dash ||
		    !parse_count(dash + 1, 1, INT_MAX, &pid) || !kill(pid, 0) || errno != ESRCH ||
		    kt_fmt(p, sizeof(p), "%s/%s", dir, de->d_name))
			continue;
		remove_dir(p);
	}
	if (d)
		closedir(d);
}

static int cli_clean(int argc, char **argv)
{
	const char *key = NULL, *v;
	char root[KT_PATH], p[KT_PATH];
	int keep = -1, ret = 0;
	bool all = false, bad = false;
	struct kentry *e;
	size_t n;

	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--all"))
			all = true;
		else if ((v = opt_arg(argc, argv, &i, "--keep", NULL, &bad))) {
			if (!parse_count(v, 0, INT_MAX, &keep))
				return bad_usage("clean: --keep wants a count >= 0, not \"%s\"", v);
		} else if (bad || argv[i][0] == '-' || key)
			return bad_usage(bad ? "clean: %s needs a value" : "clean: unexpected argument \"%s\"",
					 argv[i]);
		else
			key = argv[i];
	}
	if ((all && (key || keep >= 0)) || (key && keep >= 0))
		return bad_usage("clean: KEY, --all and --keep exclude each other%s", "");
	if (kt_cache_root(root, sizeof(root)) || list_entries(&e, &n))
		return 1;
	if (key) {
		size_t i = 0;

		while (i < n && strcmp(e[i].key, key))
			i++;
		ret = i < n ? remove_dir(e[i].dir) : bad_usage("clean: no cached kernel \"%s\"", key);
		ret = ret == 2 ? 2 : !!ret;
	} else if (all) {
		static const char *const subs[] = { "kernels", "build", "src" };

		for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
			if (!kt_fmt(p, sizeof(p), "%s/%s", root, subs[i]) && kt_path_exists(p))
				ret |= !!remove_dir(p);
	} else {
		keep = keep < 0 ? 1 : keep;
		for (size_t i = (size_t)keep; i < n; i++)
			ret |= !!remove_dir(e[i].dir);
		if (n <= (size_t)keep)
			kt_info("nothing to remove (%zu cached kernel%s, keeping %d)", n, n == 1 ? "" : "s", keep);
		if (!kt_fmt(p, sizeof(p), "%s/kernels", root))
			remove_stale(p);
	}
	free(e);
	return ret;
}

int kt_kernel_cli(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (is_help(sub)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(sub, "build"))
		return cli_build(argc - 2, argv + 2);
	if (!strcmp(sub, "list"))
		return cli_list(argc - 2, argv + 2);
	if (!strcmp(sub, "path"))
		return cli_path(argc - 2, argv + 2);
	if (!strcmp(sub, "clean"))
		return cli_clean(argc - 2, argv + 2);
	return bad_usage("unknown subcommand \"%s\"", sub);
}
