/* `ktstr shell --include-files`: host files and directories, placed at
 * the same absolute path in the guest (see shell.h).  The initramfs
 * builder adds each ELF's shared-library closure. */
#include "shell/shell.h"

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

void kt_shell_files_free(struct kt_shell_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].src);
		free(f->v[i].dst);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int add(struct kt_shell_files *f, const char *src, const char *dst)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].dst, dst + 1))
			return 0; /* given twice (or inside a given directory) */
	if (f->n >= MAX_FILES)
		return kt_err(E2BIG, "--include-files: more than %d files", MAX_FILES);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct kt_shell_file *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return kt_err(ENOMEM, "--include-files: add %s", src);
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].src = strdup(src);
	f->v[f->n].dst = strdup(dst + 1); /* archive paths have no leading '/' */
	if (!f->v[f->n].src || !f->v[f->n].dst) {
		free(f->v[f->n].src);
		free(f->v[f->n].dst);
		return kt_err(ENOMEM, "--include-files: add %s", src);
	}
	f->n++;
	return 0;
}

/* src is read from the host, dst (normalized, absolute) is its guest
 * path; directories recurse, regular files (or links to them) are
 * added, anything else is skipped with a note. */
static int walk(struct kt_shell_files *f, const char *src, const char *dst, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (stat(src, &st))
		return kt_err(errno, "--include-files: %s", src);
	if (S_ISREG(st.st_mode))
		return add(f, src, dst);
	if (!S_ISDIR(st.st_mode)) {
		kt_info("--include-files: %s is not a regular file or directory; skipped", src);
		return 0;
	}
	if (depth > MAX_DEPTH)
		return kt_err(ELOOP, "--include-files: %s: more than %d directory levels", src, MAX_DEPTH);
	d = opendir(src);
	if (!d)
		return kt_err(errno, "--include-files: open directory %s", src);
	while (!ret && (de = readdir(d))) {
		char s2[PATH_MAX], d2[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(s2, sizeof(s2), "%s/%s", src, de->d_name) >= (int)sizeof(s2) ||
		    snprintf(d2, sizeof(d2), "%s/%s", dst, de->d_name) >= (int)sizeof(d2)) {
			ret = kt_err(ENAMETOOLONG, "--include-files: path under %s", src);
			break;
		}
		ret = walk(f, s2, d2, depth + 1);
	}
	closedir(d);
	return ret;
}

int kt_shell_collect(const char *const *args, size_t n, struct kt_shell_files *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && !ret; i++) {
		const char *a = args[i];
		char abs[PATH_MAX], norm[PATH_MAX], cwd[PATH_MAX];

		if (!a || !*a) {
			fprintf(stderr, "ktstr: --include-files: empty path\n");
			ret = -EINVAL;
			break;
		}
		if (!strchr(a, '/') && !kt_path_exists(a)) {
			/* a bare name: the program in $PATH */
			if (kt_find_in_path(a, abs, sizeof(abs))) {
				fprintf(stderr, "ktstr: --include-files: '%s' is neither a file here nor a program in $PATH\n",
					a);
				ret = -ENOENT;
				break;
			}
		} else if (a[0] == '/') {
			snprintf(abs, sizeof(abs), "%s", a);
		} else if (!getcwd(cwd, sizeof(cwd)) ||
			   snprintf(abs, sizeof(abs), "%s/%s", cwd, a) >= (int)sizeof(abs)) {
			ret = kt_err(errno ? errno : ENAMETOOLONG, "--include-files: absolute path of %s", a);
			break;
		}
		if (kt_path_normalize(abs, norm, sizeof(norm))) {
			fprintf(stderr, "ktstr: --include-files: '%s' names the root directory; give files or "
					"directories below it\n", a);
			ret = -EINVAL;
			break;
		}
		if (!strncmp(norm, "/proc", 5) || !strncmp(norm, "/sys", 4) || !strncmp(norm, "/dev", 4)) {
			size_t l = strcspn(norm + 1, "/") + 1;

			if ((l == 5 && !strncmp(norm, "/proc", 5)) || (l == 4 && !strncmp(norm, "/sys", 4)) ||
			    (l == 4 && !strncmp(norm, "/dev", 4))) {
				fprintf(stderr, "ktstr: --include-files: %s is under %.*s, which the guest mounts over; "
						"copy it elsewhere first\n", norm, (int)l, norm);
				ret = -EINVAL;
				break;
			}
		}
		if (!strcmp(norm, "/init") || !strncmp(norm, "/sched/", 7)) {
			fprintf(stderr, "ktstr: --include-files: %s is where ktstr puts its own files; copy it "
					"elsewhere first\n", norm);
			ret = -EINVAL;
			break;
		}
		if (!kt_path_exists(abs)) {
			fprintf(stderr, "ktstr: --include-files: %s: %s\n", a, strerror(ENOENT));
			ret = -ENOENT;
			break;
		}
		ret = walk(out, abs, norm, 0);
	}
	if (ret)
		kt_shell_files_free(out);
	return ret;
}
