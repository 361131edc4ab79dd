/* Fuzz target: the text sanitisers every guest string passes before it
 * reaches a terminal, KTAP, a sidecar, JUnit or HTML: kt_line_clean() and
 * kt_text_clean() with KT_TEXT_TERM, KT_TEXT_XML or no flag (src/util/text.c)
 * (src/runner/report_out.c).
 *
 * Input: a byte giving the output size for kt_line_clean(), then the
 * guest's text.
 * Oracles (on the output):
 *  - kt_line_clean: NUL-terminated within its buffer; no byte below 0x20,
 *    no DEL, no ESC, no C1 control (U+0080-U+009F); valid UTF-8;
 *  - kt_text_clean_lines: the same, '\n' allowed, and no more newlines
 *    than the input has;
 *  - kt_text_clean (JSON): valid UTF-8, no NUL;
 *  - kt_text_clean (XML): valid UTF-8, no control character but TAB and
 *    LF, no U+FFFE/U+FFFF, no raw < > " ', and '&' only opening one of
 *    the five entities or &#13;.
 * Valid UTF-8 is strict (fz_utf8_valid): no overlong forms, surrogates or
 * code points above U+10FFFF, which terminals and browsers treat in
 * different ways. */
#include "fuzz.h"
#include "util/text.h"

#include <stdlib.h>

/* Oracle names a run may skip (KTSTR_FUZZ_SKIP, docs/fuzzing.md). */
static bool skip(const char *what)
{
	const char *s = getenv("KTSTR_FUZZ_SKIP");

	return s && strstr(s, what);
}

static void check_terminal(const char *what, const uint8_t *s, size_t n, bool nl_ok)
{
	for (size_t i = 0; i < n; i++) {
		FZ_CHECK(s[i] >= 0x20 || (nl_ok && s[i] == '\n'), "%s: byte 0x%02x at %zu", what, s[i], i);
		FZ_CHECK(s[i] != 0x7f, "%s: DEL at %zu", what, i);
		FZ_CHECK(!(s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xa0), "%s: C1 control at %zu",
			 what, i);
	}
	if (!skip("utf8"))
		FZ_CHECK(fz_utf8_valid(s, n), "%s: invalid UTF-8", what);
}

static void check_xml(const uint8_t *s, size_t n)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#13;" };

	FZ_CHECK(fz_utf8_valid(s, n), "xml: invalid UTF-8");
	for (size_t i = 0; i < n; i++) {
		FZ_CHECK(s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n', "xml: byte 0x%02x at %zu", s[i], i);
		FZ_CHECK(!strchr("<>\"'", s[i]) || !s[i], "xml: raw '%c' at %zu", s[i], i);
		FZ_CHECK(!(s[i] == 0xef && i + 2 < n && s[i + 1] == 0xbf && (s[i + 2] == 0xbe || s[i + 2] == 0xbf)),
			 "xml: U+FFFE/U+FFFF at %zu", i);
		if (s[i] == '&') {
			bool ok = false;

			for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && !ok; k++)
				ok = n - i >= strlen(ents[k]) && !memcmp(s + i, ents[k], strlen(ents[k]));
			FZ_CHECK(ok, "xml: bare '&' at %zu", i);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kbuf b = { 0 };
	size_t outlen, nl_in = 0, nl_out = 0;
	char *s, *out;

	if (!size)
		return 0;
	outlen = data[0] ? data[0] : 1024; /* 0: the usual 1 KiB */
	data++;
	size--;
	s = fz_dup(data, size, true); /* the C-string callers see it up to the first NUL */
	out = malloc(outlen);
	if (!out)
		abort();

	memset(out, 'x', outlen);
	kt_line_clean(s, out, outlen);
	FZ_CHECK(memchr(out, '\0', outlen), "kt_line_clean: output not terminated");
	check_terminal("kt_line_clean", (const uint8_t *)out, strlen(out), false);

	if (kt_text_clean((const char *)data, size, KT_TEXT_TERM, &b) == 0 && b.len) {
		check_terminal("kt_text_clean(TERM)", (const uint8_t *)b.data, b.len, true);
		for (size_t i = 0; i < size; i++)
			nl_in += data[i] == '\n';
		for (size_t i = 0; i < b.len; i++)
			nl_out += b.data[i] == '\n';
		FZ_CHECK(nl_out <= nl_in, "kt_text_clean(TERM): %zu newlines in, %zu out", nl_in, nl_out);
	}
	kt_kbuf_free(&b);

	if (!kt_text_clean((const char *)data, size, 0, &b)) {
		FZ_CHECK(fz_utf8_valid((const uint8_t *)b.data, b.len), "kt_text_clean: invalid UTF-8");
		FZ_CHECK(!b.len || !memchr(b.data, '\0', b.len), "kt_text_clean: NUL in the output");
	}
	kt_kbuf_free(&b);
	if (!kt_text_clean((const char *)data, size, KT_TEXT_XML, &b))
		check_xml((const uint8_t *)b.data, b.len);
	kt_kbuf_free(&b);
	free(out);
	free(s);
	return 0;
}
