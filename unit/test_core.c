/* Unit tests: topology strings and math, cpumask, result JSON and frame,
 * the shared-memory ring, worker checks. */
#include <errno.h>
#include <stdlib.h>
#include "model/ctx.h"
#include "proto/result.h"
#include "proto/shm_ring.h"
#include "unit.h"

UNIT_TEST(topo_parse_ok)
{
	struct ktstr_topo t;
	char err[256], buf[32];

	CHECK_EQ_INT(ktstr_topo_parse("2n4l3c2t", &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.numa_nodes, 2);
	CHECK_EQ_INT(t.llcs, 4);
	CHECK_EQ_INT(t.cores, 3);
	CHECK_EQ_INT(t.threads, 2);
	CHECK_EQ_INT(ktstr_topo_cpus(&t), 24);
	ktstr_topo_format(&t, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "2n4l3c2t");
}

UNIT_TEST(topo_parse_bad)
{
	struct ktstr_topo t;
	char err[256];
	static const char *const bad[] = { "", "1n", "0n1l1c1t", "1n0l2c1t", "1n1l0c1t", "1n1l1c0t",
					   "2n3l1c1t", "1n16l16c2t", "1n2l2c1tx", "nlct", "1x2l2c1t",
					   "-1n2l2c1t", "1n2l2c" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_EQ_INT(ktstr_topo_parse(bad[i], &t, err, sizeof(err)), -EINVAL);
		CHECK(err[0] != '\0');
	}
	/* 256 CPUs is the limit, 257+ is refused. */
	CHECK_EQ_INT(ktstr_topo_parse("1n16l8c2t", &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(ktstr_topo_parse("1n1l129c2t", &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "258 CPUs") != NULL);
}

UNIT_TEST(topo_cpu_math)
{
	struct ktstr_topo t = { .numa_nodes = 2, .llcs = 4, .cores = 2, .threads = 2 };

	CHECK_EQ_INT(ktstr_topo_cpu_llc(&t, 0), 0);
	CHECK_EQ_INT(ktstr_topo_cpu_llc(&t, 3), 0);
	CHECK_EQ_INT(ktstr_topo_cpu_llc(&t, 4), 1);
	CHECK_EQ_INT(ktstr_topo_cpu_llc(&t, 15), 3);
	CHECK_EQ_INT(ktstr_topo_cpu_node(&t, 7), 0);
	CHECK_EQ_INT(ktstr_topo_cpu_node(&t, 8), 1);
	CHECK_EQ_INT(ktstr_topo_cpu_core(&t, 5), 2);
	{
		char b[16];
		struct ktstr_topo one = { 1, 2, 1, 1 };

		CHECK_EQ_INT(ktstr_topo_llc_cpus(&t, 3, b, sizeof(b)), 0);
		CHECK_EQ_STR(b, "12-15");
		CHECK_EQ_INT(ktstr_topo_llc_cpus(&one, 1, b, sizeof(b)), 0);
		CHECK_EQ_STR(b, "1");
		CHECK_EQ_INT(ktstr_topo_llc_cpus(&t, 4, b, sizeof(b)), -EINVAL);
	}
}

UNIT_TEST(cpumask_roundtrip)
{
	struct ktstr_cpumask m, n;
	char buf[128];

	CHECK_EQ_INT(kt_mask_parse("0-3,8,10-11\n", &m), 0);
	CHECK_EQ_INT(kt_mask_weight(&m), 7);
	CHECK(kmask_test(&m, 8) && !kmask_test(&m, 9));
	CHECK_EQ_INT(kt_mask_format(&m, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "0-3,8,10-11");
	CHECK_EQ_INT(kt_mask_parse("", &n), 0);
	CHECK_EQ_INT(kt_mask_weight(&n), 0);
	CHECK_EQ_INT(kt_mask_format(&n, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_INT(kt_mask_parse("3-1", &n), -EINVAL);
	CHECK_EQ_INT(kt_mask_parse("1,,2", &n), -EINVAL);
	CHECK_EQ_INT(kt_mask_parse("5000", &n), -EINVAL);
	CHECK_EQ_INT(kt_mask_parse("a", &n), -EINVAL);
	CHECK_EQ_INT(kt_mask_format(&m, buf, 4), -ENOSPC);
}

UNIT_TEST(cpumask_ops)
{
	struct ktstr_cpumask a, b, c;

	kt_mask_parse("0-7", &a);
	kt_mask_parse("2-3", &b);
	CHECK(kt_mask_subset(&b, &a));
	CHECK(!kt_mask_subset(&a, &b));
	c = a;
	kt_mask_andnot(&c, &b);
	CHECK_EQ_INT(kt_mask_weight(&c), 6);
	CHECK_EQ_INT(kt_mask_first(&c), 0);
	kt_mask_and(&c, &b);
	CHECK_EQ_INT(kt_mask_first(&c), -1);
	kt_mask_or(&c, &b);
	CHECK(kt_mask_equal(&c, &b));
}

static void sample_result(struct kt_result *r)
{
	kt_result_init(r, "steady");
	r->elapsed_ms = 3010;
	r->workers = 4;
	kt_result_add(r, KTSTR_K_STARVED, "cg_0: tid 42 starved (0 work units)");
	r->ncg = 1;
	snprintf(r->cg[0].name, sizeof(r->cg[0].name), "cg_0");
	r->cg[0].workers = 2;
	r->cg[0].spread_pct = 12.5;
	r->cg[0].max_gap_ms = 7;
	r->cg[0].max_gap_cpu = 1;
	r->have_topo = true;
	r->topo.cpus = 4;
	r->topo.llcs = 2;
	snprintf(r->topo.llc_lists[1], sizeof(r->topo.llc_lists[1]), "2-3");
}

UNIT_TEST(result_json_roundtrip)
{
	struct kt_result r, back;
	struct kbuf j = { 0 };
	char err[256];

	sample_result(&r);
	CHECK_EQ_INT(kt_result_to_json(&r, &j), 0);
	CHECK(strchr(j.data, '\n') == NULL);
	CHECK_EQ_INT(kt_result_from_json(j.data, j.len, &back, err, sizeof(err)), 0);
	CHECK_EQ_STR(back.test, "steady");
	CHECK(!back.passed);
	CHECK_EQ_INT(back.ndetails, 1);
	CHECK_EQ_INT(back.details[0].kind, KTSTR_K_STARVED);
	CHECK_EQ_INT(back.ncg, 1);
	CHECK_NEAR(back.cg[0].spread_pct, 12.5, 1e-9);
	CHECK_EQ_INT(back.cg[0].max_gap_cpu, 1);
	CHECK(back.have_topo);
	CHECK_EQ_STR(back.topo.llc_lists[1], "2-3");
	kt_kbuf_free(&j);
}

UNIT_TEST(result_json_untrusted)
{
	struct kt_result r;
	char err[256];
	static const char *const bad[] = { "", "[]", "{", "nul" };
	const char *liar = "{\"passed\":true,\"details\":[{\"kind\":\"stuck\",\"message\":\"x\"}]}";
	char big[2048];

	for (size_t i = 0; i < 4; i++)
		CHECK_EQ_INT(kt_result_from_json(bad[i], strlen(bad[i]), &r, err, sizeof(err)), -EBADMSG);
	/* Claims to pass while carrying a failure: judged as failed. */
	CHECK_EQ_INT(kt_result_from_json(liar, strlen(liar), &r, err, sizeof(err)), 0);
	CHECK(!r.passed);
	/* Over-long strings are truncated, not overflowed. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"test\":\"", 9);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	CHECK_EQ_INT(kt_result_from_json(big, strlen(big), &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(strlen(r.test), sizeof(r.test) - 1);
}

UNIT_TEST(frame_roundtrip_and_corruption)
{
	struct kbuf f = { 0 }, s = { 0 }, out = { 0 };
	char err[256];
	const char *json = "{\"test\":\"x\",\"passed\":true}";
	char *p;

	CHECK_EQ_INT(kt_frame_encode(json, strlen(json), &f), 0);
	CHECK_EQ_INT(kt_frame_encode("a\nb", 3, &s), -EINVAL);
	/* Noise around, CRLF line endings as a tty would produce. */
	kt_kbuf_printf(&s, "boot noise\r\n");
	for (size_t i = 0; i < f.len; i++) {
		if (f.data[i] == '\n')
			kt_kbuf_append(&s, "\r", 1);
		kt_kbuf_append(&s, &f.data[i], 1);
	}
	kt_kbuf_printf(&s, "KTSTR_EXIT=0\r\n");
	CHECK_EQ_INT(kt_frame_find_last(s.data, s.len, &out, err, sizeof(err)), 0);
	CHECK_EQ_INT(out.len, strlen(json));
	CHECK(!memcmp(out.data, json, out.len));
	/* A flipped payload byte fails the CRC. */
	p = strstr(s.data, "passed");
	*p = 'P';
	CHECK_EQ_INT(kt_frame_find_last(s.data, s.len, &out, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "CRC") != NULL);
	/* Truncation is detected. */
	CHECK_EQ_INT(kt_frame_find_last(f.data, 60, &out, err, sizeof(err)), -EBADMSG);
	CHECK_EQ_INT(kt_frame_find_last("nothing here", 12, &out, err, sizeof(err)), -ENOENT);
	kt_kbuf_free(&f);
	kt_kbuf_free(&s);
	kt_kbuf_free(&out);
}

struct got {
	int n, bad;
	uint32_t type[16];
	char last[64];
};

static void collect(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	struct got *g = arg;

	if (!crc_ok)
		g->bad++;
	if (g->n < 16)
		g->type[g->n] = type;
	g->n++;
	snprintf(g->last, sizeof(g->last), "%.*s", (int)len, (const char *)p);
}

UNIT_TEST(ring_write_drain_wrap)
{
	size_t size = KT_RING_HDR + 64;
	unsigned char *mem = calloc(1, size);
	struct got g = { 0 };
	unsigned mal = 0;

	CHECK_EQ_INT(kt_ring_write(mem, size, 1, "x", 1), -EINVAL); /* not initialised */
	CHECK_EQ_INT(kt_ring_init(mem, size), 0);
	/* Fill, drain, and write again so messages wrap around the end. */
	for (int round = 0; round < 5; round++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "message-%d", round);
		CHECK_EQ_INT(kt_ring_write(mem, size, KT_MSG_TEST_RESULT, msg, (uint32_t)strlen(msg)), 0);
		CHECK_EQ_INT(kt_ring_write(mem, size, KT_MSG_EXIT, "abcdefghijkl", 12), 0);
		CHECK_EQ_INT(kt_ring_write(mem, size, KT_MSG_EXIT, "0123456789012345678901234567890123", 34),
			     -ENOSPC);
		CHECK_EQ_INT(kt_ring_drain(mem, size, collect, &g, &mal), 2);
		CHECK_EQ_STR(g.last, "abcdefghijkl");
	}
	CHECK_EQ_INT(g.n, 10);
	CHECK_EQ_INT(g.bad, 0);
	CHECK_EQ_INT(mal, 0);
	CHECK_EQ_INT(((struct kt_ring_hdr *)mem)->drops, 5);
	free(mem);
}

UNIT_TEST(ring_hostile_guest)
{
	size_t size = KT_RING_HDR + 256;
	unsigned char *mem = calloc(1, size);
	struct kt_ring_hdr *h = (void *)mem;
	struct got g = { 0 };
	unsigned mal = 0;

	kt_ring_init(mem, size);
	kt_ring_write(mem, size, 7, "hello", 5);
	/* Corrupt the payload: delivered with crc_ok = false. */
	mem[KT_RING_HDR + KT_MSG_HDR] ^= 0xff;
	CHECK_EQ_INT(kt_ring_drain(mem, size, collect, &g, &mal), 1);
	CHECK_EQ_INT(g.bad, 1);
	/* A length beyond what was written stops the drain. */
	kt_ring_write(mem, size, 7, "hello", 5);
	{
		uint32_t big = 100000;

		memcpy(mem + KT_RING_HDR + (h->read_ptr % h->capacity) + 4, &big, 4);
	}
	CHECK_EQ_INT(kt_ring_drain(mem, size, collect, &g, &mal), 0);
	CHECK_EQ_INT(mal, 1);
	/* write_ptr far ahead of read_ptr: refused. */
	h->write_ptr = h->read_ptr + 10 * size;
	CHECK_EQ_INT(kt_ring_drain(mem, size, collect, &g, &mal), 0);
	CHECK_EQ_INT(mal, 2);
	/* Capacity that lies about the size: not a valid ring. */
	h->capacity = 1u << 20;
	CHECK_EQ_INT(kt_ring_drain(mem, size, collect, &g, &mal), -EINVAL);
	free(mem);
}

static void report(struct ktstr_worker_report *w, pid_t pid, uint64_t units, uint64_t wall, uint64_t cpu,
		   uint64_t gap_ms)
{
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->work_units = units;
	w->iterations = units;
	w->wall_time_ns = wall;
	w->cpu_time_ns = cpu;
	w->max_gap_ns = gap_ms * 1000000u;
	w->max_gap_cpu = 1;
	kmask_set(&w->cpus_used, (unsigned)pid % 4);
}

UNIT_TEST(checks_starved_stuck_unfair)
{
	struct ktstr_worker_report w[3];
	struct kt_result r;

	kt_result_init(&r, "t");
	report(&w[0], 10, 1000, 1000000000, 990000000, 5);
	report(&w[1], 11, 1000, 1000000000, 980000000, 5);
	kt_check_cgroup(&r, "cg", w, 2, 2000, 15.0, true);
	CHECK(r.passed);
	CHECK_EQ_INT(r.cg[0].cpus, 2);

	kt_result_init(&r, "t");
	report(&w[2], 12, 0, 1000000000, 0, 0);
	kt_check_cgroup(&r, "cg", w, 3, 2000, 15.0, true);
	CHECK(!r.passed);
	CHECK_EQ_INT(r.details[0].kind, KTSTR_K_STARVED);
	CHECK(strstr(r.details[0].msg, "tid 12 starved") != NULL);
	/* The idle worker also makes the cgroup unfair (100% off-cpu). */
	CHECK_EQ_INT(r.details[1].kind, KTSTR_K_UNFAIR);
	CHECK(strstr(r.details[1].msg, "threshold 15%") != NULL);

	kt_result_init(&r, "t");
	report(&w[0], 10, 1000, 1000000000, 990000000, 2500);
	kt_check_cgroup(&r, "cg", w, 2, 2000, 15.0, false);
	CHECK_EQ_INT(r.ndetails, 1);
	CHECK_EQ_INT(r.details[0].kind, KTSTR_K_STUCK);
	CHECK(strstr(r.details[0].msg, "stuck 2500ms on cpu1") != NULL);
	CHECK_EQ_INT(r.cg[0].max_gap_ms, 2500);
}

UNIT_TEST(topo_compare)
{
	struct ktstr_topo want = { 1, 2, 2, 1 };
	struct kt_seen_topo s = { .cpus = 4, .nodes = 1, .llcs = 2, .llc_size_min = 2, .llc_size_max = 2,
				  .smt_min = 1, .smt_max = 1, .llcs_within_nodes = true };
	char err[512];

	CHECK_EQ_INT(kt_topo_compare(&want, &s, err, sizeof(err)), 0);
	s.llcs = 1;
	s.llc_size_min = s.llc_size_max = 4;
	CHECK_EQ_INT(kt_topo_compare(&want, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "asked 1n2l2c1t") && strstr(err, "guest sees 4 cpus, 1 LLCs"));
}
