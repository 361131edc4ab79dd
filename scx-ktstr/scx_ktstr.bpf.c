/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx-ktstr: the fixture sched_ext scheduler of ktstr.
 *
 * A global FIFO: ops.enqueue() appends every task to one shared DSQ and
 * ops.dispatch() moves its head to the local DSQ of the CPU asking for
 * work.  It exists so the harness can prove that it notices each way a
 * scheduler can go wrong, so it carries fault knobs:
 *
 * .rodata (fixed before load; the verifier prunes the paths they disable)
 *   degrade      random local-DSQ placement and every other dispatch skipped
 *   scattershot  random local-DSQ placement (migration storms)
 *   slow         3 of 4 dispatches skipped
 *   fail_verify  a NULL store in ops.dispatch(): the verifier rejects it
 *   verify_loop  an 8x unrolled block, then an endless loop: rejected
 *                with a trace of repeated blocks (for the cycle collapse)
 *
 * .bss (written at run time by the loader or by the host through guest
 * memory; the order below is the ABI, offsets in bytes):
 *   0 stall       ops.dispatch() returns at once and nothing bypasses it
 *                 (but an exiting task, which the kernel keeps local):
 *                 ops.select_cpu() dispatches no waking task to an idle
 *                 CPU and SCX_OPS_ENQ_LAST sends a CPU's last task back
 *                 through ops.enqueue() when its slice ends, so within
 *                 one slice no task runs, kernel threads included, and
 *                 the kernel's watchdog ejects the scheduler, whatever
 *                 the load (without both, tasks that always find an idle
 *                 CPU, or never leave theirs, ran through the stall).
 *                 Since the watchdog's own work stalls too, the kernel
 *                 usually reports "watchdog failed to check in", naming
 *                 no task.
 *                 2: the same for user tasks only; kernel threads run as
 *                 if nothing happened (they keep CPUs briefly busy, and
 *                 the kernel's watchdog names a stalled task).  The host
 *                 monitor must see this one too (issue 12).
 *   4 crash       ops.dispatch() calls scx_bpf_error()
 *   8 degrade_rt  like degrade, switched on at run time
 *  12 degrade_cnt, 16 slow_cnt  counters of the skipping knobs
 *
 * The kfuncs renamed in 6.13 are called through kt_compat.bpf.h.
 */
#include <scx/common.bpf.h>
#include "kt_compat.bpf.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0

const volatile u32 degrade;
const volatile u32 fail_verify;
const volatile u32 scattershot;
const volatile u32 slow;
const volatile u32 verify_loop;

/* Keep in this order: the host pokes .bss by offset (see above). */
volatile u32 stall;
volatile u32 crash;
volatile u32 degrade_rt;
u32 degrade_cnt;
u32 slow_cnt;

/* Sink for the verify_loop arithmetic (in .data, not .bss). */
u64 verify_sink SEC(".data");

UEI_DEFINE(uei);

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* The stall knob for this task: 1 every task, 2 user tasks only. */
static bool stalled(const struct task_struct *p)
{
	return stall == 1 || (stall == 2 && !(p->flags & PF_KTHREAD));
}

/*
 * A random CPU, or the first online one if that is offline.  -1 if the
 * task may not run there: a local-DSQ verdict outside the task's
 * affinity is an error the kernel ejects the scheduler for, and these
 * knobs are meant to degrade scheduling, not to end it.
 */
static s32 scatter_cpu(struct task_struct *p)
{
	const struct cpumask *online;
	u32 nr = scx_bpf_nr_cpu_ids();
	s32 cpu;

	if (!nr)
		return -1;
	cpu = bpf_get_prandom_u32() % nr;
	online = scx_bpf_get_online_cpumask();
	if (!bpf_cpumask_test_cpu(cpu, online))
		cpu = bpf_cpumask_first(online);
	scx_bpf_put_cpumask(online);
	if ((u32)cpu >= nr || !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		return -1;
	return cpu;
}

/*
 * What the kernel does without ops.select_cpu() (a waking task that finds
 * an idle CPU goes straight to its local DSQ), unless stalled or crashing:
 * then every task waits in the shared DSQ for the dispatch that never
 * comes.
 */
s32 BPF_STRUCT_OPS(ktstr_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool idle = false;
	s32 cpu;

	if (stalled(p) || crash)
		return prev_cpu;
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);
	if (idle)
		ktstr_insert(p, SCX_DSQ_LOCAL, 0);
	return cpu;
}

void BPF_STRUCT_OPS(ktstr_enqueue, struct task_struct *p, u64 enq_flags)
{
	/* SCX_OPS_ENQ_LAST (for the stall) sends a CPU's only task here when
	 * its slice ends; anywhere but that CPU's local DSQ, the CPU would
	 * go idle with the task waiting.  Unless stalled, it runs on.  In a
	 * user-only stall every kernel thread bypasses the stalled queue. */
	if (!stalled(p) && !crash && ((enq_flags & SCX_ENQ_LAST) || stall == 2)) {
		ktstr_insert(p, SCX_DSQ_LOCAL, enq_flags);
		return;
	}
	if (scattershot || degrade || degrade_rt) {
		s32 cpu = scatter_cpu(p);

		if (cpu >= 0) {
			ktstr_insert(p, SCX_DSQ_LOCAL_ON | cpu, enq_flags);
			return;
		}
	}
	ktstr_insert(p, SHARED_DSQ, enq_flags);
}

void BPF_STRUCT_OPS(ktstr_dispatch, s32 cpu, struct task_struct *prev)
{
	if (crash) {
		scx_bpf_error("ktstr: host-triggered crash");
		return;
	}
	if (stall)
		return;
	if ((degrade || degrade_rt) && (++degrade_cnt & 1))
		return;
	if (verify_loop) {
		u64 acc = bpf_ktime_get_ns();

#pragma unroll
		for (int i = 0; i < 8; i++) {
			acc = acc * 31 + bpf_ktime_get_ns();
			acc ^= acc >> 7;
			acc += bpf_ktime_get_ns() & 0xff;
		}
		verify_sink = acc;
		/*
		 * A loop whose state never changes: the verifier reports
		 * "infinite loop detected" on its second visit, after the
		 * eight unrolled copies above are in the log (the repeats
		 * the harness's cycle collapse folds).  A loop that changes
		 * state instead runs into the 1M-instruction limit with a
		 * ~90 MB log.
		 */
		while (1)
			asm volatile("" ::: "memory");
	}
	if (fail_verify) {
		u64 *p = NULL;

		barrier_var(p); /* keep clang from proving the store away */
		*p = cpu;
	}
	if (slow && (++slow_cnt & 0x3))
		return;
	ktstr_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ktstr_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(ktstr_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(ktstr_ops,
	       .select_cpu	= (void *)ktstr_select_cpu,
	       .enqueue		= (void *)ktstr_enqueue,
	       .dispatch	= (void *)ktstr_dispatch,
	       .init		= (void *)ktstr_init,
	       .exit		= (void *)ktstr_exit,
	       .flags		= SCX_OPS_ENQ_LAST,
	       .timeout_ms	= 20000,
	       .name		= "ktstr");
