/* The defaults of a case (model/defaults.h). */
#include "model/defaults.h"

unsigned kt_default_duration_s(const struct ktstr_test *t, unsigned override_s)
{
	if (override_s)
		return override_s;
	return t && t->duration_s ? t->duration_s : KT_DEFAULT_DURATION_S;
}

unsigned kt_default_memory_mb(const struct ktstr_test *t, unsigned variant_mb, unsigned override_mb, unsigned min_mb)
{
	unsigned mb = override_mb	      ? override_mb
		      : variant_mb	      ? variant_mb
		      : t && t->memory_mb     ? t->memory_mb
		      : t && t->nested	      ? KT_NESTED_HOST_MEMORY_MB
					      : KT_DEFAULT_MEMORY_MB;

	return mb < min_mb ? min_mb : mb;
}

unsigned kt_default_timeout_s(unsigned duration_s, unsigned cpus, bool nested_guest)
{
	unsigned s = 45 + 3 * duration_s + cpus / 2;

	return nested_guest ? 2 * s : s;
}

unsigned kt_watchdog_explicit(unsigned test_s, unsigned sched_s, bool cli_set, unsigned cli_s,
			      enum kt_wd_source *src)
{
	unsigned v = 0;

	*src = KT_WD_DEFAULT;
	if (cli_set)
		*src = KT_WD_CLI, v = cli_s ? cli_s : KTSTR_WATCHDOG_OWN;
	else if (test_s)
		*src = KT_WD_TEST, v = test_s;
	else if (sched_s)
		*src = KT_WD_SCHED, v = sched_s;
	if (v == KTSTR_WATCHDOG_OWN) {
		*src = KT_WD_OWN;
		return 0;
	}
	return v;
}

unsigned kt_watchdog_seconds(unsigned explicit_s, enum kt_wd_source src, bool tcg)
{
	if (src == KT_WD_OWN)
		return 0;
	if (src != KT_WD_DEFAULT)
		return explicit_s;
	return KT_DEFAULT_WATCHDOG_S * (tcg ? 2u : 1u);
}

const char *kt_wd_source_name(enum kt_wd_source s)
{
	switch (s) {
	case KT_WD_CLI: return "cli";
	case KT_WD_TEST: return "test";
	case KT_WD_SCHED: return "scheduler";
	case KT_WD_OWN: return "scheduler's own";
	default: return "default";
	}
}
