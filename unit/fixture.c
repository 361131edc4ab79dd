/* unit/fixtures/ loader (see fixture.h). */
#include "fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"

unsigned char *unit_fixture(const char *name, size_t *len)
{
	char path[512];
	unsigned char *p = NULL;
	FILE *f;
	long n;

	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", KTSTR_UNIT_FIXTURES, name);
	f = fopen(path, "rb");
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (p = malloc((size_t)n)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		unit_fail(__FILE__, __LINE__, "fixture %s unreadable (errno %d)", path, errno);
		free(p);
		p = NULL;
	}
	if (f)
		fclose(f);
	return p;
}
