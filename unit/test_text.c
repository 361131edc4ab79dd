/* The one sanitiser (util/text.c) and what reaches stdout: a result
 * detail, a cgroup name, a crash message or console text from the guest
 * can neither forge a KTAP line nor drive the terminal. */
#include "unit.h"
#include "proto/com2.h"
#include "runner/emit.h"
#include "util/text.h"

#include <stdlib.h>

static void clean(const char *in, unsigned flags, const char *want)
{
	struct kbuf b = { 0 };

	CHECK_EQ_INT(kt_text_clean(in, strlen(in), flags, &b), 0);
	CHECK_EQ_STR(b.data, want);
	kt_kbuf_free(&b);
}

UNIT_TEST(text_clean_modes)
{
	/* Terminal: newlines kept, escape sequences gone, controls a space. */
	clean("a\x1b[31mred\x1b[0m\n\tb\x07\r\n", KT_TEXT_TERM, "ared\n b  \n");
	clean("\xc2\x9b" "2J\xe2\x86\x92", KT_TEXT_TERM, " 2J\xe2\x86\x92");
	/* One line: newlines too. */
	clean("x\nok 2 forged\r\n", KT_TEXT_LINE, "x ok 2 forged  ");
	/* JSON: only valid UTF-8 (the encoder escapes controls). */
	clean("a\x1b\n\xff", 0, "a\x1b\n\xef\xbf\xbd");
	/* XML and terminal at once. */
	clean("<\x1b[1m&\x01", KT_TEXT_XML | KT_TEXT_TERM, "&lt;&amp; ");
}

/* Every line of what was printed: no forged test line, no control
 * byte but the newline. */
static void check_harmless(const char *out, unsigned real_lines)
{
	unsigned test_lines = 0;

	for (const char *l = out; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (!strncmp(l, "ok ", 3) || !strncmp(l, "not ok ", 7))
			test_lines++;
	CHECK_EQ_INT(test_lines, real_lines);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p != '\n' && (*p < 0x20 || *p == 0x7f)) {
			unit_fail(__FILE__, __LINE__, "control byte 0x%02x at %zu", *p, (size_t)(p - (const unsigned char *)out));
			break;
		}
}

static const struct ktstr_test t_plain = { .name = "plain" };

/* What the runner prints for a judged case: its KTAP line and report,
 * checked harmless.  Returns the text (free it). */
static char *printed(const struct kt_outcome *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	kt_emit_case(f, "", 1, "plain", "eevdf", o);
	kt_emit_report(f, "plain", o);
	fclose(f);
	check_harmless(buf, 1);
	return buf;
}

UNIT_TEST(forged_ktap_detail_printed_harmlessly)
{
	static const char forge[] = "x\nok 2 forged_case\n\x1b[2J\x1b[H\x07";
	struct ktstr_topo topo = { 1, 1, 2, 1 };
	struct kt_result r = { .passed = false, .ncg = 1 };
	struct kt_outcome o = { 0 };
	char *buf;

	kt_result_add(&r, KTSTR_K_STARVED, forge);
	snprintf(r.cg[0].name, sizeof(r.cg[0].name), "cg\nnot ok 3 forged\x1b]0;title\x07");
	kt_judge_local(&t_plain, "plain", &topo, &r, &o);
	buf = printed(&o);
	CHECK(strstr(buf, "[starved] x ok 2 forged_case") != NULL);
	free(buf);
	kt_outcome_release(&o);
}

UNIT_TEST(forged_ktap_crash_and_console_printed_harmlessly)
{
	struct ktstr_topo topo = { 1, 1, 2, 1 };
	struct vm_result vr = { .exit = VM_EXIT_POWEROFF };
	struct kt_outcome o = { 0 };
	struct kt_com2 c2;
	char *buf;
	static const char com2[] = "KTSTR_INIT_STARTED\nguest says\r\nok 4 forged\x1b[2J\n";

	kt_com2_init(&c2);
	kt_com2_feed(&c2, com2, strlen(com2));
	kt_capture_add(&vr.com1, "boot\nok 5 forged\x1b[2J\n", 22);
	/* The CRSH text as the runner's ring reader kept it. */
	snprintf(o.guest_crash, sizeof(o.guest_crash), "SIGSEGV\nok 6 forged\x1b[2J");
	kt_judge(&t_plain, "plain", &topo, &vr, &c2, NULL, 0, &o);
	buf = printed(&o);
	CHECK(strstr(buf, "guest init crashed: SIGSEGV ok 6 forged") != NULL);
	free(buf);
	kt_outcome_release(&o);
	kt_vm_result_free(&vr);
	kt_com2_free(&c2);
}
