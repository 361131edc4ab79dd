/* What a VM run sets up once for all its cases: the kernel, the
 * schedulers' binaries, the initramfs (and the nested rig's), the
 * watchdog symbol and the monitor's view of the kernel. */
#ifndef KTSTR_RUNNER_PREPARE_H
#define KTSTR_RUNNER_PREPARE_H
#include <limits.h>
#include "runner/exec.h"
#include "kernel/kernel.h"

struct kt_sched_file {
	const struct ktstr_scheduler *s;
	char host[PATH_MAX];
	char guest[300]; /* "sched/<basename>" */
};

/* A test whose payloads (binaries, libraries, files) are packed into an
 * initramfs of its own: the run's plus them. */
struct kt_prep_payload {
	const struct ktstr_test *t;
	char initrd[PATH_MAX];
};

struct kt_prep {
	struct kernel_info k;
	struct kt_sched_file *sched;
	size_t nsched;
	char initrd[PATH_MAX], initrd_nested[PATH_MAX];
	struct kt_prep_payload *pl;
	size_t npl;
	struct kt_wd_loc wd;       /* the watchdog's variables; zeroes: not needed/unknown */
	struct kt_layout *mon;     /* NULL: no monitor */
};

/* Everything before the first VM boots.  -EINVAL: bad input (said why:
 * no kernel, a scheduler or payload binary that cannot be found, no
 * watchdog symbol);
 * another -errno: the set-up failed (said why). */
int kt_prep_vm(struct kt_prep *p, const struct kt_case *cases, size_t n, const struct kt_run_opts *o);
/* The environment kt_case_exec() needs, from p and the run's options. */
void kt_prep_env(const struct kt_prep *p, const struct kt_run_opts *o, struct kt_exec_env *env);
void kt_prep_free(struct kt_prep *p);

#endif
