#include "unit.h"
#include "model/placement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A host of nllcs LLCs of `per` CPUs each, numbered in order, `nodes`
 * nodes (LLCs split evenly). */
static struct kt_host_topo *host(unsigned nllcs, unsigned per, unsigned nodes)
{
	struct kt_host_topo *h = calloc(1, sizeof(*h));

	if (!h)
		abort();
	h->nllcs = nllcs;
	for (unsigned l = 0; l < nllcs; l++) {
		h->llc[l].ncpus = per;
		h->llc[l].node = (int)(l / (nllcs / nodes));
		for (unsigned i = 0; i < per; i++)
			h->llc[l].cpus[i] = l * per + i;
	}
	return h;
}

static struct kt_placement pl;

UNIT_TEST(place_perf_distinct_llcs)
{
	struct kt_host_topo *h = host(4, 8, 2);
	struct ktstr_topo g = { .numa_nodes = 2, .llcs = 2, .cores = 4, .threads = 1 };
	char why[160];

	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &g, 0, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.nvcpus, 8);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ_INT(pl.vcpu_cpu[i], (int)i);     /* guest LLC 0 on host LLC 0 */
		CHECK_EQ_INT(pl.vcpu_cpu[4 + i], 8 + (int)i); /* guest LLC 1 on host LLC 1 */
	}
	CHECK_EQ_INT(pl.service_cpu, 15); /* the spare last CPU of the last used LLC */
	CHECK_EQ_INT(pl.llcs, 0x3);
	CHECK_EQ_INT(pl.flags, 0);
	CHECK_EQ_INT(pl.node_host[0], 0);
	CHECK_EQ_INT(pl.node_host[1], 0);
	/* LLCs 0 and 2 held by another run: 1 and 3 are taken. */
	CHECK_EQ_INT(kt_place_perf(h, 0xa, &g, 0, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.vcpu_cpu[0], 8);
	CHECK_EQ_INT(pl.vcpu_cpu[4], 24);
	CHECK_EQ_INT(pl.llcs, 0xa);
	CHECK_EQ_INT(pl.node_host[1], 1);
	free(h);
}

UNIT_TEST(place_perf_full_llcs_take_another_for_service)
{
	struct kt_host_topo *h = host(3, 4, 1);
	struct ktstr_topo g = { .numa_nodes = 1, .llcs = 2, .cores = 2, .threads = 2 };
	char why[160];

	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &g, 0, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.service_cpu, 8); /* LLCs 0 and 1 are full */
	CHECK_EQ_INT(pl.llcs, 0x7);
	/* Only two LLCs free: no service CPU. */
	CHECK_EQ_INT(kt_place_perf(h, 0x3, &g, 0, &pl, why, sizeof(why)), -ENOSPC);
	CHECK(strstr(why, "service"));
	free(h);
}

UNIT_TEST(place_perf_shared_llcs_when_few)
{
	/* This project's machines: one LLC of 2 CPUs. */
	struct kt_host_topo *h = host(1, 2, 1);
	struct ktstr_topo one = { .numa_nodes = 1, .llcs = 1, .cores = 1, .threads = 1 };
	struct ktstr_topo two = { .numa_nodes = 1, .llcs = 2, .cores = 1, .threads = 1 };
	char why[160];

	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &one, 0, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.vcpu_cpu[0], 0);
	CHECK_EQ_INT(pl.service_cpu, 1);
	CHECK_EQ_INT(pl.flags, 0);
	free(h);
	h = host(1, 4, 1);
	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &two, 0, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.flags, KT_PLACE_SHARED_LLC);
	CHECK_EQ_INT(pl.vcpu_cpu[0], 0);
	CHECK_EQ_INT(pl.vcpu_cpu[1], 1);
	CHECK_EQ_INT(pl.service_cpu, 2);
	/* 4 vCPUs + 1 do not fit 4 CPUs. */
	struct ktstr_topo four = { .numa_nodes = 1, .llcs = 2, .cores = 2, .threads = 1 };
	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &four, 0, &pl, why, sizeof(why)), -ENOSPC);
	CHECK(strstr(why, "need 5 host CPUs"));
	CHECK_EQ_INT(kt_place_perf(h, 0, &one, 0, &pl, why, sizeof(why)), -ENOSPC); /* nothing free */
	free(h);
}

UNIT_TEST(place_perf_cap_and_bad_input)
{
	struct kt_host_topo *h = host(4, 8, 1);
	struct ktstr_topo g = { .numa_nodes = 1, .llcs = 2, .cores = 4, .threads = 1 };
	struct ktstr_topo bad = { .numa_nodes = 2, .llcs = 3, .cores = 1, .threads = 1 };
	char why[160];

	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &g, 8, &pl, why, sizeof(why)), -ENOSPC);
	CHECK(strstr(why, "--cpu-cap 8"));
	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &g, 9, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &bad, 0, &pl, why, sizeof(why)), -EINVAL);
	g.cores = 200;
	g.llcs = 4;
	CHECK_EQ_INT(kt_place_perf(h, ~0ull, &g, 0, &pl, why, sizeof(why)), -ENOSPC);
	free(h);
}

UNIT_TEST(place_cap)
{
	struct kt_host_topo *h = host(3, 4, 1);
	char why[160];

	CHECK_EQ_INT(kt_place_cap(h, ~0ull, 6, &pl, why, sizeof(why)), 0);
	CHECK_EQ_INT(pl.ncpus, 6);
	CHECK_EQ_INT(pl.cpus[0], 0);
	CHECK_EQ_INT(pl.cpus[5], 5);
	CHECK_EQ_INT(pl.llcs, 0x3);
	CHECK_EQ_INT(kt_place_cap(h, 0x4, 3, &pl, why, sizeof(why)), 0); /* only LLC 2 */
	CHECK_EQ_INT(pl.cpus[0], 8);
	CHECK_EQ_INT(pl.llcs, 0x4);
	CHECK_EQ_INT(kt_place_cap(h, 0x4, 5, &pl, why, sizeof(why)), -ENOSPC);
	CHECK_EQ_INT(kt_place_cap(h, ~0ull, 0, &pl, why, sizeof(why)), -EINVAL);
	free(h);
}
