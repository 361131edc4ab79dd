/* Host starvation or scheduler stall (runner/hostcheck.h). */
#include "runner/hostcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_S 3600.0

/* The number right after key in msg (seconds or milliseconds), bounded. */
static bool number_after(const char *msg, const char *key, double max, double *v)
{
	const char *p = strstr(msg, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return false;
	*v = strtod(p, &end);
	return end != p && *v >= 0 && *v <= max;
}

static void add(struct kt_fail_window *out, size_t *n, size_t max, uint64_t t0, uint64_t t1, const char *what)
{
	if (*n >= max || t1 <= t0)
		return;
	out[*n].t0 = t0;
	out[*n].t1 = t1;
	snprintf(out[*n].what, sizeof(out[*n].what), "%.150s", what);
	(*n)++;
}

static uint64_t ns(double s)
{
	return (uint64_t)(s * 1e9);
}

size_t kt_fail_windows(const struct kt_result *r, uint64_t t_scen, uint64_t t_exit, const struct kt_mon_verdict *v,
		       struct kt_fail_window *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; r && i < r->ndetails && i < KT_MAX_DETAILS; i++) {
		const char *m = r->details[i].msg;
		double d, at;

		if (r->details[i].kind == KTSTR_K_SCHEDULER && t_exit &&
		    (number_after(m, "failed to run for ", MAX_S, &d) ||
		     number_after(m, "failed to check in for ", MAX_S, &d)))
			add(out, &n, max, t_exit > ns(d) ? t_exit - ns(d) : 0, t_exit, m);
		else if (r->details[i].kind == KTSTR_K_STUCK && t_scen && number_after(m, " stuck ", MAX_S * 1000, &d) &&
			 number_after(m, " at +", MAX_S * 1000, &at) && at >= d)
			add(out, &n, max, t_scen + ns((at - d) / 1000), t_scen + ns(at / 1000), m);
	}
	for (unsigned i = 0; v && i < v->nfail && i < KT_MON_MAX_FAIL; i++)
		if (v->fail[i].stall)
			add(out, &n, max, v->fail[i].from_ns, v->fail[i].t_ns, v->fail[i].msg);
	return n;
}

bool kt_host_starved(const struct kt_vcpu_share *s)
{
	/* Kept waiting for a host CPU (contention) for at least half of the
	 * window, or running a guest task yet getting no host CPU (the VMM
	 * stopped, swapped out).  A guest that halts (its scheduler stalled)
	 * wants little host CPU; on a busy host most of that little is spent
	 * waiting, which is no starvation: hence the floor on wait. */
	bool waited = s->run < 0.10 && s->wait >= 0.5 && s->wait / (s->run + s->wait) >= 0.8;
	bool deprived = s->busy >= 0.3 && s->got < 0.10;

	return waited || deprived;
}

void kt_host_check(struct kt_monitor *mon, struct kt_outcome *out)
{
	struct kt_fail_window w[KT_FAIL_WINDOWS];
	const struct kt_mon_verdict *v;
	struct kt_vcpu_share sh;
	size_t n;

	if (!mon || out->verdict != KT_FAIL)
		return;
	v = kt_monitor_verdict(mon);
	n = kt_fail_windows(out->have_result ? &out->result : NULL, kt_monitor_event_time(mon, "scenario_start"),
			    kt_monitor_event_time(mon, "sched_exit"), v, w, KT_FAIL_WINDOWS);
	for (size_t i = 0; i < n; i++) {
		char line[600];

		if (!kt_monitor_vcpu_share(mon, w[i].t0, w[i].t1, -1, &sh)) {
			kt_kbuf_printf(&out->mon_summary, "%shost: vCPU times unknown over the %.1f s of: %s",
				       out->mon_summary.len ? "\n" : "", (double)(w[i].t1 - w[i].t0) / 1e9, w[i].what);
			continue;
		}
		snprintf(line, sizeof(line),
			 "the %u vCPUs ran %.0f%% and waited for a host CPU %.0f%% of the %.1f s (busy %.0f%%, of which "
			 "they got %.0f%%) of: %s",
			 sh.vcpus, 100 * sh.run, 100 * sh.wait, (double)sh.span_ns / 1e9, 100 * sh.busy, 100 * sh.got,
			 w[i].what);
		/* One vCPU kept off the host (the one a stuck task needed)
		 * hides in the average of the others' idle time. */
		for (unsigned c = 0; !kt_host_starved(&sh) && c < sh.vcpus; c++) {
			struct kt_vcpu_share one;

			if (kt_monitor_vcpu_share(mon, w[i].t0, w[i].t1, (int)c, &one) && kt_host_starved(&one)) {
				snprintf(line, sizeof(line),
					 "vCPU %u of %u ran %.0f%% and waited for a host CPU %.0f%% of the %.1f s (busy "
					 "%.0f%%, of which it got %.0f%%) of: %s",
					 c, sh.vcpus, 100 * one.run, 100 * one.wait, (double)one.span_ns / 1e9,
					 100 * one.busy, 100 * one.got, w[i].what);
				sh = one;
			}
		}
		if (kt_host_starved(&sh)) {
			char why[sizeof(out->reason)];

			snprintf(why, sizeof(why), "%s", out->reason);
			out->verdict = KT_ERROR;
			snprintf(out->reason, sizeof(out->reason),
				 "infrastructure error: the host starved the VM (%.500s); the failure was: %.300s", line, why);
			kt_kbuf_printf(&out->mon_summary, "%shost: STARVED: %s", out->mon_summary.len ? "\n" : "", line);
			return;
		}
		kt_kbuf_printf(&out->mon_summary, "%shost: not starved (a scheduler failure): %s",
			       out->mon_summary.len ? "\n" : "", line);
	}
}
