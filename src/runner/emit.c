/* KTAP lines, reports and the summary (runner/emit.h). */
#include "runner/emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0: invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t want = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (!want || want > n || (want == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < want; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return want;
}

/* Append the printable form of s[0..n) to out; newlines kept or not. */
static int clean(const char *s, size_t n, bool keep_nl, struct kbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t l;

		if (c == 0x1b) { /* ESC [ params final, or ESC X: dropped */
			i++;
			if (i < n && p[i] == '[') {
				for (i++; i < n && !(p[i] >= 0x40 && p[i] <= 0x7e); i++)
					;
			}
			i += i < n;
			continue;
		}
		if (c == '\n' && keep_nl) {
			if (kt_kbuf_append(out, "\n", 1))
				return -ENOMEM;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if (kt_kbuf_append(out, " ", 1))
				return -ENOMEM;
			i++;
			continue;
		}
		l = utf8_len(p + i, n - i);
		if (!l) {
			if (kt_kbuf_append(out, "?", 1))
				return -ENOMEM;
			i++;
			continue;
		}
		if (l == 2 && p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] < 0xa0) { /* C1 controls */
			if (kt_kbuf_append(out, " ", 1))
				return -ENOMEM;
		} else if (kt_kbuf_append(out, (const char *)p + i, l)) {
			return -ENOMEM;
		}
		i += l;
	}
	return 0;
}

void kt_line_clean(const char *s, char *out, size_t len)
{
	struct kbuf b = { 0 };
	size_t n;

	if (!len)
		return;
	out[0] = '\0';
	if (!s || clean(s, strlen(s), false, &b) || !b.data) {
		kt_kbuf_free(&b);
		return;
	}
	n = b.len < len - 1 ? b.len : len - 1;
	/* Do not cut a UTF-8 sequence in half. */
	while (n && n < b.len && ((unsigned char)b.data[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, b.data, n);
	out[n] = '\0';
	kt_kbuf_free(&b);
}

int kt_text_clean_lines(const char *s, size_t n, struct kbuf *out)
{
	return clean(s, n, true, out);
}

void kt_emit_begin(FILE *f, const char *header, size_t n)
{
	char h[512];

	kt_line_clean(header, h, sizeof(h));
	fprintf(f, "KTAP version 1\n# %s\n1..%zu\n", h, n);
	fflush(f);
}

void kt_emit_case(FILE *f, const char *prefix, unsigned num, const char *name, const char *sched,
		  const struct kt_outcome *o)
{
	const char *ok = o->verdict == KT_PASS || o->verdict == KT_SKIP ? "ok" : "not ok";
	char reason[sizeof(o->reason) * 2], first[sizeof(o->first_failure) * 2], nm[256];

	kt_line_clean(o->reason, reason, sizeof(reason));
	kt_line_clean(o->first_failure, first, sizeof(first));
	kt_line_clean(name, nm, sizeof(nm));
	fprintf(f, "%s%s %u %s", prefix, ok, num, nm);
	if (o->verdict == KT_SKIP) {
		fprintf(f, " # SKIP %s", reason);
	} else {
		fprintf(f, " # topo=%s sched=%s %s wall=%.1fs", o->topo, sched, o->accel[0] ? o->accel : "-", o->wall_s);
		if (o->ran_vm)
			fprintf(f, " boot=%.2fs overhead=%.1fs", o->boot_s, o->wall_s - o->duration_ms / 1000.0);
		if (reason[0])
			fprintf(f, " — %s", reason);
	}
	if (o->attempts > 1 && (o->verdict == KT_FAIL || o->verdict == KT_ERROR))
		fprintf(f, " (failed all %u attempts)", o->attempts);
	if (o->verdict == KT_PASS && o->first_failure[0])
		fprintf(f, " flaky: passed on attempt %u (first failure: %s)", o->attempts, first);
	fprintf(f, "\n");
	fflush(f);
}

void kt_tally_add(struct kt_tally *t, const struct kt_outcome *o)
{
	if (o->verdict == KT_PASS)
		t->passed++;
	else if (o->verdict == KT_SKIP)
		t->skipped++;
	else
		t->failed++;
	if (o->verdict == KT_PASS && o->first_failure[0])
		t->flaky++;
}

static void print_clean(FILE *f, const struct kbuf *b)
{
	struct kbuf c = { 0 };

	if (!b->len)
		return;
	if (!kt_text_clean_lines(b->data, b->len, &c) && c.data)
		fwrite(c.data, 1, c.len, f);
	kt_kbuf_free(&c);
}

void kt_emit_report(FILE *f, const char *name, const struct kt_outcome *o)
{
	char nm[256];

	if (o->report.len) {
		fprintf(f, "\n");
		print_clean(f, &o->report);
	}
	if (o->verdict == KT_PASS && o->first_report.len) { /* flaky: what its failed attempt said */
		kt_line_clean(name, nm, sizeof(nm));
		fprintf(f, "\n# %s passed on attempt %u; its first attempt failed:\n", nm, o->attempts);
		print_clean(f, &o->first_report);
	}
	fflush(f);
}

void kt_emit_summary(FILE *f, const struct kt_tally *t)
{
	fprintf(f, "%u passed, %u failed", t->passed, t->failed);
	if (t->skipped)
		fprintf(f, ", %u skipped", t->skipped);
	if (t->flaky)
		fprintf(f, ", %u flaky", t->flaky);
	fprintf(f, "\n");
	fflush(f);
}
