/* Bounded stream capture and streaming markers (see capture.h). */
#include "util/capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int capture_alloc(struct kt_capture *c)
{
	if (!c->head_cap && !c->tail_cap) {
		c->head_cap = KT_CAPTURE_HEAD;
		c->tail_cap = KT_CAPTURE_TAIL;
	}
	if (c->head_cap && !c->head && !(c->head = malloc(c->head_cap)))
		return -ENOMEM;
	if (c->tail_cap && !c->tail && !(c->tail = malloc(c->tail_cap)))
		return -ENOMEM;
	return 0;
}

int kt_capture_add(struct kt_capture *c, const void *data, size_t n)
{
	const char *p = data;
	size_t k;

	c->total += n;
	if (capture_alloc(c)) {
		c->dropped += n;
		return -ENOMEM;
	}
	if (c->head_len < c->head_cap) {
		k = c->head_cap - c->head_len < n ? c->head_cap - c->head_len : n;
		memcpy(c->head + c->head_len, p, k);
		c->head_len += k;
		p += k;
		n -= k;
	}
	if (!c->tail_cap) {
		c->dropped += n;
		return 0;
	}
	/* Only the last tail_cap bytes of this chunk can stay. */
	if (n > c->tail_cap) {
		c->dropped += n - c->tail_cap;
		p += n - c->tail_cap;
		n = c->tail_cap;
	}
	if (c->tail_len + n > c->tail_cap) { /* the oldest bytes go */
		size_t out = c->tail_len + n - c->tail_cap;

		c->dropped += out;
		c->tail_len -= out;
	}
	while (n) {
		k = c->tail_cap - c->tail_pos < n ? c->tail_cap - c->tail_pos : n;
		memcpy(c->tail + c->tail_pos, p, k);
		c->tail_pos = (c->tail_pos + k) % c->tail_cap;
		c->tail_len += k;
		p += k;
		n -= k;
	}
	return 0;
}

void kt_capture_reset(struct kt_capture *c)
{
	c->head_len = c->tail_pos = c->tail_len = 0;
	c->total = c->dropped = 0;
}

void kt_capture_free(struct kt_capture *c)
{
	free(c->head);
	free(c->tail);
	c->head = c->tail = NULL;
	kt_capture_reset(c);
}

/* The tail ring's bytes from the k-th newest backwards, in order. */
static int tail_append(const struct kt_capture *c, size_t k, struct kbuf *out)
{
	size_t start = (c->tail_pos + c->tail_cap - k) % c->tail_cap;
	size_t first = c->tail_cap - start < k ? c->tail_cap - start : k;
	int ret = kt_kbuf_append(out, c->tail + start, first);

	return ret ? ret : kt_kbuf_append(out, c->tail, k - first);
}

int kt_capture_last(const struct kt_capture *c, size_t max, struct kbuf *out)
{
	int ret;

	if (c->tail_len) {
		size_t k = c->tail_len < max ? c->tail_len : max;

		/* A tail shorter than max continues the head: take its end too. */
		if (k < max && !c->dropped && c->head_len) {
			size_t h = max - k < c->head_len ? max - k : c->head_len;

			if ((ret = kt_kbuf_append(out, c->head + c->head_len - h, h)))
				return ret;
		}
		return tail_append(c, k, out);
	}
	if (!c->head_len)
		return kt_kbuf_append(out, "", 0);
	return kt_kbuf_append(out, c->head + (c->head_len > max ? c->head_len - max : 0),
			      c->head_len > max ? max : c->head_len);
}

int kt_capture_text(const struct kt_capture *c, struct kbuf *out)
{
	int ret = kt_kbuf_append(out, c->head ? c->head : "", c->head_len);

	if (!ret && c->dropped)
		ret = kt_kbuf_printf(out, "\n[... %llu bytes dropped ...]\n", (unsigned long long)c->dropped);
	if (!ret && c->tail_len)
		ret = tail_append(c, c->tail_len, out);
	return ret;
}

int kt_marker_init(struct kt_marker *m, const char *needle)
{
	size_t n = strlen(needle), k = 0;

	memset(m, 0, sizeof(*m));
	if (!n || n >= KT_MARKER_MAX)
		return -EINVAL;
	memcpy(m->needle, needle, n);
	m->len = n;
	/* fail[i]: length of the longest proper prefix of needle[0..i]
	 * that is also its suffix. */
	for (size_t i = 1; i < n; i++) {
		while (k && needle[i] != needle[k])
			k = m->fail[k - 1];
		if (needle[i] == needle[k])
			k++;
		m->fail[i] = (uint8_t)k;
	}
	return 0;
}

size_t kt_console_first_oops(const char *s, size_t n)
{
	static const char *const mark[] = { "Oops:", "BUG:", "general protection fault", "WARNING: CPU:",
					     "Kernel panic - not syncing" };
	size_t best = n;

	for (size_t k = 0; k < sizeof(mark) / sizeof(mark[0]); k++) {
		size_t ml = strlen(mark[k]);

		for (size_t i = 0; i + ml <= best && i + ml <= n; i++)
			if (!memcmp(s + i, mark[k], ml)) {
				while (i && s[i - 1] != '\n')
					i--;
				best = i;
				break;
			}
	}
	return best;
}

unsigned kt_marker_feed(struct kt_marker *m, const void *data, size_t n)
{
	const char *p = data;
	unsigned found = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (m->in_line) {
			if (ch == '\n' || ch == '\r' || m->line_len + 1 >= sizeof(m->line))
				m->in_line = false;
			else
				m->line[m->line_len++] = ch;
		}
		while (m->matched && ch != m->needle[m->matched])
			m->matched = m->fail[m->matched - 1];
		if (ch == m->needle[m->matched])
			m->matched++;
		if (m->matched < m->len)
			continue;
		m->matched = m->fail[m->len - 1];
		found++;
		if (!m->seen++) {
			m->line_len = m->len < sizeof(m->line) ? m->len : sizeof(m->line) - 1;
			memcpy(m->line, m->needle, m->line_len);
			m->in_line = true;
		}
	}
	return found;
}
