/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktstr's faulty fixture schedulers: one per fault class that does not
 * (or not at once) get a scheduler ejected, so the harness can prove its
 * checks catch each.  Built four times from this file (scx-ktstr/Makefile)
 * with KT_FAULT set:
 *
 *   1 scx_kt_unfair  shortchanges some tasks: user tasks with an odd pid
 *                    wait in a low-priority queue that gets one dispatch
 *                    in eight while the others' queue has work
 *   2 scx_kt_idle    leaves CPUs idle while tasks wait: every user task
 *                    goes to the local DSQ of the first CPU it may run on
 *   3 scx_kt_park    dispatches without progress: user tasks with an odd
 *                    pid are parked on a DSQ that dispatch only drains for
 *                    100 ms every release_ms (never if 0), and a CPU with
 *                    nothing else to run kicks itself while any is parked
 *   4 scx_kt_noaff   ignores affinity: user tasks go round-robin to every
 *                    online CPU's local DSQ, allowed or not
 *
 * Everything else (kernel threads, pid 1: the harness's own init) is one
 * global FIFO as in scx_ktstr.  select_cpu keeps the previous CPU and
 * never dispatches directly, so every task passes through enqueue.
 */
#include <scx/common.bpf.h>
#include "kt_compat.bpf.h"

char _license[] SEC("license") = "GPL";

#ifndef KT_FAULT
#error "build with -DKT_FAULT=1..4 (scx-ktstr/Makefile)"
#endif
#define F_UNFAIR 1
#define F_IDLE 2
#define F_PARK 3
#define F_NOAFF 4

#if KT_FAULT == F_UNFAIR
#define KT_NAME "kt_unfair"
#elif KT_FAULT == F_IDLE
#define KT_NAME "kt_idle"
#elif KT_FAULT == F_PARK
#define KT_NAME "kt_park"
#elif KT_FAULT == F_NOAFF
#define KT_NAME "kt_noaff"
#else
#error "KT_FAULT must be 1..4"
#endif

#define SHARED_DSQ 0
#define PARK_DSQ 1 /* scx_kt_park's parked tasks; scx_kt_unfair's low-priority queue */
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */
#define LOW_TURN_MASK 7u /* scx_kt_unfair: the low queue's turn is one in eight */
#define RELEASE_WINDOW_NS 100000000ull

const volatile u64 release_ns = 5000000000ull; /* scx_kt_park: 0: never */
u32 rr_cpu, turn;

UEI_DEFINE(uei);

/* The tasks a fault applies to: user tasks, but not the harness's init. */
static bool victim(const struct task_struct *p, bool odd_only)
{
	if ((p->flags & PF_KTHREAD) || p->pid <= 1)
		return false;
	return !odd_only || (p->pid & 1);
}

s32 BPF_STRUCT_OPS(ktf_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	return prev_cpu;
}

void BPF_STRUCT_OPS(ktf_enqueue, struct task_struct *p, u64 enq_flags)
{
#if KT_FAULT == F_UNFAIR
	if (victim(p, true)) {
		ktstr_insert(p, PARK_DSQ, enq_flags);
		return;
	}
#elif KT_FAULT == F_IDLE
	if (victim(p, false)) {
		u32 cpu = bpf_cpumask_first(p->cpus_ptr);

		if (cpu < scx_bpf_nr_cpu_ids()) {
			ktstr_insert(p, SCX_DSQ_LOCAL_ON | cpu, enq_flags);
			return;
		}
	}
#elif KT_FAULT == F_PARK
	if (victim(p, true)) {
		ktstr_insert(p, PARK_DSQ, enq_flags);
		return;
	}
#elif KT_FAULT == F_NOAFF
	/* A task that may not migrate right now stays: the fault is about
	 * affinity, not about migration-disabled sections. */
	if (victim(p, false) && !is_migration_disabled(p)) {
		u32 nr = scx_bpf_nr_cpu_ids(), cpu;
		const struct cpumask *online;

		if (nr) {
			cpu = __sync_fetch_and_add(&rr_cpu, 1) % nr;
			online = scx_bpf_get_online_cpumask();
			if (!bpf_cpumask_test_cpu(cpu, online))
				cpu = bpf_cpumask_first(online);
			scx_bpf_put_cpumask(online);
			if (cpu < nr) {
				ktstr_insert(p, SCX_DSQ_LOCAL_ON | cpu, enq_flags);
				return;
			}
		}
	}
#endif
	ktstr_insert(p, SHARED_DSQ, enq_flags);
}

void BPF_STRUCT_OPS(ktf_dispatch, s32 cpu, struct task_struct *prev)
{
#if KT_FAULT == F_PARK
	/* Parked tasks get a turn only in a short window every release_ns. */
	if (release_ns && bpf_ktime_get_ns() % release_ns < RELEASE_WINDOW_NS && ktstr_move_to_local(PARK_DSQ))
		return;
	if (ktstr_move_to_local(SHARED_DSQ))
		return;
	/* Nothing it will run, but work is queued: stay busy. */
	if (scx_bpf_dsq_nr_queued(PARK_DSQ) > 0)
		scx_bpf_kick_cpu(cpu, 0);
#elif KT_FAULT == F_UNFAIR
	/* The low queue only every eighth turn, or when nothing else waits. */
	if (!(__sync_fetch_and_add(&turn, 1) & LOW_TURN_MASK) && ktstr_move_to_local(PARK_DSQ))
		return;
	if (!ktstr_move_to_local(SHARED_DSQ))
		ktstr_move_to_local(PARK_DSQ);
#else
	ktstr_move_to_local(SHARED_DSQ);
#endif
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ktf_init)
{
	s32 ret = scx_bpf_create_dsq(SHARED_DSQ, -1);

	if (!ret && (KT_FAULT == F_PARK || KT_FAULT == F_UNFAIR))
		ret = scx_bpf_create_dsq(PARK_DSQ, -1);
	return ret;
}

void BPF_STRUCT_OPS(ktf_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(ktf_ops,
	       .select_cpu	= (void *)ktf_select_cpu,
	       .enqueue		= (void *)ktf_enqueue,
	       .dispatch	= (void *)ktf_dispatch,
	       .init		= (void *)ktf_init,
	       .exit		= (void *)ktf_exit,
	       .timeout_ms	= 20000,
	       .name		= KT_NAME);
