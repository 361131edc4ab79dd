/* The text sanitiser (see text.h). */
#include "util/text.h"

#include <errno.h>
#include <string.h>

static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t kt_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && c < 0x800) || (need == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need;
}

/* An escape sequence at s[0] == ESC: how many bytes to drop (ESC [
 * parameters final-byte, or ESC and the byte after it). */
static size_t esc_len(const unsigned char *s, size_t n)
{
	size_t i = 1;

	if (i < n && s[i] == '[') {
		for (i++; i < n && !(s[i] >= 0x40 && s[i] <= 0x7e); i++)
			;
	}
	return i < n ? i + 1 : i;
}

static const char *xml_entity(uint32_t cp)
{
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\r': return "&#13;";
	default: return NULL;
	}
}

int kt_text_clean(const char *str, size_t len, unsigned flags, struct kbuf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	bool term = flags & (KT_TEXT_TERM | KT_TEXT_LINE), xml = flags & KT_TEXT_XML;
	size_t i = 0;
	int ret = kt_kbuf_reserve(out, len + 1);

	while (!ret && i < len) {
		uint32_t cp;
		size_t l = kt_utf8_seq(s + i, len - i, &cp);
		const char *ent;

		if (term && l == 1 && cp == 0x1b) {
			i += esc_len(s + i, len - i);
			continue;
		}
		if (term && l && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) &&
		    !(cp == '\n' && !(flags & KT_TEXT_LINE))) {
			ret = kt_kbuf_append(out, " ", 1);
			i += l;
			continue;
		}
		if (!l || cp == 0 ||
		    (xml && ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff))) {
			ret = kt_kbuf_append(out, repl, 3);
			i += l ? l : 1;
			continue;
		}
		ent = xml ? xml_entity(cp) : NULL;
		ret = ent ? kt_kbuf_append(out, ent, strlen(ent)) : kt_kbuf_append(out, s + i, l);
		i += l;
	}
	/* Keep data NUL-terminated for callers that print it. */
	if (!ret)
		ret = kt_kbuf_reserve(out, 1);
	if (!ret)
		out->data[out->len] = '\0';
	return ret;
}

void kt_line_cleann(const char *s, size_t n, char *out, size_t len)
{
	struct kbuf b = { 0 };
	size_t k;

	if (!len)
		return;
	out[0] = '\0';
	if (!s || kt_text_clean(s, n, KT_TEXT_LINE, &b) || !b.data) {
		kt_kbuf_free(&b);
		return;
	}
	k = b.len < len - 1 ? b.len : len - 1;
	/* Do not cut a UTF-8 sequence in half. */
	while (k && k < b.len && ((unsigned char)b.data[k] & 0xc0) == 0x80)
		k--;
	memcpy(out, b.data, k);
	out[k] = '\0';
	kt_kbuf_free(&b);
}

void kt_line_clean(const char *s, char *out, size_t len)
{
	kt_line_cleann(s, s ? strlen(s) : 0, out, len);
}
