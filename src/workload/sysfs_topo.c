/* Topology from sysfs: online CPUs, thread siblings, LLC sharing (the
 * highest cache index of each CPU), NUMA node CPU lists. */
#include "workload/sysfs_topo.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int read_mask(const char *path, struct ktstr_cpumask *m)
{
	char buf[4096];
	int ret = kt_read_file_str(path, buf, sizeof(buf));

	return ret ? ret : kt_mask_parse(buf, m);
}

/* The last-level cache: the highest indexN with a shared_cpu_list. */
static int llc_mask(const char *root, unsigned cpu, struct ktstr_cpumask *m)
{
	char p[512];
	int ret = -ENOENT;

	for (int idx = 0; idx < 8; idx++) {
		struct ktstr_cpumask t;

		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%u/cache/index%d/shared_cpu_list", root, cpu, idx);
		if (read_mask(p, &t))
			continue;
		*m = t;
		ret = 0;
	}
	return ret;
}

static void add_group(struct ktstr_cpumask *groups, unsigned *n, unsigned max, const struct ktstr_cpumask *m)
{
	for (unsigned i = 0; i < *n; i++)
		if (kt_mask_equal(&groups[i], m))
			return;
	if (*n < max)
		groups[(*n)++] = *m;
}

int kt_read_topo(const char *root, struct kt_seen_topo *out)
{
	static struct ktstr_cpumask llc[KTSTR_MAX_CPUS], smt[KTSTR_MAX_CPUS], node[64];
	struct ktstr_cpumask online;
	unsigned nllc = 0, nsmt = 0, nnode = 0;
	char p[512];
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(p, sizeof(p), "%s/devices/system/cpu/online", root);
	ret = read_mask(p, &online);
	if (ret)
		return ret;
	out->cpus = kt_mask_weight(&online);
	for (unsigned cpu = 0; cpu < KTSTR_MAX_CPUS; cpu++) {
		struct ktstr_cpumask m;

		if (!kmask_test(&online, cpu))
			continue;
		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%u/topology/thread_siblings_list", root, cpu);
		if (read_mask(p, &m)) {
			kmask_zero(&m);
			kmask_set(&m, cpu);
		}
		add_group(smt, &nsmt, KTSTR_MAX_CPUS, &m);
		if (llc_mask(root, cpu, &m))
			m = online; /* no cache info: one LLC */
		add_group(llc, &nllc, KTSTR_MAX_CPUS, &m);
	}
	for (unsigned n = 0; n < 64; n++) {
		struct ktstr_cpumask m;

		snprintf(p, sizeof(p), "%s/devices/system/node/node%u/cpulist", root, n);
		if (read_mask(p, &m))
			continue;
		if (kt_mask_weight(&m))
			add_group(node, &nnode, 64, &m);
	}
	if (!nnode) {
		node[0] = online;
		nnode = 1;
	}
	out->llcs = nllc;
	out->nodes = nnode;
	out->llc_size_min = out->smt_min = ~0u;
	for (unsigned i = 0; i < nllc; i++) {
		unsigned w = kt_mask_weight(&llc[i]);

		out->llc_size_min = w < out->llc_size_min ? w : out->llc_size_min;
		out->llc_size_max = w > out->llc_size_max ? w : out->llc_size_max;
		if (i < KT_MAX_LLCS)
			kt_mask_format(&llc[i], out->llc_lists[i], sizeof(out->llc_lists[i]));
	}
	for (unsigned i = 0; i < nsmt; i++) {
		unsigned w = kt_mask_weight(&smt[i]);

		out->smt_min = w < out->smt_min ? w : out->smt_min;
		out->smt_max = w > out->smt_max ? w : out->smt_max;
	}
	if (!nllc)
		out->llc_size_min = 0;
	if (!nsmt)
		out->smt_min = 0;
	out->llcs_within_nodes = true;
	for (unsigned i = 0; i < nllc; i++) {
		bool inside = false;

		for (unsigned j = 0; j < nnode; j++)
			inside |= kt_mask_subset(&llc[i], &node[j]);
		out->llcs_within_nodes &= inside;
	}
	for (unsigned j = 0; j < nnode && j < 8; j++)
		kt_mask_format(&node[j], out->node_lists[j], sizeof(out->node_lists[j]));
	return 0;
}
