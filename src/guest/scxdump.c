/* The kernel's sched_ext state dump, forwarded to the host (docs/
 * protocol.md): the dump goes to the sched_ext_dump trace event only
 * (SysRq-D, requested by the host) or to it as well (the dump the kernel
 * takes when it ejects a scheduler).  PID 1 enables the event before the
 * scheduler starts and a thread copies the event's text from trace_pipe
 * to the ring (KT_MSG_SCX_DUMP), one chunk of whole lines at a time, at
 * most KT_SCX_DUMP_MAX bytes in all. */
#include "guest/guest.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TRACING "/sys/kernel/tracing"
#define EVENT TRACING "/events/sched_ext/sched_ext_dump/enable"
#define MARK "sched_ext_dump: "
#define CHUNK 4000u

static int pipe_fd = -1;
static pthread_t thread;
static _Atomic uint64_t last_data_ns;
static _Atomic bool idle_now;
static size_t sent;

/* The event's text of one trace_pipe line ("" for the dump's blank
 * lines); NULL for other lines. */
static const char *event_text(const char *line)
{
	const char *p = strstr(line, MARK);

	return p ? p + strlen(MARK) : NULL;
}

static void flush_chunk(char *chunk, size_t *len)
{
	if (*len && sent < KT_SCX_DUMP_MAX) {
		size_t n = *len < KT_SCX_DUMP_MAX - sent ? *len : KT_SCX_DUMP_MAX - sent;

		if (!kt_shm_send(KT_MSG_SCX_DUMP, chunk, n))
			sent += n;
	}
	*len = 0;
}

static void *forward(void *arg)
{
	static char buf[8192], line[1024], chunk[CHUNK];
	size_t llen = 0, clen = 0;
	struct pollfd pfd = { .fd = pipe_fd, .events = POLLIN };

	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0) {
			flush_chunk(chunk, &clen); /* a quiet moment: the dump is over */
			atomic_store(&idle_now, true);
			continue;
		}
		n = read(pipe_fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
			continue;
		}
		atomic_store(&idle_now, false);
		atomic_store(&last_data_ns, kt_now_ns());
		for (ssize_t i = 0; i < n; i++) {
			const char *text;
			size_t tl;

			if (buf[i] != '\n') {
				if (llen < sizeof(line) - 1)
					line[llen++] = buf[i];
				continue;
			}
			line[llen] = '\0';
			llen = 0;
			if (!(text = event_text(line)))
				continue;
			tl = strlen(text);
			if (clen + tl + 1 > sizeof(chunk))
				flush_chunk(chunk, &clen);
			memcpy(chunk + clen, text, tl);
			clen += tl;
			chunk[clen++] = '\n';
		}
	}
	return arg;
}

int kt_scx_dump_start(void)
{
	int ret;

	if (pipe_fd >= 0)
		return 0;
	ret = kt_write_str(EVENT, "1");
	if (ret)
		return ret;
	pipe_fd = open(TRACING "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pipe_fd < 0)
		return -errno;
	atomic_store(&idle_now, true);
	ret = -pthread_create(&thread, NULL, forward, NULL);
	if (ret) {
		close(pipe_fd);
		pipe_fd = -1;
	}
	return ret;
}

void kt_scx_dump_flush(unsigned max_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)max_ms * 1000000u;

	if (pipe_fd < 0)
		return;
	/* Until the forwarder has seen the pipe quiet after the last data. */
	do {
		usleep(50000);
	} while ((!atomic_load(&idle_now) || kt_now_ns() - atomic_load(&last_data_ns) < 150000000u) &&
		 kt_now_ns() < end);
}
