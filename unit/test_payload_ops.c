/* RUN/WAIT/KILL_PAYLOAD checked before boot (src/scenario/validate.c),
 * and the payloads a test's data runs (kt_scenario_payloads). */
#include "unit.h"
#include <ktstr/scenario.h>

static const struct ktstr_topo t4 = { 1, 2, 2, 1 };

static KTSTR_PAYLOAD(bench, .binary = "hackbench", .output = KTSTR_OUT_REGEX, .regex = "^Time: ([0-9.]+)",
		     .captures = { "time_s" });
static KTSTR_PAYLOAD(bg, .binary = "stress-ng", .args = { "--cpu", "1" });
static KTSTR_PAYLOAD(broken, .binary = "x", .output = KTSTR_OUT_REGEX, .regex = "(");

static const char *val(const struct ktstr_op *bd, const struct ktstr_step *steps)
{
	static char err[512];
	const struct ktstr_backdrop b = { .ops = bd };

	err[0] = '\0';
	return ktstr_steps_validate(&t4, &b, steps, 2, err, sizeof(err)) ? err : "OK";
}

#define OPS(...) ((const struct ktstr_op[]){ __VA_ARGS__, { 0 } })
#define STEP(...) { .ops = OPS(__VA_ARGS__), .hold = KTSTR_HOLD_FRAC(0.5) }

UNIT_TEST(payload_ops_valid)
{
	const struct ktstr_step ok[] = {
		STEP(KTSTR_OP_RUN_PAYLOAD(bench, .cgroup = "cg", .timeout_ms = 1000, .payload_args = KTSTR_ARGS("-l", "5")),
		     KTSTR_OP_RUN_PAYLOAD(bg, .background = true), KTSTR_OP_WAIT_PAYLOAD(bg, .timeout_ms = 100)),
		STEP(KTSTR_OP_KILL_PAYLOAD(bg, .cgroup = "cg"), KTSTR_OP_RUN_PAYLOAD(bg, .background = true)),
		STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true)), /* step 1's ended with it */
		{ 0 } };

	CHECK_EQ_STR(val(OPS(KTSTR_OP_ADD("cg"), KTSTR_OP_RUN_PAYLOAD(bg, .cgroup = "cg", .background = true)), ok),
		     "OK");
}

UNIT_TEST(payload_ops_refused)
{
	const struct ktstr_op bd[] = { KTSTR_OP_ADD("cg"), { 0 } };
	const struct ktstr_step no_payload[] = { STEP({ .kind = KTSTR_OP_RUN_PAYLOAD }), { 0 } };
	const struct ktstr_step bad_decl[] = { STEP(KTSTR_OP_RUN_PAYLOAD(broken)), { 0 } };
	const struct ktstr_step no_cg[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bench, .cgroup = "nope")), { 0 } };
	const struct ktstr_step bg_timeout[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true, .timeout_ms = 5)),
						 { 0 } };
	const struct ktstr_step twice[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true),
						 KTSTR_OP_RUN_PAYLOAD(bg, .background = true)),
					    { 0 } };
	const struct ktstr_step wait_none[] = { STEP(KTSTR_OP_WAIT_PAYLOAD(bench)), { 0 } };
	/* a step's background payload ends with the step */
	const struct ktstr_step later[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true)),
					    STEP(KTSTR_OP_KILL_PAYLOAD(bg)), { 0 } };
	/* ... and one in a removed cgroup with it */
	const struct ktstr_step removed[] = { STEP(KTSTR_OP_ADD("x"), KTSTR_OP_RUN_PAYLOAD(bg, .cgroup = "x",
											  .background = true),
						   KTSTR_OP_REMOVE("x"), KTSTR_OP_ADD("x"),
						   KTSTR_OP_KILL_PAYLOAD(bg, .cgroup = "x")),
					      { 0 } };
	const struct ktstr_step wrong_cg[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true),
						    KTSTR_OP_KILL_PAYLOAD(bg, .cgroup = "cg")),
					       { 0 } };
	const struct ktstr_step kill_timeout[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true),
							KTSTR_OP_KILL_PAYLOAD(bg, .timeout_ms = 3)),
						   { 0 } };
	const struct ktstr_step args_on_wait[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bg, .background = true),
							KTSTR_OP_WAIT_PAYLOAD(bg, .payload_args = KTSTR_ARGS("x"))),
						   { 0 } };
	const struct ktstr_step inner[] = { STEP(KTSTR_OP_ADD("cg/sub"), KTSTR_OP_RUN_PAYLOAD(bench, .cgroup = "cg")),
					    { 0 } };
	const struct ktstr_step workers[] = { STEP(KTSTR_OP_RUN_PAYLOAD(bench, .workers = 2)), { 0 } };

	CHECK_EQ_STR(val(bd, no_payload), "step 0 op 0 (run_payload ''): payload: none given");
	CHECK(strstr(val(bd, bad_decl), "step 0 op 0 (run_payload 'broken'): payload: regex: '(' does not compile"));
	CHECK_EQ_STR(val(bd, no_cg), "step 0 op 0 (run_payload 'bench'): cgroup: no such cgroup 'nope' (add it first)");
	CHECK_EQ_STR(val(bd, bg_timeout),
		     "step 0 op 0 (run_payload 'bg'): timeout_ms: only for a foreground run or WAIT_PAYLOAD");
	CHECK_EQ_STR(val(bd, twice), "step 0 op 1 (run_payload 'bg'): payload: bg already runs in the background in "
				     "the root cgroup (wait for it or kill it first)");
	CHECK(strstr(val(bd, wait_none), "step 0 op 0 (wait_payload 'bench'): payload: bench does not run in the "
					 "background in the root cgroup here"));
	CHECK(strstr(val(bd, later), "step 1 op 0 (kill_payload 'bg'): payload: bg does not run"));
	CHECK(strstr(val(bd, removed), "step 0 op 4 (kill_payload 'bg'): payload: bg does not run in the background "
				       "in x"));
	CHECK(strstr(val(bd, wrong_cg), "step 0 op 1 (kill_payload 'bg'): payload: bg does not run in the background "
					"in cg"));
	CHECK_EQ_STR(val(bd, kill_timeout), "step 0 op 1 (kill_payload 'bg'): timeout_ms: not for KILL_PAYLOAD");
	CHECK_EQ_STR(val(bd, args_on_wait),
		     "step 0 op 1 (wait_payload 'bg'): .payload_args and .background are for RUN_PAYLOAD");
	CHECK_EQ_STR(val(bd, inner), "step 0 op 1 (run_payload 'bench'): cgroup: 'cg' has child cgroup 'cg/sub'; "
				     "tasks go in leaves");
	CHECK_EQ_STR(val(bd, workers),
		     "step 0 op 0 (run_payload 'bench'): .to, .cpuset and .workers do not apply to a payload op");
}

/* Registered data: the payloads it runs, each once. */
static const struct ktstr_op reg_bd[] = { KTSTR_OP_RUN_PAYLOAD(bg, .background = true), { 0 } };
static const struct ktstr_step reg_steps[] = {
	STEP(KTSTR_OP_RUN_PAYLOAD(bench), KTSTR_OP_RUN_PAYLOAD(bench), KTSTR_OP_KILL_PAYLOAD(bg)),
	{ 0 } };
static const struct ktstr_backdrop reg_b = { .ops = reg_bd };
KTSTR_STEPS_DATA(unit_payload_data, reg_b, reg_steps)

UNIT_TEST(payload_ops_registered)
{
	const struct ktstr_test t = { .name = "unit_payload_data" }, other = { .name = "unit_no_such_data" };
	const struct ktstr_payload *pl[4] = { 0 };

	CHECK_EQ_INT(kt_scenario_payloads(&t, pl, 4), 2);
	CHECK(pl[0] == &bg);
	CHECK(pl[1] == &bench);
	CHECK_EQ_INT(kt_scenario_payloads(&t, pl, 1), 2); /* the count, first one written */
	CHECK_EQ_INT(kt_scenario_payloads(&other, pl, 4), 0);
	CHECK_EQ_STR(val(reg_bd, reg_steps), "OK");
}
