/* Unit tests: host-only libraries opened at first use (util/dl.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "util/dl.h"
#include "util/util.h"
#include "unit.h"

static struct {
	int calls;
	char msg[512];
} seen;

__attribute__((format(printf, 2, 0))) static int capture(enum ktstr_print_level level, const char *fmt, va_list ap)
{
	seen.calls++;
	vsnprintf(seen.msg, sizeof(seen.msg), fmt, ap);
	return 0;
}

/* A symbol that is there binds; a missing library or symbol is -ENOENT
 * with one message that names it and the package, and no address left. */
UNIT_TEST(dl_bind_names_library_and_symbol)
{
	static const struct kt_dl_lib absent = { "libktstr-absent.so.9", "no-such-package" };
	void *ctx_new = NULL, *bogus = (void *)1;
	const struct kt_dl_sym good[] = { { "EVP_MD_CTX_new", &ctx_new } };
	const struct kt_dl_sym bad[] = { { "EVP_MD_CTX_new", &ctx_new }, { "kt_no_such_symbol", &bogus } };
	ktstr_print_fn prev = kt_set_print(capture);

	memset(&seen, 0, sizeof(seen));
	CHECK_EQ_INT(kt_dl_bind(&kt_dl_crypto, good, 1), 0);
	CHECK(ctx_new != NULL);
	CHECK_EQ_INT(seen.calls, 0);

	CHECK_EQ_INT(kt_dl_bind(&kt_dl_crypto, bad, 2), -ENOENT);
	CHECK(ctx_new == NULL && bogus == NULL);
	CHECK_EQ_INT(seen.calls, 1);
	CHECK(strstr(seen.msg, "libcrypto.so.3") && strstr(seen.msg, "kt_no_such_symbol") &&
	      strstr(seen.msg, "libssl3"));

	ctx_new = (void *)1;
	CHECK_EQ_INT(kt_dl_bind(&absent, good, 1), -ENOENT);
	CHECK(ctx_new == NULL);
	CHECK_EQ_INT(seen.calls, 2);
	CHECK(strstr(seen.msg, "libktstr-absent.so.9") && strstr(seen.msg, "no-such-package"));
	kt_set_print(prev);
}

/* The path the loader takes a library from: absolute, a file. */
UNIT_TEST(dl_path_is_the_loaded_file)
{
	static const struct kt_dl_lib absent = { "libktstr-absent.so.9", "no-such-package" };
	char path[PATH_MAX];

	CHECK_EQ_INT(kt_dl_path(&kt_dl_crypto, path, sizeof(path)), 0);
	CHECK(path[0] == '/' && strstr(path, "libcrypto.so.3") && kt_path_exists(path));
	CHECK_EQ_INT(kt_dl_path(&kt_dl_dw, path, sizeof(path)), 0);
	CHECK(strstr(path, "libdw.so.1") != NULL);
	CHECK_EQ_INT(kt_dl_path(&absent, path, sizeof(path)), -ENOENT);
	CHECK_EQ_INT(kt_dl_path(&kt_dl_crypto, path, 4), -ENOENT);
}
