/* The canned scenario catalog run by `ktstr scenario`.  Each scenario
 * derives its cgroups from the VM's real topology, so one definition
 * works on any --topo. */
#include <stdio.h>
#include <ktstr/ktstr.h>

/* Referenced by the CLI so that this object (and its registrations) is
 * linked into the binary that becomes the guest's /init. */
const int kt_catalog_linked = 1;
/* The other catalog files, pulled in with this one. */
extern const int kt_catalog_steps_linked, kt_catalog_work_linked, kt_catalog_ref_steady_linked,
	kt_catalog_ref_dynamic_linked, kt_catalog_ref_stress_linked, kt_catalog_contend_linked,
	kt_catalog_payload_linked;
__attribute__((used)) const int *const kt_catalog_parts[] = {
	&kt_catalog_steps_linked,       &kt_catalog_work_linked,       &kt_catalog_ref_steady_linked,
	&kt_catalog_ref_dynamic_linked, &kt_catalog_ref_stress_linked, &kt_catalog_contend_linked,
	&kt_catalog_payload_linked,
};

static unsigned ncpus(struct ktstr_ctx *ctx)
{
	return ktstr_topo_cpus(ktstr_ctx_topo(ctx));
}

KTSTR_SCENARIO(steady, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "basic: 2 cgroups x 2 CPU spinners; no starvation, no long gaps, fair shares")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ .name = "cg_1", .workers = 2 },
		{ 0 },
	});
}

KTSTR_SCENARIO(oversubscribed, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "basic: 3 spinners per CPU in 2 cgroups; every worker must progress")
{
	unsigned per = ncpus(ctx) * 3 / 2;

	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = per },
		{ .name = "cg_1", .workers = per },
		{ 0 },
	});
}

KTSTR_SCENARIO(single_cpu_pile, .llcs = 1, .cores = 2, .duration_s = 3,
	       .desc = "cpuset: 4 spinners confined to CPU 0 beside an idle sibling; all progress, none escape")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "pinned", .workers = 4, .cpuset = "0" },
		{ 0 },
	});
}

KTSTR_SCENARIO(llc_split, .llcs = 2, .cores = 2, .duration_s = 3,
	       .desc = "cpuset: one cgroup per LLC (LLC-aligned cpusets), 2 spinners per CPU; isolation holds")
{
	const struct ktstr_topo *t = ktstr_ctx_topo(ctx);
	unsigned per = t->cores * t->threads, n = t->llcs < 8 ? t->llcs : 8;
	struct ktstr_cgroup_def defs[9] = { { 0 } };
	char names[8][16], sets[8][32];

	for (unsigned l = 0; l < n; l++) {
		snprintf(names[l], sizeof(names[l]), "llc_%u", l);
		ktstr_topo_llc_cpus(t, l, sets[l], sizeof(sets[l]));
		defs[l] = (struct ktstr_cgroup_def){ .name = names[l], .workers = 2 * per, .cpuset = sets[l] };
	}
	return ktstr_run_cgroups(ctx, defs);
}

/* Per-CPU load balancing cannot share 7 spinners evenly over 4 CPUs, so
 * only starvation and gaps are judged (the point: the lone worker runs). */
KTSTR_SCENARIO(asymmetric, .llcs = 2, .cores = 2, .duration_s = 3, .no_spread_check = true,
	       .desc = "basic: a 1-worker cgroup beside a 6-worker cgroup; the lone worker is not starved")
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "small", .workers = 1 },
		{ .name = "big", .workers = 6 },
		{ 0 },
	});
}
