/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the loaders of ktstr's fixture schedulers share (scx_ktstr.c,
 * scx_kt_fault.c): exit statuses, argument parsing, libbpf messages and
 * the exit record.  Header-only: each loader is one translation unit.
 */
#ifndef KT_LOADER_H
#define KT_LOADER_H
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <bpf/libbpf.h>
#include <scx/common.h>

#define MAX_TIMEOUT_MS 30000 /* SCX_WATCHDOG_MAX_TIMEOUT (30 s) */

enum {
	EXIT_REQUESTED = 0,
	EXIT_EJECTED = 1,
	EXIT_USAGE = 2,
	EXIT_LOAD = 3,
};

/* enum scx_exit_kind (kernel/sched/ext.c); user space has no vmlinux.h. */
static const struct {
	int kind;
	const char *name;
} exit_kinds[] = {
	{ 0, "NONE" },		 { 1, "DONE" },		   { 64, "UNREG" },
	{ 65, "UNREG_BPF" },	 { 66, "UNREG_KERN" },	   { 67, "SYSRQ" },
	{ 1024, "ERROR" },	 { 1025, "ERROR_BPF" },	   { 1026, "ERROR_STALL" },
};
#define SCX_EXIT_ERROR 1024

static volatile sig_atomic_t exit_req;
static bool verbose;
static bool show_load_log; /* --log-level: a successful load's log too */

static void on_signal(int sig)
{
	exit_req = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf prints a successful load's log at debug level. */
	if (level == LIBBPF_DEBUG && !verbose && !(show_load_log && strstr(fmt, "PROG LOAD LOG")))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static const char *kind_name(int kind)
{
	for (size_t i = 0; i < sizeof(exit_kinds) / sizeof(exit_kinds[0]); i++)
		if (exit_kinds[i].kind == kind)
			return exit_kinds[i].name;
	return "?";
}

/* What UEI_REPORT prints, plus one line a harness can parse; returns
 * the exit kind. */
static int kt_report_exit(const char *prog, const struct user_exit_info *uei, const char *dump)
{
	fflush(stdout);
	if (dump[0]) {
		fputs("\nDEBUG DUMP\n", stderr);
		fputs("================================================================================\n\n", stderr);
		fputs(dump, stderr);
		fputs("\n================================================================================\n\n", stderr);
	}
	fprintf(stderr, "EXIT: %s", uei->reason);
	if (uei->msg[0])
		fprintf(stderr, " (%s)", uei->msg);
	fputc('\n', stderr);
	fprintf(stderr, "%s: exit kind=%d (SCX_EXIT_%s) code=%lld\n", prog, uei->kind, kind_name(uei->kind),
		(long long)uei->exit_code);
	return uei->kind;
}

#endif
