/* The worker loop shared by every work type, its telemetry (reference
 * WorkerReport), and the helpers steps use. */
#include "workload/work/work.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 100000000ull /* every blocking wait re-checks stop this often */

uint64_t kt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool kt_stopped(const struct kt_worker *w) { return __atomic_load_n(w->stop, __ATOMIC_RELAXED) != 0; }

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* Long spins (large *_iters parameters) end early once stopped. */
void kt_spin(struct kt_worker *w, uint64_t n)
{
	uint64_t u = w->units;

	for (uint64_t i = 0; i < n; i++) {
		u++;
		__asm__ volatile("" : "+r"(u)); /* opaque: the loop is not folded */
		cpu_relax();
		if ((i & 4095) == 4095 && kt_stopped(w))
			break;
	}
	w->units = u;
}

void kt_sample(struct kt_worker *w, uint64_t ns) { kt_reservoir_add(&w->wake, ns); }
void kt_reset_gap(struct kt_worker *w) { w->last_iter_ns = kt_now(); }

uint64_t kt_sleep_ns(struct kt_worker *w, uint64_t ns)
{
	uint64_t t0 = kt_now(), end = t0 + ns, now = t0;

	while (now < end && !kt_stopped(w)) {
		uint64_t d = end - now < POLL_NS ? end - now : POLL_NS;
		struct timespec ts = { .tv_sec = (time_t)(d / 1000000000ull), .tv_nsec = (long)(d % 1000000000ull) };

		nanosleep(&ts, NULL);
		now = kt_now();
	}
	return now - t0;
}

uint64_t kt_yield(void)
{
	uint64_t t0 = kt_now();

	sched_yield();
	return kt_now() - t0;
}

void kt_futex_wait(volatile uint32_t *addr, uint32_t val)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)POLL_NS };

	syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

void kt_futex_wake(volatile uint32_t *addr, int n) { syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0); }

int kt_pipe_exchange(struct kt_worker *w, int rfd, int wfd)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char b = 'x';
	uint64_t t0;

	if (write(wfd, &b, 1) != 1)
		return errno == EPIPE ? -ECANCELED : -errno;
	t0 = kt_now();
	for (;;) {
		int ret = poll(&pfd, 1, (int)(POLL_NS / 1000000u));

		if (kt_stopped(w))
			return -ECANCELED;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0)
			break;
	}
	if (read(rfd, &b, 1) != 1)
		return -ECANCELED; /* partner gone (EOF) */
	kt_sample(w, kt_now() - t0);
	return 0;
}

int kt_io_open(struct kt_worker *w, const char *prefix)
{
	const char *dir = getenv("TMPDIR");
	char path[256];

	snprintf(path, sizeof(path), "%s/%s_%d", dir && *dir ? dir : "/tmp", prefix, (int)getpid());
	w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	unlink(path); /* deleted on close, whatever happens */
	return 0;
}

void kt_io_close(struct kt_worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

void kt_io_sync_body(struct kt_worker *w)
{
	static const char zeros[4096];
	uint64_t t0;

	if (w->fd >= 0) {
		if (ftruncate(w->fd, 0) == 0)
			lseek(w->fd, 0, SEEK_SET);
		for (int i = 0; i < 16; i++) {
			if (write(w->fd, zeros, sizeof(zeros)) < 0)
				break;
			w->units++;
		}
	}
	t0 = kt_now();
	kt_sleep_ns(w, 100000);
	kt_sample(w, kt_now() - t0);
	kt_reset_gap(w);
}

int kt_parse_schedstat(const char *s, uint64_t *cpu_ns, uint64_t *delay_ns, uint64_t *count)
{
	unsigned long long a, b, c;

	if (!s || sscanf(s, "%llu %llu %llu", &a, &b, &c) != 3)
		return -EINVAL;
	*cpu_ns = a;
	*delay_ns = b;
	*count = c;
	return 0;
}

void kt_parse_numa_maps(const char *s, uint64_t *pages, unsigned n)
{
	memset(pages, 0, n * sizeof(*pages));
	for (const char *line = s; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[1024];

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = 0;
		line = eol ? eol + 1 : NULL;
		/* Only anonymous memory: what the worker's policy places.  File
		 * pages (the binary and its libraries) were placed when the
		 * initramfs was unpacked, whatever the policy. */
		if (!strstr(buf, " anon="))
			continue;
		for (const char *p = buf; *p; p++) {
			unsigned long node;
			unsigned long long cnt;
			char *end;

			/* A token "N<node>=<pages>" starts after a space. */
			if (*p != 'N' || p == buf || p[-1] != ' ')
				continue;
			node = strtoul(p + 1, &end, 10);
			if (end == p + 1 || *end != '=')
				continue;
			cnt = strtoull(end + 1, &end, 10);
			if (node < n)
				pages[node] += cnt;
			p = end - 1;
		}
	}
}

int kt_parse_vmstat(const char *s, const char *key, uint64_t *val)
{
	size_t kl = strlen(key);

	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*val = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
	return -ENOENT;
}

static void read_schedstat(uint64_t v[3])
{
	char buf[128];

	if (kt_read_file_str("/proc/self/schedstat", buf, sizeof(buf)) || kt_parse_schedstat(buf, &v[0], &v[1], &v[2]))
		v[0] = v[1] = v[2] = 0;
}

static uint64_t read_numa_migrated(void)
{
	struct kbuf b = { 0 };
	uint64_t v = 0;

	if (!kt_read_file("/proc/vmstat", &b) && b.data && kt_parse_vmstat(b.data, "numa_pages_migrated", &v))
		v = 0;
	kt_kbuf_free(&b);
	return v;
}

static void read_numa_pages(struct ktstr_worker_report *r)
{
	struct kbuf b = { 0 };

	if (!kt_read_file("/proc/self/numa_maps", &b) && b.data)
		kt_parse_numa_maps(b.data, r->numa_pages, KTSTR_REPORT_NODES);
	kt_kbuf_free(&b);
}

static void checkpoint(struct kt_worker *w)
{
	struct ktstr_worker_report *r = w->rep;
	uint64_t now = kt_now(), gap = now - w->last_iter_ns;
	int cpu;

	if (gap > r->max_gap_ns) {
		r->max_gap_ns = gap;
		r->max_gap_cpu = w->cpu;
		r->max_gap_at_ns = now - w->start_ns;
	}
	w->last_iter_ns = now;
	cpu = sched_getcpu();
	if (cpu < 0 || cpu == w->cpu)
		return;
	r->migrations++;
	kmask_set(&r->cpus_used, (unsigned)cpu);
	if (r->nmigration_log < KTSTR_MIGRATION_LOG)
		r->migration_log[r->nmigration_log++] =
			(struct ktstr_migration){ .at_ns = now - w->start_ns, .from_cpu = w->cpu, .to_cpu = cpu };
	w->cpu = cpu;
}

/* Bounded by the parent: it sets go, or stop, or dies (PDEATHSIG). */
static void wait_go(const struct kt_worker *w, struct kt_work_sync *sync)
{
	while (!__atomic_load_n(&sync->go, __ATOMIC_ACQUIRE) && !kt_stopped(w))
		usleep(500);
}

int kt_worker_run(struct kt_worker *w, struct kt_work_sync *sync)
{
	const struct kt_work_type *t = kt_work_type(w->cfg->type);
	struct ktstr_worker_report *r = w->rep;
	uint64_t ss0[3], ss1[3], mig0, mig1, cpu0;
	int ret;

	w->stop = &sync->stop;
	w->p = w->cfg->p;
	w->fd = -1;
	w->rng = (uint64_t)getpid() | 1;
	w->wake.rng = w->rng * 0x9e3779b97f4a7c15ull | 1;
	r->work = w->cfg->type;
	ret = !t ? -EINVAL : t->init ? t->init(w) : 0;
	__atomic_add_fetch(&sync->ready, 1, __ATOMIC_RELEASE);
	if (ret) {
		fprintf(stderr, "ktstr: worker %d (%s): init failed: %s\n", (int)getpid(),
			ktstr_work_name(w->cfg->type), strerror(-ret));
		return 4;
	}
	wait_go(w, sync);
	if (t->raw) {
		t->step(w);
		r->sched_policy = sched_getscheduler(0);
		r->completed = true;
		return 0;
	}
	read_schedstat(ss0);
	mig0 = read_numa_migrated();
	cpu0 = thread_cpu_ns();
	w->start_ns = w->last_iter_ns = kt_now();
	w->cpu = sched_getcpu();
	if (w->cpu >= 0)
		kmask_set(&r->cpus_used, (unsigned)w->cpu);
	r->max_gap_cpu = w->cpu;
	while (!kt_stopped(w)) {
		t->step(w);
		__atomic_store_n(&r->work_units, w->units, __ATOMIC_RELAXED);
		__atomic_store_n(&r->iterations, ++w->iters, __ATOMIC_RELAXED);
		checkpoint(w);
	}
	r->wall_time_ns = kt_now() - w->start_ns;
	r->cpu_time_ns = thread_cpu_ns() - cpu0;
	r->off_cpu_ns = r->wall_time_ns > r->cpu_time_ns ? r->wall_time_ns - r->cpu_time_ns : 0;
	read_schedstat(ss1);
	r->sched_cpu_time_ns = ss1[0] >= ss0[0] ? ss1[0] - ss0[0] : 0;
	r->run_delay_ns = ss1[1] >= ss0[1] ? ss1[1] - ss0[1] : 0;
	r->run_count = ss1[2] >= ss0[2] ? ss1[2] - ss0[2] : 0;
	r->sched_policy = sched_getscheduler(0);
	read_numa_pages(r);
	mig1 = read_numa_migrated();
	r->numa_pages_migrated = mig1 >= mig0 ? mig1 - mig0 : 0;
	r->nwake = w->wake.len;
	r->wake_total = w->wake.total;
	if (t->fini)
		t->fini(w);
	r->completed = true;
	return 0;
}
