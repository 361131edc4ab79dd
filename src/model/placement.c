/* Performance mode's placement (model/placement.h). */
#include "model/placement.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool usable(const struct kt_host_topo *h, uint64_t avail, unsigned l)
{
	return l < h->nllcs && l < KT_PLACE_MAX_LLCS && (avail >> l & 1) && h->llc[l].ncpus;
}

static void reset(struct kt_placement *out, unsigned nvcpus)
{
	memset(out, 0, sizeof(*out));
	out->nvcpus = nvcpus;
	out->service_cpu = -1;
	for (unsigned i = 0; i < KT_PLACE_MAX_VCPUS; i++)
		out->vcpu_cpu[i] = -1;
	for (unsigned i = 0; i < 8; i++)
		out->node_host[i] = -1;
}

/* Guest node of guest LLC l (architecture.md: LLC l on l / (llcs/nodes)). */
static unsigned node_of(const struct ktstr_topo *g, unsigned l)
{
	return l / (g->llcs / g->numa_nodes);
}

/* Fewer host LLCs than guest LLCs: the vCPUs in order over every
 * available CPU in LLC order, the service CPU the next one. */
static int pack(const struct kt_host_topo *h, uint64_t avail, const struct ktstr_topo *g, unsigned need,
		struct kt_placement *out, char *why, size_t len)
{
	unsigned v = 0, have = 0, per = g->cores * g->threads;

	for (unsigned l = 0; l < h->nllcs; l++)
		if (usable(h, avail, l))
			have += h->llc[l].ncpus;
	if (have < need) {
		snprintf(why, len, "%u vCPUs and a service CPU need %u host CPUs; %u are free for this run", out->nvcpus,
			 need, have);
		return -ENOSPC;
	}
	out->flags |= KT_PLACE_SHARED_LLC;
	for (unsigned l = 0; l < h->nllcs && v <= out->nvcpus; l++) {
		if (!usable(h, avail, l))
			continue;
		for (unsigned i = 0; i < h->llc[l].ncpus && v <= out->nvcpus; i++, v++) {
			if (v < out->nvcpus) {
				out->vcpu_cpu[v] = (int)h->llc[l].cpus[i];
				if (out->node_host[node_of(g, v / per)] < 0)
					out->node_host[node_of(g, v / per)] = h->llc[l].node;
			} else {
				out->service_cpu = (int)h->llc[l].cpus[i];
			}
			out->llcs |= 1ull << l;
		}
	}
	return 0;
}

int kt_place_perf(const struct kt_host_topo *h, uint64_t avail, const struct ktstr_topo *g, unsigned cap,
		  struct kt_placement *out, char *why, size_t len)
{
	unsigned per, n, need, chosen[KT_PLACE_MAX_LLCS], nch = 0;

	if (!g->llcs || !g->cores || !g->threads || !g->numa_nodes || g->numa_nodes > 8 ||
	    g->llcs % g->numa_nodes) {
		snprintf(why, len, "bad guest topology");
		return -EINVAL;
	}
	per = g->cores * g->threads;
	n = g->llcs * per;
	if (n > KT_PLACE_MAX_VCPUS) {
		snprintf(why, len, "%u vCPUs: at most %d can be placed", n, KT_PLACE_MAX_VCPUS);
		return -ENOSPC;
	}
	reset(out, n);
	need = n + 1;
	if (cap && cap < need) {
		snprintf(why, len, "--cpu-cap %u is below the %u host CPUs perf mode needs (%u vCPUs and a service CPU)",
			 cap, need, n);
		return -ENOSPC;
	}
	for (unsigned l = 0; l < h->nllcs && nch < g->llcs; l++)
		if (usable(h, avail, l) && h->llc[l].ncpus >= per)
			chosen[nch++] = l;
	if (nch < g->llcs)
		return pack(h, avail, g, need, out, why, len);
	for (unsigned gl = 0; gl < g->llcs; gl++) {
		const struct kt_host_llc *hl = &h->llc[chosen[gl]];

		for (unsigned i = 0; i < per; i++)
			out->vcpu_cpu[gl * per + i] = (int)hl->cpus[i];
		out->llcs |= 1ull << chosen[gl];
		if (out->node_host[node_of(g, gl)] < 0)
			out->node_host[node_of(g, gl)] = hl->node;
	}
	/* The service CPU: a spare one of a used LLC (the last), else
	 * another LLC's. */
	for (unsigned gl = g->llcs; gl-- > 0 && out->service_cpu < 0;)
		if (h->llc[chosen[gl]].ncpus > per)
			out->service_cpu = (int)h->llc[chosen[gl]].cpus[h->llc[chosen[gl]].ncpus - 1];
	for (unsigned l = 0; l < h->nllcs && out->service_cpu < 0; l++)
		if (usable(h, avail, l) && !(out->llcs >> l & 1)) {
			out->service_cpu = (int)h->llc[l].cpus[0];
			out->llcs |= 1ull << l;
		}
	if (out->service_cpu < 0) {
		snprintf(why, len, "no host CPU left for the service thread beside %u vCPUs", n);
		return -ENOSPC;
	}
	return 0;
}

int kt_place_cap(const struct kt_host_topo *h, uint64_t avail, unsigned cap, struct kt_placement *out, char *why,
		 size_t len)
{
	reset(out, 0);
	if (!cap || cap > KT_PLACE_MAX_VCPUS) {
		snprintf(why, len, "--cpu-cap %u: want 1 to %d", cap, KT_PLACE_MAX_VCPUS);
		return -EINVAL;
	}
	for (unsigned l = 0; l < h->nllcs && out->ncpus < cap; l++) {
		if (!usable(h, avail, l))
			continue;
		for (unsigned i = 0; i < h->llc[l].ncpus && out->ncpus < cap; i++)
			out->cpus[out->ncpus++] = h->llc[l].cpus[i];
		out->llcs |= 1ull << l;
	}
	if (out->ncpus < cap) {
		snprintf(why, len, "--cpu-cap %u: only %u host CPUs are free for this run", cap, out->ncpus);
		return -ENOSPC;
	}
	return 0;
}
