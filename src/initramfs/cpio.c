/* cpio "newc" (070701) archive writer.  Every entry is a 110-byte ASCII
 * header, the NUL-terminated name padded to 4 bytes, then the data padded
 * to 4 bytes.  uid, gid and mtime are 0 so archives are reproducible. */
#include "initramfs/cpio.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#define CPIO_HDR_LEN 110
#define CPIO_MAX_PATH 4096
#define CPIO_TRAILER "TRAILER!!!"

void kt_cpio_init(struct cpio *c)
{
	memset(c, 0, sizeof(*c));
	c->next_ino = 1;
}

void kt_cpio_free(struct cpio *c)
{
	kt_kbuf_free(&c->buf);
	kt_strlist_free(&c->dirs);
	c->error = 0;
	c->finished = 0;
}

static int fail(struct cpio *c, int err)
{
	if (!c->error)
		c->error = err;
	return c->error;
}

/* Archive paths are relative, non-empty, and made of non-empty components
 * other than "." and "..".  The end marker's name is not one: the
 * kernel's reader would end the archive at that entry. */
static bool valid_path(const char *path)
{
	const char *p = path;

	if (!path || !*path || *path == '/' || strlen(path) >= CPIO_MAX_PATH || !strcmp(path, CPIO_TRAILER))
		return false;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*end)
			break;
		p = end + 1;
		if (!*p) /* trailing '/' */
			return false;
	}
	return true;
}

static int pad4(struct cpio *c)
{
	static const char zero[4];
	size_t rem = c->buf.len & 3;

	return rem ? kt_kbuf_append(&c->buf, zero, 4 - rem) : 0;
}

/* Appends one entry: header, name, data.  ino 0 is used for the trailer. */
static int put_entry(struct cpio *c, const char *name, unsigned ino, unsigned mode,
		     unsigned nlink, unsigned rmajor, unsigned rminor,
		     const void *data, size_t len)
{
	size_t namesize = strlen(name) + 1;
	int ret;

	if (len > UINT32_MAX)
		return fail(c, -EFBIG);
	ret = kt_kbuf_printf(&c->buf,
			  "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			  ino, mode, 0u, 0u, nlink, 0u, (unsigned)len, 0u, 0u, rmajor, rminor,
			  (unsigned)namesize, 0u);
	if (!ret)
		ret = kt_kbuf_append(&c->buf, name, namesize);
	if (!ret)
		ret = pad4(c);
	if (!ret && len)
		ret = kt_kbuf_append(&c->buf, data, len);
	if (!ret)
		ret = pad4(c);
	return ret ? fail(c, ret) : 0;
}

/* Common checks before adding a named entry. */
static int check_add(struct cpio *c, const char *path)
{
	if (c->error)
		return c->error;
	if (c->finished)
		return fail(c, -EINVAL);
	if (!valid_path(path))
		return fail(c, -EINVAL);
	return 0;
}

int kt_cpio_add_dir(struct cpio *c, const char *path, unsigned perm)
{
	int ret = check_add(c, path);

	if (ret)
		return ret;
	if (kt_strlist_has(&c->dirs, path))
		return 0;
	ret = kt_strlist_add(&c->dirs, path);
	if (ret)
		return fail(c, ret);
	return put_entry(c, path, c->next_ino++, S_IFDIR | (perm & 07777), 2, 0, 0, NULL, 0);
}

int kt_cpio_add_file(struct cpio *c, const char *path, unsigned perm, const void *data, size_t len)
{
	int ret = check_add(c, path);

	if (ret)
		return ret;
	if (len && !data)
		return fail(c, -EINVAL);
	return put_entry(c, path, c->next_ino++, S_IFREG | (perm & 07777), 1, 0, 0, data, len);
}

int kt_cpio_add_symlink(struct cpio *c, const char *path, const char *target)
{
	int ret = check_add(c, path);

	if (ret)
		return ret;
	if (!target || !*target || strlen(target) >= CPIO_MAX_PATH)
		return fail(c, -EINVAL);
	return put_entry(c, path, c->next_ino++, S_IFLNK | 0777, 1, 0, 0, target,
			 strlen(target));
}

int kt_cpio_add_node(struct cpio *c, const char *path, unsigned type, unsigned perm,
		  unsigned major, unsigned minor)
{
	int ret = check_add(c, path);

	if (ret)
		return ret;
	if (type != S_IFCHR && type != S_IFBLK)
		return fail(c, -EINVAL);
	return put_entry(c, path, c->next_ino++, type | (perm & 07777), 1, major, minor,
			 NULL, 0);
}

int kt_cpio_add_parents(struct cpio *c, const char *path)
{
	char tmp[CPIO_MAX_PATH];
	size_t len;
	int ret = check_add(c, path);

	if (ret)
		return ret;
	len = strlen(path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ret = kt_cpio_add_dir(c, tmp, 0755);
		*p = '/';
		if (ret)
			return ret;
	}
	return 0;
}

int kt_cpio_finish(struct cpio *c)
{
	static const char zero[512];
	size_t rem;
	int ret;

	if (c->error)
		return c->error;
	if (c->finished)
		return fail(c, -EINVAL);
	ret = put_entry(c, CPIO_TRAILER, 0, 0, 1, 0, 0, NULL, 0);
	if (ret)
		return ret;
	rem = c->buf.len % 512;
	if (rem) {
		ret = kt_kbuf_append(&c->buf, zero, 512 - rem);
		if (ret)
			return fail(c, ret);
	}
	c->finished = 1;
	return 0;
}
