/* Payload binaries and files resolved on the host (runner/payload_host.h). */
#include "runner/payload_host.h"
#include "model/payload.h"
#include "proto/shell_args.h"
#include <ktstr/scenario.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAYLOADS 64 /* distinct payloads of one test */

void kt_payload_pack_free(struct kt_payload_pack *p)
{
	kt_include_files_free(&p->files);
	kt_strlist_free(&p->strs);
	free(p->links);
	memset(p, 0, sizeof(*p));
}

/* The binary's absolute, normalized host path into out. */
static int resolve_binary(const struct ktstr_test *t, const struct ktstr_payload *p, char *out, size_t len)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	const char *pkg = kt_payload_package(p);

	if (!strchr(p->binary, '/')) {
		if (!kt_find_in_path(p->binary, abs, sizeof(abs)))
			return kt_path_normalize(abs, out, len) ? -EINVAL : 0;
		if (pkg)
			fprintf(stderr, "ktstr: test %s: payload %s: '%s' not found in $PATH; it comes with the Debian "
					"package %s (apt-get install %s)\n", t->name, p->name, p->binary, pkg, pkg);
		else
			fprintf(stderr, "ktstr: test %s: payload %s: '%s' not found in $PATH, and ktstr knows no package "
					"that provides it; build it and give its path in .binary\n",
				t->name, p->name, p->binary);
		return -EINVAL;
	}
	if (p->binary[0] == '/')
		snprintf(abs, sizeof(abs), "%s", p->binary);
	else if (!getcwd(cwd, sizeof(cwd)) || snprintf(abs, sizeof(abs), "%s/%s", cwd, p->binary) >= (int)sizeof(abs))
		return fprintf(stderr, "ktstr: test %s: payload %s: absolute path of %s: %s\n", t->name, p->name,
			       p->binary, strerror(errno ? errno : ENAMETOOLONG)), -EINVAL;
	if (!kt_is_executable(abs)) {
		fprintf(stderr, "ktstr: test %s: payload %s: %s is missing or not executable%s%s%s\n", t->name, p->name,
			abs, pkg ? " (Debian package " : "", pkg ? pkg : "", pkg ? ")" : "");
		return -EINVAL;
	}
	if (kt_path_normalize(abs, out, len))
		return fprintf(stderr, "ktstr: test %s: payload %s: bad path %s\n", t->name, p->name, abs), -EINVAL;
	return 0;
}

/* Every argument for kt_include_collect: the binaries, then the files. */
static int gather(const struct ktstr_test *t, const struct ktstr_payload *const *pl, size_t n,
		  struct kt_payload_pack *out, struct strlist *args)
{
	char err[256], bin[PATH_MAX];
	int ret;

	out->links = calloc(n, sizeof(*out->links));
	if (!out->links)
		return kt_err(ENOMEM, "test %s: payload list", t->name);
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_payload *p = pl[i];

		if (ktstr_payload_validate(p, err, sizeof(err))) {
			fprintf(stderr, "ktstr: test %s: payload %s: %s\n", t->name, p && p->name ? p->name : "?", err);
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(pl[k]->name, p->name)) {
				fprintf(stderr, "ktstr: test %s: two payloads are called %s\n", t->name, p->name);
				return -EINVAL;
			}
		ret = resolve_binary(t, p, bin, sizeof(bin));
		if (ret)
			return ret;
		snprintf(err, sizeof(err), "payload/%s", p->name);
		if (kt_strlist_add(args, bin) || kt_strlist_add(&out->strs, bin) || kt_strlist_add(&out->strs, err))
			return kt_err(ENOMEM, "test %s: payload %s", t->name, p->name);
		out->links[i].target = out->strs.v[2 * i];
		out->links[i].dst = out->strs.v[2 * i + 1];
		out->nlinks++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < KTSTR_PAYLOAD_MAX_INCLUDE && pl[i]->include[k]; k++)
			if (kt_strlist_add(args, pl[i]->include[k]))
				return kt_err(ENOMEM, "test %s: payload %s", t->name, pl[i]->name);
	return 0;
}

int kt_payload_pack(const struct ktstr_test *t, struct kt_payload_pack *out)
{
	const struct ktstr_payload *pl[MAX_PAYLOADS];
	struct strlist args = { 0 };
	size_t n = kt_scenario_payloads(t, pl, MAX_PAYLOADS);
	char what[160];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!n)
		return 0;
	if (n > MAX_PAYLOADS)
		return fprintf(stderr, "ktstr: test %s: more than %d payloads\n", t->name, MAX_PAYLOADS), -EINVAL;
	if (t->nested)
		return fprintf(stderr, "ktstr: test %s: payloads do not run in a nested rig's L2\n", t->name), -EINVAL;
	ret = gather(t, pl, n, out, &args);
	snprintf(what, sizeof(what), "test %s: payload files", t->name);
	if (!ret)
		ret = kt_include_collect(what, (const char *const *)args.v, args.n, &out->files) ? -EINVAL : 0;
	kt_strlist_free(&args);
	if (ret)
		kt_payload_pack_free(out);
	return ret;
}

int kt_payload_check_cases(const struct kt_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct kt_payload_pack p;
		bool seen = false;
		int ret;

		for (size_t k = 0; k < i && !seen; k++)
			seen = cases[k].t == cases[i].t;
		if (seen)
			continue;
		ret = kt_payload_pack(cases[i].t, &p);
		kt_payload_pack_free(&p);
		if (ret)
			return ret;
	}
	return 0;
}
