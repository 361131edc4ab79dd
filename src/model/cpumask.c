/* CPU set math and cpulist parsing/formatting. */
#include <ktstr/cpumask.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define NW (KTSTR_MASK_BITS / 64)

unsigned kt_mask_weight(const struct ktstr_cpumask *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < NW; i++)
		n += (unsigned)__builtin_popcountll(m->w[i]);
	return n;
}

bool kt_mask_equal(const struct ktstr_cpumask *a, const struct ktstr_cpumask *b)
{
	for (size_t i = 0; i < NW; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

bool kt_mask_subset(const struct ktstr_cpumask *a, const struct ktstr_cpumask *b)
{
	for (size_t i = 0; i < NW; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

void kt_mask_or(struct ktstr_cpumask *d, const struct ktstr_cpumask *s)
{
	for (size_t i = 0; i < NW; i++)
		d->w[i] |= s->w[i];
}

void kt_mask_and(struct ktstr_cpumask *d, const struct ktstr_cpumask *s)
{
	for (size_t i = 0; i < NW; i++)
		d->w[i] &= s->w[i];
}

void kt_mask_andnot(struct ktstr_cpumask *d, const struct ktstr_cpumask *s)
{
	for (size_t i = 0; i < NW; i++)
		d->w[i] &= ~s->w[i];
}

int kt_mask_first(const struct ktstr_cpumask *m)
{
	for (size_t i = 0; i < NW; i++)
		if (m->w[i])
			return (int)(i * 64 + (size_t)__builtin_ctzll(m->w[i]));
	return -1;
}

static int parse_num(const char **p, unsigned *out)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v >= KTSTR_MASK_BITS)
		return -EINVAL;
	*out = (unsigned)v;
	*p = end;
	return 0;
}

int kt_mask_parse(const char *s, struct ktstr_cpumask *m)
{
	const char *p = s;

	kmask_zero(m);
	while (*p == ' ' || *p == '\n')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		unsigned a, b;

		if (parse_num(&p, &a))
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_num(&p, &b) || b < a)
				return -EINVAL;
		}
		for (unsigned c = a; c <= b; c++)
			kmask_set(m, c);
		if (*p == ',') {
			p++;
			continue;
		}
		while (*p == ' ' || *p == '\n')
			p++;
		return *p ? -EINVAL : 0;
	}
}

int kt_mask_format(const struct ktstr_cpumask *m, char *buf, size_t len)
{
	size_t off = 0;
	bool first = true;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned c = 0; c < KTSTR_MASK_BITS; c++) {
		unsigned e = c;
		int n;

		if (!kmask_test(m, c))
			continue;
		while (e + 1 < KTSTR_MASK_BITS && kmask_test(m, e + 1))
			e++;
		if (e == c)
			n = snprintf(buf + off, len - off, "%s%u", first ? "" : ",", c);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", first ? "" : ",", c, e);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
		first = false;
		c = e;
	}
	return 0;
}
