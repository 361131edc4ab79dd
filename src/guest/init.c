/* Guest PID 1: mount the filesystems, route stdout/stderr to COM2, parse
 * the ktstr_ parameters of the kernel command line (kt_guest_args), run
 * the test, send the framed result and power off.  Never returns. */
#include "model/ctx.h"
#include "model/defaults.h"
#include "guest/guest.h"
#include "guest/sched.h"
#include "guest/probe.h"
#include "workload/sysfs_topo.h"
#include "proto/argenc.h"
#include "proto/guest_args.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const struct {
	const char *src, *dst, *type;
} mounts[] = {
	{ "proc", "/proc", "proc" },
	{ "sysfs", "/sys", "sysfs" },
	{ "devtmpfs", "/dev", "devtmpfs" },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2" },
	{ "debugfs", "/sys/kernel/debug", "debugfs" },
	{ "tracefs", "/sys/kernel/tracing", "tracefs" },
	{ "bpf", "/sys/fs/bpf", "bpf" },
	{ "tmpfs", "/tmp", "tmpfs" },
	{ "tmpfs", "/run", "tmpfs" },
};

/* Whether dir holds anything but "." and "..". */
static bool dir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool any = false;

	while (d && !any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return any;
}

static void __attribute__((noreturn)) power_off(void)
{
	fflush(NULL);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void setup_console(void)
{
	int fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios t;

	if (fd < 0) {
		/* Fall back to the kernel console so something is seen. */
		fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	if (!tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		cfsetspeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void send_result(struct kt_result *r)
{
	struct kbuf json = { 0 }, frame = { 0 };

	if (kt_result_to_json(r, &json) || kt_frame_encode(json.data, json.len, &frame)) {
		printf("KTSTR_RESULT_ENCODE_FAILED\n");
	} else {
		fflush(stdout);
		if (write(1, frame.data, frame.len) != (ssize_t)frame.len)
			fprintf(stderr, "short write of the result frame\n");
		kt_shm_send(KT_MSG_TEST_RESULT, json.data, json.len);
	}
	kt_kbuf_free(&json);
	kt_kbuf_free(&frame);
}

/* PID 1 must not die silently: a fatal signal is reported on the ring
 * (CRSH) and COM2, then the guest powers off. */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "guest init (pid 1) got signal %d (%s) at address %p", sig,
			 strsignal(sig), si ? si->si_addr : NULL);

	(void)uc;
	kt_shm_send(KT_MSG_CRASH, msg, n > 0 ? (size_t)n : 0);
	(void)!write(1, "PANIC: ", 7);
	(void)!write(1, msg, n > 0 ? (size_t)n : 0);
	(void)!write(1, "\n", 1);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

static void install_crash_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_crash, .sa_flags = SA_SIGINFO | SA_RESETHAND };
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* For the control thread's graceful stop (the VM time limit is near):
 * report what we have, with the reason, and power off. */
static struct ktstr_ctx *cur_ctx;
static struct kt_sched *cur_sched;
static struct kt_pg *cur_probe; /* auto-repro probes (ktstr_probe=), NULL: none */
static uint64_t cur_t0;

static void __attribute__((noreturn)) graceful_stop(void)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "host requested a stop: VM time limit near, test body still running after %llu ms",
		 (unsigned long long)((kt_now_ns() - cur_t0) / 1000000u));
	kt_result_add(&cur_ctx->result, KTSTR_K_OTHER, msg);
	if (cur_sched)
		kt_sched_finish(cur_sched, &cur_ctx->result);
	kt_scx_dump_flush(1000);
	kt_pg_finish(cur_probe);
	send_result(&cur_ctx->result);
	printf("KTSTR_EXIT=1\n");
	power_off();
}

/* ktstr_sched=/sched/NAME ktstr_sched_args=... ktstr_sched_attach_ms=N
 * ktstr_sched_helper_cpus=LIST: start it and wait for sched_ext to
 * attach it. */
static int start_scheduler(const struct kt_guest_args *a, struct kt_sched *s, struct kt_result *r)
{
	unsigned attach_ms = a->sched_attach_ms ? a->sched_attach_ms : 10000;

	if (!a->sched[0])
		return 0;
	/* Under emulation BPF verification and loading run several times
	 * slower than on hardware. */
	if (strstr(a->accel, "tcg"))
		attach_ms = attach_ms > UINT_MAX / 3 ? UINT_MAX : attach_ms * 3;
	kt_sched_prepare_helper(s, a->sched, a->sched_args, a->sched_helper_cpus, attach_ms);
	/* After the helper's warm-up (whose ejection is no finding), before
	 * the scheduler starts: a dump at load or attach is kept too. */
	if (kt_scx_dump_start())
		printf("KTSTR_SCX_DUMP not forwarded: no sched_ext_dump trace event\n");
	/* Auto-repro: probes on the kernel side before the scheduler starts,
	 * on its callbacks once it is attached (docs/auto-repro.md). */
	if (a->probe[0])
		cur_probe = kt_pg_start(a->probe);
	if (kt_sched_start(s, a->sched, a->sched_args, attach_ms, r))
		return -1;
	kt_pg_sched_up(cur_probe);
	return 0;
}

void __attribute__((noreturn)) kt_guest_main(void)
{
	static char cmdline[4096];
	static struct kt_guest_args args; /* large: keep them off the stack */
	struct ktstr_topo topo;
	struct ktstr_ctx ctx;
	struct kt_sched sched = { 0 };
	const struct ktstr_test *t;
	char err[512];
	uint64_t t0;
	int rd, ret;

	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
		mkdir(mounts[i].dst, 0755);
		/* Files the host packed under /tmp or /run (a payload or an
		 * include from a checkout there) stay visible: the rootfs is
		 * writable, no tmpfs goes over them. */
		if (!strcmp(mounts[i].type, "tmpfs") && dir_has_entries(mounts[i].dst))
			continue;
		if (mount(mounts[i].src, mounts[i].dst, mounts[i].type, 0, NULL) && errno != EBUSY)
			fprintf(stderr, "ktstr-init: mount %s on %s: %s\n", mounts[i].type, mounts[i].dst,
				strerror(errno));
	}
	rd = kt_read_file_str("/proc/cmdline", cmdline, sizeof(cmdline));
	ret = rd ? rd : kt_guest_args_parse(cmdline, &args);
	/* Restorable boot: the snapshot is taken while parked; the test's
	 * own command line comes with the hand-over. */
	if (!ret && args.park_addr) {
		ret = kt_guest_park(args.park_addr, cmdline, sizeof(cmdline));
		if (!ret)
			ret = kt_guest_args_parse(cmdline, &args);
	}
	if (args.mode == KT_GUEST_SHELL)
		kt_shell_guest(cmdline); /* `ktstr shell` (src/guest/shell.c) */
	setup_console();
	signal(SIGPIPE, SIG_IGN);
	install_crash_handler();
	printf(KT_COM2_INIT_STARTED "\n");
	kt_shm_attach(&args); /* parsed first: there even when a later value is bad */
	if (ret) {
		printf("KTSTR_ERROR %s (%s): %s\n",
		       rd ? "cannot read /proc/cmdline" : "the kernel command line's ktstr_ parameters do not decode",
		       strerror(-ret), cmdline);
		power_off();
	}
	if (!args.test[0]) {
		printf("KTSTR_ERROR no ktstr_test= on the kernel command line\n");
		power_off();
	}
	t = kt_test_find(args.test);
	if (!t) {
		char shown[3 * sizeof(args.test)];

		/* as it came (encoded): a decoded newline must not start a COM2 line */
		kt_arg_encode(args.test, shown, sizeof(shown));
		printf("KTSTR_ERROR unknown test '%s'\n", shown);
		power_off();
	}
	kt_test_topo(t, &topo);
	if (args.topo[0] && ktstr_topo_parse(args.topo, &topo, err, sizeof(err)))
		printf("KTSTR_ERROR %s\n", err);
	kt_ctx_init(&ctx, t, &topo, args.duration_ms ? args.duration_ms : kt_default_duration_s(t, 0) * 1000,
		    strstr(args.accel, "tcg") != NULL); /* "tcg", "kvm-nested-tcg" */
	if (!kt_read_topo("/sys", &ctx.result.topo))
		ctx.result.have_topo = true;
	if (start_scheduler(&args, &sched, &ctx.result)) {
		kt_scx_dump_flush(1000);
		kt_pg_finish(cur_probe);
		send_result(&ctx.result);
		printf("KTSTR_EXIT=1\n");
		power_off();
	}
	cur_ctx = &ctx;
	cur_sched = sched.path[0] ? &sched : NULL;
	cur_t0 = kt_now_ns();
	kt_control_start(graceful_stop);
	kt_shm_signal_ready();
	printf(KT_COM2_PAYLOAD_STARTING " %s\n", t->name);
	fflush(stdout);
	t0 = kt_now_ns();
	ret = t->fn(&ctx);
	ctx.result.elapsed_ms = (kt_now_ns() - t0) / 1000000u;
	if (ret < 0) {
		snprintf(err, sizeof(err), "test body returned error: %s", strerror(-ret));
		kt_result_add(&ctx.result, KTSTR_K_OTHER, err);
	}
	if (sched.path[0])
		kt_sched_finish(&sched, &ctx.result);
	kt_scx_dump_flush(1000);
	kt_pg_finish(cur_probe);
	send_result(&ctx.result);
	{
		int32_t code = ctx.result.passed ? 0 : 1;

		kt_shm_send(KT_MSG_EXIT, &code, sizeof(code));
	}
	printf("KTSTR_EXIT=%d\n", ctx.result.passed ? 0 : 1);
	power_off();
}
