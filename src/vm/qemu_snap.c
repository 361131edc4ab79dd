/* Restore instead of boot, QEMU backend (docs/performance.md).  A guest
 * booted with ktstr_park= stops in PID 1 before it looks at its test;
 * the host then migrates the device and vCPU state to a file (RAM stays
 * in the memfds: x-ignore-shared), copies the RAM's data extents into
 * the snapshot cache (vm/snap.h), resumes the guest and hands it the
 * test's command line.  Later runs with the same key fill fresh memfds
 * from the cache, start QEMU with -incoming, and hand over the same way.
 * Whatever goes wrong before the guest has taken the hand-over page ends
 * in a plain cold boot; nothing here fails a test. */
#include "vm/qemu.h"
#include "vm/snap.h"
#include "proto/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 10000u
#define TAKE_TIMEOUT_MS 10000u

/* One reply to the last command (events and partial lines skipped; what
 * follows the reply in buf is dropped): 0 with "return" (or the
 * greeting), else -EIO (an "error", a line too long, EOF) or -ETIMEDOUT.
 * *ret (may be NULL) gets the "return" value, to json_decref. */
#define QMP_LINE_MAX 65536u
static int qmp_reply_in(int fd, json_t **ret, char *buf)
{
	size_t len = 0;
	uint64_t end = kt_now_ns() + QMP_TIMEOUT_MS * 1000000ull;

	for (;;) {
		char *nl = memchr(buf, '\n', len);

		if (nl) {
			json_t *o = json_loadb(buf, (size_t)(nl - buf), 0, NULL), *r;
			/* Not an object: the tail of an event line an earlier
			 * call read the head of; skipped like events. */
			int got = 1;

			if (o && (json_object_get(o, "return") || json_object_get(o, "QMP"))) /* or the greeting */
				got = 0;
			else if (o && json_object_get(o, "error"))
				got = -EIO;

			if (!got && ret && (r = json_object_get(o, "return")))
				*ret = json_incref(r);
			json_decref(o);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			if (got <= 0)
				return got;
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = kt_now_ns();
		ssize_t n;

		if (now >= end || len == QMP_LINE_MAX)
			return now >= end ? -ETIMEDOUT : -EIO;
		if (poll(&p, 1, (int)((end - now) / 1000000u) + 1) <= 0)
			continue;
		n = read(fd, buf + len, QMP_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		len += (size_t)n;
	}
}

static int qmp_reply(int fd, json_t **ret)
{
	char *buf = malloc(QMP_LINE_MAX);
	int r = buf ? qmp_reply_in(fd, ret, buf) : -ENOMEM;

	free(buf);
	return r;
}

/* Send cmd (and pass_fd with it when >= 0), wait for its reply. */
static int qmp(int fd, const char *cmd, int pass_fd, json_t **ret)
{
	struct iovec iov = { .iov_base = (void *)cmd, .iov_len = strlen(cmd) };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(fd, &m, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		return -EIO;
	return qmp_reply(fd, ret);
}

static int qmp_hello(int fd)
{
	if (qmp_reply(fd, NULL) /* the greeting */ || qmp(fd, "{\"execute\":\"qmp_capabilities\"}\n", -1, NULL))
		return -EIO;
	return qmp(fd,
		   "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
		   "[{\"capability\":\"x-ignore-shared\",\"state\":true}]}}\n",
		   -1, NULL);
}

static struct kt_handover *park_page(struct vm *vm)
{
	return (struct kt_handover *)((char *)vm->shm + vm->shm_size);
}

/* What is left out of node 0's RAM file: the shared region and the page. */
static size_t skip_off(struct vm *vm)
{
	return (size_t)((char *)vm->shm - (char *)vm->regions[0].host);
}
#define SKIP_LEN (VM_SHM_SIZE + VM_PARK_SIZE)

static int hand_over(struct vm *vm)
{
	uint8_t ent[KT_HO_ENTROPY];
	struct timespec ts;

	if (getrandom(ent, sizeof(ent), 0) != (ssize_t)sizeof(ent) || clock_gettime(CLOCK_REALTIME, &ts))
		return -EIO;
	return kt_handover_fill(park_page(vm), vm->cmdline, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
				ent);
}

static int path_of(char *buf, size_t len, const char *key, const char *what)
{
	char dir[4096];
	int ret = kt_snap_dir(dir, sizeof(dir)), n;

	if (ret)
		return ret;
	n = snprintf(buf, len, "%s/%s%s", dir, key, what);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Restore from dir: 0 once the guest has taken the hand-over page. */
static int restore(struct vm *vm, struct qemu *q, struct kt_qemu_argv *a, const char *dir)
{
	char p[4352];
	uint64_t t0 = kt_now_ns(), bytes = 0, b, t1;
	int fd, ret = 0, st;

	for (unsigned i = 0; i < vm->nregions && !ret; i++) {
		snprintf(p, sizeof(p), "%s/ram%u", dir, i);
		ret = kt_snap_ram_load(&vm->regions[i], p, i ? 0 : skip_off(vm), i ? 0 : SKIP_LEN, &b);
		bytes += b;
	}
	if (ret)
		return ret;
	t1 = kt_now_ns();
	ret = hand_over(vm);
	snprintf(p, sizeof(p), "%s/state", dir);
	fd = ret ? -1 : open(p, O_RDONLY | O_CLOEXEC);
	if (ret || fd < 0)
		return ret ? ret : -errno;
	ret = kt_qemu_spawn(vm, q, a, true, fd);
	close(fd);
	if (!ret)
		ret = qmp_hello(q->qmp_fd);
	if (!ret) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:%d\"}}\n",
			 KT_QEMU_FD_STATE);
		ret = qmp(q->qmp_fd, cmd, -1, NULL);
	}
	while (!ret && !kt_handover_taken(park_page(vm))) {
		if (waitpid(q->pid, &st, WNOHANG) == q->pid) {
			q->reaped = true;
			ret = -ECHILD;
		} else if (kt_now_ns() - t1 > TAKE_TIMEOUT_MS * 1000000ull) {
			ret = -ETIMEDOUT;
		} else {
			usleep(1000);
		}
	}
	if (!ret)
		kt_debug("restore: restored %s: RAM %.1f MiB copied in %.1f ms, guest took over %.1f ms later", dir,
			 (double)bytes / (1 << 20), (double)(t1 - t0) / 1e6, (double)(kt_now_ns() - t1) / 1e6);
	return ret;
}

static bool eligible(const struct vm *vm, bool kvm, const char **why)
{
	const struct vm_config *c = vm->cfg;

	*why = kvm ? "KVM (only TCG restores are tested)"
	       : c->com2_input || c->input_hvc0 ? "console input"
	       : c->perf_mode || c->cpu_cap ? "--perf-mode/--cpu-cap"
	       : c->kaslr ? "KASLR (a restore would repeat the snapshot's layout)"
	       : c->nested_host ? "a nested rig"
	       : c->disks[0].path ? "disks"
	       : vm->regions[0].size < VM_PARK_GPA + VM_PARK_SIZE ? "node 0 too small"
	       : NULL;
	return !*why;
}

static int make_key(struct vm *vm, struct kt_qemu_argv *a, char key[65])
{
	char sha[65], stamp[8192];
	char exe[4096];
	const char *files[] = { vm->cfg->kernel, a->v[0], exe };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int ret;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	ret = kt_snap_file_sha(vm->cfg->initrd, sha);
	if (!ret)
		ret = kt_snap_stamp(files, 3, stamp, sizeof(stamp));
	return ret ? ret : kt_snap_key((const char *const *)a->v, a->n, sha, stamp, key);
}

int kt_qemu_snap_launch(struct vm *vm, struct qemu *q, bool kvm)
{
	struct kt_qemu_argv *a = calloc(1, sizeof(*a));
	char park[4096], dir[4096];
	const char *why = NULL;
	struct stat st;
	int ret;

	if (!a)
		return 1;
	if (!eligible(vm, kvm, &why))
		goto plain;
	why = "the command line does not fit";
	if (kt_vm_park_cmdline(vm, park, sizeof(park)) || kt_qemu_build_argv_park(vm, q->qemu_path, kvm, park, false, a))
		goto plain;
	why = "no snapshot key (initramfs, kernel or QEMU unreadable, or no libcrypto)";
	if (make_key(vm, a, q->key) || path_of(dir, sizeof(dir), q->key, ""))
		goto plain;
	if (!stat(dir, &st)) {
		a->n = 0, a->used = 0;
		ret = kt_qemu_build_argv_park(vm, q->qemu_path, kvm, park, true, a);
		ret = ret ? ret : restore(vm, q, a, dir);
		if (!ret) {
			kt_snap_prune(q->key);
			goto ok;
		}
		kt_debug("restore: %s did not restore (%s); removed, booting cold", dir, strerror(-ret));
		kt_qemu_unspawn(vm, q);
		for (unsigned i = 0; i < vm->nregions; i++)
			kt_snap_ram_wipe(&vm->regions[i], i ? 0 : skip_off(vm), i ? 0 : SKIP_LEN);
		memset(park_page(vm), 0, VM_PARK_SIZE);
		kt_rm_rf(dir);
		free(a);
		return 1;
	}
	/* No snapshot: boot parked and take one, unless another run is. */
	why = "another run is taking this snapshot";
	if (path_of(park, sizeof(park), q->key, ".lock") ||
	    (q->lock_fd = open(park, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(q->lock_fd, LOCK_EX | LOCK_NB))
		goto plain;
	memset(park_page(vm), 0, VM_PARK_SIZE);
	if (kt_qemu_spawn(vm, q, a, true, -1) || qmp_hello(q->qmp_fd)) {
		why = "QEMU with a QMP monitor did not start";
		kt_qemu_unspawn(vm, q);
		goto plain;
	}
	q->snap_pending = true;
	kt_debug("restore: no snapshot %s yet: booting cold, parked, to take it", q->key);
ok:
	free(a);
	return 0;
plain:
	kt_debug("restore: booting cold: %s", why);
	kt_qemu_snap_end(q);
	free(a);
	return 1;
}

/* The parked guest's state and RAM into <key>.tmp.*, renamed to <key>. */
static int take(struct vm *vm, struct qemu *q)
{
	char dir[4096], tmp[4200], p[4352];
	uint64_t t0 = kt_now_ns(), t1, bytes = 0, b;
	json_t *r = NULL;
	int fd, ret;

	if (path_of(dir, sizeof(dir), q->key, ""))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%d", dir, (int)getpid(), (int)q->pid);
	if (mkdir(tmp, 0700))
		return -errno;
	snprintf(p, sizeof(p), "%s/state", tmp);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ret = fd < 0 ? -errno : qmp(q->qmp_fd, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snap\"}}\n", fd, NULL);
	if (fd >= 0)
		close(fd);
	if (!ret)
		ret = qmp(q->qmp_fd, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:snap\"}}\n", -1, NULL);
	while (!ret) {
		const char *s;

		ret = qmp(q->qmp_fd, "{\"execute\":\"query-migrate\"}\n", -1, &r);
		s = ret ? NULL : json_string_value(json_object_get(r, "status"));
		if (s && !strcmp(s, "completed")) {
			json_decref(r);
			break;
		}
		if (!ret && (!s || !strcmp(s, "failed") || !strcmp(s, "cancelled") || kt_now_ns() - t0 > 10000000000ull))
			ret = -EIO;
		json_decref(r);
		r = NULL;
		usleep(2000);
	}
	t1 = kt_now_ns();
	for (unsigned i = 0; i < vm->nregions && !ret; i++) {
		snprintf(p, sizeof(p), "%s/ram%u", tmp, i);
		ret = kt_snap_ram_save(&vm->regions[i], p, i ? 0 : skip_off(vm), i ? 0 : SKIP_LEN, &b);
		bytes += b;
	}
	if (!ret && rename(tmp, dir))
		ret = -errno;
	if (ret)
		kt_rm_rf(tmp);
	else
		kt_debug("restore: took snapshot %s: state %.1f ms, RAM %.1f MiB in %.1f ms", dir, (double)(t1 - t0) / 1e6,
			 (double)bytes / (1 << 20), (double)(kt_now_ns() - t1) / 1e6);
	return ret;
}

void kt_qemu_snap_service(struct vm *vm)
{
	struct qemu *q = vm->priv;
	int ret;

	if (!q || !q->snap_pending || !kt_handover_parked(park_page(vm)))
		return;
	q->snap_pending = false;
	ret = take(vm, q);
	if (ret)
		kt_debug("restore: no snapshot taken (%s); the test goes on", strerror(-ret));
	/* Running again whatever happened; "cont" of a running VM is harmless. */
	qmp(q->qmp_fd, "{\"execute\":\"cont\"}\n", -1, NULL);
	kt_qemu_snap_end(q);
	if (hand_over(vm))
		kt_err(0, "restore: could not hand the test over to the parked guest");
	else if (!ret)
		kt_snap_prune(q->key); /* the guest runs its test meanwhile */
}

void kt_qemu_snap_end(struct qemu *q)
{
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	q->lock_fd = -1;
}
