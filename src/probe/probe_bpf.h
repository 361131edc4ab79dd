/* The records auto-repro's BPF object (bpf/probe.bpf.c) shares with its
 * guest-side loader (src/guest/probe.c): map keys and values, one layout
 * for both, fixed-size types only.  Limits: 6 arguments per call, 64
 * probed functions, one record per (function, task), the last call. */
#ifndef KTSTR_PROBE_BPF_H
#define KTSTR_PROBE_BPF_H
#include <linux/types.h>

#define KT_PW_ARGS 6
#define KT_PW_FUNCS 64        /* func_meta slots */
#define KT_PW_CALLS 8192      /* probe_data entries (LRU: the oldest go first) */
#define KT_PW_STACK 32        /* kernel frames of the trigger */
#define KT_PW_REASON 64

/* What was captured in a kt_pw_fields (bits). */
#define KT_PW_HAVE_TASK (1u << 1) /* = 1 << KT_ARG_TASK */
#define KT_PW_HAVE_RQ (1u << 2)
#define KT_PW_HAVE_DSQ (1u << 3)
#define KT_PW_HAVE_EXIT (1u << 4)
#define KT_PW_HAVE_INIT (1u << 5)

struct kt_pw_task {
	__u64 ptr;
	__u64 cpus[4];          /* cpus_ptr->bits[0..3] */
	__u64 dsq_id, enq_flags, slice, vtime; /* scx.ddsp_dsq_id, .ddsp_enq_flags, .slice, .dsq_vtime */
	__u32 pid, weight, sticky_cpu, flags;  /* pid, scx.weight, .sticky_cpu, .flags */
	char comm[16];
};

/* The curated fields of a call's struct arguments (the first of each kind). */
struct kt_pw_fields {
	struct kt_pw_task task;
	__u64 dsq_id;           /* scx_dispatch_q->id */
	__u64 exit_kind;        /* scx_exit_info->kind */
	__s32 rq_cpu;           /* rq->cpu */
	__u32 have;             /* KT_PW_HAVE_* */
	__u32 fork;             /* scx_init_task_args->fork */
	__u32 pad;
	char exit_reason[KT_PW_REASON]; /* scx_exit_info->reason */
};

struct kt_pw_key {
	__u32 func;             /* func_meta slot */
	__u32 pad;
	__u64 task;             /* the task argument, else the current task */
};

#define KT_PW_CALL_EXITED 1u /* exit fields valid (fexit ran) */

struct kt_pw_call {
	__u64 ts;               /* bpf_ktime_get_ns() at entry */
	__u64 task;             /* = key.task */
	__u64 args[KT_PW_ARGS];
	__u32 func, cpu, cur_pid, flags;
	struct kt_pw_fields entry, exit;
};

/* Per function slot: how to read its arguments. */
struct kt_pw_meta {
	__u32 nargs;            /* 0..6 */
	__u32 bpf_cb;           /* a BPF struct_ops callback: args behind ctx[0] */
	__u8 kind[KT_PW_ARGS];  /* enum kt_probe_arg */
	__u8 pad[2];
};

/* The trigger: the scheduler-exit path with an error kind. */
struct kt_pw_trigger {
	__u64 ts;
	__u64 task;             /* the triggering task (a stall's stalled task, else current) */
	__u64 cur;              /* the current task */
	__u64 kind;
	__s64 exit_code;
	__u32 pid, cur_pid, cpu, nstack; /* nstack: frames in stack[] */
	char comm[16], cur_comm[16];
	__u64 stack[KT_PW_STACK];
};

/* The one state record (array map kt_state, key 0). */
struct kt_pw_state {
	__u32 frozen;           /* the trigger fired: nothing more is recorded */
	__u32 pad;
	__u64 calls;            /* probe runs recorded */
	__u64 cost_ns;          /* their summed cost (entry + fexit programs) */
	__u64 update_fail;      /* probe_data updates that failed */
	struct kt_pw_trigger trig;
};

#endif
