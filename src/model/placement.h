/* Performance mode's placement (docs/performance.md): which host CPUs run
 * which vCPUs, given the host's LLCs (the ones this run may take) and an
 * optional cap on the host CPUs used.  Pure: the host topology is read
 * and the locks are taken by the caller (src/vm/perf.c). */
#ifndef KTSTR_MODEL_PLACEMENT_H
#define KTSTR_MODEL_PLACEMENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ktstr/topology.h>

#define KT_PLACE_MAX_LLCS 64      /* host LLCs considered (bit i of a mask: LLC i) */
#define KT_PLACE_MAX_LLC_CPUS 256 /* host CPUs of one LLC */
#define KT_PLACE_MAX_VCPUS 512

/* One host LLC: its CPUs this process may use, ascending, and its node. */
struct kt_host_llc {
	unsigned cpus[KT_PLACE_MAX_LLC_CPUS];
	unsigned ncpus;
	int node; /* -1: unknown */
};

struct kt_host_topo {
	struct kt_host_llc llc[KT_PLACE_MAX_LLCS];
	unsigned nllcs;
};

enum {
	/* Fewer usable host LLCs than guest LLCs: guest LLCs share them. */
	KT_PLACE_SHARED_LLC = 1u << 0,
};

struct kt_placement {
	unsigned nvcpus;
	int vcpu_cpu[KT_PLACE_MAX_VCPUS]; /* perf mode: vCPU i's host CPU */
	int service_cpu;                  /* perf mode: the monitor's; -1: none */
	uint64_t llcs;                    /* host LLCs used (to keep locked) */
	int node_host[8];                 /* guest node -> host node (-1: unknown) */
	unsigned cpus[KT_PLACE_MAX_VCPUS]; /* --cpu-cap without perf mode: the CPU set */
	unsigned ncpus;
	unsigned flags;                   /* KT_PLACE_* */
};

/* Pure: perf mode.  Each guest LLC on its own host LLC (the first ones,
 * in index order, that are in `avail` and have room for it), every vCPU
 * on its own host CPU, plus one service CPU (a spare CPU of a used LLC,
 * else the first CPU of another available LLC).  With fewer such host
 * LLCs than guest LLCs the vCPUs are packed over the available CPUs in
 * order and KT_PLACE_SHARED_LLC is set.  cap (0: none) bounds the host
 * CPUs used, vCPUs and service CPU together.  0, or -ENOSPC with `why`
 * when it does not fit, -EINVAL for a bad topology. */
int kt_place_perf(const struct kt_host_topo *h, uint64_t avail, const struct ktstr_topo *g, unsigned cap,
		  struct kt_placement *out, char *why, size_t len);

/* Pure: --cpu-cap N without perf mode: N host CPUs, whole LLCs first (in
 * index order among `avail`), then part of the next; vCPU threads share
 * them.  0, or -ENOSPC when fewer than N CPUs are available. */
int kt_place_cap(const struct kt_host_topo *h, uint64_t avail, unsigned cap, struct kt_placement *out, char *why,
		 size_t len);

#endif
