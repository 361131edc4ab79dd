/* Unit tests: topology read back from a fake sysfs tree; judging VM runs. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "runner/runner.h"
#include "proto/com2.h"
#include "guest/guest.h"
#include "workload/sysfs_topo.h"
#include "unit.h"

static void put(const char *root, const char *rel, const char *val)
{
	char p[512], d[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = '\0';
	kt_mkdir_p(d, 0755);
	kt_write_file(p, val, strlen(val));
}

/* 2 nodes x 2 LLCs x 2 cores x 2 threads = 16 CPUs. */
static void fake_sysfs(const char *root, bool llc_spans_nodes)
{
	char rel[256], val[64];

	put(root, "devices/system/cpu/online", "0-15\n");
	for (unsigned c = 0; c < 16; c++) {
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		snprintf(val, sizeof(val), "%u-%u\n", c & ~1u, (c & ~1u) + 1);
		put(root, rel, val);
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/cache/index0/shared_cpu_list", c);
		put(root, rel, val);
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%u/cache/index3/shared_cpu_list", c);
		if (llc_spans_nodes && c >= 6 && c < 10)
			snprintf(val, sizeof(val), "6-9\n");
		else
			snprintf(val, sizeof(val), "%u-%u\n", c & ~3u, (c & ~3u) + 3);
		put(root, rel, val);
	}
	put(root, "devices/system/node/node0/cpulist", "0-7\n");
	put(root, "devices/system/node/node1/cpulist", "8-15\n");
}

UNIT_TEST(sysfs_topo_readback)
{
	char root[] = "/tmp/ktstr-unit-sysfs-XXXXXX";
	struct kt_seen_topo s;
	struct ktstr_topo want = { 2, 4, 2, 2 };
	char err[512];

	CHECK(mkdtemp(root) != NULL);
	fake_sysfs(root, false);
	CHECK_EQ_INT(kt_read_topo(root, &s), 0);
	CHECK_EQ_INT(s.cpus, 16);
	CHECK_EQ_INT(s.llcs, 4);
	CHECK_EQ_INT(s.llc_size_min, 4);
	CHECK_EQ_INT(s.smt_max, 2);
	CHECK_EQ_INT(s.nodes, 2);
	CHECK(s.llcs_within_nodes);
	CHECK_EQ_STR(s.llc_lists[1], "4-7");
	CHECK_EQ_STR(s.node_lists[1], "8-15");
	CHECK_EQ_INT(kt_topo_compare(&want, &s, err, sizeof(err)), 0);
	kt_rm_rf(root);

	memcpy(root + strlen(root) - 6, "XXXXXX", 6);
	CHECK(mkdtemp(root) != NULL);
	fake_sysfs(root, true);
	CHECK_EQ_INT(kt_read_topo(root, &s), 0);
	CHECK(!s.llcs_within_nodes);
	CHECK_EQ_INT(kt_topo_compare(&want, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "spans nodes") != NULL);
	kt_rm_rf(root);
	CHECK_EQ_INT(kt_read_topo("/nonexistent-ktstr", &s), -ENOENT);
}

UNIT_TEST(cmdline_get)
{
	char v[32];

	CHECK_EQ_INT(kt_cmdline_get("console=ttyS0 ktstr_test=steady ktstr_topo=1n2l2c1t", "ktstr_test", v,
				    sizeof(v)), 0);
	CHECK_EQ_STR(v, "steady");
	CHECK_EQ_INT(kt_cmdline_get("xktstr_test=a ktstr_test=b\n", "ktstr_test", v, sizeof(v)), 0);
	CHECK_EQ_STR(v, "b");
	CHECK_EQ_INT(kt_cmdline_get("ktstr_test", "ktstr_test", v, sizeof(v)), -ENOENT);
	CHECK_EQ_INT(kt_cmdline_get("k=0123456789012345678901234567890123456789", "k", v, sizeof(v)),
		     -ENAMETOOLONG);
}

static const struct ktstr_test t_plain = { .name = "plain" };
static const struct ktstr_test t_neg = { .name = "neg", .expect_fail = true, .expect_reason = "starved" };

static struct kt_com2 c2g; /* COM2 of the run vr_with() made, as the runner reads it */

static void vr_with(struct vm_result *vr, enum vm_exit ex, const char *com2)
{
	memset(vr, 0, sizeof(*vr));
	vr->exit = ex;
	kt_capture_add(&vr->com2, com2, strlen(com2));
	kt_capture_add(&vr->com1, "[    0.1] Linux version 6.12\nlast line\n", 39);
	kt_com2_free(&c2g);
	kt_com2_init(&c2g);
	kt_com2_feed(&c2g, com2, strlen(com2));
}

static void framed(struct kbuf *out, const char *json)
{
	kt_kbuf_printf(out, "KTSTR_INIT_STARTED\nKTSTR_PAYLOAD_STARTING x\n");
	kt_frame_encode(json, strlen(json), out);
}

UNIT_TEST(judge_verdicts)
{
	struct ktstr_topo topo = { 1, 1, 2, 1 };
	struct vm_result vr;
	struct kt_outcome o;
	struct kbuf s = { 0 };

	framed(&s, "{\"test\":\"plain\",\"passed\":true}");
	vr_with(&vr, VM_EXIT_POWEROFF, s.data);
	memset(&o, 0, sizeof(o));
	kt_judge(&t_plain, "plain", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK_EQ_INT(o.verdict, KT_PASS);
	kt_vm_result_free(&vr);

	/* Failure with a reason: FAIL for a plain test, PASS for a negative one. */
	s.len = 0;
	framed(&s, "{\"test\":\"x\",\"passed\":false,\"details\":[{\"kind\":\"starved\",\"message\":\"tid 5 starved\"}]}");
	vr_with(&vr, VM_EXIT_POWEROFF, s.data);
	memset(&o, 0, sizeof(o));
	kt_judge(&t_plain, "plain", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK_EQ_INT(o.verdict, KT_FAIL);
	CHECK(strstr(o.report.data, "[starved] tid 5 starved") != NULL);
	CHECK(strstr(o.report.data, "last line") != NULL);
	kt_outcome_release(&o);
	memset(&o, 0, sizeof(o));
	kt_judge(&t_neg, "neg", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK_EQ_INT(o.verdict, KT_PASS);
	kt_vm_result_free(&vr);

	/* A negative test whose guest passed is a FAIL. */
	s.len = 0;
	framed(&s, "{\"test\":\"neg\",\"passed\":true}");
	vr_with(&vr, VM_EXIT_POWEROFF, s.data);
	memset(&o, 0, sizeof(o));
	kt_judge(&t_neg, "neg", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK_EQ_INT(o.verdict, KT_FAIL);
	CHECK(strstr(o.reason, "expected a failure") != NULL);
	kt_outcome_release(&o);
	kt_vm_result_free(&vr);

	/* No result: the init stage and exit kind explain why. */
	vr_with(&vr, VM_EXIT_TIMEOUT, "KTSTR_INIT_STARTED\n");
	snprintf(vr.detail, sizeof(vr.detail), "no exit within 10 s; VM killed");
	memset(&o, 0, sizeof(o));
	kt_judge(&t_plain, "plain", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK_EQ_INT(o.verdict, KT_FAIL);
	CHECK(strstr(o.reason, "timed out") && strstr(o.reason, "never ran"));
	kt_outcome_release(&o);
	kt_vm_result_free(&vr);

	vr_with(&vr, VM_EXIT_PANIC, "");
	snprintf(vr.detail, sizeof(vr.detail), "Kernel panic - not syncing: sysrq triggered crash");
	memset(&o, 0, sizeof(o));
	kt_judge(&t_plain, "plain", &topo, &vr, &c2g, NULL, 0, &o);
	CHECK(strstr(o.reason, "panicked: Kernel panic") != NULL);
	kt_outcome_release(&o);
	kt_vm_result_free(&vr);

	/* Topology mismatch is an infrastructure error; ring JSON preferred. */
	vr_with(&vr, VM_EXIT_POWEROFF, "");
	{
		const char *j = "{\"test\":\"plain\",\"passed\":true,\"topology\":{\"cpus\":4,\"llcs\":1,"
				"\"llc_size_min\":4,\"llc_size_max\":4,\"smt_min\":1,\"smt_max\":1,\"nodes\":1}}";

		memset(&o, 0, sizeof(o));
		kt_judge(&t_plain, "plain", &topo, &vr, &c2g, j, strlen(j), &o);
		CHECK_EQ_INT(o.verdict, KT_ERROR);
		CHECK(strstr(o.reason, "topology mismatch") != NULL);
		kt_outcome_release(&o);
	}
	kt_vm_result_free(&vr);
	kt_kbuf_free(&s);
	kt_com2_free(&c2g);
}
