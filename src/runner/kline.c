/* "file:line" of a kernel function (runner/repro.h): its address from
 * the vmlinux symbol table (ksym.c, libelf), then the line table of the
 * compile unit holding it (libdw, Debian's libdw-dev; the kernel has
 * .debug_aranges, so dwarf_addrdie finds the unit without a scan).
 * libdw is opened at the first call (util/dl.h): only the host renders
 * auto-repro reports, so it stays out of the guest's image. */
#include "runner/repro.h"
#include "runner/ksym.h"
#include "util/dl.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	__typeof__(dwarf_begin) *begin;
	__typeof__(dwarf_end) *end;
	__typeof__(dwarf_addrdie) *addrdie;
	__typeof__(dwarf_getsrc_die) *getsrc_die;
	__typeof__(dwarf_linesrc) *linesrc;
	__typeof__(dwarf_lineno) *lineno;
	__typeof__(dwarf_attr) *attr;
	__typeof__(dwarf_formstring) *formstring;
} dw;
static int dw_ret;

static void dw_bind(void)
{
	const struct kt_dl_sym syms[] = {
		KT_DL_SYM(dw.begin, dwarf_begin),	    KT_DL_SYM(dw.end, dwarf_end),
		KT_DL_SYM(dw.addrdie, dwarf_addrdie),	    KT_DL_SYM(dw.getsrc_die, dwarf_getsrc_die),
		KT_DL_SYM(dw.linesrc, dwarf_linesrc),	    KT_DL_SYM(dw.lineno, dwarf_lineno),
		KT_DL_SYM(dw.attr, dwarf_attr),	    KT_DL_SYM(dw.formstring, dwarf_formstring),
	};

	dw_ret = kt_dl_bind(&kt_dl_dw, syms, ARRAY_SIZE(syms));
}

int kt_kline(const char *vmlinux, const char *func, char *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *names[1] = { func };
	uint64_t addr = 0;
	Dwarf_Die cu;
	Dwarf_Line *l;
	Dwarf *dbg;
	const char *file;
	int fd, line = 0, ret = -ENOENT;

	if (len)
		buf[0] = '\0';
	if (!vmlinux || kt_ksym_lookup(vmlinux, names, &addr, 1) != 1 || !addr)
		return -ENOENT;
	pthread_once(&once, dw_bind);
	if (dw_ret)
		return dw_ret;
	fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dbg = dw.begin(fd, DWARF_C_READ);
	if (dbg && dw.addrdie(dbg, addr, &cu) && (l = dw.getsrc_die(&cu, addr)) && (file = dw.linesrc(l, NULL, NULL)) &&
	    !dw.lineno(l, &line)) {
		Dwarf_Attribute at;
		const char *dir = dw.formstring(dw.attr(&cu, DW_AT_comp_dir, &at));
		size_t dl = dir ? strlen(dir) : 0;
		const char *k = strstr(file, "/linux-");

		/* The path inside the kernel tree, not the build host's. */
		if (dl && !strncmp(file, dir, dl) && file[dl] == '/')
			file += dl + 1;
		else if (k && strchr(k + 1, '/'))
			file = strchr(k + 1, '/') + 1;
		snprintf(buf, len, "%s:%d", file, line);
		ret = 0;
	}
	if (dbg)
		dw.end(dbg);
	close(fd);
	return ret;
}
