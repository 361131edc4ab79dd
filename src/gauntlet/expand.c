/* Gauntlet expansion: constraints, --presets, variants and their feature
 * sets (see gauntlet.h).  Pure functions. */
#include "gauntlet/gauntlet.h"
#include "model/defaults.h"
#include <ktstr/scenario.h>
#include "model/ctx.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void kt_test_constraints(const struct ktstr_test *t, struct kt_constraints *out)
{
	struct ktstr_topo own;

	kt_test_topo(t, &own);
	out->min_numa = t->min_numa_nodes ? t->min_numa_nodes : 1;
	/* A test declared on several NUMA nodes is about NUMA: its default
	 * maximum is at least its own node count. */
	out->max_numa = t->max_numa_nodes ? t->max_numa_nodes
		      : own.numa_nodes > KT_DEF_MAX_NUMA ? own.numa_nodes : KT_DEF_MAX_NUMA;
	out->min_llcs = t->min_llcs ? t->min_llcs : 1;
	out->max_llcs = t->max_llcs ? t->max_llcs : KT_DEF_MAX_LLCS;
	out->min_cpus = t->min_cpus ? t->min_cpus : 1;
	out->max_cpus = t->max_cpus ? t->max_cpus : KT_DEF_MAX_CPUS;
	out->requires_smt = t->requires_smt;
	/* A declared minimum above a default maximum lifts that maximum:
	 * `.min_numa_nodes = 2` alone means "at least 2". */
	if (!t->max_numa_nodes && out->min_numa > out->max_numa)
		out->max_numa = UINT_MAX;
	if (!t->max_llcs && out->min_llcs > out->max_llcs)
		out->max_llcs = UINT_MAX;
	if (!t->max_cpus && out->min_cpus > out->max_cpus)
		out->max_cpus = UINT_MAX;
}

int kt_constraints_check(const struct ktstr_test *t, char *err, size_t len)
{
	struct kt_constraints c;

	kt_test_constraints(t, &c);
	if (c.min_numa > c.max_numa)
		snprintf(err, len, "test %s: min_numa_nodes %u > max_numa_nodes %u", t->name, c.min_numa, c.max_numa);
	else if (c.min_llcs > c.max_llcs)
		snprintf(err, len, "test %s: min_llcs %u > max_llcs %u", t->name, c.min_llcs, c.max_llcs);
	else if (c.min_cpus > c.max_cpus)
		snprintf(err, len, "test %s: min_cpus %u > max_cpus %u", t->name, c.min_cpus, c.max_cpus);
	else
		return 0;
	return -EINVAL;
}

bool kt_constraints_accept(const struct kt_constraints *c, const struct ktstr_topo *t)
{
	unsigned cpus = ktstr_topo_cpus(t);

	return t->numa_nodes >= c->min_numa && t->numa_nodes <= c->max_numa && t->llcs >= c->min_llcs &&
	       t->llcs <= c->max_llcs && cpus >= c->min_cpus && cpus <= c->max_cpus &&
	       (!c->requires_smt || t->threads >= 2);
}

int kt_presets_parse(const char *s, const struct kt_preset **out, size_t max, size_t *n, char *err, size_t len)
{
	bool want[64] = { false };
	const char *p = s;

	*n = 0;
	if (kt_npresets > ARRAY_SIZE(want)) {
		snprintf(err, len, "too many presets");
		return -E2BIG;
	}
	if (!s || !*s) {
		snprintf(err, len, "empty list: give preset names separated by commas, or 'all' (see `ktstr topo`)");
		return -EINVAL;
	}
	while (*p) {
		size_t l = strcspn(p, ",");
		bool found = false;

		if (l == 3 && !strncmp(p, "all", 3)) {
			for (size_t i = 0; i < kt_npresets; i++)
				want[i] = true;
			found = true;
		}
		for (size_t i = 0; !found && i < kt_npresets; i++)
			if (strlen(kt_presets[i].name) == l && !strncmp(kt_presets[i].name, p, l))
				want[i] = found = true;
		if (!found) {
			snprintf(err, len, "unknown preset '%.*s'; `ktstr topo` lists them (or use 'all')", (int)l, p);
			return -EINVAL;
		}
		p += l;
		if (*p == ',' && !*++p) {
			snprintf(err, len, "trailing comma");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < kt_npresets; i++)
		if (want[i]) {
			if (*n >= max) {
				snprintf(err, len, "more than %zu presets", max);
				return -E2BIG;
			}
			out[(*n)++] = &kt_presets[i];
		}
	return 0;
}

unsigned kt_gauntlet_memory_mb(const struct ktstr_test *t, const struct ktstr_topo *topo)
{
	unsigned want = kt_default_memory_mb(t, 0, 0, 0), per_cpu = ktstr_topo_cpus(topo) * 64;

	return per_cpu > want ? per_cpu : want;
}

int kt_gauntlet_expand(const struct kt_case *in, size_t n, const struct kt_preset *const *presets, size_t np,
		       struct kt_case **out, size_t *nout)
{
	struct kt_case *v = NULL;
	size_t cnt = 0, cap = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ktstr_test *t = in[i].t;
		const char *slash = strchr(in[i].name, '/');
		struct kt_constraints c;

		if (t->nested)
			continue; /* the nested rig picks its L2 topologies itself */
		kt_test_constraints(t, &c);
		for (size_t k = 0; k < np; k++) {
			struct ktstr_topo topo;
			char err[256], ts[32];
			struct kt_case *x;

			if (ktstr_topo_parse(presets[k]->topo, &topo, err, sizeof(err)) ||
			    !kt_constraints_accept(&c, &topo) || kt_scenario_validate(t, &topo, err, sizeof(err)))
				continue;
			if (cnt == cap) {
				struct kt_case *nv;

				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			x = &v[cnt++];
			*x = in[i];
			ktstr_topo_format(&topo, ts, sizeof(ts));
			snprintf(x->name, sizeof(x->name), "%s@%s%s", t->name, ts, slash ? slash : "");
			x->have_topo = true;
			x->topo = topo;
			x->preset = presets[k]->name;
			x->memory_mb = kt_gauntlet_memory_mb(t, &topo);
		}
	}
	*out = v;
	*nout = cnt;
	return 0;
}

const char *kt_cpu_class(unsigned cpus)
{
	return cpus <= 4 ? "cpus<=4" : cpus <= 8 ? "cpus=5-8" : cpus <= 16 ? "cpus=9-16" : cpus <= 32 ? "cpus=17-32"
	       : cpus <= 64 ? "cpus=33-64" : cpus <= 128 ? "cpus=65-128" : "cpus>128";
}

const char *kt_llc_class(unsigned llcs)
{
	return llcs <= 1 ? "llcs=1" : llcs == 2 ? "llcs=2" : llcs <= 4 ? "llcs=3-4" : llcs <= 8 ? "llcs=5-8" : "llcs>8";
}

static size_t put(char (*feat)[KT_FEAT_LEN], unsigned *weight, size_t n, size_t max, unsigned w, const char *a,
		  const char *b)
{
	size_t la = strnlen(a, KT_FEAT_LEN - 1), lb = b ? strnlen(b, KT_FEAT_LEN - 1 - la) : 0;

	if (n >= max)
		return n;
	memcpy(feat[n], a, la);
	if (lb)
		memcpy(feat[n] + la, b, lb);
	feat[n][la + lb] = '\0';
	weight[n] = w;
	return n + 1;
}

/* Weights: a test is worth most (every test should run at least once),
 * then each flag, then each topology dimension, then the pairs that make
 * a larger budget buy more combinations. */
#define W_TEST 8u
#define W_FLAG 4u
#define W_DIM 3u
#define W_PAIR 1u

size_t kt_variant_features(const struct kt_case *c, char (*feat)[KT_FEAT_LEN], unsigned *weight, size_t max)
{
	const char *dims[8], *slash = strchr(c->name, '/');
	char tn[KT_FEAT_LEN], flag[KT_FEAT_LEN];
	struct ktstr_topo topo;
	size_t n = 0, nd = 0;

	kt_case_topo(c, false, NULL, &topo);
	snprintf(tn, sizeof(tn), "%.80s", c->t->name);
	n = put(feat, weight, n, max, W_TEST, "test:", tn);
	if (topo.numa_nodes > 1)
		dims[nd++] = "numa>1";
	if (topo.threads > 1)
		dims[nd++] = "smt";
	if (topo.llcs > 1)
		dims[nd++] = "multi-llc";
	dims[nd++] = kt_cpu_class(ktstr_topo_cpus(&topo));
	dims[nd++] = kt_llc_class(topo.llcs);
	for (size_t d = 0; d < nd; d++) {
		char pair[KT_FEAT_LEN];

		n = put(feat, weight, n, max, W_DIM, dims[d], NULL);
		snprintf(pair, sizeof(pair), "%.60s x %s", tn, dims[d]);
		n = put(feat, weight, n, max, W_PAIR, pair, NULL);
	}
	/* Flags of the profile ("test@topo/a+b"): each flag, and each with
	 * the test. */
	for (const char *p = slash ? slash + 1 : NULL; p && *p;) {
		size_t l = strcspn(p, "+");
		char pair[KT_FEAT_LEN];

		snprintf(flag, sizeof(flag), "flag:%.*s", (int)(l < 80 ? l : 80), p);
		n = put(feat, weight, n, max, W_FLAG, flag, NULL);
		snprintf(pair, sizeof(pair), "%.40s x %.50s", tn, flag);
		n = put(feat, weight, n, max, W_PAIR, pair, NULL);
		p += l;
		if (*p == '+')
			p++;
	}
	return n;
}
