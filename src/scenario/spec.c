/* Cpuset specs and affinity kinds resolved against a topology (reference
 * §2.6, §2.7), and the validation of scenario data.  Pure functions. */
#include <ktstr/scenario.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void ktstr_topo_usable(const struct ktstr_topo *t, struct ktstr_cpumask *out)
{
	unsigned n = ktstr_topo_cpus(t);

	kmask_zero(out);
	if (n > 2)
		n--;
	for (unsigned c = 0; c < n; c++)
		kmask_set(out, c);
}

/* The i-th set CPU of m, -1 if none. */
static void take_range(const struct ktstr_cpumask *m, unsigned from, unsigned to, struct ktstr_cpumask *out)
{
	unsigned k = 0;

	kmask_zero(out);
	for (unsigned c = 0; c < KTSTR_MASK_BITS; c++)
		if (kmask_test(m, c)) {
			if (k >= from && k < to)
				kmask_set(out, c);
			k++;
		}
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static int parts(const struct ktstr_cpuset_spec *s, unsigned len, char *err, size_t errlen)
{
	if (!s->of)
		return BAD("cpuset: of must be > 0");
	if (s->index >= s->of)
		return BAD("cpuset: index %u must be < of %u", s->index, s->of);
	if (len < s->of)
		return BAD("cpuset: %u usable CPUs cannot be split into %u parts", len, s->of);
	return 0;
}

int ktstr_cpuset_resolve(const struct ktstr_topo *t, const struct ktstr_cpuset_spec *s, struct ktstr_cpumask *out,
			 char *err, size_t errlen)
{
	struct ktstr_cpumask usable;
	unsigned n = ktstr_topo_cpus(t), len, chunk, a, b;

	kmask_zero(out);
	ktstr_topo_usable(t, &usable);
	len = kt_mask_weight(&usable);
	switch (s->kind) {
	case KTSTR_CS_NONE:
		return 0;
	case KTSTR_CS_LLC:
		if (s->index >= t->llcs)
			return BAD("cpuset: llc index %u out of range (%u LLCs)", s->index, t->llcs);
		for (unsigned c = 0; c < n; c++)
			if (ktstr_topo_cpu_llc(t, c) == s->index)
				kmask_set(out, c);
		return 0;
	case KTSTR_CS_NUMA:
		if (s->index >= t->numa_nodes)
			return BAD("cpuset: numa node %u out of range (%u nodes)", s->index, t->numa_nodes);
		for (unsigned c = 0; c < n; c++)
			if (ktstr_topo_cpu_node(t, c) == s->index)
				kmask_set(out, c);
		return 0;
	case KTSTR_CS_RANGE:
		if (!isfinite(s->start) || !isfinite(s->end) || s->start < 0 || s->end > 1 || s->start >= s->end)
			return BAD("cpuset: range %g..%g must satisfy 0 <= start < end <= 1", s->start, s->end);
		a = (unsigned)floor(len * s->start);
		b = (unsigned)floor(len * s->end);
		take_range(&usable, a, b, out);
		if (!kt_mask_weight(out))
			return BAD("cpuset: range %g..%g of %u usable CPUs is empty", s->start, s->end, len);
		return 0;
	case KTSTR_CS_DISJOINT:
	case KTSTR_CS_OVERLAP: {
		int r = parts(s, len, err, errlen);
		unsigned ov = 0;

		if (r)
			return r;
		chunk = len / s->of;
		if (s->kind == KTSTR_CS_OVERLAP) {
			if (!isfinite(s->frac) || s->frac < 0 || s->frac > 1)
				return BAD("cpuset: overlap frac %g must be in [0, 1]", s->frac);
			ov = (unsigned)floor(chunk * s->frac);
		}
		a = s->index * chunk;
		b = s->index + 1 == s->of ? len : (s->index + 1) * chunk;
		if (s->kind == KTSTR_CS_OVERLAP) {
			a = s->index ? a - ov : 0;
			b = s->index + 1 == s->of ? len : (b + ov < len ? b + ov : len);
		}
		take_range(&usable, a, b, out);
		return 0;
	}
	case KTSTR_CS_EXACT:
		if (!s->cpus || kt_mask_parse(s->cpus, out))
			return BAD("cpuset: exact list '%s' is not a cpulist", s->cpus ? s->cpus : "(null)");
		if (!kt_mask_weight(out))
			return BAD("cpuset: exact list is empty");
		for (unsigned c = n; c < KTSTR_MASK_BITS; c++)
			if (kmask_test(out, c))
				return BAD("cpuset: CPU %u of '%s' is outside the topology (%u CPUs)", c, s->cpus, n);
		return 0;
	}
	return BAD("cpuset: unknown kind %d", (int)s->kind);
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int ktstr_affinity_resolve(const struct ktstr_topo *t, enum ktstr_affinity k, const char *cpus,
			   const struct ktstr_cpumask *cpuset, uint64_t *rng, struct ktstr_cpumask *out, bool *none,
			   char *err, size_t errlen)
{
	struct ktstr_cpumask pool, all;
	unsigned n = ktstr_topo_cpus(t), best = 0, bestw = 0;

	kmask_zero(&all);
	for (unsigned c = 0; c < n; c++)
		kmask_set(&all, c);
	pool = cpuset && kt_mask_weight(cpuset) ? *cpuset : all;
	*none = false;
	kmask_zero(out);
	switch (k) {
	case KTSTR_AFF_INHERIT:
		*none = true;
		return 0;
	case KTSTR_AFF_RANDOM: {
		unsigned want = kt_mask_weight(&pool) / 2, have = 0;
		unsigned cand[KTSTR_MASK_BITS], nc = 0;

		if (!want)
			want = 1;
		for (unsigned c = 0; c < KTSTR_MASK_BITS; c++)
			if (kmask_test(&pool, c))
				cand[nc++] = c;
		while (have < want && nc) {
			unsigned i = (unsigned)(xs(rng) % nc);

			kmask_set(out, cand[i]);
			cand[i] = cand[--nc];
			have++;
		}
		return 0;
	}
	case KTSTR_AFF_LLC:
		for (unsigned l = 0; l < t->llcs; l++) {
			struct ktstr_cpumask m;
			unsigned w;

			kmask_zero(&m);
			for (unsigned c = 0; c < n; c++)
				if (ktstr_topo_cpu_llc(t, c) == l)
					kmask_set(&m, c);
			kt_mask_and(&m, &pool);
			w = kt_mask_weight(&m);
			if (w > bestw) {
				bestw = w;
				best = l;
				*out = m;
			}
		}
		(void)best;
		*none = !bestw;
		return 0;
	case KTSTR_AFF_CROSS:
		*out = all;
		return 0;
	case KTSTR_AFF_SINGLE:
		kmask_set(out, (unsigned)kt_mask_first(&pool));
		return 0;
	case KTSTR_AFF_EXACT:
		if (!cpus || kt_mask_parse(cpus, out) || !kt_mask_weight(out))
			return BAD("affinity_cpus: '%s' is not a non-empty cpulist", cpus ? cpus : "(null)");
		for (unsigned c = n; c < KTSTR_MASK_BITS; c++)
			if (kmask_test(out, c))
				return BAD("affinity_cpus: CPU %u is outside the topology (%u CPUs)", c, n);
		if (cpuset && kt_mask_weight(cpuset)) {
			kt_mask_and(out, cpuset);
			*none = !kt_mask_weight(out);
		}
		return 0;
	}
	return BAD("affinity: unknown kind %d", (int)k);
}
