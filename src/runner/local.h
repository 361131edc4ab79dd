/* The host side of bare-metal runs (runner/local.c). */
#ifndef KTSTR_RUNNER_LOCAL_H
#define KTSTR_RUNNER_LOCAL_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/topology.h>

struct kt_local {
	char root[64];          /* the cgroup2 mount */
	char base[PATH_MAX];    /* <root>/ktstr-<pid> */
	char controllers[256];  /* the root's cgroup.controllers */
	bool have_cpuset;
};

/* Find the cgroup2 hierarchy, name this run's base, route SIGINT/SIGTERM
 * to the running case's child.  -ENOENT: no cgroup2 hierarchy. */
int kt_local_setup(struct kt_local *l);
/* Remove the base and everything under it. */
void kt_local_cleanup(const struct kt_local *l);
/* The host's topology in ktstr's uniform form; one LLC of all CPUs when
 * the host's numbering or sizes are not uniform (note says so). */
void kt_local_topo(struct ktstr_topo *t, char *note, size_t len);
/* The active scheduler: the sched_ext scheduler's name, else "eevdf". */
void kt_local_sched(char *buf, size_t len);

#endif
