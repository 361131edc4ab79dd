/* "file:line" of a kernel function (runner/repro.h): its address from
 * the vmlinux symbol table (ksym.c, libelf), then the line table of the
 * compile unit holding it (libdw, Debian's libdw-dev; the kernel has
 * .debug_aranges, so dwarf_addrdie finds the unit without a scan). */
#include "runner/repro.h"
#include "runner/ksym.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int kt_kline(const char *vmlinux, const char *func, char *buf, size_t len)
{
	const char *names[1] = { func };
	uint64_t addr = 0;
	Dwarf_Die cu;
	Dwarf_Line *l;
	Dwarf *dw;
	const char *file;
	int fd, line = 0, ret = -ENOENT;

	if (len)
		buf[0] = '\0';
	if (!vmlinux || kt_ksym_lookup(vmlinux, names, &addr, 1) != 1 || !addr)
		return -ENOENT;
	fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (dw && dwarf_addrdie(dw, addr, &cu) && (l = dwarf_getsrc_die(&cu, addr)) &&
	    (file = dwarf_linesrc(l, NULL, NULL)) && !dwarf_lineno(l, &line)) {
		Dwarf_Attribute at;
		const char *dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &at));
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
	if (dw)
		dwarf_end(dw);
	close(fd);
	return ret;
}
