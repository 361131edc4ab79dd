/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ktstr: loader of the ktstr fixture scheduler (scx_ktstr.bpf.c).
 *
 * Sets the .rodata fault knobs from the command line, loads and attaches
 * the scheduler, then polls every 100 ms: timed and file triggers flip the
 * .bss knobs, and the loop ends on SIGINT/SIGTERM or when the kernel has
 * disabled the scheduler.  It then prints what user_exit_info recorded.
 *
 * Exit status: 0 stopped on request (SIGINT/SIGTERM), 1 the kernel
 * disabled the scheduler unasked (watchdog stall, scx_bpf_error(), sysrq),
 * 2 bad usage, 3 could not open/load/attach (verifier rejection included).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <scx/common.h>

#include "scx_ktstr.bpf.skel.h"
#include "kt_loader.h"

#define PROG "scx_ktstr"
#define POLL_MS 100
#define STALL_FILE "/tmp/ktstr_stall"
#define DEGRADE_FILE "/tmp/ktstr_degrade"

/* The host writes these by offset (tests: stall at 0, crash at 4). */
_Static_assert(offsetof(struct scx_ktstr__bss, stall) == 0, ".bss stall must be at offset 0");
_Static_assert(offsetof(struct scx_ktstr__bss, crash) == 4, ".bss crash must be at offset 4");
_Static_assert(offsetof(struct scx_ktstr__bss, degrade_rt) == 8, ".bss degrade_rt must be at offset 8");

struct opts {
	bool degrade, fail_verify, verify_loop, scattershot, slow, verbose;
	bool stall_user;      /* the stall stops user tasks only */
	double stall_after;   /* seconds; < 0: never */
	double degrade_after; /* seconds; < 0: never */
	unsigned int timeout_ms;   /* 0: the scheduler's own (20 s) */
	unsigned int exit_dump_len; /* 0: the default (32 KiB) */
	unsigned int log_level;     /* kernel verifier log level for every program, 0: libbpf's */
};

static const char usage_text[] =
	"Usage: " PROG " [OPTIONS]\n"
	"\n"
	"ktstr's fixture sched_ext scheduler: one global FIFO plus fault knobs, so a\n"
	"test harness can prove it catches each way a scheduler fails.\n"
	"\n"
	"Load-time knobs (.rodata):\n"
	"  --degrade            random local-DSQ placement, skip every other dispatch\n"
	"  --fail-verify        NULL store in ops.dispatch: the verifier rejects the load\n"
	"  --verify-loop        endless loop in ops.dispatch: rejected with a long trace\n"
	"  --scattershot        random local-DSQ placement (migration storms)\n"
	"  --slow               skip 3 of 4 dispatches\n"
	"Run-time triggers (.bss):\n"
	"  --stall-after N      after N seconds stop dispatching (0: at once); the\n"
	"                       kernel watchdog then ejects the scheduler\n"
	"  --stall-user         the stall (timer or file) stops user tasks only;\n"
	"                       kernel threads keep running\n"
	"  --degrade-after N    after N seconds switch degrade on\n"
	"  file " STALL_FILE "     when it exists: stall   (polled every 100 ms)\n"
	"  file " DEGRADE_FILE "   when it exists: degrade\n"
	"Other:\n"
	"  --timeout-ms N       watchdog timeout, 1..30000 (default 20000)\n"
	"  --exit-dump-len N    bytes of debug dump kept on exit (default 32768)\n"
	"  --log-level N        kernel verifier log level for every program, 1..7\n"
	"                       (1 trace, 2 every state, 4 statistics): the log is\n"
	"                       printed between libbpf's PROG LOAD LOG markers even\n"
	"                       when the load succeeds; a rejected load is retried\n"
	"                       with the trace bit (1) added\n"
	"  -v, --verbose        print libbpf debug messages\n"
	"  -h, --help           print this help and exit\n"
	"\n"
	"Stops on SIGINT/SIGTERM or when the kernel disables the scheduler, then\n"
	"prints the exit record (\"EXIT: reason (message)\" and a \"" PROG ": exit kind=\" line).\n"
	"Exit status: 0 stopped on request, 1 disabled by the kernel, 2 bad usage,\n"
	"3 open/load/attach failed (the verifier log is printed above).\n";

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Non-negative seconds, e.g. "3" or "0.5". */
static int parse_secs(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_DEGRADE = 256, O_FAIL_VERIFY, O_VERIFY_LOOP, O_SCATTERSHOT, O_SLOW,
	       O_STALL_AFTER, O_STALL_USER, O_DEGRADE_AFTER, O_TIMEOUT_MS, O_EXIT_DUMP_LEN, O_LOG_LEVEL };
	static const struct option longopts[] = {
		{ "degrade", no_argument, NULL, O_DEGRADE },
		{ "fail-verify", no_argument, NULL, O_FAIL_VERIFY },
		{ "verify-loop", no_argument, NULL, O_VERIFY_LOOP },
		{ "scattershot", no_argument, NULL, O_SCATTERSHOT },
		{ "slow", no_argument, NULL, O_SLOW },
		{ "stall-after", required_argument, NULL, O_STALL_AFTER },
		{ "stall-user", no_argument, NULL, O_STALL_USER },
		{ "degrade-after", required_argument, NULL, O_DEGRADE_AFTER },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT_MS },
		{ "exit-dump-len", required_argument, NULL, O_EXIT_DUMP_LEN },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->stall_after = o->degrade_after = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_DEGRADE: o->degrade = true; break;
		case O_FAIL_VERIFY: o->fail_verify = true; break;
		case O_VERIFY_LOOP: o->verify_loop = true; break;
		case O_SCATTERSHOT: o->scattershot = true; break;
		case O_SLOW: o->slow = true; break;
		case O_STALL_USER: o->stall_user = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case O_STALL_AFTER:
		case O_DEGRADE_AFTER:
			if (parse_secs(optarg, c == O_STALL_AFTER ? &o->stall_after : &o->degrade_after)) {
				fprintf(stderr, PROG ": --%s: want seconds >= 0, got '%s'\n",
					c == O_STALL_AFTER ? "stall-after" : "degrade-after", optarg);
				return -1;
			}
			break;
		case O_TIMEOUT_MS:
			if (parse_uint(optarg, 1, MAX_TIMEOUT_MS, &o->timeout_ms)) {
				fprintf(stderr, PROG ": --timeout-ms: want 1..%d (the kernel's maximum), got '%s'\n",
					MAX_TIMEOUT_MS, optarg);
				return -1;
			}
			break;
		case O_EXIT_DUMP_LEN:
			if (parse_uint(optarg, 1, 64u << 20, &o->exit_dump_len)) {
				fprintf(stderr, PROG ": --exit-dump-len: want 1..%u, got '%s'\n", 64u << 20, optarg);
				return -1;
			}
			break;
		case O_LOG_LEVEL:
			if (parse_uint(optarg, 1, 7, &o->log_level)) {
				fprintf(stderr, PROG ": --log-level: want 1..7, got '%s'\n", optarg);
				return -1;
			}
			break;
		case ':':
			fprintf(stderr, PROG ": %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* SCX_OPS_OPEN/LOAD without exit(): errors get our own status. */
static struct scx_ktstr *open_and_load(const struct opts *o, unsigned int log_level)
{
	struct scx_ktstr *skel = scx_ktstr__open();
	int err;

	if (!skel) {
		fprintf(stderr, PROG ": open BPF skeleton: %s\n", strerror(errno));
		return NULL;
	}
	skel->struct_ops.ktstr_ops->hotplug_seq = scx_hotplug_seq();
	if (o->timeout_ms)
		skel->struct_ops.ktstr_ops->timeout_ms = o->timeout_ms;
	if (o->exit_dump_len)
		skel->struct_ops.ktstr_ops->exit_dump_len = o->exit_dump_len;
	skel->rodata->degrade = o->degrade;
	skel->rodata->fail_verify = o->fail_verify;
	skel->rodata->verify_loop = o->verify_loop;
	skel->rodata->scattershot = o->scattershot;
	skel->rodata->slow = o->slow;
	UEI_SET_SIZE(skel, ktstr_ops, uei);
	if (log_level) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_log_level(prog, log_level);
	}
	err = scx_ktstr__load(skel);
	if (err) {
		fprintf(stderr, PROG ": load failed: %s\n", strerror(-err));
		scx_ktstr__destroy(skel);
		/* The statistics level alone does not show the path to a
		 * rejection: load once more with the trace (level 1). */
		if (log_level && !(log_level & 1)) {
			fprintf(stderr, PROG ": loading again with --log-level %u for the verifier's trace\n",
				log_level | 1);
			return open_and_load(o, log_level | 1);
		}
		return NULL;
	}
	return skel;
}

static struct bpf_link *attach(struct scx_ktstr *skel)
{
	struct bpf_link *link;
	int err;

	__SCX_OPS_DISABLE_AUTOATTACH(skel, ktstr_ops);
	err = scx_ktstr__attach(skel);
	if (err) {
		fprintf(stderr, PROG ": attach programs: %s\n", strerror(-err));
		return NULL;
	}
	link = bpf_map__attach_struct_ops(skel->maps.ktstr_ops);
	if (!link) {
		err = errno;
		fprintf(stderr, PROG ": attach struct_ops: %s%s\n", strerror(err),
			err == EBUSY || err == EEXIST ? " (another sched_ext scheduler is loaded)" : "");
	}
	return link;
}

struct trigger {
	volatile unsigned int *knob;
	const char *name;
	double after; /* seconds since start, < 0: never */
	const char *file;
	unsigned int value; /* what the knob is set to */
};

static void poll_triggers(struct trigger *t, size_t n, double elapsed)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;

		if (*t[i].knob)
			continue;
		if (t[i].after >= 0 && elapsed >= t[i].after)
			why = "timer";
		else if (!access(t[i].file, F_OK))
			why = t[i].file;
		if (!why)
			continue;
		*t[i].knob = t[i].value;
		printf(PROG ": %s triggered (%s) at %.1f s\n", t[i].name, why, elapsed);
	}
}

/* What UEI_REPORT prints, plus one line a harness can parse. */
static int report_exit(struct scx_ktstr *skel)
{
	return kt_report_exit(PROG, &skel->data->uei, skel->data_uei_dump->uei_dump);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	double t0 = mono_s();
	int kind;
	u64 ecode;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	verbose = o.verbose;
	show_load_log = o.log_level != 0;
	if (o.scattershot && (o.slow || o.degrade))
		fprintf(stderr, PROG ": warning: --scattershot places every task on a random local DSQ; "
				"--slow/--degrade change little on top of it\n");
	libbpf_set_print(libbpf_print);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (;;) {
		struct scx_ktstr *skel = open_and_load(&o, o.log_level);
		struct bpf_link *link;

		if (!skel)
			return EXIT_LOAD;
		link = attach(skel);
		if (!link) {
			scx_ktstr__destroy(skel);
			return EXIT_LOAD;
		}
		printf(PROG ": attached (ops ktstr, timeout %u ms%s%s%s%s%s)\n",
		       skel->struct_ops.ktstr_ops->timeout_ms, o.degrade ? ", degrade" : "",
		       o.scattershot ? ", scattershot" : "", o.slow ? ", slow" : "",
		       o.stall_after < 0 ? "" : o.stall_user ? ", stall-after (user tasks)" : ", stall-after",
		       o.degrade_after >= 0 ? ", degrade-after" : "");

		struct trigger trig[] = {
			{ &skel->bss->stall, o.stall_user ? "user-task stall" : "stall", o.stall_after, STALL_FILE,
			  o.stall_user ? 2 : 1 },
			{ &skel->bss->degrade_rt, "degrade", o.degrade_after, DEGRADE_FILE, 1 },
		};
		const struct timespec tick = { 0, POLL_MS * 1000000L };

		while (!exit_req && !UEI_EXITED(skel, uei)) {
			poll_triggers(trig, sizeof(trig) / sizeof(trig[0]), mono_s() - t0);
			nanosleep(&tick, NULL);
		}
		if (exit_req)
			printf(PROG ": %s received, detaching\n", strsignal(exit_req));
		bpf_link__destroy(link);
		kind = report_exit(skel);
		ecode = skel->data->uei.exit_code;
		scx_ktstr__destroy(skel);
		if (!exit_req && UEI_ECODE_RESTART(ecode)) {
			printf(PROG ": the kernel asked for a restart (CPU hotplug): reloading\n");
			continue;
		}
		break;
	}
	return exit_req && kind < SCX_EXIT_ERROR ? EXIT_REQUESTED : EXIT_EJECTED;
}
