/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by ktstr's fixture schedulers (scx_ktstr.bpf.c,
 * scx_kt_fault.bpf.c).
 *
 * The enqueue/dispatch kfuncs were renamed in 6.13 (scx_bpf_dispatch ->
 * scx_bpf_dsq_insert, scx_bpf_consume -> scx_bpf_dsq_move_to_local), so
 * both spellings are declared weak under a "___ktstr" flavour (libbpf
 * drops the suffix when it resolves them) and the one the running kernel
 * has is called.
 */
#ifndef KT_COMPAT_BPF_H
#define KT_COMPAT_BPF_H

void scx_bpf_dsq_insert___ktstr(struct task_struct *p, u64 dsq_id, u64 slice,
				u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch___ktstr(struct task_struct *p, u64 dsq_id, u64 slice,
			      u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_to_local___ktstr(u64 dsq_id) __ksym __weak;
bool scx_bpf_consume___ktstr(u64 dsq_id) __ksym __weak;

static __always_inline void ktstr_insert_slice(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___ktstr))
		scx_bpf_dsq_insert___ktstr(p, dsq_id, slice, enq_flags);
	else
		scx_bpf_dispatch___ktstr(p, dsq_id, slice, enq_flags);
}

static __always_inline void ktstr_insert(struct task_struct *p, u64 dsq_id, u64 enq_flags)
{
	ktstr_insert_slice(p, dsq_id, SCX_SLICE_DFL, enq_flags);
}

/* true if a task was moved to the local DSQ */
static __always_inline bool ktstr_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___ktstr))
		return scx_bpf_dsq_move_to_local___ktstr(dsq_id);
	return scx_bpf_consume___ktstr(dsq_id);
}

#endif
