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
