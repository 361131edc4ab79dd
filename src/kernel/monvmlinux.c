/* A monitor-only copy of a kernel's vmlinux: the same ELF without its
 * DWARF (objcopy --strip-debug), which keeps what the host monitor reads
 * — the symbol table, .BTF and the allocated sections (linux_banner) —
 * at about a sixth of the size (169 -> 26 MB for the ktstr config).  The
 * nested rig ships it into its L1 so the monitor runs there beside our
 * own VMM.  Cached under <cache>/monitor-vmlinux, keyed by the source
 * file's path, size and modification time (kt_strip_debug_cached). */
#include "kernel/kernel.h"

#include <errno.h>
#include <limits.h>

int kt_kernel_monitor_vmlinux(const char *vmlinux, char *out, size_t len)
{
	char objcopy[PATH_MAX];

	if (!vmlinux || !*vmlinux)
		return kt_err(ENOENT, "monitor vmlinux: the kernel has no vmlinux next to its image");
	if (kt_find_in_path("objcopy", objcopy, sizeof(objcopy)))
		return kt_err(ENOENT, "monitor vmlinux: objcopy not found (install binutils)");
	return kt_strip_debug_cached(objcopy, vmlinux, "monitor-vmlinux", false, out, len);
}
