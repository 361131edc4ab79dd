/* One messenger waking fan_out receivers: FutexFanOut (a shared u32
 * counter) and FanOutCompute (a generation plus the wake timestamp;
 * receivers then run small matrix multiplications).  Rank 0 of each
 * group of fan_out+1 is the messenger. */
#include "workload/work/work.h"

#include <errno.h>
#include <stdlib.h>

static unsigned fan_group(const uint64_t *p) { return (unsigned)p[0] + 1; }

static const struct ktstr_work_param fan_out_params[] = {
	{ "fan_out", "receivers per messenger", 4, 1, 63 },
	{ "spin_iters", "spin units per iteration", 1024, 1, 1u << 24 },
};

static int word_setup(struct kt_work_group *g, const uint64_t *p)
{
	(void)p;
	return kt_group_shm(g, sizeof(uint32_t));
}

static int mark_messenger(struct kt_worker *w)
{
	w->rep->is_messenger = w->rank == 0;
	return 0;
}

static void fan_out_step(struct kt_worker *w)
{
	volatile uint32_t *word = w->grp->shm;
	uint32_t expected;
	uint64_t t0;

	kt_spin(w, w->p[1]);
	if (w->rank == 0) {
		__atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
		kt_futex_wake(word, (int)w->p[0]);
		kt_spin(w, 256);
		return;
	}
	expected = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	t0 = kt_now();
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == expected && !kt_stopped(w))
		kt_futex_wait(word, expected);
	if (!kt_stopped(w))
		kt_sample(w, kt_now() - t0);
	kt_reset_gap(w);
}

const struct kt_work_type kt_wt_futex_fan_out = {
	.info = { KTSTR_WORK_FUTEX_FAN_OUT, "FutexFanOut",
		  "messenger bumps a futex word and wakes fan_out receivers; receivers wait for it (sampled)",
		  fan_out_params, 2, true },
	.group_size = fan_group,
	.group_setup = word_setup,
	.init = mark_messenger,
	.step = fan_out_step,
};

/* Shared: u64 generation at 0 (its low 32 bits are the futex word),
 * u64 wake timestamp at 8. */
struct fan_shm {
	uint64_t gen;
	uint64_t wake_ns;
};

struct compute_state {
	uint64_t *a, *b, *c;
	size_t n;
};

static const struct ktstr_work_param compute_params[] = {
	{ "fan_out", "receivers per messenger", 4, 1, 63 },
	{ "cache_footprint_kb", "size of the three n x n u64 matrices", 256, 1, 1u << 16 },
	{ "operations", "matrix multiplications per wake (1 unit each)", 5, 1, 1000 },
	{ "sleep_usec", "sleep after each wake, before computing", 100, 0, 10000000 },
};

static int compute_setup(struct kt_work_group *g, const uint64_t *p)
{
	(void)p;
	return kt_group_shm(g, sizeof(struct fan_shm));
}

static size_t isqrt(size_t v)
{
	size_t r = 0;

	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

static int compute_init(struct kt_worker *w)
{
	struct compute_state *s;
	size_t n = isqrt((size_t)w->p[1] * 1024u / 3u / 8u);

	mark_messenger(w);
	if (w->rank == 0)
		return 0;
	if (!n)
		n = 1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n = n;
	s->a = calloc(n * n, sizeof(uint64_t));
	s->b = calloc(n * n, sizeof(uint64_t));
	s->c = calloc(n * n, sizeof(uint64_t));
	w->priv = s;
	if (!s->a || !s->b || !s->c)
		return -ENOMEM;
	for (size_t i = 0; i < n * n; i++) {
		s->a[i] = i * 2654435761u;
		s->b[i] = i ^ 0x5bd1e995u;
	}
	return 0;
}

static void compute_fini(struct kt_worker *w)
{
	struct compute_state *s = w->priv;

	if (s) {
		free(s->a);
		free(s->b);
		free(s->c);
	}
	free(s);
	w->priv = NULL;
}

/* Stops between rows once told to (large footprints take seconds). */
static void matmul(struct kt_worker *w, struct compute_state *s)
{
	size_t n = s->n;

	for (size_t i = 0; i < n && !kt_stopped(w); i++)
		for (size_t j = 0; j < n; j++) {
			uint64_t acc = 0;

			for (size_t k = 0; k < n; k++)
				acc += s->a[i * n + k] * s->b[k * n + j];
			s->c[i * n + j] = acc;
		}
	__asm__ volatile("" : : "r"(s->c) : "memory");
}

static void compute_step(struct kt_worker *w)
{
	struct fan_shm *sh = w->grp->shm;
	volatile uint32_t *word = (volatile uint32_t *)&sh->gen + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	uint64_t expected;

	if (w->rank == 0) {
		__atomic_store_n(&sh->wake_ns, kt_now(), __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->gen, 1, __ATOMIC_RELEASE);
		kt_futex_wake(word, (int)w->p[0]);
		kt_spin(w, 256);
		return;
	}
	expected = __atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE) == expected && !kt_stopped(w))
		kt_futex_wait(word, (uint32_t)expected);
	if (kt_stopped(w))
		return;
	kt_sample(w, kt_now() - __atomic_load_n(&sh->wake_ns, __ATOMIC_RELAXED));
	kt_reset_gap(w);
	kt_sleep_ns(w, w->p[3] * 1000u);
	for (uint64_t i = 0; i < w->p[2] && !kt_stopped(w); i++) {
		matmul(w, w->priv);
		w->units++;
	}
}

const struct kt_work_type kt_wt_fan_out_compute = {
	.info = { KTSTR_WORK_FAN_OUT_COMPUTE, "FanOutCompute",
		  "messenger stamps and wakes fan_out receivers; each sleeps sleep_usec then runs `operations` "
		  "matrix products (wake->run sampled)",
		  compute_params, 4, true },
	.group_size = fan_group,
	.group_setup = compute_setup,
	.init = compute_init,
	.step = compute_step,
	.fini = compute_fini,
};
