/* Files under unit/fixtures/ (captured from a real kernel or guest; see
 * unit/fixtures/README.md). */
#ifndef KTSTR_UNIT_FIXTURE_H
#define KTSTR_UNIT_FIXTURE_H
#include <stddef.h>

#ifndef KTSTR_UNIT_FIXTURES
#define KTSTR_UNIT_FIXTURES "unit/fixtures" /* the Makefile passes the absolute path */
#endif

/* The whole file in a buffer of exactly *len bytes (malloc; free it), so
 * ASan catches a read past its end; NULL (the test failed) if unreadable. */
unsigned char *unit_fixture(const char *name, size_t *len);

#endif
