/* Budget selection: weighted maximum coverage under a cost budget (see
 * gauntlet.h).  Exhaustive branch and bound for small inputs, greedy by
 * marginal weight per cost otherwise.  Pure; integer arithmetic only, so
 * the same input always gives the same choice. */
#include "gauntlet/gauntlet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sel {
	const struct kt_budget_item *items;
	size_t n, words;
	const uint32_t *weights;
	uint64_t budget;
	uint64_t *item_bits;   /* n x words */
	/* exhaustive search */
	uint64_t *suffix;      /* (n+1) x words: union of items i.. */
	uint64_t *stack;       /* (n+1) x words: covered at depth i */
	bool *cur, *best;
	uint64_t best_w, best_c;
	bool have_best;
};

static uint64_t *row(uint64_t *m, size_t words, size_t i)
{
	return m + i * words;
}

static uint64_t weight_of(const struct sel *s, const uint64_t *bits)
{
	uint64_t w = 0;

	for (size_t k = 0; k < s->words; k++)
		for (uint64_t b = bits[k]; b; b &= b - 1)
			w += s->weights[k * 64 + (size_t)__builtin_ctzll(b)];
	return w;
}

/* Weight item i adds to covered. */
static uint64_t marginal(const struct sel *s, size_t i, const uint64_t *covered)
{
	const uint64_t *ib = row(s->item_bits, s->words, i);
	uint64_t w = 0;

	for (size_t k = 0; k < s->words; k++)
		for (uint64_t b = ib[k] & ~covered[k]; b; b &= b - 1)
			w += s->weights[k * 64 + (size_t)__builtin_ctzll(b)];
	return w;
}

static void cover(const struct sel *s, size_t i, uint64_t *covered)
{
	const uint64_t *ib = row(s->item_bits, s->words, i);

	for (size_t k = 0; k < s->words; k++)
		covered[k] |= ib[k];
}

/* Depth-first, including item i before excluding it.  The bound is the
 * weight of everything items i.. could still add. */
static void dfs(struct sel *s, size_t i, uint64_t w, uint64_t c)
{
	uint64_t *cov = row(s->stack, s->words, i), bound = w, *suf = row(s->suffix, s->words, i);

	if (!s->have_best || w > s->best_w || (w == s->best_w && c < s->best_c)) {
		s->have_best = true;
		s->best_w = w;
		s->best_c = c;
		memcpy(s->best, s->cur, s->n * sizeof(*s->best));
	}
	if (i == s->n)
		return;
	for (size_t k = 0; k < s->words; k++)
		for (uint64_t b = suf[k] & ~cov[k]; b; b &= b - 1)
			bound += s->weights[k * 64 + (size_t)__builtin_ctzll(b)];
	if (bound < s->best_w || (bound == s->best_w && c >= s->best_c))
		return;
	if (s->items[i].cost_ms <= s->budget - c) {
		uint64_t m = marginal(s, i, cov);

		if (m) { /* an item adding nothing only adds cost */
			uint64_t *next = row(s->stack, s->words, i + 1);

			memcpy(next, cov, s->words * sizeof(*next));
			cover(s, i, next);
			s->cur[i] = true;
			dfs(s, i + 1, w + m, c + s->items[i].cost_ms);
			s->cur[i] = false;
		}
	}
	memcpy(row(s->stack, s->words, i + 1), cov, s->words * sizeof(*cov));
	dfs(s, i + 1, w, c);
}

/* Greedy from the items already set in chosen (their cost must fit). */
static void greedy(const struct sel *s, bool *chosen, uint64_t *covered, uint64_t *w, uint64_t *c)
{
	for (;;) {
		size_t best = s->n;
		uint64_t bm = 0, bc = 0;

		for (size_t i = 0; i < s->n; i++) {
			uint64_t m, ci = s->items[i].cost_ms;

			if (chosen[i] || ci > s->budget - *c || !(m = marginal(s, i, covered)))
				continue;
			/* m/ci > bm/bc, then more weight, then less cost */
			if (best == s->n || m * bc > bm * ci || (m * bc == bm * ci && (m > bm || (m == bm && ci < bc)))) {
				best = i;
				bm = m;
				bc = ci;
			}
		}
		if (best == s->n)
			return;
		chosen[best] = true;
		cover(s, best, covered);
		*w += bm;
		*c += bc;
	}
}

static int run_greedy(struct sel *s, bool *chosen, struct kt_budget_result *res)
{
	bool *b = calloc(s->n, sizeof(*b));
	uint64_t *cov_a = calloc(s->words, sizeof(*cov_a)), *cov_b = calloc(s->words, sizeof(*cov_b));
	uint64_t wa = 0, ca = 0, wb = 0, cb = 0, heavy_w = 0;
	size_t heavy = s->n;

	if (!b || !cov_a || !cov_b) {
		free(b);
		free(cov_a);
		free(cov_b);
		return -ENOMEM;
	}
	memset(chosen, 0, s->n * sizeof(*chosen));
	greedy(s, chosen, cov_a, &wa, &ca);
	/* The heaviest single item that fits, then greedy on from it. */
	for (size_t i = 0; i < s->n; i++) {
		uint64_t w = weight_of(s, row(s->item_bits, s->words, i));

		if (s->items[i].cost_ms <= s->budget && w > heavy_w) {
			heavy = i;
			heavy_w = w;
		}
	}
	if (heavy < s->n) {
		b[heavy] = true;
		cover(s, heavy, cov_b);
		wb = heavy_w;
		cb = s->items[heavy].cost_ms;
		greedy(s, b, cov_b, &wb, &cb);
		if (wb > wa || (wb == wa && cb < ca)) {
			memcpy(chosen, b, s->n * sizeof(*b));
			wa = wb;
			ca = cb;
		}
	}
	res->weight = wa;
	res->cost_ms = ca;
	free(b);
	free(cov_a);
	free(cov_b);
	return 0;
}

int kt_budget_select(const struct kt_budget_item *items, size_t n, const uint32_t *weights, size_t nfeat,
		     uint64_t budget_ms, bool *chosen, struct kt_budget_result *res)
{
	struct sel s = { .items = items, .n = n, .weights = weights, .budget = budget_ms };
	uint64_t *all;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (!n)
		return 0;
	s.words = nfeat / 64 + 1;
	s.item_bits = calloc(n * s.words, sizeof(uint64_t));
	all = calloc(s.words, sizeof(uint64_t));
	if (!s.item_bits || !all) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!items[i].cost_ms) {
			ret = -EINVAL;
			goto out;
		}
		for (size_t f = 0; f < items[i].nfeat; f++) {
			uint32_t id = items[i].feat[f];

			if (id >= nfeat) {
				ret = -EINVAL;
				goto out;
			}
			row(s.item_bits, s.words, i)[id / 64] |= 1ull << (id % 64);
		}
	}
	if (n <= KT_BUDGET_EXACT_MAX) {
		s.suffix = calloc((n + 1) * s.words, sizeof(uint64_t));
		s.stack = calloc((n + 1) * s.words, sizeof(uint64_t));
		s.cur = calloc(n, sizeof(bool));
		s.best = calloc(n, sizeof(bool));
		if (!s.suffix || !s.stack || !s.cur || !s.best) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t i = n; i-- > 0;) {
			memcpy(row(s.suffix, s.words, i), row(s.suffix, s.words, i + 1), s.words * sizeof(uint64_t));
			cover(&s, i, row(s.suffix, s.words, i));
		}
		dfs(&s, 0, 0, 0);
		memcpy(chosen, s.best, n * sizeof(*chosen));
		res->weight = s.best_w;
		res->cost_ms = s.best_c;
		res->exact = true;
	} else {
		ret = run_greedy(&s, chosen, res);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (chosen[i]) {
			res->nchosen++;
			cover(&s, i, all);
		}
	for (size_t k = 0; k < s.words; k++)
		res->covered += (size_t)__builtin_popcountll(all[k]);
out:
	free(s.item_bits);
	free(s.suffix);
	free(s.stack);
	free(s.cur);
	free(s.best);
	free(all);
	return ret;
}
