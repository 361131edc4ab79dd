/* A BPF callback's sched_ext op, the kernel functions that call each op
 * (the bridge list) and what a probe records of an argument (probe.h). */
#include "probe/probe.h"

#include <string.h>

/* The members of struct sched_ext_ops (6.12 and later). */
static const char *const ops[] = {
	"select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable", "running", "stopping", "quiescent",
	"yield", "core_sched_before", "set_weight", "set_cpumask", "update_idle", "cpu_acquire", "cpu_release",
	"init_task", "exit_task", "enable", "disable", "dump", "dump_cpu", "dump_task", "cgroup_init",
	"cgroup_exit", "cgroup_prep_move", "cgroup_move", "cgroup_cancel_move", "cgroup_set_weight",
	"cpu_online", "cpu_offline", "init", "exit",
};

const char *kt_probe_op_of(const char *cb)
{
	size_t n = strlen(cb);
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t l = strlen(ops[i]);

		if (l > n || strcmp(cb + n - l, ops[i]))
			continue;
		if (l < n && cb[n - l - 1] != '_')
			continue;
		if (!best || l > strlen(best))
			best = ops[i];
	}
	return best;
}

/* The reference's list (§7.3), with the names other kernels use as
 * fallbacks: 6.12 inlines balance_one into balance_scx and calls
 * enable/init_task through scx_ops_enable_task/scx_ops_init_task. */
static const struct kt_probe_bridge bridges[] = {
	{ "select_cpu", { "select_task_rq_scx", "do_enqueue_task", NULL }, 0 },
	{ "enqueue", { "do_enqueue_task", NULL }, 1 },
	{ "dequeue", { "dequeue_task_scx", NULL }, 1 },
	{ "dispatch", { "balance_one", "balance_scx", NULL }, 1 },
	{ "runnable", { "enqueue_task_scx", NULL }, 1 },
	{ "running", { "set_next_task_scx", NULL }, 1 },
	{ "stopping", { "put_prev_task_scx", NULL }, 1 },
	{ "quiescent", { "dequeue_task_scx", NULL }, 1 },
	{ "tick", { "task_tick_scx", NULL }, 1 },
	{ "set_cpumask", { "set_cpus_allowed_scx", NULL }, 0 },
	{ "init_task", { "scx_init_task", "scx_ops_init_task", NULL }, 0 },
	{ "enable", { "scx_enable_task", "scx_ops_enable_task", NULL }, 0 },
};

const struct kt_probe_bridge *kt_probe_bridge_of(const char *op)
{
	if (!op)
		return NULL;
	for (size_t i = 0; i < sizeof(bridges) / sizeof(bridges[0]); i++)
		if (!strcmp(bridges[i].op, op))
			return &bridges[i];
	return NULL;
}

static const char *const kind_struct[KT_ARG_NKINDS] = {
	[KT_ARG_TASK] = "task_struct",
	[KT_ARG_RQ] = "rq",
	[KT_ARG_DSQ] = "scx_dispatch_q",
	[KT_ARG_EXIT_INFO] = "scx_exit_info",
	[KT_ARG_INIT_ARGS] = "scx_init_task_args",
};

enum kt_probe_arg kt_probe_arg_kind(const char *name)
{
	for (int k = KT_ARG_TASK; name && k < KT_ARG_NKINDS; k++)
		if (!strcmp(name, kind_struct[k]))
			return (enum kt_probe_arg)k;
	return KT_ARG_SCALAR;
}

const char *kt_probe_arg_kind_name(enum kt_probe_arg k)
{
	return k > KT_ARG_SCALAR && k < KT_ARG_NKINDS ? kind_struct[k] : "scalar";
}
