/* Unit test runner: runs every UNIT_TEST (optionally filtered by name
 * substrings given as arguments), prints KTAP-style lines and a summary. */
#include <stdarg.h>
#include <stdlib.h>
#include "unit.h"

extern const struct unit_test *const __start_unit_tests[];
extern const struct unit_test *const __stop_unit_tests[];

int unit_failures;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	unit_failures++;
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, n = 0;

	for (const struct unit_test *const *t = __start_unit_tests; t < __stop_unit_tests; t++)
		n += selected((*t)->name, argc, argv);
	printf("KTAP version 1\n1..%d\n", n);
	n = 0;
	for (const struct unit_test *const *t = __start_unit_tests; t < __stop_unit_tests; t++) {
		if (!selected((*t)->name, argc, argv))
			continue;
		unit_failures = 0;
		(*t)->fn();
		fflush(stderr);
		printf("%s %d unit/%s\n", unit_failures ? "not ok" : "ok", ++n, (*t)->name);
		fflush(stdout);
		if (unit_failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
