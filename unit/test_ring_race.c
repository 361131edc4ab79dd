/* The ring header is guest memory that changes under the host's feet:
 * a second thread flips capacity, write_ptr and read_ptr while the host
 * drains.  Each field must be read once; a value checked and then read
 * again lets the guest walk the host out of the region (issue 16,
 * finding 3).  Run under ASan (make unit) and TSan (make tsan). */
#include "unit.h"
#include "proto/shm_ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdlib.h>

#define RACE_SIZE (KT_RING_HDR + 4096)
#define RACE_ROUNDS 200000

struct flipper {
	struct kt_ring_hdr *h;
	atomic_bool stop;
	uint32_t good_cap;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;

	for (unsigned i = 0; !atomic_load(&f->stop); i++) {
		/* Between a valid header and one that walks 2 GiB past it. */
		__atomic_store_n(&f->h->capacity, i & 1 ? 0xffffffffu : f->good_cap, __ATOMIC_RELAXED);
		__atomic_store_n(&f->h->write_ptr, i & 2 ? 1ull << 31 : 64, __ATOMIC_RELAXED);
		__atomic_store_n(&f->h->read_ptr, 0, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void count(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	(void)type;
	(void)p;
	(void)crc_ok;
	*(uint64_t *)arg += len + 1;
}

UNIT_TEST(ring_header_flipped_by_guest_thread)
{
	unsigned char *mem = calloc(1, RACE_SIZE);
	struct flipper f = { .h = (struct kt_ring_hdr *)mem, .good_cap = RACE_SIZE - KT_RING_HDR };
	uint64_t seen = 0;
	unsigned mal = 0;
	pthread_t th;
	int most = 0;

	kt_ring_init(mem, RACE_SIZE);
	for (int i = 0; i < 2; i++)
		kt_ring_write(mem, RACE_SIZE, KT_MSG_EXIT, "0123456789abcdef", 16);
	CHECK_EQ_INT(pthread_create(&th, NULL, flip, &f), 0);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		int n = kt_ring_drain(mem, RACE_SIZE, count, &seen, &mal);

		if (n > most)
			most = n;
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	/* At most what a 4 KiB region can hold: 4096 / 16 empty messages. */
	CHECK(most <= (int)((RACE_SIZE - KT_RING_HDR) / KT_MSG_HDR));
	/* Each header the flipper leaves, judged alone. */
	f.h->read_ptr = 0;
	f.h->write_ptr = 1ull << 31;
	f.h->capacity = 0xffffffffu;
	CHECK_EQ_INT(kt_ring_drain(mem, RACE_SIZE, count, &seen, &mal), -EINVAL);
	f.h->capacity = f.good_cap;
	mal = 0;
	CHECK_EQ_INT(kt_ring_drain(mem, RACE_SIZE, count, &seen, &mal), 0);
	CHECK_EQ_INT(mal, 1);
	free(mem);
}
