/* `ktstr shell`, guest side: PID 1 with ktstr_mode=shell.  Installs the
 * busybox applets, starts the scheduler if one was given, then either
 * runs a login shell on the terminal (/dev/ttyS1, or /dev/hvc0 with
 * ktstr_tty=hvc0) as its controlling terminal (a getty's job: new
 * session, sane line discipline, TERM and the host's window size) or
 * runs the --exec command with its output raw on it.  The exit status
 * goes to the host on the shared ring, then the guest powers off.  Never
 * returns. */
#include "proto/shell_args.h"
#include "proto/result.h"
#include "proto/shm_ring.h"
#include "guest/guest.h"
#include "guest/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *tty = "/dev/ttyS1";
#define TTY tty
#define LOCALE_DIR "/usr/lib/locale/C.utf8"

static void __attribute__((noreturn)) finish(int code)
{
	int32_t c = code;
	int fd = open(TTY, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0) {
		tcdrain(fd); /* everything written has left the UART */
		close(fd);
	}
	kt_shm_send(KT_MSG_EXIT, &c, sizeof(c));
	fflush(NULL);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void tty_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tty_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int fd = open(TTY, O_WRONLY | O_NOCTTY | O_CLOEXEC), n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	close(fd);
}

static void setup_system(const struct kt_shell_guest_cfg *c)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" },	    { "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
	};
	pid_t pid;
	char cols[16], rows[16];

	mkdir("/dev/pts", 0755);
	if (mount("devpts", "/dev/pts", "devpts", 0, "gid=5,mode=620,ptmxmode=666") && errno != EBUSY)
		fprintf(stderr, "ktstr-shell: mount devpts: %s\n", strerror(errno));
	symlink("pts/ptmx", "/dev/ptmx");
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		symlink(links[i][0], links[i][1]);
	/* The initramfs's own /tmp and /run hold included files: no tmpfs
	 * over them (the root is already a writable RAM filesystem). */
	umount2("/tmp", MNT_DETACH);
	umount2("/run", MNT_DETACH);
	mkdir("/root", 0700);
	mkdir("/usr", 0755);
	sethostname("ktstr", 5);
	/* Every busybox applet as a link in /bin (existing files win). */
	pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "busybox", "--install", "-s", "/bin", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	/* Included host programs (at their host paths) come first. */
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("SHELL", "/bin/sh", 1);
	setenv("TERM", c->term, 1);
	setenv("PS1", "ktstr:\\w\\$ ", 1);
	if (kt_path_exists(LOCALE_DIR)) /* packed with included programs (host.c) */
		setenv("LANG", "C.UTF-8", 1);
	if (c->cols && c->rows) {
		snprintf(cols, sizeof(cols), "%u", c->cols);
		snprintf(rows, sizeof(rows), "%u", c->rows);
		setenv("COLUMNS", cols, 1);
		setenv("LINES", rows, 1);
	}
	if (chdir("/root"))
		(void)!chdir("/");
}

/* "stty sane" at 115200 baud, 8N1, no modem control. */
static void tty_sane(int fd, const struct kt_shell_guest_cfg *c)
{
	struct termios t;
	struct winsize ws = { .ws_row = (unsigned short)c->rows, .ws_col = (unsigned short)c->cols };

	if (tcgetattr(fd, &t))
		return;
	t.c_iflag = ICRNL | IXON | IUTF8 | BRKINT | IMAXBEL;
	t.c_oflag = OPOST | ONLCR;
	t.c_cflag = (t.c_cflag & ~(CSIZE | PARENB | CSTOPB)) | CS8 | CREAD | CLOCAL | HUPCL;
	t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	t.c_cc[VINTR] = 003;
	t.c_cc[VQUIT] = 034;
	t.c_cc[VERASE] = 0177;
	t.c_cc[VKILL] = 025;
	t.c_cc[VEOF] = 004;
	t.c_cc[VSTART] = 021;
	t.c_cc[VSTOP] = 023;
	t.c_cc[VSUSP] = 032;
	t.c_cc[VREPRINT] = 022;
	t.c_cc[VWERASE] = 027;
	t.c_cc[VLNEXT] = 026;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetspeed(&t, B115200);
	tcsetattr(fd, TCSANOW, &t);
	if (ws.ws_row && ws.ws_col)
		ioctl(fd, TIOCSWINSZ, &ws);
}

/* The child: a session of its own with TTY as its terminal. */
static void __attribute__((noreturn)) child(const struct kt_shell_guest_cfg *c)
{
	int fd, nul;
	struct termios t;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (c->exec) {
		/* Output as the command wrote it: raw, not a controlling tty;
		 * no input. */
		fd = open(TTY, O_RDWR | O_NOCTTY);
		nul = open("/dev/null", O_RDONLY);
		if (fd < 0 || nul < 0)
			_exit(126);
		if (!tcgetattr(fd, &t)) {
			cfmakeraw(&t);
			t.c_cflag |= CLOCAL;
			cfsetspeed(&t, B115200);
			tcsetattr(fd, TCSANOW, &t);
		}
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		close(nul);
		execl("/bin/sh", "sh", "-c", c->cmd, (char *)NULL);
		_exit(127);
	}
	fd = open(TTY, O_RDWR); /* session leader without one: it becomes our controlling tty */
	if (fd < 0)
		_exit(126);
	ioctl(fd, TIOCSCTTY, 0);
	tty_sane(fd, c);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	tcsetpgrp(0, getpid());
	execl("/bin/sh", "-sh", (char *)NULL); /* a login shell */
	_exit(127);
}

static int start_scheduler(const struct kt_shell_guest_cfg *c, const char *accel)
{
	static struct kt_result r; /* large: keep it off the stack */
	struct kt_sched s;
	unsigned attach_ms = 10000;

	kt_result_init(&r, "shell");
	if (strstr(accel, "tcg")) /* "tcg", "kvm-nested-tcg": emulated, slower to load BPF */
		attach_ms *= 3;
	kt_sched_prepare_helper(&s, c->sched, c->sched_args, NULL, attach_ms);
	if (!kt_sched_start(&s, c->sched, c->sched_args, attach_ms, &r)) {
		if (!c->exec) /* --exec output is the command's alone */
			tty_say("ktstr shell: scheduler %s attached (sched_ext: %s); its log is " KT_SCHED_LOG "\r\n", c->sched,
			s.ops);
		kt_shm_signal_ready();
		/* --bpf-out, ktstr verifier: the host reads the programs while
		 * they are loaded, whatever --exec does next (a `true` would
		 * otherwise be over before the monitor's next walk).  Without
		 * an answer (the monitor never located the kernel) the
		 * session goes on once the wait is over. */
		if (c->bpf_sync_ms)
			kt_shm_wait_walked(c->bpf_sync_ms);
		return 0;
	}
	tty_say("ktstr shell: scheduler %s did not start:\r\n", c->sched);
	for (unsigned i = 0; i < r.ndetails; i++)
		tty_say("  %s\r\n", r.details[i].msg);
	return -1;
}

void kt_shell_guest(const char *cmdline)
{
	static struct kt_guest_args a; /* large: keep them off the stack */
	static struct kt_shell_guest_cfg c;
	int status, ret;
	pid_t pid, w;

	signal(SIGPIPE, SIG_IGN);
	ret = kt_guest_args_parse(cmdline, &a);
	kt_shm_attach(&a); /* parsed first: there even when a later value is bad */
	if (ret) {
		tty_say("ktstr shell: the kernel command line does not decode\r\n");
		finish(2);
	}
	kt_shell_cfg_from_args(&a, &c);
	if (c.hvc0)
		tty = "/dev/hvc0"; /* the host sends its input there too */
	setup_system(&c);
	if (c.sched[0] && start_scheduler(&c, a.accel) && c.exec)
		finish(1); /* not silently under another scheduler */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tty_say("ktstr shell: fork: %s\r\n", strerror(errno));
		finish(1);
	}
	if (pid == 0)
		child(&c);
	/* PID 1 reaps every orphan until the shell or command ends. */
	for (;;) {
		w = wait(&status);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	finish(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
