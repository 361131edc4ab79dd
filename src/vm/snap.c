/* The snapshot cache of "restore instead of boot" (vm/snap.h). */
#include "vm/snap.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int kt_snap_key(const char *const *argv, int n, const char *initrd_sha, const char *stamp, char key[65])
{
	struct sha256 *h = kt_sha256_new();

	if (!h)
		return -errno ? -errno : -ENOMEM;
	kt_sha256_update(h, KT_SNAP_FORMAT, sizeof(KT_SNAP_FORMAT));
	for (int i = 0; i < n; i++) {
		const char *a = i && !strcmp(argv[i - 1], "-initrd") ? initrd_sha : argv[i];

		kt_sha256_update(h, a, strlen(a) + 1); /* the NUL: "ab","c" is not "a","bc" */
	}
	kt_sha256_update(h, "\n", 1);
	kt_sha256_update(h, stamp, strlen(stamp) + 1);
	kt_sha256_final_hex(h, key);
	return 0;
}

int kt_snap_stamp(const char *const *paths, int n, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		struct stat st;
		int k;

		if (stat(paths[i], &st))
			return -errno;
		k = snprintf(buf + used, len - used, "%s%s %lld %lld.%09ld %llu", i ? " " : "", paths[i],
			     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			     (unsigned long long)st.st_ino);
		if (k < 0 || (size_t)k >= len - used)
			return -ENAMETOOLONG;
		used += (size_t)k;
	}
	return 0;
}

static struct sha_memo {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char hex[65];
} memo[8];
static unsigned memo_next;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same(const struct sha_memo *m, const struct stat *st)
{
	return m->hex[0] && m->dev == st->st_dev && m->ino == st->st_ino && m->size == st->st_size &&
	       m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

int kt_snap_file_sha(const char *path, char hex[65])
{
	struct sha256 *h;
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	pthread_mutex_lock(&memo_lock);
	for (unsigned i = 0; i < ARRAY_SIZE(memo); i++)
		if (same(&memo[i], &st)) {
			memcpy(hex, memo[i].hex, 65);
			pthread_mutex_unlock(&memo_lock);
			return 0;
		}
	pthread_mutex_unlock(&memo_lock);
	h = kt_sha256_new();
	if (!h)
		return errno ? -errno : -ENOMEM;
	ret = kt_sha256_update_file(h, path);
	kt_sha256_final_hex(h, hex);
	if (ret)
		return ret;
	pthread_mutex_lock(&memo_lock);
	memo[memo_next % ARRAY_SIZE(memo)] = (struct sha_memo){ .dev = st.st_dev, .ino = st.st_ino,
							       .size = st.st_size, .mtime = st.st_mtim };
	memcpy(memo[memo_next++ % ARRAY_SIZE(memo)].hex, hex, 65);
	pthread_mutex_unlock(&memo_lock);
	return 0;
}

int kt_snap_dir(char *dir, size_t len)
{
	char root[4096];
	int ret = kt_cache_root(root, sizeof(root)), n;

	if (ret)
		return ret;
	n = snprintf(dir, len, "%s/snapshots", root);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return kt_mkdir_p(dir, 0700);
}

/* The extents [off, end) of fd holding data, one by one: 0 with *start,
 * *stop set, 1 when there are no more, -errno. */
static int next_data(int fd, off_t off, off_t end, off_t *start, off_t *stop)
{
	off_t d, h;

	if (off >= end)
		return 1;
	d = lseek(fd, off, SEEK_DATA);
	if (d < 0)
		return errno == ENXIO ? 1 : -errno;
	if (d >= end)
		return 1;
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0)
		return -errno;
	*start = d;
	*stop = h < end ? h : end;
	return 0;
}

/* Copy [a, b) from fd in to fd out at the same offsets, minus the
 * skipped range, through a bounce buffer: write(2) into the memfd is
 * several times cheaper than faulting its pages in one by one. */
#define MOVE_BUF (1u << 20)
static int move(int in, int out, char *buf, off_t a, off_t b, size_t skip_off, size_t skip_len, uint64_t *bytes)
{
	off_t s0 = (off_t)skip_off, s1 = (off_t)(skip_off + skip_len);

	while (a < b) {
		off_t e = b;
		ssize_t n, w;

		if (a >= s0 && a < s1) {
			a = s1;
			continue;
		}
		if (a < s0 && e > s0)
			e = s0;
		if (e - a > (off_t)MOVE_BUF)
			e = a + (off_t)MOVE_BUF;
		n = pread(in, buf, (size_t)(e - a), a);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < n; done += w) {
			w = pwrite(out, buf + done, (size_t)(n - done), a + done);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				return w < 0 ? -errno : -EIO;
		}
		a += n;
		*bytes += (uint64_t)n;
	}
	return 0;
}

static int ram_xfer(const struct vm_region *r, const char *path, size_t skip_off, size_t skip_len, bool save,
		    uint64_t *bytes)
{
	int fd = save ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : open(path, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(MOVE_BUF);
	int src, ret = buf ? 0 : -ENOMEM;
	off_t off = 0, a = 0, b = 0;
	struct stat st;

	*bytes = 0;
	if (fd < 0)
		return -errno;
	if (save && ftruncate(fd, (off_t)r->size))
		ret = -errno;
	if (!save && (fstat(fd, &st) ? (ret = -errno) : st.st_size != (off_t)r->size))
		ret = ret ? ret : -EINVAL; /* not this VM's RAM size */
	src = save ? r->fd : fd; /* the extents come from the side that has them */
	while (!ret && !(ret = next_data(src, off, (off_t)r->size, &a, &b))) {
		ret = save ? move(r->fd, fd, buf, a, b, skip_off, skip_len, bytes)
			   : move(fd, r->fd, buf, a, b, skip_off, skip_len, bytes);
		off = b;
	}
	if (ret == 1)
		ret = 0;
	free(buf);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int kt_snap_ram_save(const struct vm_region *r, const char *path, size_t skip_off, size_t skip_len,
		     uint64_t *bytes)
{
	return ram_xfer(r, path, skip_off, skip_len, true, bytes);
}

int kt_snap_ram_load(const struct vm_region *r, const char *path, size_t skip_off, size_t skip_len,
		     uint64_t *bytes)
{
	return ram_xfer(r, path, skip_off, skip_len, false, bytes);
}

int kt_snap_ram_wipe(const struct vm_region *r, size_t skip_off, size_t skip_len)
{
	int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

	if (skip_off && fallocate(r->fd, mode, 0, (off_t)skip_off))
		return -errno;
	if (skip_off + skip_len < r->size &&
	    fallocate(r->fd, mode, (off_t)(skip_off + skip_len), (off_t)(r->size - skip_off - skip_len)))
		return -errno;
	return 0;
}

void kt_snap_prune_pick(struct kt_snap_entry *e, unsigned n, long long now)
{
	for (unsigned i = 0; i < n; i++)
		e[i].doomed = now - e[i].mtime > (e[i].tmp ? KT_SNAP_TMP_AGE : KT_SNAP_MAX_AGE);
	/* Of the surviving snapshots, those with KT_SNAP_MAX_KEEP or more
	 * used more recently (ties: the earlier entry counts as newer) go. */
	for (unsigned i = 0; i < n; i++) {
		unsigned newer = 0;

		if (e[i].tmp || e[i].doomed)
			continue;
		for (unsigned j = 0; j < n; j++)
			if (j != i && !e[j].tmp && now - e[j].mtime <= KT_SNAP_MAX_AGE &&
			    (e[j].mtime > e[i].mtime || (e[j].mtime == e[i].mtime && j < i)))
				newer++;
		e[i].doomed = newer >= KT_SNAP_MAX_KEEP;
	}
}

#define PRUNE_MAX 256
void kt_snap_prune(const char *keep)
{
	static struct kt_snap_entry e[PRUNE_MAX];
	static char names[PRUNE_MAX][96];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char dir[4096], p[4200];
	unsigned n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (kt_snap_dir(dir, sizeof(dir)))
		return;
	snprintf(p, sizeof(p), "%s/%s", dir, keep);
	utimensat(AT_FDCWD, p, NULL, 0); /* used now */
	pthread_mutex_lock(&lock);
	d = opendir(dir);
	while (d && (de = readdir(d)) && n < PRUNE_MAX) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, keep) || strlen(de->d_name) >= sizeof(names[0]) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		memcpy(names[n], de->d_name, strlen(de->d_name) + 1); /* fits: checked above */
		e[n] = (struct kt_snap_entry){ .mtime = st.st_mtime, .tmp = strstr(de->d_name, ".tmp.") != NULL };
		n++;
	}
	if (d)
		closedir(d);
	kt_snap_prune_pick(e, n, (long long)time(NULL));
	for (unsigned i = 0; i < n; i++) {
		if (!e[i].doomed)
			continue;
		snprintf(p, sizeof(p), "%s/%.95s", dir, names[i]);
		if (kt_rm_rf(p))
			kt_debug("restore: remove old snapshot %s: %s", p, strerror(errno));
		else
			kt_debug("restore: removed old snapshot %s", p);
	}
	pthread_mutex_unlock(&lock);
}
