/* File helpers, the cache root and SHA-256 over libcrypto (opened at
 * first use, util/dl.h). */
#include "util/util.h"
#include "util/dl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_read_file(const char *path, struct kbuf *out)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		ret = kt_kbuf_append(out, buf, (size_t)n);
		if (ret)
			break;
	}
	close(fd);
	if (!ret && !out->data)
		ret = kt_kbuf_append(out, "", 0);
	return ret;
}

int kt_read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!len)
		return -EINVAL;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kt_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int kt_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, ret;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s" KT_TMP_SUFFIX "XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL, 0600: never an existing file or a symlink */
	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (!ret && fchmod(fd, mode ? mode : 0644))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path)) /* replaces path itself, even a symlink */
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int kt_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		ret = -errno ? -errno : -EIO;
	close(fd);
	return ret;
}

int kt_mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int kt_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sub[4096];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
			ret = -ENAMETOOLONG;
			continue;
		}
		int r = kt_rm_rf(sub);

		if (r && !ret)
			ret = r;
	}
	closedir(d);
	if (rmdir(path) && !ret)
		ret = -errno;
	return ret;
}

int kt_copy_or_link(const char *src, const char *dst)
{
	struct kbuf b = { 0 };
	struct stat st;
	int ret;

	unlink(dst);
	if (!link(src, dst))
		return 0;
	ret = kt_read_file(src, &b);
	if (!ret)
		ret = kt_write_file(dst, b.data, b.len);
	if (!ret && !stat(src, &st))
		chmod(dst, st.st_mode & 07777);
	kt_kbuf_free(&b);
	return ret;
}

bool kt_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

bool kt_is_executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int kt_cache_root_for(const char *cache_dir, const char *xdg, const char *home, const char *pw_home, char *buf,
		      size_t len)
{
	int n;

	if (cache_dir && *cache_dir)
		n = snprintf(buf, len, "%s", cache_dir);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/ktstr", xdg);
	else if ((home && *home) || (pw_home && *pw_home))
		n = snprintf(buf, len, "%s/.cache/ktstr", home && *home ? home : pw_home);
	else
		return -ENOENT; /* no fallback to a shared directory such as /tmp */
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int kt_cache_dir_check(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno; /* created later, by us */
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* Whoever can write the cache can swap kernels, schedulers and
	 * initramfs archives under us. */
	if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & S_IWOTH))
		return -EPERM;
	return 0;
}

int kt_cache_root(char *buf, size_t len)
{
	struct passwd *pw = NULL;
	const char *home = getenv("HOME");
	int ret;

	if (!home || !*home)
		pw = getpwuid(getuid());
	ret = kt_cache_root_for(getenv("KTSTR_CACHE_DIR"), getenv("XDG_CACHE_HOME"), home, pw ? pw->pw_dir : NULL,
				buf, len);
	if (ret == -ENOENT)
		return kt_err(ENOENT, "cache directory: HOME is not set and uid %u has no home; set KTSTR_CACHE_DIR",
			      (unsigned)getuid());
	if (ret)
		return ret;
	ret = kt_cache_dir_check(buf);
	if (ret == -EPERM)
		return kt_err(EPERM, "cache directory %s is writable by others or not ours; use a private one "
				     "(KTSTR_CACHE_DIR)", buf);
	return ret;
}

/* libcrypto's EVP digest calls, typed by its own header. */
static struct {
	__typeof__(EVP_MD_CTX_new) *ctx_new;
	__typeof__(EVP_MD_CTX_free) *ctx_free;
	__typeof__(EVP_sha256) *sha256;
	__typeof__(EVP_DigestInit_ex) *init;
	__typeof__(EVP_DigestUpdate) *update;
	__typeof__(EVP_DigestFinal_ex) *final;
} evp;
static int evp_ret;

static void evp_bind(void)
{
	const struct kt_dl_sym syms[] = {
		KT_DL_SYM(evp.ctx_new, EVP_MD_CTX_new),	  KT_DL_SYM(evp.ctx_free, EVP_MD_CTX_free),
		KT_DL_SYM(evp.sha256, EVP_sha256),	  KT_DL_SYM(evp.init, EVP_DigestInit_ex),
		KT_DL_SYM(evp.update, EVP_DigestUpdate), KT_DL_SYM(evp.final, EVP_DigestFinal_ex),
	};

	evp_ret = kt_dl_bind(&kt_dl_crypto, syms, ARRAY_SIZE(syms));
}

struct sha256 {
	EVP_MD_CTX *ctx;
};

struct sha256 *kt_sha256_new(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sha256 *h;

	pthread_once(&once, evp_bind);
	if (evp_ret) {
		errno = -evp_ret;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = evp.ctx_new();
	if (!h->ctx || !evp.init(h->ctx, evp.sha256(), NULL)) {
		evp.ctx_free(h->ctx);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void kt_sha256_update(struct sha256 *h, const void *p, size_t n)
{
	evp.update(h->ctx, p, n);
}

int kt_sha256_update_file(struct sha256 *h, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		evp.update(h->ctx, buf, (size_t)n);
	close(fd);
	return n < 0 ? -errno : 0;
}

void kt_sha256_final_hex(struct sha256 *h, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	evp.final(h->ctx, md, &mdlen);
	for (unsigned i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[64] = '\0';
	evp.ctx_free(h->ctx);
	free(h);
}
