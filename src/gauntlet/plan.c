/* Gauntlet host glue (see gauntlet.h): the costs file (locked
 * read-modify-write), host capacity, the budget's selection and its
 * listing. */
#include "gauntlet/gauntlet.h"
#include "model/defaults.h"
#include "vm/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define MAX_FEAT_PER_VARIANT 32

int kt_costs_path(const char *override, char *buf, size_t len)
{
	const char *env = getenv("KTSTR_COSTS");
	char root[PATH_MAX];
	int ret;

	if (override && *override)
		return snprintf(buf, len, "%s", override) >= (int)len ? -ENAMETOOLONG : 0;
	if (env && *env)
		return snprintf(buf, len, "%s", env) >= (int)len ? -ENAMETOOLONG : 0;
	ret = kt_cache_root(root, sizeof(root));
	if (ret)
		return ret;
	return snprintf(buf, len, "%s/costs.json", root) >= (int)len ? -ENAMETOOLONG : 0;
}

int kt_costs_load(const char *path, struct kt_costs *c)
{
	struct kbuf b = { 0 };
	int ret = kt_read_file(path, &b);

	memset(c, 0, sizeof(*c));
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return kt_err(-ret, "costs: read %s", path);
	ret = b.len ? kt_costs_parse(b.data, b.len, c) : 0;
	kt_kbuf_free(&b);
	if (ret == -EINVAL) {
		kt_info("costs: %s is not a ktstr costs file; estimating every cost", path);
		return 0;
	}
	return ret ? kt_err(-ret, "costs: parse %s", path) : 0;
}

int kt_costs_update(const char *path, const char *key, double overhead_s)
{
	char lock[PATH_MAX + 8], dir[PATH_MAX], *slash;
	struct kt_costs c;
	struct kbuf b = { 0 };
	int fd, ret;

	if (kt_fmt(dir, sizeof(dir), "%s", path))
		return kt_err(ENAMETOOLONG, "costs: %s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if ((ret = kt_mkdir_p(dir, 0755)))
			return kt_err(-ret, "costs: create %s", dir);
	}
	if (kt_fmt(lock, sizeof(lock), "%s.lock", path))
		return kt_err(ENAMETOOLONG, "costs: lock file for %s", path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return kt_err(errno, "costs: open lock %s", lock);
	if (flock(fd, LOCK_EX)) {
		ret = kt_err(errno, "costs: lock %s", lock);
		close(fd);
		return ret;
	}
	ret = kt_costs_load(path, &c);
	if (!ret && (ret = kt_costs_record(&c, key, overhead_s)))
		kt_debug("costs: %s: measurement %.3f s not recorded: %s", key, overhead_s, strerror(-ret));
	else if (!ret && !(ret = kt_costs_to_json(&c, &b)) && (ret = kt_write_atomic(path, b.data, b.len, 0644)))
		kt_err(-ret, "costs: write %s", path);
	kt_kbuf_free(&b);
	kt_costs_free(&c);
	flock(fd, LOCK_UN);
	close(fd);
	return ret;
}

void kt_gauntlet_record_cost(void *arg, const struct kt_case *c, const struct kt_outcome *out)
{
	const char *path = arg;
	struct ktstr_topo topo;
	char key[256], err[128];

	/* Only whole runs measure a VM's cost. */
	if (!path || out->wall_s <= 0 || out->exit == VM_EXIT_NONE || out->exit == VM_EXIT_INTERRUPTED ||
	    out->exit == VM_EXIT_CRASH || ktstr_topo_parse(out->topo, &topo, err, sizeof(err)))
		return;
	kt_cost_key(out->accel, c->t->name, &topo, key, sizeof(key));
	kt_costs_update(path, key, out->wall_s > out->duration_ms / 1000.0 ? out->wall_s - out->duration_ms / 1000.0 : 0);
}

static unsigned host_mem_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (unsigned)((unsigned long long)pages * (unsigned long long)psz >> 20) : 0;
}

int kt_gauntlet_cases(const struct kt_gauntlet_opts *g, struct kt_case **cases, size_t *n)
{
	const struct kt_preset *presets[64];
	struct kt_case *v;
	size_t np, nv, kept = 0;
	unsigned hm = host_mem_mb(), dropped = 0;
	char err[256];

	if (kt_presets_parse(g->presets ? g->presets : "all", presets, ARRAY_SIZE(presets), &np, err, sizeof(err))) {
		fprintf(stderr, "ktstr: --presets: %s\n", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < *n; i++)
		if (kt_constraints_check((*cases)[i].t, err, sizeof(err))) {
			fprintf(stderr, "ktstr: %s\n", err);
			return -EINVAL;
		}
	if (kt_gauntlet_expand(*cases, *n, presets, np, &v, &nv)) {
		return kt_err(ENOMEM, "gauntlet: expand %zu cases", *n), -ENOMEM;
	}
	for (size_t i = 0; i < nv; i++) {
		if (hm && v[i].memory_mb > hm) {
			dropped++;
			continue;
		}
		v[kept++] = v[i];
	}
	if (dropped)
		kt_info("gauntlet: %u variants need more memory than this host's %u MiB; left out", dropped, hm);
	for (size_t i = 0, none = 0; i < *n; i++) {
		bool any = false;

		for (size_t j = 0; j < kept && !any; j++)
			any = v[j].t == (*cases)[i].t;
		if (!any && !(*cases)[i].t->nested && (i == 0 || (*cases)[i - 1].t != (*cases)[i].t) && none++ < 8)
			kt_info("gauntlet: %s has no variant: no chosen preset meets its constraints or its steps' "
				"needs", (*cases)[i].t->name);
	}
	if (!kept) {
		fprintf(stderr, "ktstr: no gauntlet variant: no selected preset satisfies the tests' constraints "
				"(min/max NUMA nodes, LLCs, CPUs, SMT; docs/gauntlet.md); try --presets all\n");
		free(v);
		return -EINVAL;
	}
	free(*cases);
	*cases = v;
	*n = kept;
	return 0;
}

/* Feature names to ids: open addressing over a power-of-two table. */
struct intern {
	char (*name)[KT_FEAT_LEN];
	uint32_t *weight;
	uint32_t *slot; /* id + 1, 0: empty */
	size_t n, cap, nslot;
};

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int intern(struct intern *t, const char *s, unsigned w, uint32_t *id)
{
	size_t i, l = strnlen(s, KT_FEAT_LEN - 1);

	if ((t->n + 1) * 2 > t->nslot) {
		size_t ns = t->nslot ? t->nslot * 2 : 256;
		uint32_t *slot = calloc(ns, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (size_t k = 0; k < t->n; k++) {
			for (i = hash(t->name[k]) & (ns - 1); slot[i]; i = (i + 1) & (ns - 1))
				;
			slot[i] = (uint32_t)k + 1;
		}
		free(t->slot);
		t->slot = slot;
		t->nslot = ns;
	}
	for (i = hash(s) & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1))
		if (!strcmp(t->name[t->slot[i] - 1], s)) {
			*id = t->slot[i] - 1;
			return 0;
		}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		void *nn = realloc(t->name, cap * sizeof(*t->name)), *nw;

		if (!nn)
			return -ENOMEM;
		t->name = nn;
		nw = realloc(t->weight, cap * sizeof(*t->weight));
		if (!nw)
			return -ENOMEM;
		t->weight = nw;
		t->cap = cap;
	}
	memcpy(t->name[t->n], s, l);
	t->name[t->n][l] = '\0';
	t->weight[t->n] = w;
	t->slot[i] = (uint32_t)t->n + 1;
	*id = (uint32_t)t->n++;
	return 0;
}

static void intern_free(struct intern *t)
{
	free(t->name);
	free(t->weight);
	free(t->slot);
}

/* The new features of item i given covered[] (ids), for the listing. */
static void describe(const struct intern *t, const struct kt_budget_item *it, bool *covered, char *buf, size_t len)
{
	size_t off = 0, pairs = 0;

	buf[0] = '\0';
	for (size_t f = 0; f < it->nfeat; f++) {
		uint32_t id = it->feat[f];
		int w;

		if (covered[id])
			continue;
		covered[id] = true;
		if (strstr(t->name[id], " x ")) {
			pairs++;
			continue;
		}
		w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", t->name[id]);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
	if (pairs && off < len)
		snprintf(buf + off, len - off, "%s+%zu pair%s", off ? ", " : "", pairs, pairs == 1 ? "" : "s");
}

ssize_t kt_gauntlet_budget(const struct kt_gauntlet_opts *g, const struct kt_run_opts *o, struct kt_case *cases,
			   size_t n, bool list)
{
	struct kt_budget_item *items = calloc(n ? n : 1, sizeof(*items));
	uint32_t *ids = calloc((n ? n : 1) * MAX_FEAT_PER_VARIANT, sizeof(*ids));
	double *est = calloc(n ? n : 1, sizeof(*est));
	const char **src = calloc(n ? n : 1, sizeof(*src));
	bool *chosen = calloc(n ? n : 1, sizeof(*chosen)), *covered = NULL;
	struct intern t = { 0 };
	struct kt_budget_result res;
	struct kt_costs costs = { 0 };
	char path[PATH_MAX], why[256], feat[MAX_FEAT_PER_VARIANT][KT_FEAT_LEN];
	unsigned weight[MAX_FEAT_PER_VARIANT], jobs = o->jobs ? o->jobs : 1;
	long hc = sysconf(_SC_NPROCESSORS_ONLN);
	const char *accel = kt_accel_kvm_usable(NULL, why, sizeof(why)) ? "kvm" : "tcg";
	ssize_t ret = 0;
	size_t kept = 0;
	uint64_t all_w = 0;

	if (!items || !ids || !est || !src || !chosen) {
		ret = -ENOMEM;
		goto out;
	}
	if (!kt_costs_path(g->costs_path, path, sizeof(path)))
		kt_costs_load(path, &costs);
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_test *tt = cases[i].t;
		unsigned dur = kt_default_duration_s(tt, o->duration_s);
		struct ktstr_topo topo;
		size_t nf = kt_variant_features(&cases[i], feat, weight, MAX_FEAT_PER_VARIANT);

		kt_case_topo(&cases[i], o->have_topo, &o->topo, &topo);
		est[i] = kt_cost_estimate(&costs, accel, tt->name, &topo, dur, hc > 0 ? (unsigned)hc : 1, &src[i]);
		items[i].cost_ms = est[i] * 1000 < 1 ? 1 : (uint32_t)(est[i] * 1000);
		items[i].feat = ids + i * MAX_FEAT_PER_VARIANT;
		items[i].nfeat = nf;
		for (size_t f = 0; f < nf; f++)
			if ((ret = intern(&t, feat[f], weight[f], &ids[i * MAX_FEAT_PER_VARIANT + f])))
				goto out;
	}
	ret = kt_budget_select(items, n, t.weight, t.n, (uint64_t)g->budget_s * 1000u * jobs, chosen, &res);
	if (ret)
		goto out;
	for (size_t f = 0; f < t.n; f++)
		all_w += t.weight[f];
	if (list) {
		char line[1024];

		covered = calloc(t.n ? t.n : 1, sizeof(*covered));
		if (!covered) {
			ret = -ENOMEM;
			goto out;
		}
		printf("%-40s %7s  %-8s  %s\n", "VARIANT", "EST(s)", "SOURCE", "NEW FEATURES");
		for (size_t i = 0; i < n; i++) {
			if (!chosen[i])
				continue;
			describe(&t, &items[i], covered, line, sizeof(line));
			printf("%-40s %7.1f  %-8s  %s\n", cases[i].name, est[i], src[i], line);
		}
		memset(covered, 0, t.n * sizeof(*covered));
		for (size_t i = 0; i < n; i++)
			for (size_t f = 0; chosen[i] && f < items[i].nfeat; f++)
				covered[items[i].feat[f]] = true;
		line[0] = '\0';
		for (size_t f = 0, off = 0; f < t.n; f++) {
			int w;

			if (covered[f] || strstr(t.name[f], " x "))
				continue;
			w = snprintf(line + off, sizeof(line) - off, "%s%s", off ? ", " : "", t.name[f]);
			if (w < 0 || (size_t)w >= sizeof(line) - 8 - off) {
				snprintf(line + off, sizeof(line) - off, ", ...");
				break;
			}
			off += (size_t)w;
		}
		printf("# budget %u s x %u job%s (%s): %zu/%zu variants, %.1f s estimated, %zu/%zu features covered "
		       "(weight %llu/%llu, %s)\n",
		       g->budget_s, jobs, jobs == 1 ? "" : "s", accel, res.nchosen, n, res.cost_ms / 1000.0, res.covered,
		       t.n, (unsigned long long)res.weight, (unsigned long long)all_w, res.exact ? "optimal" : "greedy");
		printf("# not covered: %s\n", line[0] ? line : "(none besides test x dimension pairs)");
	}
	fprintf(stderr, "ktstr budget: %zu/%zu variants, %.0f/%u s estimated (%u job%s, %s), %zu/%zu features covered\n",
		res.nchosen, n, res.cost_ms / 1000.0 / jobs, g->budget_s, jobs, jobs == 1 ? "" : "s", accel, res.covered,
		t.n);
	if (!res.nchosen) {
		double cheapest = est[0];

		for (size_t i = 1; i < n; i++)
			cheapest = est[i] < cheapest ? est[i] : cheapest;
		fprintf(stderr, "ktstr: --budget %u: no variant fits; the cheapest is estimated at %.1f s (x %u job%s)\n",
			g->budget_s, cheapest, jobs, jobs == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++)
		if (chosen[i])
			cases[kept++] = cases[i];
	ret = (ssize_t)kept;
out:
	if (ret < 0)
		kt_err((int)-ret, "gauntlet: budget selection over %zu variants", n);
	free(items);
	free(ids);
	free(est);
	free(src);
	free(chosen);
	free(covered);
	intern_free(&t);
	kt_costs_free(&costs);
	return ret;
}
