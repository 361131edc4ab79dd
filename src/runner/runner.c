/* Host runner: resolve the kernel, build the initramfs once, run one VM
 * per test with up to `jobs` at a time, print KTAP and a summary. */
#include "runner/runner.h"
#include "runner/retry.h"
#include <ktstr/scenario.h>
#include "model/ctx.h"
#include "proto/argenc.h"
#include "runner/ksym.h"
#include "runner/progress.h"
#include "runner/report_out.h"
#include "proto/shm_ring.h"
#include "runner/judge_mon.h"
#include "monitor/monitor.h"
#include "initramfs/initramfs.h"
#include "kernel/kernel.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MEMORY_MB 2048u

struct job {
	const struct kt_case *c;
	struct kt_outcome out;
};

struct sched_file {
	const struct ktstr_scheduler *s;
	char host[PATH_MAX];
	char guest[300]; /* "sched/<basename>" */
};

struct pool {
	const struct kt_run_opts *o;
	uint64_t wd_gpa;  /* guest-physical scx_watchdog_timeout, 0: unknown */
	unsigned hz;      /* guest CONFIG_HZ */
	struct sched_file *sched;
	size_t nsched;
	const char *kernel, *initrd;
	const char *initrd_nested; /* for .nested cases: + the L2 kernel, vmlinux, scx_ktstr */
	struct job *jobs;
	size_t n, next, done;
	struct kt_report *rep;    /* --junit/--out, NULL: none */
	struct kt_progress *prog; /* stderr progress line, NULL: none */
	struct kt_layout *mon;    /* the kernel as the monitor reads it, NULL: no monitor */
	unsigned retry_budget, retry_budget_total; /* retries left / allowed in this run */
	bool budget_said;
	pthread_mutex_t lock;
};

/* Per-VM state for the hooks. */
struct watch {
	uint64_t t0, init_ns;
	uint64_t timeout_ns, ready_ns;
	unsigned stall_after_ms;
	bool stall_sent, stop_sent;
	uint64_t wd_gpa, wd_jiffies; /* watchdog override, 0: none */
	char crash[256];             /* CRSH message, if any */
	uint64_t sched_exit_ns, scen_start_ns;
	uint32_t scen_ms;
	unsigned stimuli;             /* STIM events seen */
	struct kbuf com2_tail; /* enough to spot the first sentinel */
	struct kbuf ring_json;
	unsigned malformed;
	struct kt_monitor *mon;       /* host-side monitor, NULL: off */
	bool mon_started, kaslr;
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

	if (port != 2 || w->init_ns)
		return;
	kt_kbuf_append(&w->com2_tail, data, len);
	if (w->com2_tail.data && strstr(w->com2_tail.data, "KTSTR_INIT_STARTED"))
		w->init_ns = kt_now_ns() - w->t0;
	if (w->com2_tail.len > 65536)
		w->com2_tail.len = 0;
}

static void on_msg(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	struct watch *w = arg;

	if (!crc_ok)
		return; /* never trust a corrupted message */
	kt_monitor_ring_msg(w->mon, type, p, len);
	switch (type) {
	case KT_MSG_TEST_RESULT:
		w->ring_json.len = 0;
		kt_kbuf_append(&w->ring_json, p, len);
		break;
	case KT_MSG_CRASH:
		snprintf(w->crash, sizeof(w->crash), "%.*s", (int)(len < sizeof(w->crash) ? len : sizeof(w->crash) - 1),
			 (const char *)p);
		break;
	case KT_MSG_SCHED_EXIT:
		if (!w->sched_exit_ns)
			w->sched_exit_ns = kt_now_ns();
		break;
	case KT_MSG_STIMULUS:
		if (len == sizeof(struct kt_stimulus))
			w->stimuli++;
		break;
	case KT_MSG_SCENARIO_START:
		w->scen_start_ns = kt_now_ns();
		break;
	case KT_MSG_SCENARIO_END:
		if (len == sizeof(uint32_t))
			memcpy(&w->scen_ms, p, sizeof(w->scen_ms));
		break;
	default:
		break;
	}
}

static bool on_tick(void *arg, struct vm *vm)
{
	struct watch *w = arg;
	struct kt_ring_hdr *h = vm->shm;
	uint64_t now = kt_now_ns();

	if (w->mon && !w->mon_started) { /* after launch: vm->accel is known */
		w->mon_started = true;
		kt_monitor_start(w->mon, vm, w->t0);
	}
	kt_ring_drain(vm->shm, vm->shm_size, on_msg, w, &w->malformed);
	if (!w->ready_ns && kt_ctl_ready(h))
		w->ready_ns = now;
	if (w->stall_after_ms && w->ready_ns && !w->stall_sent &&
	    now - w->ready_ns >= (uint64_t)w->stall_after_ms * 1000000u) {
		kt_ctl_request_stall(h);
		w->stall_sent = true;
	}
	/* Keep the scheduler's watchdog at the test's value: scx_ops_enable
	 * sets it when the scheduler attaches, so write after "ready". */
	if (w->wd_gpa && w->ready_ns) {
		/* With KASLR the image moved: the monitor found where. */
		uint64_t gpa = w->kaslr ? kt_monitor_sym_pa(w->mon, w->wd_gpa + KT_START_KERNEL_MAP) : w->wd_gpa;

		if (gpa)
			kt_vm_write_phys(vm, gpa, &w->wd_jiffies, sizeof(w->wd_jiffies));
	}
	/* 3 s before the limit, ask the guest to report what it has. */
	if (w->timeout_ns > 10000000000ull && !w->stop_sent && now - w->t0 >= w->timeout_ns - 3000000000ull) {
		kt_ctl_request_stop(h);
		w->stop_sent = true;
	}
	return false;
}

static void on_finish(void *arg, struct vm *vm)
{
	struct watch *w = arg;

	(void)vm;
	kt_monitor_stop(w->mon); /* before guest RAM is unmapped */
}

static unsigned host_mem_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (unsigned)((unsigned long long)pages * (unsigned long long)psz >> 20) : 0;
}

static const struct sched_file *sched_of(const struct pool *p, const struct ktstr_scheduler *s)
{
	for (size_t i = 0; i < p->nsched; i++)
		if (p->sched[i].s == s)
			return &p->sched[i];
	return NULL;
}

int kt_sched_cmdline(const struct ktstr_scheduler *s, const char *guest, const char *test_args,
		     const char *flag_args, char *buf, size_t len)
{
	char args[1024], enc[2048];

	buf[0] = '\0';
	if (!s)
		return 0;
	snprintf(args, sizeof(args), "%s %s %s", s->args ? s->args : "", test_args ? test_args : "",
		 flag_args ? flag_args : "");
	if (kt_arg_encode(args, enc, sizeof(enc)))
		return -ENAMETOOLONG;
	if ((size_t)snprintf(buf, len, "ktstr_sched=/%s ktstr_sched_args=%s ktstr_sched_attach_ms=%u%s%s", guest,
			     enc, 1000u * (s->attach_timeout_s ? s->attach_timeout_s : 10),
			     s->enable_helper_cpus ? " ktstr_sched_helper_cpus=" : "",
			     s->enable_helper_cpus ? s->enable_helper_cpus : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int sched_cmdline(const struct pool *p, const struct kt_case *c, char *buf, size_t len)
{
	const struct sched_file *f = c->sched ? sched_of(p, c->sched) : NULL;

	buf[0] = '\0';
	return f ? kt_sched_cmdline(c->sched, f->guest, c->t->sched_args, c->flag_args, buf, len) : 0;
}

/* Every scheduler the selected tests use: resolve its binary (a host path
 * or a scheduler built with the kernel) before any VM boots. */
static int resolve_schedulers(struct pool *p, const struct kt_case *cases, size_t n,
			      const struct kernel_info *k)
{
	p->sched = calloc(n, sizeof(*p->sched));
	if (!p->sched)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_scheduler *s = cases[i].sched;
		struct sched_file *f;
		const char *base;

		if (!s || sched_of(p, s))
			continue;
		f = &p->sched[p->nsched];
		if (!s->binary || !*s->binary)
			return kt_err(0, "scheduler %s (test %s): no binary given", s->name ? s->name : "?",
				      cases[i].name);
		if (strchr(s->binary, '/')) {
			if (!realpath(s->binary, f->host) || !kt_is_executable(f->host))
				return kt_err(errno ? errno : EACCES, "scheduler %s: binary %s missing or not executable",
					      s->name ? s->name : s->binary, s->binary);
		} else if (!strcmp(s->binary, "scx_ktstr") ? kt_kernel_scx_ktstr(k, f->host, sizeof(f->host))
							   : kt_kernel_scheduler_path(k, s->binary, f->host, sizeof(f->host))) {
			return kt_err(0, "scheduler %s: '%s' is not among the schedulers built with kernel %s (in %s); "
					 "run `ktstr kernel build` or give a path",
				      s->name ? s->name : s->binary, s->binary, k->key[0] ? k->key : k->bzimage,
				      k->sched_dir[0] ? k->sched_dir : "no sched dir");
		}
		base = strrchr(f->host, '/') + 1;
		snprintf(f->guest, sizeof(f->guest), "sched/%s", base);
		for (size_t j = 0; j < p->nsched; j++)
			if (!strcmp(p->sched[j].guest, f->guest) && strcmp(p->sched[j].host, f->host))
				return kt_err(0, "schedulers %s and %s share the file name %s", p->sched[j].host, f->host,
					      base);
		f->s = s;
		p->nsched++;
	}
	return 0;
}

/* Files only the nested rig's L1 needs (spec->files has room for them). */
#define NESTED_EXTRA 4

/* The nested rig's L1 initramfs: the common one plus the kernel its L2s
 * boot, a monitor-only vmlinux (the host monitor runs in L1 beside our
 * own VMM) and scx_ktstr for L2 tests under it.  Built only when a
 * nested case is selected; the vmlinux and scx_ktstr are optional
 * (their L2 tests then say what is missing). */
static int nested_initramfs(const struct kt_case *cases, size_t n, const struct kernel_info *k,
			    struct initramfs_spec *spec, struct initramfs_file *files, char *out, size_t len)
{
	static char vml[PATH_MAX], scx[PATH_MAX];
	bool any = false, have_scx = false;

	for (size_t i = 0; i < n; i++)
		any |= cases[i].t->nested;
	if (!any)
		return 0;
	files[spec->nfiles++] = (struct initramfs_file){ .src = k->bzimage, .dst = "nested/bzImage" };
	if (k->vmlinux[0] && !kt_kernel_monitor_vmlinux(k->vmlinux, vml, sizeof(vml)))
		files[spec->nfiles++] = (struct initramfs_file){ .src = vml, .dst = "nested/vmlinux" };
	for (size_t i = 0; i + 1 < spec->nfiles; i++)
		have_scx |= !strcmp(files[i].dst, "sched/scx_ktstr");
	if (!have_scx && !kt_kernel_scx_ktstr(k, scx, sizeof(scx)))
		files[spec->nfiles++] = (struct initramfs_file){ .src = scx, .dst = "sched/scx_ktstr" };
	return kt_initramfs_build(spec, out, len);
}

/* Tests that override the sched_ext watchdog need scx_watchdog_timeout's
 * address (vmlinux symbols) and the guest's HZ (its .config). */
static int watchdog_setup(struct pool *p, const struct kt_case *cases, size_t n, const struct kernel_info *k)
{
	static const char *const names[] = { "scx_watchdog_timeout" };
	struct kbuf cfg = { 0 };
	char hz[16] = "";
	uint64_t addr;
	bool need = false;

	for (size_t i = 0; i < n; i++)
		need |= cases[i].t->watchdog_timeout_s != 0;
	if (!need)
		return 0;
	if (!k->vmlinux[0] || kt_ksym_lookup(k->vmlinux, names, &addr, 1) != 1)
		return kt_err(0, "watchdog_timeout_s: no scx_watchdog_timeout symbol in %s (kernel without sched_ext, "
				 "or no vmlinux next to the image)", k->vmlinux[0] ? k->vmlinux : "(none)");
	if (k->config[0] && !kt_read_file(k->config, &cfg))
		kt_kconfig_get(cfg.data, "CONFIG_HZ", hz, sizeof(hz));
	kt_kbuf_free(&cfg);
	p->hz = hz[0] ? (unsigned)strtoul(hz, NULL, 10) : 250;
	p->wd_gpa = ksym_phys(addr);
	kt_debug("watchdog: scx_watchdog_timeout at 0x%llx (gpa 0x%llx), HZ=%u", (unsigned long long)addr,
		 (unsigned long long)p->wd_gpa, p->hz);
	return 0;
}

static void run_one(struct pool *p, struct job *j)
{
	const struct ktstr_test *t = j->c->t;
	const struct kt_run_opts *o = p->o;
	struct ktstr_topo topo;
	struct vm_config cfg = { 0 };
	struct vm_hooks hooks = { 0 };
	struct vm_result vr;
	struct watch w = { 0 };
	char cmdline[2048], ts[32];
	unsigned dur_s = o->duration_s ? o->duration_s : (t->duration_s ? t->duration_s : 2);
	const char *env_to = getenv("KTSTR_VM_TIMEOUT");

	kt_case_topo(j->c, o->have_topo, &o->topo, &topo);
	ktstr_topo_format(&topo, ts, sizeof(ts));
	j->out.duration_ms = dur_s * 1000;
	if (sched_cmdline(p, j->c, cmdline, sizeof(cmdline))) {
		j->out.verdict = KT_ERROR;
		snprintf(j->out.reason, sizeof(j->out.reason), "scheduler arguments too long for the command line");
		return;
	}
	snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline),
		 " ktstr_test=%s ktstr_topo=%s ktstr_duration_ms=%u", t->name, ts, dur_s * 1000);
	cfg.kernel = p->kernel;
	cfg.initrd = p->initrd;
	cfg.cmdline = cmdline;
	if (t->nested)
		cfg.initrd = p->initrd_nested;
	cfg.topo = topo;
	cfg.memory_mb = o->memory_mb ? o->memory_mb : j->c->memory_mb ? j->c->memory_mb : t->memory_mb ? t->memory_mb : DEFAULT_MEMORY_MB;
	if (cfg.memory_mb < VM_MIN_NODE_MB * topo.numa_nodes)
		cfg.memory_mb = VM_MIN_NODE_MB * topo.numa_nodes;
	/* TCG boots in ~1-4 s but runs the guest several times slower than
	 * hardware: allow boot, the scenario and teardown with margin. */
	cfg.timeout_ms = 1000u * (o->timeout_s    ? o->timeout_s
				  : t->timeout_s ? t->timeout_s
						 : 45 + 3 * dur_s + ktstr_topo_cpus(&topo) / 2);
	if (env_to && *env_to && !o->timeout_s && !t->timeout_s)
		cfg.timeout_ms = 1000u * (unsigned)strtoul(env_to, NULL, 10);
	cfg.vmm = o->vmm;
	/* Nested rig: L1 runs KVM guests itself (and needs room for them). */
	cfg.nested_host = t->nested;
	if (t->nested && !o->memory_mb && !t->memory_mb)
		cfg.memory_mb = 3072;
	cfg.console_to_stderr = o->verbose;
	w.timeout_ns = (uint64_t)cfg.timeout_ms * 1000000u;
	if (t->watchdog_timeout_s && p->wd_gpa) {
		w.wd_gpa = p->wd_gpa;
		w.wd_jiffies = (uint64_t)t->watchdog_timeout_s * p->hz;
	}
	w.stall_after_ms = t->host_stall_after_ms;
	cfg.kaslr = w.kaslr = t->kaslr;
	if (p->mon && !o->no_monitor) {
		struct kt_mon_opts mo;

		if (kt_monitor_opts(&mo, t, j->c->sched, o->monitor_interval_ms))
			w.mon = kt_monitor_new(p->mon, &mo);
	}
	hooks.finish = on_finish;
	hooks.arg = &w;
	hooks.prepare = on_prepare;
	hooks.output = on_output;
	hooks.tick = on_tick;
	if (kt_vm_run(&cfg, &hooks, &vr)) {
		j->out.verdict = KT_ERROR;
		snprintf(j->out.reason, sizeof(j->out.reason), "VM could not be started (see the error above)");
		ktstr_topo_format(&topo, j->out.topo, sizeof(j->out.topo));
	} else {
		j->out.wall_s = (double)vr.wall_ns / 1e9;
		j->out.boot_s = (double)w.init_ns / 1e9;
		snprintf(j->out.accel, sizeof(j->out.accel), "%s", vr.accel);
		kt_debug("%s: ring: scenario %u ms, %u stimulus events, %u malformed, scheduler exit %s", j->c->name,
			 w.scen_ms, w.stimuli, w.malformed, w.sched_exit_ns ? "seen" : "none");
		snprintf(j->out.guest_crash, sizeof(j->out.guest_crash), "%s", w.crash);
		kt_judge(t, j->c->name, &topo, &vr, w.ring_json.data, w.ring_json.len, &j->out);
		if (w.mon) {
			kt_judge_monitor(t, j->c->name, kt_monitor_verdict(w.mon), &j->out);
			if (o->out_dir)
				kt_monitor_json(w.mon, &j->out.monitor_json);
		}
		kt_report_capture(o, &j->out, &vr, w.ring_json.data, w.ring_json.len);
		kt_vm_result_free(&vr);
	}
	kt_kbuf_free(&w.com2_tail);
	kt_kbuf_free(&w.ring_json);
	kt_monitor_free(w.mon);
}

static void print_line(struct job *j, int num)
{
	struct kt_outcome *o = &j->out;
	const char *ok = o->verdict == KT_PASS || o->verdict == KT_SKIP ? "ok" : "not ok";

	printf("%s %d %s", ok, num, j->c->name);
	if (o->verdict == KT_SKIP)
		printf(" # SKIP %s", o->reason);
	else
		printf(" # topo=%s sched=%s %s wall=%.1fs boot=%.2fs overhead=%.1fs%s%s", o->topo,
		       j->c->sched ? (j->c->sched->name ? j->c->sched->name : j->c->sched->binary) : "eevdf",
		       o->accel, o->wall_s,
		       o->boot_s, o->wall_s - o->duration_ms / 1000.0, o->reason[0] ? " — " : "", o->reason);
	if (o->attempts > 1 && (o->verdict == KT_FAIL || o->verdict == KT_ERROR))
		printf(" (failed all %u attempts)", o->attempts);
	if (o->verdict == KT_PASS && o->first_failure[0])
		printf(" flaky: passed on attempt %u (first failure: %s)", o->attempts, o->first_failure);
	printf("\n");
	fflush(stdout);
}

void kt_outcome_release(struct kt_outcome *o)
{
	kt_kbuf_free(&o->report);
	kt_kbuf_free(&o->guest_json);
	kt_kbuf_free(&o->com1_tail);
	kt_kbuf_free(&o->com2_tail);
	kt_kbuf_free(&o->monitor_json);
	kt_kbuf_free(&o->first_report);
}

struct attempt_ctx {
	struct pool *p;
	struct job *j;
};

static void attempt_run(void *arg, struct kt_outcome *out)
{
	struct attempt_ctx *a = arg;

	(void)out; /* run_one fills a->j->out, which is out */
	run_one(a->p, a->j);
}

static void attempt_retrying(void *arg, unsigned attempt, unsigned max, const struct kt_outcome *out)
{
	struct attempt_ctx *a = arg;

	pthread_mutex_lock(&a->p->lock);
	kt_progress_pause(a->p->prog);
	printf("# %s: attempt %u of %u failed (%s); running it again\n", a->j->c->name, attempt, max, out->reason);
	fflush(stdout);
	kt_progress_resume(a->p->prog, (size_t)(a->j - a->p->jobs));
	pthread_mutex_unlock(&a->p->lock);
}

/* Retries are capped per run (pool.retry_budget): many failures are not
 * flakiness, and re-running them only makes a red run slower. */
static bool attempt_stop(void *arg)
{
	struct attempt_ctx *a = arg;
	bool stop;

	if (kt_vm_interrupted)
		return true;
	pthread_mutex_lock(&a->p->lock);
	stop = !a->p->retry_budget;
	if (stop && !a->p->budget_said) {
		kt_progress_pause(a->p->prog);
		printf("# retry budget spent (%u retries in this run); failures from here on are final\n",
		       a->p->retry_budget_total);
		fflush(stdout);
		kt_progress_resume(a->p->prog, (size_t)(a->j - a->p->jobs));
		a->p->budget_said = true;
	}
	if (!stop)
		a->p->retry_budget--;
	pthread_mutex_unlock(&a->p->lock);
	return stop;
}

/* Runs a case up to 1 + --retries times (core/retry.c). */
static void run_with_retries(struct pool *p, struct job *j)
{
	struct attempt_ctx a = { p, j };
	const struct kt_attempt_ops ops = { attempt_run, attempt_retrying, attempt_stop, &a };

	kt_run_attempts(&ops, p->o->retries, &j->out);
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n || kt_vm_interrupted) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		j = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->lock);
		kt_progress_running(p->prog, (size_t)(j - p->jobs), j->c->name);
		run_with_retries(p, j);
		pthread_mutex_lock(&p->lock);
		kt_progress_pause(p->prog);
		print_line(j, (int)++p->done);
		kt_report_case(p->rep, (size_t)(j - p->jobs), j->c, &j->out);
		if (p->o->case_done)
			p->o->case_done(p->o->case_done_arg, j->c, &j->out);
		kt_progress_resume(p->prog, (size_t)(j - p->jobs));
		pthread_mutex_unlock(&p->lock);
	}
}

static int check_inputs(const struct kt_case *cases, size_t n, const struct kt_run_opts *o)
{
	unsigned hm = host_mem_mb();

	for (size_t i = 0; i < n; i++) {
		struct ktstr_topo topo;
		char err[256];
		unsigned mem = o->memory_mb	   ? o->memory_mb
			       : cases[i].memory_mb  ? cases[i].memory_mb
			       : cases[i].t->memory_mb ? cases[i].t->memory_mb
						     : DEFAULT_MEMORY_MB;

		kt_case_topo(&cases[i], o->have_topo, &o->topo, &topo);
		if (ktstr_topo_validate(&topo, err, sizeof(err)) || kt_scenario_validate(cases[i].t, &topo, err, sizeof(err))) {
			kt_err(0, "test %s: %s", cases[i].name, err);
			return 2;
		}
		if (topo.numa_nodes > VM_MAX_NODES) {
			kt_err(0, "test %s: %u NUMA nodes, at most %d supported", cases[i].t->name, topo.numa_nodes,
			       VM_MAX_NODES);
			return 2;
		}
		if (hm && mem > hm) {
			kt_err(0, "test %s: guest memory %u MiB is more than the host's %u MiB; lower it (--memory)",
			       cases[i].t->name, mem, hm);
			return 2;
		}
	}
	return 0;
}

int kt_run_tests(const struct kt_case *cases, size_t n, const struct kt_run_opts *o)
{
	struct kernel_info k;
	struct initramfs_spec spec = { .busybox = true };
	struct initramfs_file *files;
	struct pool p = { .o = o, .n = n };
	char self[PATH_MAX], initrd[PATH_MAX], initrd_nested[PATH_MAX] = "", why[512];
	pthread_t th[64];
	unsigned nth = o->jobs ? o->jobs : 1, passed = 0, failed = 0, skipped = 0, flaky = 0;
	ssize_t sl;
	int ret;

	ret = check_inputs(cases, n, o);
	if (ret)
		return ret;
	if (!kt_vm_select(o->vmm, why, sizeof(why))) {
		kt_err(0, "%s", why);
		return 2;
	}
	if (kt_kernel_resolve(o->kernel, &k))
		return 2;
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl < 0)
		return kt_err(errno, "readlink /proc/self/exe"), 1;
	self[sl] = '\0';
	spec.init = self;
	if (resolve_schedulers(&p, cases, n, &k)) {
		free(p.sched);
		return 2;
	}
	files = calloc(p.nsched + NESTED_EXTRA, sizeof(*files));
	for (size_t i = 0; files && i < p.nsched; i++) {
		bool dup = false;

		/* Several declarations may share one binary. */
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(p.sched[j].guest, p.sched[i].guest);
		if (!dup)
			files[spec.nfiles++] = (struct initramfs_file){ .src = p.sched[i].host, .dst = p.sched[i].guest };
	}
	spec.files = files;
	ret = files ? kt_initramfs_build(&spec, initrd, sizeof(initrd)) : -ENOMEM;
	if (!ret)
		ret = nested_initramfs(cases, n, &k, &spec, files, initrd_nested, sizeof(initrd_nested));
	free(files);
	if (ret) {
		free(p.sched);
		return 1;
	}
	if (watchdog_setup(&p, cases, n, &k))
		return 2;
	if (!o->no_monitor && k.vmlinux[0]) {
		p.mon = kt_monitor_kernel(k.vmlinux); /* NULL: said why; tests run without it */
		if (!p.mon)
			kt_info("monitor: off for this run (vmlinux %s unusable)", k.vmlinux);
	}
	p.kernel = k.bzimage;
	p.initrd = initrd;
	p.initrd_nested = initrd_nested;
	p.jobs = calloc(n, sizeof(*p.jobs));
	if (!p.jobs) {
		free(p.sched);
		return kt_err(ENOMEM, "allocate %zu jobs", n), 1;
	}
	pthread_mutex_init(&p.lock, NULL);
	for (size_t i = 0; i < n; i++)
		p.jobs[i].c = &cases[i];
	/* --retries N per case, at most max(2, n/10) retries in all. */
	p.retry_budget = o->retries ? (unsigned)(n / 10 > 2 ? n / 10 : 2) : 0;
	p.retry_budget_total = p.retry_budget;
	printf("KTAP version 1\n# kernel %s (%s)\n1..%zu\n", k.key[0] ? k.key : k.bzimage, k.version, n);
	fflush(stdout);
	kt_vm_install_signal_handlers();
	if (nth > n)
		nth = (unsigned)n;
	if (nth > ARRAY_SIZE(th))
		nth = ARRAY_SIZE(th);
	p.rep = kt_report_begin(o, n, k.key[0] ? k.key : k.bzimage);
	p.prog = kt_progress_start(n, nth, !o->verbose && !o->no_progress);
	for (unsigned i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, &p);
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	kt_progress_stop(p.prog);
	for (size_t i = 0; i < n; i++) {
		struct kt_outcome *oc = &p.jobs[i].out;

		if (i >= p.next)
			continue; /* never started (interrupted) */
		if (oc->report.len)
			printf("\n%s", oc->report.data);
		if (oc->verdict == KT_PASS && oc->first_report.len) /* flaky: what its failed attempt said */
			printf("\n# %s passed on attempt %u; its first attempt failed:\n%s", p.jobs[i].c->name,
			       oc->attempts, oc->first_report.data);
		if (oc->verdict == KT_PASS)
			passed++;
		else if (oc->verdict == KT_SKIP)
			skipped++;
		else
			failed++;
		if (oc->verdict == KT_PASS && oc->first_failure[0])
			flaky++;
		kt_outcome_release(oc);
	}
	if (flaky) { /* passed, but not at the first try: name them */
		printf("\n# flaky (passed on a retry):");
		for (size_t i = 0; i < p.next && i < n; i++)
			if (p.jobs[i].out.verdict == KT_PASS && p.jobs[i].out.first_failure[0])
				printf(" %s", p.jobs[i].c->name);
		printf("\n");
	}
	if (kt_report_end(p.rep))
		failed++; /* a requested output could not be written */
	if (kt_vm_interrupted)
		printf("# interrupted: %zu of %zu tests not run\n", n - p.next, n);
	printf("%u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped", skipped);
	if (flaky)
		printf(", %u flaky", flaky);
	printf("\n");
	free(p.jobs);
	free(p.sched);
	kt_monitor_kernel_free(p.mon);
	pthread_mutex_destroy(&p.lock);
	return failed || kt_vm_interrupted ? 1 : 0;
}
