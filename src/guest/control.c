/* Host -> guest control through the ring header (docs/protocol.md,
 * kt_ctl_* in proto/shm_ring.h): a stall request creates
 * /tmp/ktstr_stall (scx_ktstr stalls on it), a dump request triggers
 * SysRq-D (sched_ext state dump to the console), a stop request asks the
 * guest to report what it has and power off because the VM time limit is
 * near.  Polled every 50 ms by a thread of PID 1. */
#include "guest/guest.h"
#include "util/util.h"
#include <ktstr/ktstr.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void (*stop_fn)(void);
static pthread_t thread;

static void *control(void *arg)
{
	for (;;) {
		struct kt_ring_hdr *h = kt_shm_hdr();

		if (h && kt_ctl_take_stall(h)) {
			int fd = open("/tmp/ktstr_stall", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

			if (fd >= 0)
				close(fd);
			printf("KTSTR_CONTROL stall requested by the host: /tmp/ktstr_stall created\n");
			fflush(stdout);
		}
		if (h && kt_ctl_take_dump(h)) {
			kt_write_str("/proc/sysrq-trigger", "D");
			printf("KTSTR_CONTROL sched_ext dump requested by the host\n");
			fflush(stdout);
		}
		if (h && kt_ctl_take_map_written(h)) {
			printf("KTSTR_CONTROL the host wrote into a BPF map of the scheduler\n");
			fflush(stdout);
			kt_shm_send(KT_MSG_MAP_WRITE_ACK, "", 0);
		}
		if (h && kt_ctl_take_stop(h)) {
			printf("KTSTR_CONTROL graceful stop requested by the host\n");
			fflush(stdout);
			if (stop_fn)
				stop_fn(); /* does not return */
		}
		usleep(50000);
	}
	return arg;
}

int kt_control_start(void (*on_stop)(void))
{
	stop_fn = on_stop;
	if (!kt_shm_hdr())
		return -ENODEV;
	return -pthread_create(&thread, NULL, control, NULL);
}

void ktstr_stimulus(struct ktstr_ctx *ctx, unsigned step, enum ktstr_stim kind, uint64_t iterations)
{
	struct kt_stimulus ev = { .step = step, .kind = kind, .at_ns = kt_now_ns(), .iterations = iterations };

	(void)ctx;
	kt_shm_send(KT_MSG_STIMULUS, &ev, sizeof(ev));
}
