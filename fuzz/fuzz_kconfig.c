/* Fuzz target: the kernel .config reader and the other pure readers of
 * src/kernel/kconfig.c, which take a cached or user-given kernel's files
 * (.config, the top-level Makefile, the first bytes of a bzImage).
 *
 * Input: the text, cut at its first NUL: before it the .config, after it
 * (at most 1 KiB) a fragment to check it against.
 * Oracles: kt_kconfig_check() against the built-in fragment and the
 * fuzzed one returns 0 or -ENOENT, and reports a line for each option
 * that does not hold; for each of the first 16 options of the fuzzed
 * fragment, checking
 * that one line agrees with kt_kconfig_get() (the option holds iff its
 * value there is the wanted one, "" standing for "n" and "is not set");
 * values and versions are terminated within their buffers.  The time
 * limit catches work that grows faster than config x fragment. */
#include "fuzz.h"
#include "kernel/kernel.h"

#include <errno.h>

#define FRAG_MAX 1024 /* the check is config x fragment by design */
#define LINES_MAX 16

static void check_line(const char *config, const char *line, size_t len)
{
	char frag[512], name[256], want[256], have[256];
	const char *eq;
	struct strlist missing = { 0 };
	int ret;
	bool unset;

	/* Only the plain forms: "CONFIG_X=v" and "# CONFIG_X is not set". */
	if (len >= sizeof(frag) || len < 8)
		return;
	memcpy(frag, line, len);
	frag[len] = '\0';
	if (!strncmp(frag, "CONFIG_", 7) && (eq = strchr(frag, '=')) && eq - frag > 7 &&
	    !strpbrk(frag, " \t\r#")) {
		snprintf(name, sizeof(name), "%.*s", (int)(eq - frag), frag);
		snprintf(want, sizeof(want), "%s", eq + 1);
		unset = !strcmp(want, "n");
	} else if (len > 21 && !strncmp(frag, "# CONFIG_", 9) && !strcmp(frag + len - 11, " is not set")) {
		snprintf(name, sizeof(name), "%.*s", (int)(len - 13), frag + 2);
		if (strpbrk(name, "= \t\r"))
			return;
		want[0] = '\0';
		unset = true;
	} else {
		return;
	}
	if (strlen(name) > 200)
		return;
	kt_kconfig_get(config, name, have, sizeof(have));
	FZ_CHECK(memchr(have, '\0', sizeof(have)), "value unterminated");
	ret = kt_kconfig_check(config, frag, &missing);
	if (strlen(want) >= sizeof(have) - 1) {
		kt_strlist_free(&missing);
		return; /* longer than a value can be read back */
	}
	FZ_CHECK(ret == ((unset ? !have[0] : !strcmp(have, want)) ? 0 : -ENOENT),
		 "check of '%s' gives %d, get gives '%s'", frag, ret, have);
	FZ_CHECK(missing.n == (ret ? 1u : 0u), "%zu missing for one line", missing.n);
	kt_strlist_free(&missing);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t clen = nul ? (size_t)(nul - data) : size, flen = nul ? size - clen - 1 : 0;
	char *config = fz_dup(data, clen, true), *frag, ver[64], v[64];
	struct strlist missing = { 0 };
	unsigned lines = 0;
	int ret;

	if (flen > FRAG_MAX)
		flen = FRAG_MAX;
	frag = fz_dup(nul ? nul + 1 : data, flen, true);

	ret = kt_kconfig_check(config, ktstr_kconfig_fragment, &missing);
	FZ_CHECK(ret == 0 || ret == -ENOENT, "check: %d", ret);
	FZ_CHECK((ret == 0) == (missing.n == 0), "check %d with %zu missing", ret, missing.n);
	kt_strlist_free(&missing);

	ret = kt_kconfig_check(config, frag, &missing);
	FZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL, "check of the fuzzed fragment: %d", ret);
	kt_strlist_free(&missing);
	for (const char *p = frag; *p && lines++ < LINES_MAX;) {
		const char *e = strchrnul(p, '\n');

		check_line(config, p, (size_t)(e - p));
		p = *e ? e + 1 : e;
	}

	kt_kconfig_get(config, "SCHED_CLASS_EXT", v, sizeof(v));
	FZ_CHECK(memchr(v, '\0', sizeof(v)), "value unterminated");
	kt_kconfig_get(config, frag, v, 1 + (size_t)(clen % sizeof(v)));
	ret = kt_kernel_makefile_version(config, ver, sizeof(ver));
	FZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENAMETOOLONG, "makefile version: %d", ret);
	if (!ret)
		FZ_CHECK(memchr(ver, '\0', sizeof(ver)) && ver[0], "version '%s'", ver);
	kt_kernel_is_bzimage(data, size);
	free(frag);
	free(config);
	return 0;
}
