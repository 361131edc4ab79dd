/* Inline SVG plots for the HTML report: the monitor's per-CPU time
 * series with step boundaries, and log2 histograms.  Pure; all input is
 * untrusted (bounded, clamped, escaped). */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAMPLES 200000u
#define MAX_POINTS 1200u /* drawn per series: longer runs keep each window's max */
#define MAX_CPUS 512u
#define PER_CPU_LINES 16u /* more CPUs: min / mean / max envelope */
#define MAX_EVENTS 200u

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
	"#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
};

static double val(json_t *v)
{
	double d = json_is_number(v) ? json_number_value(v) : 0;

	return isfinite(d) ? (d < 0 ? 0 : d > 1e9 ? 1e9 : d) : 0;
}

/* A round axis maximum >= v: 1, 2, 5 x 10^k. */
static double nice_max(double v)
{
	double p = 1;

	if (!(v > 1))
		return 1;
	while (p * 10 < v)
		p *= 10;
	return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

struct series {
	size_t n;      /* points after downsampling */
	unsigned ncpu; /* columns */
	double *t, *y; /* t[n], y[n * ncpu] */
	double tmin, tmax, ymax;
};

static int series_load(json_t *samples, const char *signal, struct series *s)
{
	size_t total = json_array_size(samples), stride, i;
	json_t *smp;

	memset(s, 0, sizeof(*s));
	if (total > MAX_SAMPLES)
		total = MAX_SAMPLES;
	for (i = 0; i < total; i++) {
		size_t k = json_array_size(json_object_get(json_array_get(samples, i), signal));

		s->ncpu = k > s->ncpu ? (unsigned)(k < MAX_CPUS ? k : MAX_CPUS) : s->ncpu;
	}
	if (!total || !s->ncpu)
		return -1;
	stride = (total + MAX_POINTS - 1) / MAX_POINTS;
	s->t = calloc(total / stride + 1, sizeof(*s->t));
	s->y = calloc((total / stride + 1) * s->ncpu, sizeof(*s->y));
	if (!s->t || !s->y)
		return -1;
	json_array_foreach(samples, i, smp) {
		size_t p = i / stride;
		json_t *a = json_object_get(smp, signal);

		if (i >= total)
			break;
		if (i % stride == 0) {
			s->t[p] = val(json_object_get(smp, "t_ms"));
			s->n = p + 1;
		}
		for (unsigned c = 0; c < s->ncpu; c++) {
			double v = val(json_array_get(a, c)), *y = &s->y[p * s->ncpu + c];

			*y = v > *y ? v : *y;
			s->ymax = v > s->ymax ? v : s->ymax;
		}
	}
	s->tmin = s->t[0];
	s->tmax = s->t[0];
	for (i = 0; i < s->n; i++) {
		s->tmin = s->t[i] < s->tmin ? s->t[i] : s->tmin;
		s->tmax = s->t[i] > s->tmax ? s->t[i] : s->tmax;
	}
	if (s->tmax <= s->tmin)
		s->tmax = s->tmin + 1;
	return 0;
}

#define W 900
#define H 230
#define ML 48
#define MR 12
#define MT 26
#define MB 34

static double xpos(const struct series *s, double t)
{
	return ML + (t - s->tmin) / (s->tmax - s->tmin) * (W - ML - MR);
}

static double ypos(double v, double ymax)
{
	return H - MB - v / ymax * (H - MT - MB);
}

/* A step line through (t[i], y[i]). */
static void step_path(struct kbuf *b, const struct series *s, const double *y, size_t stride, double ymax,
		      const char *color, const char *name)
{
	kt_kbuf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" d=\"", color);
	for (size_t i = 0; i < s->n; i++) {
		double x = xpos(s, s->t[i]), v = ypos(y[i * stride], ymax);

		if (i == 0)
			kt_kbuf_printf(b, "M%.1f %.1f", x, v);
		else
			kt_kbuf_printf(b, "H%.1fV%.1f", x, v);
	}
	kt_kbuf_printf(b, "\"><title>");
	kt_rep_html_esc(b, name);
	kt_kbuf_printf(b, "</title></path>\n");
}

static void axes(struct kbuf *b, const struct series *s, double ymax, const char *title)
{
	kt_kbuf_printf(b, "<text x=\"%d\" y=\"16\" class=\"pt\">", ML);
	kt_rep_html_esc(b, title);
	kt_kbuf_printf(b, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", ML, MT,
		    W - ML - MR, H - MT - MB);
	/* ymax is 1, 2 or 5 x 10^k: ticks at 1/5, 1/4, 1/5 of it */
	int nt = (int)(ymax / pow(10, floor(log10(ymax)) + 1e-9) + 0.5) == 2 ? 4 : 5;

	for (int k = 0; k <= nt; k++) {
		double v = ymax * k / nt, y = ypos(v, ymax);

		kt_kbuf_printf(b,
			    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			    "<text x=\"%d\" y=\"%.1f\" class=\"yl\">%g</text>\n",
			    ML, W - MR, y, y, ML - 4, y + 4, v);
	}
	for (int k = 0; k <= 5; k++) {
		double t = s->tmin + (s->tmax - s->tmin) * k / 5;

		kt_kbuf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"xl\">%.1fs</text>\n", xpos(s, t), H - MB + 14,
			    t / 1000.0);
	}
}

/* Vertical markers for the monitor's events (steps dashed). */
static void events(struct kbuf *b, json_t *evs, const struct series *s)
{
	json_t *e;
	size_t i;
	unsigned step = 0;

	json_array_foreach(evs, i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *detail = json_string_value(json_object_get(e, "detail"));
		double t = val(json_object_get(e, "t_ms")), x;
		bool is_step = kind && !strcmp(kind, "step");
		char lbl[40];

		if (i >= MAX_EVENTS || t < s->tmin || t > s->tmax)
			continue;
		x = xpos(s, t);
		/* steps: the detail's start at the top; other events: the kind
		 * at the bottom; hover for everything */
		if (is_step && detail && *detail) {
			kt_rep_copy(lbl, 26, detail);
			lbl[strcspn(lbl, "(")] = '\0'; /* "step 1 start (iterations 3958)" */
		}
		else if (is_step)
			snprintf(lbl, sizeof(lbl), "step %u", step);
		else
			kt_rep_copy(lbl, 26, kind ? kind : "event");
		step += is_step;
		kt_kbuf_printf(b, "<g class=\"%s\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
			    is_step ? "step" : "ev", x, x, MT, H - MB);
		/* near the right edge the label goes left of its line */
		kt_kbuf_printf(b, "<text x=\"%.1f\" y=\"%d\"%s>", x > W - MR - 120 ? x - 3 : x + 3,
			    is_step ? MT + 11 + (int)(step % 2) * 11 : H - MB - 4 - (int)(i % 2) * 11,
			    x > W - MR - 120 ? " text-anchor=\"end\"" : "");
		kt_rep_html_esc(b, lbl);
		kt_kbuf_printf(b, "</text><title>");
		kt_rep_html_esc(b, kind ? kind : "event");
		kt_kbuf_printf(b, " at %.1fs: ", t / 1000.0);
		kt_rep_html_esc(b, detail ? detail : "");
		kt_kbuf_printf(b, "</title></g>\n");
	}
}

/* Shade the workload, from "scenario_start" to "scenario_end". */
static void shade(struct kbuf *b, json_t *evs, const struct series *s)
{
	double from = -1, to = -1;
	json_t *e;
	size_t i;

	json_array_foreach(evs, i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		double t = val(json_object_get(e, "t_ms"));

		if (kind && !strcmp(kind, "scenario_start") && from < 0)
			from = t;
		else if (kind && !strcmp(kind, "scenario_end") && from >= 0 && t >= from && to < 0)
			to = t;
	}
	if (from < 0)
		return;
	from = from < s->tmin ? s->tmin : from > s->tmax ? s->tmax : from;
	to = to < 0 || to > s->tmax ? s->tmax : to;
	kt_kbuf_printf(b, "<rect class=\"work\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
		       "<title>scenario running</title></rect>\n",
		    xpos(s, from), MT, xpos(s, to) - xpos(s, from), H - MT - MB);
}

int kt_rep_svg_timeline(struct kbuf *b, json_t *mon, const char *signal, const char *title)
{
	struct series s;
	double ymax;
	char name[48];

	if (series_load(json_object_get(mon, "samples"), signal, &s)) {
		free(s.t);
		free(s.y);
		return 0;
	}
	ymax = nice_max(s.ymax);
	kt_kbuf_printf(b, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		       "viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	axes(b, &s, ymax, title);
	shade(b, json_object_get(mon, "events"), &s);
	if (s.ncpu <= PER_CPU_LINES) {
		for (unsigned c = 0; c < s.ncpu; c++) {
			snprintf(name, sizeof(name), "cpu%u", c);
			step_path(b, &s, s.y + c, s.ncpu, ymax, palette[c % ARRAY_SIZE(palette)], name);
			kt_kbuf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"lg\" fill=\"%s\">cpu%u</text>\n",
				    ML + (int)c * 52, H - 4, palette[c % ARRAY_SIZE(palette)], c);
		}
	} else {
		/* Too many CPUs for a line each: the envelope. */
		double *env = calloc(s.n * 3, sizeof(*env));
		static const char *const nm[3] = { "min over CPUs", "mean over CPUs", "max over CPUs" };
		static const char *const col[3] = { "#2ca02c", "#1f77b4", "#d62728" };

		for (size_t i = 0; env && i < s.n; i++) {
			double lo = INFINITY, hi = 0, sum = 0;

			for (unsigned c = 0; c < s.ncpu; c++) {
				double v = s.y[i * s.ncpu + c];

				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
				sum += v;
			}
			env[i * 3] = lo;
			env[i * 3 + 1] = sum / s.ncpu;
			env[i * 3 + 2] = hi;
		}
		for (int k = 0; env && k < 3; k++) {
			step_path(b, &s, env + k, 3, ymax, col[k], nm[k]);
			kt_kbuf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"lg\" fill=\"%s\">%s (%u CPUs)</text>\n",
				    ML + k * 190, H - 4, col[k], nm[k], s.ncpu);
		}
		free(env);
	}
	events(b, json_object_get(mon, "events"), &s);
	kt_kbuf_printf(b, "</svg>\n");
	free(s.t);
	free(s.y);
	return 1;
}

#define HW 440
#define HH 210
#define HB 40

int kt_rep_svg_hist(struct kbuf *b, const char *title, const char *unit, const uint64_t *h, unsigned n)
{
	unsigned last = 0, shown;
	uint64_t max = 0, total = 0;
	double bw, ymax;

	for (unsigned i = 0; i < n; i++) {
		if (h[i])
			last = i;
		max = h[i] > max ? h[i] : max;
		total += h[i];
	}
	if (!total)
		return 0;
	shown = last + 1 < 6 ? 6 : last + 1;
	shown = shown > n ? n : shown;
	bw = (double)(HW - ML - MR) / shown;
	ymax = nice_max((double)max);
	kt_kbuf_printf(b, "<svg class=\"plot hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		       "viewBox=\"0 0 %d %d\" role=\"img\">\n<text x=\"%d\" y=\"16\" class=\"pt\">", HW, HH, HW, HH, ML);
	kt_rep_html_esc(b, title);
	kt_kbuf_printf(b, " (%llu, %s, log2 buckets)</text>\n", (unsigned long long)total, unit);
	kt_kbuf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", ML, MT,
		    HW - ML - MR, HH - MT - HB);
	for (int k = 0; k <= 2; k++) {
		double y = HH - HB - (double)k / 2 * (HH - MT - HB);

		kt_kbuf_printf(b, "<text x=\"%d\" y=\"%.1f\" class=\"yl\">%g</text>\n", ML - 4, y + 4, ymax * k / 2);
	}
	for (unsigned i = 0; i < shown; i++) {
		double bh = (double)h[i] / ymax * (HH - MT - HB), x = ML + i * bw;
		char range[48];

		if (i == 0)
			snprintf(range, sizeof(range), "&lt;1");
		else if (i == n - 1)
			snprintf(range, sizeof(range), "&#8805;%llu", 1ull << (i - 1));
		else
			snprintf(range, sizeof(range), "%llu-%llu", 1ull << (i - 1), 1ull << i);
		kt_kbuf_printf(b,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar\">"
			    "<title>%s %s: %llu</title></rect>\n",
			    x + 1, HH - HB - bh, bw - 2, bh, range, unit, (unsigned long long)h[i]);
		if (i % (shown > 12 ? 2 : 1) == 0)
			kt_kbuf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"xl\" transform=\"rotate(30 %.1f %d)\">%s</text>\n",
				    x + bw / 2, HH - HB + 12, x + bw / 2, HH - HB + 12, range);
	}
	kt_kbuf_printf(b, "</svg>\n");
	return 1;
}
