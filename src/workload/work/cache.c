/* Cache work: CachePressure, CacheYield, CachePipe.  Each worker walks its
 * own buffer (allocated after fork) with volatile read-modify-writes. */
#include "workload/work/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cache_state {
	volatile uint8_t *buf;
	size_t len, idx;
};

static int cache_init(struct kt_worker *w)
{
	struct cache_state *c = calloc(1, sizeof(*c));
	size_t len = (size_t)w->p[0] * 1024u;
	uint8_t *b = malloc(len);

	if (!c || !b) {
		free(c);
		free(b);
		return -ENOMEM;
	}
	memset(b, 0, len); /* fault the pages in before the start */
	c->buf = b;
	c->len = len;
	w->priv = c;
	return 0;
}

static void cache_fini(struct kt_worker *w)
{
	struct cache_state *c = w->priv;

	if (c)
		free((void *)c->buf);
	free(c);
	w->priv = NULL;
}

/* n steps of buf[idx]++; idx = (idx + stride) % len; one unit each. */
static void cache_walk(struct kt_worker *w, uint64_t n, uint64_t stride)
{
	struct cache_state *c = w->priv;

	for (uint64_t i = 0; i < n; i++) {
		c->buf[c->idx]++;
		c->idx = (c->idx + stride) % c->len;
		w->units++;
		if ((i & 4095) == 4095 && kt_stopped(w))
			break;
	}
}

static const struct ktstr_work_param cache_params[] = {
	{ "size_kb", "buffer size per worker", 32, 1, 1u << 20 },
	{ "stride", "bytes between touched locations", 64, 1, 1u << 20 },
};

static void pressure_step(struct kt_worker *w) { cache_walk(w, 1024, w->p[1]); }

const struct kt_work_type kt_wt_cache_pressure = {
	.info = { KTSTR_WORK_CACHE_PRESSURE, "CachePressure", "1024 strided read-modify-writes of the buffer",
		  cache_params, 2, true },
	.init = cache_init,
	.step = pressure_step,
	.fini = cache_fini,
};

static void cache_yield_step(struct kt_worker *w)
{
	cache_walk(w, 1024, w->p[1]);
	kt_sample(w, kt_yield());
}

const struct kt_work_type kt_wt_cache_yield = {
	.info = { KTSTR_WORK_CACHE_YIELD, "CacheYield",
		  "1024 strided read-modify-writes, then sched_yield() (sampled)", cache_params, 2, true },
	.init = cache_init,
	.step = cache_yield_step,
	.fini = cache_fini,
};

static const struct ktstr_work_param cache_pipe_params[] = {
	{ "size_kb", "buffer size per worker", 32, 1, 1u << 20 },
	{ "burst_iters", "read-modify-writes (stride 64) between exchanges", 1024, 1, 1u << 24 },
};

static int pair_pipes(struct kt_work_group *g, const uint64_t *p)
{
	(void)p;
	return kt_group_pipes(g);
}

static void cache_pipe_step(struct kt_worker *w)
{
	cache_walk(w, w->p[1], 64);
	/* Rank 0 writes 0->1 and reads 1->0; rank 1 the other way round. */
	kt_pipe_exchange(w, w->rank ? w->grp->fd[0] : w->grp->fd[2], w->rank ? w->grp->fd[3] : w->grp->fd[1]);
	kt_reset_gap(w);
}

const struct kt_work_type kt_wt_cache_pipe = {
	.info = { KTSTR_WORK_CACHE_PIPE, "CachePipe",
		  "burst_iters read-modify-writes, then a pipe round trip with the partner (sampled)",
		  cache_pipe_params, 2, true },
	.group_size = kt_group_pairs,
	.group_setup = pair_pipes,
	.init = cache_init,
	.step = cache_pipe_step,
	.fini = cache_fini,
};
