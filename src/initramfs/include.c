/* Host files and directories placed at the same absolute path in the
 * guest: `ktstr shell --include-files` and the payloads' binaries and
 * .include files (initramfs.h).  The initramfs builder adds each ELF's
 * shared-library closure. */
#include "initramfs/initramfs.h"
#include "proto/shell_args.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 20000
#define MAX_DEPTH 32

void kt_include_files_free(struct kt_include_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].src);
		free(f->v[i].dst);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int add(struct kt_include_files *f, const char *what, const char *src, const char *dst)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].dst, dst + 1))
			return 0; /* given twice (or inside a given directory) */
	if (f->n >= MAX_FILES)
		return kt_err(E2BIG, "%s: more than %d files", what, MAX_FILES);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct kt_include_file *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return kt_err(ENOMEM, "%s: add %s", what, src);
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].src = strdup(src);
	f->v[f->n].dst = strdup(dst + 1); /* archive paths have no leading '/' */
	if (!f->v[f->n].src || !f->v[f->n].dst) {
		free(f->v[f->n].src);
		free(f->v[f->n].dst);
		return kt_err(ENOMEM, "%s: add %s", what, src);
	}
	f->n++;
	return 0;
}

/* src is read from the host, dst (normalized, absolute) is its guest
 * path; directories recurse, regular files (or links to them) are
 * added, anything else is skipped with a note. */
static int walk(struct kt_include_files *f, const char *what, const char *src, const char *dst, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (stat(src, &st))
		return kt_err(errno, "%s: %s", what, src);
	if (S_ISREG(st.st_mode))
		return add(f, what, src, dst);
	if (!S_ISDIR(st.st_mode)) {
		kt_info("%s: %s is not a regular file or directory; skipped", what, src);
		return 0;
	}
	if (depth > MAX_DEPTH)
		return kt_err(ELOOP, "%s: %s: more than %d directory levels", what, src, MAX_DEPTH);
	d = opendir(src);
	if (!d)
		return kt_err(errno, "%s: open directory %s", what, src);
	while (!ret && (de = readdir(d))) {
		char s2[PATH_MAX], d2[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(s2, sizeof(s2), "%s/%s", src, de->d_name) >= (int)sizeof(s2) ||
		    snprintf(d2, sizeof(d2), "%s/%s", dst, de->d_name) >= (int)sizeof(d2)) {
			ret = kt_err(ENAMETOOLONG, "%s: path under %s", what, src);
			break;
		}
		ret = walk(f, what, s2, d2, depth + 1);
	}
	closedir(d);
	return ret;
}

int kt_include_collect(const char *what, const char *const *args, size_t n, struct kt_include_files *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && !ret; i++) {
		const char *a = args[i];
		char abs[PATH_MAX], norm[PATH_MAX], cwd[PATH_MAX];

		if (!a || !*a) {
			fprintf(stderr, "ktstr: %s: empty path\n", what);
			ret = -EINVAL;
			break;
		}
		if (!strchr(a, '/') && !kt_path_exists(a)) {
			/* a bare name: the program in $PATH */
			if (kt_find_in_path(a, abs, sizeof(abs))) {
				fprintf(stderr, "ktstr: %s: '%s' is neither a file here nor a program in $PATH\n",
					what, a);
				ret = -ENOENT;
				break;
			}
		} else if (a[0] == '/') {
			snprintf(abs, sizeof(abs), "%s", a);
		} else if (!getcwd(cwd, sizeof(cwd)) ||
			   snprintf(abs, sizeof(abs), "%s/%s", cwd, a) >= (int)sizeof(abs)) {
			ret = kt_err(errno ? errno : ENAMETOOLONG, "%s: absolute path of %s", what, a);
			break;
		}
		if (kt_path_normalize(abs, norm, sizeof(norm))) {
			fprintf(stderr, "ktstr: %s: '%s' names the root directory; give files or "
					"directories below it\n", what, a);
			ret = -EINVAL;
			break;
		}
		if (!strncmp(norm, "/proc", 5) || !strncmp(norm, "/sys", 4) || !strncmp(norm, "/dev", 4)) {
			size_t l = strcspn(norm + 1, "/") + 1;

			if ((l == 5 && !strncmp(norm, "/proc", 5)) || (l == 4 && !strncmp(norm, "/sys", 4)) ||
			    (l == 4 && !strncmp(norm, "/dev", 4))) {
				fprintf(stderr, "ktstr: %s: %s is under %.*s, which the guest mounts over; "
						"copy it elsewhere first\n", what, norm, (int)l, norm);
				ret = -EINVAL;
				break;
			}
		}
		if (!strcmp(norm, "/init") || !strncmp(norm, "/sched/", 7) || !strncmp(norm, "/payload/", 9)) {
			fprintf(stderr, "ktstr: %s: %s is where ktstr puts its own files; copy it "
					"elsewhere first\n", what, norm);
			ret = -EINVAL;
			break;
		}
		if (!kt_path_exists(abs)) {
			fprintf(stderr, "ktstr: %s: %s: %s\n", what, a, strerror(ENOENT));
			ret = -ENOENT;
			break;
		}
		ret = walk(out, what, abs, norm, 0);
	}
	if (ret)
		kt_include_files_free(out);
	return ret;
}
