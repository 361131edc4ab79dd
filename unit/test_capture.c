/* A flooding guest costs bounded host memory: the console capture keeps
 * a head and a tail and counts what it drops (util/capture.c), markers
 * are found as the bytes arrive, and COM2's reader (proto/com2.c) still
 * finds the sentinels, the scheduler log and the result frame. */
#include "unit.h"
#include "proto/com2.h"
#include "util/capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

UNIT_TEST(capture_flood_stays_bounded)
{
	struct kt_capture c = { .head_cap = 4096, .tail_cap = 8192 };
	struct kbuf t = { 0 };
	char chunk[8192];
	char *head = NULL, *tail = NULL;
	uint64_t total = 0;

	for (unsigned i = 0; i < (64u << 20) / sizeof(chunk); i++) {
		for (size_t k = 0; k < sizeof(chunk); k++)
			chunk[k] = (char)('a' + (total + k) % 26);
		CHECK_EQ_INT(kt_capture_add(&c, chunk, i % 3 ? sizeof(chunk) : 100), 0);
		total += i % 3 ? sizeof(chunk) : 100;
		if (i == 0) {
			head = c.head;
			tail = c.tail;
		}
	}
	/* Nothing grew: the buffers are the ones the first add made. */
	CHECK(c.head == head && c.tail == tail && c.head_cap == 4096 && c.tail_cap == 8192);
	CHECK_EQ_INT(c.total, total);
	CHECK_EQ_INT(c.head_len, 4096);
	CHECK_EQ_INT(c.tail_len, 8192);
	CHECK_EQ_INT(c.dropped, total - 4096 - 8192);
	CHECK_EQ_INT(kt_capture_last(&c, 100, &t), 0);
	CHECK_EQ_INT(t.len, 100);
	for (size_t k = 0; k < t.len; k++) /* the newest bytes, in order */
		CHECK_EQ_INT(t.data[k], 'a' + (total - 100 + k) % 26);
	t.len = 0;
	CHECK_EQ_INT(kt_capture_text(&c, &t), 0);
	CHECK(t.len > 4096 + 8192 && t.len < 4096 + 8192 + 64);
	CHECK(!memcmp(t.data, "abcdef", 6) && strstr(t.data, " bytes dropped ...]") != NULL);
	kt_capture_free(&c);
	kt_kbuf_free(&t);
}

UNIT_TEST(capture_short_stream_whole)
{
	struct kt_capture c = { .head_cap = 8, .tail_cap = 8 };
	struct kbuf t = { 0 };

	kt_capture_add(&c, "0123456789ab", 12); /* 8 in the head, 4 in the tail */
	CHECK_EQ_INT(c.dropped, 0);
	CHECK_EQ_INT(kt_capture_last(&c, 6, &t), 0);
	CHECK(t.len == 6 && !memcmp(t.data, "6789ab", 6));
	t.len = 0;
	kt_capture_text(&c, &t);
	CHECK(t.len == 12 && !memcmp(t.data, "0123456789ab", 12));
	kt_capture_add(&c, "cdefghij", 8);
	t.len = 0;
	kt_capture_text(&c, &t);
	CHECK_EQ_INT(c.dropped, 4);
	CHECK_EQ_STR(t.data, "01234567\n[... 4 bytes dropped ...]\ncdefghij");
	kt_capture_free(&c);
	kt_kbuf_free(&t);
}

static unsigned brute_count(const char *h, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	unsigned c = 0;

	for (size_t i = 0; i + m <= n; i++)
		c += !memcmp(h + i, needle, m);
	return c;
}

UNIT_TEST(marker_across_chunks)
{
	static const char *const needles[] = { "aab", "abab", "aaaa", "Kernel panic - not syncing" };
	uint64_t r = 12345;
	char text[4096];
	struct kt_marker m;

	CHECK_EQ_INT(kt_marker_init(&m, ""), -EINVAL);
	for (size_t ni = 0; ni < ARRAY_SIZE(needles); ni++) {
		unsigned found = 0;

		for (size_t i = 0; i < sizeof(text); i++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			text[i] = "ab"[(r >> 33) % 2];
		}
		memcpy(text + 1000, needles[ni], strlen(needles[ni]));
		CHECK_EQ_INT(kt_marker_init(&m, needles[ni]), 0);
		for (size_t off = 0, k; off < sizeof(text); off += k) {
			k = 1 + (off * 7) % 5;
			if (k > sizeof(text) - off)
				k = sizeof(text) - off;
			found += kt_marker_feed(&m, text + off, k);
		}
		CHECK_EQ_INT(found, brute_count(text, sizeof(text), needles[ni]));
		CHECK_EQ_INT(m.seen, found);
	}
	/* The line of the first occurrence is kept (the panic reason). */
	kt_marker_init(&m, "Kernel panic - not syncing");
	kt_marker_feed(&m, "[ 1.0] Kernel pan", 17);
	kt_marker_feed(&m, "ic - not syncing: Attempted to kill init!\r\n[ 1.1] more\n", 55);
	CHECK_EQ_STR(m.line, "Kernel panic - not syncing: Attempted to kill init!");
}

static void feed(struct kt_com2 *c, const char *s)
{
	kt_com2_feed(c, s, strlen(s));
}

/* A guest that floods COM2 for 64 MiB between its sentinels and its
 * result: the judge's inputs are all there, in bounded memory. */
UNIT_TEST(com2_flood_keeps_frame_and_sentinels)
{
	const char *json = "{\"test\":\"steady\",\"passed\":true}";
	struct kt_com2 c;
	struct kbuf f = { 0 }, out = { 0 }, t = { 0 };
	char noise[4096], err[128];

	memset(noise, 'n', sizeof(noise));
	noise[sizeof(noise) - 1] = '\n';
	kt_com2_init(&c);
	feed(&c, "KTSTR_INIT_ST");
	feed(&c, "ARTED\r\n");
	for (unsigned i = 0; i < (32u << 20) / sizeof(noise); i++)
		kt_com2_feed(&c, noise, sizeof(noise));
	feed(&c, "KTSTR_PAYLOAD_STARTING steady\n");
	feed(&c, KT_SCHED_LOG_BEGIN "\nsched line 1\nsched line 2\n" KT_SCHED_LOG_END "\n");
	for (unsigned i = 0; i < (32u << 20) / sizeof(noise); i++)
		kt_com2_feed(&c, noise, sizeof(noise));
	kt_frame_encode(json, strlen(json), &f);
	kt_com2_feed(&c, f.data, f.len);
	feed(&c, "KTSTR_EXIT=0\n");
	kt_com2_finish(&c);
	CHECK(c.init_started.seen == 1 && c.payload_starting.seen == 1);
	CHECK_EQ_INT(kt_frame_scan_result(&c.frame, &out, err, sizeof(err)), 0);
	CHECK(out.len == strlen(json) && !memcmp(out.data, json, out.len));
	kt_capture_text(&c.sched_log, &t);
	CHECK_EQ_STR(t.data, "sched line 1\nsched line 2\n");
	/* The guest's words: the newest lines, without the frame. */
	t.len = 0;
	kt_capture_last(&c.plain, 64, &t);
	CHECK(strstr(t.data, "KTSTR_EXIT=0\n") && !strstr(t.data, "KTSTR_RESULT"));
	CHECK(c.plain.tail_cap == KT_COM2_TAIL && c.plain.tail_len <= KT_COM2_TAIL && c.plain.dropped > (8u << 20));
	CHECK(c.frame.cur.cap <= 4096 && c.frame.payload.cap <= 4096);
	kt_com2_free(&c);
	kt_kbuf_free(&f);
	kt_kbuf_free(&out);
	kt_kbuf_free(&t);
}

UNIT_TEST(capture_console_first_oops)
{
	static const char con[] = "[    0.1] booting\n"
				  "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000010\n"
				  "[    1.0] #PF: supervisor read access in kernel mode\n"
				  "[    1.0] Oops: 0000 [#1] PREEMPT SMP\n"
				  "[    1.1] Kernel panic - not syncing: Fatal exception\n";
	static const char gpf[] = "x\r\n[ 2.0] general protection fault, probably for non-canonical address\n";
	static const char none[] = "[    0.1] booting\nno BUG here: a word\n";

	CHECK_EQ_INT(kt_console_first_oops(con, strlen(con)), 18);
	CHECK_EQ_INT(kt_console_first_oops(con + 18, 5), 5); /* cut in the marker: none */
	CHECK_EQ_INT(kt_console_first_oops(gpf, strlen(gpf)), 3);
	CHECK_EQ_INT(kt_console_first_oops(none, strlen(none)), strlen(none)); /* "BUG here:" is no "BUG:" */
	CHECK_EQ_INT(kt_console_first_oops("", 0), 0);
	CHECK_EQ_INT(kt_console_first_oops("[ 1] WARNING: CPU: 0 PID: 1 at x", 32), 0);
}
