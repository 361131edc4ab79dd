/* Fuzz target: the initramfs archive writer (src/initramfs/cpio.c).
 *
 * Nothing on the host reads a cpio archive: ktstr only writes them, and
 * the guest kernel reads them at boot.  What reaches the writer from
 * outside is the user's: --include-files paths, scheduler names, library
 * paths, file contents.  So this target fuzzes the writer with any names
 * and data, and reads every archive back with a strict newc reader
 * written here, as the kernel's init/initramfs.c would.
 *
 * Input: operations until the input ends: a kind byte (dir, file,
 * symlink, device node, parents), a NUL-terminated path, then per kind a
 * mode, a target string, or data (a length byte and bytes).
 * Oracles: an entry is accepted only for a valid path (relative, no empty,
 * "." or ".." component, no trailing slash, not the end marker's name);
 * the archive reads back as
 * exactly the accepted entries in order, with their names, modes and
 * data, each header and name padded to 4 bytes, then one TRAILER!!! and
 * zeros to a multiple of 512 bytes; no accepted entry is read as the end
 * of the archive. */
#include "fuzz.h"
#include "initramfs/cpio.h"

#include <errno.h>
#include <sys/stat.h>

#define MAX_ENT 4096
#define PATH_LEN 4200 /* past the writer's 4096-byte limit */

struct ent {
	char *name;
	unsigned mode;
	const uint8_t *data; /* into the input, or the symlink's target */
	size_t len;
	char *target;
};

/* Room for entry n of *e (capacity *cap). */
static struct ent *room(struct ent **e, size_t *cap, size_t n)
{
	if (n >= *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct ent *v = realloc(*e, nc * sizeof(*v));

		if (!v)
			abort();
		memset(v + *cap, 0, (nc - *cap) * sizeof(*v));
		*e = v;
		*cap = nc;
	}
	return &(*e)[n];
}

static void set(struct ent *x, const char *name, unsigned mode, const void *data, size_t len)
{
	x->name = strdup(name);
	if (!x->name)
		abort();
	x->mode = mode;
	x->data = data;
	x->len = len;
}

static bool valid(const char *p)
{
	size_t n = strlen(p);

	if (!n || p[0] == '/' || p[n - 1] == '/' || strstr(p, "//") || !strcmp(p, "TRAILER!!!"))
		return false;
	for (const char *c = p; *c;) {
		const char *e = strchrnul(c, '/');
		size_t l = (size_t)(e - c);

		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = *e ? e + 1 : e;
	}
	return true;
}

static unsigned hex8(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];

		FZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'), "header digit '%c'", c);
		v = v << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	return v;
}

/* Reads the archive back; returns the number of entries before the trailer. */
static size_t read_back(const uint8_t *a, size_t len, const struct ent *want, size_t nwant)
{
	size_t off = 0, n = 0;

	FZ_CHECK(len % 512 == 0, "archive of %zu bytes", len);
	for (;;) {
		unsigned mode, filesize, namesize;
		const char *name;

		FZ_CHECK(off % 4 == 0 && len - off >= 110, "header at %zu of %zu", off, len);
		FZ_CHECK(!memcmp(a + off, "070701", 6), "magic at %zu", off);
		mode = hex8((const char *)a + off + 14);
		filesize = hex8((const char *)a + off + 54);
		namesize = hex8((const char *)a + off + 94);
		FZ_CHECK(namesize >= 1 && namesize <= len - off - 110, "name size %u", namesize);
		name = (const char *)a + off + 110;
		FZ_CHECK(name[namesize - 1] == '\0' && strlen(name) == namesize - 1, "name not terminated");
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		FZ_CHECK(filesize <= len - off, "data of %u bytes at %zu", filesize, off);
		if (!strcmp(name, "TRAILER!!!")) {
			FZ_CHECK(n == nwant, "the archive ends after %zu of %zu entries", n, nwant);
			break;
		}
		FZ_CHECK(n < nwant, "an entry nobody added: '%s'", name);
		FZ_CHECK(!strcmp(name, want[n].name), "entry %zu is '%s', added '%s'", n, name, want[n].name);
		FZ_CHECK(mode == want[n].mode, "entry '%s' mode %o, added %o", name, mode, want[n].mode);
		FZ_CHECK(filesize == want[n].len && (!filesize || !memcmp(a + off, want[n].data, filesize)),
			 "entry '%s' data differs", name);
		off = (off + filesize + 3) & ~(size_t)3;
		n++;
	}
	for (size_t i = (off + 3) & ~(size_t)3; i < len; i++)
		FZ_CHECK(!a[i], "byte 0x%02x after the trailer", a[i]);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct ent *e = NULL;
	char *path = malloc(PATH_LEN);
	struct cpio c;
	size_t n = 0, cap = 0;
	int err = 0, ret;

	if (!path)
		abort();
	kt_cpio_init(&c);
	while (fz_left(&f) && n < MAX_ENT) {
		uint8_t kind = fz_u8(&f) % 5;
		unsigned perm = fz_u16(&f);
		struct ent *x = room(&e, &cap, n);
		size_t before = c.dirs.n;

		fz_str(&f, path, PATH_LEN);
		switch (kind) {
		case 0:
			ret = kt_cpio_add_dir(&c, path, perm);
			if (!ret && c.dirs.n > before)
				set(room(&e, &cap, n++), path, S_IFDIR | (perm & 07777), NULL, 0);
			break;
		case 1: {
			size_t len = fz_u8(&f);

			len = len < f.n ? len : f.n;
			ret = kt_cpio_add_file(&c, path, perm, f.p, len);
			if (!ret)
				set(room(&e, &cap, n++), path, S_IFREG | (perm & 07777), f.p, len);
			f.p += len;
			f.n -= len;
			break;
		}
		case 2:
			free(x->target);
			x->target = malloc(PATH_LEN);
			if (!x->target)
				abort();
			fz_str(&f, x->target, PATH_LEN);
			ret = kt_cpio_add_symlink(&c, path, x->target);
			if (!ret)
				set(x, path, S_IFLNK | 0777, x->target, strlen(x->target)), n++;
			break;
		case 3:
			ret = kt_cpio_add_node(&c, path, perm & 1 ? S_IFBLK : S_IFCHR, perm, 5, 1);
			if (!ret)
				set(room(&e, &cap, n++), path, (perm & 1 ? S_IFBLK : S_IFCHR) | (perm & 07777), NULL, 0);
			break;
		default:
			/* Its parents, as directories, in order. */
			ret = kt_cpio_add_parents(&c, path);
			if (!ret)
				for (size_t d = before; d < c.dirs.n; d++)
					set(room(&e, &cap, n++), c.dirs.v[d], S_IFDIR | 0755, NULL, 0);
			break;
		}
		if (!err && ret)
			err = ret;
		if (!ret)
			FZ_CHECK(valid(path), "accepted the path '%s'", path);
		else if (!err || ret == err)
			FZ_CHECK(ret == -EINVAL || ret == -ENOMEM || ret == -EFBIG, "error %d", ret);
		if (ret)
			break; /* errors are sticky: nothing more goes in */
	}
	ret = kt_cpio_finish(&c);
	if (!err) {
		FZ_CHECK(!ret, "finish: %d", ret);
		read_back((const uint8_t *)c.buf.data, c.buf.len, e, n);
	} else {
		FZ_CHECK(ret == err, "finish after error %d gives %d", err, ret);
	}
	kt_cpio_free(&c);
	for (size_t i = 0; i < cap; i++) {
		free(e[i].name);
		free(e[i].target);
	}
	free(e);
	free(path);
	return 0;
}
