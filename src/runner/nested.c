/* The nested rig, L1 side.  A .nested test's body runs in an L1 guest
 * (booted under QEMU with the host's virtualization extension exposed;
 * on this project's machines: TCG with AMD SVM) whose initramfs also
 * holds the kernel as /nested/bzImage.  ktstr_nested_run() builds an L2
 * initramfs around /init (this very binary) and runs the case through
 * the same kt_case_resolve()/kt_case_exec() as the host pool, with our
 * own KVM VMM: the same command line, timeouts, control requests,
 * watchdog override, monitor and judging. */
#include "runner/emit.h"
#include "runner/exec.h"
#include "runner/prepare.h"
#include "model/ctx.h"
#include "initramfs/initramfs.h"
#include "monitor/monitor.h"
#include "proto/guest_args.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NESTED_KERNEL "/nested/bzImage"
#define NESTED_VMLINUX "/nested/vmlinux" /* monitor-only copy (kt_kernel_monitor_vmlinux) */
#define NESTED_CONFIG "/nested/config"   /* the kernel's .config: its HZ */
#define NESTED_SCHED_DIR "/sched"      /* L1's schedulers, passed on to the L2 */

bool ktstr_nested_l2(void)
{
	struct kt_guest_args *a = calloc(1, sizeof(*a));
	char cmdline[4096];
	bool l2;

	if (!a || kt_read_file_str("/proc/cmdline", cmdline, sizeof(cmdline))) {
		free(a);
		return false;
	}
	kt_guest_args_parse(cmdline, a);
	l2 = a->nested_l2;
	free(a);
	return l2;
}

/* The kernel's layout for the monitor, loaded once per L1. */
static const struct kt_layout *nested_layout(char *note, size_t len)
{
	static struct kt_layout *l;
	static bool tried;

	if (!tried) {
		tried = true;
		if (kt_path_exists(NESTED_VMLINUX))
			l = kt_monitor_kernel(NESTED_VMLINUX);
	}
	if (!l)
		snprintf(note, len, "%s", kt_path_exists(NESTED_VMLINUX) ? NESTED_VMLINUX " unusable (see above)"
									  : "no " NESTED_VMLINUX " in this L1");
	return l;
}

/* Every file in L1's /sched (up to NESTED_MAX_SCHED), as sched/NAME in
 * the L2's initramfs. */
#define NESTED_MAX_SCHED 32
static int sched_files(struct initramfs_file *f, size_t *n)
{
	static char names[2 * NESTED_MAX_SCHED][PATH_MAX + 8];
	DIR *d = opendir(NESTED_SCHED_DIR);
	struct dirent *e;

	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char *src, *dst;

		if (e->d_name[0] == '.' || strlen(e->d_name) > NAME_MAX)
			continue;
		if (*n == NESTED_MAX_SCHED) { /* never cut silently: an L2 would miss its scheduler */
			closedir(d);
			return kt_err(E2BIG, "nested: more than %d files in %s", NESTED_MAX_SCHED, NESTED_SCHED_DIR),
			       -E2BIG;
		}
		src = names[2 * *n];
		dst = names[2 * *n + 1];
		snprintf(src, PATH_MAX + 8, NESTED_SCHED_DIR "/%s", e->d_name);
		snprintf(dst, PATH_MAX + 8, "sched/%s", e->d_name);
		f[(*n)++] = (struct initramfs_file){ .src = src, .dst = dst };
	}
	closedir(d);
	return 0;
}

int kt_nested_initramfs(char *out, size_t len)
{
	static char built[4096];
	struct initramfs_file files[NESTED_MAX_SCHED];
	struct initramfs_spec spec = { .init = "/init", .files = files };
	int ret;

	if (built[0]) {
		snprintf(out, len, "%s", built);
		return 0;
	}
	ret = sched_files(files, &spec.nfiles);
	if (ret)
		return ret;
	setenv("KTSTR_CACHE_DIR", "/tmp/ktstr-cache", 0);
	ret = kt_initramfs_build(&spec, built, sizeof(built));
	if (ret) {
		built[0] = '\0';
		return ret;
	}
	snprintf(out, len, "%s", built);
	return 0;
}

int ktstr_nested_run(struct ktstr_ctx *ctx, const char *test, const char *topo_s, unsigned timeout_s,
		     struct ktstr_nested_result *res)
{
	return ktstr_nested_run_opts(ctx, test, topo_s, timeout_s, NULL, res);
}

/* The L2's scheduler (a test's .scheduler) from L1's /sched/NAME, which
 * the host runner fills for nested cases. */
static const char *l2_sched_guest(void *arg, const struct ktstr_scheduler *s)
{
	static __thread char guest[300];
	const char *base = strrchr(s->binary ? s->binary : "", '/');
	char l1[PATH_MAX];

	(void)arg;
	base = base ? base + 1 : s->binary ? s->binary : "";
	if (!*base || (size_t)snprintf(l1, sizeof(l1), NESTED_SCHED_DIR "/%s", base) >= sizeof(l1) ||
	    !kt_is_executable(l1) || (size_t)snprintf(guest, sizeof(guest), "sched/%s", base) >= sizeof(guest))
		return NULL;
	return guest;
}

static void l2_monitor_result(const struct kt_mon_summary *s, struct ktstr_nested_result *res)
{
	res->mon_ran = true;
	res->mon_located = s->located;
	res->mon_samples = (unsigned)s->samples;
	res->mon_judged = (unsigned)s->judged;
	res->mon_nr_readings = s->nr_readings;
	res->mon_nr_agree = s->nr_agree;
	res->mon_nr_matched = s->nr_matched;
	res->mon_kernel_readings = s->kernel_readings;
	res->mon_kernel_bad = s->kernel_bad;
	snprintf(res->mon_note, sizeof(res->mon_note),
		 "%s; %zu samples, %zu judged; nr_running %u/%u/%u readings agree/matched/sent; kernel %u/%u agree",
		 s->located ? "kernel found" : "kernel NOT found", s->samples, s->judged, s->nr_agree, s->nr_matched,
		 s->nr_readings,
		 s->kernel_readings - s->kernel_bad, s->kernel_readings);
	printf("nested: L2 monitor: %s (_text phys 0x%llx, KASLR offset 0x%llx)\n", res->mon_note,
	       (unsigned long long)s->phys_load, (unsigned long long)s->voff);
}

/* The run-wide environment of this L1's L2s. */
static int l2_env(const struct ktstr_test *t, const struct ktstr_nested_opts *opts, struct kt_exec_env *env,
		  struct ktstr_nested_result *res)
{
	static char initrd[4096];
	char cmdline[4096];
	struct kt_mon_opts mo;
	int ret;

	memset(env, 0, sizeof(*env));
	ret = kt_nested_initramfs(initrd, sizeof(initrd));
	if (ret) {
		snprintf(res->reason, sizeof(res->reason), "L2 initramfs: %s", strerror(-ret));
		return ret;
	}
	env->where = KT_EXEC_NESTED;
	env->kernel = NESTED_KERNEL;
	env->initrd = initrd;
	env->vmm = VMM_KVM;
	env->sched_guest = l2_sched_guest;
	env->nested = opts;
	/* The L2's watchdog override, as the host runner does it: a test
	 * that asks for a value needs the symbol, the default goes without. */
	if (t->scheduler && kt_watchdog_locate(NESTED_VMLINUX, NESTED_CONFIG, &env->wd) &&
	    t->watchdog_timeout_s && t->watchdog_timeout_s != KTSTR_WATCHDOG_OWN) {
		snprintf(res->reason, sizeof(res->reason),
			 "L2 test %s sets watchdog_timeout_s, but %s has no scx_watchdog_timeout", t->name,
			 NESTED_VMLINUX);
		return -ENOENT;
	}
	if (!kt_monitor_opts(&mo, t, t->scheduler, 0))
		snprintf(res->mon_note, sizeof(res->mon_note), "switched off for %s", t->name);
	else
		env->mon = nested_layout(res->mon_note, sizeof(res->mon_note));
	/* L1 booted verbose (host -v): stream the L2's consoles too. */
	env->verbose = !kt_read_file_str("/proc/cmdline", cmdline, sizeof(cmdline)) && strstr(cmdline, "loglevel=7");
	return 0;
}

int ktstr_nested_run_opts(struct ktstr_ctx *ctx, const char *test, const char *topo_s, unsigned timeout_s,
			  const struct ktstr_nested_opts *opts, struct ktstr_nested_result *res)
{
	const struct ktstr_test *t = kt_test_find(test);
	struct kt_case_overrides ov = { .timeout_s = timeout_s };
	struct kt_exec_env env;
	struct kt_resolved r;
	struct kt_outcome *o;
	struct kt_case c = { 0 };
	char err[256], ts[32];
	int ret;

	(void)ctx;
	memset(res, 0, sizeof(*res));
	res->verdict = 3;
	if (!t) {
		snprintf(res->reason, sizeof(res->reason), "no registered test '%s'", test);
		return -ENOENT;
	}
	if (!kt_path_exists(NESTED_KERNEL)) {
		snprintf(res->reason, sizeof(res->reason),
			 "%s missing: ktstr_nested_run() works only in the L1 of a .nested = true test", NESTED_KERNEL);
		return -ENOENT;
	}
	if (topo_s) {
		if (ktstr_topo_parse(topo_s, &ov.topo, err, sizeof(err))) {
			snprintf(res->reason, sizeof(res->reason), "topology %s: %s", topo_s, err);
			return -EINVAL;
		}
		ov.have_topo = true;
	}
	c.t = t;
	c.sched = t->scheduler;
	snprintf(c.name, sizeof(c.name), "%s", t->name);
	if (kt_case_resolve(&c, &ov, KT_EXEC_NESTED, &r, err, sizeof(err))) {
		snprintf(res->reason, sizeof(res->reason), "L2 test %s: %s", t->name, err);
		return -EINVAL;
	}
	if (t->scheduler && !l2_sched_guest(NULL, t->scheduler)) {
		snprintf(res->reason, sizeof(res->reason), "L2 test %s needs scheduler %s: it is not in this L1's %s",
			 t->name, t->scheduler->name ? t->scheduler->name : t->scheduler->binary, NESTED_SCHED_DIR);
		return -ENOENT;
	}
	ret = l2_env(t, opts, &env, res);
	if (ret)
		return ret;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	ktstr_topo_format(&r.topo, ts, sizeof(ts));
	printf("nested: booting L2 '%s' topo=%s with --vmm kvm, host monitor %s%s\n", t->name, ts,
	       env.mon ? "on" : "off: ", env.mon ? "" : res->mon_note);
	fflush(stdout);
	kt_case_exec(&r, &env, o);
	if (o->start_err) {
		ret = o->start_err;
		snprintf(res->reason, sizeof(res->reason), "L2 VM could not be started (%s)", strerror(-ret));
	} else {
		if (o->have_mon)
			l2_monitor_result(&o->mon, res);
		res->verdict = o->verdict == KT_PASS ? 0 : o->verdict == KT_FAIL ? 1 : o->verdict == KT_SKIP ? 2 : 3;
		res->exit = (int)o->exit;
		snprintf(res->exit_name, sizeof(res->exit_name), "%s", kt_vm_exit_name(o->exit));
		res->wall_s = o->wall_s;
		res->boot_s = o->boot_s;
		snprintf(res->reason, sizeof(res->reason), "%.500s", o->reason);
		if (o->hvc0.len)
			snprintf(res->hvc0, sizeof(res->hvc0), "%.*s", (int)o->hvc0.len, o->hvc0.data);
		/* The L2's KTAP-style line, and its failure report, on L1's COM2. */
		kt_emit_case(stdout, "nested: L2 ", 1, t->name,
			     t->scheduler ? (t->scheduler->name ? t->scheduler->name : t->scheduler->binary) : "eevdf", o);
		kt_emit_report(stdout, t->name, o);
	}
	kt_outcome_release(o);
	free(o);
	return ret;
}
