/* --shard I/N: a deterministic split of the sorted case list so that N
 * machines (a CI matrix) together run every case exactly once.  Pure. */
#ifndef KTSTR_SHARD_H
#define KTSTR_SHARD_H
#include <stdbool.h>
#include <stddef.h>

/* Parse "I/N" (1 <= I <= N <= 10000).  Returns 0, or -EINVAL with a
 * reason in err. */
int kt_shard_parse(const char *s, unsigned *index, unsigned *count, char *err, size_t errlen);
/* Is position pos (0-based, in the sorted list) in shard index/count?
 * Round-robin: position pos goes to shard (pos % count) + 1, so long and
 * short cases of one family spread over the shards. */
bool kt_shard_member(size_t pos, unsigned index, unsigned count);

#endif
