/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktstr auto-repro probes (docs/auto-repro.md).
 *
 * One object, opened several times by the guest's loader
 * (src/guest/probe.c), every copy sharing the maps of the first:
 *
 *   kt_kp        kprobe on kernel functions; the slot is the attach cookie
 *   kt_fe/kt_fx  fentry/fexit on one target per copy (a BPF callback of the
 *                scheduler, or a kernel function); the slot is .rodata
 *   kt_trig_kp   kprobe on the scheduler-exit function (6.12:
 *                scx_ops_exit_kind; later scx_exit).  Both are variadic,
 *                and the verifier refuses fentry on a variadic function
 *                ("with variable args is unsupported"); no kernel up to
 *                6.16 has a sched_ext_exit tracepoint for tp_btf.
 *
 * Each call stores one record keyed by (slot, task): its raw arguments
 * and the curated fields of its struct arguments, read with CO-RE
 * against the running kernel's BTF (the structs below declare only the
 * members read).  An exit with an error kind (>= SCX_EXIT_ERROR) records
 * the triggering task and the kernel stack, then freezes everything so
 * the teardown that follows does not overwrite what led to it.
 *
 * Cost per probed call: two array lookups, one per-CPU scratch lookup,
 * at most 6 argument reads and one task's fields (about 12 reads), one
 * LRU-hash update of a 480-byte record; no loops beyond the 6 arguments,
 * no locks.  kt_state.cost_ns sums the measured cost (docs).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "probe/probe_bpf.h"

char _license[] SEC("license") = "GPL";

/* The kernel's types, only the members read (CO-RE relocates them). */
struct cpumask {
	unsigned long bits[4];
} __attribute__((preserve_access_index));

struct sched_ext_entity {
	__u64 ddsp_dsq_id;
	__u64 ddsp_enq_flags;
	__u64 slice;
	__u64 dsq_vtime;
	__u32 weight;
	__s32 sticky_cpu;
	__u32 flags;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	char comm[16];
	const struct cpumask *cpus_ptr;
	struct sched_ext_entity scx;
} __attribute__((preserve_access_index));

struct rq {
	int cpu;
} __attribute__((preserve_access_index));

struct scx_dispatch_q {
	__u64 id;
} __attribute__((preserve_access_index));

enum scx_exit_kind { KT_SCX_EXIT_NONE___kt };

struct scx_exit_info {
	enum scx_exit_kind kind;
	const char *reason;
} __attribute__((preserve_access_index));

struct scx_init_task_args {
	_Bool fork;
} __attribute__((preserve_access_index));

/* Argument kinds: enum kt_probe_arg (src/probe/probe.h). */
enum { K_SCALAR, K_TASK, K_RQ, K_DSQ, K_EXIT, K_INIT };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KT_PW_FUNCS);
	__type(key, __u32);
	__type(value, struct kt_pw_meta);
} kt_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KT_PW_CALLS);
	__type(key, struct kt_pw_key);
	__type(value, struct kt_pw_call);
} kt_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kt_pw_state);
} kt_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kt_pw_call);
} kt_scratch SEC(".maps");

/* The function slot of this copy's fentry/fexit pair (set before load). */
const volatile __u32 kt_slot = 0;

static __always_inline void read_task(struct kt_pw_task *t, struct task_struct *p)
{
	const struct cpumask *m = BPF_CORE_READ(p, cpus_ptr);
	__u32 sz = bpf_core_field_size(m->bits);

	t->ptr = (__u64)(unsigned long)p;
	t->pid = BPF_CORE_READ(p, pid);
	BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	if (sz > sizeof(t->cpus))
		sz = sizeof(t->cpus);
	if (m && sz)
		bpf_probe_read_kernel(t->cpus, sz & 0x3f, &m->bits);
	t->dsq_id = BPF_CORE_READ(p, scx.ddsp_dsq_id);
	t->enq_flags = BPF_CORE_READ(p, scx.ddsp_enq_flags);
	t->slice = BPF_CORE_READ(p, scx.slice);
	t->vtime = BPF_CORE_READ(p, scx.dsq_vtime);
	t->weight = BPF_CORE_READ(p, scx.weight);
	t->sticky_cpu = (__u32)BPF_CORE_READ(p, scx.sticky_cpu);
	t->flags = BPF_CORE_READ(p, scx.flags);
}

static __always_inline void read_fields(struct kt_pw_fields *f, const __u64 *args, const struct kt_pw_meta *m)
{
	f->have = 0;
#pragma unroll
	for (int i = 0; i < KT_PW_ARGS; i++) {
		void *p = (void *)(unsigned long)args[i];
		__u32 bit = 1u << m->kind[i];

		if (i >= m->nargs || !p || (f->have & bit))
			continue;
		switch (m->kind[i]) {
		case K_TASK:
			read_task(&f->task, p);
			break;
		case K_RQ:
			f->rq_cpu = BPF_CORE_READ((struct rq *)p, cpu);
			break;
		case K_DSQ:
			f->dsq_id = BPF_CORE_READ((struct scx_dispatch_q *)p, id);
			break;
		case K_EXIT: {
			const char *r = BPF_CORE_READ((struct scx_exit_info *)p, reason);

			f->exit_kind = (__u64)BPF_CORE_READ((struct scx_exit_info *)p, kind);
			if (r)
				bpf_probe_read_kernel_str(f->exit_reason, sizeof(f->exit_reason), r);
			break;
		}
		case K_INIT:
			f->fork = BPF_CORE_READ((struct scx_init_task_args *)p, fork);
			break;
		default:
			continue;
		}
		f->have |= bit;
	}
}

/* The task a call is about: its first task argument, else current. */
static __always_inline __u64 call_task(const __u64 *args, const struct kt_pw_meta *m)
{
#pragma unroll
	for (int i = 0; i < KT_PW_ARGS; i++)
		if (i < m->nargs && m->kind[i] == K_TASK && args[i])
			return args[i];
	return bpf_get_current_task();
}

static __always_inline struct kt_pw_state *state(void)
{
	__u32 z = 0;

	return bpf_map_lookup_elem(&kt_state, &z);
}

static __always_inline void account(struct kt_pw_state *s, __u64 t0)
{
	__sync_fetch_and_add(&s->calls, 1);
	__sync_fetch_and_add(&s->cost_ns, bpf_ktime_get_ns() - t0);
}

/* Entry of a probed function: args[] already read. */
static __always_inline void record(__u32 slot, struct kt_pw_call *c, __u64 t0)
{
	struct kt_pw_state *s = state();
	struct kt_pw_meta *m = bpf_map_lookup_elem(&kt_meta, &slot);
	struct kt_pw_key k = { .func = slot };

	if (!s || !m || s->frozen)
		return;
	c->ts = t0;
	c->func = slot;
	c->cpu = bpf_get_smp_processor_id();
	c->cur_pid = (__u32)bpf_get_current_pid_tgid();
	c->flags = 0;
	c->task = k.task = call_task(c->args, m);
	read_fields(&c->entry, c->args, m);
	if (bpf_map_update_elem(&kt_calls, &k, c, BPF_ANY))
		__sync_fetch_and_add(&s->update_fail, 1);
	account(s, t0);
}

static __always_inline struct kt_pw_call *scratch(void)
{
	__u32 z = 0;
	struct kt_pw_call *c = bpf_map_lookup_elem(&kt_scratch, &z);

	if (c)
		__builtin_memset(c->args, 0, sizeof(c->args));
	return c;
}

SEC("kprobe")
int kt_kp(struct pt_regs *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	struct kt_pw_call *c = scratch();

	if (!c)
		return 0;
	c->args[0] = PT_REGS_PARM1(ctx);
	c->args[1] = PT_REGS_PARM2(ctx);
	c->args[2] = PT_REGS_PARM3(ctx);
	c->args[3] = PT_REGS_PARM4(ctx);
	c->args[4] = PT_REGS_PARM5(ctx);
	c->args[5] = ctx->r9; /* PT_REGS_PARM6 is not in libbpf 1.1 */
	record((__u32)bpf_get_attach_cookie(ctx), c, t0);
	return 0;
}

/* fentry/fexit arguments: a kernel function's own, or for a struct_ops
 * callback the u64 array its first argument points to. */
static __always_inline int trace_args(void *ctx, const struct kt_pw_meta *m, __u64 *args)
{
	__u64 v = 0;

	if (m->bpf_cb) {
		if (bpf_get_func_arg(ctx, 0, &v) || !v)
			return -1;
#pragma unroll
		for (int i = 0; i < KT_PW_ARGS; i++)
			if (i < m->nargs)
				bpf_probe_read_kernel(&args[i], sizeof(__u64), (void *)(unsigned long)(v + 8 * i));
		return 0;
	}
#pragma unroll
	for (int i = 0; i < KT_PW_ARGS; i++)
		if (i < m->nargs)
			bpf_get_func_arg(ctx, i, &args[i]);
	return 0;
}

SEC("fentry")
int kt_fe(void *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	__u32 slot = kt_slot;
	struct kt_pw_meta *m = bpf_map_lookup_elem(&kt_meta, &slot);
	struct kt_pw_call *c = scratch();

	if (!m || !c || trace_args(ctx, m, c->args))
		return 0;
	record(slot, c, t0);
	return 0;
}

SEC("fexit")
int kt_fx(void *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	__u32 slot = kt_slot;
	struct kt_pw_meta *m = bpf_map_lookup_elem(&kt_meta, &slot);
	struct kt_pw_state *s = state();
	struct kt_pw_call *c = scratch(), *e;
	struct kt_pw_key k = { .func = slot };

	if (!m || !c || !s || s->frozen || trace_args(ctx, m, c->args))
		return 0;
	k.task = call_task(c->args, m);
	e = bpf_map_lookup_elem(&kt_calls, &k);
	if (!e)
		return 0;
	read_fields(&e->exit, c->args, m);
	e->flags |= KT_PW_CALL_EXITED;
	__sync_fetch_and_add(&s->cost_ns, bpf_ktime_get_ns() - t0);
	return 0;
}

/* The exit path.  A stall found by check_rq_for_timeouts() passes
 * "%s[%d] failed to run for ...", p->comm, p->pid: that task is the one
 * the failure is about, recognised by its pid matching. */
static __always_inline void trigger(void *ctx, __u64 kind, __s64 code, __u64 a4, __u64 a5)
{
	struct kt_pw_state *s = state();
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct kt_pw_trigger *t;
	long n;

	if (!s || kind < 1024 || __sync_val_compare_and_swap(&s->frozen, 0, 1) != 0)
		return;
	t = &s->trig;
	t->ts = bpf_ktime_get_ns();
	t->kind = kind;
	t->exit_code = code;
	t->cpu = bpf_get_smp_processor_id();
	t->cur = (__u64)(unsigned long)cur;
	t->cur_pid = BPF_CORE_READ(cur, pid);
	BPF_CORE_READ_STR_INTO(&t->cur_comm, cur, comm);
	t->task = t->cur;
	t->pid = t->cur_pid;
	__builtin_memcpy(t->comm, t->cur_comm, sizeof(t->comm));
	if (kind == 1026 && a4 > 4096) {
		struct task_struct *p = (void *)(unsigned long)(a4 - bpf_core_field_offset(struct task_struct, comm));
		int pid = BPF_CORE_READ(p, pid);

		if (pid && (__u32)pid == (__u32)a5) {
			t->task = (__u64)(unsigned long)p;
			t->pid = pid;
			BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
		}
	}
	n = bpf_get_stack(ctx, t->stack, sizeof(t->stack), 0);
	t->nstack = n > 0 ? (__u32)(n / 8) : 0;
}

SEC("kprobe")
int kt_trig_kp(struct pt_regs *ctx)
{
	trigger(ctx, PT_REGS_PARM1(ctx), (__s64)PT_REGS_PARM2(ctx), PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx));
	return 0;
}
