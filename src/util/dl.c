/* Host-only libraries opened at first use (util/dl.h). */
#include "util/dl.h"
#include "util/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>

const struct kt_dl_lib kt_dl_crypto = { "libcrypto.so.3", "libssl3" };
const struct kt_dl_lib kt_dl_dw = { "libdw.so.1", "libdw1" };

int kt_dl_bind(const struct kt_dl_lib *lib, const struct kt_dl_sym *syms, size_t n)
{
	/* RTLD_NOW: a missing symbol is found here, not at some later call. */
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	const char *why;
	size_t i;

	for (i = 0; i < n; i++)
		*syms[i].addr = NULL;
	if (!h) {
		why = dlerror();
		return kt_err(0, "%s: cannot load it (%s); install %s", lib->soname, why ? why : "dlopen failed",
			      lib->package), -ENOENT;
	}
	for (i = 0; i < n; i++) {
		dlerror();
		*syms[i].addr = dlsym(h, syms[i].name);
		if (!*syms[i].addr)
			break;
	}
	if (i == n)
		return 0;
	why = dlerror();
	kt_err(0, "%s: no symbol %s (%s); install the %s that ktstr was built against", lib->soname,
	       syms[i].name, why ? why : "NULL", lib->package);
	for (i = 0; i < n; i++)
		*syms[i].addr = NULL;
	dlclose(h);
	return -ENOENT;
}

int kt_dl_path(const struct kt_dl_lib *lib, char *buf, size_t len)
{
	void *h = dlopen(lib->soname, RTLD_LAZY | RTLD_LOCAL);
	struct link_map *lm = NULL;
	int ret = -ENOENT;

	if (!h)
		return -ENOENT;
	if (!dlinfo(h, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name && lm->l_name[0] == '/')
		ret = kt_fmt(buf, len, "%s", lm->l_name) ? -ENOENT : 0;
	dlclose(h);
	return ret;
}
