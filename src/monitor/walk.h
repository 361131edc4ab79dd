/* Where sched_ext work waits (docs/monitor.md): every CPU's
 * rq->scx.runnable_list holds the sched_ext tasks that are runnable but
 * not running on it; each says in p->scx.dsq where it is queued (a local
 * DSQ, a shared DSQ, or NULL: in the BPF scheduler's own queues) and in
 * p->cpus_mask where it may run.  The monitor walks the lists at every
 * sample; the checks judge load and work conservation from it. */
#ifndef KTSTR_MONITOR_WALK_H
#define KTSTR_MONITOR_WALK_H
#include <stdbool.h>
#include <stdint.h>
#include "monitor/btf.h"
#include "util/util.h"

#define KT_MON_WALK_PER_CPU 256u /* tasks read per CPU and sample, at most */

/* Offsets the walk needs; ok false: no walk (the reason is in degraded). */
struct kt_walk_layout {
	bool ok;
	uint32_t rq_list;      /* rq.scx.runnable_list (struct list_head) */
	uint32_t rq_local_dsq; /* rq.scx.local_dsq */
	uint32_t t_node;       /* task_struct.scx.runnable_node */
	uint32_t t_dsq;        /* task_struct.scx.dsq */
	uint32_t t_mask;       /* task_struct.cpus_mask */
	uint32_t t_runnable_at; /* task_struct.scx.runnable_at (jiffies) */
	uint32_t mask_bytes;   /* sizeof(struct cpumask) */
};

void kt_walk_resolve(struct kt_walk_layout *w, const struct kt_btf *btf, struct strlist *degraded);

#endif
