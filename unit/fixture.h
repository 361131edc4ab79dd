/* Files under unit/fixtures/ (captured from a real kernel or guest; see
 * unit/fixtures/README.md), and a cache root of a test's own. */
#ifndef KTSTR_UNIT_FIXTURE_H
#define KTSTR_UNIT_FIXTURE_H
#include <stdbool.h>
#include <stddef.h>

#ifndef KTSTR_UNIT_FIXTURES
#define KTSTR_UNIT_FIXTURES "unit/fixtures" /* the Makefile passes the absolute path */
#endif

/* The whole file in a buffer of exactly *len bytes (malloc; free it), so
 * ASan catches a read past its end; NULL (the test failed) if unreadable. */
unsigned char *unit_fixture(const char *name, size_t *len);

/* A cache root of its own for one test: a fresh directory
 * /tmp/ktstr-unit-<name>.XXXXXX in dir, set as KTSTR_CACHE_DIR until
 * unit_cache_leave() removes it and puts the previous value back.  False
 * (the test failed) if it could not be made. */
struct unit_cache {
	char dir[128];
	char *saved; /* the previous KTSTR_CACHE_DIR, NULL: unset */
};
bool unit_cache_enter(struct unit_cache *c, const char *name);
void unit_cache_leave(struct unit_cache *c);

#endif
