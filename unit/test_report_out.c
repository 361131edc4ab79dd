#include "unit.h"
#include "runner/report_out.h"
#include "util/text.h"
#include "runner/progress.h"

#include <jansson.h>

static void clean(const char *in, size_t len, bool xml, const char *want)
{
	struct kbuf b = { 0 };

	CHECK_EQ_INT(kt_text_clean(in, len, xml ? KT_TEXT_XML : 0, &b), 0);
	CHECK_EQ_STR(b.data, want);
	kt_kbuf_free(&b);
}

UNIT_TEST(report_text_clean_xml)
{
	clean("a<b>&\"c'", 8, true, "a&lt;b&gt;&amp;&quot;c&apos;");
	clean("</system-out><x>", 16, true, "&lt;/system-out&gt;&lt;x&gt;");
	clean("]]>", 3, true, "]]&gt;");
	clean("t\tn\nr\r", 6, true, "t\tn\nr&#13;");
	/* control characters, NUL, invalid UTF-8 -> U+FFFD */
	clean("a\x01" "b\x1b[0m", 7, true, "a\xef\xbf\xbd" "b\xef\xbf\xbd[0m");
	clean("x\0y", 3, true, "x\xef\xbf\xbdy");
	clean("\xff\xfe", 2, true, "\xef\xbf\xbd\xef\xbf\xbd");
	clean("\xc0\xaf", 2, true, "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong '/' */
	clean("\xed\xa0\x80", 3, true, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	clean("\xef\xbf\xbe", 3, true, "\xef\xbf\xbd");                         /* U+FFFE */
	clean("\xe2\x80", 2, true, "\xef\xbf\xbd\xef\xbf\xbd");                 /* truncated */
	clean("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", 14, true, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");
	/* JSON mode keeps markup and control characters (jansson escapes
	 * them) but still makes the text valid UTF-8 without NUL. */
	clean("<a>\x01\xff", 5, false, "<a>\x01\xef\xbf\xbd");
	clean("", 0, true, "");
}

UNIT_TEST(report_text_clean_jansson)
{
	static const char junk[] = "ok\xff\xc3(\0\x80\xf5\x80\x80\x80 end";
	struct kbuf b = { 0 };
	json_t *j;

	CHECK_EQ_INT(kt_text_clean(junk, sizeof(junk) - 1, 0, &b), 0);
	j = json_stringn(b.data, b.len);
	CHECK(j != NULL); /* jansson rejects invalid UTF-8: this must be valid */
	json_decref(j);
	kt_kbuf_free(&b);
}

UNIT_TEST(report_safe_name)
{
	char buf[64];

	kt_safe_name("steady", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "steady");
	kt_safe_name("t/llc+borrow", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "t_llc+borrow");
	kt_safe_name("../../etc/x y", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "_._.._etc_x_y"); /* no "/" and no leading "." */
	kt_safe_name("abcdef", buf, 4);
	CHECK_EQ_STR(buf, "abc");
}

UNIT_TEST(progress_format)
{
	char buf[256];

	kt_progress_format(buf, sizeof(buf), 0, 10, "a, b", 5.2, 2);
	CHECK_EQ_STR(buf, "[0/10] elapsed 5s, ETA ? | running: a, b");
	kt_progress_format(buf, sizeof(buf), 2, 10, "c", 60, 2);
	CHECK_EQ_STR(buf, "[2/10] elapsed 1m00s, ETA 4m00s | running: c");
	kt_progress_format(buf, sizeof(buf), 10, 10, "", 3725, 2);
	CHECK_EQ_STR(buf, "[10/10] elapsed 1h02m, ETA 0s");
}
