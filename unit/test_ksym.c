/* Unit tests: symbol lookup (on our own binary) and address mapping. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include "runner/ksym.h"
#include "unit.h"

int ksym_unit_marker;
int ksym_unit_marker = 42;

UNIT_TEST(ksym_lookup_self)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *names[] = { "ksym_unit_marker", "no_such_symbol_anywhere" };
	uint64_t a[2];

	CHECK(n > 0);
	self[n > 0 ? n : 0] = '\0';
	CHECK_EQ_INT(kt_ksym_lookup(self, names, a, 2), 1);
	CHECK(a[0] != 0);
	CHECK_EQ_INT(a[1], 0);
	CHECK(kt_ksym_lookup("/nonexistent", names, a, 2) < 0);
	CHECK(kt_ksym_lookup("/proc/self/status", names, a, 2) < 0);
}

UNIT_TEST(ksym_phys_map)
{
	CHECK_EQ_INT(ksym_phys(0xffffffff82a3c120ull), 0x2a3c120);
	CHECK_EQ_INT(ksym_phys(0x1000), 0);
}
