/* Topology strings and CPU -> LLC/node/core math. */
#include <ktstr/topology.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ktstr_topo_parse(const char *s, struct ktstr_topo *t, char *err, size_t errlen)
{
	static const char order[] = "nlct";
	unsigned vals[4] = { 0 };
	const char *p = s;

	if (!s || !*s) {
		snprintf(err, errlen, "empty topology (expected e.g. 1n2l2c1t)");
		return -EINVAL;
	}
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long v;

		if (*p < '0' || *p > '9') {
			snprintf(err, errlen, "topology '%s': expected a number before '%c' (format NnNlNcNt, e.g. 1n2l2c1t)",
				 s, order[i]);
			return -EINVAL;
		}
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v > 4096 || *end != order[i]) {
			snprintf(err, errlen, "topology '%s': bad '%c' field (format NnNlNcNt, e.g. 1n2l2c1t)", s,
				 order[i]);
			return -EINVAL;
		}
		vals[i] = (unsigned)v;
		p = end + 1;
	}
	if (*p) {
		snprintf(err, errlen, "topology '%s': trailing '%s' (format NnNlNcNt, e.g. 1n2l2c1t)", s, p);
		return -EINVAL;
	}
	t->numa_nodes = vals[0];
	t->llcs = vals[1];
	t->cores = vals[2];
	t->threads = vals[3];
	return ktstr_topo_validate(t, err, errlen);
}

int ktstr_topo_validate(const struct ktstr_topo *t, char *err, size_t errlen)
{
	unsigned long cpus = (unsigned long)t->llcs * t->cores * t->threads;

	if (!t->numa_nodes || !t->llcs || !t->cores || !t->threads) {
		snprintf(err, errlen, "topology %un%ul%uc%ut: every dimension must be at least 1", t->numa_nodes,
			 t->llcs, t->cores, t->threads);
		return -EINVAL;
	}
	if (t->llcs % t->numa_nodes) {
		snprintf(err, errlen, "topology %un%ul%uc%ut: %u LLCs cannot be spread evenly over %u NUMA nodes",
			 t->numa_nodes, t->llcs, t->cores, t->threads, t->llcs, t->numa_nodes);
		return -EINVAL;
	}
	if (cpus > KTSTR_MAX_CPUS) {
		snprintf(err, errlen, "topology %un%ul%uc%ut: %lu CPUs, at most %d are supported", t->numa_nodes,
			 t->llcs, t->cores, t->threads, cpus, KTSTR_MAX_CPUS);
		return -EINVAL;
	}
	return 0;
}

void ktstr_topo_format(const struct ktstr_topo *t, char *buf, size_t len)
{
	snprintf(buf, len, "%un%ul%uc%ut", t->numa_nodes, t->llcs, t->cores, t->threads);
}

unsigned ktstr_topo_cpu_llc(const struct ktstr_topo *t, unsigned cpu)
{
	return cpu / (t->cores * t->threads);
}

unsigned ktstr_topo_cpu_node(const struct ktstr_topo *t, unsigned cpu)
{
	return ktstr_topo_cpu_llc(t, cpu) / (t->llcs / t->numa_nodes);
}

unsigned ktstr_topo_cpu_core(const struct ktstr_topo *t, unsigned cpu)
{
	return cpu / t->threads;
}

int ktstr_topo_llc_cpus(const struct ktstr_topo *t, unsigned l, char *buf, size_t len)
{
	unsigned per = t->cores * t->threads;

	if (l >= t->llcs)
		return -EINVAL;
	if (per == 1)
		snprintf(buf, len, "%u", l);
	else
		snprintf(buf, len, "%u-%u", l * per, l * per + per - 1);
	return 0;
}
