/* Child processes: run a command to completion, capture its output. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Stop a child's process group: SIGTERM, then SIGKILL if it lingers. */
static void stop_group(pid_t pid)
{
	int st;

	kill(-pid, SIGTERM);
	for (int i = 0; i < 100; i++) { /* 5 s */
		if (waitpid(pid, &st, WNOHANG) == pid)
			goto reaped;
		usleep(50000);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
reaped:
	kill(-pid, SIGKILL); /* what the leader left behind in its group */
}

/* Wait for the child, checking kt_interrupted every 50 ms: on an
 * interrupt its whole process group is stopped and -EINTR returned. */
static int wait_status(pid_t pid)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (kt_interrupted && kt_signals_handled) {
			stop_group(pid);
			return -EINTR;
		}
		usleep(50000);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* In the child: gone with us if we die.  When we handle interrupts
 * ourselves (kt_signals_install), its own process group, stopped as a
 * whole by wait_status(); otherwise it stays in ours, where the
 * terminal's Ctrl-C reaches it. */
static void child_setup(void)
{
	if (kt_signals_handled)
		setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

int kt_run_cmd(char *const argv[], const char *cwd, const char *log_path)
{
	int logfd = -1;
	pid_t pid;

	if (log_path) {
		logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (logfd < 0)
			return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		if (logfd >= 0)
			close(logfd);
		return -e;
	}
	if (pid == 0) {
		child_setup();
		if (cwd && chdir(cwd))
			_exit(126);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "ktstr: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (logfd >= 0)
		close(logfd);
	return wait_status(pid);
}

int kt_run_capture(char *const argv[], struct kbuf *out)
{
	int p[2], ret = 0;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		child_setup();
		dup2(p[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (!kt_interrupted) { /* else wait_status() stops it */
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
		if (n > 0 && !ret)
			ret = kt_kbuf_append(out, buf, (size_t)n);
	}
	close(p[0]);
	n = wait_status(pid);
	return ret ? ret : (int)n;
}

int kt_find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char *dup, *tok, *save = NULL;
	int ret = -ENOENT;

	if (strchr(name, '/')) {
		if (!kt_is_executable(name))
			return -ENOENT;
		return kt_fmt(buf, len, "%s", name);
	}
	dup = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char cand[4096];

		if (kt_fmt(cand, sizeof(cand), "%s/%s", tok, name))
			continue; /* a PATH entry too long to hold name */
		if (kt_is_executable(cand)) {
			ret = kt_fmt(buf, len, "%s", cand);
			break;
		}
	}
	free(dup);
	return ret;
}

int kt_pipe_with(const char *s, int *rd)
{
	int p[2];
	size_t len = strlen(s);

	if (len > 4096)
		return -E2BIG;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	if (write(p[1], s, len) != (ssize_t)len) {
		close(p[0]);
		close(p[1]);
		return -EIO;
	}
	close(p[1]);
	*rd = p[0];
	return 0;
}
