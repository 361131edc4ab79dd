/* Launch and watch a sched_ext scheduler inside the guest (see sched.h). */
#include "guest/guest.h"
#include "guest/sched.h"
#include "model/schedquirks.h"
#include "proto/argenc.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCX_STATE "/sys/kernel/sched_ext/state"
#define SCX_OPS "/sys/kernel/sched_ext/root/ops"

/* The warm-up start of kt_sched_prepare_helper() is expected to fail:
 * it tells the host nothing (no exit message, no log section, no
 * verifier logs; its kernel log lines are skipped), so that the run's
 * sched_exit, live dump, scheduler log, kernel words and verifier
 * figures are the real start's alone. */
static bool warming_up;

/* sched_ext lines of the kernel log the warm-up left: not the test's
 * (counted, not timed: the log would have to wrap within a run for the
 * count to slip). */
static unsigned kmsg_skip;

/* The kernel's sched_ext lines after the first skip of them: the last
 * few, from the last "disabled" on (the disable reason and message),
 * into buf ("" for none); their total count. */
static unsigned kmsg_scan(unsigned skip, char *buf, size_t len)
{
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log, *line, *save = NULL;
	size_t off = 0;
	unsigned seen = 0;

	if (len)
		buf[0] = '\0';
	if (n <= 0 || !(log = malloc((size_t)n + 1)))
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, n);
	if (n < 0)
		n = 0;
	log[n] = '\0';
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = strstr(line, "sched_ext:");

		if (!p || seen++ < skip || !len)
			continue;
		if (strstr(p, "disabled") || off == 0)
			off = 0;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? " | " : "", p);
		if (off >= len)
			off = len - 1;
	}
	free(log);
	return seen;
}

void kt_kmsg_sched_ext(char *buf, size_t len)
{
	kmsg_scan(kmsg_skip, buf, len);
}

static void send_vlogs(struct kt_sched *s)
{
	if (!warming_up) /* the real start sends the same programs' logs */
		kt_sched_send_vlogs(s);
}

static void state(char *buf, size_t len)
{
	if (kt_read_file_str(SCX_STATE, buf, len))
		snprintf(buf, len, "absent");
}

static void fail(struct kt_sched *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct kt_sched *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->failed_at_ms = (kt_now_ns() - s->t0) / 1000000u;
	s->failed = true;
	if (!warming_up) {
		int32_t one = 1;

		kt_shm_send(KT_MSG_SCHED_EXIT, &one, sizeof(one));
	}
}

static void describe_exit(struct kt_sched *s, int st)
{
	s->exited = true;
	s->status = st;
	if (WIFEXITED(st))
		fail(s, "scheduler %s exited with status %d", s->path, WEXITSTATUS(st));
	else
		fail(s, "scheduler %s killed by signal %d", s->path, WTERMSIG(st));
}

/* Whether the scheduler is still in charge: alive and sched_ext enabled. */
static void check_now(struct kt_sched *s)
{
	char st[32];
	int status;

	if (!s->exited && waitpid(s->pid, &status, WNOHANG) == s->pid)
		describe_exit(s, status);
	state(st, sizeof(st));
	if (strcmp(st, "enabled"))
		fail(s, "sched_ext state is '%s': scheduler %s was ejected", st, s->ops);
}

static void *watch(void *arg)
{
	struct kt_sched *s = arg;

	while (!s->stop_watch) {
		check_now(s);
		usleep(100000);
	}
	return NULL;
}

static void print_log(void)
{
	struct kbuf b = { 0 };
	size_t start = 0;

	if (warming_up || kt_read_file(KT_SCHED_LOG, &b))
		return;
	/* The last 8 KiB is what matters (exit reason, verifier tail). */
	if (b.len > 8192)
		start = b.len - 8192;
	printf("%s\n%.*s%s%s\n", KT_SCHED_LOG_BEGIN, (int)(b.len - start), b.data + start,
	       b.len && b.data[b.len - 1] != '\n' ? "\n" : "", KT_SCHED_LOG_END);
	fflush(stdout);
	kt_kbuf_free(&b);
}

/* The scheduler's own last word: its final "EXIT: ..." line, if any. */
static void exit_line(char *buf, size_t len)
{
	struct kbuf b = { 0 };
	const char *p, *last = NULL;

	buf[0] = '\0';
	if (kt_read_file(KT_SCHED_LOG, &b))
		return;
	for (p = b.data; p && (p = strstr(p, "EXIT:")); p++)
		if (p == b.data || p[-1] == '\n')
			last = p;
	if (last)
		snprintf(buf, len, "%.*s", (int)strcspn(last, "\n"), last);
	kt_kbuf_free(&b);
}

static void add_failure(struct kt_sched *s, struct kt_result *r, const char *what)
{
	char kmsg[512], ex[200], ver[200], msg[1024];

	kt_kmsg_sched_ext(kmsg, sizeof(kmsg));
	exit_line(ex, sizeof(ex));
	kt_sched_verifier_reason(ver, sizeof(ver));
	snprintf(msg, sizeof(msg), "%s at +%llums%s%s%s%s%s%s", what, (unsigned long long)s->failed_at_ms,
		 kmsg[0] ? "; kernel: " : "", kmsg, ex[0] ? "; scheduler: " : "", ex,
		 ver[0] ? "; verifier: " : "", ver);
	kt_result_add(r, KTSTR_K_SCHEDULER, msg);
}

void kt_sched_prepare_helper(struct kt_sched *s, const char *path, const char *args, const char *helper_cpus,
			     unsigned attach_ms)
{
	static struct kt_result scratch; /* large: keep it off the stack */
	char quirk[64];

	if (!helper_cpus || !helper_cpus[0]) {
		if (kt_sched_quirk_helper_cpus(path, args, quirk, sizeof(quirk)) || !quirk[0])
			return;
		helper_cpus = quirk;
	}
	if (kt_sched_pin_enable_helper(helper_cpus) != -ENOENT)
		return;
	kt_result_init(&scratch, "helper-warmup");
	warming_up = true;
	if (!kt_sched_start(s, path, args, attach_ms, &scratch))
		kt_sched_finish(s, &scratch);
	warming_up = false;
	kmsg_skip = kmsg_scan(0, NULL, 0);
	printf("KTSTR_SCHED_HELPER pinned to %s: %s\n", helper_cpus,
	       kt_sched_pin_enable_helper(helper_cpus) ? "no helper kthread found" : "ok");
}

int kt_sched_pin_enable_helper(const char *cpulist)
{
	struct ktstr_cpumask m;
	cpu_set_t set;
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	if (!d || kt_mask_parse(cpulist, &m) || !kt_mask_weight(&m)) {
		if (d)
			closedir(d);
		return -EINVAL;
	}
	CPU_ZERO(&set);
	for (unsigned c = 0; c < CPU_SETSIZE && c < KTSTR_MASK_BITS; c++)
		if (kmask_test(&m, c))
			CPU_SET(c, &set);
	while ((de = readdir(d))) {
		char p[300], comm[64];

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", de->d_name);
		if (kt_read_file_str(p, comm, sizeof(comm)) || strcmp(comm, "scx_ops_enable_helper"))
			continue;
		if (!sched_setaffinity((pid_t)atoi(de->d_name), sizeof(set), &set))
			found++;
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

int kt_sched_start(struct kt_sched *s, const char *path, const char *args, unsigned attach_ms,
		   struct kt_result *r)
{
	char argbuf[2048], *argv[64], pidstr[16];
	int n, fd;
	uint64_t deadline;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(argbuf, sizeof(argbuf), "%s %s", path, args ? args : "");
	n = kt_arg_split(argbuf, argv, (int)ARRAY_SIZE(argv));
	if (n < 1) {
		kt_result_add(r, KTSTR_K_SCHEDULER, "scheduler: too many arguments");
		return -E2BIG;
	}
	if (access(path, X_OK)) {
		char msg[320];

		snprintf(msg, sizeof(msg), "scheduler %s: not executable in the guest: %s", path, strerror(errno));
		kt_result_add(r, KTSTR_K_SCHEDULER, msg);
		return -ENOENT;
	}
	/* Run counts and times of BPF programs, read by the host's monitor
	 * from guest memory (docs/verifier.md). */
	kt_write_str("/proc/sys/kernel/bpf_stats_enabled", "1");
	s->t0 = kt_now_ns();
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		fd = open(KT_SCHED_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(path, argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)s->pid);
	setenv("SCHED_PID", pidstr, 1);
	printf("KTSTR_SCHED_STARTING pid=%d:", (int)s->pid);
	for (int i = 0; argv[i]; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
	deadline = kt_now_ns() + (uint64_t)attach_ms * 1000000u;
	for (;;) {
		char st[32];
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			send_vlogs(s);
			describe_exit(s, status);
			add_failure(s, r, s->why);
			kt_result_add(r, KTSTR_K_SCHEDULER, "scheduler exited before ktstr saw sched_ext attach it");
			print_log();
			return -ECHILD;
		}
		state(st, sizeof(st));
		if (!strcmp(st, "enabled") && !kt_read_file_str(SCX_OPS, s->ops, sizeof(s->ops)) && s->ops[0])
			break;
		if (kt_now_ns() >= deadline) {
			char msg[400];

			snprintf(msg, sizeof(msg),
				 "scheduler %s did not attach within %u ms (sched_ext state '%s'): not a sched_ext "
				 "scheduler, or stuck loading", path, attach_ms, st);
			kt_result_add(r, KTSTR_K_SCHEDULER, msg);
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
			send_vlogs(s);
			print_log();
			return -ETIMEDOUT;
		}
		usleep(50000);
	}
	send_vlogs(s); /* every program is loaded by now */
	printf("KTSTR_SCHED_ATTACHED %s ops=%s after %llums\n", path, s->ops,
	       (unsigned long long)((kt_now_ns() - s->t0) / 1000000u));
	fflush(stdout);
	if (!pthread_create(&s->watcher, NULL, watch, s))
		s->watching = true;
	return 0;
}

void kt_sched_finish(struct kt_sched *s, struct kt_result *r)
{
	uint64_t deadline;
	char st[32];

	if (s->watching) {
		s->stop_watch = true;
		pthread_join(s->watcher, NULL);
	}
	/* Once more, now: the watcher is a task like any other, and a
	 * scheduler that stalls every task stalls it too.  After the ejection
	 * the scenario may end before it runs again (or it never started). */
	if (s->pid > 0)
		check_now(s);
	if (s->failed) {
		/* An ejection is seen once the state leaves "enabled"; the
		 * kernel logs its reason when the disable work ends, which
		 * took 4 s in a nested L2 under TCG.  Wait for it (bounded),
		 * so the reason carries the kernel's words. */
		deadline = kt_now_ns() + 10000000000ull;
		for (state(st, sizeof(st)); !strcmp(st, "disabling") && kt_now_ns() < deadline; state(st, sizeof(st)))
			usleep(20000);
		add_failure(s, r, s->why);
	}
	if (s->pid > 0 && !s->exited) {
		int status;

		kill(s->pid, SIGINT);
		deadline = kt_now_ns() + 5000000000ull;
		while (waitpid(s->pid, &status, WNOHANG) != s->pid) {
			if (kt_now_ns() >= deadline) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &status, 0);
				kt_result_add(r, KTSTR_K_SCHEDULER, "scheduler ignored SIGINT for 5 s; killed");
				break;
			}
			usleep(20000);
		}
	}
	/* It must leave sched_ext cleanly. */
	deadline = kt_now_ns() + 5000000000ull;
	for (;;) {
		state(st, sizeof(st));
		if (!strcmp(st, "disabled") || !strcmp(st, "absent"))
			break;
		if (kt_now_ns() >= deadline) {
			char msg[160];

			snprintf(msg, sizeof(msg), "sched_ext still '%s' 5 s after the scheduler stopped", st);
			kt_result_add(r, KTSTR_K_SCHEDULER, msg);
			break;
		}
		usleep(20000);
	}
	print_log();
}
