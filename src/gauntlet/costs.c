/* Per-VM costs: the costs.json format, running means and the estimate
 * model (see gauntlet.h).  Pure functions. */
#include "gauntlet/gauntlet.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COSTS_VERSION 1
#define MEAN_WINDOW 8u /* a running mean over about this many runs */
#define MAX_OVERHEAD_S 86400.0

void kt_costs_free(struct kt_costs *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static struct kt_cost_entry *find(const struct kt_costs *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

const struct kt_cost_entry *kt_costs_get(const struct kt_costs *c, const char *key)
{
	return find(c, key);
}

static int put(struct kt_costs *c, const char *key, double overhead, unsigned runs)
{
	struct kt_cost_entry *e;

	if (strlen(key) >= sizeof(e->key))
		return -ENAMETOOLONG;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct kt_cost_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->overhead_s = overhead;
	e->runs = runs;
	return 0;
}

static bool sane(double x)
{
	return isfinite(x) && x >= 0 && x <= MAX_OVERHEAD_S;
}

int kt_costs_record(struct kt_costs *c, const char *key, double overhead_s)
{
	struct kt_cost_entry *e = find(c, key);

	if (!sane(overhead_s))
		return -EINVAL;
	if (!e)
		return put(c, key, overhead_s, 1);
	if (e->runs < MEAN_WINDOW)
		e->runs++;
	e->overhead_s += (overhead_s - e->overhead_s) / e->runs;
	return 0;
}

int kt_costs_parse(const char *json, size_t len, struct kt_costs *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *entries, *v;
	const char *key;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -EINVAL;
	entries = json_object_get(root, "entries");
	if (!json_is_object(root) || !json_is_object(entries)) {
		json_decref(root);
		return -EINVAL;
	}
	json_object_foreach(entries, key, v) {
		json_t *o = json_object_get(v, "overhead_s"), *r = json_object_get(v, "runs");
		double x = json_is_number(o) ? json_number_value(o) : -1;
		json_int_t runs = json_is_integer(r) ? json_integer_value(r) : 0;

		if (!sane(x) || runs < 1 || find(out, key))
			continue; /* someone else's junk: ignore it */
		ret = put(out, key, x, runs > MEAN_WINDOW ? MEAN_WINDOW : (unsigned)runs);
		if (ret == -ENAMETOOLONG)
			ret = 0;
		if (ret)
			break;
	}
	json_decref(root);
	if (ret)
		kt_costs_free(out);
	return ret;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct kt_cost_entry *)a)->key, ((const struct kt_cost_entry *)b)->key);
}

int kt_costs_to_json(const struct kt_costs *c, struct kbuf *out)
{
	json_t *root = json_object(), *entries = json_object();
	struct kt_cost_entry *sorted = c->n ? malloc(c->n * sizeof(*sorted)) : NULL;
	char *s = NULL;
	int ret = 0;

	if (!root || !entries || (c->n && !sorted)) {
		ret = -ENOMEM;
		goto out;
	}
	if (c->n)
		memcpy(sorted, c->v, c->n * sizeof(*sorted));
	qsort(sorted, c->n, sizeof(*sorted), by_key);
	for (size_t i = 0; i < c->n && !ret; i++) {
		json_t *e = json_pack("{s:f,s:I}", "overhead_s", sorted[i].overhead_s, "runs",
				      (json_int_t)sorted[i].runs);

		if (!e || json_object_set_new(entries, sorted[i].key, e))
			ret = -ENOMEM;
	}
	if (!ret && (json_object_set_new(root, "version", json_integer(COSTS_VERSION)) ||
		     json_object_set(root, "entries", entries)))
		ret = -ENOMEM;
	if (!ret && !(s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6))))
		ret = -ENOMEM;
	if (!ret && (kt_kbuf_append(out, s, strlen(s)) || kt_kbuf_append(out, "\n", 1)))
		ret = -ENOMEM;
out:
	free(s);
	free(sorted);
	json_decref(entries);
	json_decref(root);
	return ret;
}

void kt_cost_key(const char *accel, const char *test, const struct ktstr_topo *topo, char *buf, size_t len)
{
	char ts[32];

	ktstr_topo_format(topo, ts, sizeof(ts));
	snprintf(buf, len, "%s/%s@%s", accel && *accel ? accel : "tcg", test, ts);
}

double kt_cost_model_overhead(const char *accel, const struct ktstr_topo *topo, unsigned host_cpus)
{
	unsigned cpus = ktstr_topo_cpus(topo);
	double over = host_cpus && cpus > host_cpus ? (double)cpus / host_cpus : 1.0;

	if (accel && !strncmp(accel, "kvm", 3))
		return 10.0 + (cpus > 16 ? (cpus - 16) / 10 : 0) + 2.0;
	/* TCG: ~2.5 s to boot, run down and judge a small guest; each vCPU
	 * adds in proportion to how oversubscribed the host CPUs are.
	 * Fitted on a 2-CPU host: 4 vCPUs 2.7 s, 8 3.0 s, 32 17 s
	 * (docs/gauntlet.md). */
	return 2.5 + 0.03 * cpus * over;
}

double kt_cost_estimate(const struct kt_costs *c, const char *accel, const char *test,
			const struct ktstr_topo *topo, unsigned dur_s, unsigned host_cpus, const char **src)
{
	char key[256], suffix[64], ts[32];
	const struct kt_cost_entry *e;
	double sum = 0;
	unsigned k = 0;
	size_t sl;

	kt_cost_key(accel, test, topo, key, sizeof(key));
	if (c && (e = kt_costs_get(c, key))) {
		*src = "measured";
		return e->overhead_s + dur_s;
	}
	/* Other tests on the same topology under the same accelerator. */
	ktstr_topo_format(topo, ts, sizeof(ts));
	snprintf(suffix, sizeof(suffix), "@%s", ts);
	sl = strlen(suffix);
	for (size_t i = 0; c && i < c->n; i++) {
		const char *kk = c->v[i].key, *slash = strchr(kk, '/');
		size_t kl = strlen(kk);

		if (!slash || (size_t)(slash - kk) != strlen(accel && *accel ? accel : "tcg") ||
		    strncmp(kk, accel && *accel ? accel : "tcg", (size_t)(slash - kk)) || kl < sl ||
		    strcmp(kk + kl - sl, suffix))
			continue;
		sum += c->v[i].overhead_s;
		k++;
	}
	if (k) {
		*src = "topology";
		return sum / k + dur_s;
	}
	*src = "model";
	return kt_cost_model_overhead(accel, topo, host_cpus) + dur_s;
}
