/* The reference catalog's scenarios (src/scenario/catalog_ref_*.c) and
 * the DSL pieces they added: SPAWN_HOST validation, the no-cpu-controller
 * backdrop, the controller-list parser, flag profiles of the catalog's
 * required flags. */
#include "unit.h"
#include <ktstr/scenario.h>
#include "model/ctx.h"
#include "runner/runner.h"

#include <stdlib.h>

static const struct ktstr_topo t4 = { 1, 1, 4, 1 };
static const struct ktstr_step full[] = { { .hold = KTSTR_HOLD_FULL }, { 0 } };

static int val_ops(const struct ktstr_op *ops, char *err)
{
	struct ktstr_backdrop b = { .ops = ops };

	err[0] = '\0';
	return ktstr_steps_validate(&t4, &b, full, 2, err, 256);
}

UNIT_TEST(scenario_spawn_host_validate)
{
	char err[256];

	CHECK_EQ_INT(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(4), { 0 } }, err), 0);
	CHECK_EQ_INT(val_ops((const struct ktstr_op[]){ KTSTR_OP_ADD("cg_0"), KTSTR_OP_SPAWN("cg_0", 2),
							KTSTR_OP_HOST(2, .work = KTSTR_WORK_PIPE_IO,
								      .affinity = KTSTR_AFF_RANDOM),
							{ 0 } },
			     err),
		     0);
	/* In a step too, beside step-local cgroups. */
	CHECK_EQ_INT(ktstr_steps_validate(&t4, NULL,
					  (const struct ktstr_step[]){
						  { .ops = (const struct ktstr_op[]){ KTSTR_OP_HOST(1), { 0 } },
						    .hold = KTSTR_HOLD_FULL },
						  { 0 } },
					  2, err, sizeof(err)),
		     0);
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(0), { 0 } }, err) < 0);
	CHECK(strstr(err, "backdrop op 0 (spawn_host '')") && strstr(err, "workers: must be > 0"));
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_ADD("a"), KTSTR_OP_HOST(1, .cgroup = "a"), { 0 } }, err) < 0);
	CHECK(strstr(err, "op 1 (spawn_host 'a'): cgroup: host workers join no cgroup"));
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(1, .cpuset = KTSTR_CPUSET_LLC(0)), { 0 } }, err) < 0);
	CHECK(strstr(err, "cpuset: host workers join no cgroup"));
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(3, .work = KTSTR_WORK_PIPE_IO), { 0 } }, err) < 0);
	CHECK(strstr(err, "multiple of 2"));
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(1, .affinity = KTSTR_AFF_EXACT, .affinity_cpus = "9"),
						 { 0 } },
		      err) < 0);
	CHECK(strstr(err, "spawn_host"));
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(1, .nice = 40), { 0 } }, err) < 0);
	CHECK(strstr(err, "policy/nice"));
	/* A host op is not a cgroup: later ops cannot name "host". */
	CHECK(val_ops((const struct ktstr_op[]){ KTSTR_OP_HOST(1), KTSTR_OP_STOP("host"), { 0 } }, err) < 0);
	CHECK(strstr(err, "no such cgroup"));
}

UNIT_TEST(scenario_controllers_has)
{
	CHECK(kt_controllers_has("cpuset cpu io memory", "cpu"));
	CHECK(kt_controllers_has("cpu", "cpu"));
	CHECK(kt_controllers_has("  cpu\n", "cpu"));
	CHECK(kt_controllers_has("cpuset io\tcpu", "cpu"));
	CHECK(!kt_controllers_has("cpuset io memory", "cpu"));
	CHECK(!kt_controllers_has("cpuset", "cpu"));
	CHECK(!kt_controllers_has("cpusetcpu", "cpu"));
	CHECK(!kt_controllers_has("", "cpu"));
	CHECK(!kt_controllers_has(NULL, "cpu"));
	CHECK(kt_controllers_has("cpuset cpu", "cpuset"));
	CHECK(!kt_controllers_has("cpuset cpu", ""));
}

/* Every entry of the reference's 81-entry catalog (reference §2.13). */
static const char *const ref_catalog[] = {
	"cgroup_steady", "cgroup_cpuset_llc_steady", "cgroup_cpuset_cross_llc_steady",
	"cgroup_cpuset_overlap_steady", "cgroup_partial_cpus_steady", "cgroup_uneven_steady",
	"cgroup_oversubscribed", "cgroup_affinity_inherit", "cgroup_affinity_random", "cgroup_affinity_spanning",
	"cgroup_affinity_pinned", "sched_batch", "sched_idle", "sched_fifo", "sched_rr", "cgroup_idle_overloaded",
	"cgroup_all_loaded", "cgroup_llc_overflow", "cgroup_load_imbalance", "stall_detect",
	"cgroup_cpuset_llc_affinity", "cgroup_affinity_change", "cgroup_add_midrun", "cgroup_remove_midrun",
	"cgroup_rapid_churn", "cgroup_cpuset_apply_midrun", "cgroup_cpuset_clear_midrun", "cgroup_cpuset_resize",
	"cgroup_cpuset_numa_swap", "host_cgroup_contention", "cgroup_per_cpu", "cgroup_exhaust_reuse", "sched_mixed",
	"cgroup_pipe_io", "stall_recovery", "nested_cgroup_steady", "nested_cgroup_task_move",
	"nested_cgroup_rapid_churn", "nested_cgroup_cpuset", "cgroup_cpuset_workload_imbalance",
	"cgroup_cpuset_load_shift", "cgroup_add_load_imbalance", "cgroup_imbalance_mixed_workload",
	"cgroup_multicpu_pin", "cgroup_no_ctrl_task_migration", "cgroup_cpuset_change_imbalance",
	"cgroup_load_oscillation", "nested_cgroup_no_ctrl", "cgroup_cpuset_swap_disjoint",
	"cgroup_io_compute_imbalance", "cgroup_4way_load_imbalance", "cgroup_cpuset_imbalance_combined",
	"cgroup_cpuset_overlap_imbalance_combined", "cgroup_no_ctrl_imbalance", "cgroup_no_ctrl_cpuset_change",
	"cgroup_no_ctrl_load_imbalance", "cgroup_cpuset_multicpu_pin", "cgroup_cpuset_add_remove",
	"cgroup_add_during_imbalance", "nested_cgroup_imbalance", "cgroup_dsq_contention", "cgroup_workload_variety",
	"cgroup_cpuset_workload_variety", "cgroup_dynamic_workload_variety", "cgroup_cpuset_cross_llc_race",
	"cache_pressure_imbalance", "cache_yield_wake_affine", "cache_pipe_io_compute_imbalance", "fan_out_wake",
	"fan_out_compute", "cgroup_cpuset_overlap_imbalance", "cgroup_cpuset_overlap_load_imbalance",
	"cgroup_bursty_imbalance", "cgroup_bursty_load_shift", "fork_exit_churn", "nice_sweep", "affinity_churn",
	"policy_churn", "page_fault_churn", "mutex_contention_light", "mutex_contention_heavy",
};

static const struct ktstr_test *scenario(const char *name)
{
	for (size_t i = 0; i < kt_scenario_count(); i++)
		if (!strcmp(kt_scenario_at(i)->name, name))
			return kt_scenario_at(i);
	return NULL;
}

static bool has_flag(const char *const *l, const char *f)
{
	for (size_t i = 0; l && l[i]; i++)
		if (!strcmp(l[i], f))
			return true;
	return false;
}

UNIT_TEST(scenario_reference_catalog_complete)
{
	CHECK_EQ_INT(sizeof(ref_catalog) / sizeof(ref_catalog[0]), 81);
	for (size_t i = 0; i < sizeof(ref_catalog) / sizeof(ref_catalog[0]); i++)
		if (!scenario(ref_catalog[i]))
			unit_fail(__FILE__, __LINE__, "reference scenario %s is not registered", ref_catalog[i]);
	/* The catalog flags are recorded (reference §2.13's last column). */
	CHECK(has_flag(scenario("cgroup_cpuset_cross_llc_race")->required_flags, "llc"));
	CHECK(has_flag(scenario("cgroup_cpuset_cross_llc_race")->required_flags, "rebal"));
	CHECK(has_flag(scenario("cgroup_llc_overflow")->required_flags, "steal"));
	CHECK(has_flag(scenario("cgroup_no_ctrl_imbalance")->required_flags, "no-ctrl"));
	CHECK(has_flag(scenario("cgroup_affinity_change")->excluded_flags, "reject-pin"));
	CHECK(!scenario("cgroup_steady")->required_flags);
	/* no-ctrl scenarios run without the cpu controller; others with it. */
	CHECK(kt_scenario_data("cgroup_no_ctrl_task_migration")->bd->no_cpu_controller);
	CHECK(kt_scenario_data("nested_cgroup_no_ctrl")->bd->no_cpu_controller);
	CHECK(!kt_scenario_data("cgroup_cpuset_apply_midrun")->bd->no_cpu_controller);
}

/* Required flags only select profiles of a scheduler that declares
 * flags: under EEVDF, or a --scheduler given without flags, every
 * scenario is one case under its plain name. */
UNIT_TEST(scenario_reference_flags_profiles)
{
	const struct ktstr_test *reg[] = { scenario("cgroup_cpuset_cross_llc_race"), scenario("cgroup_steady"),
					   scenario("cgroup_affinity_change") };
	static const char *const llc_only[] = { "llc", NULL };
	static const struct ktstr_sched_flag flags[] = {
		{ .name = "llc" },	  { .name = "borrow" }, { .name = "steal", .requires = llc_only },
		{ .name = "rebal" },	  { .name = "reject-pin" }, { .name = "no-ctrl" }, { 0 },
	};
	const struct ktstr_scheduler cli = { .name = "scx_simple", .binary = "scx_simple" };
	const struct ktstr_scheduler flagged = { .name = "fx", .binary = "fx", .flags = flags };
	struct kt_case *c = NULL;
	size_t n = 0, race = 0, change = 0;

	CHECK(reg[0] && reg[1] && reg[2]);
	CHECK_EQ_INT(kt_expand_cases(reg, 3, NULL, &c, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(c[0].name, "cgroup_cpuset_cross_llc_race");
	free(c);
	CHECK_EQ_INT(kt_expand_cases(reg, 3, &cli, &c, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(c[0].name, "cgroup_cpuset_cross_llc_race");
	free(c);
	/* With the reference's 6 flags (steal requires llc): 48 profiles; the
	 * race keeps those with llc+rebal (16), affinity_change those
	 * without reject-pin (24). */
	CHECK_EQ_INT(kt_expand_cases(reg, 3, &flagged, &c, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(c[i].name, "cgroup_cpuset_cross_llc_race/", 29)) {
			race++;
			CHECK(strstr(c[i].name, "llc") && strstr(c[i].name, "rebal"));
		}
		if (!strncmp(c[i].name, "cgroup_affinity_change/", 23)) {
			change++;
			CHECK(!strstr(c[i].name, "reject-pin"));
		}
	}
	CHECK_EQ_INT(race, 16);
	CHECK_EQ_INT(change, 24);
	CHECK_EQ_INT(n, 16 + 48 + 24);
	free(c);
}
