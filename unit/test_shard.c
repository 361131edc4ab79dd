#include "unit.h"
#include "runner/shard.h"

#include <stdlib.h>

UNIT_TEST(shard_parse)
{
	unsigned i = 0, n = 0;
	char err[128];

	CHECK_EQ_INT(kt_shard_parse("1/1", &i, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(i, 1);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(kt_shard_parse("3/4", &i, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(i, 3);
	CHECK_EQ_INT(n, 4);
	static const char *const bad[] = { "0/3", "3/2", "x", "", "1/", "/2", "1/0", "0/0", "-1/2",
					   "1/2/3", "1 /2", "+1/2", "1/99999999999999999999", "2/10001", NULL };
	for (int k = 0; bad[k]; k++) {
		err[0] = '\0';
		if (kt_shard_parse(bad[k], &i, &n, err, sizeof(err)) != -22)
			unit_fail(__FILE__, __LINE__, "'%s' accepted", bad[k]);
		CHECK(err[0]);
	}
	CHECK(kt_shard_parse(NULL, &i, &n, err, sizeof(err)) != 0);
}

/* The union of all shards is the whole list, and no case is in two. */
UNIT_TEST(shard_partition)
{
	for (unsigned count = 1; count <= 9; count++) {
		for (size_t len = 0; len <= 40; len++) {
			int *seen = calloc(len + 1, sizeof(int));
			size_t total = 0, lo = (size_t)-1, hi = 0;

			CHECK(seen);
			if (!seen)
				return;
			for (unsigned idx = 1; idx <= count; idx++) {
				size_t mine = 0;

				for (size_t p = 0; p < len; p++)
					if (kt_shard_member(p, idx, count)) {
						seen[p]++;
						mine++;
					}
				total += mine;
				lo = mine < lo ? mine : lo;
				hi = mine > hi ? mine : hi;
			}
			CHECK_EQ_INT(total, len);
			for (size_t p = 0; p < len; p++)
				if (seen[p] != 1)
					unit_fail(__FILE__, __LINE__, "count %u len %zu: position %zu in %d shards", count,
						  len, p, seen[p]);
			CHECK(hi - lo <= 1); /* balanced */
			free(seen);
		}
	}
	CHECK(!kt_shard_member(0, 1, 0));
}
