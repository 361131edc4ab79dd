/* Reading sidecar directories and `ktstr stats --json` files. */
#include "report/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIDECAR_SUFFIX ".ktstr.json"
#define MAX_SIDECAR_BYTES (64u << 20)

static bool is_sidecar_name(const char *n)
{
	size_t l = strlen(n), s = strlen(SIDECAR_SUFFIX);

	return n[0] != '.' && l > s && !strcmp(n + l - s, SIDECAR_SUFFIX);
}

static int add_path(struct strlist *l, const char *dir, const char *name)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		return kt_err(ENAMETOOLONG, "%s/%s", dir, name);
	return kt_strlist_add(l, p) ? kt_err(ENOMEM, "%s", p) : 0;
}

/* Sidecar paths in dir (depth 0), and subdirectories (depth 1). */
static int scan(const char *dir, int depth, struct strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return depth ? 0 : kt_err(errno, "%s: cannot read the directory", dir);
	while (!ret && (e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p) || stat(p, &st))
			continue;
		if (S_ISREG(st.st_mode) && is_sidecar_name(e->d_name))
			ret = add_path(out, dir, e->d_name);
		else if (S_ISDIR(st.st_mode) && depth == 0)
			ret = scan(p, 1, out);
	}
	closedir(d);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *load_json(const char *path, char *err, size_t errlen)
{
	struct kbuf b = { 0 };
	json_error_t je;
	struct stat st;
	json_t *j;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (st.st_size > MAX_SIDECAR_BYTES) {
		snprintf(err, errlen, "larger than 64 MiB");
		return NULL;
	}
	if (kt_read_file(path, &b)) {
		snprintf(err, errlen, "cannot read it");
		return NULL;
	}
	j = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &je);
	kt_kbuf_free(&b);
	if (!j)
		snprintf(err, errlen, "not valid JSON: %s (line %d)", je.text, je.line);
	return j;
}

int kt_rep_docs_load(const char *dir, struct kr_docs *d)
{
	struct strlist paths = { 0 };
	struct stat st;
	int ret;

	memset(d, 0, sizeof(*d));
	if (stat(dir, &st))
		return kt_err(errno, "%s", dir);
	if (!S_ISDIR(st.st_mode)) {
		kt_err(ENOTDIR, "%s: give a directory of sidecars (written by --out DIR)", dir);
		return -ENOTDIR;
	}
	ret = scan(dir, 0, &paths);
	if (!ret && paths.n > 1)
		qsort(paths.v, paths.n, sizeof(*paths.v), cmp_str);
	if (!ret && paths.n && !(d->v = calloc(paths.n, sizeof(*d->v))))
		ret = kt_err(ENOMEM, "%s", dir);
	for (size_t i = 0; !ret && i < paths.n; i++) {
		char err[256];
		struct kr_row row;
		json_t *j = load_json(paths.v[i], err, sizeof(err));

		if (j && kt_rep_row_from_sidecar(j, &row, err, sizeof(err))) {
			json_decref(j);
			j = NULL;
		}
		if (!j) {
			kt_err(0, "%s: %s", paths.v[i], err);
			ret = -EBADMSG;
			break;
		}
		d->v[d->n].j = j;
		d->v[d->n].path = strdup(paths.v[i]);
		d->n++;
		if (!d->v[d->n - 1].path)
			ret = kt_err(ENOMEM, "%s", dir);
	}
	kt_strlist_free(&paths);
	if (ret)
		kt_rep_docs_free(d);
	return ret;
}

void kt_rep_docs_free(struct kr_docs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		json_decref(d->v[i].j);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int kt_rep_load_rows(const char *path, struct kr_set *out)
{
	struct stat st;
	char err[256];
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st))
		return kt_err(errno, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		struct kr_docs d;

		ret = kt_rep_docs_load(path, &d);
		for (size_t i = 0; !ret && i < d.n; i++) {
			struct kr_row row;

			kt_rep_row_from_sidecar(d.v[i].j, &row, err, sizeof(err)); /* validated by the load */
			ret = kt_rep_set_add(out, &row) ? kt_err(ENOMEM, "%s", path) : 0;
		}
		if (!ret && !d.n) {
			kt_err(0, "%s: no sidecars (*" SIDECAR_SUFFIX ") here or one level down; write them with --out DIR",
			       path);
			ret = -ENODATA;
		}
		kt_rep_docs_free(&d); /* safe after a failed load too */
	} else {
		json_t *j = load_json(path, err, sizeof(err));

		if (!j) {
			kt_err(0, "%s: %s", path, err);
			ret = -EBADMSG;
		} else if (kt_rep_rows_from_stats_json(j, out, err, sizeof(err))) {
			struct kr_row row;

			/* A single sidecar file is fine too. */
			if (!kt_rep_row_from_sidecar(j, &row, err, sizeof(err)))
				ret = kt_rep_set_add(out, &row) ? kt_err(ENOMEM, "%s", path) : 0;
			else {
				kt_err(0, "%s: neither a sidecar directory, a sidecar, nor `ktstr stats --json` output",
				       path);
				ret = -EBADMSG;
			}
		} else if (!out->n) {
			kt_err(0, "%s: no tests in this stats file", path);
			ret = -ENODATA;
		}
		json_decref(j);
	}
	if (ret)
		kt_rep_set_free(out);
	return ret;
}
