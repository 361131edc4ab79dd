/* Verifier statistics lines and libbpf's load-log blocks (vlog.h).
 * Every number is parsed with an overflow check; a line that does not
 * parse is ignored, never half-used. */
#include "model/vlog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BEGIN_MARK "-- BEGIN PROG LOAD LOG --"
#define END_MARK "-- END PROG LOAD LOG --"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number at *p (bounded by end); false on none or overflow. */
static bool number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || !is_digit(*s))
		return false;
	for (; s < end && is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

static bool prefix(const char **p, const char *end, const char *word)
{
	size_t l = strlen(word);

	if ((size_t)(end - *p) < l || memcmp(*p, word, l))
		return false;
	*p += l;
	return true;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* "KEY N" somewhere after *p on the line. */
static bool keyed(const char *p, const char *end, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (; p + kl < end; p++) {
		const char *q;

		if (memcmp(p, key, kl) || (p[kl] != ' '))
			continue;
		q = p + kl;
		skip_spaces(&q, end);
		return number(&q, end, out);
	}
	return false;
}

/* processed N insns (limit L) max_states_per_insn M total_states T peak_states P mark_read R */
static bool parse_processed(const char *p, const char *end, struct kt_vstats *s)
{
	uint64_t n;

	if (!prefix(&p, end, "processed "))
		return false;
	if (!number(&p, end, &n) || !prefix(&p, end, " insns"))
		return false;
	s->processed = n;
	s->limit = s->max_states_per_insn = s->total_states = s->peak_states = s->mark_read = 0;
	{
		const char *q = p;

		skip_spaces(&q, end);
		if (prefix(&q, end, "(limit "))
			number(&q, end, &s->limit);
	}
	keyed(p, end, "max_states_per_insn", &s->max_states_per_insn);
	keyed(p, end, "total_states", &s->total_states);
	keyed(p, end, "peak_states", &s->peak_states);
	keyed(p, end, "mark_read", &s->mark_read);
	s->have_processed = true;
	return true;
}

/* verification time X usec */
static bool parse_time(const char *p, const char *end, struct kt_vstats *s)
{
	uint64_t v;

	if (!prefix(&p, end, "verification time "))
		return false;
	if (!number(&p, end, &v) || !prefix(&p, end, " usec"))
		return false;
	s->time_usec = v;
	s->have_time = true;
	return true;
}

/* stack depth A+B+... */
static bool parse_stack(const char *p, const char *end, struct kt_vstats *s)
{
	uint32_t st[KT_VSTATS_MAX_FRAMES];
	unsigned n = 0;

	if (!prefix(&p, end, "stack depth "))
		return false;
	for (;;) {
		uint64_t v;

		if (n == KT_VSTATS_MAX_FRAMES || !number(&p, end, &v) || v > UINT32_MAX)
			return false;
		st[n++] = (uint32_t)v;
		if (p < end && *p == '+') {
			p++;
			continue;
		}
		break;
	}
	skip_spaces(&p, end);
	if (p != end)
		return false;
	memcpy(s->stack, st, n * sizeof(st[0]));
	s->nstack = n;
	return true;
}

int kt_vstats_parse(const char *log, size_t len, struct kt_vstats *out)
{
	bool got_p = false, got_t = false, got_s = false;
	const char *end;

	memset(out, 0, sizeof(*out));
	if (!log)
		return -ENOENT;
	end = log + len;
	/* From the end: the last of each line wins. */
	while (end > log && !(got_p && got_t && got_s)) {
		const char *e = end, *b;

		while (e > log && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		b = e;
		while (b > log && b[-1] != '\n')
			b--;
		end = b;
		{
			const char *p = b, *le = e;

			skip_spaces(&p, le);
			while (le > p && (le[-1] == ' ' || le[-1] == '\t'))
				le--;
			if (!got_p)
				got_p = parse_processed(p, le, out);
			if (!got_t)
				got_t = parse_time(p, le, out);
			if (!got_s)
				got_s = parse_stack(p, le, out);
		}
	}
	return got_p || got_t || got_s ? 0 : -ENOENT;
}

void kt_vstats_stack_str(const struct kt_vstats *s, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < s->nstack && i < KT_VSTATS_MAX_FRAMES && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%u", i ? "+" : "", s->stack[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static const char *find(const char *s, const char *end, const char *pat)
{
	size_t pl = strlen(pat);

	for (; s + pl <= end; s++)
		if (*s == *pat && !memcmp(s, pat, pl))
			return s;
	return NULL;
}

static const char *line_start(const char *text, const char *p)
{
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

/* "prog 'NAME':" on the marker's line, printable bytes only. */
static void prog_name(const char *ls, const char *mark, char *buf, size_t len)
{
	const char *q = find(ls, mark, "prog '"), *e;
	size_t n = 0;

	buf[0] = '\0';
	if (!q)
		return;
	q += 6;
	for (e = q; e < mark && *e != '\''; e++)
		;
	for (; q < e && n + 1 < len; q++)
		if ((unsigned char)*q > 0x20 && (unsigned char)*q < 0x7f)
			buf[n++] = *q;
	buf[n] = '\0';
}

/* libbpf's "prog 'NAME': BPF program load failed" between from and to. */
static bool load_failed(const char *from, const char *to, const char *prog)
{
	char pat[KT_VLOG_NAME + 40];

	snprintf(pat, sizeof(pat), "prog '%s': BPF program load failed", prog);
	return prog[0] && find(from, to, pat) != NULL;
}

size_t kt_vlog_blocks(const char *text, size_t len, struct kt_vlog_block *out, size_t max)
{
	const char *end = text ? text + len : NULL, *p = text, *prev_end = text;
	size_t n = 0;

	while (text && n < max && (p = find(p, end, BEGIN_MARK))) {
		struct kt_vlog_block *b = &out[n++];
		const char *ls = line_start(text, p), *body, *next, *stop;

		memset(b, 0, sizeof(*b));
		prog_name(ls, p, b->prog, sizeof(b->prog));
		b->failed = load_failed(prev_end, ls, b->prog);
		body = memchr(p, '\n', (size_t)(end - p));
		body = body ? body + 1 : end;
		next = find(body, end, BEGIN_MARK);
		stop = find(body, next ? next : end, END_MARK);
		b->off = (size_t)(body - text);
		if (stop) {
			b->complete = true;
			b->len = (size_t)(stop - body);
			p = stop + strlen(END_MARK);
		} else {
			/* Cut short: up to the last whole line before the next
			 * block (or the end). */
			const char *e = next ? line_start(text, next) : end;

			while (e > body && e[-1] != '\n')
				e--;
			b->len = (size_t)(e - body);
			p = next ? next : end;
		}
		prev_end = p;
	}
	return n;
}

static bool state_line(const char *p, const char *e)
{
	const char *q = p;

	if (prefix(&q, e, "cur state:") || prefix(&q, e, "old state:") || prefix(&q, e, ";") ||
	    prefix(&q, e, "from ") || prefix(&q, e, "processed ") || prefix(&q, e, "verification time ") ||
	    prefix(&q, e, "stack depth "))
		return true;
	q = p;
	while (q < e && is_digit(*q))
		q++;
	return q > p && q < e && *q == ':';
}

void kt_vlog_reason(const char *log, size_t loglen, char *buf, size_t len)
{
	const char *end = log ? log + loglen : NULL;

	if (!len)
		return;
	buf[0] = '\0';
	while (log && end > log) {
		const char *e = end, *b, *p;

		while (e > log && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		b = line_start(log, e);
		end = b;
		p = b;
		skip_spaces(&p, e);
		if (p == e || state_line(p, e))
			continue;
		{
			size_t n = 0;

			for (; p < e && n + 1 < len; p++)
				buf[n++] = (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?';
			buf[n] = '\0';
		}
		return;
	}
}
