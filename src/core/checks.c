/* Worker-level checks (pure): starvation, fairness spread, scheduling
 * gaps.  Thresholds and messages follow the reference (docs/checks.md). */
#include "core/ctx.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void kt_check_cgroup(struct kt_result *r, const char *cgname, const struct ktstr_worker_report *w,
		     size_t n, unsigned gap_threshold_ms, double spread_threshold_pct, bool spread_check)
{
	struct kt_cgstats *g = r->ncg < KT_MAX_CGROUPS ? &r->cg[r->ncg++] : NULL;
	struct ktstr_cpumask all;
	double pmin = 1e9, pmax = -1;
	unsigned npct = 0;
	uint64_t run_delay = 0;
	char msg[256];

	kmask_zero(&all);
	if (g) {
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", cgname);
		g->workers = (unsigned)n;
		g->max_gap_cpu = -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_worker_report *x = &w[i];
		uint64_t gap_ms = x->max_gap_ns / 1000000u;

		kmask_or(&all, &x->cpus_used);
		run_delay += x->run_delay_ns;
		if (x->work_units == 0) {
			snprintf(msg, sizeof(msg), "%s: tid %d starved (0 work units)", cgname, (int)x->pid);
			kt_result_add(r, KTSTR_K_STARVED, msg);
		}
		if (x->wall_time_ns > 0) {
			uint64_t off = x->wall_time_ns > x->cpu_time_ns ? x->wall_time_ns - x->cpu_time_ns : 0;
			double pct = (double)off * 100.0 / (double)x->wall_time_ns;

			if (pct < pmin)
				pmin = pct;
			if (pct > pmax)
				pmax = pct;
			npct++;
		}
		if (gap_ms > gap_threshold_ms) {
			snprintf(msg, sizeof(msg), "%s: tid %d stuck %" PRIu64 "ms on cpu%d at +%" PRIu64
				 "ms (threshold %ums)", cgname, (int)x->pid, gap_ms, x->max_gap_cpu,
				 x->max_gap_at_ns / 1000000u, gap_threshold_ms);
			kt_result_add(r, KTSTR_K_STUCK, msg);
		}
		if (g) {
			if (gap_ms > g->max_gap_ms || g->max_gap_cpu < 0) {
				g->max_gap_ms = gap_ms;
				g->max_gap_cpu = x->max_gap_cpu;
			}
			g->migrations += x->migrations;
			g->iterations += x->iterations;
			g->work_units += x->work_units;
		}
	}
	if (g) {
		g->cpus = kmask_weight(&all);
		g->spread_pct = npct >= 2 ? pmax - pmin : 0;
		g->mean_run_delay_us = n ? run_delay / n / 1000u : 0;
	}
	if (spread_check && npct >= 2 && pmax - pmin > spread_threshold_pct) {
		snprintf(msg, sizeof(msg),
			 "%s: unfair cgroup: spread=%.0f%% (%.0f-%.0f%%) %zu workers on %u cpus (threshold %.0f%%)",
			 cgname, pmax - pmin, pmin, pmax, n, kmask_weight(&all), spread_threshold_pct);
		kt_result_add(r, KTSTR_K_UNFAIR, msg);
	}
	r->workers += (unsigned)n;
}
