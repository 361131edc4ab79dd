/* `ktstr gauntlet`: the canned scenarios on every accepted topology
 * preset (and flag profile), optionally within a time budget.  The
 * runner (options, selection, --shard, --junit, --out, the VM pool) is
 * the shared one; this only turns the gauntlet on. */
#include "cli.h"

int cli_gauntlet(int argc, char **argv)
{
	return cli_scenarios(argc, argv, true);
}
