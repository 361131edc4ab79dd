/* The auto-repro probe loader on its own (src/guest/probe.c, issue 14:
 * "attach to a known function, trigger it, read the event back").  In
 * the guest, under EEVDF: the loader's object, a kprobe on do_faccessat
 * and fentry/fexit on ksys_read, both called by syscalls this test makes
 * with arguments it chose; the records read back must name this thread
 * and carry those arguments, and the fentry one must have seen the exit.
 * It reaches into the library (guest/probe.h), not the public API: the
 * loader has no public face. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <ktstr/ktstr.h>
#include "guest/probe.h"

/* The record of `fn` made by this thread, checked against what a call
 * with args[i] == want[i] (where want_set bit i) would have stored. */
static int check_call(struct ktstr_ctx *ctx, struct kt_pg *g, const char *fn, const char *how, unsigned want_set,
		      const int64_t *want, bool exited)
{
	struct kt_pw_call c;
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	int slot = -1;

	for (unsigned i = 0; i < g->nfunc; i++)
		if (!strcmp(g->func[i].name, fn))
			slot = (int)i;
	if (slot < 0) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: not attached (%s)", fn, g->skipped.len ? g->skipped.data : "?");
		return -1;
	}
	if (strcmp(g->func[slot].how, how)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: attached by %s, wanted %s (%s)", fn, g->func[slot].how, how,
			   g->func[slot].why);
		return -1;
	}
	if (kt_pg_last_call(g, fn, tid, &c)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: no record of thread %u", fn, tid);
		return -1;
	}
	for (unsigned i = 0; i < KT_PW_ARGS; i++)
		if ((want_set & (1u << i)) && (int64_t)(int32_t)c.args[i] != want[i] && (int64_t)c.args[i] != want[i]) {
			ktstr_fail(ctx, KTSTR_K_OTHER, "%s: argument %u is %lld, wanted %lld", fn, i,
				   (long long)c.args[i], (long long)want[i]);
			return -1;
		}
	if (c.cur_pid != tid || !!(c.flags & KT_PW_CALL_EXITED) != exited) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: pid %u (wanted %u), exit seen %d (wanted %d)", fn, c.cur_pid, tid,
			   !!(c.flags & KT_PW_CALL_EXITED), exited);
		return -1;
	}
	ktstr_log(ctx, "%s by %s: pid %u, args %lld %lld %lld", fn, how, c.cur_pid, (long long)c.args[0],
		  (long long)c.args[1], (long long)c.args[2]);
	return 0;
}

KTSTR_TEST(probe_loader_kprobe_fentry, .llcs = 1, .cores = 1, .duration_s = 1, .timeout_s = 120,
	   .desc = "auto-repro loader: kprobe and fentry/fexit on kernel functions, triggered and read back")
{
	static const int64_t acc[] = { -100, 0, 5 };   /* do_faccessat(AT_FDCWD, "/", R_OK|X_OK) */
	int64_t rd[3] = { 0, 0, 4321 };                /* ksys_read(fd, buf, 4321) */
	struct kt_pg *g = kt_pg_new();
	char buf[4321];
	uint64_t t0 = kt_now_ns(), t1, t2;
	int fd, ret;

	if (!g)
		return -ENOMEM;
	g->quiet = true;
	g->no_bridge = true; /* only the two functions below */
	ret = kt_pg_setup(g, "*");
	if (ret) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "probe loader set-up: %s", g->error);
		kt_pg_free(g);
		return 0;
	}
	t1 = kt_now_ns();
	ret = kt_pg_add_kernel_how(g, "do_faccessat", -1, KT_PG_KPROBE);
	t2 = kt_now_ns();
	ret = ret ?: kt_pg_add_kernel_how(g, "ksys_read", -1, KT_PG_FENTRY);
	/* What each kind costs to set up (docs/auto-repro.md, "Cost"). */
	ktstr_log(ctx, "set-up %llu ms, kprobe %llu ms, fentry/fexit %llu ms", (unsigned long long)(t1 - t0) / 1000000u,
		  (unsigned long long)(t2 - t1) / 1000000u, (unsigned long long)(kt_now_ns() - t2) / 1000000u);
	if (ret) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "attach: %s", g->skipped.len ? g->skipped.data : strerror(-ret));
		kt_pg_free(g);
		return 0;
	}
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	rd[0] = fd;
	if (fd < 0 || faccessat(AT_FDCWD, "/", R_OK | X_OK, 0) || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "the syscalls to probe: %s", strerror(errno));
	} else if (!check_call(ctx, g, "do_faccessat", "kprobe", 1u | 4u, acc, false)) {
		check_call(ctx, g, "ksys_read", "fentry/fexit", 1u | 4u, rd, true);
	}
	if (fd >= 0)
		close(fd);
	if (kt_pg_triggered(g))
		ktstr_fail(ctx, KTSTR_K_OTHER, "the trigger fired with no sched_ext scheduler");
	kt_pg_free(g);
	return 0;
}
