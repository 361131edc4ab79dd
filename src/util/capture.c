/* Streaming markers (see capture.h). */
#include "util/capture.h"

#include <errno.h>
#include <string.h>

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
