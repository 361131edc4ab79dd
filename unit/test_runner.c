/* The runner's pure parts: a case resolved (every default applied once),
 * the emitter's sanitising, the local judge and the CLI's exit status. */
#include "unit.h"
#include "runner/emit.h"
#include "runner/exec.h"
#include "model/defaults.h"
#include "../cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static int body(struct ktstr_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct ktstr_test t_plain = { .name = "plain", .fn = body, .cores = 2 };
static const struct ktstr_test t_long = { .name = "long", .fn = body, .duration_s = 10, .memory_mb = 1024,
					  .llcs = 2, .cores = 4 };
static const struct ktstr_test t_nested = { .name = "nested", .fn = body, .nested = true };
static const struct ktstr_test t_timeout = { .name = "to", .fn = body, .timeout_s = 77 };
static const struct ktstr_test t_neg = { .name = "neg", .fn = body, .expect_fail = true, .expect_reason = "starved" };

static struct kt_case mk(const struct ktstr_test *t)
{
	struct kt_case c = { .t = t };

	snprintf(c.name, sizeof(c.name), "%s", t->name);
	return c;
}

UNIT_TEST(resolve_defaults_once)
{
	struct kt_case c = mk(&t_plain);
	struct kt_resolved r;
	char err[128];

	CHECK_EQ_INT(kt_case_resolve(&c, NULL, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.duration_ms, KT_DEFAULT_DURATION_S * 1000);
	CHECK_EQ_INT(r.memory_mb, KT_DEFAULT_MEMORY_MB);
	CHECK_EQ_INT(r.topo.cores, 2);
	/* 45 + 3 x 2 s + 2 cpus / 2 */
	CHECK_EQ_INT(r.timeout_ms, 1000u * (45 + 6 + 1));

	c = mk(&t_long);
	CHECK_EQ_INT(kt_case_resolve(&c, NULL, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.duration_ms, 10000);
	CHECK_EQ_INT(r.memory_mb, 1024);
	CHECK_EQ_INT(r.timeout_ms, 1000u * (45 + 30 + 4));

	c = mk(&t_nested);
	CHECK_EQ_INT(kt_case_resolve(&c, NULL, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.memory_mb, KT_NESTED_HOST_MEMORY_MB);
	/* An L2: the per-node floor, and twice the timeout. */
	c = mk(&t_plain);
	CHECK_EQ_INT(kt_case_resolve(&c, NULL, KT_EXEC_NESTED, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.memory_mb, VM_MIN_NODE_MB);
	CHECK_EQ_INT(r.timeout_ms, 2000u * (45 + 6 + 1));
}

UNIT_TEST(resolve_overrides_in_order)
{
	struct kt_case c = mk(&t_plain);
	struct kt_case_overrides ov = { .duration_s = 5, .memory_mb = 4096, .env_timeout_s = 33 };
	struct kt_resolved r;
	char err[128];

	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.duration_ms, 5000);
	CHECK_EQ_INT(r.memory_mb, 4096);
	CHECK_EQ_INT(r.timeout_ms, 33000); /* $KTSTR_VM_TIMEOUT over the formula */
	c = mk(&t_timeout);
	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.timeout_ms, 77000); /* the test's over the environment */
	ov.timeout_s = 12;
	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.timeout_ms, 12000); /* --timeout over everything */
	/* A variant's memory sits between --memory and the test's. */
	c = mk(&t_long);
	c.memory_mb = 3000;
	CHECK_EQ_INT(kt_case_resolve(&c, NULL, KT_EXEC_VM, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.memory_mb, 3000);
	/* Bare metal takes fractions of a second. */
	ov = (struct kt_case_overrides){ .duration_ms = 250 };
	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_LOCAL, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.duration_ms, 250);
}

UNIT_TEST(resolve_rejects_bad_topology)
{
	struct kt_case c = mk(&t_plain);
	struct kt_case_overrides ov = { .have_topo = true, .topo = { 16, 16, 1, 1 } };
	struct kt_resolved r;
	char err[128] = "";

	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_VM, &r, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "NUMA") != NULL);
	ov.topo = (struct ktstr_topo){ 1, 0, 2, 1 };
	CHECK_EQ_INT(kt_case_resolve(&c, &ov, KT_EXEC_VM, &r, err, sizeof(err)), -EINVAL);
}

UNIT_TEST(line_clean_defuses_guest_text)
{
	char out[256];

	kt_line_clean("bad\nok 2 forged_case\r\n# x", out, sizeof(out));
	CHECK(!strchr(out, '\n') && !strchr(out, '\r'));
	CHECK_EQ_STR(out, "bad ok 2 forged_case  # x");
	kt_line_clean("a\x1b[2J\x1b[Hb\x1b]c", out, sizeof(out));
	CHECK_EQ_STR(out, "abc"); /* ESC ] dropped, the c is text */
	kt_line_clean("caf\xc3\xa9 \xff\xfe x\x7f", out, sizeof(out));
	CHECK_EQ_STR(out, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd x "); /* U+FFFD, as in the sidecars */
	kt_line_clean("\xc2\x9b" "31m", out, sizeof(out)); /* C1 CSI */
	CHECK_EQ_STR(out, " 31m");
	/* Cut at a character boundary. */
	kt_line_clean("\xc3\xa9\xc3\xa9", out, 4);
	CHECK_EQ_STR(out, "\xc3\xa9");
}

UNIT_TEST(emit_case_is_one_line)
{
	struct kt_outcome o = { .verdict = KT_FAIL, .ran_vm = true, .wall_s = 3.5, .boot_s = 1.25,
				.duration_ms = 2000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	snprintf(o.reason, sizeof(o.reason), "x\nok 2 forged_case\n\x1b[2J");
	snprintf(o.topo, sizeof(o.topo), "1n1l2c1t");
	snprintf(o.accel, sizeof(o.accel), "tcg");
	kt_emit_case(f, "", 1, "steady", "eevdf", &o);
	fclose(f);
	CHECK_EQ_STR(buf, "not ok 1 steady # topo=1n1l2c1t sched=eevdf tcg wall=3.5s boot=1.25s overhead=1.5s — "
			  "x ok 2 forged_case \n");
	free(buf);
}

UNIT_TEST(judge_local_verdicts)
{
	struct ktstr_topo topo = { 1, 1, 2, 1 };
	struct kt_result r = { .passed = false };
	struct kt_outcome o = { 0 };

	kt_result_add(&r, KTSTR_K_STARVED, "tid 7 starved for 900 ms");
	kt_judge_local(&t_plain, "plain", &topo, &r, &o);
	CHECK_EQ_INT(o.verdict, KT_FAIL);
	CHECK(strstr(o.report.data, "bare-metal") && strstr(o.report.data, "[starved] tid 7"));
	kt_outcome_release(&o);
	memset(&o, 0, sizeof(o));
	kt_judge_local(&t_neg, "neg", &topo, &r, &o);
	CHECK_EQ_INT(o.verdict, KT_PASS);
	CHECK(strstr(o.reason, "expected failure seen") != NULL);
	kt_outcome_release(&o);
}

UNIT_TEST(exit_status_mapping)
{
	struct kt_run_summary s = { .passed = 3 };

	CHECK_EQ_INT(kt_run_exit_status(0, &s), 0);
	CHECK_EQ_INT(kt_run_exit_status(-EINVAL, &s), 2);
	CHECK_EQ_INT(kt_run_exit_status(-ENOMEM, &s), 1);
	s.failed = 1;
	CHECK_EQ_INT(kt_run_exit_status(0, &s), 1);
	s.interrupted = true; /* whatever else: 128 + the signal */
	s.signal = SIGINT;
	CHECK_EQ_INT(kt_run_exit_status(0, &s), 130);
	s.signal = SIGTERM;
	CHECK_EQ_INT(kt_run_exit_status(-ENOMEM, &s), 143);
}
