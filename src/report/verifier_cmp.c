/* `ktstr verifier --compare A B` (verifier.h): verified instructions per
 * profile and program, A against B, for a CI gate on verifier growth.
 * The files are untrusted input: shapes checked, names bounded, counts
 * within 32 bits, at most KT_CMP_MAX entries. */
#include "report/verifier.h"
#include "runner/emit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KT_CMP_MAX 4096
#define KEY_LEN 200

struct ent {
	char key[KEY_LEN];
	int64_t a, b; /* -1: absent */
};

struct tab {
	struct ent *v;
	size_t n;
};

static struct ent *slot(struct tab *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].key, key))
			return &t->v[i];
	if (t->n == KT_CMP_MAX)
		return NULL;
	snprintf(t->v[t->n].key, KEY_LEN, "%s", key);
	t->v[t->n].a = t->v[t->n].b = -1;
	return &t->v[t->n++];
}

static int load(struct tab *t, json_t *j, bool is_b, const char *name, char *err, size_t errlen)
{
	json_t *profs = json_object_get(j, "profiles"), *p;
	size_t i;

	if (!json_is_object(j) || !json_is_array(profs)) {
		snprintf(err, errlen, "%s: not `ktstr verifier --json` output (no \"profiles\" array)", name);
		return -EINVAL;
	}
	json_array_foreach(profs, i, p) {
		const char *prof = json_string_value(json_object_get(p, "profile"));
		json_t *progs = json_object_get(p, "progs"), *g;
		size_t k;

		if (!prof || !json_is_array(progs)) {
			snprintf(err, errlen, "%s: profile %zu has no \"profile\" name or \"progs\" array", name, i);
			return -EINVAL;
		}
		json_array_foreach(progs, k, g) {
			const char *pn = json_string_value(json_object_get(g, "name"));
			json_t *vi = json_object_get(g, "verified_insns");
			char key[KEY_LEN * 2], clean[KEY_LEN];
			struct ent *e;

			if (!pn || !json_is_integer(vi) || json_integer_value(vi) < 0 ||
			    json_integer_value(vi) > UINT32_MAX) {
				snprintf(err, errlen, "%s: profile %s program %zu: no name or verified_insns out of range",
					 name, prof, k);
				return -EINVAL;
			}
			snprintf(key, sizeof(key), "%.96s/%.96s", prof, pn);
			kt_line_clean(key, clean, sizeof(clean));
			if (!(e = slot(t, clean))) {
				snprintf(err, errlen, "%s: more than %d programs", name, KT_CMP_MAX);
				return -EINVAL;
			}
			if (is_b)
				e->b = json_integer_value(vi);
			else
				e->a = json_integer_value(vi);
		}
	}
	return 0;
}

static void cell(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* delta text and whether it is over the threshold */
static bool delta(char *buf, size_t len, int64_t a, int64_t b, bool have_max, double max)
{
	double pct;

	if (a < 0 || b < 0) {
		snprintf(buf, len, "%s", a < 0 ? "new" : "removed");
		return false;
	}
	pct = a ? 100.0 * (double)(b - a) / (double)a : (b ? INFINITY : 0.0);
	if (isinf(pct))
		snprintf(buf, len, "%+lld (new instructions)", (long long)(b - a));
	else
		snprintf(buf, len, "%+lld (%+.1f %%)", (long long)(b - a), pct);
	return have_max && pct > max;
}

int kt_verifier_compare(FILE *f, const char *a_name, json_t *a, const char *b_name, json_t *b, bool have_max,
			double max_growth, char *err, size_t errlen)
{
	struct tab t = { .v = calloc(KT_CMP_MAX, sizeof(struct ent)) };
	int64_t ta = 0, tb = 0;
	bool over = false;
	char ca[32], cb[32], d[64];
	int ret;

	if (!t.v)
		return -ENOMEM;
	ret = load(&t, a, false, a_name, err, errlen);
	if (!ret)
		ret = load(&t, b, true, b_name, err, errlen);
	if (ret) {
		free(t.v);
		return ret;
	}
	fprintf(f, "delta A/B: A = %s, B = %s (delta = B - A)\n", a_name, b_name);
	fprintf(f, "%-48s %12s %12s  %s\n", "program", "A", "B", "delta");
	for (size_t i = 0; i < t.n; i++) {
		bool o;

		cell(ca, sizeof(ca), t.v[i].a);
		cell(cb, sizeof(cb), t.v[i].b);
		o = delta(d, sizeof(d), t.v[i].a, t.v[i].b, have_max, max_growth);
		fprintf(f, "%-48s %12s %12s  %s%s\n", t.v[i].key, ca, cb, d, o ? "  over the limit" : "");
		over |= o;
		if (t.v[i].a >= 0 && t.v[i].b >= 0) {
			ta += t.v[i].a;
			tb += t.v[i].b;
		}
	}
	cell(ca, sizeof(ca), ta);
	cell(cb, sizeof(cb), tb);
	if (delta(d, sizeof(d), ta, tb, have_max, max_growth)) {
		over = true;
		strncat(d, "  over the limit", sizeof(d) - strlen(d) - 1);
	}
	fprintf(f, "%-48s %12s %12s  %s\n", "total (programs in both)", ca, cb, d);
	if (have_max)
		fprintf(f, "%s: growth limit %.1f %%\n", over ? "FAIL" : "ok", max_growth);
	free(t.v);
	return over ? 1 : 0;
}
