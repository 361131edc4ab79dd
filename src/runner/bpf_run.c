/* A run's BPF programs, maps and verifier logs (bpf_run.h). */
#include "runner/bpf_run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t kt_bpf_progs_drop_superseded(struct kt_mon_bpf_prog *v, size_t n)
{
	bool *gone = calloc(n ? n : 1, sizeof(*gone));
	size_t out = 0;

	if (!gone)
		return n; /* keep everything rather than guess */
	/* Judge every program against the whole list first, then compact. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n && !gone[i]; j++)
			gone[i] = j != i && v[j].first.type == v[i].first.type &&
				  !strcmp(v[j].first.name, v[i].first.name) && v[j].first_ns > v[i].last_ns;
	for (size_t i = 0; i < n; i++)
		if (!gone[i])
			v[out++] = v[i];
	free(gone);
	return out;
}

int kt_bpf_run_collect(struct kt_bpf_run *r, struct kt_monitor *m, const struct kt_layout *l)
{
	const struct kt_mon_bpf_prog *p;
	const struct kt_bpf_map *mp;
	size_t np, nm;

	kt_monitor_bpf_note(m, r->note, sizeof(r->note));
	np = kt_monitor_bpf_progs(m, &p);
	nm = kt_monitor_bpf_maps(m, &mp);
	if (np) {
		r->progs = malloc(np * sizeof(*p));
		if (!r->progs)
			return -ENOMEM;
		memcpy(r->progs, p, np * sizeof(*p));
		r->nprogs = kt_bpf_progs_drop_superseded(r->progs, np);
	}
	if (nm) {
		r->maps = malloc(nm * sizeof(*mp));
		if (!r->maps)
			return -ENOMEM;
		memcpy(r->maps, mp, nm * sizeof(*mp));
		r->nmaps = nm;
		for (size_t i = 0; i < nm && i < KT_BPF_MAX_OBJS; i++)
			snprintf(r->map_types[i], sizeof(r->map_types[i]), "%s", kt_bpf_map_type_name(&l->bpf, mp[i].type));
	}
	return 0;
}

void kt_bpf_run_free(struct kt_bpf_run *r)
{
	free(r->progs);
	free(r->maps);
	kt_vlogs_free(&r->vlogs);
	r->progs = NULL;
	r->maps = NULL;
	r->nprogs = r->nmaps = 0;
}

const struct kt_vlog_entry *kt_bpf_run_vlog(const struct kt_bpf_run *r, const char *name)
{
	for (size_t i = r->vlogs.n; i-- > 0;)
		if (!strcmp(r->vlogs.v[i].h.prog, name))
			return &r->vlogs.v[i];
	return NULL;
}

double kt_insn_limit_pct(uint64_t insns)
{
	return 100.0 * (double)insns / KT_VERIFIER_INSN_LIMIT;
}

static json_t *u64j(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *prog_json(const struct kt_bpf_run *r, const struct kt_mon_bpf_prog *p)
{
	json_t *o = json_object(), *seen = json_array();
	const struct kt_vlog_entry *v = kt_bpf_run_vlog(r, p->last.name);

	json_object_set_new(o, "id", json_integer(p->last.id));
	json_object_set_new(o, "name", json_string(p->last.name));
	json_object_set_new(o, "type", json_string(p->type_name));
	json_object_set_new(o, "verified_insns", json_integer(p->last.verified_insns));
	json_object_set_new(o, "insn_limit_pct", json_real(kt_insn_limit_pct(p->last.verified_insns)));
	if (p->last.stats_ok) {
		uint64_t cnt = p->last.run_cnt, ns = p->last.run_ns;

		json_object_set_new(o, "run_cnt", u64j(cnt));
		json_object_set_new(o, "run_time_ns", u64j(ns));
		json_object_set_new(o, "ns_per_run", json_real(cnt ? (double)ns / (double)cnt : 0.0));
	}
	json_array_append_new(seen, u64j(p->first_ns / 1000000u));
	json_array_append_new(seen, u64j(p->last_ns / 1000000u));
	json_object_set_new(o, "seen_ms", seen);
	if (v && v->have_st && v->st.have_processed) {
		json_object_set_new(o, "processed_insns", u64j(v->st.processed));
		json_object_set_new(o, "peak_states", u64j(v->st.peak_states));
		json_object_set_new(o, "total_states", u64j(v->st.total_states));
	}
	if (v && v->have_st && v->st.have_time)
		json_object_set_new(o, "verification_us", u64j(v->st.time_usec));
	return o;
}

json_t *kt_bpf_run_json(const struct kt_bpf_run *r)
{
	json_t *j = json_object(), *progs = json_array(), *maps = json_array(), *ver = kt_vlogs_json(&r->vlogs);

	if (!j || !progs || !maps || !ver) {
		json_decref(j);
		json_decref(progs);
		json_decref(maps);
		json_decref(ver);
		return NULL;
	}
	for (size_t i = 0; i < r->nprogs; i++)
		json_array_append_new(progs, prog_json(r, &r->progs[i]));
	for (size_t i = 0; i < r->nmaps; i++) {
		const struct kt_bpf_map *m = &r->maps[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_integer(m->id));
		json_object_set_new(o, "name", json_string(m->name));
		json_object_set_new(o, "type", json_string(i < KT_BPF_MAX_OBJS ? r->map_types[i] : "?"));
		json_object_set_new(o, "key_size", json_integer(m->key_size));
		json_object_set_new(o, "value_size", json_integer(m->value_size));
		json_object_set_new(o, "max_entries", json_integer(m->max_entries));
		json_array_append_new(maps, o);
	}
	json_object_set_new(j, "progs", progs);
	json_object_set_new(j, "maps", maps);
	json_object_set_new(j, "verifier", ver);
	json_object_set_new(j, "note", json_string(r->note));
	return j;
}
