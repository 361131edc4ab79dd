/* The guest kernel as the monitor sees it: symbol addresses from vmlinux
 * and every (struct, member) offset it reads, resolved through BTF once
 * per run into a table shared read-only by every VM's monitor.  A
 * missing member does not fail the run: the signals that need it are
 * switched off and a line "signal: reason" is kept in `degraded`. */
#ifndef KTSTR_MONITOR_LAYOUT_H
#define KTSTR_MONITOR_LAYOUT_H
#include <stdbool.h>
#include <stdint.h>
#include "monitor/bpf.h"
#include "monitor/btf.h"
#include "monitor/xlate.h"
#include "monitor/walk.h"
#include "util/util.h"

/* Members of struct rq read for every CPU at every sample. */
enum kt_rq_field {
	KT_RQ_NR_RUNNING,   /* rq.nr_running */
	KT_RQ_CLOCK,        /* rq.clock */
	KT_RQ_CURR,         /* rq.curr (anonymous union) */
	KT_RQ_IDLE,         /* rq.idle */
	KT_RQ_SCX_NR,       /* rq.scx.nr_running */
	KT_RQ_SCX_DSQ_NR,   /* rq.scx.local_dsq.nr */
	KT_RQ_SCX_FLAGS,    /* rq.scx.flags */
	KT_RQ_RUN_DELAY,    /* rq.rq_sched_info.run_delay */
	KT_RQ_PCOUNT,       /* rq.rq_sched_info.pcount */
	KT_RQ_SCHED_COUNT,  /* rq.sched_count */
	KT_RQ_SCHED_GOIDLE, /* rq.sched_goidle */
	KT_RQ_TTWU_COUNT,   /* rq.ttwu_count */
	KT_RQ__COUNT
};

/* Signal groups: each is on or off as a whole. */
enum kt_mon_group {
	KT_G_CORE,      /* nr_running, clock: without them there is no monitor */
	KT_G_IDLE,      /* curr == idle */
	KT_G_SCX,       /* scx_nr_running, dsq_depth */
	KT_G_SCHEDSTAT, /* run_delay, pcount, sched_count, sched_goidle, ttwu_count */
	KT_G_EVENTS,    /* sched_ext event counters (select_cpu_fallback, keep_last) */
	KT_G_SCX_STATE, /* sched_ext enable state, switching_all, nr_rejected */
	KT_G__COUNT
};
const char *kt_mon_group_name(enum kt_mon_group g);

/* Offsets are 64-bit sums (nested members) and checked to lie inside
 * their struct, whose size is at most KT_LAYOUT_MAX_STRUCT. */
#define KT_LAYOUT_MAX_STRUCT (1u << 20)
struct kt_field {
	uint64_t off;
	uint32_t size; /* 1, 2, 4 or 8 */
	bool ok;
};

/* Where the sched_ext event counters live (they appeared in 6.15). */
enum kt_ev_layout {
	KT_EV_NONE,
	KT_EV_PERCPU_VAR, /* static per-CPU struct scx_event_stats event_stats_cpu (6.15) */
	KT_EV_ROOT_STATS, /* scx_root -> scx_sched.event_stats_cpu (per-CPU pointer; 6.16-6.17) */
	KT_EV_ROOT_PCPU,  /* scx_root -> scx_sched.pcpu -> scx_sched_pcpu.event_stats (later) */
};

#define KT_SCX_STATES 8

struct kt_layout {
	struct kt_kernel_syms syms;
	char banner[256];
	uint64_t runqueues;      /* per-CPU offset of runqueues */
	uint64_t per_cpu_offset; /* __per_cpu_offset[] */
	uint64_t nr_cpu_ids;     /* 0: absent */
	struct kt_field rq[KT_RQ__COUNT];
	uint64_t rq_lo, rq_hi;   /* byte span of struct rq read per CPU */
	struct kt_field rq_cpu;  /* rq.cpu: proves a per-CPU rq address right */
	bool group[KT_G__COUNT];
	struct strlist degraded; /* "signal: reason" */
	/* sched_ext global state */
	uint64_t scx_state_var, scx_switching_all, scx_nr_rejected;
	char scx_state_name[KT_SCX_STATES][24];
	/* event counters */
	enum kt_ev_layout ev;
	uint64_t ev_var;         /* event_stats_cpu (per-CPU) or scx_root */
	uint64_t ev_ptr_off;     /* scx_sched.event_stats_cpu or .pcpu */
	uint64_t ev_base_off;    /* scx_sched_pcpu.event_stats */
	uint64_t ev_fallback_off, ev_keep_last_off; /* in scx_event_stats */
	struct kt_bpf_layout bpf; /* BPF programs and maps (bpf_layout.c) */
	struct kt_walk_layout walk; /* where sched_ext work waits (walk.h) */
};

/* From a parsed BTF and symbol addresses (names as in kt_layout_sym_names,
 * values as found, 0 = absent).  Fills l; returns 0, or -ENOENT when the
 * core group is missing (the reason is the first line of degraded). */
int kt_layout_resolve(struct kt_layout *l, const struct kt_btf *btf, const uint64_t *sym);
/* Names of the symbols kt_layout_resolve() expects, in order. */
extern const char *const kt_layout_sym_names[];
extern const unsigned kt_layout_nsyms;
void kt_layout_free(struct kt_layout *l);

/* Everything from a vmlinux file (symbols, .BTF, linux_banner). */
int kt_layout_load(struct kt_layout *l, const char *vmlinux);

#endif
