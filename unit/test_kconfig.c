/* Unit tests for the pure parts of src/kernel: .config parsing/checking,
 * bzImage recognition, the cache key, the Makefile version. */
#include <errno.h>
#include <stdlib.h>
#include "kernel/kernel.h"
#include "unit.h"

static const char cfg[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
	"CONFIG_SMP=y\n"
	"CONFIG_SMP_ON_UP=m\n"
	"CONFIG_NR_CPUS=256\n"
	"CONFIG_CMDLINE=\"console=ttyS0 quiet\"\n"
	"# CONFIG_STRICT_DEVMEM is not set\n"
	"CONFIG_HZ=250\n"
	"CONFIG_HZ=1000\n"
	"CONFIG_FOO=n\n"
	"CONFIG_CRLF=y\r\n"
	"CONFIG_LAST=y"; /* no trailing newline */

UNIT_TEST(kconfig_get_values)
{
	char v[64];

	kt_kconfig_get(cfg, "CONFIG_SMP", v, sizeof(v));
	CHECK_EQ_STR(v, "y");
	kt_kconfig_get(cfg, "SMP", v, sizeof(v)); /* prefix optional */
	CHECK_EQ_STR(v, "y");
	kt_kconfig_get(cfg, "CONFIG_SMP_ON_UP", v, sizeof(v));
	CHECK_EQ_STR(v, "m");
	kt_kconfig_get(cfg, "CONFIG_NR_CPUS", v, sizeof(v));
	CHECK_EQ_STR(v, "256");
	kt_kconfig_get(cfg, "CONFIG_CMDLINE", v, sizeof(v));
	CHECK_EQ_STR(v, "\"console=ttyS0 quiet\"");
	kt_kconfig_get(cfg, "CONFIG_HZ", v, sizeof(v)); /* last assignment wins */
	CHECK_EQ_STR(v, "1000");
	kt_kconfig_get(cfg, "CONFIG_CRLF", v, sizeof(v));
	CHECK_EQ_STR(v, "y");
	kt_kconfig_get(cfg, "CONFIG_LAST", v, sizeof(v));
	CHECK_EQ_STR(v, "y");
}

UNIT_TEST(kconfig_get_unset)
{
	char v[8] = "junk";

	kt_kconfig_get(cfg, "CONFIG_STRICT_DEVMEM", v, sizeof(v));
	CHECK_EQ_STR(v, "");
	strcpy(v, "junk");
	kt_kconfig_get(cfg, "CONFIG_ABSENT", v, sizeof(v));
	CHECK_EQ_STR(v, "");
	kt_kconfig_get(cfg, "CONFIG_FOO", v, sizeof(v)); /* =n means unset */
	CHECK_EQ_STR(v, "");
	kt_kconfig_get(cfg, "CONFIG_S", v, sizeof(v)); /* no prefix match */
	CHECK_EQ_STR(v, "");
	kt_kconfig_get("", "CONFIG_SMP", v, sizeof(v));
	CHECK_EQ_STR(v, "");
	kt_kconfig_get(cfg, "CONFIG_CMDLINE", v, 4); /* truncated, NUL-terminated */
	CHECK_EQ_STR(v, "\"co");
	kt_kconfig_get("CONFIG_A=y\n# CONFIG_A is not set\n", "CONFIG_A", v, sizeof(v));
	CHECK_EQ_STR(v, "");
}

UNIT_TEST(kconfig_check_all_hold)
{
	struct strlist miss = { 0 };
	const char *frag = "# comment\n\nCONFIG_SMP=y\nCONFIG_NR_CPUS=256\n"
			   "# CONFIG_STRICT_DEVMEM is not set\n# CONFIG_ABSENT is not set\n"
			   "CONFIG_FOO=n\nCONFIG_NOPE=n\n  CONFIG_HZ=1000  \n";

	CHECK_EQ_INT(kt_kconfig_check(cfg, frag, &miss), 0);
	CHECK_EQ_INT(miss.n, 0);
	CHECK_EQ_INT(kt_kconfig_check(cfg, "", &miss), 0);
	CHECK_EQ_INT(kt_kconfig_check(cfg, frag, NULL), 0);
	kt_strlist_free(&miss);
}

UNIT_TEST(kconfig_check_reports_every_missing)
{
	struct strlist miss = { 0 };
	const char *frag = "CONFIG_SMP=y\nCONFIG_NR_CPUS=64\nCONFIG_BPF=y\n"
			   "# CONFIG_SMP_ON_UP is not set\nCONFIG_CMDLINE=\"console=ttyS0 quiet\"\n";

	CHECK_EQ_INT(kt_kconfig_check(cfg, frag, &miss), -ENOENT);
	CHECK_EQ_INT(miss.n, 3);
	if (miss.n == 3) {
		CHECK_EQ_STR(miss.v[0], "CONFIG_NR_CPUS=64 (have: 256)");
		CHECK_EQ_STR(miss.v[1], "CONFIG_BPF=y (have: not set)");
		CHECK_EQ_STR(miss.v[2], "CONFIG_SMP_ON_UP=n (have: m)");
	}
	kt_strlist_free(&miss);
	CHECK_EQ_INT(kt_kconfig_check("", "CONFIG_X=y\n", NULL), -ENOENT);
}

/* The fragment compiled in from kernel/ktstr.kconfig, checked against
 * itself (a .config is a superset of what it asks for). */
UNIT_TEST(kconfig_embedded_fragment)
{
	struct strlist miss = { 0 };
	char v[16];

	CHECK(strlen(ktstr_kconfig_fragment) > 100);
	CHECK(strstr(ktstr_kconfig_fragment, "CONFIG_SCHED_CLASS_EXT=y\n") != NULL);
	CHECK(strstr(ktstr_kconfig_fragment, "CONFIG_DEBUG_INFO_BTF=y\n") != NULL);
	kt_kconfig_get(ktstr_kconfig_fragment, "CONFIG_NR_CPUS", v, sizeof(v));
	CHECK_EQ_STR(v, "256");
	CHECK_EQ_INT(kt_kconfig_check(ktstr_kconfig_fragment, ktstr_kconfig_fragment, &miss), 0);
	CHECK_EQ_INT(kt_kconfig_check("CONFIG_SMP=y\n", ktstr_kconfig_fragment, &miss), -ENOENT);
	CHECK(miss.n > 50);
	CHECK(kt_strlist_has(&miss, "CONFIG_SCHED_CLASS_EXT=y (have: not set)"));
	kt_strlist_free(&miss);
}

UNIT_TEST(kernel_is_bzimage_header)
{
	unsigned char *h = calloc(1, 1024);

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(!kt_kernel_is_bzimage(h, 1024));
	memcpy(h + 0x202, "HdrS", 4);
	h[0x206] = 0x0f; /* protocol 2.15, little endian */
	h[0x207] = 0x02;
	CHECK(kt_kernel_is_bzimage(h, 1024));
	CHECK(kt_kernel_is_bzimage(h, 0x208));
	CHECK(!kt_kernel_is_bzimage(h, 0x207));
	CHECK(!kt_kernel_is_bzimage(NULL, 1024));
	h[0x206] = 0x05; /* 2.05: too old */
	CHECK(!kt_kernel_is_bzimage(h, 1024));
	h[0x206] = 0x06;
	CHECK(kt_kernel_is_bzimage(h, 1024));
	h[0x203] = 'x';
	CHECK(!kt_kernel_is_bzimage(h, 1024));
	free(h);
}

UNIT_TEST(kernel_cache_key_format)
{
	char k1[128], k2[128], small[10];

	/* printf 'deb-6.12.117-1-deb12u1\nCONFIG_SMP=y\n\nktstr-kcache-1' | sha256sum */
	CHECK_EQ_INT(kt_kernel_cache_key("6.12.117", "deb-6.12.117-1-deb12u1", "CONFIG_SMP=y\n", k1, sizeof(k1)), 0);
	CHECK_EQ_STR(KTSTR_KCACHE_FORMAT, "ktstr-kcache-1");
	CHECK_EQ_STR(k1, "6.12.117-781cee005d0c");
	CHECK_EQ_INT(kt_kernel_cache_key("6.12.117", "src-linux-0123abcd", "CONFIG_SMP=y\n", k2, sizeof(k2)), 0);
	CHECK_EQ_STR(k2, "6.12.117-a4ccf916b3b2");
	CHECK_EQ_INT(kt_kernel_cache_key("6.12.117", "deb-6.12.117-1-deb12u1", "CONFIG_SMP=n\n", k2, sizeof(k2)), 0);
	CHECK(strcmp(k1, k2) != 0);
	CHECK_EQ_INT(strlen(k2), strlen("6.12.117-") + 12);
	CHECK_EQ_INT(kt_kernel_cache_key("6.12.117", "x", "y", small, sizeof(small)), -ENAMETOOLONG);
}

UNIT_TEST(kernel_makefile_version_parse)
{
	char v[64];

	CHECK_EQ_INT(kt_kernel_makefile_version("# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n"
					     "EXTRAVERSION =\nNAME = Baby Opossum Posse\n", v, sizeof(v)), 0);
	CHECK_EQ_STR(v, "6.12.117");
	CHECK_EQ_INT(kt_kernel_makefile_version("VERSION = 6\nPATCHLEVEL = 13\nSUBLEVEL = 0\n"
					     "EXTRAVERSION = -rc3\n", v, sizeof(v)), 0);
	CHECK_EQ_STR(v, "6.13.0-rc3");
	CHECK_EQ_INT(kt_kernel_makefile_version("VERSION=5\nPATCHLEVEL=4\n", v, sizeof(v)), 0);
	CHECK_EQ_STR(v, "5.4");
	CHECK_EQ_INT(kt_kernel_makefile_version("KERNELVERSION = 1\nVERSIONX = 2\n", v, sizeof(v)), -EINVAL);
	CHECK_EQ_INT(kt_kernel_makefile_version("VERSION = 6\nPATCHLEVEL = 12\n", v, 3), -ENAMETOOLONG);
}
