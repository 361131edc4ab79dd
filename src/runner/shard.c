/* --shard I/N (see shard.h). */
#include "runner/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define KT_SHARD_MAX 10000u

static int parse_num(const char *s, char stop, unsigned long *v, const char **end)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &e, 10);
	if (errno || *e != stop)
		return -1;
	*end = e;
	return 0;
}

int kt_shard_parse(const char *s, unsigned *index, unsigned *count, char *err, size_t errlen)
{
	unsigned long i, n;
	const char *e;

	if (!s || parse_num(s, '/', &i, &e) || parse_num(e + 1, '\0', &n, &e)) {
		snprintf(err, errlen, "'%s': expected I/N, e.g. 1/4 (shard I of N, counting from 1)", s ? s : "");
		return -EINVAL;
	}
	if (n < 1 || n > KT_SHARD_MAX) {
		snprintf(err, errlen, "'%s': the shard count N must be from 1 to %u", s, KT_SHARD_MAX);
		return -EINVAL;
	}
	if (i < 1 || i > n) {
		snprintf(err, errlen, "'%s': the shard index I must be from 1 to N (%lu)", s, n);
		return -EINVAL;
	}
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

bool kt_shard_member(size_t pos, unsigned index, unsigned count)
{
	return count && pos % count == (size_t)(index - 1);
}
