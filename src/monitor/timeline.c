/* After a VM run: the monitor's verdict (checks over the judged window,
 * cross-checks of guest readings) and its timeline as the sidecar's
 * "monitor" object (docs/monitor.md has the schema). */
#include "monitor/mon_int.h"
#include "monitor/phases.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Time of the first event of one of kinds at or after `after`, 0: none. */
static uint64_t first_event(const struct kt_monitor *m, const char *const *kinds, uint64_t after)
{
	for (size_t i = 0; i < m->nev; i++)
		for (const char *const *k = kinds; *k; k++)
			if (!strcmp(m->ev[i].kind, *k) && m->ev[i].t_ns >= after)
				return m->ev[i].t_ns;
	return 0;
}

uint64_t kt_mon_judge_from(const struct kt_monitor *m, uint64_t t_ready)
{
	static const char *const scen[] = { "scenario_start", NULL };
	uint64_t t_scen;

	if (!t_ready)
		return 0;
	t_scen = first_event(m, scen, t_ready);
	/* The workers' setup (forks, cgroups) between "ready" and the
	 * scenario is no scheduling to judge; a window in, they all run. */
	if (t_scen)
		return t_scen + m->o.limits.window_ns;
	return t_ready + m->o.warmup_ns;
}

static void crosscheck(struct kt_monitor *m, const struct kt_mon_series *ser)
{
	struct kt_mon_xcheck *xc = &m->xc;

	for (size_t i = 0; i < m->nnrp; i++) {
		const struct kt_mon_probe *p = &m->nrp[i];
		uint32_t lo = 0, hi = 0;
		size_t at = 0;
		int r = kt_mon_match_nr(ser, p->cpu, p->a, (uint32_t)p->b, &lo, &hi, &at);

		if (r < 0)
			continue;
		xc->nr_matched++;
		if (r) {
			xc->nr_agree++;
		} else if (!xc->nr_first_bad[0]) {
			snprintf(xc->nr_first_bad, sizeof(xc->nr_first_bad),
				 "cpu %u at rq clock %llu: guest nr_running %llu, monitor %u..%u at t=%.1f s", (unsigned)p->cpu,
				 (unsigned long long)p->a, (unsigned long long)p->b, lo, hi,
				 (double)ser->s[at].t_ns / 1e9);
		}
	}
	if (kt_mon_xcheck_thin(xc->nr_total, xc->nr_matched))
		kt_mon_verdict_add(&m->v, 0,
				   "cross-check: %u of %u guest nr_running readings fell between two monitor samples, "
				   "fewer than half (%zu samples; %s)",
				   xc->nr_matched, xc->nr_total, m->n, m->ready ? "kernel found" : m->wait_why);
	else if (xc->nr_matched && kt_mon_xcheck_off(xc->nr_matched, xc->nr_agree))
		kt_mon_verdict_add(&m->v, 0,
				   "cross-check: %u of %u guest nr_running readings disagree, more than 5 %% (first: %s)",
				   xc->nr_matched - xc->nr_agree, xc->nr_matched, xc->nr_first_bad);
	if (xc->kernel_bad)
		kt_mon_verdict_add(&m->v, 0, "cross-check: %u of %u kernel address readings disagree (first: %s)",
				   xc->kernel_bad, xc->kernel_checked, xc->kernel_first_bad);
}

void kt_mon_finish(struct kt_monitor *m)
{
	static const char *const ready[] = { "ready", NULL };
	static const char *const end[] = { "scenario_end", "sched_exit", "result", NULL };
	struct kt_mon_series ser = { m->s, m->c, m->n, m->ncpus };
	struct kt_mon_limits lim = m->o.limits;
	uint64_t t_ready, t_end;
	size_t from = 0, to = 0;

	if (m->evaluated)
		return;
	m->evaluated = true;
	kt_monitor_stop(m);
	memset(&m->v, 0, sizeof(m->v));
	m->v.ok = true;
	t_ready = first_event(m, ready, 0);
	t_end = first_event(m, end, t_ready); /* a failed first attach may come before "ready" */
	if (m->o.judge && t_ready && m->n) {
		m->judge_from = kt_mon_judge_from(m, t_ready);
		m->judge_to = t_end ? t_end : m->s[m->n - 1].t_ns + 1;
		while (from < m->n && m->s[from].t_ns < m->judge_from)
			from++;
		for (to = from; to < m->n && m->s[to].t_ns < m->judge_to; to++)
			;
		lim.imbalance = true;
		lim.dsq = m->l->group[KT_G_SCX];
		lim.events = m->l->group[KT_G_EVENTS];
		kt_mon_evaluate(&ser, from, to, &lim, &m->v);
	}
	crosscheck(m, &ser);
}

bool kt_monitor_vcpu_share(struct kt_monitor *m, uint64_t t0, uint64_t t1, int cpu, struct kt_vcpu_share *out)
{
	struct kt_mon_series ser;

	if (!m)
		return false;
	kt_mon_finish(m);
	ser = (struct kt_mon_series){ m->s, m->c, m->n, m->ncpus };
	return kt_mon_vcpu_share(&ser, t0, t1, cpu, out);
}

uint64_t kt_monitor_event_time(struct kt_monitor *m, const char *kind)
{
	const char *const kinds[] = { kind, NULL };

	if (!m)
		return 0;
	kt_mon_finish(m);
	return first_event(m, kinds, 0);
}

const struct kt_mon_verdict *kt_monitor_verdict(struct kt_monitor *m)
{
	kt_mon_finish(m);
	return &m->v;
}

void kt_monitor_summary(struct kt_monitor *m, struct kt_mon_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	kt_mon_finish(m);
	out->located = atomic_load(&m->located);
	out->phys_load = m->x.phys_load;
	out->voff = m->x.voff;
	out->samples = m->n;
	out->judged = m->v.judged;
	out->nr_readings = m->xc.nr_total;
	out->nr_matched = m->xc.nr_matched;
	out->nr_agree = m->xc.nr_agree;
	out->kernel_readings = m->xc.kernel_checked;
	out->kernel_bad = m->xc.kernel_bad;
}

#define KT_MON_MAX_PHASES 64

/* Phase boundaries from the events: the scheduler up, the scenario and
 * each of its steps starting, the scenario over. */
static size_t marks_of(const struct kt_monitor *m, struct kt_mon_mark *mk, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nev && n < max; i++) {
		const struct kt_mon_event *e = &m->ev[i];
		const char *label = !strcmp(e->kind, "ready") ? "attached"
				    : !strcmp(e->kind, "scenario_start") ? "scenario"
				    : !strcmp(e->kind, "scenario_end") ? "teardown"
				    : !strcmp(e->kind, "step") ? e->detail : NULL;

		if (!label)
			continue;
		mk[n] = (struct kt_mon_mark){ .t_ns = e->t_ns, .have_iter = e->have_iter, .iter = e->iter };
		if (!strcmp(e->kind, "step")) /* "step N start (...)" -> "step N" */
			snprintf(mk[n].label, sizeof(mk[n].label), "%.*s",
				 (int)(strcspn(label, "(") < sizeof(mk[n].label) - 1 ? strcspn(label, "(")
										      : sizeof(mk[n].label) - 1),
				 label);
		else
			snprintf(mk[n].label, sizeof(mk[n].label), "%.39s", label);
		for (size_t l = strlen(mk[n].label); l && mk[n].label[l - 1] == ' ';)
			mk[n].label[--l] = '\0';
		if (strlen(mk[n].label) > 6 && !strcmp(mk[n].label + strlen(mk[n].label) - 6, " start"))
			mk[n].label[strlen(mk[n].label) - 6] = '\0';
		n++;
	}
	return n;
}

int kt_monitor_report(struct kt_monitor *m, struct kbuf *summary, struct kbuf *timeline)
{
	struct kt_mon_series ser;
	struct kt_mon_mark mk[KT_MON_MAX_PHASES];
	struct kt_mon_phase ph[KT_MON_MAX_PHASES];
	struct kt_mon_totals tot;
	size_t from = 0, nm, np;

	if (!m)
		return -EINVAL;
	kt_mon_finish(m);
	ser = (struct kt_mon_series){ m->s, m->c, m->n, m->ncpus };
	if (m->judge_from)
		while (from < m->n && m->s[from].t_ns < m->judge_from)
			from++;
	if (summary) {
		kt_mon_totals(&ser, 0, m->n, &tot);
		kt_kbuf_printf(summary, "samples=%zu judged=%zu max_imbalance=%.1f", m->n, m->v.judged, tot.imb_max);
		if (tot.imb_max > 1.0)
			kt_kbuf_printf(summary, " (t=%.1f s)", (double)tot.imb_t / 1e9);
		if (m->v.mean_span_ns)
			kt_kbuf_printf(summary, " mean_imbalance=%.2f (%.1f s)", m->v.mean_imbalance,
				       (double)m->v.mean_span_ns / 1e9);
		kt_kbuf_printf(summary, " max_dsq_depth=%u", tot.dsq_max);
		if (tot.dsq_max)
			kt_kbuf_printf(summary, " (cpu %u)", tot.dsq_cpu);
		kt_kbuf_printf(summary, " stall=%s idle_while_waiting=%s; verdict: ", tot.stalled ? "yes" : "no",
			       tot.idle_waiting ? "yes" : "no");
		if (!m->o.judge)
			kt_kbuf_printf(summary, "not judged (no sched_ext scheduler)");
		else if (m->v.ok)
			kt_kbuf_printf(summary, "monitor OK");
		else
			kt_kbuf_printf(summary, "monitor FAILED: %u violation(s)", m->v.nfail);
		if (!m->ready)
			kt_kbuf_printf(summary, " (kernel not found in guest memory: %s)", m->wait_why[0] ? m->wait_why : "no sample");
	}
	if (timeline) {
		nm = marks_of(m, mk, KT_MON_MAX_PHASES);
		np = kt_mon_phases(&ser, mk, nm, m->n ? m->s[m->n - 1].t_ns + 1 : 0, ph, KT_MON_MAX_PHASES);
		kt_mon_phases_text(ph, np, timeline);
		if (!np)
			kt_kbuf_printf(timeline, "(no scenario events)\n");
		for (size_t i = 0; i < m->nev; i++)
			if (!strcmp(m->ev[i].kind, "sched_exit") || !strcmp(m->ev[i].kind, "dump") ||
			    !strcmp(m->ev[i].kind, "op"))
				kt_kbuf_printf(timeline, "t=%.1f s %s: %s\n", (double)m->ev[i].t_ns / 1e9, m->ev[i].kind,
					       m->ev[i].detail);
	}
	return 0;
}

static json_t *hex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return json_string(b);
}

enum sig { SG_NR, SG_CLOCK, SG_IDLE, SG_SCX_NR, SG_DSQ, SG_SCX_FLAGS, SG_RUN_DELAY, SG_PCOUNT, SG_SCHED_COUNT,
	   SG_GOIDLE, SG_TTWU, SG_VRUN, SG_VWAIT, SG_EV_FB, SG_EV_KL, SG_WAIT_LOCAL, SG_MAY_TAKE, SG__COUNT };
static const char *const sig_name[SG__COUNT] = {
	"nr_running", "clock_ns", "idle", "scx_nr_running", "dsq_depth", "scx_flags", "run_delay_ns", "pcount",
	"sched_count", "sched_goidle", "ttwu_count", "vcpu_run_ns", "vcpu_wait_ns", "ev_select_cpu_fallback",
	"ev_dispatch_keep_last", "waiting_local", "may_take",
};

static bool sig_on(const struct kt_monitor *m, enum sig g)
{
	const struct kt_layout *l = m->l;

	switch (g) {
	case SG_IDLE: return l->group[KT_G_IDLE];
	case SG_SCX_NR: case SG_DSQ: case SG_SCX_FLAGS: return l->group[KT_G_SCX];
	case SG_RUN_DELAY: case SG_PCOUNT: case SG_SCHED_COUNT: case SG_GOIDLE: case SG_TTWU:
		return l->group[KT_G_SCHEDSTAT];
	case SG_VRUN: case SG_VWAIT: return m->vcpu_named;
	case SG_EV_FB: case SG_EV_KL: return l->group[KT_G_EVENTS];
	case SG_WAIT_LOCAL: case SG_MAY_TAKE: return l->walk.ok;
	default: return true;
	}
}

static json_t *cpu_value(const struct kt_mon_cpu *k, enum sig g, bool walk)
{
	bool have = g == SG_VRUN || g == SG_VWAIT ? k->vcpu_ok : g == SG_EV_FB || g == SG_EV_KL ? k->ev_ok
					  : g == SG_WAIT_LOCAL || g == SG_MAY_TAKE ? walk : k->ok;
	static_assert(sizeof(json_int_t) == 8, "64-bit JSON integers");

	if (!have)
		return json_null();
	switch (g) {
	case SG_NR: return json_integer(k->nr_running);
	case SG_CLOCK: return json_integer((json_int_t)k->clock);
	case SG_IDLE: return json_integer(k->idle);
	case SG_SCX_NR: return json_integer(k->scx_nr_running);
	case SG_DSQ: return json_integer(k->dsq_depth);
	case SG_SCX_FLAGS: return json_integer(k->scx_flags);
	case SG_RUN_DELAY: return json_integer((json_int_t)k->run_delay);
	case SG_PCOUNT: return json_integer((json_int_t)k->pcount);
	case SG_SCHED_COUNT: return json_integer(k->sched_count);
	case SG_GOIDLE: return json_integer(k->sched_goidle);
	case SG_TTWU: return json_integer(k->ttwu_count);
	case SG_VRUN: return json_integer((json_int_t)k->vcpu_run_ns);
	case SG_VWAIT: return json_integer((json_int_t)k->vcpu_wait_ns);
	case SG_EV_FB: return json_integer(k->ev_fallback);
	case SG_EV_KL: return json_integer(k->ev_keep_last);
	case SG_WAIT_LOCAL: return json_integer(k->waiting_local);
	case SG_MAY_TAKE: return json_integer(k->may_take);
	default: return json_null();
	}
}

static json_t *samples_json(const struct kt_monitor *m, bool state)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < m->n; i++) {
		json_t *o = json_object();
		const struct kt_mon_sample *s = &m->s[i];

		json_object_set_new(o, "t_ms", json_integer((json_int_t)(s->t_ns / 1000000u)));
		for (int g = 0; g < SG__COUNT; g++) {
			json_t *a;

			if (!sig_on(m, g))
				continue;
			a = json_array();
			for (unsigned c = 0; c < m->ncpus; c++)
				json_array_append_new(a, cpu_value(&m->c[i * m->ncpus + c], g, s->walk_ok));
			json_object_set_new(o, sig_name[g], a);
		}
		if (m->l->walk.ok)
			json_object_set_new(o, "shared_waiting", s->walk_ok ? json_integer(s->shared_waiting) : json_null());
		if (state) {
			json_object_set_new(o, "scx_state", s->scx_state >= 0 && m->l->scx_state_name[s->scx_state][0]
							 ? json_string(m->l->scx_state_name[s->scx_state]) : json_null());
			json_object_set_new(o, "scx_switching_all",
					    s->switching_all >= 0 ? json_boolean(s->switching_all) : json_null());
			json_object_set_new(o, "scx_nr_rejected",
					    s->nr_rejected >= 0 ? json_integer(s->nr_rejected) : json_null());
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

int kt_monitor_json(struct kt_monitor *m, struct kbuf *out)
{
	json_t *j = json_object(), *sig = json_array(), *ev = json_array(), *ver = json_object(), *fails = json_array();
	json_t *deg = json_array(), *k = json_object(), *th = json_object(), *xc = json_object();
	bool state = m->l->group[KT_G_SCX_STATE];
	char *text;
	int ret;

	kt_mon_finish(m);
	json_object_set_new(j, "interval_ms", json_integer(m->o.interval_ms));
	json_object_set_new(j, "cpus", json_integer(m->ncpus));
	for (int g = 0; g < SG__COUNT; g++)
		if (sig_on(m, g))
			json_array_append_new(sig, json_string(sig_name[g]));
	if (m->l->walk.ok)
		json_array_append_new(sig, json_string("shared_waiting"));
	if (state) {
		json_array_append_new(sig, json_string("scx_state"));
		json_array_append_new(sig, json_string("scx_switching_all"));
		json_array_append_new(sig, json_string("scx_nr_rejected"));
	}
	json_object_set_new(j, "signals", sig);
	json_object_set_new(j, "samples", samples_json(m, state));
	for (size_t i = 0; i < m->nev; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "t_ms", json_integer((json_int_t)(m->ev[i].t_ns / 1000000u)));
		json_object_set_new(e, "kind", json_string(m->ev[i].kind));
		json_object_set_new(e, "detail", json_string(m->ev[i].detail));
		json_array_append_new(ev, e);
	}
	json_object_set_new(j, "events", ev);
	json_object_set_new(ver, "ok", json_boolean(m->v.ok));
	for (unsigned i = 0; i < m->v.nfail; i++)
		json_array_append_new(fails, json_string(m->v.fail[i].msg));
	json_object_set_new(ver, "failures", fails);
	json_object_set_new(ver, "judged", json_boolean(m->o.judge));
	json_object_set_new(ver, "judged_samples", json_integer((json_int_t)m->v.judged));
	json_object_set_new(ver, "from_ms", json_integer((json_int_t)(m->judge_from / 1000000u)));
	json_object_set_new(ver, "to_ms", json_integer((json_int_t)(m->judge_to / 1000000u)));
	json_object_set_new(j, "verdict", ver);
	for (size_t i = 0; i < m->l->degraded.n; i++)
		json_array_append_new(deg, json_string(m->l->degraded.v[i]));
	for (size_t i = 0; i < m->degraded.n; i++)
		json_array_append_new(deg, json_string(m->degraded.v[i]));
	if (!m->ready && !m->selfcheck[0])
		json_array_append_new(deg, json_string(m->l->group[KT_G_CORE] && m->wait_why[0]
							       ? "all signals: kernel not found in guest memory"
							       : "all signals: no sample taken"));
	json_object_set_new(j, "degraded", deg);
	json_object_set_new(k, "located", json_boolean(atomic_load(&m->located)));
	if (atomic_load(&m->located)) {
		json_object_set_new(k, "phys_load", hex(m->x.phys_load));
		json_object_set_new(k, "kaslr_offset", hex(m->x.voff));
		json_object_set_new(k, "page_offset_base", hex(m->x.page_offset));
		json_object_set_new(k, "paging_levels", json_integer(m->x.levels));
		json_object_set_new(k, "located_ms", json_integer((json_int_t)(m->t_located / 1000000u)));
		json_object_set_new(k, "selfcheck", json_string(m->selfcheck));
	} else if (m->wait_why[0]) {
		json_object_set_new(k, "waiting", json_string(m->wait_why));
	}
	json_object_set_new(j, "kernel", k);
	json_object_set_new(th, "max_imbalance_ratio", json_real(m->o.limits.max_imbalance_ratio));
	json_object_set_new(th, "max_local_dsq_depth", json_integer(m->o.limits.max_local_dsq_depth));
	json_object_set_new(th, "fail_on_stall", json_boolean(m->o.limits.fail_on_stall));
	json_object_set_new(th, "fail_on_idle_waiting", json_boolean(m->o.limits.fail_on_idle_waiting));
	json_object_set_new(th, "max_idle_waiting_pct", json_real(m->o.limits.max_idle_waiting_pct));
	json_object_set_new(th, "max_mean_imbalance", json_real(m->o.limits.max_mean_imbalance));
	json_object_set_new(th, "sustained_samples", json_integer(m->o.sustained_samples));
	json_object_set_new(th, "window_ms", json_integer((json_int_t)(m->o.limits.window_ns / 1000000u)));
	json_object_set_new(th, "max_fallback_rate", json_real(m->o.limits.max_fallback_rate));
	json_object_set_new(th, "max_keep_last_rate", json_real(m->o.limits.max_keep_last_rate));
	json_object_set_new(th, "warmup_ms", json_integer((json_int_t)(m->o.warmup_ns / 1000000u)));
	json_object_set_new(j, "thresholds", th);
	json_object_set_new(xc, "nr_running_readings", json_integer(m->xc.nr_total));
	json_object_set_new(xc, "nr_running_matched", json_integer(m->xc.nr_matched));
	json_object_set_new(xc, "nr_running_agree", json_integer(m->xc.nr_agree));
	json_object_set_new(xc, "kernel_readings", json_integer(m->xc.kernel_checked));
	json_object_set_new(xc, "kernel_agree", json_integer(m->xc.kernel_checked - m->xc.kernel_bad));
	json_object_set_new(j, "crosscheck", xc);
	json_object_set_new(j, "host_cpu_ns", json_integer((json_int_t)m->read_ns));
	json_object_set_new(j, "dropped_samples", json_integer((json_int_t)m->dropped));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	out->len = 0;
	ret = kt_kbuf_append(out, text, strlen(text));
	free(text);
	return ret;
}
