/* Performance mode and --cpu-cap in the VM layer (vm/perf.h). */
#include "vm/perf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <ktstr/cpumask.h>

#define MPOL_BIND_ 2 /* <linux/mempolicy.h> MPOL_BIND, without libnuma */

/* One warning per process for each missing resource. */
static atomic_bool warned_huge, warned_fifo, warned_llc, warned_bind, warned_wait, warned_threads;

static void warn_once(atomic_bool *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn_once(atomic_bool *w, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (atomic_exchange(w, true))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kt_info("warning: %s", msg);
}

/* The highest-level cache of cpu: its sharing CPUs' first one (the LLC
 * id); -1 when sysfs has no cache information. */
static int llc_id_of(const char *root, unsigned cpu)
{
	int best_level = -1, id = -1;

	for (unsigned i = 0; i < 16; i++) {
		char path[256], buf[4096];
		struct ktstr_cpumask m;
		int level;

		snprintf(path, sizeof(path), "%s/cpu%u/cache/index%u/level", root, cpu, i);
		if (kt_read_file_str(path, buf, sizeof(buf)))
			break;
		level = atoi(buf);
		snprintf(path, sizeof(path), "%s/cpu%u/cache/index%u/shared_cpu_list", root, cpu, i);
		if (level < best_level || kt_read_file_str(path, buf, sizeof(buf)) || kt_mask_parse(buf, &m))
			continue;
		best_level = level;
		id = kt_mask_first(&m);
	}
	return id;
}

static int node_of_cpu(const char *root, unsigned cpu)
{
	char path[256];
	struct dirent *d;
	DIR *dir;
	int node = -1;

	snprintf(path, sizeof(path), "%s/cpu%u", root, cpu);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (node < 0 && (d = readdir(dir)))
		if (!strncmp(d->d_name, "node", 4) && d->d_name[4] >= '0' && d->d_name[4] <= '9')
			node = atoi(d->d_name + 4);
	closedir(dir);
	return node;
}

int kt_host_topo_read(const char *root, const cpu_set_t *allowed, struct kt_host_topo *h)
{
	int ids[KT_PLACE_MAX_LLCS];

	memset(h, 0, sizeof(*h));
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		unsigned l;
		int id;

		if (!CPU_ISSET(cpu, allowed))
			continue;
		id = llc_id_of(root, cpu);
		if (id < 0)
			id = 0; /* no cache information: one LLC */
		for (l = 0; l < h->nllcs && ids[l] != id; l++)
			;
		if (l == h->nllcs) {
			if (h->nllcs == KT_PLACE_MAX_LLCS)
				continue; /* beyond what is placed */
			/* Keep the LLCs in ascending id order. */
			for (l = h->nllcs; l > 0 && ids[l - 1] > id; l--) {
				ids[l] = ids[l - 1];
				h->llc[l] = h->llc[l - 1];
			}
			ids[l] = id;
			memset(&h->llc[l], 0, sizeof(h->llc[l]));
			h->llc[l].node = node_of_cpu(root, cpu);
			h->nllcs++;
		}
		if (h->llc[l].ncpus < KT_PLACE_MAX_LLC_CPUS)
			h->llc[l].cpus[h->llc[l].ncpus++] = cpu;
	}
	return h->nllcs ? 0 : -ENOENT;
}

static void unlock_all(struct kt_perf *p, uint64_t keep)
{
	for (unsigned l = 0; l < KT_PLACE_MAX_LLCS; l++)
		if (p->lock_fd[l] >= 0 && !(keep >> l & 1)) {
			close(p->lock_fd[l]); /* releases the flock */
			p->lock_fd[l] = -1;
		}
}

/* Lock the LLCs of `want` not held yet; those another run holds are
 * cleared from *avail.  true when every one is held. */
static bool lock_llcs(struct kt_perf *p, const struct kt_host_topo *h, const char *dir, uint64_t want,
		      uint64_t *avail)
{
	bool all = true;

	for (unsigned l = 0; l < h->nllcs; l++) {
		char path[4200];
		int fd;

		if (!(want >> l & 1) || p->lock_fd[l] >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/llc-%u.lock", dir, h->llc[l].cpus[0]);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB)) {
			p->lock_fd[l] = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		*avail &= ~(1ull << l);
		all = false;
	}
	return all;
}

int kt_perf_begin(struct kt_perf *p, const struct vm_config *cfg, unsigned wait_ms)
{
	struct kt_host_topo *h = calloc(1, sizeof(*h));
	uint64_t all, avail, t_end = kt_now_ns() + (uint64_t)wait_ms * 1000000ull;
	char dir[4096], why[256];
	cpu_set_t allowed;
	int ret;

	memset(p, 0, sizeof(*p));
	for (unsigned l = 0; l < KT_PLACE_MAX_LLCS; l++)
		p->lock_fd[l] = -1;
	p->perf = cfg->perf_mode;
	if (!h)
		return kt_err(ENOMEM, "perf-mode: host topology");
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		ret = kt_err(errno, "perf-mode: sched_getaffinity");
		goto out;
	}
	p->have_caller_mask = !pthread_getaffinity_np(pthread_self(), sizeof(p->caller_mask), &p->caller_mask);
	ret = kt_host_topo_read("/sys/devices/system/cpu", &allowed, h);
	if (ret) {
		kt_err(-ret, "perf-mode: read the host's CPUs from /sys/devices/system/cpu");
		goto out;
	}
	all = h->nllcs >= 64 ? ~0ull : (1ull << h->nllcs) - 1;
	if (!p->perf) { /* --cpu-cap alone: no locks, a soft CPU set */
		ret = kt_place_cap(h, all, cfg->cpu_cap, &p->pl, why, sizeof(why));
		if (ret)
			kt_err(0, "%s", why);
		goto out;
	}
	if (kt_cache_root(dir, sizeof(dir)) || strlen(dir) + 7 >= sizeof(dir)) {
		ret = kt_err(0, "perf-mode: no cache directory for the LLC locks (set KTSTR_CACHE_DIR)");
		goto out;
	}
	strcat(dir, "/locks");
	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = kt_err(errno, "perf-mode: create %s", dir);
		goto out;
	}
	for (avail = all;;) {
		/* Place over the LLCs not known to be held and lock what that
		 * uses; when some were held, place again without them. */
		ret = kt_place_perf(h, avail, &cfg->topo, cfg->cpu_cap, &p->pl, why, sizeof(why));
		if (ret && (ret == -EINVAL || avail == all)) { /* does not fit this host at all */
			kt_err(0, "perf-mode: %s", why);
			goto out;
		}
		if (!ret && lock_llcs(p, h, dir, p->pl.llcs, &avail)) {
			unlock_all(p, p->pl.llcs);
			break;
		}
		if (!ret)
			continue;
		/* It fits this host, but not beside the other runs: wait. */
		unlock_all(p, 0);
		if (kt_interrupted || kt_now_ns() >= t_end) {
			ret = kt_err(EBUSY, "perf-mode: host LLCs stayed held by other runs (%s/llc-*.lock)", dir);
			goto out;
		}
		warn_once(&warned_wait, "perf-mode: waiting for host LLCs other runs hold (%s)", dir);
		nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
		avail = all;
	}
	if (p->pl.flags & KT_PLACE_SHARED_LLC)
		warn_once(&warned_llc, "perf-mode: %u guest LLCs but this host has %u LLCs free: guest LLCs share "
			  "host LLCs", cfg->topo.llcs, h->nllcs);
out:
	free(h);
	if (ret)
		unlock_all(p, 0);
	return ret;
}

unsigned kt_perf_memfd_flags(struct kt_perf *p, size_t bytes)
{
	char buf[8192], *f;
	unsigned long free_pages = 0;

	if (!p || !p->perf)
		return 0;
	if (!kt_read_file_str("/proc/meminfo", buf, sizeof(buf)) && (f = strstr(buf, "HugePages_Free:")))
		free_pages = strtoul(f + 15, NULL, 10);
	/* Each node's memfd asks again: what an earlier one took is gone. */
	if (bytes % (2u << 20) || free_pages < bytes / (2u << 20)) {
		warn_once(&warned_huge, "perf-mode: not enough free 2 MiB hugepages (%lu free, %zu MiB wanted; "
			  "/proc/sys/vm/nr_hugepages): guest memory uses normal pages", free_pages, bytes >> 20);
		return 0;
	}
	p->hugepages = true;
	return MFD_HUGETLB | (21u << 26); /* MFD_HUGE_2MB (<linux/memfd.h>: log2 size << 26) */
}

void kt_perf_bind(struct kt_perf *p, unsigned node, void *host, size_t bytes)
{
	unsigned long mask;
	int hn;

	if (!p || !p->perf || node >= 8 || (hn = p->pl.node_host[node]) < 0 || hn >= 64)
		return;
	mask = 1ul << hn;
	if (syscall(SYS_mbind, host, bytes, MPOL_BIND_, &mask, 64ul, 0u))
		warn_once(&warned_bind, "perf-mode: mbind guest node %u to host node %d: %s; memory not bound", node,
			  hn, strerror(errno));
}

static void set_affinity(pid_t tid, const unsigned *cpus, unsigned n)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	for (unsigned i = 0; i < n; i++)
		CPU_SET(cpus[i], &s);
	if (sched_setaffinity(tid, sizeof(s), &s))
		kt_debug("perf-mode: sched_setaffinity %d: %s", (int)tid, strerror(errno));
}

/* QEMU's threads that are not vCPUs (main loop, I/O, RCU) go to the
 * service CPU; our own VMM runs in this process and is left alone. */
static void service_others(pid_t pid, const pid_t *vtid, unsigned n, unsigned svc)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	if (pid == getpid())
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		pid_t t = (pid_t)atoi(d->d_name);
		unsigned i;

		for (i = 0; i < n && vtid[i] != t; i++)
			;
		if (t > 0 && i == n)
			set_affinity(t, &svc, 1);
	}
	closedir(dir);
}

void kt_perf_apply(struct kt_perf *p, struct vm *vm)
{
	unsigned n = vm->cfg->topo.llcs * vm->cfg->topo.cores * vm->cfg->topo.threads;
	pid_t *tid, pid = 0;

	if (!p || p->applied || !vm->ops->vcpu_thread)
		return;
	if (!p->give_up_ns)
		p->give_up_ns = kt_now_ns() + 5000000000ull;
	tid = calloc(n, sizeof(*tid));
	if (!tid)
		return;
	for (unsigned c = 0; c < n; c++)
		if (vm->ops->vcpu_thread(vm, c, &pid, &tid[c])) {
			if (kt_now_ns() > p->give_up_ns) {
				p->applied = true;
				warn_once(&warned_threads, "perf-mode: vCPU %u's thread not found: vCPUs not placed", c);
			}
			free(tid);
			return;
		}
	p->applied = true;
	for (unsigned c = 0; c < n; c++) {
		if (!p->perf) {
			set_affinity(tid[c], p->pl.cpus, p->pl.ncpus);
			continue;
		}
		unsigned cpu = (unsigned)p->pl.vcpu_cpu[c];

		set_affinity(tid[c], &cpu, 1);
		if (sched_setscheduler(tid[c], SCHED_FIFO, &(struct sched_param){ .sched_priority = 1 }))
			warn_once(&warned_fifo, "perf-mode: SCHED_FIFO for vCPU threads refused (%s; needs CAP_SYS_NICE "
				  "or RLIMIT_RTPRIO): they keep the normal policy", strerror(errno));
	}
	if (p->perf && p->pl.service_cpu >= 0) {
		unsigned svc = (unsigned)p->pl.service_cpu;
		cpu_set_t s;

		CPU_ZERO(&s);
		CPU_SET(svc, &s);
		pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
		service_others(pid, tid, n, svc);
	}
	kt_debug("perf-mode: %u vCPU threads placed%s", n, p->perf ? ", SCHED_FIFO 1" : " (--cpu-cap set)");
	free(tid);
}

int kt_vm_service_cpu(const struct vm *vm)
{
	return vm && vm->perf && vm->perf->perf ? vm->perf->pl.service_cpu : -1;
}

void kt_perf_end(struct kt_perf *p)
{
	if (!p)
		return;
	unlock_all(p, 0);
	if (p->have_caller_mask)
		pthread_setaffinity_np(pthread_self(), sizeof(p->caller_mask), &p->caller_mask);
	p->have_caller_mask = false;
}
