#include "unit.h"
#include "fixture.h"
#include "kernel/kernel.h"
#include "monitor/vmlinux.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The monitor-only copy of an ELF with DWARF (this very binary, built
 * with -g): smaller, symbols intact, cached by path/size/mtime. */
UNIT_TEST(monitor_vmlinux_strips_and_caches)
{
	char self[PATH_MAX], out[PATH_MAX], out2[PATH_MAX];
	static const char *const names[] = { "main" };
	uint64_t addr = 0, addr_full = 0;
	struct unit_cache cache;
	struct stat a, b, b2;
	struct kt_vmlinux *v;

	if (!realpath("/proc/self/exe", self) || !unit_cache_enter(&cache, "monvml")) {
		unit_fail(__FILE__, __LINE__, "setup: %s", strerror(errno));
		return;
	}
	if (kt_find_in_path("objcopy", out, sizeof(out))) {
		printf("# SKIP objcopy not installed\n");
		goto out;
	}
	CHECK_EQ_INT(kt_kernel_monitor_vmlinux(self, out, sizeof(out)), 0);
	CHECK(!strncmp(out, cache.dir, strlen(cache.dir)));
	CHECK(stat(self, &a) == 0 && stat(out, &b) == 0);
	CHECK(b.st_size > 0 && b.st_size < a.st_size);
	v = kt_vmlinux_open(out);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ_INT(kt_vmlinux_syms(v, names, &addr, 1), 1);
		kt_vmlinux_close(v);
	}
	v = kt_vmlinux_open(self);
	if (v) {
		kt_vmlinux_syms(v, names, &addr_full, 1);
		kt_vmlinux_close(v);
	}
	CHECK(addr && addr == addr_full);
	/* cached: the same file, not rewritten (a hit only refreshes its
	 * mtime, for pruning) */
	CHECK_EQ_INT(kt_kernel_monitor_vmlinux(self, out2, sizeof(out2)), 0);
	CHECK_EQ_STR(out, out2);
	CHECK(stat(out2, &b2) == 0 && b2.st_ino == b.st_ino && b2.st_size == b.st_size);
	/* errors name the object */
	CHECK(kt_kernel_monitor_vmlinux("/nonexistent/vmlinux", out, sizeof(out)) < 0);
	CHECK(kt_kernel_monitor_vmlinux("", out, sizeof(out)) == -ENOENT);
	CHECK(kt_kernel_monitor_vmlinux(self, out, 8) == -ENAMETOOLONG);
out:
	unit_cache_leave(&cache);
}
