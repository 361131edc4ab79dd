/* Pure helpers for guest kernels: .config parsing and checking against a
 * fragment, bzImage header recognition, the cache key, the version a
 * kernel Makefile declares.  No I/O. */
#include "kernel/kernel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* One logical line of text: [*p, end) without the newline; advances *p. */
static bool next_line(const char **p, const char **start, size_t *len)
{
	const char *s = *p, *nl;

	if (!*s)
		return false;
	nl = strchr(s, '\n');
	*start = s;
	*len = nl ? (size_t)(nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + *len;
	return true;
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && strchr(" \t\r", (*s)[*len - 1]))
		(*len)--;
}

static void copy_str(char *buf, size_t len, const char *s, size_t n)
{
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* Parse "CONFIG_X=v" or "# CONFIG_X is not set".  Returns 1 for an
 * assignment, 2 for "is not set", 0 for anything else.  Name and value
 * point into the line. */
static int parse_kline(const char *s, size_t len, const char **name, size_t *nlen,
		       const char **val, size_t *vlen)
{
	static const char unset[] = " is not set";
	const char *eq;

	trim(&s, &len);
	if (len > 1 && s[0] == '#') {
		s++;
		len--;
		trim(&s, &len);
		if (len < 7 + sizeof(unset) - 1 || strncmp(s, "CONFIG_", 7) ||
		    memcmp(s + len - (sizeof(unset) - 1), unset, sizeof(unset) - 1))
			return 0;
		*name = s;
		*nlen = len - (sizeof(unset) - 1);
		for (size_t i = 0; i < *nlen; i++)
			if (s[i] == ' ' || s[i] == '=')
				return 0;
		*val = "";
		*vlen = 0;
		return 2;
	}
	if (len < 8 || strncmp(s, "CONFIG_", 7))
		return 0;
	eq = memchr(s, '=', len);
	if (!eq || eq == s + 7)
		return 0;
	*name = s;
	*nlen = (size_t)(eq - s);
	while (*nlen && (s[*nlen - 1] == ' ' || s[*nlen - 1] == '\t'))
		(*nlen)--;
	*val = eq + 1;
	*vlen = len - (size_t)(eq + 1 - s);
	trim(val, vlen);
	return 1;
}

/* Value of name (with its CONFIG_ prefix) in text; the last assignment
 * wins, as in kconfig.  "" if absent, "is not set" or "=n". */
static void get_value(const char *text, const char *name, size_t nlen, char *buf, size_t len)
{
	const char *p = text, *line, *n, *v;
	size_t llen, nl, vl;

	copy_str(buf, len, "", 0);
	while (next_line(&p, &line, &llen)) {
		int kind = parse_kline(line, llen, &n, &nl, &v, &vl);

		if (!kind || nl != nlen || memcmp(n, name, nlen))
			continue;
		if (kind == 1 && !(vl == 1 && v[0] == 'n'))
			copy_str(buf, len, v, vl);
		else
			copy_str(buf, len, "", 0);
	}
}

void kt_kconfig_get(const char *config_text, const char *name, char *buf, size_t len)
{
	char full[256];
	int n;

	if (!strncmp(name, "CONFIG_", 7))
		n = snprintf(full, sizeof(full), "%s", name);
	else
		n = snprintf(full, sizeof(full), "CONFIG_%s", name);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		copy_str(buf, len, "", 0);
		return;
	}
	get_value(config_text ? config_text : "", full, (size_t)n, buf, len);
}

int kt_kconfig_check(const char *config_text, const char *fragment_text, struct strlist *missing)
{
	const char *p = fragment_text, *line, *name, *val;
	size_t llen, nlen, vlen;
	int ret = 0;

	while (next_line(&p, &line, &llen)) {
		char have[256], want[256], msg[640];
		int kind = parse_kline(line, llen, &name, &nlen, &val, &vlen);
		bool want_unset;

		if (!kind)
			continue;
		if (nlen > 200)
			return -EINVAL;
		copy_str(want, sizeof(want), val, vlen);
		want_unset = kind == 2 || !strcmp(want, "n");
		get_value(config_text ? config_text : "", name, nlen, have, sizeof(have));
		if (want_unset ? !have[0] : !strcmp(have, want))
			continue;
		snprintf(msg, sizeof(msg), "%.*s=%s (have: %s)", (int)nlen, name,
			 want_unset ? "n" : want, have[0] ? have : "not set");
		if (missing && kt_strlist_add(missing, msg))
			return -ENOMEM;
		ret = -ENOENT;
	}
	return ret;
}

bool kt_kernel_is_bzimage(const void *head, size_t len)
{
	const unsigned char *h = head;

	if (!h || len < 0x208)
		return false;
	if (memcmp(h + 0x202, "HdrS", 4))
		return false;
	return (unsigned)(h[0x206] | h[0x207] << 8) >= 0x0206;
}

int kt_kernel_cache_key(const char *version, const char *srcid, const char *fragment,
		     char *out, size_t len)
{
	struct sha256 *h = kt_sha256_new();
	char hex[65];
	int n;

	if (!h)
		return -errno;
	kt_sha256_update(h, srcid, strlen(srcid));
	kt_sha256_update(h, "\n", 1);
	kt_sha256_update(h, fragment, strlen(fragment));
	kt_sha256_update(h, "\n", 1);
	kt_sha256_update(h, KTSTR_KCACHE_FORMAT, strlen(KTSTR_KCACHE_FORMAT));
	kt_sha256_final_hex(h, hex);
	n = snprintf(out, len, "%s-%.12s", version, hex);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "NAME = value" at the start of a Makefile line; value trimmed. */
static bool make_var(const char *text, const char *var, char *buf, size_t len)
{
	const char *p = text, *line;
	size_t llen, vlen = strlen(var);

	while (next_line(&p, &line, &llen)) {
		const char *s = line + vlen;
		size_t rest;

		if (llen < vlen || memcmp(line, var, vlen))
			continue;
		rest = llen - vlen;
		while (rest && (*s == ' ' || *s == '\t')) {
			s++;
			rest--;
		}
		if (!rest || *s != '=')
			continue;
		s++;
		rest--;
		trim(&s, &rest);
		copy_str(buf, len, s, rest);
		return true;
	}
	return false;
}

int kt_kernel_makefile_version(const char *makefile_text, char *buf, size_t len)
{
	char v[32] = "", pl[32] = "", sl[32] = "", ev[64] = "";
	int n;

	if (!make_var(makefile_text, "VERSION", v, sizeof(v)) || !v[0])
		return -EINVAL;
	make_var(makefile_text, "PATCHLEVEL", pl, sizeof(pl));
	make_var(makefile_text, "SUBLEVEL", sl, sizeof(sl));
	make_var(makefile_text, "EXTRAVERSION", ev, sizeof(ev));
	if (!pl[0])
		n = snprintf(buf, len, "%s%s", v, ev);
	else if (!sl[0])
		n = snprintf(buf, len, "%s.%s%s", v, pl, ev);
	else
		n = snprintf(buf, len, "%s.%s.%s%s", v, pl, sl, ev);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
