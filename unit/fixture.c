/* unit/fixtures/ loader (see fixture.h). */
#include "fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "util/util.h"

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

bool unit_cache_enter(struct unit_cache *c, const char *name)
{
	const char *saved = getenv("KTSTR_CACHE_DIR");

	snprintf(c->dir, sizeof(c->dir), "/tmp/ktstr-unit-%s.XXXXXX", name);
	c->saved = saved ? strdup(saved) : NULL;
	if (!mkdtemp(c->dir)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp %s: %s", c->dir, strerror(errno));
		free(c->saved);
		return false;
	}
	setenv("KTSTR_CACHE_DIR", c->dir, 1);
	return true;
}

void unit_cache_leave(struct unit_cache *c)
{
	kt_rm_rf(c->dir);
	if (c->saved)
		setenv("KTSTR_CACHE_DIR", c->saved, 1);
	else
		unsetenv("KTSTR_CACHE_DIR");
	free(c->saved);
	c->saved = NULL;
}
