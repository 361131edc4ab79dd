#include "unit.h"
#include "gauntlet/gauntlet.h"

#include <errno.h>
#include <stdlib.h>

static const struct ktstr_test plain = { .name = "plain" };

static size_t accepted(const struct ktstr_test *t, const char **names, size_t max)
{
	struct kt_constraints c;
	size_t n = 0;

	kt_test_constraints(t, &c);
	for (size_t i = 0; i < kt_npresets; i++) {
		struct ktstr_topo topo;
		char err[128];

		if (ktstr_topo_parse(kt_presets[i].topo, &topo, err, sizeof(err)))
			unit_fail(__FILE__, __LINE__, "%s: %s", kt_presets[i].topo, err);
		else if (kt_constraints_accept(&c, &topo) && n < max)
			names[n++] = kt_presets[i].name;
		else if (kt_constraints_accept(&c, &topo))
			n++;
	}
	return n;
}

UNIT_TEST(gauntlet_constraints_defaults)
{
	const char *names[32];
	/* NUMA 1..1, LLCs <= 12, CPUs <= 192: the 24 presets minus 5 NUMA,
	 * near-max-llc(-nosmt) (15 LLCs) and max-cpu(-nosmt) (14 LLCs). */
	CHECK_EQ_INT(accepted(&plain, names, 32), 15);
	for (size_t i = 0; i < 15; i++)
		CHECK(strncmp(names[i], "numa", 4) && !strstr(names[i], "max"));
}

UNIT_TEST(gauntlet_constraints_reference_example)
{
	/* The reference's worked example: min_llcs=2 + requires_smt -> 6. */
	static const struct ktstr_test t = { .name = "t", .min_llcs = 2, .requires_smt = true };
	static const char *const want[] = { "smt-2llc", "smt-3llc", "medium-4llc", "medium-8llc", "large-4llc",
					    "large-8llc" };
	const char *names[32];

	CHECK_EQ_INT(accepted(&t, names, 32), 6);
	for (size_t i = 0; i < 6; i++)
		CHECK_EQ_STR(names[i], want[i]);
}

UNIT_TEST(gauntlet_constraints_bounds)
{
	static const struct ktstr_test numa = { .name = "n", .min_numa_nodes = 2 };
	static const struct ktstr_test small = { .name = "s", .max_cpus = 8, .max_llcs = 2 };
	static const struct ktstr_test bad = { .name = "bad", .min_llcs = 4, .max_llcs = 2 };
	static const struct ktstr_test bad_default = { .name = "bd", .min_cpus = 300 };
	const char *names[32];
	char err[128];

	/* A minimum above a default maximum lifts it: NUMA presets with
	 * <= 12 LLCs and <= 192 CPUs (numa2-4llc, numa2-8llc,
	 * numa2-8llc-nosmt, numa4-8llc, numa4-12llc). */
	CHECK_EQ_INT(accepted(&numa, names, 32), 5);
	CHECK_EQ_INT(accepted(&small, names, 32), 3); /* tiny-1llc, tiny-2llc, smt-2llc */
	CHECK_EQ_STR(names[2], "smt-2llc");
	CHECK_EQ_INT(kt_constraints_check(&plain, err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_constraints_check(&bad, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "min_llcs 4 > max_llcs 2") != NULL);
	CHECK_EQ_INT(kt_constraints_check(&bad_default, err, sizeof(err)), 0);
	CHECK_EQ_INT(accepted(&bad_default, names, 32), 0); /* no preset has 300 CPUs */
}

UNIT_TEST(gauntlet_presets_parse)
{
	const struct kt_preset *p[64];
	size_t n;
	char err[256];

	CHECK_EQ_INT(kt_presets_parse("all", p, 64, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, kt_npresets);
	/* preset order, duplicates once */
	CHECK_EQ_INT(kt_presets_parse("smt-2llc,tiny-1llc,smt-2llc", p, 64, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(p[0]->name, "tiny-1llc");
	CHECK_EQ_STR(p[1]->name, "smt-2llc");
	CHECK_EQ_INT(kt_presets_parse("tiny-1llc,nope", p, 64, &n, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'nope'") != NULL);
	CHECK_EQ_INT(kt_presets_parse("", p, 64, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_presets_parse("tiny-1llc,", p, 64, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_presets_parse("tiny", p, 64, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_presets_parse("all", p, 3, &n, err, sizeof(err)), -E2BIG);
}

UNIT_TEST(gauntlet_expand_names_memory)
{
	static const struct ktstr_test t = { .name = "x", .memory_mb = 4096 };
	static const struct ktstr_test nested = { .name = "nest", .nested = true };
	struct kt_case in[3] = { { .t = &t, .name = "x/a+b" }, { .t = &t, .name = "x/default" },
				 { .t = &nested, .name = "nest" } };
	const struct kt_preset *p[3] = { kt_preset_find("tiny-2llc"), kt_preset_find("large-4llc"),
					 kt_preset_find("numa2-4llc") };
	struct kt_case *out;
	size_t n;

	CHECK_EQ_INT(kt_gauntlet_expand(in, 3, p, 3, &out, &n), 0);
	/* numa2 refused by the default constraints, the nested test skipped */
	CHECK_EQ_INT(n, 4);
	if (n == 4) {
		CHECK_EQ_STR(out[0].name, "x@1n2l2c1t/a+b");
		CHECK_EQ_STR(out[1].name, "x@1n4l16c2t/a+b");
		CHECK_EQ_STR(out[2].name, "x@1n2l2c1t/default");
		CHECK(out[0].have_topo && out[0].topo.llcs == 2 && out[0].topo.cores == 2);
		CHECK_EQ_STR(out[1].preset, "large-4llc");
		CHECK_EQ_INT(out[0].memory_mb, 4096);       /* the test's */
		CHECK_EQ_INT(out[1].memory_mb, 128 * 64);   /* 128 CPUs x 64 MiB */
	}
	free(out);
	CHECK_EQ_INT(kt_gauntlet_memory_mb(&plain, &(struct ktstr_topo){ 1, 1, 2, 1 }), 2048);
}

static bool has_feat(char (*f)[KT_FEAT_LEN], size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i], want))
			return true;
	return false;
}

UNIT_TEST(gauntlet_features)
{
	struct kt_case c = { .t = &plain, .name = "plain@2n4l4c2t/llc+steal", .have_topo = true,
			     .topo = { 2, 4, 4, 2 } };
	char f[32][KT_FEAT_LEN];
	unsigned w[32];
	size_t n = kt_variant_features(&c, f, w, 32);

	CHECK(has_feat(f, n, "test:plain"));
	CHECK(has_feat(f, n, "numa>1"));
	CHECK(has_feat(f, n, "smt"));
	CHECK(has_feat(f, n, "multi-llc"));
	CHECK(has_feat(f, n, "cpus=17-32"));
	CHECK(has_feat(f, n, "llcs=3-4"));
	CHECK(has_feat(f, n, "flag:llc"));
	CHECK(has_feat(f, n, "flag:steal"));
	CHECK(has_feat(f, n, "plain x smt"));
	CHECK(has_feat(f, n, "plain x flag:steal"));
	CHECK(!has_feat(f, n, "flag:default"));
	/* a test is worth more than a dimension, a dimension more than a pair */
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(f[i], "test:plain"))
			CHECK(w[i] > 3);
		if (!strcmp(f[i], "plain x smt"))
			CHECK_EQ_INT(w[i], 1);
	}
	c.topo = (struct ktstr_topo){ 1, 1, 4, 1 };
	snprintf(c.name, sizeof(c.name), "plain@1n1l4c1t");
	n = kt_variant_features(&c, f, w, 32);
	CHECK(!has_feat(f, n, "smt") && !has_feat(f, n, "multi-llc") && !has_feat(f, n, "numa>1"));
	CHECK(has_feat(f, n, "cpus<=4") && has_feat(f, n, "llcs=1"));
	CHECK_EQ_INT(kt_variant_features(&c, f, w, 2), 2); /* bounded */
	CHECK_EQ_STR(kt_cpu_class(252), "cpus>128");
	CHECK_EQ_STR(kt_llc_class(15), "llcs>8");
}

/* ---- budget ---- */

static uint32_t rnd_state;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 16;
}

struct inst {
	struct kt_budget_item it[48];
	uint32_t feat[48][8];
	uint32_t w[40];
	size_t n, nfeat;
	uint64_t budget;
};

static void make_inst(struct inst *s, size_t n, size_t nfeat)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->nfeat = nfeat;
	for (size_t f = 0; f < nfeat; f++)
		s->w[f] = 1 + rnd() % 5;
	for (size_t i = 0; i < n; i++) {
		size_t k = 1 + rnd() % 4;

		s->it[i].cost_ms = 100 + rnd() % 900;
		s->it[i].feat = s->feat[i];
		for (size_t j = 0; j < k; j++)
			s->feat[i][s->it[i].nfeat++] = rnd() % nfeat; /* duplicates allowed */
	}
	s->budget = 200 + rnd() % 2500;
}

static uint64_t cover_weight(const struct inst *s, uint32_t mask, uint64_t *cost)
{
	bool cov[40] = { false };
	uint64_t w = 0;

	*cost = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!(mask & (1u << i)))
			continue;
		*cost += s->it[i].cost_ms;
		for (size_t f = 0; f < s->it[i].nfeat; f++)
			cov[s->it[i].feat[f]] = true;
	}
	for (size_t f = 0; f < s->nfeat; f++)
		w += cov[f] ? s->w[f] : 0;
	return w;
}

UNIT_TEST(gauntlet_budget_optimal_vs_brute_force)
{
	rnd_state = 42;
	for (int round = 0; round < 300; round++) {
		struct inst s;
		bool chosen[48];
		struct kt_budget_result r;
		uint64_t best_w = 0, best_c = 0, c, w;
		uint32_t mask = 0;

		make_inst(&s, 1 + rnd() % 12, 4 + rnd() % 30);
		for (uint32_t m = 0; m < (1u << s.n); m++) {
			w = cover_weight(&s, m, &c);
			if (c <= s.budget && (w > best_w || (w == best_w && c < best_c))) {
				best_w = w;
				best_c = c;
			}
		}
		if (kt_budget_select(s.it, s.n, s.w, s.nfeat, s.budget, chosen, &r)) {
			unit_fail(__FILE__, __LINE__, "round %d: select failed", round);
			continue;
		}
		for (size_t i = 0; i < s.n; i++)
			mask |= chosen[i] ? 1u << i : 0;
		w = cover_weight(&s, mask, &c);
		CHECK(r.exact);
		CHECK(c <= s.budget);
		CHECK_EQ_INT(w, best_w);   /* maximal coverage */
		CHECK_EQ_INT(c, best_c);   /* and the cheapest such */
		CHECK_EQ_INT(r.weight, w);
		CHECK_EQ_INT(r.cost_ms, c);
		CHECK_EQ_INT(r.nchosen, (size_t)__builtin_popcount(mask));
	}
}

UNIT_TEST(gauntlet_budget_greedy_respects_budget_and_is_deterministic)
{
	rnd_state = 7;
	for (int round = 0; round < 100; round++) {
		struct inst s;
		bool a[48], b[48];
		struct kt_budget_result ra, rb;
		uint64_t c, w, heavy = 0;

		make_inst(&s, 21 + rnd() % 27, 10 + rnd() % 30);
		CHECK_EQ_INT(kt_budget_select(s.it, s.n, s.w, s.nfeat, s.budget, a, &ra), 0);
		CHECK_EQ_INT(kt_budget_select(s.it, s.n, s.w, s.nfeat, s.budget, b, &rb), 0);
		CHECK(!ra.exact);
		CHECK(!memcmp(a, b, s.n * sizeof(*a)));
		CHECK_EQ_INT(ra.weight, rb.weight);
		CHECK(ra.cost_ms <= s.budget);
		c = 0;
		for (size_t i = 0; i < s.n; i++)
			c += a[i] ? s.it[i].cost_ms : 0;
		CHECK_EQ_INT(c, ra.cost_ms);
		/* never worse than the heaviest single item that fits */
		for (size_t i = 0; i < s.n; i++) {
			bool cov[40] = { false };

			if (s.it[i].cost_ms > s.budget)
				continue;
			w = 0;
			for (size_t f = 0; f < s.it[i].nfeat; f++)
				cov[s.it[i].feat[f]] = true;
			for (size_t f = 0; f < s.nfeat; f++)
				w += cov[f] ? s.w[f] : 0;
			heavy = w > heavy ? w : heavy;
		}
		CHECK(ra.weight >= heavy);
	}
}

UNIT_TEST(gauntlet_budget_heavy_item_beats_ratio)
{
	/* Ratio greedy takes the cheap item first and then cannot afford
	 * the heavy one; seeding with the heaviest item fixes that. */
	static uint32_t f_cheap[] = { 0 }, f_heavy[] = { 1, 2, 3, 4 }, f_none[] = { 5 };
	static uint32_t w[] = { 3, 20, 20, 20, 20, 1 };
	struct kt_budget_item it[24];
	bool ch[24];
	struct kt_budget_result r;

	it[0] = (struct kt_budget_item){ .cost_ms = 1, .feat = f_cheap, .nfeat = 1 };
	it[1] = (struct kt_budget_item){ .cost_ms = 100, .feat = f_heavy, .nfeat = 4 };
	for (int i = 2; i < 24; i++) /* too expensive: pads past the exact limit */
		it[i] = (struct kt_budget_item){ .cost_ms = 1000, .feat = f_none, .nfeat = 1 };
	CHECK_EQ_INT(kt_budget_select(it, 24, w, 6, 100, ch, &r), 0);
	CHECK(!r.exact);
	CHECK(ch[1] && !ch[0]);
	CHECK_EQ_INT(r.weight, 80);
	CHECK_EQ_INT(r.covered, 4);
	/* the exact search agrees on the first two */
	CHECK_EQ_INT(kt_budget_select(it, 2, w, 6, 100, ch, &r), 0);
	CHECK(r.exact && ch[1] && !ch[0]);
	/* budget 101: both */
	CHECK_EQ_INT(kt_budget_select(it, 24, w, 6, 101, ch, &r), 0);
	CHECK(ch[0] && ch[1] && r.nchosen == 2 && r.cost_ms == 101);
}

UNIT_TEST(gauntlet_budget_edges)
{
	static uint32_t f0[] = { 0 }, fbad[] = { 9 };
	static uint32_t w[] = { 1, 1 };
	struct kt_budget_item it[2] = { { .cost_ms = 10, .feat = f0, .nfeat = 1 },
					{ .cost_ms = 10, .feat = f0, .nfeat = 1 } };
	bool ch[2];
	struct kt_budget_result r;

	/* identical items: only the first, the second adds nothing */
	CHECK_EQ_INT(kt_budget_select(it, 2, w, 2, 1000, ch, &r), 0);
	CHECK(ch[0] && !ch[1]);
	/* nothing fits */
	CHECK_EQ_INT(kt_budget_select(it, 2, w, 2, 5, ch, &r), 0);
	CHECK(!ch[0] && !ch[1] && r.nchosen == 0 && r.weight == 0);
	CHECK_EQ_INT(kt_budget_select(it, 0, w, 2, 5, ch, &r), 0);
	it[1].feat = fbad;
	CHECK_EQ_INT(kt_budget_select(it, 2, w, 2, 100, ch, &r), -EINVAL);
	it[1].feat = f0;
	it[1].cost_ms = 0;
	CHECK_EQ_INT(kt_budget_select(it, 2, w, 2, 100, ch, &r), -EINVAL);
}

/* ---- costs ---- */

UNIT_TEST(gauntlet_costs_roundtrip_and_mean)
{
	struct kt_costs c = { 0 }, back;
	struct kbuf j = { 0 };
	const struct kt_cost_entry *e;
	static const char junk[] = "{\"version\":1,\"entries\":{\"a\":{\"overhead_s\":2.5,\"runs\":3},"
				   "\"neg\":{\"overhead_s\":-1,\"runs\":1},\"str\":\"x\",\"nan\":{\"runs\":2},"
				   "\"zero\":{\"overhead_s\":1,\"runs\":0},\"many\":{\"overhead_s\":1,\"runs\":99}}}";

	CHECK_EQ_INT(kt_costs_record(&c, "tcg/t@1n1l2c1t", 10), 0);
	CHECK_EQ_INT(kt_costs_record(&c, "tcg/t@1n1l2c1t", 20), 0);
	e = kt_costs_get(&c, "tcg/t@1n1l2c1t");
	CHECK(e && e->runs == 2);
	CHECK_NEAR(e ? e->overhead_s : 0, 15, 1e-9);
	for (int i = 0; i < 20; i++)
		kt_costs_record(&c, "tcg/t@1n1l2c1t", 40);
	e = kt_costs_get(&c, "tcg/t@1n1l2c1t");
	CHECK(e && e->runs == 8);
	CHECK(e && e->overhead_s > 39 && e->overhead_s < 40);
	CHECK_EQ_INT(kt_costs_record(&c, "x", -1), -EINVAL);
	CHECK_EQ_INT(kt_costs_record(&c, "x", 1.0 / 0.0), -EINVAL);
	CHECK_EQ_INT(kt_costs_record(&c, "kvm/u@2n4l4c2t", 3.25), 0);
	CHECK_EQ_INT(kt_costs_to_json(&c, &j), 0);
	CHECK_EQ_INT(kt_costs_parse(j.data, j.len, &back), 0);
	CHECK_EQ_INT(back.n, 2);
	e = kt_costs_get(&back, "kvm/u@2n4l4c2t");
	CHECK(e && e->runs == 1);
	CHECK_NEAR(e ? e->overhead_s : 0, 3.25, 1e-6);
	kt_costs_free(&back);
	kt_kbuf_free(&j);
	kt_costs_free(&c);

	CHECK_EQ_INT(kt_costs_parse(junk, strlen(junk), &back), 0);
	CHECK_EQ_INT(back.n, 2); /* "a" and "many" */
	e = kt_costs_get(&back, "many");
	CHECK(e && e->runs == 8);
	kt_costs_free(&back);
	CHECK_EQ_INT(kt_costs_parse("[1]", 3, &back), -EINVAL);
	CHECK_EQ_INT(kt_costs_parse("{\"entries\":[]}", 14, &back), -EINVAL);
	CHECK_EQ_INT(kt_costs_parse("not json", 8, &back), -EINVAL);
}

UNIT_TEST(gauntlet_cost_estimate_sources)
{
	struct kt_costs c = { 0 };
	struct ktstr_topo a = { 1, 2, 2, 1 }, b = { 1, 4, 8, 1 }, big = { 1, 8, 16, 1 };
	const char *src;
	char key[128];

	kt_cost_key("tcg", "steady", &a, key, sizeof(key));
	CHECK_EQ_STR(key, "tcg/steady@1n2l2c1t");
	kt_costs_record(&c, key, 2.5);
	kt_cost_key("tcg", "other", &a, key, sizeof(key));
	kt_costs_record(&c, key, 3.5);
	kt_cost_key("kvm", "steady", &b, key, sizeof(key));
	kt_costs_record(&c, key, 9);
	CHECK_NEAR(kt_cost_estimate(&c, "tcg", "steady", &a, 3, 2, &src), 5.5, 1e-9);
	CHECK_EQ_STR(src, "measured");
	/* another test on a measured topology: the topology's mean */
	CHECK_NEAR(kt_cost_estimate(&c, "tcg", "third", &a, 2, 2, &src), 5.0, 1e-9);
	CHECK_EQ_STR(src, "topology");
	/* measured under KVM only: TCG falls back to the model */
	CHECK_NEAR(kt_cost_estimate(&c, "tcg", "steady", &b, 2, 2, &src),
		   kt_cost_model_overhead("tcg", &b, 2) + 2, 1e-9);
	CHECK_EQ_STR(src, "model");
	CHECK_NEAR(kt_cost_estimate(NULL, "tcg", "steady", &a, 2, 2, &src), kt_cost_model_overhead("tcg", &a, 2) + 2,
		   1e-9);
	/* the model grows with the vCPUs and shrinks with more host CPUs */
	CHECK(kt_cost_model_overhead("tcg", &big, 2) > kt_cost_model_overhead("tcg", &b, 2));
	CHECK(kt_cost_model_overhead("tcg", &b, 2) > kt_cost_model_overhead("tcg", &a, 2));
	CHECK(kt_cost_model_overhead("tcg", &big, 64) < kt_cost_model_overhead("tcg", &big, 2));
	/* KVM: the reference's 10 + max(cpus-16,0)/10 + 2 */
	CHECK_NEAR(kt_cost_model_overhead("kvm", &a, 2), 12, 1e-9);
	CHECK_NEAR(kt_cost_model_overhead("kvm", &big, 2), 10 + 11 + 2, 1e-9);
	kt_costs_free(&c);
}
