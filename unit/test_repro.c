/* Unit tests: auto-repro on the host (src/runner/repro*.c): when a second
 * VM runs, and the section rendered from a guest's probe report.
 *
 * The fixture is the probe report (KT_MSG_REPRO_PROBE JSON) of a real
 * probe VM on the cached 6.12.118 kernel (unit/fixtures/README.md).  Its
 * raw values, read with python's json module: enq_flags 1033 = 0x409,
 * task flags 777 = 0x309, ddsp_dsq_id 0x8000000000000002; the kernel's
 * constants make those WAKEUP|NOCLOCK|CPU_SELECTED, QUEUED|DEQD_FOR_SLEEP
 * with state 3 (ENABLED) and SCX_DSQ_LOCAL. */
#include <stdlib.h>
#include "runner/repro.h"
#include "fixture.h"
#include "unit.h"

static int body(struct ktstr_ctx *ctx)
{
	(void)ctx;
	return 0;
}

UNIT_TEST(repro_wanted_rules)
{
	static const struct ktstr_scheduler s = { .name = "scx_ktstr", .binary = "scx_ktstr" };
	struct ktstr_test t = { .name = "t", .fn = body, .auto_repro = true };
	struct kt_case c = { .t = &t, .sched = &s };
	struct kt_outcome o = { .verdict = KT_FAIL, .ran_vm = true, .exit = VM_EXIT_POWEROFF };

	CHECK(kt_repro_wanted(&c, &o, false));
	CHECK(!kt_repro_wanted(&c, &o, true)); /* --no-auto-repro */
	o.verdict = KT_PASS;
	CHECK(!kt_repro_wanted(&c, &o, false)); /* a pass starts no second VM */
	o.verdict = KT_ERROR;
	CHECK(!kt_repro_wanted(&c, &o, false));
	o.verdict = KT_FAIL;
	o.exit = VM_EXIT_INTERRUPTED;
	CHECK(!kt_repro_wanted(&c, &o, false));
	o.exit = VM_EXIT_TIMEOUT; /* a hang is a failure to reproduce too */
	CHECK(kt_repro_wanted(&c, &o, false));
	c.sched = NULL; /* EEVDF */
	CHECK(!kt_repro_wanted(&c, &o, false));
	c.sched = &s;
	t.expect_fail = true;
	CHECK(!kt_repro_wanted(&c, &o, false));
	t.expect_fail = false;
	t.auto_repro = false; /* .auto_repro = false */
	CHECK(!kt_repro_wanted(&c, &o, false));
}

static void render(const char *json, enum vm_exit exit, struct kbuf *out, char *status)
{
	struct kt_repro x = { 0 };

	if (json)
		kt_kbuf_append(&x.probe_json, json, strlen(json));
	kt_kbuf_append(&x.sched_tail, "EXIT: runnable task stall\n", 26);
	kt_repro_render(&x, NULL, 12.3, exit, out, status, 32);
	kt_kbuf_free(&x.probe_json);
	kt_kbuf_free(&x.sched_tail);
}

UNIT_TEST(repro_render_real_report)
{
	size_t len;
	unsigned char *f = unit_fixture("repro-probe-ktstr-stall-6.12.118.json", &len);
	struct kbuf out = { 0 };
	char status[32], *json;

	if (!f)
		return;
	json = calloc(1, len + 1);
	memcpy(json, f, len);
	render(json, VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "reproduced");
	CHECK(out.data && strstr(out.data, "reproduced: scheduler exit ERROR_STALL on cpu 0"));
	CHECK(strstr(out.data, "triggering task: pid 16 (ksoftirqd/0)"));
	CHECK(strstr(out.data, "shown instead: pid 70 (init)"));
	CHECK(strstr(out.data, "ktstr_dispatch  scx_ktstr.bpf.c:116  [BPF callback, fentry/fexit]"));
	CHECK(strstr(out.data, "do_enqueue_task  (no line info)  [kernel, kprobe]"));
	CHECK(strstr(out.data, "ddsp_dsq_id=SCX_DSQ_LOCAL "));
	CHECK(strstr(out.data, "enq_flags: WAKEUP|NOCLOCK|CPU_SELECTED\n"));
	CHECK(strstr(out.data, "scx_flags=QUEUED|DEQD_FOR_SLEEP|state=ENABLED"));
	CHECK(strstr(out.data, "cpus=0xf(0-3)"));
	CHECK(strstr(out.data, "scx_ops_exit_kind+0x1"));
	CHECK(strstr(out.data, "repro VM duration: 12.3s"));
	CHECK(strstr(out.data, "EXIT: runnable task stall"));
	/* Oldest first: do_enqueue_task before ktstr_dispatch. */
	CHECK(strstr(out.data, "do_enqueue_task  ") < strstr(out.data, "ktstr_dispatch  "));
	kt_kbuf_free(&out);
	free(json);
	free(f);
}

UNIT_TEST(repro_render_statuses)
{
	struct kbuf out = { 0 };
	char status[32];

	render("{\"status\":\"not_triggered\",\"cost\":{\"calls\":42}}", VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "did_not_reproduce");
	CHECK(strstr(out.data, "did not reproduce") && strstr(out.data, "42 probe calls"));
	out.len = 0;
	render("{\"status\":\"attach_failed\",\"error\":\"load the probe object: Operation not permitted\"}",
	       VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "attach_failed");
	CHECK(strstr(out.data, "probes could not attach: load the probe object: Operation not permitted"));
	out.len = 0;
	render(NULL, VM_EXIT_TIMEOUT, &out, status);
	CHECK_EQ_STR(status, "timed_out");
	out.len = 0;
	render(NULL, VM_EXIT_PANIC, &out, status);
	CHECK_EQ_STR(status, "crashed");
	out.len = 0;
	render("not json at all", VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "no_report");
	/* A made-up function index and oversized arrays are not trusted. */
	out.len = 0;
	render("{\"status\":\"triggered\",\"trigger\":{\"pid\":5,\"comm\":\"x\",\"kind\":1025,\"ts\":10},"
	       "\"funcs\":[{\"name\":\"f\",\"bpf\":false,\"how\":\"kprobe\",\"args\":[]}],"
	       "\"calls\":[{\"func\":7,\"ts\":1,\"args\":[]},{\"func\":-1,\"ts\":1},{\"func\":0,\"ts\":2,\"args\":[1,2,3]}]}",
	       VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "reproduced");
	CHECK(strstr(out.data, "ERROR_BPF"));
	CHECK(strstr(out.data, "    f  (no line info)"));
	CHECK(!strstr(out.data, "arg")); /* f declares no arguments: none shown */
	kt_kbuf_free(&out);
}

/* How kernel functions were attached: fentry/fexit where the kernel
 * allowed it, a kprobe otherwise, and why when the kernel refused. */
UNIT_TEST(repro_render_probe_kinds)
{
	struct kbuf out = { 0 };
	char status[32];

	render("{\"status\":\"triggered\",\"trigger\":{\"pid\":5,\"comm\":\"x\",\"kind\":1026,\"ts\":10},"
	       "\"funcs\":[{\"name\":\"cb\",\"bpf\":true,\"how\":\"fentry/fexit\",\"args\":[]},"
	       "{\"name\":\"a\",\"bpf\":false,\"how\":\"fentry/fexit\",\"why\":\"\",\"args\":[]},"
	       "{\"name\":\"b\",\"bpf\":false,\"how\":\"kprobe\",\"why\":\"fentry refused: Invalid argument\",\"args\":[]},"
	       "{\"name\":\"c\",\"bpf\":false,\"how\":\"kprobe\",\"why\":\"no BTF signature for fentry\",\"args\":[]},"
	       "{\"name\":\"d\",\"bpf\":false,\"how\":\"kprobe\",\"why\":\"fentry set-up budget spent (3 s)\",\"args\":[]}],"
	       "\"calls\":[{\"func\":1,\"ts\":2,\"args\":[]}]}",
	       VM_EXIT_POWEROFF, &out, status);
	CHECK_EQ_STR(status, "reproduced");
	CHECK(strstr(out.data, "probes: 5 functions (1 BPF callbacks by fentry/fexit, 1 kernel by fentry/fexit, "
			       "3 kernel by kprobe); kprobe instead of fentry: b (Invalid argument), "
			       "d (set-up budget spent (3 s))\n"));
	CHECK(strstr(out.data, "    a  (no line info)  [kernel, fentry/fexit]"));
	kt_kbuf_free(&out);
}

/* `ktstr run --repro`: the host's words, and no empty VM tails. */
UNIT_TEST(repro_render_host)
{
	struct kt_repro x = { .host = true };
	struct kbuf out = { 0 };
	char status[32];
	static const char j[] = "{\"status\":\"not_triggered\",\"cost\":{\"calls\":18},"
				"\"funcs\":[{\"name\":\"do_nanosleep\",\"bpf\":false,\"how\":\"fentry/fexit\",\"args\":[]}],"
				"\"skipped\":\"no_such_fn: not traceable in this kernel\"}";

	kt_kbuf_append(&x.probe_json, j, strlen(j));
	kt_repro_render(&x, NULL, 1.4, VM_EXIT_NONE, &out, status, sizeof(status));
	CHECK_EQ_STR(status, "no_exit_seen");
	CHECK(strstr(out.data, "no scheduler exit seen: probes attached to 1 function, 18 probe calls recorded"));
	CHECK(strstr(out.data, "not probed: no_such_fn: not traceable in this kernel\n"));
	CHECK(strstr(out.data, "probed run on this host: 1.4s\n"));
	CHECK(!strstr(out.data, "repro VM") && !strstr(out.data, "(empty)"));
	kt_kbuf_free(&out);
	kt_kbuf_free(&x.probe_json);
}
