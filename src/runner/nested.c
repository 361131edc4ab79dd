/* The nested rig, L1 side.  A .nested test's body runs in an L1 guest
 * (booted under QEMU with the host's virtualization extension exposed;
 * on this project's machines: TCG with AMD SVM) whose initramfs also holds
 * the kernel as /nested/bzImage.  ktstr_nested_run() builds an L2
 * initramfs around /init (this very binary), boots it with our own KVM
 * VMM and judges it exactly as the host runner judges a top-level VM. */
#include "model/ctx.h"
#include "runner/runner.h"
#include "proto/shm_ring.h"
#include "runner/judge_mon.h"
#include "initramfs/initramfs.h"
#include "monitor/monitor.h"
#include "vm/backend.h"
#include "vm/kvm/kvm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NESTED_KERNEL "/nested/bzImage"
#define NESTED_VMLINUX "/nested/vmlinux" /* monitor-only copy (kt_kernel_monitor_vmlinux) */
#define NESTED_SCHED_DIR "/sched"      /* L1's schedulers, passed on to the L2 */
#define NESTED_MARK "ktstr_nested=l2"

bool ktstr_nested_l2(void)
{
	char cmdline[4096];

	if (kt_read_file_str("/proc/cmdline", cmdline, sizeof(cmdline)))
		return false;
	for (char *p = cmdline; (p = strstr(p, NESTED_MARK)); p++)
		if ((p == cmdline || p[-1] == ' ') && (p[strlen(NESTED_MARK)] == ' ' || !p[strlen(NESTED_MARK)]))
			return true;
	return false;
}

struct watch {
	uint64_t t0, init_ns;
	struct kbuf com2, ring_json;
	unsigned malformed;
	char *hvc0;     /* the result's buffer */
	size_t hvc0_len, hvc0_cap;
	struct kt_monitor *mon; /* NULL: no monitor for this L2 */
	bool mon_started;
};

static void on_prepare(void *arg, struct vm *vm)
{
	struct watch *w = arg;

	w->t0 = kt_now_ns();
	kt_ring_init(vm->shm, vm->shm_size);
}

static void on_output(void *arg, int port, const char *data, size_t len)
{
	struct watch *w = arg;

	if (port == 3) {
		size_t n = len < w->hvc0_cap - 1 - w->hvc0_len ? len : w->hvc0_cap - 1 - w->hvc0_len;

		memcpy(w->hvc0 + w->hvc0_len, data, n);
		w->hvc0_len += n;
		w->hvc0[w->hvc0_len] = '\0';
		return;
	}
	if (port != 2 || w->init_ns)
		return;
	kt_kbuf_append(&w->com2, data, len);
	if (w->com2.data && strstr(w->com2.data, "KTSTR_INIT_STARTED"))
		w->init_ns = kt_now_ns() - w->t0;
	if (w->com2.len > 65536)
		w->com2.len = 0;
}

static void on_msg(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	struct watch *w = arg;

	if (!crc_ok)
		return;
	kt_monitor_ring_msg(w->mon, type, p, len); /* as the host runner does */
	if (type == KT_MSG_TEST_RESULT) {
		w->ring_json.len = 0;
		kt_kbuf_append(&w->ring_json, p, len);
	}
}

static bool on_tick(void *arg, struct vm *vm)
{
	struct watch *w = arg;

	if (w->mon && !w->mon_started) { /* after launch, as the host runner does */
		w->mon_started = true;
		kt_monitor_start(w->mon, vm, w->t0);
	}
	kt_ring_drain(vm->shm, vm->shm_size, on_msg, w, &w->malformed);
	return false;
}

static void on_finish(void *arg, struct vm *vm)
{
	struct watch *w = arg;

	(void)vm;
	kt_monitor_stop(w->mon); /* before guest RAM is unmapped */
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
#define NESTED_MAX_SCHED 8
static int sched_files(struct initramfs_file *f, size_t *n)
{
	static char names[2 * NESTED_MAX_SCHED][PATH_MAX + 8];
	DIR *d = opendir(NESTED_SCHED_DIR);
	struct dirent *e;

	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) && *n < NESTED_MAX_SCHED) {
		char *src = names[2 * *n], *dst = names[2 * *n + 1];

		if (e->d_name[0] == '.' || strlen(e->d_name) > NAME_MAX)
			continue;
		snprintf(src, PATH_MAX + 8, NESTED_SCHED_DIR "/%s", e->d_name);
		snprintf(dst, PATH_MAX + 8, "sched/%s", e->d_name);
		f[(*n)++] = (struct initramfs_file){ .src = src, .dst = dst };
	}
	closedir(d);
	return 0;
}

int kt_vmm_nested_initramfs(char *out, size_t len)
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

/* The L2's hvc0 input: a pipe holding all of it, closed for writing. */
static int input_pipe(const char *s, int *rd)
{
	int p[2];
	size_t len = strlen(s);

	if (len > 4096)
		return -E2BIG; /* within the pipe's capacity: no writer thread */
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

/* The L2's scheduler (a test's .scheduler): started from /sched/NAME,
 * which L1 must hold (the host runner puts scx_ktstr there for nested
 * cases). */
static int l2_sched_cmdline(const struct ktstr_test *t, char *buf, size_t len, struct ktstr_nested_result *res)
{
	const struct ktstr_scheduler *s = t->scheduler;
	const char *base;
	char l1[PATH_MAX], guest[300];

	buf[0] = '\0';
	if (!s)
		return 0;
	base = strrchr(s->binary ? s->binary : "", '/');
	base = base ? base + 1 : s->binary ? s->binary : "";
	snprintf(l1, sizeof(l1), NESTED_SCHED_DIR "/%s", base);
	if (!*base || !kt_is_executable(l1)) {
		snprintf(res->reason, sizeof(res->reason), "L2 test %s needs scheduler %s: %.200s is not in this L1",
			 t->name, s->name ? s->name : base, l1);
		return -ENOENT;
	}
	snprintf(guest, sizeof(guest), "sched/%s", base);
	if (kt_sched_cmdline(s, guest, t->sched_args, "", buf, len)) {
		snprintf(res->reason, sizeof(res->reason), "L2 test %s: scheduler arguments too long", t->name);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The monitor for an L2, with the test's settings, as on the host. */
static void l2_monitor(const struct ktstr_test *t, struct watch *w, struct ktstr_nested_result *res)
{
	const struct kt_layout *l = nested_layout(res->mon_note, sizeof(res->mon_note));
	struct kt_mon_opts mo;

	if (!l)
		return;
	if (!kt_monitor_opts(&mo, t, t->scheduler, 0)) {
		snprintf(res->mon_note, sizeof(res->mon_note), "switched off for %s", t->name);
		return;
	}
	w->mon = kt_monitor_new(l, &mo);
	if (!w->mon)
		snprintf(res->mon_note, sizeof(res->mon_note), "could not be set up (see above)");
}

static void l2_monitor_result(struct kt_monitor *m, struct ktstr_nested_result *res)
{
	struct kt_mon_summary s;

	kt_monitor_summary(m, &s);
	res->mon_ran = true;
	res->mon_located = s.located;
	res->mon_samples = (unsigned)s.samples;
	res->mon_judged = (unsigned)s.judged;
	res->mon_nr_readings = s.nr_readings;
	res->mon_nr_agree = s.nr_agree;
	res->mon_kernel_readings = s.kernel_readings;
	res->mon_kernel_bad = s.kernel_bad;
	snprintf(res->mon_note, sizeof(res->mon_note),
		 "%s; %zu samples, %zu judged; nr_running %u/%u readings agree; kernel %u/%u readings agree",
		 s.located ? "kernel found" : "kernel NOT found", s.samples, s.judged, s.nr_agree, s.nr_readings,
		 s.kernel_readings - s.kernel_bad, s.kernel_readings);
	printf("nested: L2 monitor: %s (_text phys 0x%llx, KASLR offset 0x%llx)\n", res->mon_note,
	       (unsigned long long)s.phys_load, (unsigned long long)s.voff);
}

int ktstr_nested_run_opts(struct ktstr_ctx *ctx, const char *test, const char *topo_s, unsigned timeout_s,
			  const struct ktstr_nested_opts *opts, struct ktstr_nested_result *res)
{
	const struct ktstr_test *t = kt_test_find(test);
	struct ktstr_topo topo;
	struct vm_config cfg = { 0 };
	struct vm_hooks hooks = { 0 };
	struct vm_result vr;
	struct watch w = { 0 };
	struct kt_outcome *o;
	char initrd[4096], cmdline[2048], ts[32], err[256];
	unsigned dur_s;
	int ret;

	memset(res, 0, sizeof(*res));
	res->verdict = 3;
	w.hvc0 = res->hvc0;
	w.hvc0_cap = sizeof(res->hvc0);
	if (!t) {
		snprintf(res->reason, sizeof(res->reason), "no registered test '%s'", test);
		return -ENOENT;
	}
	if (!kt_path_exists(NESTED_KERNEL)) {
		snprintf(res->reason, sizeof(res->reason),
			 "%s missing: ktstr_nested_run() works only in the L1 of a .nested = true test", NESTED_KERNEL);
		return -ENOENT;
	}
	kt_test_topo(t, &topo);
	if (topo_s && ktstr_topo_parse(topo_s, &topo, err, sizeof(err))) {
		snprintf(res->reason, sizeof(res->reason), "topology %s: %s", topo_s, err);
		return -EINVAL;
	}
	ret = kt_vmm_nested_initramfs(initrd, sizeof(initrd));
	if (ret) {
		snprintf(res->reason, sizeof(res->reason), "L2 initramfs: %s", strerror(-ret));
		return ret;
	}
	dur_s = t->duration_s ? t->duration_s : 2;
	ktstr_topo_format(&topo, ts, sizeof(ts));
	ret = l2_sched_cmdline(t, cmdline, sizeof(cmdline), res);
	if (ret)
		return ret;
	snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline),
		 " ktstr_test=%s ktstr_topo=%s ktstr_duration_ms=%u " NESTED_MARK, t->name, ts, dur_s * 1000);
	cfg.kernel = NESTED_KERNEL;
	cfg.initrd = initrd;
	cfg.cmdline = cmdline;
	cfg.topo = topo;
	cfg.memory_mb = VM_MIN_NODE_MB * topo.numa_nodes; /* small: every page an L2 touches is costly */
	cfg.timeout_ms = 1000u * (timeout_s ? timeout_s : 90 + 3 * dur_s + ktstr_topo_cpus(&topo));
	cfg.vmm = VMM_KVM;
	cfg.kaslr = t->kaslr;
	/* L1 booted verbose (host -v): stream the L2's consoles too. */
	cfg.console_to_stderr = !kt_read_file_str("/proc/cmdline", err, sizeof(err)) && strstr(err, "loglevel=7");
	hooks.arg = &w;
	hooks.finish = on_finish;
	hooks.prepare = on_prepare;
	hooks.output = on_output;
	hooks.tick = on_tick;
	cfg.input_fd = -1;
	for (unsigned i = 0; opts && i < 2 && i < VM_MAX_DISKS; i++)
		cfg.disks[i] = (struct vm_disk){ .path = opts->disk[i], .ro = opts->disk_ro[i] };
	if (opts && opts->hvc0_input) {
		ret = input_pipe(opts->hvc0_input, &cfg.input_fd);
		if (ret) {
			snprintf(res->reason, sizeof(res->reason), "hvc0 input pipe: %s", strerror(-ret));
			return ret;
		}
		cfg.com2_input = cfg.input_hvc0 = true;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		if (cfg.input_fd >= 0)
			close(cfg.input_fd);
		return -ENOMEM;
	}
	l2_monitor(t, &w, res);
	printf("nested: booting L2 '%s' topo=%s with --vmm kvm, host monitor %s%s\n", t->name, ts, w.mon ? "on" : "off: ",
	       w.mon ? "" : res->mon_note);
	fflush(stdout);
	ret = kt_vm_run(&cfg, &hooks, &vr);
	if (ret) {
		snprintf(res->reason, sizeof(res->reason), "L2 VM could not be started (%s)", strerror(-ret));
	} else {
		o->wall_s = (double)vr.wall_ns / 1e9;
		kt_judge(t, t->name, &topo, &vr, w.ring_json.data, w.ring_json.len, o);
		if (w.mon) {
			kt_judge_monitor(t, t->name, kt_monitor_verdict(w.mon), o);
			l2_monitor_result(w.mon, res);
		}
		res->verdict = o->verdict == KT_PASS ? 0 : o->verdict == KT_FAIL ? 1 : o->verdict == KT_SKIP ? 2 : 3;
		res->exit = (int)vr.exit;
		snprintf(res->exit_name, sizeof(res->exit_name), "%s", kt_vm_exit_name(vr.exit));
		res->wall_s = o->wall_s;
		res->boot_s = (double)w.init_ns / 1e9;
		snprintf(res->reason, sizeof(res->reason), "%.500s", o->reason);
		/* The L2's KTAP-style line, and its failure report, on L1's COM2. */
		printf("nested: L2 %s %s # topo=%s vmm=%s/%s exit=%s wall=%.1fs boot=%.2fs%s%s\n",
		       o->verdict == KT_PASS || o->verdict == KT_SKIP ? "ok" : "not ok", t->name, ts, vr.vmm_name,
		       vr.accel, res->exit_name, res->wall_s, res->boot_s, o->reason[0] ? " — " : "", o->reason);
		if (o->report.len)
			printf("%s", o->report.data);
		fflush(stdout);
		kt_kbuf_free(&o->report);
		kt_vm_result_free(&vr);
	}
	(void)ctx;
	if (cfg.input_fd >= 0)
		close(cfg.input_fd);
	free(o);
	kt_monitor_free(w.mon);
	kt_kbuf_free(&w.com2);
	kt_kbuf_free(&w.ring_json);
	return ret;
}
