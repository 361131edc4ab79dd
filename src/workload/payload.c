/* Payload processes: start, wait, stop, finish (workload/payload.h). */
#include "workload/payload.h"
#include "workload/workload.h"
#include "model/payload.h"
#include "proto/pmet.h"
#include "proto/shm_ring.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGV (KTSTR_PAYLOAD_MAX_ARGS + 64 + 2)

struct run {
	const struct ktstr_payload *p;
	char cgroup[128]; /* "": the caller's */
	int step;
	pid_t pid;
	bool reaped, killed, timed_out;
	int status;
	unsigned timeout_ms;
	uint64_t t0, t1;
	char dir[PATH_MAX];
};

struct kt_payloads {
	struct ktstr_ctx *ctx;
	struct run *r[KT_PAYLOAD_RUNS];
	unsigned n;
};

struct kt_payloads *kt_payloads_new(struct ktstr_ctx *ctx)
{
	struct kt_payloads *s = calloc(1, sizeof(*s));

	if (s)
		s->ctx = ctx;
	return s;
}

/* In the child: only system calls until exec.  A failure is written to
 * the run's stderr file and ends the child with 126 (set-up) or 127. */
static void __attribute__((noreturn)) child(const char *exe, char *const argv[], const char *procs)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	sigset_t none;
	int fd;

	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL); /* PID 1 ignores SIGPIPE; exec keeps ignored signals */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < 3; i++) {
		fd = i ? open(names[i], O_WRONLY | O_CREAT | O_TRUNC, 0644) : open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, i) < 0)
			_exit(126);
		if (fd != i)
			close(fd);
	}
	if (procs) {
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			dprintf(2, "ktstr: payload: join cgroup (%s): %s\n", procs, strerror(errno));
			_exit(126);
		}
		close(fd);
	}
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	if (strchr(exe, '/'))
		execv(exe, argv);
	else
		execvp(exe, argv);
	dprintf(2, "ktstr: payload: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static int start(struct kt_payloads *s, struct run *r, const char *const *extra, char *err, size_t errlen)
{
	const struct ktstr_payload *p = r->p;
	char *argv[MAX_ARGV], link[64], procs[PATH_MAX] = "", cwd[PATH_MAX];
	const char *exe = p->binary;
	size_t n = 0;
	struct stat st;

	argv[n++] = (char *)p->binary;
	for (size_t i = 0; i < KTSTR_PAYLOAD_MAX_ARGS && p->args[i]; i++)
		argv[n++] = (char *)p->args[i];
	for (size_t i = 0; extra && extra[i] && n + 1 < MAX_ARGV; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	snprintf(link, sizeof(link), "/payload/%s", p->name);
	if (!lstat(link, &st))
		exe = link; /* packed by the runner at the host's path, linked here */
	if (r->cgroup[0] &&
	    (size_t)snprintf(procs, sizeof(procs), "%s/%s/cgroup.procs", kt_workload_cgroup_base(), r->cgroup) >=
		    sizeof(procs))
		return snprintf(err, errlen, "payload %s: cgroup path too long", p->name), -ENAMETOOLONG;
	snprintf(r->dir, sizeof(r->dir), "/tmp/ktstr-payload-%s-XXXXXX", p->name);
	if (!mkdtemp(r->dir)) {
		int e = errno;

		r->dir[0] = '\0';
		return snprintf(err, errlen, "payload %s: mkdtemp under /tmp: %s", p->name, strerror(e)), -e;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	fflush(NULL);
	r->t0 = kt_now_ns();
	r->pid = fork();
	if (r->pid == 0) {
		if (chdir(r->dir))
			_exit(126);
		child(exe, argv, procs[0] ? procs : NULL);
	}
	if (r->pid < 0) {
		int e = errno;

		return snprintf(err, errlen, "payload %s: fork: %s", p->name, strerror(e)), -e;
	}
	setpgid(r->pid, r->pid); /* also here: no window where a kill misses the group */
	ktstr_log(s->ctx, "payload %s: started, pid %d%s%s", p->name, (int)r->pid, r->cgroup[0] ? " in cgroup " : "",
		  r->cgroup);
	return 0;
}

static bool reap(struct run *r, bool block)
{
	int st;
	pid_t w;

	while (!r->reaped) {
		w = waitpid(r->pid, &st, block ? 0 : WNOHANG);
		if (w == r->pid) {
			r->status = st;
			r->reaped = true;
			r->t1 = kt_now_ns();
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0) { /* not our child any more: nothing to learn */
			r->status = -1;
			r->reaped = true;
			r->t1 = kt_now_ns();
		}
		break;
	}
	return r->reaped;
}

/* SIGTERM, a grace period, SIGKILL; then the group's stragglers. */
static void stop(struct run *r)
{
	if (!reap(r, false)) {
		r->killed = true;
		kill(-r->pid, SIGTERM);
		for (unsigned ms = 0; ms < KT_PAYLOAD_GRACE_MS && !reap(r, false); ms += 20)
			ktstr_sleep_ms(20);
		if (!r->reaped) {
			kill(-r->pid, SIGKILL);
			reap(r, true);
		}
	}
	kill(-r->pid, SIGKILL);
}

static void wait_run(struct run *r, unsigned timeout_ms)
{
	uint64_t end = timeout_ms ? kt_now_ns() + (uint64_t)timeout_ms * 1000000u : 0;

	while (!reap(r, false)) {
		if (end && kt_now_ns() >= end) {
			r->timed_out = true;
			r->timeout_ms = timeout_ms;
			break;
		}
		ktstr_sleep_ms(20);
	}
	stop(r);
}

/* The first KT_PAYLOAD_OUT_MAX bytes of dir/name; *trunc when longer. */
static void read_out(const char *dir, const char *name, struct kbuf *b, bool *trunc)
{
	char path[PATH_MAX + 64];
	char buf[65536];
	ssize_t n;
	int fd;

	b->len = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		size_t room = KT_PAYLOAD_OUT_MAX - b->len, take = n > 0 ? (size_t)n : 0;

		if (take > room) {
			take = room;
			*trunc = true;
		}
		kt_kbuf_append(b, buf, take);
		if (b->len >= KT_PAYLOAD_OUT_MAX) {
			*trunc |= read(fd, buf, 1) > 0;
			break;
		}
	}
	close(fd);
}

static void extract(const struct run *r, struct kt_metrics *m, uint32_t *flags)
{
	const struct ktstr_payload *p = r->p;
	const char *const streams[] = { p->output_file ? p->output_file : "stdout", p->output_file ? NULL : "stderr" };
	struct kbuf b = { 0 };
	bool trunc = false, doc = false;
	char err[160];

	for (size_t i = 0; i < 2 && streams[i] && p->output != KTSTR_OUT_EXIT_CODE; i++) {
		read_out(r->dir, streams[i], &b, &trunc);
		if (p->output == KTSTR_OUT_REGEX) {
			kt_metrics_from_lines(p, b.data, b.len, m, err, sizeof(err));
		} else if (!doc && b.len) { /* JSON: stdout, else stderr */
			doc = !kt_metrics_from_json(b.data, b.len, m);
		}
	}
	if (p->output == KTSTR_OUT_JSON && !doc)
		*flags |= KT_PMET_NO_DOC;
	if (trunc)
		*flags |= KT_PMET_TRUNCATED;
	kt_kbuf_free(&b);
}

static void send_pmet(const struct run *r, const struct kt_metrics *m, uint32_t flags, int32_t code)
{
	uint32_t len = kt_pmet_size(m->n);
	char *msg = calloc(1, len);
	struct kt_pmet_head *h = (struct kt_pmet_head *)msg;
	int ret;

	if (!msg)
		return;
	snprintf(h->payload, sizeof(h->payload), "%s", r->p->name);
	h->code = code;
	h->flags = flags;
	h->nmetrics = m->n;
	h->dropped = m->dropped;
	h->wall_ms = (uint32_t)((r->t1 - r->t0) / 1000000u);
	for (unsigned i = 0; i < m->n; i++) {
		struct kt_pmet_rec *rec = (struct kt_pmet_rec *)(msg + sizeof(*h)) + i;
		const struct ktstr_metric_decl *d = kt_payload_metric(r->p, m->v[i].name);

		snprintf(rec->name, sizeof(rec->name), "%s", m->v[i].name);
		if (d && d->unit)
			snprintf(rec->unit, sizeof(rec->unit), "%s", d->unit);
		rec->polarity = d ? (uint32_t)d->polarity : 0;
		rec->value = m->v[i].value;
	}
	ret = kt_shm_send(KT_MSG_PAYLOAD_METRICS, msg, len);
	if (ret && ret != -ENODEV) /* -ENODEV: no ring (bare metal) */
		fprintf(stderr, "ktstr: payload %s: metrics not sent to the host: %s\n", r->p->name, strerror(-ret));
	free(msg);
}

struct fail_arg {
	struct ktstr_ctx *ctx;
	const struct run *r;
};

/* A failure, with the start of stderr when the payload failed on its own. */
static void on_fail(void *arg, const char *msg)
{
	struct fail_arg *a = arg;
	struct kbuf b = { 0 };
	bool trunc = false;
	char first[120] = "";

	if (strstr(msg, "exit status") || strstr(msg, "signal")) {
		read_out(a->r->dir, "stderr", &b, &trunc);
		for (size_t i = 0, k = 0; i < b.len && b.data[i] != '\n' && k + 1 < sizeof(first); i++)
			if (b.data[i] >= 0x20 && b.data[i] < 0x7f)
				first[k++] = b.data[i];
		kt_kbuf_free(&b);
	}
	ktstr_fail(a->ctx, KTSTR_K_PAYLOAD, "%s%s%s%s", msg, first[0] ? " (stderr: " : "", first, first[0] ? ")" : "");
}

static void finish(struct kt_payloads *s, struct run *r)
{
	struct kt_metrics *m = calloc(1, sizeof(*m));
	struct kt_payload_end e = { .killed = r->killed, .timed_out = r->timed_out, .timeout_ms = r->timeout_ms };
	struct fail_arg fa = { s->ctx, r };
	uint32_t flags = 0;
	int32_t code = -1;
	char shown[160] = "";

	if (r->status >= 0 && WIFEXITED(r->status))
		e.code = code = WEXITSTATUS(r->status);
	else if (r->status >= 0 && WIFSIGNALED(r->status))
		e.sig = code = WTERMSIG(r->status), flags |= KT_PMET_SIGNALED;
	e.exited = !r->killed && r->status >= 0;
	flags |= (e.exited ? KT_PMET_EXITED : 0) | (r->killed ? KT_PMET_KILLED : 0) |
		 (r->timed_out ? KT_PMET_TIMED_OUT : 0);
	if (m) {
		extract(r, m, &flags);
		send_pmet(r, m, flags, code);
		for (unsigned i = 0, k = 0; i < m->n && i < 4; i++)
			k += (unsigned)snprintf(shown + k, sizeof(shown) - k, " %s=%g", m->v[i].name, m->v[i].value);
		ktstr_log(s->ctx, "payload %s: %s %d after %llu ms, %u metrics%s%s", r->p->name,
			  flags & KT_PMET_SIGNALED ? "signal" : "exit", code,
			  (unsigned long long)((r->t1 - r->t0) / 1000000u), m->n, shown, m->n > 4 ? " ..." : "");
		kt_payload_checks(r->p, m, &e, on_fail, &fa);
	} else {
		ktstr_fail(s->ctx, KTSTR_K_PAYLOAD, "payload %s: no memory for its metrics", r->p->name);
	}
	free(m);
	if (r->dir[0] && kt_rm_rf(r->dir))
		ktstr_log(s->ctx, "payload %s: could not remove %s", r->p->name, r->dir);
	free(r);
}

int kt_payloads_run(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup,
		    const char *const *extra, bool background, unsigned timeout_ms, int step, char *err, size_t errlen)
{
	struct run *r;
	int ret;

	if (background && s->n >= KT_PAYLOAD_RUNS)
		return snprintf(err, errlen, "payload %s: more than %d in the background", p->name, KT_PAYLOAD_RUNS),
		       -ENOSPC;
	r = calloc(1, sizeof(*r));
	if (!r)
		return snprintf(err, errlen, "payload %s: %s", p->name, strerror(ENOMEM)), -ENOMEM;
	r->p = p;
	r->step = step;
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", cgroup ? cgroup : "");
	ret = start(s, r, extra, err, errlen);
	if (ret) {
		if (r->dir[0])
			kt_rm_rf(r->dir);
		free(r);
		return ret;
	}
	if (background) {
		s->r[s->n++] = r;
		return 0;
	}
	wait_run(r, timeout_ms);
	finish(s, r);
	return 0;
}

static int take(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup, char *err, size_t errlen)
{
	const char *cg = cgroup ? cgroup : "";

	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->r[i]->p->name, p->name) && !strcmp(s->r[i]->cgroup, cg))
			return (int)i;
	snprintf(err, errlen, "payload %s: not running in the background in %s", p->name,
		 cgroup ? cgroup : "the root cgroup");
	return -ENOENT;
}

static void remove_at(struct kt_payloads *s, unsigned i, bool wait, unsigned timeout_ms)
{
	struct run *r = s->r[i];

	memmove(&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof(s->r[0]));
	s->n--;
	if (wait)
		wait_run(r, timeout_ms);
	else
		stop(r);
	finish(s, r);
}

int kt_payloads_wait(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup, unsigned timeout_ms,
		     char *err, size_t errlen)
{
	int i = take(s, p, cgroup, err, errlen);

	if (i < 0)
		return i;
	remove_at(s, (unsigned)i, true, timeout_ms);
	return 0;
}

int kt_payloads_kill(struct kt_payloads *s, const struct ktstr_payload *p, const char *cgroup, char *err,
		     size_t errlen)
{
	int i = take(s, p, cgroup, err, errlen);

	if (i < 0)
		return i;
	remove_at(s, (unsigned)i, false, 0);
	return 0;
}

void kt_payloads_end_step(struct kt_payloads *s, int step)
{
	for (unsigned i = s->n; i-- > 0;)
		if (s->r[i]->step == step)
			remove_at(s, i, false, 0);
}

void kt_payloads_end_cgroup(struct kt_payloads *s, const char *cgroup)
{
	for (unsigned i = s->n; i-- > 0;)
		if (cgroup && !strcmp(s->r[i]->cgroup, cgroup))
			remove_at(s, i, false, 0);
}

void kt_payloads_free(struct kt_payloads *s)
{
	if (!s)
		return;
	while (s->n)
		remove_at(s, s->n - 1, false, 0);
	free(s);
}
