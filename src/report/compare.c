/* `ktstr compare`: pair the tests of two runs and apply the reference's
 * dual-gate thresholds per metric (§9.5).  Pure. */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO 1e-9

void kt_rep_gates_default(struct kr_gate g[KR_NGATES])
{
	for (int m = 0; m < KR_NMETRICS; m++) {
		g[m].abs = kt_rep_metrics[m].abs;
		g[m].rel = kt_rep_metrics[m].rel;
	}
	g[KR_GATE_PAYLOAD] = (struct kr_gate){ .abs = 0, .rel = 0.10 };
}

/* A non-negative finite number filling [s, e); pct: a trailing '%'
 * divides by 100.  Empty: *set = false. */
static int parse_num(const char *s, const char *e, bool pct_ok, double *out, bool *set)
{
	char buf[64], *end;
	size_t n = (size_t)(e - s);
	double d;

	*set = n > 0;
	if (!n)
		return 0;
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (end == buf || errno || !isfinite(d) || d < 0)
		return -EINVAL;
	if (pct_ok && *end == '%') {
		d /= 100;
		end++;
	}
	if (*end)
		return -EINVAL;
	*out = d;
	return 0;
}

int kt_rep_gate_parse(const char *spec, struct kr_gate g[KR_NGATES], char *err, size_t errlen)
{
	const char *eq = strchr(spec, '='), *comma = eq ? strchr(eq, ',') : NULL;
	char name[64];
	double a = 0, r = 0;
	bool has_a, has_r;
	int m = -2;

	if (!eq || !comma || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
		snprintf(err, errlen, "--threshold '%s': want METRIC=ABS,REL (e.g. worst_gap_ms=200,0.3)", spec);
		return -EINVAL;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if (!strcmp(name, "payload"))
		m = KR_GATE_PAYLOAD;
	else if (strcmp(name, "all") && (m = kt_rep_metric_find(name)) < 0) {
		snprintf(err, errlen, "--threshold '%s': unknown metric '%s' (`ktstr stats --metrics` lists them; "
			 "\"payload\" is every payload metric)", spec, name);
		return -EINVAL;
	}
	if (parse_num(eq + 1, comma, false, &a, &has_a) ||
	    parse_num(comma + 1, comma + 1 + strlen(comma + 1), true, &r, &has_r)) {
		snprintf(err, errlen,
			 "--threshold '%s': ABS and REL must be non-negative numbers (REL a fraction like 0.25 or "
			 "a percentage like 25%%)",
			 spec);
		return -EINVAL;
	}
	if (!has_a && !has_r) {
		snprintf(err, errlen, "--threshold '%s': give ABS, REL or both", spec);
		return -EINVAL;
	}
	for (int i = 0; i < KR_NGATES; i++) {
		if (m >= 0 && i != m)
			continue;
		if (has_a)
			g[i].abs = a;
		if (has_r)
			g[i].rel = r;
	}
	return 0;
}

enum kr_change kt_rep_gate_eval(int metric, const struct kr_gate *g, double a, double b, double *delta, double *rel)
{
	return kt_rep_gate_eval_pol(kt_rep_metrics[metric].pol, g, a, b, delta, rel);
}

enum kr_change kt_rep_gate_eval_pol(enum kr_polarity pol, const struct kr_gate *g, double a, double b, double *delta,
				    double *rel)
{
	double d = b - a;
	bool worse;

	*delta = d;
	*rel = 0;
	if ((fabs(a) < ZERO && fabs(b) < ZERO) || d == 0)
		return KR_SAME;
	/* The reference forces rel = 0 for a zero base, so a metric that was
	 * 0 (stalls, fallbacks) could never regress; here it is infinite and
	 * the absolute gate alone decides. */
	*rel = fabs(a) < ZERO ? INFINITY : fabs(d / a);
	if (!(fabs(d) >= g->abs && *rel >= g->rel))
		return KR_NOISE;
	worse = pol == KR_LOWER_BETTER ? d > 0 : d < 0;
	return worse ? KR_REGRESSION : KR_IMPROVEMENT;
}

static bool has_value(const struct kr_set *s, size_t field_off, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp((const char *)&s->rows[i] + field_off, v))
			return true;
	return false;
}

/* Does the set of values of a field differ between the sides? */
static bool differs(const struct kr_set *a, const struct kr_set *b, size_t off)
{
	for (size_t i = 0; i < a->n; i++)
		if (!has_value(b, off, (const char *)&a->rows[i] + off))
			return true;
	for (size_t i = 0; i < b->n; i++)
		if (!has_value(a, off, (const char *)&b->rows[i] + off))
			return true;
	return false;
}

static const struct {
	unsigned dim;
	size_t off;
	const char *name;
} dims[] = {
	{ KR_DIM_TOPOLOGY, offsetof(struct kr_row, topology), "topology" },
	{ KR_DIM_SCHEDULER, offsetof(struct kr_row, scheduler), "scheduler" },
	{ KR_DIM_FLAGS, offsetof(struct kr_row, flags), "flags" },
};

static bool same_key(const struct kr_row *a, const struct kr_row *b, unsigned d)
{
	if (strcmp(a->name, b->name))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(dims); i++)
		if ((d & dims[i].dim) && strcmp((const char *)a + dims[i].off, (const char *)b + dims[i].off))
			return false;
	return true;
}

static int add_line(struct kr_cmp *c, const struct kr_cmp_line *l)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct kr_cmp_line *p = realloc(c->lines, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->lines = p;
		c->cap = cap;
	}
	c->lines[c->n++] = *l;
	if (l->change == KR_REGRESSION)
		c->regressions++;
	else if (l->change == KR_IMPROVEMENT)
		c->improvements++;
	else
		c->unchanged++;
	return 0;
}

static int pair(struct kr_cmp *c, size_t bi, size_t ni, const struct kr_gate *g)
{
	const struct kr_row *a = &c->base.rows[bi], *b = &c->new.rows[ni];
	struct kr_cmp_line l = { .base = bi, .new = ni, .metric = -1, .ext = -1 };
	int ret = 0;

	c->paired++;
	if (a->skipped || b->skipped || !a->passed) {
		c->excluded++;
		/* A test that failed before and passes now is news too. */
		if (!a->skipped && !b->skipped && !a->passed && b->passed) {
			l.change = KR_IMPROVEMENT;
			return add_line(c, &l);
		}
		return 0;
	}
	if (!b->passed) {
		c->excluded++;
		l.change = KR_REGRESSION;
		return add_line(c, &l);
	}
	for (int m = 0; m < KR_NMETRICS && !ret; m++) {
		if (!a->has[m] || !b->has[m])
			continue;
		l.metric = m;
		l.a = a->v[m];
		l.b = b->v[m];
		l.change = kt_rep_gate_eval(m, &g[m], l.a, l.b, &l.delta, &l.rel);
		ret = add_line(c, &l);
	}
	l.metric = -1;
	for (unsigned k = 0; k < b->next && !ret; k++) { /* payload metrics, by name */
		int at = kt_rep_ext_find(a, b->ext[k].name);

		if (at < 0)
			continue;
		l.ext = (int)k;
		l.a = a->ext[at].v;
		l.b = b->ext[k].v;
		l.change = kt_rep_gate_eval_pol(b->ext[k].pol, &g[KR_GATE_PAYLOAD], l.a, l.b, &l.delta, &l.rel);
		ret = add_line(c, &l);
	}
	return ret;
}

int kt_rep_compare(const struct kr_set *base, const struct kr_set *new, const struct kr_gate g[KR_NGATES],
	       struct kr_cmp *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(dims); i++)
		if (!differs(base, new, dims[i].off))
			c->dims |= dims[i].dim;
	ret = kt_rep_group(base, c->dims, &c->base);
	if (!ret)
		ret = kt_rep_group(new, c->dims, &c->new);
	for (size_t i = 0; !ret && i < c->base.n; i++)
		c->base_runs += c->base.rows[i].runs;
	for (size_t i = 0; !ret && i < c->new.n; i++)
		c->new_runs += c->new.rows[i].runs;
	for (size_t ni = 0; !ret && ni < c->new.n; ni++) {
		size_t bi = 0;

		while (bi < c->base.n && !same_key(&c->base.rows[bi], &c->new.rows[ni], c->dims))
			bi++;
		if (bi == c->base.n)
			c->only_new++;
		else
			ret = pair(c, bi, ni, g);
	}
	for (size_t bi = 0; !ret && bi < c->base.n; bi++) {
		size_t ni = 0;

		while (ni < c->new.n && !same_key(&c->base.rows[bi], &c->new.rows[ni], c->dims))
			ni++;
		c->only_base += ni == c->new.n;
	}
	if (ret)
		kt_rep_cmp_free(c);
	return ret;
}

void kt_rep_cmp_free(struct kr_cmp *c)
{
	kt_rep_set_free(&c->base);
	kt_rep_set_free(&c->new);
	free(c->lines);
	memset(c, 0, sizeof(*c));
}

#define NC 7
static const char *change_name(enum kr_change ch)
{
	switch (ch) {
	case KR_REGRESSION: return "REGRESSION";
	case KR_IMPROVEMENT: return "improvement";
	case KR_NOISE: return "within noise";
	default: return "same";
	}
}

/* The test's label: its name plus the key dims that vary. */
static void label(const struct kr_cmp *c, const struct kr_row *r, unsigned vary, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", r->name);

	for (size_t i = 0; i < ARRAY_SIZE(dims) && n >= 0 && (size_t)n < len; i++)
		if ((c->dims & vary & dims[i].dim) && *((const char *)r + dims[i].off))
			n += snprintf(buf + n, len - (size_t)n, " %s", (const char *)r + dims[i].off);
}

static void line_cells(const struct kr_cmp *c, const struct kr_cmp_line *l, unsigned vary, char cell[NC][128])
{
	const struct kr_row *a = &c->base.rows[l->base], *b = &c->new.rows[l->new];

	label(c, b, vary, cell[0], 128);
	snprintf(cell[6], 128, "%s", change_name(l->change));
	if (l->ext >= 0) {
		const struct kr_ext *e = &b->ext[l->ext];

		snprintf(cell[1], 128, "%s", e->name);
		kt_rep_ext_fmt(e, l->a, cell[2], 128);
		kt_rep_ext_fmt(e, l->b, cell[3], 128);
		kt_rep_ext_fmt(e, l->delta, cell[4], 128);
	} else if (l->metric < 0) {
		snprintf(cell[1], 128, "verdict");
		snprintf(cell[2], 128, "%s", a->verdict);
		snprintf(cell[3], 128, "%s", b->verdict);
		snprintf(cell[4], 128, "-");
		snprintf(cell[5], 128, "-");
		return;
	} else {
		snprintf(cell[1], 128, "%s", kt_rep_metrics[l->metric].name);
		kt_rep_fmt_value(l->metric, l->a, cell[2], 128);
		kt_rep_fmt_value(l->metric, l->b, cell[3], 128);
		kt_rep_fmt_value(l->metric, l->delta, cell[4], 128);
	}
	if (l->delta > 0) {
		memmove(cell[4] + 1, cell[4], 127);
		cell[4][0] = '+';
		cell[4][127] = '\0';
	}
	if (isinf(l->rel))
		snprintf(cell[5], 128, "new");
	else
		snprintf(cell[5], 128, "%+.1f%%", (l->delta < 0 ? -100 : 100) * l->rel);
}

int kt_rep_compare_text(const struct kr_cmp *c, bool all, struct kbuf *out)
{
	static const char *const head[NC] = { "TEST", "METRIC", "BASE", "NEW", "DELTA", "DELTA%", "VERDICT" };
	char(*cell)[NC][128] = calloc(c->n + 1, sizeof(*cell));
	int w[NC] = { 0 }, ret = 0;
	unsigned vary = 0, grouped = 0;
	size_t rows = 1;

	if (!cell)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(dims); i++)
		for (size_t k = 1; k < c->new.n; k++)
			if (strcmp((const char *)&c->new.rows[k] + dims[i].off,
				   (const char *)&c->new.rows[0] + dims[i].off))
				vary |= dims[i].dim;
	for (size_t i = 0; i < c->base.n; i++)
		grouped |= c->base.rows[i].runs > 1;
	for (size_t i = 0; i < c->new.n; i++)
		grouped |= c->new.rows[i].runs > 1;
	ret = kt_kbuf_printf(out, "pairing on: name");
	for (size_t i = 0; i < ARRAY_SIZE(dims) && !ret; i++)
		if (c->dims & dims[i].dim)
			ret = kt_kbuf_printf(out, ", %s", dims[i].name);
	for (size_t i = 0, first = 1; i < ARRAY_SIZE(dims) && !ret; i++)
		if (!(c->dims & dims[i].dim)) {
			ret = kt_kbuf_printf(out, "%s%s", first ? "  (differs between the sides: " : ", ", dims[i].name);
			first = 0;
		}
	if (!ret && c->dims != KR_DIM_ALL)
		ret = kt_kbuf_printf(out, ")");
	if (!ret)
		ret = kt_kbuf_printf(out, "\n");
	if (!ret && grouped)
		ret = kt_kbuf_printf(out, "averaged across %u runs (base) and %u runs (new)\n", c->base_runs, c->new_runs);
	for (int k = 0; k < NC; k++)
		snprintf(cell[0][k], 128, "%s", head[k]);
	for (size_t i = 0; i < c->n; i++)
		if (all || c->lines[i].change != KR_SAME)
			line_cells(c, &c->lines[i], vary, cell[rows++]);
	for (size_t i = 0; i < rows; i++)
		for (int k = 0; k < NC; k++) {
			int l = (int)strlen(cell[i][k]);

			w[k] = l > w[k] ? l : w[k];
		}
	if (!ret && rows > 1)
		ret = kt_kbuf_printf(out, "\n");
	for (size_t i = 0; i < rows && rows > 1 && !ret; i++)
		ret = kt_kbuf_printf(out, "%-*s  %-*s  %*s  %*s  %*s  %*s  %s\n", w[0], cell[i][0], w[1], cell[i][1], w[2],
				  cell[i][2], w[3], cell[i][3], w[4], cell[i][4], w[5], cell[i][5], cell[i][6]);
	if (!ret)
		ret = kt_kbuf_printf(out,
				  "\nsummary: %u regressions, %u improvements, %u unchanged\n"
				  "tests: %u paired, %u not compared (failed or skipped), %u only in base, %u only in new\n",
				  c->regressions, c->improvements, c->unchanged, c->paired, c->excluded, c->only_base,
				  c->only_new);
	free(cell);
	return ret;
}
