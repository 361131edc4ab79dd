/* Minimal unit-test registry for the pure modules.  Built with ASan and
 * UBSan; prints "N passed, N failed" and exits non-zero on failure. */
#ifndef KTSTR_UNIT_H
#define KTSTR_UNIT_H
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

extern int unit_failures; /* failures in the running test */
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define UNIT_TEST(tname)                                                        \
	static void unit_fn_##tname(void);                                      \
	static const struct unit_test unit_t_##tname = { #tname, unit_fn_##tname }; \
	__attribute__((used, section("unit_tests"))) static const struct unit_test \
		*const unit_p_##tname = &unit_t_##tname;                           \
	static void unit_fn_##tname(void)

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #c);        \
	} while (0)
#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b)                                                  \
			unit_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                     \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b))                              \
			unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				  _a ? _a : "(null)", _b ? _b : "(null)");     \
	} while (0)
#define CHECK_NEAR(a, b, eps)                                                  \
	do {                                                                   \
		double _a = (a), _b = (b);                                     \
		if (_a - _b > (eps) || _b - _a > (eps))                        \
			unit_fail(__FILE__, __LINE__, "%s ~= %s: %g != %g", #a, #b, _a, _b); \
	} while (0)

#endif
