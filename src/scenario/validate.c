/* Validation of data-driven scenarios (host side before boot, and again
 * in the guest), and the registry of their data. */
#include <ktstr/scenario.h>
#include "model/ctx.h"
#include "model/mempolicy.h"
#include "workload/workload.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAMES 64
#define MAX_PAYLOADS 64   /* background payloads alive at once */
#define MAX_PAYLOAD_ARGS 64

const char *const kt_op_names[KTSTR_OP__COUNT] = {
	"end", "add_cgroup", "remove_cgroup", "set_cpuset", "clear_cpuset", "swap_cpusets",
	"spawn", "stop", "set_affinity", "move_tasks", "set_policy", "spawn_host",
	"run_payload", "wait_payload", "kill_payload",
};

struct names {
	const char *n[MAX_NAMES];
	unsigned cnt;
};

static int find(const struct names *s, const char *n)
{
	for (unsigned i = 0; n && i < s->cnt; i++)
		if (!strcmp(s->n[i], n))
			return (int)i;
	return -1;
}

/* Background payloads running at a point of the scenario. */
struct live_payloads {
	struct {
		const char *name, *cgroup;
		int step; /* -1: the backdrop's */
	} v[MAX_PAYLOADS];
	unsigned n;
};

static bool same_cgroup(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int payload_find(const struct live_payloads *l, const char *name, const char *cgroup)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name) && same_cgroup(l->v[i].cgroup, cgroup))
			return (int)i;
	return -1;
}

static void payload_drop(struct live_payloads *l, unsigned i)
{
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
}

/* RUN/WAIT/KILL_PAYLOAD; at names the op. */
static int check_payload_op(const struct ktstr_op *o, const struct names *live, struct live_payloads *pl, int step,
			    const char *at, char *err, size_t len)
{
	const char *cg = o->cgroup ? o->cgroup : "the root cgroup";
	char e[256];
	int k;

	if (!o->payload)
		return snprintf(err, len, "%s: payload: none given", at), -EINVAL;
	if (ktstr_payload_validate(o->payload, e, sizeof(e)))
		return snprintf(err, len, "%s: payload: %s", at, e), -EINVAL;
	if (o->to || o->cpuset.kind != KTSTR_CS_NONE || o->workers)
		return snprintf(err, len, "%s: .to, .cpuset and .workers do not apply to a payload op", at), -EINVAL;
	if (o->cgroup) {
		size_t cl = strlen(o->cgroup);

		if (!kt_cgroup_name_ok(o->cgroup))
			return snprintf(err, len, "%s: cgroup: name '%s' must be non-empty, relative, without '..'", at,
					o->cgroup), -EINVAL;
		if (find(live, o->cgroup) < 0)
			return snprintf(err, len, "%s: cgroup: no such cgroup '%s' (add it first)", at, o->cgroup), -EINVAL;
		for (unsigned j = 0; j < live->cnt; j++) /* cgroup v2: no tasks in inner nodes */
			if (!strncmp(live->n[j], o->cgroup, cl) && live->n[j][cl] == '/')
				return snprintf(err, len, "%s: cgroup: '%s' has child cgroup '%s'; tasks go in leaves", at,
						o->cgroup, live->n[j]), -EINVAL;
	}
	k = payload_find(pl, o->payload->name, o->cgroup);
	if (o->kind == KTSTR_OP_RUN_PAYLOAD) {
		unsigned na = 0;

		while (o->payload_args && o->payload_args[na] && na <= MAX_PAYLOAD_ARGS)
			na++;
		if (na > MAX_PAYLOAD_ARGS)
			return snprintf(err, len, "%s: payload_args: more than %d", at, MAX_PAYLOAD_ARGS), -EINVAL;
		if (!o->background)
			return 0;
		if (o->timeout_ms)
			return snprintf(err, len, "%s: timeout_ms: only for a foreground run or WAIT_PAYLOAD", at), -EINVAL;
		if (k >= 0)
			return snprintf(err, len, "%s: payload: %s already runs in the background in %s (wait for it or "
					"kill it first)", at, o->payload->name, cg), -EINVAL;
		if (pl->n >= MAX_PAYLOADS)
			return snprintf(err, len, "%s: more than %d background payloads", at, MAX_PAYLOADS), -EINVAL;
		pl->v[pl->n].name = o->payload->name;
		pl->v[pl->n].cgroup = o->cgroup;
		pl->v[pl->n++].step = step;
		return 0;
	}
	if (o->payload_args || o->background)
		return snprintf(err, len, "%s: .payload_args and .background are for RUN_PAYLOAD", at), -EINVAL;
	if (o->kind == KTSTR_OP_KILL_PAYLOAD && o->timeout_ms)
		return snprintf(err, len, "%s: timeout_ms: not for KILL_PAYLOAD", at), -EINVAL;
	if (k < 0)
		return snprintf(err, len, "%s: payload: %s does not run in the background in %s here (RUN_PAYLOAD with "
				".background first, in the backdrop or this step)", at, o->payload->name, cg), -EINVAL;
	payload_drop(pl, (unsigned)k);
	return 0;
}

/* One op list; where is "backdrop" or "step N" (step -1 or N). */
static int check_ops(const struct ktstr_topo *t, const struct ktstr_op *ops, struct names *live,
		     struct live_payloads *pl, int step, const char *where, unsigned wpc, char *err, size_t len)
{
	char e[256];

	for (unsigned i = 0; ops && ops[i].kind; i++) {
		const struct ktstr_op *o = &ops[i];
		char at[160];
		struct ktstr_cpumask m;
		bool none, host, spawn;
		uint64_t rng = 1;

		if ((unsigned)o->kind >= KTSTR_OP__COUNT)
			return snprintf(err, len, "%s op %u: kind: unknown op kind %d", where, i, (int)o->kind), -EINVAL;
		host = o->kind == KTSTR_OP_SPAWN_HOST;
		spawn = host || o->kind == KTSTR_OP_SPAWN;
		if (o->kind >= KTSTR_OP_RUN_PAYLOAD) {
			int ret;

			snprintf(at, sizeof(at), "%s op %u (%s '%s')", where, i, kt_op_names[o->kind],
				 o->payload && o->payload->name ? o->payload->name : "");
			ret = check_payload_op(o, live, pl, step, at, err, len);
			if (ret)
				return ret;
			continue;
		}
		snprintf(at, sizeof(at), "%s op %u (%s '%s')", where, i, kt_op_names[o->kind],
			 o->cgroup ? o->cgroup : "");
		if (host) {
			if (o->cgroup || o->to)
				return snprintf(err, len, "%s: cgroup: host workers join no cgroup; leave .cgroup and .to "
						"unset", at), -EINVAL;
			if (o->cpuset.kind != KTSTR_CS_NONE)
				return snprintf(err, len, "%s: cpuset: host workers join no cgroup, so they take no "
						"cpuset", at), -EINVAL;
		} else if (!o->cgroup || !kt_cgroup_name_ok(o->cgroup)) {
			return snprintf(err, len, "%s: cgroup: name '%s' must be non-empty, relative, without '..'", at,
					o->cgroup ? o->cgroup : "(null)"), -EINVAL;
		} else if (o->kind == KTSTR_OP_ADD_CGROUP) {
			const char *sl = strrchr(o->cgroup, '/');

			if (find(live, o->cgroup) >= 0)
				return snprintf(err, len, "%s: cgroup: already exists", at), -EINVAL;
			if (sl) {
				char parent[128];

				snprintf(parent, sizeof(parent), "%.*s", (int)(sl - o->cgroup), o->cgroup);
				if (find(live, parent) < 0)
					return snprintf(err, len, "%s: cgroup: parent '%s' not created first", at, parent),
					       -EINVAL;
			}
			if (live->cnt >= MAX_NAMES)
				return snprintf(err, len, "%s: more than %d cgroups", at, MAX_NAMES), -EINVAL;
			live->n[live->cnt++] = o->cgroup;
		} else if (find(live, o->cgroup) < 0) {
			return snprintf(err, len, "%s: cgroup: no such cgroup (add it first)", at), -EINVAL;
		}
		if ((o->kind == KTSTR_OP_ADD_CGROUP || o->kind == KTSTR_OP_SET_CPUSET) &&
		    ktstr_cpuset_resolve(t, &o->cpuset, &m, e, sizeof(e)))
			return snprintf(err, len, "%s: %s", at, e), -EINVAL;
		if (o->kind == KTSTR_OP_SET_CPUSET && o->cpuset.kind == KTSTR_CS_NONE)
			return snprintf(err, len, "%s: cpuset: a spec is required", at), -EINVAL;
		if ((o->kind == KTSTR_OP_SWAP_CPUSETS || o->kind == KTSTR_OP_MOVE_TASKS) &&
		    (!o->to || find(live, o->to) < 0 || !strcmp(o->to, o->cgroup)))
			return snprintf(err, len, "%s: to: '%s' must be another existing cgroup", at,
					o->to ? o->to : "(null)"), -EINVAL;
		if (o->kind == KTSTR_OP_SPAWN || o->kind == KTSTR_OP_MOVE_TASKS) {
			const char *dst = o->kind == KTSTR_OP_SPAWN ? o->cgroup : o->to;
			size_t dl = strlen(dst);

			for (unsigned j = 0; j < live->cnt; j++) /* cgroup v2: no tasks in inner nodes */
				if (!strncmp(live->n[j], dst, dl) && live->n[j][dl] == '/')
					return snprintf(err, len, "%s: %s: '%s' has child cgroup '%s'; tasks go in leaves", at,
							o->kind == KTSTR_OP_SPAWN ? "cgroup" : "to", dst, live->n[j]),
					       -EINVAL;
		}
		if (spawn) {
			uint64_t p[KTSTR_WORK_MAX_PARAMS];
			struct kt_mpol mp;
			unsigned g;

			if (!o->workers)
				return snprintf(err, len, "%s: workers: must be > 0", at), -EINVAL;
			if (!ktstr_work_info(o->work) || o->work == KTSTR_WORK_SEQUENCE || o->work == KTSTR_WORK_CUSTOM)
				return snprintf(err, len, "%s: work: type %d cannot be spawned by an op", at, (int)o->work),
				       -EINVAL;
			if (ktstr_work_parse_args(o->work, o->work_args, p, e, sizeof(e)))
				return snprintf(err, len, "%s: work_args: %s", at, e), -EINVAL;
			if (kt_mpol_build(o->mem_policy, o->mem_nodes, o->mpol_flags, t->numa_nodes ? t->numa_nodes : 1,
					  0, &mp, e, sizeof(e)))
				return snprintf(err, len, "%s: %s", at, e), -EINVAL;
			g = ktstr_work_group_size(o->work, p);
			if (o->workers % g)
				return snprintf(err, len, "%s: workers: %s needs a multiple of %u, got %u", at,
						ktstr_work_name(o->work), g, o->workers), -EINVAL;
		}
		if ((spawn || o->kind == KTSTR_OP_SET_AFFINITY) &&
		    ktstr_affinity_resolve(t, o->affinity, o->affinity_cpus, NULL, &rng, &m, &none, e, sizeof(e)))
			return snprintf(err, len, "%s: %s", at, e), -EINVAL;
		if ((spawn || o->kind == KTSTR_OP_SET_POLICY) &&
		    ((unsigned)o->policy > KTSTR_POL_RR || o->nice < -20 || o->nice > 19))
			return snprintf(err, len, "%s: policy/nice: policy %d nice %d out of range", at, (int)o->policy,
					o->nice), -EINVAL;
		if (o->kind == KTSTR_OP_REMOVE_CGROUP) {
			int k = find(live, o->cgroup);

			for (unsigned j = 0; j < live->cnt; j++)
				if (!strncmp(live->n[j], o->cgroup, strlen(o->cgroup)) &&
				    live->n[j][strlen(o->cgroup)] == '/')
					return snprintf(err, len, "%s: cgroup: remove child '%s' first", at, live->n[j]),
					       -EINVAL;
			live->n[k] = live->n[--live->cnt];
			for (unsigned j = pl->n; j-- > 0;) /* its payloads are killed with it */
				if (same_cgroup(pl->v[j].cgroup, o->cgroup))
					payload_drop(pl, j);
		}
	}
	(void)wpc;
	return 0;
}

int ktstr_steps_validate(const struct ktstr_topo *t, const struct ktstr_backdrop *bd, const struct ktstr_step *steps,
			 unsigned wpc, char *err, size_t len)
{
	struct names live = { .cnt = 0 };
	struct live_payloads pl = { .n = 0 };
	unsigned nbd;
	int ret;

	if (!steps || ktstr_step_end(&steps[0]))
		return snprintf(err, len, "steps: at least one step is required"), -EINVAL;
	ret = check_ops(t, bd ? bd->ops : NULL, &live, &pl, -1, "backdrop", wpc, err, len);
	if (ret)
		return ret;
	nbd = live.cnt;
	for (unsigned s = 0; !ktstr_step_end(&steps[s]); s++) {
		const struct ktstr_hold *h = &steps[s].hold;
		char where[32];

		if ((h->kind == KTSTR_HOLD_K_FRAC && (!isfinite(h->frac) || h->frac <= 0)) ||
		    (h->kind != KTSTR_HOLD_K_FRAC && !h->ms) || (unsigned)h->kind > KTSTR_HOLD_K_LOOP)
			return snprintf(err, len, "step %u: hold: must be a positive fraction or a non-zero ms", s),
			       -EINVAL;
		snprintf(where, sizeof(where), "step %u", s);
		ret = check_ops(t, steps[s].ops, &live, &pl, (int)s, where, wpc, err, len);
		if (ret)
			return ret;
		for (unsigned j = pl.n; j-- > 0;) /* a step's background payloads end with it */
			if (pl.v[j].step == (int)s)
				payload_drop(&pl, j);
		/* A step's own cgroups end with it; the backdrop's that it
		 * removed stay removed (removal is only allowed in order). */
		if (live.cnt > nbd)
			live.cnt = nbd;
		if (live.cnt < nbd)
			nbd = live.cnt;
	}
	return 0;
}

extern const struct ktstr_scenario_data *const __start_ktstr_scen_data[] __attribute__((weak));
extern const struct ktstr_scenario_data *const __stop_ktstr_scen_data[] __attribute__((weak));

const struct ktstr_scenario_data *kt_scenario_data(const char *name)
{
	size_t l = strcspn(name, "/");

	if (!__start_ktstr_scen_data)
		return NULL;
	for (const struct ktstr_scenario_data *const *p = __start_ktstr_scen_data; p < __stop_ktstr_scen_data; p++)
		if (strlen((*p)->name) == l && !strncmp((*p)->name, name, l))
			return *p;
	return NULL;
}

int kt_scenario_validate(const struct ktstr_test *t, const struct ktstr_topo *topo, char *err, size_t len)
{
	const struct ktstr_scenario_data *d = kt_scenario_data(t->name);

	if (!d)
		return 0;
	return ktstr_steps_validate(topo, d->bd, d->steps, t->workers_per_cgroup ? t->workers_per_cgroup : 2, err,
				    len);
}

#define MAX_DISTINCT 256

static size_t add_payloads(const struct ktstr_op *ops, const struct ktstr_payload **seen, size_t n)
{
	for (unsigned i = 0; ops && ops[i].kind; i++) {
		const struct ktstr_payload *p = ops[i].payload;
		size_t k = 0;

		if (ops[i].kind != KTSTR_OP_RUN_PAYLOAD || !p)
			continue;
		while (k < n && seen[k] != p)
			k++;
		if (k == n && n < MAX_DISTINCT)
			seen[n++] = p;
	}
	return n;
}

size_t kt_scenario_payloads(const struct ktstr_test *t, const struct ktstr_payload **out, size_t max)
{
	const struct ktstr_scenario_data *d = kt_scenario_data(t->name);
	const struct ktstr_payload *seen[MAX_DISTINCT];
	size_t n;

	if (!d)
		return 0;
	n = add_payloads(d->bd ? d->bd->ops : NULL, seen, 0);
	for (unsigned s = 0; d->steps && !ktstr_step_end(&d->steps[s]); s++)
		n = add_payloads(d->steps[s].ops, seen, n);
	memcpy(out, seen, (n < max ? n : max) * sizeof(*out));
	return n;
}

static bool ops_cpuset(const struct ktstr_op *ops)
{
	for (unsigned i = 0; ops && ops[i].kind; i++)
		if (ops[i].cpuset.kind != KTSTR_CS_NONE || ops[i].kind == KTSTR_OP_SWAP_CPUSETS ||
		    ops[i].kind == KTSTR_OP_CLEAR_CPUSET)
			return true;
	return false;
}

bool kt_controllers_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t w;

		p += strspn(p, " \t\n");
		w = strcspn(p, " \t\n");
		if (w == n && n && !strncmp(p, name, n))
			return true;
		p += w;
	}
	return false;
}

bool kt_scenario_needs_cpuset(const struct ktstr_test *t)
{
	const struct ktstr_scenario_data *d = kt_scenario_data(t->name);

	if (t->desc && !strncmp(t->desc, "cpuset:", 7))
		return true;
	if (!d)
		return false;
	if (ops_cpuset(d->bd ? d->bd->ops : NULL))
		return true;
	for (unsigned s = 0; !ktstr_step_end(&d->steps[s]); s++)
		if (ops_cpuset(d->steps[s].ops))
			return true;
	return false;
}
