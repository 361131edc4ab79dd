/* Performance mode and --cpu-cap in the VM layer (docs/performance.md):
 * the host's LLCs read from sysfs, LLC locks under the cache directory,
 * the placement (model/placement.h) applied to the vCPU threads of either
 * backend through vm_backend_ops.vcpu_thread, SCHED_FIFO, a service CPU,
 * hugepage-backed guest RAM bound to the placed host node.  Whatever is
 * missing degrades with one warning per process, never silently. */
#ifndef KTSTR_VM_PERF_H
#define KTSTR_VM_PERF_H
#include "vm/backend.h"
#include "model/placement.h"

#include <sched.h>

struct kt_perf {
	bool perf;                        /* cfg->perf_mode (else --cpu-cap only) */
	struct kt_placement pl;
	int lock_fd[KT_PLACE_MAX_LLCS];   /* held LLC locks, -1: none */
	bool applied;                     /* vCPU threads placed */
	uint64_t give_up_ns;              /* stop looking for vCPU threads */
	bool have_caller_mask;
	cpu_set_t caller_mask;            /* kt_vm_run's thread, restored at the end */
	bool hugepages;
};

/* Before guest RAM: read the host, take the LLC locks (perf mode; waits
 * up to wait_ms for LLCs other runs hold), place.  0, or -errno said in
 * one line (-ENOSPC: does not fit this host, -EBUSY: LLCs stayed held). */
int kt_perf_begin(struct kt_perf *p, const struct vm_config *cfg, unsigned wait_ms);
/* memfd_create flags for a guest node of `bytes` (MFD_HUGETLB when
 * perf mode has enough free 2 MiB pages, else 0 and one warning). */
unsigned kt_perf_memfd_flags(struct kt_perf *p, size_t bytes);
/* Bind a guest node's host mapping to its placed host node (perf mode). */
void kt_perf_bind(struct kt_perf *p, unsigned node, void *host, size_t bytes);
/* While the guest runs: place the vCPU threads once they all exist;
 * the caller's thread (and QEMU's other threads) go to the service CPU. */
void kt_perf_apply(struct kt_perf *p, struct vm *vm);
/* Release the locks, restore the caller's affinity. */
void kt_perf_end(struct kt_perf *p);

/* The host's LLCs, read from `root` (/sys/devices/system/cpu, or a copy
 * for unit tests): for each CPU in `allowed` the highest cache index's
 * shared_cpu_list (LLC id: its first CPU; no cache info: one LLC) and its
 * nodeN link.  LLCs in ascending id order.  0 or -errno. */
int kt_host_topo_read(const char *root, const cpu_set_t *allowed, struct kt_host_topo *h);

#endif
