/* Auto-repro, the pure part (docs/auto-repro.md): what to probe and how
 * to show what the probes saw.  Shared by the host (stack extraction,
 * decoders, rendering) and the guest (bridge list, argument kinds).  No
 * syscalls; every input is treated as untrusted text or numbers.
 *
 *   stack.c   function names off a failed run's sched_ext dump and the
 *             kernel's stack traces; the generic-frame drop list; the
 *             probe list carried to the guest (ktstr_probe=)
 *   bridge.c  a BPF callback's sched_ext op, the kernel function that
 *             calls it (the bridge list), argument kinds by type name
 *   decode.c  DSQ ids, cpumasks, enqueue flags, exit kinds, task flags,
 *             sticky_cpu, "before -> after" */
#ifndef KTSTR_PROBE_H
#define KTSTR_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_PROBE_MAX_FUNCS 64  /* functions probed in one repro run */
#define KT_PROBE_NAME_MAX 64   /* a function name, with its NUL */
#define KT_PROBE_LIST_MAX 1024 /* the encoded list on the guest command line */
/* Ring message (guest -> host): the repro guest's probe report, one JSON
 * document (docs/auto-repro.md), at most KT_PROBE_REPORT_MAX bytes. */
#define KT_MSG_REPRO_PROBE 0x50524F42u /* "PROB" */
#define KT_PROBE_REPORT_MAX (256u * 1024u)

/* ---- stack extraction (stack.c) ---- */

struct kt_probe_names {
	unsigned n;
	char name[KT_PROBE_MAX_FUNCS][KT_PROBE_NAME_MAX];
	bool bpf[KT_PROBE_MAX_FUNCS]; /* a BPF program (bpf_prog_<tag>_<name>) */
	unsigned dropped;             /* past KT_PROBE_MAX_FUNCS */
};

/* One line of a dump or stack trace -> the function of its frame.  A
 * frame is `[prefix] name+0xOFF/0xSIZE [module]`, where the prefix may be
 * a printk timestamp "[    1.23] ", "sched_ext_dump: " (with whatever
 * precedes it) and indentation; "? " frames (unreliable guesses) are not
 * frames.  `bpf_prog_<hex tag>_<name>` gives name with *bpf set.  1 and
 * the name in name[len], 0 when the line is not a frame. */
int kt_probe_frame(const char *line, size_t linelen, char *name, size_t len, bool *bpf);
/* A frame every failure path shares (scheduling core, syscall entry,
 * the dump machinery, lock and irq entry prefixes): never probed. */
bool kt_probe_generic(const char *name);
/* Every frame of text (len bytes, need not be NUL-terminated), generic
 * ones dropped, each name once, in order of first appearance, appended
 * to out (which the caller zeroes first; names already there are kept). */
void kt_probe_extract(const char *text, size_t len, struct kt_probe_names *out);
/* Add one name (validated: [A-Za-z0-9_.], 1..63 bytes); -EINVAL for a bad
 * name, -ENOSPC when full, 0 (also when already there). */
int kt_probe_names_add(struct kt_probe_names *out, const char *name, bool bpf);

/* The list as the guest gets it: "name,name,..." with BPF callbacks
 * written "bpf:name"; "*" for none (the scheduler's callbacks only).  -ENAMETOOLONG if it does not fit len (the names
 * that fit are written: the list stays valid). */
int kt_probe_list_format(const struct kt_probe_names *in, char *buf, size_t len);
/* Parse a list (as above, "*": empty; also what --probe-stack f1,f2 takes): -EINVAL
 * for an empty or bad name, -ENOSPC past KT_PROBE_MAX_FUNCS. */
int kt_probe_list_parse(const char *s, struct kt_probe_names *out);

/* ---- the bridge list and argument kinds (bridge.c) ---- */

/* What a probe records of one argument. */
enum kt_probe_arg {
	KT_ARG_SCALAR = 0, /* the raw value */
	KT_ARG_TASK,       /* struct task_struct *: pid, comm, cpus, scx.* */
	KT_ARG_RQ,         /* struct rq *: cpu */
	KT_ARG_DSQ,        /* struct scx_dispatch_q *: id */
	KT_ARG_EXIT_INFO,  /* struct scx_exit_info *: kind, reason */
	KT_ARG_INIT_ARGS,  /* struct scx_init_task_args *: fork */
	KT_ARG_NKINDS,
};

/* A pointer argument's kind from the name of the struct it points to
 * ("task_struct", "rq", ...); KT_ARG_SCALAR for anything else. */
enum kt_probe_arg kt_probe_arg_kind(const char *struct_name);
const char *kt_probe_arg_kind_name(enum kt_probe_arg k);

/* The sched_ext_ops member a BPF callback implements, by the
 * `<scheduler>_<op>` naming every scheduler follows ("ktstr_enqueue" ->
 * "enqueue"; "qmap_init_task" -> "init_task", the longest op that ends
 * the name after a '_' wins).  NULL when no op matches. */
const char *kt_probe_op_of(const char *callback);

/* The kernel functions that call an op, in order of preference (the
 * first the running kernel can trace wins: 6.12 inlines balance_one),
 * and which of their arguments is the task (-1: none). */
struct kt_probe_bridge {
	const char *op;
	const char *callers[3]; /* NULL-terminated */
	int task_arg;
};
/* The bridge entry of an op, NULL when the op has none. */
const struct kt_probe_bridge *kt_probe_bridge_of(const char *op);

/* ---- decoders (decode.c); each writes a C string into buf ---- */

/* SCX_DSQ_INVALID, GLOBAL, LOCAL, BYPASS, SCX_DSQ_LOCAL_ON|3,
 * BUILTIN(0x...) for another builtin, DSQ(0x...) for the scheduler's own. */
void kt_dec_dsq_id(uint64_t id, char *buf, size_t len);
/* 0xf(0-3); "0x0(none)" for an empty mask.  bits[0] holds CPUs 0..63. */
void kt_dec_cpumask(const uint64_t bits[4], char *buf, size_t len);
/* WAKEUP|HEAD|PREEMPT..., unknown bits as a trailing |0x..; "0" for none. */
void kt_dec_enq_flags(uint64_t f, char *buf, size_t len);
/* ERROR, ERROR_BPF, ERROR_STALL, UNREG..., else the number. */
void kt_dec_exit_kind(uint64_t k, char *buf, size_t len);
/* QUEUED|RESET_RUNNABLE_AT|...|state=ENABLED. */
void kt_dec_scx_flags(uint32_t f, char *buf, size_t len);
/* -1 for none (0xffffffff), else the CPU. */
void kt_dec_sticky_cpu(uint32_t v, char *buf, size_t len);
/* "before" when unchanged, "before → after" when not. */
void kt_dec_change(const char *before, const char *after, char *buf, size_t len);

#endif
