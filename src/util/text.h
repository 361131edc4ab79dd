/* The one sanitiser for untrusted text (guest output, result details,
 * crash messages) on its way to a terminal, a KTAP line, a JSON sidecar,
 * JUnit XML or HTML.  Pure. */
#ifndef KTSTR_UTIL_TEXT_H
#define KTSTR_UTIL_TEXT_H
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

/* Flags of kt_text_clean().  With none, the text is only made valid
 * UTF-8 (for JSON, which escapes control characters itself). */
#define KT_TEXT_XML 0x1u  /* & < > " ' and CR as entities; what XML 1.0 forbids -> U+FFFD */
#define KT_TEXT_TERM 0x2u /* for a terminal: ESC sequences dropped, other C0/C1 controls, DEL, tab -> ' ' (newline kept) */
#define KT_TEXT_LINE 0x4u /* KT_TEXT_TERM, and newlines too become spaces: one line */

/* Length of the valid UTF-8 sequence at s (at most n bytes, n >= 1) and
 * its code point, or 0 if it is not one (overlong, surrogate, beyond
 * U+10FFFF, truncated). */
size_t kt_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Append s[0..len) to out: invalid UTF-8 and NUL become U+FFFD, then
 * per flags.  out->data stays NUL-terminated.  0 or -ENOMEM. */
int kt_text_clean(const char *s, size_t len, unsigned flags, struct kbuf *out);

/* s[0..n) as one printable line (KT_TEXT_LINE) in a fixed buffer, cut
 * at a character boundary when it does not fit. */
void kt_line_cleann(const char *s, size_t n, char *out, size_t len);
/* The same for a NUL-terminated s (NULL: ""). */
void kt_line_clean(const char *s, char *out, size_t len);

#endif
