/* A monitor-only copy of a kernel's vmlinux: the same ELF without its
 * DWARF (objcopy --strip-debug), which keeps what the host monitor reads
 * — the symbol table, .BTF and the allocated sections (linux_banner) —
 * at about a sixth of the size (169 -> 26 MB for the ktstr config).  The
 * nested rig ships it into its L1 so the monitor runs there beside our
 * own VMM.  Cached under <cache>/monitor-vmlinux, keyed by the source
 * file's path, size and modification time. */
#include "kernel/kernel.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_kernel_monitor_vmlinux(const char *vmlinux, char *out, size_t len)
{
	char root[PATH_MAX], dir[PATH_MAX], real[PATH_MAX], objcopy[PATH_MAX], tdir[PATH_MAX], tmp[PATH_MAX + 16];
	char key[65];
	struct sha256 *h;
	struct stat st;
	int ret;

	if (!vmlinux || !*vmlinux)
		return kt_err(ENOENT, "monitor vmlinux: the kernel has no vmlinux next to its image");
	if (!realpath(vmlinux, real) || stat(real, &st))
		return kt_err(errno, "monitor vmlinux: %s", vmlinux);
	ret = kt_cache_root(root, sizeof(root));
	if (ret)
		return kt_err(-ret, "monitor vmlinux: cache directory");
	h = kt_sha256_new();
	if (!h)
		return kt_err(errno, "monitor vmlinux: hash");
	kt_sha256_update(h, real, strlen(real));
	kt_sha256_update(h, &st.st_size, sizeof(st.st_size));
	kt_sha256_update(h, &st.st_mtim, sizeof(st.st_mtim));
	kt_sha256_final_hex(h, key);
	key[16] = '\0';
	if ((size_t)snprintf(dir, sizeof(dir), "%s/monitor-vmlinux", root) >= sizeof(dir) ||
	    (size_t)snprintf(out, len, "%s/%s.vmlinux", dir, key) >= len)
		return kt_err(ENAMETOOLONG, "monitor vmlinux: cache path under %s", root);
	if (kt_path_exists(out))
		return 0;
	if (kt_find_in_path("objcopy", objcopy, sizeof(objcopy)))
		return kt_err(ENOENT, "monitor vmlinux: objcopy not found (install binutils)");
	ret = kt_mkdir_p(dir, 0755);
	if (ret)
		return kt_err(-ret, "monitor vmlinux: mkdir %s", dir);
	/* objcopy writes into a directory of our own (mkdtemp: 0700, a
	 * fresh name), never a predictable path someone could plant. */
	if ((size_t)snprintf(tdir, sizeof(tdir), "%s/.%s" KT_TMP_SUFFIX "XXXXXX", dir, key) >= sizeof(tdir))
		return kt_err(ENAMETOOLONG, "monitor vmlinux: temporary directory in %s", dir);
	if (!mkdtemp(tdir))
		return kt_err(errno, "monitor vmlinux: mkdtemp %s", tdir);
	snprintf(tmp, sizeof(tmp), "%s/vmlinux", tdir);
	{
		char *argv[] = { objcopy, "--strip-debug", real, tmp, NULL };

		ret = kt_run_cmd(argv, NULL, NULL);
	}
	if (ret)
		ret = kt_err(ret < 0 ? -ret : EIO, "monitor vmlinux: objcopy --strip-debug %s (exit %d)", real, ret);
	else if (chmod(tmp, 0644) || rename(tmp, out))
		ret = kt_err(errno, "monitor vmlinux: rename %s -> %s", tmp, out);
	unlink(tmp);
	rmdir(tdir);
	if (ret)
		return ret;
	kt_debug("monitor vmlinux: %s from %s", out, real);
	return 0;
}
