/* Tests to cases (one per valid flag profile of the test's scheduler),
 * and a case resolved: every default applied (runner/exec.h). */
#include "model/profiles.h"
#include "model/defaults.h"
#include "runner/exec.h"
#include "model/ctx.h"
#include "proto/guest_args.h"
#include <ktstr/scenario.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROFILES 256

int kt_expand_cases(const struct ktstr_test *const *tests, size_t n, const struct ktstr_scheduler *override,
		    struct kt_case **out, size_t *nout)
{
	struct kt_case *v = NULL;
	size_t cnt = 0, cap = 0;
	uint32_t masks[MAX_PROFILES];
	char err[256];
	int ret;

	for (size_t i = 0; i < n; i++) {
		const struct ktstr_test *t = tests[i];
		const struct ktstr_scheduler *s = override ? override : t->scheduler;
		const struct ktstr_sched_flag *flags = s ? s->flags : NULL;
		int np = 1;

		masks[0] = 0;
		if (flags && flags[0].name) {
			np = kt_flag_profiles(flags, t->required_flags, t->excluded_flags, masks, MAX_PROFILES, err,
					      sizeof(err));
			if (np < 0) {
				free(v);
				return kt_err(0, "test %s, scheduler %s: %s", t->name, s->name ? s->name : s->binary,
					      err);
			}
			if (np == 0) {
				free(v);
				return kt_err(0, "test %s, scheduler %s: no flag combination satisfies the test's "
						 "required/excluded flags and the flags' requires/excludes",
					      t->name, s->name ? s->name : s->binary);
			}
		}
		for (int k = 0; k < np; k++) {
			struct kt_case *c;
			char prof[128];

			if (cnt == cap) {
				struct kt_case *nv;

				cap = cap ? cap * 2 : 32;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			c = &v[cnt++];
			memset(c, 0, sizeof(*c));
			c->t = t;
			c->sched = s;
			if (flags && flags[0].name) {
				ret = kt_profile_name(flags, masks[k], prof, sizeof(prof));
				if (!ret)
					ret = kt_profile_args(flags, masks[k], c->flag_args, sizeof(c->flag_args));
				if (!ret)
					ret = kt_fmt(c->name, sizeof(c->name), "%s/%s", t->name, prof);
			} else {
				ret = kt_fmt(c->name, sizeof(c->name), "%s", t->name);
			}
			if (ret) { /* a cut name could name another case */
				kt_err(ENAMETOOLONG, "test %.64s: case name (at most %zu bytes) or scheduler flag "
						     "arguments (%zu) too long", t->name, sizeof(c->name) - 1,
				       sizeof(c->flag_args) - 1);
				free(v);
				return ret;
			}
		}
	}
	*out = v;
	*nout = cnt;
	return 0;
}

void kt_case_topo(const struct kt_case *c, bool have_override, const struct ktstr_topo *override,
		  struct ktstr_topo *out)
{
	if (have_override)
		*out = *override;
	else if (c->have_topo)
		*out = c->topo;
	else
		kt_test_topo(c->t, out);
}

int kt_case_resolve(const struct kt_case *c, const struct kt_case_overrides *ov, enum kt_exec_where where,
		    struct kt_resolved *out, char *err, size_t errlen)
{
	static const struct kt_case_overrides none;
	const struct ktstr_test *t = c->t;
	unsigned dur_s, timeout_s;
	char why[160];

	if (!ov)
		ov = &none;
	memset(out, 0, sizeof(*out));
	out->c = c;
	kt_case_topo(c, ov->have_topo, &ov->topo, &out->topo);
	if (ktstr_topo_validate(&out->topo, err, errlen) || kt_scenario_validate(t, &out->topo, err, errlen))
		return -EINVAL;
	if (kt_kernel_args_check(t->kernel_args, why, sizeof(why))) {
		snprintf(err, errlen, ".kernel_args \"%.64s\": %s", t->kernel_args, why);
		return -EINVAL;
	}
	if (where != KT_EXEC_LOCAL && out->topo.numa_nodes > VM_MAX_NODES) {
		snprintf(err, errlen, "%u NUMA nodes, at most %d supported", out->topo.numa_nodes, VM_MAX_NODES);
		return -EINVAL;
	}
	dur_s = kt_default_duration_s(t, ov->duration_s);
	out->duration_ms = ov->duration_ms ? ov->duration_ms : dur_s * 1000;
	if (ov->duration_ms)
		dur_s = (ov->duration_ms + 999) / 1000;
	/* An L2 gets the per-node floor only: every page it touches costs. */
	out->memory_mb = where == KT_EXEC_NESTED ? VM_MIN_NODE_MB * out->topo.numa_nodes
						 : kt_default_memory_mb(t, c->memory_mb, ov->memory_mb,
									VM_MIN_NODE_MB * out->topo.numa_nodes);
	timeout_s = ov->timeout_s	? ov->timeout_s
		    : t->timeout_s	? t->timeout_s
		    : ov->env_timeout_s ? ov->env_timeout_s
					: kt_default_timeout_s(dur_s, ktstr_topo_cpus(&out->topo), where == KT_EXEC_NESTED);
	out->timeout_ms = 1000u * timeout_s;
	out->watchdog_s = kt_watchdog_explicit(t->watchdog_timeout_s, c->sched ? c->sched->watchdog_timeout_s : 0,
					       ov->have_watchdog, ov->watchdog_s, &out->watchdog_src);
	out->stall_after_ms = t->host_stall_after_ms;
	if (t->bpf_map_write.map) {
		const struct ktstr_bpf_map_write *w = &t->bpf_map_write;
		unsigned sz = w->size;

		if (!w->map[0] || strlen(w->map) > 16 || (w->field && (!w->field[0] || strlen(w->field) > 127)) ||
		    (sz != 0 && sz != 1 && sz != 2 && sz != 4 && sz != 8) || (!w->field && w->offset % (sz ? sz : 4))) {
			snprintf(err, errlen, "bpf_map_write: want a map name suffix (16 bytes at most), a field or an "
					      "offset aligned to the size, and a size of 0, 1, 2, 4 or 8");
			return -EINVAL;
		}
		if (where == KT_EXEC_LOCAL) {
			snprintf(err, errlen, "bpf_map_write needs a VM (the host writes into guest memory)");
			return -EINVAL;
		}
		out->map_write = w;
	}
	return 0;
}
