/* Guest side of the shared-memory region: /dev/mem mapping of the range
 * the host reserved with memmap= and named with ktstr_shm= (as parsed by
 * kt_guest_args_parse); the message ring (writers serialised) and the
 * host->guest control bytes. */
#include "proto/shm_ring.h"
#include "proto/guest_args.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void *shm;
static size_t shm_size;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

int kt_shm_attach(const struct kt_guest_args *a)
{
	int fd;

	if (!a->shm_size)
		return -ENOENT;
	if ((uint64_t)(size_t)a->shm_size != a->shm_size || a->shm_size > (uint64_t)INT64_MAX ||
	    a->shm_addr > (uint64_t)INT64_MAX - a->shm_size)
		return kt_err(EINVAL, "shm: region at 0x%" PRIx64 " size 0x%" PRIx64 " is outside what /dev/mem maps",
			      a->shm_addr, a->shm_size);
	fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return kt_err(errno, "shm: open /dev/mem");
	shm = mmap(NULL, (size_t)a->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)a->shm_addr);
	close(fd);
	if (shm == MAP_FAILED) {
		shm = NULL;
		return kt_err(errno, "shm: mmap /dev/mem at 0x%" PRIx64 " size 0x%" PRIx64, a->shm_addr, a->shm_size);
	}
	shm_size = (size_t)a->shm_size;
	return 0;
}

int kt_shm_send(uint32_t type, const void *payload, size_t len)
{
	int ret;

	if (!shm)
		return -ENODEV;
	if (len > 0xffffffffu)
		return -EMSGSIZE;
	pthread_mutex_lock(&ring_lock);
	ret = kt_ring_write(shm, shm_size, type, payload, (uint32_t)len);
	pthread_mutex_unlock(&ring_lock);
	return ret;
}

struct kt_ring_hdr *kt_shm_hdr(void)
{
	struct kt_ring_hdr *h = shm;

	if (!h || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != KT_RING_MAGIC)
		return NULL;
	return h;
}

void kt_shm_signal_ready(void)
{
	struct kt_ring_hdr *h = kt_shm_hdr();

	if (h)
		kt_ctl_signal_ready(h);
}

int kt_shm_wait_walked(unsigned timeout_ms)
{
	struct kt_ring_hdr *h = kt_shm_hdr();

	if (!h)
		return -ENOENT;
	for (unsigned waited = 0; !kt_ctl_walked(h); waited += 10) {
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}
