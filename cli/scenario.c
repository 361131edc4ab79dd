/* `ktstr scenario`: run canned scenarios by name under EEVDF or any
 * sched_ext scheduler binary, without writing C. */
#include "model/ctx.h"
#include "runner/runner.h"
#include "cli.h"

#include <stdlib.h>

extern const int kt_catalog_linked;

/* The canned scenarios through the shared runner; gauntlet on or not. */
int cli_scenarios(int argc, char **argv, bool gauntlet)
{
	const struct ktstr_test **reg;
	size_t n = kt_scenario_count();
	int ret;

	if (!kt_catalog_linked || !n)
		return 1;
	reg = calloc(n, sizeof(*reg));
	if (!reg)
		return 1;
	for (size_t i = 0; i < n; i++)
		reg[i] = kt_scenario_at(i);
	ret = kt_runner_cli_mode(argc, argv, "scenario", reg, n, gauntlet);
	free(reg);
	return ret;
}

int cli_scenario(int argc, char **argv)
{
	return cli_scenarios(argc, argv, false);
}
