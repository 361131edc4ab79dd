/* kt_case_exec(): one case in one VM (runner/exec.h).  The VM loop's
 * hooks watch the consoles and the ring, send the control requests the
 * test asks for (host-triggered stall, graceful stop before the time
 * limit), keep the scheduler's watchdog at the test's value and run the
 * host-side monitor; then the run is judged. */
#include "runner/exec.h"
#include "runner/hostcheck.h"
#include "runner/judge_mon.h"
#include "runner/ksym.h"
#include "runner/report_out.h"
#include "runner/repro.h"
#include "runner/vlog_out.h"
#include "runner/bpf_run.h"
#include "model/defaults.h"
#include "proto/com2.h"
#include "proto/guest_args.h"
#include "proto/pmet.h"
#include "proto/shm_ring.h"
#include "monitor/monitor.h"
#include "util/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

/* Per-VM state for the hooks. */
struct watch {
	uint64_t t0, init_ns;
	uint64_t timeout_ns, ready_ns;
	unsigned stall_after_ms;
	bool stall_sent, stop_sent;
	/* sched_ext watchdog: where, what (decided at the first tick after
	 * "ready", when the accelerator is known) and how it went. */
	struct kt_wd_loc wd_loc;
	struct kt_wd wd;
	const struct kt_resolved *r;
	bool wd_decided;
	struct kt_wd_obs *wd_obs;
	char crash[256];             /* CRSH message, if any */
	uint64_t sched_exit_ns;
	uint32_t scen_ms;
	unsigned stimuli;             /* STIM events seen */
	struct kt_com2 com2;          /* COM2 read as it arrives (frame, sentinels, tails) */
	struct kbuf ring_json;
	unsigned malformed;
	struct kt_monitor *mon;       /* host-side monitor, NULL: off */
	bool mon_started, kaslr;
	struct kbuf hvc0;             /* the L2's virtio console (nested) */
	struct kbuf probe_json;       /* auto-repro's probe report (PROB) */
	struct kt_pmet_runs pmet;     /* payload runs (PMET), checked */
	struct kt_vlogs vlogs;        /* the scheduler's verifier logs (VLOG) */
	const struct ktstr_bpf_map_write *mw; /* host BPF map write, NULL: none */
	bool mw_sent;
	uint64_t mw_ack_ns;           /* the guest acknowledged it (MWAK) */
	struct kbuf dump;             /* sched_ext dump text from the guest, bounded */
	bool dump_sent;               /* SysRq-D requested */
};

#define WATCH_HVC0_MAX 4096u

static void on_prepare(void *arg, struct vm *vm)
{
	struct watch *w = arg;

	w->t0 = kt_now_ns();
	kt_ring_init(vm->shm, vm->shm_size);
}

static void on_output(void *arg, int port, const char *data, size_t len)
{
	struct watch *w = arg;

	if (port == 3) { /* hvc0: kept, bounded */
		size_t room = WATCH_HVC0_MAX > w->hvc0.len ? WATCH_HVC0_MAX - w->hvc0.len : 0;

		kt_kbuf_append(&w->hvc0, data, len < room ? len : room);
		return;
	}
	if (port != 2)
		return;
	kt_com2_feed(&w->com2, data, len);
	if (!w->init_ns && w->com2.init_started.seen)
		w->init_ns = kt_now_ns() - w->t0;
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
		kt_line_cleann(p, len, w->crash, sizeof(w->crash)); /* guest text: one printable line */
		break;
	case KT_MSG_SCHED_EXIT:
		if (!w->sched_exit_ns)
			w->sched_exit_ns = kt_now_ns();
		break;
	case KT_MSG_STIMULUS:
		if (len == sizeof(struct kt_stimulus))
			w->stimuli++;
		break;
	case KT_MSG_SCENARIO_END:
		if (len == sizeof(uint32_t))
			memcpy(&w->scen_ms, p, sizeof(w->scen_ms));
		break;
	case KT_MSG_REPRO_PROBE: /* the last one counts, bounded */
		w->probe_json.len = 0;
		if (len <= KT_PROBE_REPORT_MAX)
			kt_kbuf_append(&w->probe_json, p, len);
		break;
	case KT_MSG_PAYLOAD_METRICS:
		kt_pmet_collect(&w->pmet, p, len);
		break;
	case KT_MSG_VERIFIER_LOG:
		kt_vlogs_add(&w->vlogs, p, len);
		break;
	case KT_MSG_MAP_WRITE_ACK:
		if (!w->mw_ack_ns)
			w->mw_ack_ns = kt_now_ns();
		kt_monitor_event(w->mon, "bpf_map_write", "the guest acknowledged the host's map write");
		break;
	case KT_MSG_SCX_DUMP:
		if (!w->dump.len)
			kt_monitor_event(w->mon, "dump", "the guest forwards the kernel's sched_ext dump");
		if (w->dump.len < KT_SCX_DUMP_MAX)
			kt_kbuf_append(&w->dump, p, len < KT_SCX_DUMP_MAX - w->dump.len ? len : KT_SCX_DUMP_MAX - w->dump.len);
		break;
	default:
		break;
	}
}

/* A test's .bpf_map_write, handed to the monitor's thread. */
static void map_write(struct watch *w)
{
	struct kt_mon_map_write req = { .offset = w->mw->offset, .size = w->mw->size, .value = w->mw->value };

	snprintf(req.map, sizeof(req.map), "%s", w->mw->map);
	snprintf(req.field, sizeof(req.field), "%s", w->mw->field ? w->mw->field : "");
	kt_monitor_bpf_write(w->mon, &req);
}

/* Whether the write the test asked for happened (the report says). */
static void map_write_outcome(struct watch *w, struct kt_outcome *out)
{
	char detail[256] = "", line[400];
	bool ok = false, done = kt_monitor_bpf_write_result(w->mon, &ok, detail, sizeof(detail));

	if (!w->mon)
		snprintf(line, sizeof(line), "not done: the host monitor is off (--no-monitor, or no vmlinux)");
	else if (!w->mw_sent)
		snprintf(line, sizeof(line), "not done: the guest never reported ready, or the run ended first");
	else if (!done)
		snprintf(line, sizeof(line), "not done: the monitor had not found the guest kernel");
	else
		snprintf(line, sizeof(line), "%s%s; guest acknowledgement: %s", ok ? "" : "failed: ", detail,
			 w->mw_ack_ns ? "yes" : "none");
	kt_debug("host BPF map write: %s", line);
	if (out->report.len)
		kt_kbuf_printf(&out->report, "  --- host BPF map write ---\n  %s\n", line);
	if ((!done || !ok) && out->verdict == KT_PASS) {
		out->verdict = KT_ERROR;
		snprintf(out->reason, sizeof(out->reason), "host BPF map write (.bpf_map_write) %s", line);
	}
}

/* The sidecar's "bpf" object: the programs and maps the monitor read
 * and the verifier logs; the logs move out of w. */
static void bpf_json(struct watch *w, const struct kt_layout *l, struct kt_outcome *out)
{
	struct kt_bpf_run *r = calloc(1, sizeof(*r));
	json_t *j;
	char *text;

	if (!r)
		return;
	r->vlogs = w->vlogs;
	memset(&w->vlogs, 0, sizeof(w->vlogs));
	if (!kt_bpf_run_collect(r, w->mon, l) && (r->nprogs || r->vlogs.n) && (j = kt_bpf_run_json(r))) {
		if ((text = json_dumps(j, JSON_COMPACT))) {
			kt_kbuf_append(&out->bpf_json, text, strlen(text));
			free(text);
		}
		json_decref(j);
	}
	kt_bpf_run_free(r);
	free(r);
}

/* A kernel image variable's guest-physical address (0: unknown); with
 * KASLR the image moved, and the monitor found where. */
static uint64_t wd_pa(struct watch *w, uint64_t gpa)
{
	if (!gpa)
		return 0;
	return w->kaslr ? kt_monitor_sym_pa(w->mon, gpa + KT_START_KERNEL_MAP) : gpa;
}

static void watchdog_tick(struct watch *w, struct vm *vm)
{
	uint64_t t = wd_pa(w, w->wd_loc.timeout), st = wd_pa(w, w->wd_loc.stamp);
	struct kt_wd_io in = { 0 }, out;
	unsigned wr;

	if (!w->wd_decided) {
		w->wd_decided = true;
		w->wd_obs->seconds = kt_watchdog_seconds(w->r->watchdog_s, w->r->watchdog_src, !strcmp(vm->accel, "tcg"));
		w->wd.want = (uint64_t)w->wd_obs->seconds * w->wd_loc.hz;
		w->wd.force = w->r->watchdog_src != KT_WD_DEFAULT;
		w->wd.hz = w->wd_loc.hz;
	}
	if (!t || kt_vm_read_phys(vm, t, &in.timeout, sizeof(in.timeout)))
		return;
	in.have_stamp = st && !kt_vm_read_phys(vm, st, &in.stamp, sizeof(in.stamp));
	wr = kt_wd_tick(&w->wd, &in, &out);
	if (wr & KT_WD_W_TIMEOUT)
		kt_vm_write_phys(vm, t, &out.timeout, sizeof(out.timeout));
	if (wr & KT_WD_W_STAMP)
		kt_vm_write_phys(vm, st, &out.stamp, sizeof(out.stamp));
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
	/* A stall or ejection the guest saw, or the monitor's first
	 * sustained violation: ask for the kernel's sched_ext dump (SysRq-D;
	 * after an ejection the kernel has dumped already). */
	if (w->ready_ns && !w->dump_sent) {
		char why[320];

		if (w->sched_exit_ns)
			snprintf(why, sizeof(why), "the guest saw the scheduler exit or be ejected");
		else if (!kt_monitor_live_failure(w->mon, why, sizeof(why)))
			why[0] = '\0';
		if (why[0]) {
			kt_ctl_request_dump(h);
			w->dump_sent = true;
			kt_monitor_event(w->mon, "dump", "sched_ext dump requested: %.180s", why);
		}
	}
	if (w->stall_after_ms && w->ready_ns && !w->stall_sent &&
	    now - w->ready_ns >= (uint64_t)w->stall_after_ms * 1000000u) {
		kt_ctl_request_stall(h);
		w->stall_sent = true;
	}
	if (w->mw && w->ready_ns && !w->mw_sent && now - w->ready_ns >= (uint64_t)w->mw->after_ms * 1000000u) {
		w->mw_sent = true;
		map_write(w);
	}
	/* Keep the scheduler's watchdog at the case's value: scx_ops_enable
	 * sets it when the scheduler attaches, so write after "ready". */
	if (w->wd_obs && w->ready_ns)
		watchdog_tick(w, vm);
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

/* The payload runs as the sidecar's keys (report_out.c). */
static void payloads_capture(const struct kt_pmet_runs *r, struct kt_outcome *out)
{
	json_t *o;
	char *text;

	if (!r->n && !r->rejected && !r->over)
		return;
	o = json_pack("{s:o,s:i}", "payloads", kt_pmet_json(r), "payload_messages_refused", (int)(r->rejected + r->over));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		kt_kbuf_append(&out->payloads_json, text, strlen(text));
	free(text);
	json_decref(o);
}

int kt_case_cmdline(const struct kt_resolved *r, const struct kt_exec_env *env, const char *sched_guest, char *buf,
		    size_t len)
{
	const struct ktstr_scheduler *s = r->c->sched;
	struct kt_guest_args *a = calloc(1, sizeof(*a));
	int ret = 0;

	if (!a)
		return -ENOMEM;
	if (len)
		buf[0] = '\0';
	if (s && sched_guest) {
		int n = snprintf(a->sched, sizeof(a->sched), "/%s", sched_guest);

		if (n < 0 || (size_t)n >= sizeof(a->sched))
			ret = -ENAMETOOLONG;
		n = snprintf(a->sched_args, sizeof(a->sched_args), "%s %s %s", s->args ? s->args : "",
			     r->c->t->sched_args ? r->c->t->sched_args : "", r->c->flag_args);
		if (n < 0 || (size_t)n >= sizeof(a->sched_args))
			ret = -ENAMETOOLONG;
		a->sched_attach_ms = 1000u * (s->attach_timeout_s ? s->attach_timeout_s : 10);
		/* Without a declared list the guest applies model/schedquirks.h
		 * (kt_sched_prepare_helper), for the shell as well. */
		if (s->enable_helper_cpus &&
		    (size_t)snprintf(a->sched_helper_cpus, sizeof(a->sched_helper_cpus), "%s", s->enable_helper_cpus) >=
			    sizeof(a->sched_helper_cpus))
			ret = -ENAMETOOLONG;
	}
	if ((size_t)snprintf(a->test, sizeof(a->test), "%s", r->c->t->name) >= sizeof(a->test))
		ret = -ENAMETOOLONG;
	ktstr_topo_format(&r->topo, a->topo, sizeof(a->topo));
	a->duration_ms = r->duration_ms;
	a->nested_l2 = env->where == KT_EXEC_NESTED;
	if (r->probe && (size_t)snprintf(a->probe, sizeof(a->probe), "%s", r->probe) >= sizeof(a->probe))
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = kt_guest_args_encode(a, buf, len);
	free(a);
	return ret;
}

static void __attribute__((format(printf, 2, 3))) vm_error(struct kt_outcome *out, const char *fmt, ...)
{
	va_list ap;

	out->verdict = KT_ERROR;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

void kt_case_exec(const struct kt_resolved *r, const struct kt_exec_env *env, struct kt_outcome *out)
{
	const struct ktstr_test *t = r->c->t;
	const char *sched_guest = NULL;
	struct vm_config cfg = { .input_fd = -1 };
	struct vm_hooks hooks = { 0 };
	struct vm_result vr;
	struct watch w = { 0 };
	char cmdline[3072];
	int ret;

	ktstr_topo_format(&r->topo, out->topo, sizeof(out->topo));
	out->duration_ms = r->duration_ms;
	if (r->c->sched) {
		sched_guest = env->sched_guest ? env->sched_guest(env->sched_guest_arg, r->c->sched) : NULL;
		if (!sched_guest) {
			vm_error(out, "scheduler %s is not in this guest's initramfs",
				 r->c->sched->name ? r->c->sched->name : r->c->sched->binary);
			return;
		}
	}
	ret = kt_case_cmdline(r, env, sched_guest, cmdline, sizeof(cmdline));
	if (ret) {
		vm_error(out, "guest command line: %s (scheduler arguments too long?)", strerror(-ret));
		return;
	}
	cfg.kernel = env->kernel;
	cfg.initrd = t->nested && env->initrd_nested ? env->initrd_nested : env->initrd;
	if (!t->nested && env->initrd_for && env->initrd_for(env->initrd_for_arg, t))
		cfg.initrd = env->initrd_for(env->initrd_for_arg, t); /* with its payloads */
	cfg.cmdline = cmdline;
	cfg.kernel_args = t->kernel_args;
	cfg.topo = r->topo;
	cfg.memory_mb = r->memory_mb;
	cfg.timeout_ms = r->timeout_ms;
	cfg.vmm = env->vmm;
	cfg.nested_host = t->nested;
	cfg.kaslr = w.kaslr = t->kaslr;
	cfg.console_to_stderr = env->verbose;
	cfg.perf_mode = env->perf_mode || t->perf_mode;
	cfg.cpu_cap = env->cpu_cap;
	cfg.restore = env->restore && env->where == KT_EXEC_VM;
	if (env->nested) {
		for (unsigned i = 0; i < 2 && i < VM_MAX_DISKS; i++)
			cfg.disks[i] = (struct vm_disk){ .path = env->nested->disk[i], .ro = env->nested->disk_ro[i] };
		if (env->nested->hvc0_input) {
			ret = kt_pipe_with(env->nested->hvc0_input, &cfg.input_fd);
			if (ret) {
				vm_error(out, "hvc0 input pipe: %s", strerror(-ret));
				return;
			}
			cfg.com2_input = cfg.input_hvc0 = true;
		}
	}
	kt_com2_init(&w.com2);
	w.timeout_ns = (uint64_t)cfg.timeout_ms * 1000000u;
	w.r = r;
	if (r->c->sched) {
		out->wd.active = true;
		snprintf(out->wd.source, sizeof(out->wd.source), "%s", kt_wd_source_name(r->watchdog_src));
		if (r->watchdog_src == KT_WD_OWN)
			snprintf(out->wd.note, sizeof(out->wd.note), "the scheduler's own ops.timeout_ms");
		else if (!env->wd.timeout || !env->wd.hz)
			snprintf(out->wd.note, sizeof(out->wd.note), "not applied: scx_watchdog_timeout or HZ unknown");
		else if (t->kaslr && !env->mon)
			snprintf(out->wd.note, sizeof(out->wd.note), "not applied: KASLR without the monitor");
		else
			w.wd_obs = &out->wd, w.wd_loc = env->wd;
	}
	w.stall_after_ms = r->stall_after_ms;
	w.mw = r->map_write;
	if (env->mon) {
		struct kt_mon_opts mo;

		if (kt_monitor_opts(&mo, t, r->c->sched, env->monitor_interval_ms))
			w.mon = kt_monitor_new(env->mon, &mo);
	}
	hooks.arg = &w;
	hooks.prepare = on_prepare;
	hooks.output = on_output;
	hooks.tick = on_tick;
	hooks.finish = on_finish;
	ret = kt_vm_run(&cfg, &hooks, &vr);
	if (cfg.input_fd >= 0)
		close(cfg.input_fd);
	if (ret && (cfg.perf_mode || cfg.cpu_cap) && (ret == -ENOSPC || ret == -EBUSY)) {
		/* Not the test's fault, nor an infrastructure error: this host
		 * (now) lacks the CPUs, as the reference's resource contention. */
		out->verdict = KT_SKIP;
		snprintf(out->reason, sizeof(out->reason), "resource contention: %s (see the error above)",
			 ret == -EBUSY ? "host LLCs stayed held by other runs" : "the VM does not fit this host's CPUs");
	} else if (ret) {
		out->start_err = ret;
		vm_error(out, "VM could not be started (%s; see the error above)", strerror(-ret));
	} else {
		out->ran_vm = true;
		out->wall_s = (double)vr.wall_ns / 1e9;
		out->boot_s = (double)w.init_ns / 1e9;
		snprintf(out->accel, sizeof(out->accel), "%s", vr.accel);
		snprintf(out->vmm, sizeof(out->vmm), "%s", vr.vmm_name);
		kt_debug("%s: ring: scenario %u ms, %u stimulus events, %u malformed, scheduler exit %s", r->c->name,
			 w.scen_ms, w.stimuli, w.malformed, w.sched_exit_ns ? "seen" : "none");
		snprintf(out->guest_crash, sizeof(out->guest_crash), "%s", w.crash);
		kt_judge(t, r->c->name, &r->topo, &vr, &w.com2, w.ring_json.data, w.ring_json.len, out);
		if (w.wd_obs) {
			char why[sizeof(out->reason)];

			if (kt_wd_finish(&w.wd, w.wd_obs, why, sizeof(why)) && out->verdict != KT_ERROR) {
				out->verdict = KT_ERROR;
				snprintf(out->reason, sizeof(out->reason), "%s", why);
				if (!out->report.len)
					kt_kbuf_printf(&out->report, "ktstr_test '%s' topo=%s failed:\n", r->c->name,
						       out->topo);
				kt_kbuf_printf(&out->report, "  %s\n", why);
			}
		}
		if (w.mon) {
			kt_judge_monitor(t, r->c->name, kt_monitor_verdict(w.mon), out);
			if (env->capture) {
				kt_monitor_json(w.mon, &out->monitor_json);
				bpf_json(&w, env->mon, out);
			}
			kt_monitor_summary(w.mon, &out->mon);
			kt_monitor_report(w.mon, &out->mon_summary, &out->mon_timeline);
			kt_host_check(w.mon, out);
			out->have_mon = true;
		} else {
			kt_kbuf_printf(&out->mon_summary, "monitor off");
		}
		out->scx_dump = w.dump;
		w.dump = (struct kbuf){ 0 };
		if ((out->verdict == KT_FAIL || out->verdict == KT_ERROR) && vr.exit != VM_EXIT_INTERRUPTED) {
			struct kt_report_extra x = { w.mon ? kt_monitor_verdict(w.mon) : NULL, &out->mon_summary,
						     &out->mon_timeline, &out->scx_dump };

			kt_report_compose(r->c->name, &vr, &w.com2, &x, out);
		}
		/* After the report is composed: these add to it. */
		if (out->report.len) /* a rejected program's log around the rejection */
			kt_vlogs_report(&w.vlogs, &out->report);
		if (w.mw)
			map_write_outcome(&w, out);
		if (env->capture)
			kt_report_capture(out, &vr, w.ring_json.data, w.ring_json.len);
		if (w.hvc0.len)
			kt_kbuf_append(&out->hvc0, w.hvc0.data, w.hvc0.len);
		kt_repro_observe(r, &vr, &w.com2, &w.probe_json, out);
		if (env->capture)
			payloads_capture(&w.pmet, out);
		kt_vm_result_free(&vr);
	}
	kt_com2_free(&w.com2);
	kt_kbuf_free(&w.ring_json);
	kt_kbuf_free(&w.hvc0);
	kt_kbuf_free(&w.probe_json);
	kt_pmet_runs_free(&w.pmet);
	kt_vlogs_free(&w.vlogs);
	kt_kbuf_free(&w.dump);
	kt_monitor_free(w.mon);
}
