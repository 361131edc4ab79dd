/* Flag profile expansion (see profiles.h). */
#include "model/profiles.h"
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nflags(const struct ktstr_sched_flag *f)
{
	int n = 0;

	while (f && f[n].name)
		n++;
	return n;
}

static int index_of(const struct ktstr_sched_flag *f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return i;
	return -1;
}

/* Names to a mask; -EINVAL naming the unknown one. */
static int names_mask(const struct ktstr_sched_flag *f, int n, const char *const *names, const char *what,
		      uint32_t *mask, char *err, size_t errlen)
{
	*mask = 0;
	for (size_t i = 0; names && names[i]; i++) {
		int k = index_of(f, n, names[i]);

		if (k < 0) {
			snprintf(err, errlen, "%s names unknown flag '%s'", what, names[i]);
			return -EINVAL;
		}
		*mask |= 1u << k;
	}
	return 0;
}

static int by_size(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int px = __builtin_popcount(x), py = __builtin_popcount(y);

	if (px != py)
		return px - py;
	return x < y ? -1 : x > y;
}

int kt_flag_profiles(const struct ktstr_sched_flag *flags, const char *const *required,
		     const char *const *excluded, uint32_t *masks, size_t max, char *err, size_t errlen)
{
	int n = nflags(flags), ret;
	uint32_t req[KT_MAX_FLAGS], exc[KT_MAX_FLAGS], must, mustnt;
	size_t count = 0;

	if (n > KT_MAX_FLAGS) {
		snprintf(err, errlen, "%d flags, at most %d supported", n, KT_MAX_FLAGS);
		return -E2BIG;
	}
	for (int i = 0; i < n; i++) {
		char what[96];

		if (!flags[i].name[0] || strchr(flags[i].name, '+') || strchr(flags[i].name, '/') ||
		    index_of(flags, i, flags[i].name) >= 0) {
			snprintf(err, errlen, "flag '%s': names must be unique, non-empty, without '+' or '/'",
				 flags[i].name);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "flag '%s' requires", flags[i].name);
		ret = names_mask(flags, n, flags[i].requires, what, &req[i], err, errlen);
		if (ret)
			return ret;
		snprintf(what, sizeof(what), "flag '%s' excludes", flags[i].name);
		ret = names_mask(flags, n, flags[i].excludes, what, &exc[i], err, errlen);
		if (ret)
			return ret;
	}
	ret = names_mask(flags, n, required, "required_flags", &must, err, errlen);
	if (!ret)
		ret = names_mask(flags, n, excluded, "excluded_flags", &mustnt, err, errlen);
	if (ret)
		return ret;
	if (must & mustnt) {
		snprintf(err, errlen, "a flag is both required and excluded");
		return -EINVAL;
	}
	for (uint32_t m = 0; m < (1u << n); m++) {
		bool ok = (m & must) == must && !(m & mustnt);

		for (int i = 0; ok && i < n; i++)
			if (m & (1u << i))
				ok = (m & req[i]) == req[i] && !(m & exc[i]);
		if (!ok)
			continue;
		if (count >= max) {
			snprintf(err, errlen, "more than %zu flag profiles", max);
			return -E2BIG;
		}
		masks[count++] = m;
	}
	qsort(masks, count, sizeof(*masks), by_size);
	return (int)count;
}

static int join(const struct ktstr_sched_flag *f, uint32_t mask, bool args, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; f && f[i].name && i < KT_MAX_FLAGS; i++) {
		const char *s = args ? f[i].args : f[i].name;

		if (!(mask & (1u << i)) || !s || !*s)
			continue;
		if (kt_fmt(buf + off, len - off, "%s%s", off ? (args ? " " : "+") : "", s))
			return -ENAMETOOLONG; /* never a profile with a flag cut off */
		off += strlen(buf + off);
	}
	return !args && !off ? kt_fmt(buf, len, "default") : 0;
}

int kt_profile_name(const struct ktstr_sched_flag *flags, uint32_t mask, char *buf, size_t len)
{
	return join(flags, mask, false, buf, len);
}

int kt_profile_args(const struct ktstr_sched_flag *flags, uint32_t mask, char *buf, size_t len)
{
	return join(flags, mask, true, buf, len);
}
