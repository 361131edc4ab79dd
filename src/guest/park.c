/* Restorable boot, the guest's end (proto/handover.h): PID 1 parks at the
 * hand-over page before it looks at its test, so that the host can
 * snapshot it there and restore that snapshot for any test.  When the
 * host says GO, PID 1 takes the page and makes itself current: the
 * host's CLOCK_REALTIME (a restored kernel's wall clock is the
 * snapshot's), the host's entropy mixed into the CRNG and a reseed (a
 * restored CRNG would repeat the snapshot's output), and the test's
 * command line in place of /proc/cmdline. */
#include "guest/guest.h"
#include "proto/guest_args.h"
#include "proto/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int reseed(const uint8_t *ent, size_t len)
{
	/* buf[] is a flexible array: header and entropy allocated as one (a
	 * struct around it is a GNU extension). */
	struct rand_pool_info *info = calloc(1, sizeof(*info) + len);
	int fd, ret = 0;

	if (!info)
		return -ENOMEM;
	fd = open("/dev/urandom", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(info);
		return ret;
	}
	info->entropy_count = (int)(len * 8);
	info->buf_size = (int)len;
	memcpy(info->buf, ent, len);
	if (ioctl(fd, RNDADDENTROPY, info) || ioctl(fd, RNDRESEEDCRNG))
		ret = -errno;
	close(fd);
	free(info);
	return ret;
}

int kt_guest_park(uint64_t addr, char *cmdline, size_t len)
{
	static struct kt_handover got; /* 4 KiB: off the stack */
	struct kt_handover *page;
	struct timespec ts;
	int fd, ret;

	fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	page = mmap(NULL, KT_HO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)addr);
	close(fd);
	if (page == MAP_FAILED)
		return -errno;
	__atomic_store_n(&page->parked, KT_HO_PARKED, __ATOMIC_RELEASE);
	while ((ret = kt_handover_take(page, &got)) == -EAGAIN)
		usleep(1000);
	__atomic_store_n(&page->parked, 0, __ATOMIC_RELEASE);
	munmap(page, KT_HO_SIZE);
	if (ret)
		return ret;
	ts.tv_sec = (time_t)(got.realtime_ns / 1000000000u);
	ts.tv_nsec = (long)(got.realtime_ns % 1000000000u);
	if (clock_settime(CLOCK_REALTIME, &ts))
		return -errno;
	ret = reseed(got.entropy, sizeof(got.entropy));
	if (ret)
		return ret;
	if (got.len >= len)
		return -E2BIG;
	memcpy(cmdline, got.cmdline, got.len + 1);
	return 0;
}
