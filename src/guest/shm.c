/* Guest side of the shared-memory ring: /dev/mem mapping of the region
 * the host reserved with memmap= and named with ktstr_shm=. */
#include "guest/guest.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void *shm;
static size_t shm_size;

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
	if (!shm)
		return -ENODEV;
	if (len > 0xffffffffu)
		return -EMSGSIZE;
	return kt_ring_write(shm, shm_size, type, payload, (uint32_t)len);
}
