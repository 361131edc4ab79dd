/* Metrics from a payload's output: the leaves of its JSON document, or
 * the named groups of a regex over its lines (model/payload.h).  Pure;
 * the output is untrusted: sizes, depth and counts are bounded. */
#include "model/payload.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends ".comp" (or "comp" at the root) to path[len]; the component's
 * bytes outside [A-Za-z0-9_-] become '_'.  New length, or 0 when the
 * name would not fit. */
static size_t push(char *path, size_t len, const char *comp)
{
	size_t n = strlen(comp), at = len + (len ? 1 : 0);

	if (!n || at + n >= KT_METRIC_NAME)
		return 0;
	if (len)
		path[len] = '.';
	for (size_t i = 0; i < n; i++) {
		char c = comp[i];

		path[at + i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
				       ? c
				       : '_';
	}
	path[at + n] = '\0';
	return at + n;
}

static void flatten(json_t *j, struct kt_metrics *m, char *path, size_t len, unsigned depth)
{
	const char *key;
	json_t *v;
	size_t i, l;
	char idx[24];

	if (json_is_number(j)) {
		kt_metrics_add(m, path, json_number_value(j));
		return;
	}
	if (!json_is_object(j) && !json_is_array(j))
		return; /* strings, booleans, null: not metrics */
	if (depth >= KT_JSON_DEPTH) {
		m->dropped++;
		return;
	}
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			l = push(path, len, key);
			if (!l) {
				m->dropped++;
				continue;
			}
			flatten(v, m, path, l, depth + 1);
			path[len] = '\0';
		}
		return;
	}
	json_array_foreach(j, i, v) {
		snprintf(idx, sizeof(idx), "%zu", i);
		l = push(path, len, idx);
		if (!l) {
			m->dropped++;
			continue;
		}
		flatten(v, m, path, l, depth + 1);
		path[len] = '\0';
	}
}

int kt_metrics_from_json(const char *text, size_t len, struct kt_metrics *m)
{
	unsigned tries = 0;
	size_t i = 0;

	while (text && i < len && tries < KT_JSON_TRIES) {
		size_t k = i;
		const char *nl;

		while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
			k++;
		if (k < len && (text[k] == '{' || text[k] == '[')) {
			json_t *j = json_loadb(text + k, len - k, JSON_DISABLE_EOF_CHECK, NULL);

			tries++;
			if (j) {
				char path[KT_METRIC_NAME] = "";

				flatten(j, m, path, 0, 0);
				json_decref(j);
				return 0;
			}
		}
		nl = memchr(text + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - text) + 1;
	}
	return -ENOMSG;
}

/* The group's text as a finite number (all of it), else false. */
static bool group_value(const char *line, const regmatch_t *g, double *out)
{
	char buf[64], *end;
	size_t n;

	if (g->rm_so < 0 || g->rm_eo < g->rm_so)
		return false;
	n = (size_t)(g->rm_eo - g->rm_so);
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, line + g->rm_so, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return end == buf + n && !errno && isfinite(*out);
}

static void match_line(const struct ktstr_payload *p, const char *line, const regmatch_t *pm, size_t ngroups,
		       unsigned *seen, struct kt_metrics *m)
{
	for (size_t g = 1; g <= ngroups; g++) {
		const char *name = p->captures[g - 1];
		char full[KT_METRIC_NAME + 16];
		double v;

		if (!*name)
			continue;
		if (!group_value(line, &pm[g], &v)) {
			m->dropped++;
			continue;
		}
		if (seen[g - 1])
			snprintf(full, sizeof(full), "%s.%u", name, seen[g - 1]);
		else
			snprintf(full, sizeof(full), "%s", name);
		if (!kt_metrics_add(m, full, v))
			seen[g - 1]++;
	}
}

int kt_metrics_from_lines(const struct ktstr_payload *p, const char *text, size_t len, struct kt_metrics *m,
			  char *err, size_t errlen)
{
	regmatch_t pm[KTSTR_PAYLOAD_MAX_CAPTURES + 1];
	unsigned seen[KTSTR_PAYLOAD_MAX_CAPTURES] = { 0 };
	size_t ngroups, i = 0;
	regex_t re;
	char *line;
	int rc;

	if (!p->regex || (rc = regcomp(&re, p->regex, REG_EXTENDED))) {
		snprintf(err, errlen, "regex '%s' does not compile", p->regex ? p->regex : "(null)");
		return -EINVAL;
	}
	ngroups = re.re_nsub;
	for (size_t g = 0; g < ngroups; g++)
		if (g >= KTSTR_PAYLOAD_MAX_CAPTURES || !p->captures[g]) {
			regfree(&re);
			snprintf(err, errlen, "regex '%s': %zu groups, fewer capture names", p->regex, ngroups);
			return -EINVAL;
		}
	line = malloc(KT_LINE_MAX + 1);
	if (!line) {
		regfree(&re);
		snprintf(err, errlen, "regex: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	while (text && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - i;

		if (n > KT_LINE_MAX)
			n = KT_LINE_MAX;
		memcpy(line, text + i, n);
		line[n] = '\0'; /* a NUL inside the line ends it here */
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (!regexec(&re, line, ngroups + 1, pm, 0))
			match_line(p, line, pm, ngroups, seen, m);
		i = end + 1;
	}
	free(line);
	regfree(&re);
	return 0;
}
