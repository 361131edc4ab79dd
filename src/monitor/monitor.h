/* The host-side monitor (docs/monitor.md): a host thread per VM reads
 * the guest kernel's scheduler state out of guest RAM every interval —
 * no guest agent, nothing the guest could notice — through the offsets
 * resolved from the kernel's BTF and the addresses found in guest
 * memory (KASLR or not).  It keeps a timeline of samples and scenario
 * events, derives sustained checks (stall, imbalance, local DSQ depth,
 * event rates) and cross-checks readings the guest sends of its own.
 * Backend-neutral: it uses kt_vm_read_phys() and the optional vcpu_thread
 * op only. */
#ifndef KTSTR_MONITOR_MONITOR_H
#define KTSTR_MONITOR_MONITOR_H
#include <stdbool.h>
#include <stdint.h>
#include <ktstr/ktstr.h>
#include "monitor/layout.h"
#include "monitor/mcheck.h"
#include "util/util.h"
#include "vm/backend.h"

/* Guest -> host ring message: readings for the cross-check, an array of
 * struct kt_mon_probe. */
#define KT_MSG_MON_PROBE 0x4D4F4E50u /* "MONP" */
enum kt_probe_kind {
	KT_PROBE_NR_RUNNING = 1, /* cpu, a = rq clock, b = nr_running (sched/debug) */
	KT_PROBE_TEXT_VA = 2,    /* a = runtime _text (/proc/kallsyms) */
	KT_PROBE_TEXT_PA = 3,    /* a = "Kernel code" start (/proc/iomem) */
	KT_PROBE_VMAP = 4,       /* a = vmalloc address, b = physical (/proc/vmallocinfo ioremap) */
};
struct kt_mon_probe {
	uint32_t kind, cpu;
	uint64_t a, b;
};
#define KT_MON_PROBES_PER_MSG 64

/* A kernel's layout, loaded once per run (NULL + message on failure). */
struct kt_layout *kt_monitor_kernel(const char *vmlinux);
void kt_monitor_kernel_free(struct kt_layout *l);

/* Per-test settings: defaults -> scheduler's -> test's (0 inherits). */
struct kt_mon_opts {
	unsigned interval_ms;
	unsigned sustained_samples;
	struct kt_mon_limits limits; /* window and interval set at start */
	bool judge;                  /* a sched_ext scheduler is under test */
	uint64_t warmup_ns;          /* after "ready", before judging, when no scenario_start comes */
};
/* false if the monitor is switched off for this test. */
bool kt_monitor_opts(struct kt_mon_opts *o, const struct ktstr_test *t, const struct ktstr_scheduler *s,
		     unsigned interval_override_ms);

struct kt_monitor;
struct kt_monitor *kt_monitor_new(const struct kt_layout *l, const struct kt_mon_opts *o);
/* Start sampling vm (call after launch; t0: VM launch, host kt_now_ns()). */
int kt_monitor_start(struct kt_monitor *m, struct vm *vm, uint64_t t0);
/* A scenario event at host time now (thread-safe). */
void kt_monitor_event(struct kt_monitor *m, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* What a CRC-checked ring message means to the monitor: an event on its
 * timeline (result, sched_exit once, step/op, scenario start/end) or
 * guest readings.  Called from the VM loop's thread; NULL m: nothing. */
void kt_monitor_ring_msg(struct kt_monitor *m, uint32_t type, const void *payload, uint32_t len);
/* Guest readings (a KT_MSG_MON_PROBE payload; thread-safe). */
void kt_monitor_probes(struct kt_monitor *m, const void *payload, uint32_t len);
/* Stop and join the thread (idempotent; before guest RAM goes away). */
void kt_monitor_stop(struct kt_monitor *m);
/* After stop: the verdict, and the sidecar's "monitor" object as JSON. */
const struct kt_mon_verdict *kt_monitor_verdict(struct kt_monitor *m);
int kt_monitor_json(struct kt_monitor *m, struct kbuf *out);
/* After kt_monitor_verdict(): what the monitor saw, for a one-line
 * account where no sidecar is written (the nested rig's L1). */
struct kt_mon_summary {
	bool located;          /* the kernel was found in guest memory */
	uint64_t phys_load, voff; /* where (_text physical; KASLR offset) */
	size_t samples, judged;
	unsigned nr_readings, nr_matched, nr_agree; /* nr_running cross-check */
	unsigned kernel_readings, kernel_bad;       /* _text/vmalloc cross-check */
};
void kt_monitor_summary(struct kt_monitor *m, struct kt_mon_summary *out);
/* The first sustained violation the monitor saw while the run goes on
 * (the same checks as the verdict, over the latest window): true once
 * there is one, with its message in buf.  Thread-safe. */
bool kt_monitor_live_failure(struct kt_monitor *m, char *buf, size_t len);
/* After stop: the failure report's `--- monitor ---` line (samples, the
 * largest imbalance, the deepest local DSQ, stalls, idle-while-waiting,
 * the verdict) and `--- timeline ---` (the scenario's phases and what
 * changed per phase, then the events).  Either may be NULL. */
int kt_monitor_report(struct kt_monitor *m, struct kbuf *summary, struct kbuf *timeline);
/* After stop: the vCPU threads' host CPU over [t0, t1] (ns since launch;
 * kt_mon_vcpu_share), and the time of the first event of a kind
 * ("scenario_start", "sched_exit", ...; 0: none). */
bool kt_monitor_vcpu_share(struct kt_monitor *m, uint64_t t0, uint64_t t1, int cpu, struct kt_vcpu_share *out);
uint64_t kt_monitor_event_time(struct kt_monitor *m, const char *kind);
/* Physical address of a kernel image symbol in this guest (KASLR-aware);
 * 0 while the kernel is not located. */
uint64_t kt_monitor_sym_pa(struct kt_monitor *m, uint64_t link_va);
void kt_monitor_free(struct kt_monitor *m);

/* BPF programs and maps read from guest memory (bpf_mon.c, bpf.h).
 * After stop: every program seen, with its first and last reading
 * (times since launch), and the maps of the last walk. */
struct kt_mon_bpf_prog {
	struct kt_bpf_prog first, last;
	uint64_t first_ns, last_ns;
	char type_name[24];
};
size_t kt_monitor_bpf_progs(struct kt_monitor *m, const struct kt_mon_bpf_prog **out);
size_t kt_monitor_bpf_maps(struct kt_monitor *m, const struct kt_bpf_map **out);
/* Why the lists may be empty or partial ("" when all went well). */
void kt_monitor_bpf_note(struct kt_monitor *m, char *buf, size_t len);
/* A host write into a BPF map value (a test's .bpf_map_write), done by
 * the monitor thread at its next sample: the first ARRAY map whose name
 * ends with `map`, `field` (the map's BTF) or else `offset` in the value
 * of key 0, `size` bytes (0: the field's size, else 4).  On success the
 * guest is told through the ring header (KT_CTL_MAP_WRITTEN).  One
 * write per run. */
struct kt_mon_map_write {
	char map[KT_BPF_NAME_LEN + 1];
	char field[128];
	uint32_t offset, size;
	uint64_t value;
};
int kt_monitor_bpf_write(struct kt_monitor *m, const struct kt_mon_map_write *w);
/* true once done; *ok and a one-line account of what was written. */
bool kt_monitor_bpf_write_result(struct kt_monitor *m, bool *ok, char *detail, size_t len);

#endif
