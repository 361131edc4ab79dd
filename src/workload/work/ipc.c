/* Workers that talk to each other: PipeIo and FutexPingPong (pairs),
 * MutexContention (groups of `contenders`).  Shared state is set up by
 * the parent before fork: two pipes per pair, or one u32 per group. */
#include "workload/work/work.h"

static const struct ktstr_work_param pipe_params[] = {
	{ "burst_iters", "spin units between exchanges", 1024, 1, 1u << 24 },
};

static int pipes_setup(struct kt_work_group *g, const uint64_t *p)
{
	(void)p;
	return kt_group_pipes(g);
}

static void pipe_step(struct kt_worker *w)
{
	kt_spin(w, w->p[0]);
	/* Rank 0 writes 0->1 and reads 1->0; rank 1 the other way round. */
	kt_pipe_exchange(w, w->rank ? w->grp->fd[0] : w->grp->fd[2], w->rank ? w->grp->fd[3] : w->grp->fd[1]);
	kt_reset_gap(w);
}

const struct kt_work_type kt_wt_pipe_io = {
	.info = { KTSTR_WORK_PIPE_IO, "PipeIo",
		  "spin burst_iters units, then a 1-byte pipe round trip with the partner (write->read sampled)",
		  pipe_params, 1, true },
	.group_size = kt_group_pairs,
	.group_setup = pipes_setup,
	.step = pipe_step,
};

static const struct ktstr_work_param spin_params[] = {
	{ "spin_iters", "spin units per iteration", 1024, 1, 1u << 24 },
};

static int word_setup(struct kt_work_group *g, const uint64_t *p)
{
	(void)p;
	return kt_group_shm(g, sizeof(uint32_t));
}

/* The word says whose turn it is: rank 0 waits for 0, rank 1 for 1. */
static void ping_pong_step(struct kt_worker *w)
{
	volatile uint32_t *word = w->grp->shm;
	uint32_t mine = w->rank ? 1 : 0, theirs = 1 - mine;
	uint64_t t0;

	kt_spin(w, w->p[0]);
	__atomic_store_n(word, theirs, __ATOMIC_RELEASE);
	kt_futex_wake(word, 1);
	t0 = kt_now();
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != mine && !kt_stopped(w))
		kt_futex_wait(word, theirs);
	if (!kt_stopped(w))
		kt_sample(w, kt_now() - t0);
	kt_reset_gap(w);
}

const struct kt_work_type kt_wt_futex_ping_pong = {
	.info = { KTSTR_WORK_FUTEX_PING_PONG, "FutexPingPong",
		  "spin, hand the shared futex word to the partner, wait for it back (block->observed sampled)",
		  spin_params, 1, true },
	.group_size = kt_group_pairs,
	.group_setup = word_setup,
	.step = ping_pong_step,
};

static const struct ktstr_work_param mutex_params[] = {
	{ "contenders", "workers sharing one lock", 4, 1, 64 },
	{ "hold_iters", "spin units while holding the lock", 256, 0, 1u << 24 },
	{ "work_iters", "spin units outside the lock", 1024, 0, 1u << 24 },
};

static unsigned mutex_group(const uint64_t *p) { return (unsigned)p[0]; }

static void mutex_step(struct kt_worker *w)
{
	volatile uint32_t *lock = w->grp->shm;

	kt_spin(w, w->p[2]);
	for (;;) {
		uint32_t zero = 0;
		uint64_t t0;

		if (__atomic_compare_exchange_n(lock, &zero, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		if (kt_stopped(w))
			return;
		t0 = kt_now();
		kt_futex_wait(lock, 1);
		kt_sample(w, kt_now() - t0);
	}
	kt_spin(w, w->p[1]);
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	kt_futex_wake(lock, 1);
	kt_reset_gap(w);
}

const struct kt_work_type kt_wt_mutex_contention = {
	.info = { KTSTR_WORK_MUTEX_CONTENTION, "MutexContention",
		  "spin work_iters, take a shared futex lock (contended waits sampled), spin hold_iters, release",
		  mutex_params, 3, true },
	.group_size = mutex_group,
	.group_setup = word_setup,
	.step = mutex_step,
};
