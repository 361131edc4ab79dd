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
