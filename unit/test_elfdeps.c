/* Shared-library closure on host binaries.  Expectations come from a small
 * independent reading of the program headers, not from the module. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "initramfs/elfdeps.h"
#include "unit.h"
#include "util/util.h"

/* PT_INTERP of a 64-bit ELF (into interp, "" if none) and whether it has
 * a PT_DYNAMIC segment.  Returns -1 if the file is not a readable ELF64. */
static int phdr_info(const char *path, char *interp, size_t len, bool *dynamic)
{
	struct kbuf b = { 0 };
	const Elf64_Ehdr *eh;
	int ret = -1;

	interp[0] = '\0';
	*dynamic = false;
	if (kt_read_file(path, &b) || b.len < sizeof(*eh))
		goto out;
	eh = (const Elf64_Ehdr *)b.data;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > b.len ||
	    (b.len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		goto out;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, b.data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_DYNAMIC)
			*dynamic = true;
		if (ph.p_type == PT_INTERP && ph.p_offset < b.len && ph.p_filesz < len &&
		    ph.p_filesz <= b.len - ph.p_offset)
			snprintf(interp, len, "%.*s", (int)ph.p_filesz, b.data + ph.p_offset);
	}
	ret = 0;
out:
	kt_kbuf_free(&b);
	return ret;
}

static const struct elf_dep *dep_named(const struct elf_deps *d, const char *base)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *s = strrchr(d->v[i].path, '/');

		if (s && !strcmp(s + 1, base))
			return &d->v[i];
	}
	return NULL;
}

static const char *dynamic_binary(void)
{
	static const char *const cands[] = { "/bin/ls", "/usr/bin/env" };
	char interp[PATH_MAX];
	bool dyn;

	for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
		if (!phdr_info(cands[i], interp, sizeof(interp), &dyn) && dyn && interp[0])
			return cands[i];
	return NULL;
}

UNIT_TEST(elfdeps_closure_has_libc_and_interp)
{
	const char *bin = dynamic_binary();
	struct elf_deps d = { 0 };
	char interp[PATH_MAX];
	size_t n;
	bool dyn;

	if (!bin) {
		fprintf(stderr, "    skipped: no dynamically linked /bin/ls or /usr/bin/env\n");
		return;
	}
	CHECK_EQ_INT(phdr_info(bin, interp, sizeof(interp), &dyn), 0);
	CHECK_EQ_INT(kt_elf_deps_collect(bin, &d), 0);
	CHECK(dep_named(&d, "libc.so.6") != NULL);
	CHECK(d.n > 0 && !strcmp(d.v[0].path, interp)); /* the interpreter, as named */
	for (size_t i = 0; i < d.n; i++) {
		char real[PATH_MAX];

		CHECK(d.v[i].path[0] == '/');
		CHECK(!strstr(d.v[i].path, "/../") && !strstr(d.v[i].path, "/./"));
		CHECK(realpath(d.v[i].path, real) && !strcmp(real, d.v[i].realpath));
		CHECK(kt_elf_is_elf(d.v[i].realpath));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(d.v[i].path, d.v[j].path) != 0);
	}
	/* collecting again adds nothing */
	n = d.n;
	CHECK_EQ_INT(kt_elf_deps_collect(bin, &d), 0);
	CHECK_EQ_INT(d.n, n);
	kt_elf_deps_free(&d);
	CHECK(d.v == NULL && d.n == 0);
}

UNIT_TEST(elfdeps_static_binary_has_none)
{
	struct elf_deps d = { 0 };
	char interp[PATH_MAX];
	bool dyn;

	if (phdr_info("/bin/busybox", interp, sizeof(interp), &dyn) || dyn || interp[0]) {
		fprintf(stderr, "    skipped: no statically linked /bin/busybox\n");
		return;
	}
	CHECK_EQ_INT(kt_elf_deps_collect("/bin/busybox", &d), 0);
	CHECK_EQ_INT(d.n, 0);
	kt_elf_deps_free(&d);
}

UNIT_TEST(elfdeps_errors)
{
	char tmpl[] = "/tmp/ktstr-unit-elfdeps.XXXXXX", path[PATH_MAX];
	struct elf_deps d = { 0 };

	CHECK_EQ_INT(kt_elf_deps_collect("/nonexistent/ktstr-binary", &d), -ENOENT);
	CHECK_EQ_INT(d.n, 0);
	CHECK(!kt_elf_is_elf("/nonexistent/ktstr-binary"));
	CHECK(!kt_elf_is_elf("/"));
	if (!mkdtemp(tmpl)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/text", tmpl);
	CHECK_EQ_INT(kt_write_file(path, "#!/bin/sh\necho hi\n", 18), 0);
	CHECK(!kt_elf_is_elf(path));
	CHECK(kt_elf_deps_collect(path, &d) < 0);
	CHECK_EQ_INT(d.n, 0);
	/* a truncated ELF: the magic is there, the rest is not */
	CHECK_EQ_INT(kt_write_file(path, ELFMAG "\2\1\1", 7), 0);
	CHECK(kt_elf_deps_collect(path, &d) < 0);
	CHECK_EQ_INT(d.n, 0);
	kt_rm_rf(tmpl);
	if (dynamic_binary())
		CHECK(kt_elf_is_elf(dynamic_binary()));
}

/* A copy of a binary whose DT_NEEDED name is patched to a library that
 * does not exist: the error names it, with -ENOENT. */
UNIT_TEST(elfdeps_missing_library)
{
	static const char from[] = "libc.so.6", to[] = "libZ.so.6"; /* same length */
	char tmpl[] = "/tmp/ktstr-unit-elfdeps.XXXXXX", path[PATH_MAX];
	const char *bin = dynamic_binary();
	struct elf_deps d = { 0 };
	struct kbuf b = { 0 };
	char *hit = NULL;

	if (!bin || kt_read_file(bin, &b)) {
		fprintf(stderr, "    skipped: no dynamically linked binary to patch\n");
		kt_kbuf_free(&b);
		return;
	}
	/* the dynamic string table entry is NUL-delimited on both sides */
	for (size_t i = 1; i + sizeof(from) <= b.len && !hit; i++)
		if (!b.data[i - 1] && !memcmp(b.data + i, from, sizeof(from)))
			hit = b.data + i;
	if (!hit || !mkdtemp(tmpl)) {
		fprintf(stderr, "    skipped: %s has no \"%s\" string\n", bin, from);
		kt_kbuf_free(&b);
		return;
	}
	memcpy(hit, to, sizeof(to));
	snprintf(path, sizeof(path), "%s/patched", tmpl);
	CHECK_EQ_INT(kt_write_file(path, b.data, b.len), 0);
	CHECK(kt_elf_is_elf(path));
	CHECK_EQ_INT(kt_elf_deps_collect(path, &d), -ENOENT);
	CHECK(!dep_named(&d, "libZ.so.6"));
	kt_elf_deps_free(&d);
	kt_kbuf_free(&b);
	kt_rm_rf(tmpl);
}

/* The in-memory reader agrees with the independent program-header reading
 * above, and finds libc.so.6 among the DT_NEEDED names. */
UNIT_TEST(elfdeps_info_from_memory)
{
	const char *bin = dynamic_binary();
	struct kt_elf_info info;
	struct kbuf b = { 0 };
	char interp[PATH_MAX];
	bool dyn;

	CHECK_EQ_INT(kt_elf_info_mem("#!/bin/sh\n", 10, "script", &info), -ENOEXEC);
	CHECK(!info.interp && !info.needed.n);
	if (!bin || kt_read_file(bin, &b) || phdr_info(bin, interp, sizeof(interp), &dyn)) {
		fprintf(stderr, "    skipped: no dynamically linked binary\n");
		kt_kbuf_free(&b);
		return;
	}
	CHECK_EQ_INT(kt_elf_info_mem(b.data, b.len, bin, &info), 0);
	CHECK_EQ_INT(info.cls, ELFCLASS64);
	CHECK_EQ_STR(info.interp, interp);
	CHECK(kt_strlist_has(&info.needed, "libc.so.6"));
	kt_elf_info_free(&info);
	kt_kbuf_free(&b);
}

/* A cache built here, byte by byte as glibc's ldconfig lays it out:
 * a header, three entries (x86-64 libc6; i386 libc6; an hwcap variant),
 * then the strings. */
UNIT_TEST(elfdeps_ldcache_entries)
{
	static const char strs[] = "libfoo.so.1\0/usr/lib/x86_64-linux-gnu/libfoo.so.1\0";
	unsigned char c[48 + 3 * 24 + sizeof(strs)] = { 0 };
	uint32_t flags[3] = { 0x0303, 0x0003, 0x0303 }, key = 48 + 3 * 24, val = key + 12, n = 3, ns;
	uint64_t hwcap[3] = { 0, 0, 1 };
	struct kt_ldcache lc;
	const char *k, *v;

	memcpy(c, "glibc-ld.so.cache1.1", 20);
	memcpy(c + 20, &n, 4);
	ns = sizeof(strs);
	memcpy(c + 24, &ns, 4);
	c[28] = 2; /* little endian */
	for (unsigned i = 0; i < 3; i++) {
		memcpy(c + 48 + 24 * i, &flags[i], 4);
		memcpy(c + 48 + 24 * i + 4, &key, 4);
		memcpy(c + 48 + 24 * i + 8, &val, 4);
		memcpy(c + 48 + 24 * i + 16, &hwcap[i], 8);
	}
	memcpy(c + key, strs, sizeof(strs));
	CHECK_EQ_INT(kt_ldcache_parse(&lc, c, sizeof(c)), 0);
	CHECK_EQ_INT(lc.n, 3);
	CHECK(kt_ldcache_entry(&lc, 0, 0x0300, &k, &v));
	CHECK_EQ_STR(k, "libfoo.so.1");
	CHECK_EQ_STR(v, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
	CHECK(!kt_ldcache_entry(&lc, 1, 0x0300, &k, &v)); /* another arch */
	CHECK(kt_ldcache_entry(&lc, 1, -1, &k, &v));
	CHECK(!kt_ldcache_entry(&lc, 2, -1, &k, &v));     /* hwcap */
	CHECK(!kt_ldcache_entry(&lc, 3, -1, &k, &v));     /* beyond n */
	/* a string offset past the file */
	val = sizeof(c);
	memcpy(c + 48 + 8, &val, 4);
	CHECK(!kt_ldcache_entry(&lc, 0, -1, &k, &v));
	/* more entries than the file holds; then the wrong byte order */
	n = 100;
	memcpy(c + 20, &n, 4);
	CHECK_EQ_INT(kt_ldcache_parse(&lc, c, sizeof(c)), -EINVAL);
	CHECK_EQ_INT(lc.n, 0);
	n = 3;
	memcpy(c + 20, &n, 4);
	c[28] = 3;
	CHECK_EQ_INT(kt_ldcache_parse(&lc, c, sizeof(c)), -EINVAL);
	CHECK_EQ_INT(kt_ldcache_parse(&lc, c, 40), -EINVAL);
}
