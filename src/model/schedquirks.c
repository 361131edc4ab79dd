/* Quirks of the kernel tree's example schedulers (model/schedquirks.h). */
#include "model/schedquirks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of scx_central's -c (central CPU) in args, else 0; -1 for a
 * value that is not a CPU number. */
static long central_cpu(const char *args)
{
	const char *p = args;

	while (p && *p) {
		const char *w = p + strspn(p, " \t");
		size_t wl = strcspn(w, " \t");
		const char *v = NULL;

		if (wl == 2 && !strncmp(w, "-c", 2)) {
			v = w + 2 + strspn(w + 2, " \t");
		} else if (wl > 2 && !strncmp(w, "-c", 2)) {
			v = w + 2;
		}
		if (v) {
			char *end;
			long cpu = strtol(v, &end, 10);

			return end == v || cpu < 0 || cpu > 4095 || (*end && *end != ' ' && *end != '\t') ? -1 : cpu;
		}
		p = w + wl;
	}
	return 0;
}

int kt_sched_quirk_helper_cpus(const char *binary, const char *args, char *buf, size_t len)
{
	const char *base = binary ? strrchr(binary, '/') : NULL;
	long cpu;
	int n;

	if (len)
		buf[0] = '\0';
	base = base ? base + 1 : binary;
	if (!base || strcmp(base, "scx_central"))
		return 0;
	cpu = central_cpu(args);
	if (cpu < 0)
		return 0; /* a -c scx_central will refuse itself, in its own words */
	n = snprintf(buf, len, "%ld", cpu);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
