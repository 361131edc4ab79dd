/* Cycle collapse of verifier logs (vlog.h; the reference's algorithm,
 * docs/verifier.md).  One pass:
 *
 *  1. every line gets two comparison forms, A (with its instruction
 *     address) and B (without), interned so that equal strings have equal
 *     ids;
 *  2. the anchor is the most frequent A of at least 10 bytes seen at
 *     least 3 times (ties: the first in byte order); failing that, the
 *     same over B;
 *  3. the period is the most frequent gap (>= 5 lines, seen at least
 *     twice; ties: the smaller) between anchor positions 1, 2 or 3
 *     apart;
 *  4. from the first anchor position on, a block of P lines equal (in B)
 *     to the next block starts a cycle; a start up to P-1 lines earlier
 *     wins if it repeats more often; 3 repetitions or more are folded.
 *
 * Linear work per pass: "B[i] == B[i+P]" runs are counted once from the
 * end (run[]), so the number of equal consecutive blocks from any start
 * is 1 + run[start] / P, and the earlier-start search visits each line
 * at most once while it finds no cycle. */
#include "model/vlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct intern {
	uint32_t *slot; /* id + 1, 0: empty */
	uint64_t *hash; /* per id */
	const char **s; /* per id */
	uint32_t *len, *count;
	uint32_t n, mask;
};

struct pass {
	size_t n;
	const char **p;
	uint32_t *len;
	uint32_t *a, *b; /* interned ids */
	struct intern ia, ib;
	uint64_t work;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static const char *find(const char *s, size_t len, const char *pat)
{
	size_t pl = strlen(pat);

	for (size_t i = 0; i + pl <= len; i++)
		if (s[i] == pat[0] && !memcmp(s + i, pat, pl))
			return s + i;
	return NULL;
}

/* "; R<digit>" */
static const char *find_reg_state(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (s[i] == ';' && s[i + 1] == ' ' && s[i + 2] == 'R' && is_digit(s[i + 3]))
			return s + i;
	return NULL;
}

void kt_vlog_normalize(const char *line, size_t len, size_t *a_off, size_t *a_len, size_t *b_off, size_t *b_len)
{
	size_t s = 0, e = len, d;
	const char *l, *c;

	while (s < e && is_space(line[s]))
		s++;
	while (e > s && is_space(line[e - 1]))
		e--;
	l = line + s;
	if (e > s && is_digit(*l)) {
		size_t n = e - s;

		for (d = 0; d < n && is_digit(l[d]); d++)
			;
		if (d + 2 < n && l[d] == ':' && l[d + 1] == ' ' &&
		    ((n - d - 2 >= 5 && !memcmp(l + d + 2, "frame", 5)) || (l[d + 2] == 'R' && d + 3 < n && is_digit(l[d + 3])))) {
			e = s + d + 1; /* a register dump alone: "N:" */
		} else if ((c = find(l, n, "; frame")) || (c = find_reg_state(l, n))) {
			e = s + (size_t)(c - l);
		} else if ((c = find(l, n, "goto pc"))) {
			const char *t = c + 7, *end = l + n;

			if (t < end && (*t == '+' || *t == '-'))
				t++;
			while (t < end && is_digit(*t))
				t++;
			e = s + (size_t)(t - l);
		}
		while (e > s && is_space(line[e - 1]))
			e--;
	}
	*a_off = s;
	*a_len = e - s;
	/* B: without a leading "<digits>: " */
	for (d = 0; d < e - s && is_digit(l[d]); d++)
		;
	if (d && d + 1 < e - s && l[d] == ':' && l[d + 1] == ' ') {
		*b_off = s + d + 2;
		*b_len = e - s - d - 2;
	} else {
		*b_off = s;
		*b_len = e - s;
	}
}

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static int intern_init(struct intern *t, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	t->slot = calloc(cap, sizeof(*t->slot));
	t->hash = malloc(n * sizeof(*t->hash));
	t->s = malloc(n * sizeof(*t->s));
	t->len = malloc(n * sizeof(*t->len));
	t->count = malloc(n * sizeof(*t->count));
	t->mask = (uint32_t)(cap - 1);
	t->n = 0;
	return t->slot && t->hash && t->s && t->len && t->count ? 0 : -ENOMEM;
}

static void intern_free(struct intern *t)
{
	free(t->slot);
	free(t->hash);
	free(t->s);
	free(t->len);
	free(t->count);
}

static uint32_t intern(struct intern *t, const char *s, uint32_t len, uint64_t *work)
{
	uint64_t h = hash(s, len);
	uint32_t i = (uint32_t)h & t->mask, id;

	*work += len + 1;
	for (;; i = (i + 1) & t->mask) {
		(*work)++;
		if (!t->slot[i])
			break;
		id = t->slot[i] - 1;
		if (t->hash[id] == h && t->len[id] == len && !memcmp(t->s[id], s, len)) {
			t->count[id]++;
			*work += len;
			return id;
		}
	}
	id = t->n++;
	t->slot[i] = id + 1;
	t->hash[id] = h;
	t->s[id] = s;
	t->len[id] = len;
	t->count[id] = 1;
	return id;
}

static int byte_order(const struct intern *t, uint32_t x, uint32_t y)
{
	uint32_t m = t->len[x] < t->len[y] ? t->len[x] : t->len[y];
	int c = memcmp(t->s[x], t->s[y], m);

	return c ? c : (t->len[x] > t->len[y]) - (t->len[x] < t->len[y]);
}

/* The anchor id in t, or -1. */
static int64_t anchor(const struct intern *t, uint64_t *work)
{
	int64_t best = -1;

	for (uint32_t id = 0; id < t->n; id++) {
		(*work)++;
		if (t->count[id] < KT_VLOG_MIN_REPS || t->len[id] < KT_VLOG_ANCHOR_MIN)
			continue;
		if (best < 0 || t->count[id] > t->count[best] ||
		    (t->count[id] == t->count[best] && byte_order(t, id, (uint32_t)best) < 0))
			best = id;
	}
	return best;
}

/* Most frequent gap >= MIN_PERIOD between positions `stride` apart, seen
 * at least MIN_REPS - 1 times; 0 if none.  cnt: n + 1 zeroed counters,
 * left zeroed. */
static size_t period(const size_t *pos, size_t npos, size_t stride, uint32_t *cnt, uint64_t *work)
{
	size_t best = 0;
	uint32_t bestc = 0;

	for (size_t k = 0; k + stride < npos; k++) {
		size_t g = pos[k + stride] - pos[k];

		(*work)++;
		if (g < KT_VLOG_MIN_PERIOD)
			continue;
		cnt[g]++;
		if (cnt[g] > bestc || (cnt[g] == bestc && g < best)) {
			bestc = cnt[g];
			best = g;
		}
	}
	for (size_t k = 0; k + stride < npos; k++)
		cnt[pos[k + stride] - pos[k]] = 0;
	*work += npos;
	return bestc >= KT_VLOG_MIN_REPS - 1 ? best : 0;
}

struct cycle {
	size_t start, period, count;
};

/* Step 4 for one period. */
static bool find_cycle(struct pass *ps, const size_t *pos, size_t npos, size_t p, uint32_t *run, struct cycle *out)
{
	size_t n = ps->n, scanned = 0; /* [0, scanned) known to repeat fewer than MIN_REPS times */

	if (p * KT_VLOG_MIN_REPS > n)
		return false;
	/* run[i]: how many lines from i on equal the line p further (B). */
	for (size_t i = n - p; i-- > 0;) {
		run[i] = ps->b[i] == ps->b[i + p] ? (i + 1 < n - p ? run[i + 1] : 0) + 1 : 0;
		ps->work++;
	}
#define COUNT(s) (1 + run[s] / p)
	for (size_t k = 0; k < npos && pos[k] + 2 * p <= n; k++) {
		size_t at = pos[k], lo = at >= p - 1 ? at - (p - 1) : 0, best, start;
		bool enough = false;

		ps->work++;
		if (run[at] < p)
			continue;
		for (size_t s = lo > scanned ? lo : scanned; s <= at && !enough; s++) {
			ps->work++;
			enough = COUNT(s) >= KT_VLOG_MIN_REPS;
		}
		if (at + 1 > scanned)
			scanned = at + 1;
		if (!enough)
			continue;
		/* The reference's choice: this start, or an earlier one that
		 * repeats strictly more often (the nearest of those). */
		best = COUNT(at);
		start = at;
		for (size_t d = 1; d < p && d <= at; d++) {
			ps->work++;
			if (COUNT(at - d) > best) {
				best = COUNT(at - d);
				start = at - d;
			}
		}
		out->start = start;
		out->period = p;
		out->count = best;
		return true;
	}
#undef COUNT
	return false;
}

static void pass_free(struct pass *ps)
{
	free(ps->p);
	free(ps->len);
	free(ps->a);
	free(ps->b);
	intern_free(&ps->ia);
	intern_free(&ps->ib);
}

static size_t count_lines(const char *log, size_t len)
{
	size_t n = 0;

	for (const char *p = log, *end = log + len; p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	return n;
}

/* Split, normalise and intern; then look for a cycle. */
static int detect(struct pass *ps, const char *log, size_t len, struct cycle *cy, bool *found)
{
	size_t n = ps->n, *pos = NULL, npos = 0, tried[3] = { 0 };
	uint32_t *cnt = NULL, *run = NULL;
	const uint32_t *ids;
	int64_t anc;
	size_t i = 0;

	*found = false;
	ps->p = malloc(n * sizeof(*ps->p));
	ps->len = malloc(n * sizeof(*ps->len));
	ps->a = malloc(n * sizeof(*ps->a));
	ps->b = malloc(n * sizeof(*ps->b));
	if (!ps->p || !ps->len || !ps->a || !ps->b || intern_init(&ps->ia, n) || intern_init(&ps->ib, n))
		return -ENOMEM;
	for (const char *p = log, *end = log + len; p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), ao, al, bo, bl;

		ps->work += l + 1;
		ps->p[i] = p;
		ps->len[i] = (uint32_t)l;
		kt_vlog_normalize(p, l, &ao, &al, &bo, &bl);
		ps->a[i] = intern(&ps->ia, p + ao, (uint32_t)al, &ps->work);
		ps->b[i] = intern(&ps->ib, p + bo, (uint32_t)bl, &ps->work);
		p = nl ? nl + 1 : end;
	}
	if (n < KT_VLOG_MIN_PERIOD * KT_VLOG_MIN_REPS)
		return 0;
	ids = ps->a;
	anc = anchor(&ps->ia, &ps->work);
	if (anc < 0) {
		ids = ps->b;
		anc = anchor(&ps->ib, &ps->work);
	}
	if (anc < 0)
		return 0;
	pos = malloc(n * sizeof(*pos));
	cnt = calloc(n + 1, sizeof(*cnt));
	run = malloc(n * sizeof(*run));
	if (!pos || !cnt || !run) {
		free(pos);
		free(cnt);
		free(run);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ps->work++;
		if (ids[i] == (uint32_t)anc)
			pos[npos++] = i;
	}
	for (size_t stride = 1; stride <= 3 && !*found; stride++) {
		size_t p = period(pos, npos, stride, cnt, &ps->work);

		if (!p || p == tried[0] || p == tried[1])
			continue;
		tried[stride - 1] = p;
		*found = find_cycle(ps, pos, npos, p, run, cy);
	}
	free(pos);
	free(cnt);
	free(run);
	return 0;
}

static int put_line(struct kbuf *out, const char *p, size_t l)
{
	if (kt_kbuf_append(out, p, l) || kt_kbuf_append(out, "\n", 1))
		return -ENOMEM;
	return 0;
}

static int emit(const struct pass *ps, const struct cycle *cy, struct kbuf *out)
{
	size_t last = cy->start + (cy->count - 1) * cy->period, end = cy->start + cy->count * cy->period;
	int ret = 0;

	for (size_t i = 0; i < cy->start && !ret; i++)
		ret = put_line(out, ps->p[i], ps->len[i]);
	if (!ret)
		ret = kt_kbuf_printf(out, "--- %zux of the following %zu lines ---\n", cy->count, cy->period) < 0;
	for (size_t i = cy->start; i < cy->start + cy->period && !ret; i++)
		ret = put_line(out, ps->p[i], ps->len[i]);
	if (!ret)
		ret = kt_kbuf_printf(out, "--- %zu identical iterations omitted ---\n", cy->count - 2) < 0;
	for (size_t i = last; i < end && !ret; i++)
		ret = put_line(out, ps->p[i], ps->len[i]);
	if (!ret)
		ret = kt_kbuf_printf(out, "--- end repeat ---\n") < 0;
	for (size_t i = end; i < ps->n && !ret; i++)
		ret = put_line(out, ps->p[i], ps->len[i]);
	return ret ? -ENOMEM : 0;
}

/* Copy with every line '\n'-terminated. */
static int copy_lines(const char *log, size_t len, struct kbuf *out)
{
	if (kt_kbuf_append(out, log, len))
		return -ENOMEM;
	if (len && log[len - 1] != '\n' && kt_kbuf_append(out, "\n", 1))
		return -ENOMEM;
	return 0;
}

int kt_vlog_collapse(const char *log, size_t len, struct kbuf *out, struct kt_collapse_stats *st)
{
	struct kt_collapse_stats local;
	struct kbuf cur = { 0 }, next = { 0 };
	const char *text = log;
	size_t tlen = len;
	int ret = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!log) {
		log = text = "";
		len = tlen = 0;
	}
	st->lines_in = st->lines_out = count_lines(log, len);
	st->work = len;
	if (st->lines_in > KT_VLOG_MAX_LINES) {
		st->too_big = true;
		return copy_lines(log, len, out);
	}
	for (unsigned pass = 0; pass < KT_VLOG_PASSES; pass++) {
		struct pass ps = { .n = count_lines(text, tlen) };
		struct cycle cy;
		bool found = false;

		if (ps.n)
			ret = detect(&ps, text, tlen, &cy, &found);
		st->work += ps.work + tlen;
		if (!ret && found) {
			next.len = 0;
			ret = emit(&ps, &cy, &next);
		}
		pass_free(&ps);
		if (ret || !found)
			break;
		st->folds++;
		{ /* the folded text is the next pass's input */
			struct kbuf t = cur;

			cur = next;
			next = t;
		}
		text = cur.data;
		tlen = cur.len;
	}
	if (!ret) {
		st->lines_out = count_lines(text, tlen);
		ret = copy_lines(text, tlen, out);
	}
	kt_kbuf_free(&cur);
	kt_kbuf_free(&next);
	return ret;
}

/* Start of the line holding p (or p itself at a line start). */
static size_t line_floor(const char *s, size_t p)
{
	while (p && s[p - 1] != '\n')
		p--;
	return p;
}

int kt_vlog_fit(const char *log, size_t len, size_t max, struct kbuf *out, bool *folded, bool *cut)
{
	struct kbuf f = { 0 };
	size_t head, tail;
	int ret;

	*folded = *cut = false;
	if (len <= max)
		return kt_kbuf_append(out, log, len) ? -ENOMEM : 0;
	if (max < 1024)
		return -ENOSPC;
	if (!kt_vlog_collapse(log, len, &f, NULL) && f.len < len) {
		*folded = true;
		log = f.data;
		len = f.len;
	}
	if (len <= max) {
		ret = kt_kbuf_append(out, log, len) ? -ENOMEM : 0;
		kt_kbuf_free(&f);
		return ret;
	}
	*cut = true;
	head = line_floor(log, max / 4 < 32768 ? max / 4 : 32768);
	tail = len - (max - head - 64); /* the marker line fits in 64 bytes */
	if (tail && log[tail - 1] != '\n') {
		const char *nl = memchr(log + tail, '\n', len - tail);

		tail = nl ? (size_t)(nl - log) + 1 : len;
	}
	ret = kt_kbuf_append(out, log, head) || kt_kbuf_printf(out, "--- %zu bytes cut ---\n", tail - head) ||
	      kt_kbuf_append(out, log + tail, len - tail);
	kt_kbuf_free(&f);
	return ret ? -ENOMEM : 0;
}
