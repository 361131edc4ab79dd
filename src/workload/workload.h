/* Workload internals shared with the step engine and bare-metal mode. */
#ifndef KTSTR_GUEST_WORKLOAD_H
#define KTSTR_GUEST_WORKLOAD_H
#include <stdbool.h>
#include <ktstr/ktstr.h>

/* Where cgroups go: root is the cgroup2 mount whose subtree_control gets
 * +cpuset/+cpu, base the directory holding the harness's cgroups
 * (default /sys/fs/cgroup and /sys/fs/cgroup/ktstr). */
void kt_workload_set_cgroup_base(const char *root, const char *base);
const char *kt_workload_cgroup_base(void);
const char *kt_workload_cgroup_root(void);
/* A cgroup name relative to the base: non-empty, may nest with '/', no
 * leading or trailing '/', no "//" or "..". */
bool kt_cgroup_name_ok(const char *name);
/* ktstr_workload_start with options: quiet sends no scenario start/end
 * messages, keep leaves the cgroups in place at finish. */
int kt_workload_start_opts(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, bool quiet, bool keep,
			   struct ktstr_workload **out);
/* The same; host: the workers stay in the caller's cgroup (no cgroup is
 * created or joined, the defs' names only label them; no cpuset allowed),
 * the reference's SpawnHost. */
int kt_workload_start_host(struct ktstr_ctx *ctx, const struct ktstr_cgroup_def *defs, bool quiet, bool keep,
			   bool host, struct ktstr_workload **out);
/* Whether the harness's cgroups get the cpu controller (default on).  Off
 * ("no-ctrl"): "-cpu" is written to the base's cgroup.subtree_control
 * instead of "+cpu", so its cgroups have cpuset only. */
void kt_workload_set_cpu_controller(bool on);
bool kt_workload_cpu_controller(void);
/* Stop and reap the workers, discard their reports, free. */
void kt_workload_drop(struct ktstr_workload *wl);

#endif
