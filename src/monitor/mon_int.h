/* Internal state of one VM's monitor (sample.c: thread and sampling,
 * timeline.c: verdict and JSON). */
#ifndef KTSTR_MONITOR_MON_INT_H
#define KTSTR_MONITOR_MON_INT_H
#include "monitor/monitor.h"

#include <pthread.h>
#include <stdatomic.h>

#define KT_MON_MAX_CPU_ENTRIES 400000u /* samples x CPUs kept (about 35 MB) */
#define KT_MON_MAX_EVENTS 2048u
#define KT_MON_MAX_PROBES 4096u
#define KT_MON_LOCATE_MS 100u /* at most one attempt to locate the kernel per this */

struct kt_mon_event {
	uint64_t t_ns;
	char kind[16];
	char detail[200];
	bool have_iter;       /* step events: every worker's iterations so far */
	uint64_t iter;
};

struct kt_mon_xcheck {
	unsigned nr_total, nr_matched, nr_agree; /* nr_running readings */
	char nr_first_bad[200];
	unsigned kernel_checked, kernel_bad;      /* _text va/pa, vmalloc walks */
	char kernel_first_bad[400];
};

struct kt_monitor {
	const struct kt_layout *l;
	struct kt_mon_opts o;
	struct vm *vm;            /* NULL after stop: it lives in kt_vm_run() */
	uint64_t t0;
	unsigned ncpus;
	bool tcg;
	pthread_t th;
	bool started, running;
	bool sched_exit_seen;     /* the VM loop's thread only (kt_monitor_ring_msg) */
	_Atomic bool stop;

	/* Owned by the thread while it runs. */
	struct kt_xlate x;
	bool ready;               /* kernel located, per-CPU areas set up */
	char wait_why[160];       /* why not ready yet */
	uint64_t *rq_va;          /* per CPU */
	int *vcpu_fd;             /* /proc/.../schedstat, -1 unknown */
	bool vcpu_any;
	bool vcpu_named;          /* the backend names vCPU threads */
	char selfcheck[240];      /* "ok" or the disagreement */
	uint64_t t_located;
	unsigned char *rqbuf;
	struct kt_mon_sample *s;
	struct kt_mon_cpu *c;
	size_t n, cap;
	unsigned long dropped;
	uint64_t read_ns;         /* thread CPU time spent sampling */
	struct strlist degraded;  /* this run's, besides the layout's */
	struct kt_mon_cap *capture; /* KTSTR_MON_CAPTURE (capture.c), else NULL */
	struct kt_mon_bpf *bpf;     /* BPF programs and maps, host writes (bpf_mon.c) */
	struct kt_mon_task *tasks;  /* the walk's scratch (walk.c) */
	size_t tasks_cap;

	_Atomic uint64_t phys_delta; /* phys_load - link-time physical, once located */
	_Atomic bool located;
	/* The first sustained violation seen live (sample.c), under lock. */
	_Atomic bool live_fired;
	char live_msg[300];
	uint64_t t_ready;         /* the thread's: "ready" seen at, 0: not yet */

	/* Shared with the VM loop's thread. */
	pthread_mutex_t lock;
	pthread_cond_t wake;        /* CLOCK_MONOTONIC; signalled by stop */
	struct kt_mon_event *ev;
	size_t nev;
	struct kt_mon_probe *probe; /* waiting for the thread */
	size_t nprobe;
	struct kt_mon_probe *nrp;   /* nr_running readings, matched after stop */
	size_t nnrp;
	struct kt_mon_xcheck xc;

	/* After stop. */
	bool evaluated;
	struct kt_mon_verdict v;
	uint64_t judge_from, judge_to; /* ns since launch, 0: none */
};

/* walk.c: every CPU's waiting sched_ext tasks into buf (0; -EAGAIN or
 * -EFAULT: the lists changed under the walk or do not read) */
int kt_mon_walk(struct kt_monitor *m, struct kt_mon_task *buf, size_t cap, size_t *n);
/* sample.c */
void *kt_mon_thread(void *arg);
int kt_mon_phys_read(void *ctx, uint64_t pa, void *buf, size_t len); /* kt_vm_read_phys */
/* capture.c: KTSTR_MON_CAPTURE=DIR (NULL when unset; the others accept NULL) */
struct kt_mon_cap *kt_mon_cap_new(const char *dir);
void kt_mon_cap_located(struct kt_mon_cap *c, const struct kt_xlate *x);
void kt_mon_cap_probe(struct kt_mon_cap *c, const struct kt_xlate *x, const struct kt_mon_probe *p);
void kt_mon_cap_finish(struct kt_mon_cap *c, const struct kt_xlate *x); /* writes and frees */
/* bpf_mon.c: walk prog_idr/map_idr every 500 ms once ready (and when
 * last), do a pending host map write */
struct kt_mon_bpf *kt_mon_bpf_new(void);
void kt_mon_bpf_tick(struct kt_monitor *m, const uint64_t *pcpu, bool last);
void kt_mon_bpf_free(struct kt_monitor *m);
/* bpf_capture.c: KTSTR_MON_CAPTURE=DIR, the BPF walk's pages and results */
void kt_mon_bpf_capture(struct kt_monitor *m, const uint64_t *pcpu, const char *dir);
/* timeline.c */
void kt_mon_finish(struct kt_monitor *m);
/* When judging starts: one sustained window after the workers started
 * (the scenario_start event at or after "ready" at t_ready), else the
 * reference's warm-up after "ready"; 0 while neither is known.  The
 * caller holds m->lock or the thread is stopped. */
uint64_t kt_mon_judge_from(const struct kt_monitor *m, uint64_t t_ready);

#endif
