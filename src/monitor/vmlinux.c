/* vmlinux access with libelf (see vmlinux.h). */
#include "monitor/vmlinux.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kt_vmlinux {
	int fd;
	Elf *e;
	char path[4096];
};

struct kt_vmlinux *kt_vmlinux_open(const char *path)
{
	struct kt_vmlinux *v;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		kt_err(0, "libelf: version mismatch");
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		kt_err(ENOMEM, "vmlinux %s", path);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0) {
		int e = errno;

		kt_err(e, "monitor: open vmlinux %s", path);
		free(v);
		errno = e;
		return NULL;
	}
	v->e = elf_begin(v->fd, ELF_C_READ_MMAP, NULL);
	if (!v->e || elf_kind(v->e) != ELF_K_ELF) {
		kt_err(0, "monitor: %s is not an ELF file: %s", path, elf_errmsg(-1));
		kt_vmlinux_close(v);
		errno = ENOEXEC;
		return NULL;
	}
	return v;
}

void kt_vmlinux_close(struct kt_vmlinux *v)
{
	if (!v)
		return;
	if (v->e)
		elf_end(v->e);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

size_t kt_vmlinux_syms(struct kt_vmlinux *v, const char *const *names, uint64_t *addrs, size_t n)
{
	Elf_Scn *scn = NULL;
	size_t found = 0;

	for (size_t i = 0; i < n; i++)
		addrs[i] = 0;
	while ((scn = elf_nextscn(v->e, scn)) && found < n) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t k = 0; d && k < sh.sh_size / sh.sh_entsize && found < n; k++) {
			GElf_Sym sym;
			const char *nm;

			/* Per-CPU symbols (runqueues) have small values, and
			 * __per_cpu_start is 0: keep zero-valued data symbols. */
			if (!gelf_getsym(d, (int)k, &sym) || GELF_ST_TYPE(sym.st_info) == STT_FILE ||
			    GELF_ST_TYPE(sym.st_info) == STT_SECTION)
				continue;
			nm = elf_strptr(v->e, sh.sh_link, sym.st_name);
			if (!nm || !*nm)
				continue;
			for (size_t i = 0; i < n; i++)
				if (!addrs[i] && !strcmp(nm, names[i])) {
					/* 0 is a valid per-CPU offset; mark "found" apart. */
					addrs[i] = sym.st_value ? sym.st_value : UINT64_MAX;
					found++;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (addrs[i] == UINT64_MAX)
			addrs[i] = 0;
	return found;
}

static Elf_Scn *section_named(struct kt_vmlinux *v, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(v->e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(v->e, scn))) {
		const char *nm;

		if (!gelf_getshdr(scn, sh))
			continue;
		nm = elf_strptr(v->e, shstrndx, sh->sh_name);
		if (nm && !strcmp(nm, want))
			return scn;
	}
	return NULL;
}

int kt_vmlinux_btf(struct kt_vmlinux *v, struct kbuf *out)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section_named(v, ".BTF", &sh);
	Elf_Data *d;

	out->len = 0;
	if (!scn)
		return -ENOENT;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || !d->d_size)
		return kt_err(0, "monitor: %s: .BTF section unreadable: %s", v->path, elf_errmsg(-1));
	return kt_kbuf_append(out, d->d_buf, d->d_size);
}

int kt_vmlinux_read(struct kt_vmlinux *v, uint64_t addr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(v->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr < sh.sh_addr || addr - sh.sh_addr > sh.sh_size || len > sh.sh_size - (addr - sh.sh_addr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < sh.sh_size)
			return -EIO;
		memcpy(buf, (const char *)d->d_buf + (addr - sh.sh_addr), len);
		return 0;
	}
	return -ENOENT;
}
