/* Shared-library closure of an ELF file, resolved the way glibc's loader
 * does: PT_INTERP, then DT_NEEDED breadth-first, each name searched in
 * DT_RPATH (own, then the loaders', unless the object has DT_RUNPATH),
 * DT_RUNPATH, /etc/ld.so.cache and the default directories.
 * LD_LIBRARY_PATH is deliberately ignored: the guest does not have it. */
#include "initramfs/elfdeps.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LDCACHE_PATH "/etc/ld.so.cache"
#define LDCACHE_OLD "ld.so-1.7.0"
#define LDCACHE_NEW "glibc-ld.so.cache1.1"
#define LDCACHE_HDR 48   /* magic[20] nlibs len_strings flags pad[3] ext unused[3] */
#define LDCACHE_ENT 24   /* flags key value osversion hwcap */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_ARCH_MASK 0xff00

static const char *const default_dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib64", "/lib", "/usr/lib" };

/* An object whose DT_NEEDED entries are still to be resolved. */
struct obj {
	char *file;   /* file to read (realpath) */
	char *origin; /* $ORIGIN */
	char *chain;  /* RPATH of the loaders, ':'-separated, or NULL */
};

struct ctx {
	const char *binary;
	struct elf_deps *deps;
	struct strlist loaded; /* names already satisfied (NEEDED, SONAME) */
	struct strlist done;   /* realpaths already queued */
	struct obj *q;
	size_t nq, capq;
	int cls, machine;
	struct kbuf cache_buf; /* /etc/ld.so.cache contents, if any */
	struct kt_ldcache cache;
};

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;

static void elf_lib_init(void)
{
	elf_version(EV_CURRENT); /* elf_begin() fails if this did */
}

void kt_elf_info_free(struct kt_elf_info *i)
{
	free(i->interp);
	free(i->soname);
	free(i->rpath);
	free(i->runpath);
	kt_strlist_free(&i->needed);
	memset(i, 0, sizeof(*i));
}

/* Class and machine from the raw ELF header; -ENOEXEC if not ELF (a
 * directory fails the read). */
static int elf_ident(const char *path, int *cls, int *machine)
{
	unsigned char h[EI_NIDENT + 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return -ENOEXEC;
	*cls = h[EI_CLASS];
	/* e_type (2 bytes) precedes e_machine right after e_ident */
	if (h[EI_DATA] == ELFDATA2LSB)
		*machine = h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8;
	else
		*machine = h[EI_NIDENT + 3] | h[EI_NIDENT + 2] << 8;
	return 0;
}

bool kt_elf_is_elf(const char *path)
{
	int cls, machine;

	return !elf_ident(path, &cls, &machine);
}

/* String at off in [tab, tab + size), or NULL if not NUL-terminated there. */
static const char *str_at(const char *tab, size_t size, uint64_t off)
{
	if (!tab || off >= size || !memchr(tab + off, '\0', size - off))
		return NULL;
	return tab + off;
}

/* File offset of virtual address addr, through the PT_LOAD segments. */
static bool vaddr_to_off(Elf *elf, size_t phnum, uint64_t addr, uint64_t *off)
{
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_filesz) {
			*off = ph.p_offset + (addr - ph.p_vaddr);
			return true;
		}
	}
	return false;
}

static int dup_str(char **dst, const char *s)
{
	return (*dst = strdup(s)) ? 0 : -ENOMEM;
}

/* Reads PT_INTERP and the dynamic section from program headers only, so
 * binaries without section headers work too. */
static int parse_dynamic(Elf *elf, const char *path, struct kt_elf_info *info)
{
	size_t phnum, rawsize, strsz = 0;
	const char *raw = elf_rawfile(elf, &rawsize), *strtab = NULL;
	GElf_Phdr dynph = { 0 };
	uint64_t strtab_addr = 0, stroff = 0;
	bool have_dyn = false, have_strtab = false;
	Elf_Data *data;
	size_t entsz, n;
	int ret = 0;

	if (!raw || elf_getphdrnum(elf, &phnum))
		return kt_err(0, "elfdeps: %s: read program headers: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return kt_err(0, "elfdeps: %s: program header %zu: %s", path, i,
				      elf_errmsg(-1));
		if (ph.p_offset > rawsize || ph.p_filesz > rawsize - ph.p_offset)
			continue; /* truncated segment: ignore */
		if (ph.p_type == PT_INTERP && !info->interp) {
			const char *s = raw + ph.p_offset;

			if (!ph.p_filesz || !memchr(s, '\0', ph.p_filesz))
				return kt_err(ENOEXEC, "elfdeps: %s: bad PT_INTERP", path);
			if ((ret = dup_str(&info->interp, s)))
				return ret;
		} else if (ph.p_type == PT_DYNAMIC && !have_dyn) {
			dynph = ph;
			have_dyn = true;
		}
	}
	if (!have_dyn)
		return 0;

	data = elf_getdata_rawchunk(elf, (int64_t)dynph.p_offset, dynph.p_filesz, ELF_T_DYN);
	entsz = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
	if (!data || !entsz)
		return kt_err(0, "elfdeps: %s: read dynamic segment: %s", path, elf_errmsg(-1));
	n = data->d_size / entsz;
	for (size_t i = 0; i < n; i++) {
		GElf_Dyn d;

		if (!gelf_getdyn(data, (int)i, &d) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB) {
			strtab_addr = d.d_un.d_ptr;
			have_strtab = true;
		} else if (d.d_tag == DT_STRSZ) {
			strsz = d.d_un.d_val;
		}
	}
	if (have_strtab && vaddr_to_off(elf, phnum, strtab_addr, &stroff) && stroff < rawsize) {
		strtab = raw + stroff;
		if (strsz > rawsize - stroff)
			strsz = rawsize - stroff;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		GElf_Dyn d;
		const char *s;
		char **dst;

		if (!gelf_getdyn(data, (int)i, &d) || d.d_tag == DT_NULL)
			break;
		dst = d.d_tag == DT_RPATH ? &info->rpath : d.d_tag == DT_RUNPATH ? &info->runpath
		    : d.d_tag == DT_SONAME ? &info->soname : NULL;
		if (d.d_tag != DT_NEEDED && !dst)
			continue;
		s = str_at(strtab, strsz, d.d_un.d_val);
		if (!s)
			return kt_err(ENOEXEC, "elfdeps: %s: dynamic string offset %llu out of bounds",
				      path, (unsigned long long)d.d_un.d_val);
		ret = !dst ? kt_strlist_add(&info->needed, s) : *dst ? 0 : dup_str(dst, s);
	}
	/* glibc ignores DT_RPATH when DT_RUNPATH is present */
	if (info->runpath) {
		free(info->rpath);
		info->rpath = NULL;
	}
	return ret;
}

/* What elf (from path, for messages) says; elf may be NULL (libelf
 * failed to open it). */
static int elf_info(Elf *elf, const char *path, struct kt_elf_info *info)
{
	GElf_Ehdr eh;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return kt_err(ENOEXEC, "elfdeps: %s: not an ELF file%s%s", path,
			      elf ? "" : ": libelf: ", elf ? "" : elf_errmsg(-1));
	info->cls = gelf_getclass(elf);
	info->machine = eh.e_machine;
	return parse_dynamic(elf, path, info);
}

static int elf_read_info(const char *path, struct kt_elf_info *info)
{
	Elf *elf;
	int fd, ret;

	pthread_once(&elf_once, elf_lib_init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kt_err(errno, "elfdeps: open %s", path);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ret = elf_info(elf, path, info);
	elf_end(elf);
	close(fd);
	return ret;
}

int kt_elf_info_mem(const void *img, size_t len, const char *name, struct kt_elf_info *info)
{
	char *copy = malloc(len ? len : 1); /* libelf takes a writable image */
	Elf *elf;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, img, len);
	pthread_once(&elf_once, elf_lib_init);
	elf = elf_memory(copy, len);
	ret = elf_info(elf, name, info);
	elf_end(elf);
	free(copy);
	if (ret)
		kt_elf_info_free(info);
	return ret;
}

/* Lexically normalised absolute path ("." and ".." collapsed). */
static char *norm_path(const char *p)
{
	char cwd[PATH_MAX] = "", *out, *o;

	if ((*p != '/' && !getcwd(cwd, sizeof(cwd))) || asprintf(&out, "%s/%s", cwd, p) < 0)
		return NULL;
	o = out;
	for (const char *s = out; *s;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > out && *--o != '/')
				;
		} else if (n && !(n == 1 && s[0] == '.')) {
			*o++ = '/';
			memmove(o, s, n);
			o += n;
		}
		s = *e ? e + 1 : e;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

static char *dir_of(const char *path)
{
	char *d = strdup(path), *slash = d ? strrchr(d, '/') : NULL;

	if (slash)
		*(slash == d ? slash + 1 : slash) = '\0';
	return d;
}

/* Replaces $ORIGIN / ${ORIGIN} in a search list. */
static char *expand_origin(const char *list, const char *origin)
{
	struct kbuf b = { 0 };
	int ret = kt_kbuf_append(&b, "", 0);

	for (const char *p = list; *p && !ret;) {
		size_t k = !strncmp(p, "${ORIGIN}", 9) ? 9
			 : !strncmp(p, "$ORIGIN", 7) && !isalnum((unsigned char)p[7]) && p[7] != '_' ? 7
			 : 0;

		ret = k ? kt_kbuf_append(&b, origin, strlen(origin)) : kt_kbuf_append(&b, p, 1);
		p += k ? k : 1;
	}
	if (ret) {
		kt_kbuf_free(&b);
		return NULL;
	}
	return b.data;
}

static int deps_add(struct elf_deps *deps, const char *path, const char *real)
{
	struct elf_dep *d;

	for (size_t i = 0; i < deps->n; i++)
		if (!strcmp(deps->v[i].path, path))
			return 0;
	if (deps->n == deps->cap) {
		size_t cap = deps->cap ? deps->cap * 2 : 16;
		struct elf_dep *v = realloc(deps->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		deps->v = v;
		deps->cap = cap;
	}
	d = &deps->v[deps->n];
	d->path = strdup(path);
	d->realpath = strdup(real);
	if (!d->path || !d->realpath) {
		free(d->path);
		free(d->realpath);
		return -ENOMEM;
	}
	deps->n++;
	return 0;
}

void kt_elf_deps_free(struct elf_deps *deps)
{
	for (size_t i = 0; i < deps->n; i++) {
		free(deps->v[i].path);
		free(deps->v[i].realpath);
	}
	free(deps->v);
	deps->v = NULL;
	deps->n = deps->cap = 0;
}

static uint32_t rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int kt_ldcache_parse(struct kt_ldcache *c, const void *data, size_t sz)
{
	const char *d = data;
	size_t off = 0;
	uint32_t n;
	uint8_t order;

	memset(c, 0, sizeof(*c));
	/* a pre-2.32 combined cache has the old format first, then the new
	 * header aligned to 8 */
	if (sz >= 16 && !memcmp(d, LDCACHE_OLD, sizeof(LDCACHE_OLD) - 1))
		off = rd32(d + 12) > (sz - 16) / 12 ? sz : (16 + rd32(d + 12) * (size_t)12 + 7) & ~(size_t)7;
	if (off > sz || sz - off < LDCACHE_HDR || memcmp(d + off, LDCACHE_NEW, sizeof(LDCACHE_NEW) - 1))
		return -EINVAL;
	order = (uint8_t)d[off + 28]; /* 0: unknown, 2: little, 3: big endian */
	if (order && order != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3))
		return -EINVAL;
	n = rd32(d + off + 20);
	if (n > (sz - off - LDCACHE_HDR) / LDCACHE_ENT)
		return -EINVAL;
	*c = (struct kt_ldcache){ .data = d, .len = sz, .off = off, .n = n };
	return 0;
}

/* Loads and validates /etc/ld.so.cache; a missing or odd cache is not an
 * error, the lookup just falls through to the default directories. */
static void ldcache_load(struct ctx *c)
{
	if (kt_read_file(LDCACHE_PATH, &c->cache_buf))
		return;
	if (kt_ldcache_parse(&c->cache, c->cache_buf.data, c->cache_buf.len))
		kt_debug("elfdeps: %s: unrecognised format, ignored", LDCACHE_PATH);
}

static int cache_arch_flag(int cls, int machine)
{
	/* FLAG_X8664_LIB64, FLAG_X8664_LIBX32, FLAG_AARCH64_LIB64, i386 (none);
	 * -1: unknown, rely on the ELF header check */
	return machine == EM_X86_64 ? (cls == ELFCLASS64 ? 0x0300 : 0x0800)
	     : machine == EM_AARCH64 && cls == ELFCLASS64 ? 0x0a00
	     : machine == EM_386 ? 0 : -1;
}

static bool candidate_ok(const struct ctx *c, const char *path)
{
	int cls, machine;

	return !elf_ident(path, &cls, &machine) && cls == c->cls && machine == c->machine;
}

bool kt_ldcache_entry(const struct kt_ldcache *c, uint32_t i, int arch, const char **key, const char **val)
{
	const char *base = c->data + c->off;
	size_t size = c->len - c->off;
	const char *e = base + LDCACHE_HDR + (size_t)i * LDCACHE_ENT;
	uint32_t flags;
	uint64_t hwcap;

	if (i >= c->n)
		return false;
	flags = rd32(e);
	memcpy(&hwcap, e + 16, sizeof(hwcap));
	if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 || hwcap)
		return false; /* hwcap entries are CPU-specific variants */
	if (arch >= 0 && (int)(flags & FLAG_ARCH_MASK) != arch)
		return false;
	*key = str_at(base, size, rd32(e + 4));
	*val = str_at(base, size, rd32(e + 8));
	return *key && *val;
}

static char *ldcache_lookup(const struct ctx *c, const char *name)
{
	int arch = cache_arch_flag(c->cls, c->machine);

	for (uint32_t i = 0; i < c->cache.n; i++) {
		const char *key, *val;

		if (kt_ldcache_entry(&c->cache, i, arch, &key, &val) && !strcmp(key, name) && candidate_ok(c, val))
			return strdup(val);
	}
	return NULL;
}

/* First dir in a ':'-separated list holding a suitable name. */
static char *search_list(const struct ctx *c, const char *list, const char *name)
{
	char buf[PATH_MAX];

	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ':');
		int n = (int)(e - p);

		if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", n, p, name) < (int)sizeof(buf) &&
		    candidate_ok(c, buf))
			return strdup(buf);
		p = *e ? e + 1 : e;
	}
	return NULL;
}

static char *resolve(const struct ctx *c, const char *name, const char *rpath,
		     const char *runpath, const char *origin)
{
	char *found;

	if (strchr(name, '/')) { /* a path, not searched */
		found = expand_origin(name, origin);
		if (found && !candidate_ok(c, found)) {
			free(found);
			found = NULL;
		}
		return found;
	}
	found = search_list(c, rpath, name);
	if (!found)
		found = search_list(c, runpath, name);
	if (!found && c->cache.n)
		found = ldcache_lookup(c, name);
	for (size_t i = 0; !found && i < ARRAY_SIZE(default_dirs); i++)
		found = search_list(c, default_dirs[i], name);
	return found;
}

/* Queues file; $ORIGIN is the directory of path (the name it was found as). */
static int enqueue(struct ctx *c, const char *file, const char *path, const char *chain)
{
	struct obj *o;

	if (c->nq == c->capq) {
		size_t cap = c->capq ? c->capq * 2 : 16;
		struct obj *q = realloc(c->q, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		c->q = q;
		c->capq = cap;
	}
	o = &c->q[c->nq];
	o->file = strdup(file);
	o->origin = dir_of(path);
	o->chain = chain ? strdup(chain) : NULL;
	if (!o->file || !o->origin || (chain && !o->chain)) {
		free(o->file);
		free(o->origin);
		free(o->chain);
		return -ENOMEM;
	}
	c->nq++;
	return kt_strlist_add(&c->done, file);
}

/* Records a found object at path (as the loader names it) and queues it. */
static int add_found(struct ctx *c, const char *found, const char *needer, const char *chain)
{
	char real[PATH_MAX], *path = norm_path(found);
	int ret = 0;

	if (!path)
		return kt_err(ENOMEM, "elfdeps: %s: normalise %s", c->binary, found);
	if (!realpath(path, real)) {
		ret = kt_err(errno, "elfdeps: %s: realpath %s needed by %s", c->binary, path,
			     needer);
		goto out;
	}
	ret = deps_add(c->deps, path, real);
	if (!ret && !kt_strlist_has(&c->done, real))
		ret = enqueue(c, real, path, chain);
	if (ret == -ENOMEM)
		kt_err(ENOMEM, "elfdeps: %s: add %s", c->binary, path);
out:
	free(path);
	return ret;
}

static char *join_lists(const char *a, const char *b)
{
	char *s;

	a = a ? a : "";
	b = b ? b : "";
	return asprintf(&s, "%s%s%s", a, *a && *b ? ":" : "", b) < 0 ? NULL : s;
}

/* Resolves the DT_NEEDED entries of queue entry idx. */
static int process(struct ctx *c, size_t idx, bool is_main)
{
	/* the strings stay put when enqueue() reallocates c->q */
	const char *file = c->q[idx].file, *origin = c->q[idx].origin, *chain = c->q[idx].chain;
	struct kt_elf_info info = { 0 };
	char *rpath = NULL, *runpath = NULL, *search = NULL;
	int ret = elf_read_info(file, &info);

	if (ret)
		goto out;
	if (is_main) { /* the closure must match the executable's class/machine */
		c->cls = info.cls;
		c->machine = info.machine;
		if (info.interp && (ret = add_found(c, info.interp, file, NULL)))
			goto out;
	}
	if (info.soname && (ret = kt_strlist_add(&c->loaded, info.soname)))
		goto out;
	if (info.rpath && !(rpath = expand_origin(info.rpath, origin)))
		ret = -ENOMEM;
	if (info.runpath && !(runpath = expand_origin(info.runpath, origin)))
		ret = -ENOMEM;
	/* loaders' RPATHs follow this object's own */
	search = join_lists(rpath, chain);
	if (ret || !search) {
		ret = kt_err(ENOMEM, "elfdeps: %s: search path of %s", c->binary, file);
		goto out;
	}
	for (size_t i = 0; i < info.needed.n && !ret; i++) {
		const char *name = info.needed.v[i];
		char *found;

		if (kt_strlist_has(&c->loaded, name))
			continue;
		found = resolve(c, name, runpath ? NULL : search, runpath, origin);
		if (!found) {
			ret = kt_err(ENOENT, "elfdeps: %s: cannot find shared library %s needed by %s",
				     c->binary, name, file);
			break;
		}
		ret = add_found(c, found, file, search);
		free(found);
		if (!ret)
			ret = kt_strlist_add(&c->loaded, name);
	}
out:
	kt_elf_info_free(&info);
	free(rpath);
	free(runpath);
	free(search);
	return ret;
}

int kt_elf_deps_collect(const char *binary, struct elf_deps *deps)
{
	struct ctx c = { .binary = binary, .deps = deps };
	char real[PATH_MAX];
	int ret;

	/* the executable's $ORIGIN is resolved, as via /proc/self/exe */
	if (!realpath(binary, real))
		return kt_err(errno, "elfdeps: realpath %s", binary);
	ldcache_load(&c);
	ret = enqueue(&c, real, real, NULL);
	if (ret)
		kt_err(-ret, "elfdeps: %s: queue", binary);
	for (size_t i = 0; !ret && i < c.nq; i++)
		ret = process(&c, i, i == 0);
	for (size_t i = 0; i < c.nq; i++) {
		free(c.q[i].file);
		free(c.q[i].origin);
		free(c.q[i].chain);
	}
	free(c.q);
	kt_strlist_free(&c.loaded);
	kt_strlist_free(&c.done);
	kt_kbuf_free(&c.cache_buf);
	return ret;
}
