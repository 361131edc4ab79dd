/* Guest side of auto-repro (docs/auto-repro.md): load the probe object
 * (bpf/probe.bpf.c, embedded), attach it to the functions the host named
 * and to the scheduler's BPF callbacks, wait for the scheduler-exit
 * trigger, and send what the triggering task went through to the host
 * (KT_MSG_REPRO_PROBE, one JSON document).  libbpf (Debian's 1.1). */
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
};

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
/* probe.c, for probe_cb.c: attach one more kernel function by kprobe
 * (0, or -errno with g->skipped told why). */
int kt_pg_add_kernel(struct kt_pg *g, const char *name, int task_arg);
/* probe_out.c: the report, sent on the ring and summed up on COM2. */
void kt_pg_report(struct kt_pg *g, const char *status, const char *error);

/* The compiled bpf/probe.bpf.c (build/gen/probe_bpf_obj.c). */
extern const unsigned char kt_probe_bpf_obj[];
extern const unsigned long kt_probe_bpf_obj_len;

/* Open a copy of the object (maps not yet created); NULL with errno. */
struct bpf_object *kt_pg_open(void);

#endif
