/* Payload metrics in stats and compare (report.h, "payload metrics").
 * Pure; the sidecar came through the guest. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool chars_ok(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	return n <= max && kt_word_chars(s, n, extra);
}

int kt_rep_ext_find(const struct kr_row *r, const char *name)
{
	for (unsigned i = 0; i < r->next && i < KR_MAX_EXT; i++)
		if (!strcmp(r->ext[i].name, name))
			return (int)i;
	return -1;
}

static void ext_add(struct kr_row *r, const char *name, const char *unit, enum kr_polarity pol, double v)
{
	struct kr_ext *e;

	if (r->next >= KR_MAX_EXT || kt_rep_ext_find(r, name) >= 0)
		return;
	e = &r->ext[r->next++];
	kt_rep_copy(e->name, sizeof(e->name), name);
	kt_rep_copy(e->unit, sizeof(e->unit), unit);
	e->pol = pol;
	e->v = v > 1e15 ? 1e15 : v < -1e15 ? -1e15 : v;
}

static bool pol_parse(json_t *p, enum kr_polarity *out)
{
	const char *s = json_string_value(p);

	if (s && !strcmp(s, "higher"))
		*out = KR_HIGHER_BETTER;
	else if (s && !strcmp(s, "lower"))
		*out = KR_LOWER_BETTER;
	else
		return false;
	return true;
}

void kt_rep_ext_from_sidecar(json_t *sidecar, struct kr_row *r)
{
	json_t *runs = json_object_get(sidecar, "payloads"), *run, *m;
	size_t i, k;

	json_array_foreach(runs, i, run) {
		const char *pl = json_string_value(json_object_get(run, "payload"));
		char prefix[48];
		unsigned nth = 1;

		if (i >= 256 || !pl || !*pl || !chars_ok(pl, 31, ""))
			continue;
		for (size_t j = 0; j < i; j++) /* the how-manieth run of this payload */
			nth += !strcmp(json_string_value(json_object_get(json_array_get(runs, j), "payload")) ?: "", pl);
		if (nth > 1)
			snprintf(prefix, sizeof(prefix), "%s#%u", pl, nth);
		else
			snprintf(prefix, sizeof(prefix), "%s", pl);
		json_array_foreach(json_object_get(run, "metrics"), k, m) {
			const char *name = json_string_value(json_object_get(m, "name"));
			const char *unit = json_string_value(json_object_get(m, "unit"));
			json_t *v = json_object_get(m, "value");
			enum kr_polarity pol;
			char full[KR_EXT_NAME];

			if (k >= 256 || !name || !*name || !chars_ok(name, 95, ".") || !json_is_number(v) ||
			    !isfinite(json_number_value(v)) || !pol_parse(json_object_get(m, "polarity"), &pol))
				continue;
			if (!unit || !chars_ok(unit, 15, "%/."))
				unit = "";
			snprintf(full, sizeof(full), "%s.%s", prefix, name);
			ext_add(r, full, unit, pol, json_number_value(v));
		}
	}
}

void kt_rep_ext_mean(const struct kr_row *const *rows, size_t n, struct kr_row *out)
{
	double sum[KR_MAX_EXT] = { 0 };
	unsigned cnt[KR_MAX_EXT] = { 0 };

	out->next = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < rows[i]->next && k < KR_MAX_EXT; k++) {
			const struct kr_ext *e = &rows[i]->ext[k];
			int at = kt_rep_ext_find(out, e->name);

			if (at < 0) {
				ext_add(out, e->name, e->unit, e->pol, 0);
				at = kt_rep_ext_find(out, e->name);
				if (at < 0)
					continue;
			}
			sum[at] += e->v;
			cnt[at]++;
		}
	for (unsigned k = 0; k < out->next; k++)
		out->ext[k].v = cnt[k] ? sum[k] / cnt[k] : 0;
}

json_t *kt_rep_ext_json(const struct kr_row *r)
{
	json_t *o = json_object();

	for (unsigned k = 0; o && k < r->next; k++) {
		const struct kr_ext *e = &r->ext[k];

		json_object_set_new(o, e->name, json_pack("{s:f,s:s,s:s}", "value", e->v, "unit", e->unit, "polarity",
							 e->pol == KR_HIGHER_BETTER ? "higher" : "lower"));
	}
	return o;
}

void kt_rep_ext_from_json(json_t *o, struct kr_row *r)
{
	const char *name;
	json_t *v;

	json_object_foreach(o, name, v) {
		const char *unit = json_string_value(json_object_get(v, "unit"));
		json_t *val = json_object_get(v, "value");
		enum kr_polarity pol;

		if (!chars_ok(name, KR_EXT_NAME - 1, ".#") || !*name || !json_is_number(val) ||
		    !isfinite(json_number_value(val)) || !pol_parse(json_object_get(v, "polarity"), &pol))
			continue;
		ext_add(r, name, unit && chars_ok(unit, 15, "%/.") ? unit : "", pol, json_number_value(val));
	}
}

void kt_rep_ext_fmt(const struct kr_ext *e, double v, char *buf, size_t len)
{
	char n[64];

	kt_rep_fmt_value(-1, v, n, sizeof(n));
	snprintf(buf, len, "%s%s%s", n, *e->unit ? " " : "", e->unit);
}

int kt_rep_ext_text(const struct kr_set *t, struct kbuf *out)
{
	int ret = 0, wt = 4, wm = 6;
	bool any = false;

	for (size_t i = 0; i < t->n; i++)
		for (unsigned k = 0; k < t->rows[i].next; k++) {
			int a = (int)strlen(t->rows[i].name), b = (int)strlen(t->rows[i].ext[k].name);

			wt = a > wt ? a : wt;
			wm = b > wm ? b : wm;
			any = true;
		}
	if (!any)
		return 0;
	ret = kt_kbuf_printf(out, "\npayload metrics (mean over the runs that have them):\n  %-*s  %-*s  %14s  %s\n", wt,
			     "TEST", wm, "METRIC", "VALUE", "BETTER");
	for (size_t i = 0; i < t->n && !ret; i++)
		for (unsigned k = 0; k < t->rows[i].next && !ret; k++) {
			const struct kr_ext *e = &t->rows[i].ext[k];
			char v[80];

			kt_rep_ext_fmt(e, e->v, v, sizeof(v));
			ret = kt_kbuf_printf(out, "  %-*s  %-*s  %14s  %s\n", wt, t->rows[i].name, wm, e->name, v,
					     e->pol == KR_HIGHER_BETTER ? "higher" : "lower");
		}
	return ret;
}
