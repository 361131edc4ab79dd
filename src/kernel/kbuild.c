/* `ktstr kernel build`: resolve a source tree (Debian's linux-source-6.12
 * tarball, extracted once, or --source DIR), configure it out of tree with
 * kernel/ktstr.kconfig, verify the final .config, build bzImage, the
 * tools/sched_ext schedulers and our scx_ktstr (scxbuild.c), and publish
 * <cache>/kernels/<key>/ with a rename() so a half-built entry never looks valid.
 *
 * Layout under <cache> (kt_cache_root()):
 *   src/<srcid>/linux-source-6.12   extracted tarball (+ .ktstr-extracted)
 *   build/<srcid>/                  make O= dir, build.log, ktstr.kconfig
 *   build/<srcid>.lock              flock held while building
 *   kernels/<key>/                  bzImage vmlinux .config sched/ metadata.json */
#include "kernel/kb.h"

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

#define CONFIG_STAMP ".ktstr-config-stamp"
#define LOG_TAIL_LINES 20

static const char *const sched_names[] = { "scx_simple", "scx_qmap", "scx_central", "scx_flatcg" };

/* Regular copy (not a link): the kernel build rewrites bzImage and .config
 * in place, which would corrupt a hard-linked cache copy.  vmlinux is
 * relinked by ld into a new inode, so it may be shared. */
static int copy_file(const char *src, const char *dst)
{
	struct kbuf b = { 0 };
	struct stat st;
	int ret = kt_read_file(src, &b);

	if (ret)
		return kt_err(-ret, "read %s", src);
	ret = kt_write_file(dst, b.data, b.len);
	kt_kbuf_free(&b);
	if (ret)
		return kt_err(-ret, "write %s", dst);
	if (!stat(src, &st) && chmod(dst, st.st_mode & 07777))
		return kt_err(errno, "chmod %s", dst);
	return 0;
}

static void print_log_tail(const char *log)
{
	struct kbuf b = { 0 };
	size_t lines = 0, i;

	if (kt_read_file(log, &b) || !b.len) {
		kt_kbuf_free(&b);
		return;
	}
	for (i = b.len; i > 0; i--)
		if (b.data[i - 1] == '\n' && i != b.len && ++lines == LOG_TAIL_LINES)
			break;
	fprintf(stderr, "ktstr: last lines of %s:\n", log);
	for (char *p = b.data + i, *nl; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		fprintf(stderr, "  | %.*s\n", (int)(nl - p), p);
		if (!*nl)
			break;
	}
	kt_kbuf_free(&b);
}

/* Run a make step with its output appended to the build log. */
static int run_step(struct kb *b, char *const argv[], const char *cwd, const char *what)
{
	FILE *f = fopen(b->log, "a");
	int rc;

	if (f) {
		fprintf(f, "==== ktstr: %s:", what);
		for (int i = 0; argv[i]; i++)
			fprintf(f, " %s", argv[i]);
		fputc('\n', f);
		fclose(f);
	}
	rc = kt_run_cmd(argv, cwd, b->log);
	if (rc < 0)
		return kt_err(-rc, "%s: run %s", what, argv[0]);
	if (rc > 0) {
		kt_err(0, "%s failed (%s exit status %d); log: %s", what, argv[0], rc, b->log);
		print_log_tail(b->log);
		return -EIO;
	}
	return 0;
}

static int verify_config(struct kb *b, bool quiet)
{
	struct strlist missing = { 0 };
	struct kbuf cfg = { 0 };
	char p[KT_PATH];
	int ret = kb_pathf(p, "%s/.config", b->out);

	if (ret)
		return ret;
	if ((ret = kt_read_file(p, &cfg)))
		return quiet ? ret : kt_err(-ret, "read %s", p);
	ret = kt_kconfig_check(cfg.data, ktstr_kconfig_fragment, &missing);
	kt_kbuf_free(&cfg);
	if (ret == -ENOENT && !quiet) {
		fprintf(stderr, "ktstr: kernel config %s lacks %zu option(s) kernel/ktstr.kconfig asks for "
				"(their dependencies are probably not enabled):", p, missing.n);
		for (size_t i = 0; i < missing.n; i++)
			fprintf(stderr, "%s %s", i ? "," : "", missing.v[i]);
		fputc('\n', stderr);
	} else if (ret && !quiet) {
		kt_err(-ret, "check %s", p);
	}
	kt_strlist_free(&missing);
	return ret;
}

static int configure(struct kb *b)
{
	char frag[KT_PATH], stamp[KT_PATH], have[65] = "", odir[KT_PATH + 2], merge[KT_PATH], cfg[KT_PATH];
	char *noconf[] = { "make", "-C", b->src, odir, "allnoconfig", NULL };
	char *merg[] = { merge, "-m", "-O", b->out, cfg, frag, NULL };
	char *olddef[] = { "make", "-C", b->src, odir, "olddefconfig", NULL };
	int ret;

	if ((ret = kb_pathf(frag, "%s/ktstr.kconfig", b->out)) ||
	    (ret = kb_pathf(stamp, "%s/%s", b->out, CONFIG_STAMP)) ||
	    (ret = kb_pathf(merge, "%s/scripts/kconfig/merge_config.sh", b->src)) ||
	    (ret = kb_pathf(cfg, "%s/.config", b->out)))
		return ret;
	snprintf(odir, sizeof(odir), "O=%s", b->out);
	if (!kt_read_file_str(stamp, have, sizeof(have)) && !strcmp(have, b->frag_sha) &&
	    !verify_config(b, true)) {
		kt_debug("%s is configured for this fragment already", b->out);
		return 0;
	}
	unlink(stamp);
	if ((ret = kt_write_file(frag, ktstr_kconfig_fragment, strlen(ktstr_kconfig_fragment))))
		return kt_err(-ret, "write %s", frag);
	kt_info("configuring %s (allnoconfig + kernel/ktstr.kconfig + olddefconfig)", b->out);
	if ((ret = run_step(b, noconf, NULL, "make allnoconfig")) ||
	    (ret = run_step(b, merg, b->src, "merge_config.sh")) ||
	    (ret = run_step(b, olddef, NULL, "make olddefconfig")))
		return ret;
	if ((ret = verify_config(b, false)))
		return ret;
	if ((ret = kt_write_file(stamp, b->frag_sha, strlen(b->frag_sha))))
		return kt_err(-ret, "write %s", stamp);
	return 0;
}

/* tools/sched_ext: libbpf, bpftool, vmlinux.h and the example schedulers,
 * into $O/build/{bin,sbin}.  Failure only costs the schedulers. */
static bool build_schedulers(struct kb *b)
{
	static const char *const tools[][2] = {
		{ "clang-19", "clang-19" }, { "ld.lld-19", "lld-19" }, { "llvm-strip-19", "llvm-19" },
	};
	char dir[KT_PATH], odir[KT_PATH + 2], jobs[16], tool[KT_PATH];
	char *argv[] = { "make", "-C", dir, "LLVM=-19", odir, jobs, NULL };
	uint64_t t0 = kt_now_ns();

	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		if (kt_find_in_path(tools[i][0], tool, sizeof(tool))) {
			kt_info("warning: %s not found: sched_ext schedulers not built "
				"(apt-get install clang-19 lld-19 llvm-19)", tools[i][0]);
			return false;
		}
	}
	if (kb_pathf(dir, "%s/tools/sched_ext", b->src))
		return false;
	snprintf(odir, sizeof(odir), "O=%s", b->out);
	snprintf(jobs, sizeof(jobs), "-j%d", b->jobs);
	kt_info("building tools/sched_ext schedulers (log: %s)", b->log);
	if (run_step(b, argv, NULL, "make tools/sched_ext")) {
		kt_info("warning: sched_ext schedulers not built; the kernel is cached without them");
		return false;
	}
	kt_info("schedulers built in %.1f s", (kt_now_ns() - t0) / 1e9);
	return true;
}

static int write_metadata(struct kb *b, const char *dir, const struct strlist *scheds,
			  bool bpftool, double secs)
{
	char p[KT_PATH], when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *j, *arr = json_array();
	int ret = kb_pathf(p, "%s/metadata.json", dir);

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; arr && i < scheds->n; i++)
		json_array_append_new(arr, json_string(scheds->v[i]));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:f, s:o*, s:b, s:b}", "key", b->key,
		      "version", b->version, "source", b->origin, "srcid", b->srcid,
		      "fragment_sha256", b->frag_sha,
		      "ktstr_fixes", b->deb && ktstr_kernel_patch[0], "format", KTSTR_KCACHE_FORMAT, "built_at", when,
		      "build_seconds", (double)(long)(secs * 10) / 10, "schedulers", arr,
		      "schedulers_missing", scheds->n < ARRAY_SIZE(sched_names), "bpftool", bpftool);
	if (!j || !arr)
		ret = kt_err(ENOMEM, "metadata for %s", b->key);
	else if (!ret && json_dump_file(j, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)))
		ret = kt_err(EIO, "write %s", p);
	json_decref(j);
	return ret;
}

/* Assemble the entry in a temp dir, then rename() it into place. */
static int publish(struct kb *b, const char *entry, bool with_sched, uint64_t t0)
{
	char tmp[KT_PATH], s[KT_PATH], d[KT_PATH], old[KT_PATH];
	struct strlist scheds = { 0 };
	bool bpftool = false;
	int ret;

	if ((ret = kb_pathf(tmp, "%s/kernels/.tmp-%s-%d", b->root, b->key, (int)getpid())) ||
	    (ret = kb_pathf(old, "%s/kernels/.old-%s-%d", b->root, b->key, (int)getpid())) ||
	    (ret = kb_pathf(s, "%s/arch/x86/boot/bzImage", b->out)))
		return ret;
	if ((ret = kt_kernel_check_bzimage(s)))
		return ret;
	kt_rm_rf(tmp);
	if ((ret = kt_mkdir_p(tmp, 0755)) || (ret = kb_pathf(d, "%s/sched", tmp)) || (ret = kt_mkdir_p(d, 0755)))
		return kt_err(-ret, "mkdir %s", d);
	if ((ret = kb_pathf(d, "%s/bzImage", tmp)) || (ret = copy_file(s, d)) ||
	    (ret = kb_pathf(s, "%s/.config", b->out)) || (ret = kb_pathf(d, "%s/.config", tmp)) ||
	    (ret = copy_file(s, d)) || (ret = kb_pathf(s, "%s/vmlinux", b->out)) ||
	    (ret = kb_pathf(d, "%s/vmlinux", tmp)))
		goto fail;
	if ((ret = kt_copy_or_link(s, d))) {
		kt_err(-ret, "link or copy %s to %s", s, d);
		goto fail;
	}
	for (size_t i = 0; with_sched && i < ARRAY_SIZE(sched_names); i++) {
		if ((ret = kb_pathf(s, "%s/build/bin/%s", b->out, sched_names[i])) ||
		    (ret = kb_pathf(d, "%s/sched/%s", tmp, sched_names[i])))
			goto fail;
		if (!kt_is_executable(s))
			continue;
		if ((ret = copy_file(s, d)) || (ret = kt_strlist_add(&scheds, sched_names[i])))
			goto fail;
	}
	if (with_sched && !kb_pathf(s, "%s/build/sbin/bpftool", b->out) && kt_is_executable(s) &&
	    !kb_pathf(d, "%s/sched/bpftool", tmp)) {
		if ((ret = copy_file(s, d)))
			goto fail;
		bpftool = true;
	}
	if (with_sched && scheds.n < ARRAY_SIZE(sched_names))
		kt_info("warning: only %zu of %zu schedulers were built", scheds.n, ARRAY_SIZE(sched_names));
	if (with_sched && !kb_pathf(d, "%s/sched", tmp))
		kt_scx_ktstr_install(b->out, d); /* a failure warns; the entry stays valid */
	if ((ret = write_metadata(b, tmp, &scheds, bpftool, (kt_now_ns() - t0) / 1e9)))
		goto fail;
	if (kt_path_exists(entry) && rename(entry, old)) {
		ret = kt_err(errno, "rename %s to %s", entry, old);
		goto fail;
	}
	if (rename(tmp, entry)) {
		ret = kt_err(errno, "rename %s to %s", tmp, entry);
		goto fail;
	}
	kt_rm_rf(old);
	kt_strlist_free(&scheds);
	return 0;
fail:
	kt_strlist_free(&scheds);
	kt_rm_rf(tmp);
	return ret ? ret : -EIO;
}

static int lock_build(struct kb *b)
{
	char p[KT_PATH];
	int fd, ret;

	if ((ret = kb_pathf(p, "%s/build", b->root)))
		return ret;
	if ((ret = kt_mkdir_p(p, 0755)))
		return kt_err(-ret, "mkdir %s", p);
	if ((ret = kb_pathf(p, "%s/build/%s.lock", b->root, b->srcid)))
		return ret;
	fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kt_err(errno, "open %s", p);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		kt_info("waiting for another ktstr building %s (%s)", b->srcid, p);
		if (flock(fd, LOCK_EX)) {
			ret = kt_err(errno, "lock %s", p);
			close(fd);
			return ret;
		}
	}
	return fd;
}

static bool entry_valid(const char *entry)
{
	char p[KT_PATH];

	return !kb_pathf(p, "%s/metadata.json", entry) && kt_path_exists(p) &&
	       !kb_pathf(p, "%s/bzImage", entry) && kt_path_exists(p);
}

static bool meta_is(json_t *j, const char *field, const char *want)
{
	const char *v = json_string_value(json_object_get(j, field));

	return v && !strcmp(v, want);
}

/* Tarball sources are immutable per srcid, so while the tarball is not
 * extracted (yet, or any more) a hit can be found by its metadata alone.
 * Fills b->key, b->version and entry; 0 if found. */
static int find_deb_hit(struct kb *b, char *entry)
{
	char dir[KT_PATH], marker[KT_PATH], p[KT_PATH];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	if (kb_pathf(marker, "%s/%s", b->xdir, EXTRACT_MARKER) || kt_path_exists(marker) ||
	    kb_pathf(dir, "%s/kernels", b->root) || !(d = opendir(dir)))
		return -ENOENT;
	while (ret && (de = readdir(d))) {
		json_t *j;

		if (de->d_name[0] == '.' || kb_pathf(p, "%s/%s/metadata.json", dir, de->d_name))
			continue;
		j = json_load_file(p, 0, NULL);
		if (j && meta_is(j, "srcid", b->srcid) && meta_is(j, "fragment_sha256", b->frag_sha) &&
		    meta_is(j, "format", KTSTR_KCACHE_FORMAT) && meta_is(j, "key", de->d_name) &&
		    !kb_pathf(entry, "%s/%s", dir, de->d_name)) {
			snprintf(b->key, sizeof(b->key), "%.127s", de->d_name);
			snprintf(b->version, sizeof(b->version), "%s",
				 json_string_value(json_object_get(j, "version")) ?: "");
			ret = 0;
		}
		json_decref(j);
	}
	closedir(d);
	return ret;
}

static int build_locked(struct kb *b, struct kernel_info *out, uint64_t t0)
{
	char entry[KT_PATH], p[KT_PATH], mk_o[KT_PATH + 2], jobs[16];
	char *mk[] = { "make", "-C", b->src, mk_o, jobs, "bzImage", NULL };
	bool sched = false;
	uint64_t t1;
	int ret;

	if (!b->deb || b->o->force || find_deb_hit(b, entry) || !entry_valid(entry)) {
		if (b->deb && (ret = kb_ensure_extracted(b)))
			return ret;
		if ((ret = kb_read_version(b)))
			return ret;
		ret = kt_kernel_cache_key(b->version, b->srcid, ktstr_kconfig_fragment, b->key, sizeof(b->key));
		if (ret)
			return kt_err(-ret, "cache key for %s", b->srcid);
		if ((ret = kb_pathf(entry, "%s/kernels/%s", b->root, b->key)))
			return ret;
	}
	if (!b->o->force && entry_valid(entry)) {
		kt_info("kernel %s is cached: %s", b->key, entry);
		ret = kt_kernel_info_from_entry(entry, out);
		if (!ret && out->sched_dir[0] && !b->o->no_schedulers)
			kt_kernel_scx_ktstr(out, NULL, 0); /* rebuilt if scx-ktstr's sources changed */
		return ret;
	}
	if ((ret = kb_pathf(b->out, "%s/build/%s", b->root, b->srcid)) ||
	    (ret = kb_pathf(b->log, "%s/build.log", b->out)))
		return ret;
	if ((ret = kt_mkdir_p(b->out, 0755)))
		return kt_err(-ret, "mkdir %s", b->out);
	if ((ret = kb_pathf(p, "%s/kernels", b->root)))
		return ret;
	if ((ret = kt_mkdir_p(p, 0755)))
		return kt_err(-ret, "mkdir %s", p);
	if ((ret = kt_write_file(b->log, "", 0)))
		return kt_err(-ret, "truncate %s", b->log);
	if ((ret = configure(b)))
		return ret;
	snprintf(mk_o, sizeof(mk_o), "O=%s", b->out);
	snprintf(jobs, sizeof(jobs), "-j%d", b->jobs);
	kt_info("building bzImage %s with make %s (log: %s)", b->version, jobs, b->log);
	t1 = kt_now_ns();
	if ((ret = run_step(b, mk, NULL, "make bzImage")))
		return ret;
	kt_info("bzImage built in %.1f s", (kt_now_ns() - t1) / 1e9);
	if (!b->o->no_schedulers)
		sched = build_schedulers(b);
	if ((ret = publish(b, entry, sched, t0)))
		return ret;
	kt_info("kernel %s cached in %s (%.1f s)", b->key, entry, (kt_now_ns() - t0) / 1e9);
	return kt_kernel_info_from_entry(entry, out);
}

int kt_kernel_build(const struct kernel_build_opts *o, struct kernel_info *out)
{
	struct kb *b = calloc(1, sizeof(*b));
	uint64_t t0 = kt_now_ns();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret, lockfd;

	if (!b)
		return kt_err(ENOMEM, "kernel build state");
	memset(out, 0, sizeof(*out));
	b->o = o;
	b->jobs = o->jobs > 0 ? o->jobs : (int)(ncpu > 0 ? ncpu : 1) + 1;
	kb_sha256_hex(ktstr_kconfig_fragment, b->frag_sha);
	if ((ret = kt_cache_root(b->root, sizeof(b->root)))) {
		kt_err(-ret, "cache root");
		goto out;
	}
	if ((ret = o->source ? kb_resolve_dir(b, o->source) : kb_resolve_deb(b)))
		goto out;
	lockfd = lock_build(b);
	if (lockfd < 0) {
		ret = lockfd;
		goto out;
	}
	ret = build_locked(b, out, t0);
	close(lockfd);
out:
	free(b);
	return ret;
}
