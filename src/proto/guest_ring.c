/* Guest side of the shared-memory region: /dev/mem mapping of the range
 * the host reserved with memmap= and named with ktstr_shm=; the message
 * ring (writers serialised) and the host->guest control bytes. */
#include "proto/shm_ring.h"
#include "proto/argenc.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void *shm;
static size_t shm_size;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

int kt_shm_attach(const char *cmdline)
{
	char v[64];
	unsigned long long addr, size;
	int fd;

	if (kt_cmdline_get(cmdline, "ktstr_shm", v, sizeof(v)) || sscanf(v, "%llx,%llx", &addr, &size) != 2)
		return -ENOENT;
	fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return kt_err(errno, "shm: open /dev/mem");
	shm = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)addr);
	close(fd);
	if (shm == MAP_FAILED) {
		shm = NULL;
		return kt_err(errno, "shm: mmap /dev/mem at 0x%llx size 0x%llx", addr, size);
	}
	shm_size = (size_t)size;
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
