/* Guest command-line values and what carries them (issue 16, findings
 * 10 and 11): truncation is an error, never silent (QEMU's argument
 * vector never loses an argument, which shifted every one after it;
 * scheduler flag arguments and case names are never cut; the scheduler's
 * arguments are refused whole), and every value goes through the one
 * encoder. */
#include "unit.h"
#include "model/profiles.h"
#include "runner/exec.h"
#include "proto/guest_args.h"
#include "proto/shell_args.h"
#include "vm/qemu.h"

#include <errno.h>
#include <stdlib.h>

UNIT_TEST(fmt_says_when_it_cuts)
{
	char b[8];

	CHECK_EQ_INT(kt_fmt(b, sizeof(b), "%s", "1234567"), 0);
	CHECK_EQ_STR(b, "1234567");
	CHECK_EQ_INT(kt_fmt(b, sizeof(b), "%s", "12345678"), -ENAMETOOLONG);
}

/* The value after an option, or NULL. */
static const char *after(const struct kt_qemu_argv *a, const char *opt)
{
	for (int i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i], opt))
			return a->v[i + 1];
	return NULL;
}

UNIT_TEST(qemu_argv_never_drops_an_argument)
{
	struct vm_config cfg = { .topo = { 1, 1, 2, 1 }, .memory_mb = 2048, .kernel = "/k/bzImage",
				 .initrd = "/k/initrd.cpio" };
	struct vm vm = { .cfg = &cfg, .nregions = 1 };
	struct kt_qemu_argv *a = calloc(1, sizeof(*a));
	char *longpath = malloc(20000);

	vm.regions[0].size = 2048ull << 20;
	snprintf(vm.cmdline, sizeof(vm.cmdline), "console=ttyS0 rdinit=/init");
	CHECK_EQ_INT(kt_qemu_build_argv(&vm, "/usr/bin/qemu-system-x86_64", false, a), 0);
	CHECK_EQ_STR(after(a, "-kernel"), "/k/bzImage");
	CHECK_EQ_STR(after(a, "-initrd"), "/k/initrd.cpio");
	CHECK_EQ_STR(after(a, "-append"), "console=ttyS0 rdinit=/init");
	CHECK(a->v[a->n] == NULL);
	/* A kernel path that does not fit: an error naming it, not a
	 * vector where "-kernel" is followed by "-initrd". */
	memset(longpath, 'k', 19999);
	longpath[0] = '/';
	longpath[19999] = '\0';
	cfg.kernel = longpath;
	memset(a, 0, sizeof(*a));
	CHECK_EQ_INT(kt_qemu_build_argv(&vm, "/usr/bin/qemu-system-x86_64", false, a), -E2BIG);
	CHECK(strstr(a->err_arg, "-kernel") != NULL);
	free(longpath);
	free(a);
}

static const struct ktstr_sched_flag long_flags[] = {
	{ .name = "a", .args = "--a-flag-with-a-long-argument-0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789" },
	{ .name = "b", .args = "--b-flag-with-a-long-argument-0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789012345678901234567890123456789" },
	{ 0 },
};
static const struct ktstr_scheduler long_sched = { .name = "s", .binary = "s", .flags = long_flags };

static int body(struct ktstr_ctx *ctx)
{
	(void)ctx;
	return 0;
}

UNIT_TEST(flag_args_never_cut)
{
	static const struct ktstr_test t = { .name = "t", .fn = body, .scheduler = &long_sched };
	const struct ktstr_test *tests[] = { &t };
	struct kt_case *cases = NULL;
	size_t n = 0;
	char buf[300];

	CHECK_EQ_INT(kt_profile_args(long_flags, 0x1, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(kt_profile_args(long_flags, 0x3, buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(kt_profile_name(long_flags, 0x3, buf, 3), -ENAMETOOLONG); /* "a+b" */
	CHECK_EQ_INT(kt_profile_name(long_flags, 0x3, buf, 4), 0);
	/* Both flags' arguments together (567 bytes) exceed a case's 511. */
	CHECK_EQ_INT(kt_expand_cases(tests, 1, NULL, &cases, &n), -ENAMETOOLONG);
	free(cases);
}

UNIT_TEST(guest_sched_args_refused_whole)
{
	static const struct ktstr_scheduler s = { .name = "s", .binary = "s" };
	static const struct ktstr_test t = { .name = "t", .fn = body, .scheduler = &s };
	char args[2100];
	struct ktstr_scheduler over = s;
	struct kt_case c = { .t = &t, .sched = &over };
	struct kt_resolved r = { .c = &c, .topo = { 1, 1, 2, 1 } };
	struct kt_exec_env env = { 0 };
	char cmd[4096];

	memset(args, 'x', sizeof(args) - 1);
	args[sizeof(args) - 1] = '\0';
	over.args = args;
	CHECK_EQ_INT(kt_case_cmdline(&r, &env, "sched/s", cmd, sizeof(cmd)), -ENAMETOOLONG);
	CHECK_EQ_STR(cmd, "");
	args[100] = '\0';
	CHECK_EQ_INT(kt_case_cmdline(&r, &env, "sched/s", cmd, sizeof(cmd)), 0);
	CHECK(strstr(cmd, "ktstr_sched_args=") != NULL);
}

/* Issue 16, finding 11: the scheduler's file name, whatever it is, goes
 * onto the kernel command line through the one encoder, from the runner
 * and from ktstr shell alike: "a init=/bin/sh" adds no kernel parameter. */
static bool has_word(const char *cmd, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmd; (p = strstr(p, word)); p++)
		if ((p == cmd || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

UNIT_TEST(sched_file_name_encoded_runner_and_shell)
{
	static const struct ktstr_scheduler s = { .name = "evil", .binary = "a init=/bin/sh" };
	static const struct ktstr_test t = { .name = "t", .fn = body, .scheduler = &s };
	struct kt_case c = { .t = &t, .sched = &s };
	struct kt_resolved r = { .c = &c, .topo = { 1, 1, 2, 1 } };
	struct kt_exec_env env = { 0 };
	struct kt_shell_guest_spec sh = { .topo = { 1, 1, 2, 1 }, .sched_guest = "/sched/a init=/bin/sh rdinit=/x" };
	struct kt_shell_guest_cfg sc;
	static struct kt_guest_args back;
	char cmd[4096], err[128];

	CHECK_EQ_INT(kt_case_cmdline(&r, &env, "sched/a init=/bin/sh", cmd, sizeof(cmd)), 0);
	CHECK(!has_word(cmd, "init=/bin/sh") && !strstr(cmd, " init="));
	CHECK(strstr(cmd, " ktstr_sched=/sched/a%20init=/bin/sh") != NULL);
	CHECK_EQ_INT(kt_guest_args_parse(cmd, &back), 0);
	CHECK_EQ_STR(back.sched, "/sched/a init=/bin/sh");
	CHECK_EQ_INT(kt_shell_cmdline(&sh, cmd, sizeof(cmd), err, sizeof(err)), 0);
	CHECK(!has_word(cmd, "init=/bin/sh") && !has_word(cmd, "rdinit=/x"));
	CHECK_EQ_INT(kt_shell_parse_cmdline(cmd, &sc), 0);
	CHECK_EQ_STR(sc.sched, "/sched/a init=/bin/sh rdinit=/x");
}
