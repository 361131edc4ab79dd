/* The auto-repro probe loader (docs/auto-repro.md): load the probe object
 * (bpf/probe.bpf.c, embedded), attach it to the functions the host named
 * and to the scheduler's BPF callbacks, wait for the scheduler-exit
 * trigger, and report what the triggering task went through as one JSON
 * document.  In the guest the report goes to the host on the ring
 * (KT_MSG_REPRO_PROBE); `ktstr run --repro` runs the same loader on the
 * host itself (kt_pg_new, quiet) and renders the report there.
 * libbpf (Debian's 1.1). */
#ifndef KTSTR_GUEST_PROBE_H
#define KTSTR_GUEST_PROBE_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "probe/probe.h"
#include "probe/probe_bpf.h"
#include "util/util.h"

struct bpf_object;
struct bpf_link;
struct btf;

/* One probed function. */
struct kt_pg_func {
	char name[KT_PROBE_NAME_MAX];
	bool bpf;                /* a BPF struct_ops callback */
	const char *how;         /* "kprobe", "fentry/fexit" */
	char why[96];            /* a kernel function by kprobe: why not fentry */
	char line[160];          /* BPF callbacks: file:line of the program */
	char op[24];             /* BPF callbacks: the sched_ext op */
	struct kt_pw_meta meta;
	char arg_name[KT_PW_ARGS][24];
};

struct kt_pg {
	struct bpf_object *base;       /* maps, kprobe and trigger programs */
	struct bpf_object *obj[KT_PW_FUNCS]; /* one per fentry/fexit target */
	unsigned nobj;
	struct bpf_link *link[2 * KT_PW_FUNCS + 2];
	unsigned nlink;
	int state_fd, calls_fd, meta_fd;
	struct btf *vmlinux;
	struct kt_pg_func func[KT_PW_FUNCS];
	unsigned nfunc;
	struct kt_probe_names want;    /* the host's list */
	char trigger_fn[KT_PROBE_NAME_MAX];
	struct kbuf skipped;           /* "name: why; " for what could not attach */
	struct kbuf traceable;         /* available_filter_functions (or kallsyms) */
	bool traceable_is_kallsyms;
	pthread_t poller;
	bool polling;
	volatile bool stop, sent;
	char error[256];               /* set: probes could not attach */
	uint64_t t0;
	bool quiet;                    /* no KTSTR_PROBE lines on stdout */
	bool trigger_optional;         /* no scheduler-exit function: probe anyway */
	bool kprobe_only;              /* kernel functions by kprobe, never fentry */
	bool no_bridge;                /* not the callbacks' kernel callers (no scheduler) */
	uint64_t fentry_ns;            /* spent attaching kernel functions by fentry */
};

/* How a kernel function is attached (kt_pg_add_kernel_how). */
enum kt_pg_how {
	KT_PG_AUTO,   /* fentry/fexit where its BTF allows, else kprobe */
	KT_PG_KPROBE,
	KT_PG_FENTRY, /* fentry/fexit or nothing */
};

/* The loader's steps one by one, for a caller that runs it itself (the
 * host, a test).  kt_pg_new: NULL with errno.  kt_pg_setup is phase A:
 * parse list, load the object, the trigger, kprobes/fentry on the
 * kernel functions; 0 or -errno with g->error saying why.
 * kt_pg_attach_callbacks is phase B without the poller.  kt_pg_free
 * detaches and frees everything, reporting nothing. */
struct kt_pg *kt_pg_new(void);
int kt_pg_setup(struct kt_pg *g, const char *list);
void kt_pg_attach_callbacks(struct kt_pg *g);
void kt_pg_free(struct kt_pg *g);
/* The trigger fired (the probes froze). */
bool kt_pg_triggered(const struct kt_pg *g);
/* The last call of a probed function made by thread cur_pid, from the
 * records; 0, -ENOENT (none, or no such function). */
int kt_pg_last_call(const struct kt_pg *g, const char *name, uint32_t cur_pid, struct kt_pw_call *out);
/* Kernel support for the two kinds of probe, asked of the running
 * kernel: 0 or -errno with why (one line) filled in. */
int kt_pg_kprobe_support(char *why, size_t len);

/* Phase A, before the scheduler starts: parse list (kt_probe_list_parse
 * format), load the object, attach kprobes to the traceable kernel
 * functions and the trigger.  NULL when nothing could be set up, with
 * the reason sent to the host (status "attach_failed"). */
struct kt_pg *kt_pg_start(const char *list);
/* Phase B, once the scheduler is attached: its struct_ops programs get
 * fentry/fexit, their kernel callers (bridge list) kprobes; then a
 * thread polls for the trigger and reports when it fires. */
void kt_pg_sched_up(struct kt_pg *g);
/* Test over: report "not_triggered" unless the trigger fired, free all. */
void kt_pg_finish(struct kt_pg *g);

/* probe.c: note a function that could not be probed, and why. */
void kt_pg_skip(struct kt_pg *g, const char *name, const char *why, int err);
/* probe.c, for probe_cb.c: attach one more kernel function, fentry/fexit
 * where the kernel allows it, else kprobe (0, or -errno with g->skipped
 * told why).  task_arg: the task argument when there is no BTF (-1). */
int kt_pg_add_kernel(struct kt_pg *g, const char *name, int task_arg);
int kt_pg_add_kernel_how(struct kt_pg *g, const char *name, int task_arg, enum kt_pg_how how);
/* probe_cb.c: fentry/fexit on one target, a BPF program (prog_fd) or a
 * kernel function (prog_fd 0); 0 or -errno. */
int kt_pg_attach_trace(struct kt_pg *g, unsigned slot, int prog_fd, const char *name);
/* probe_out.c: the report as JSON text (malloc'd; NULL on ENOMEM). */
char *kt_pg_report_json(struct kt_pg *g, const char *status, const char *error);
/* probe_out.c: the report, sent on the ring and summed up on COM2
 * (once; quiet: neither, only marked sent). */
void kt_pg_report(struct kt_pg *g, const char *status, const char *error);

/* The compiled bpf/probe.bpf.c (build/gen/probe_bpf_obj.c). */
extern const unsigned char kt_probe_bpf_obj[];
extern const unsigned long kt_probe_bpf_obj_len;

/* Open a copy of the object (maps not yet created); NULL with errno. */
struct bpf_object *kt_pg_open(void);

#endif
