/* `ktstr gauntlet`: the canned scenarios on every accepted topology
 * preset (and flag profile), optionally within a time budget.  The
 * runner (options, selection, --shard, --junit, --out, the VM pool) is
 * the shared one; this only turns the gauntlet on. */
#include "model/ctx.h"
#include "runner/runner.h"
#include "cli.h"

#include <stdlib.h>

extern const int kt_catalog_linked;

int cli_gauntlet(int argc, char **argv)
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
	ret = kt_runner_cli_mode(argc, argv, "scenario", reg, n, true);
	free(reg);
	return ret;
}
