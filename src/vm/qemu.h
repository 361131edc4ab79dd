/* The QEMU backend's pure parts, exposed for unit tests. */
#ifndef KTSTR_VM_QEMU_H
#define KTSTR_VM_QEMU_H
#include "vm/backend.h"

struct kt_qemu_argv {
	char *v[160];
	int n;
	char store[16384];
	size_t used;
	int err;          /* -E2BIG: an argument did not fit */
	char err_arg[96]; /* which one */
};
/* QEMU's argument vector for vm (its cfg and cmdline) into a: 0, or
 * -E2BIG when it does not fit, never a vector with an argument missing. */
int kt_qemu_build_argv(const struct vm *vm, const char *qemu, bool kvm, struct kt_qemu_argv *a);
/* Restore instead of boot: the same for a guest that parks (its kernel
 * command line park_cmdline, a QMP monitor on fd KT_QEMU_FD_QMP), and
 * with incoming also "-incoming defer" last: the snapshot's vector plus
 * that, nothing else. */
int kt_qemu_build_argv_park(const struct vm *vm, const char *qemu, bool kvm, const char *park_cmdline,
			    bool incoming, struct kt_qemu_argv *a);

#define KT_QEMU_FD_BASE 100 /* where the child places the fds it hands to QEMU */
#define KT_QEMU_FD_QMP (KT_QEMU_FD_BASE + VM_MAX_NODES + 2)
#define KT_QEMU_FD_STATE (KT_QEMU_FD_BASE + VM_MAX_NODES + 3)

/* The backend's state (src/vm/qemu.c, qemu_snap.c). */
struct qemu {
	pid_t pid;
	bool reaped;
	int status;
	int in_fd;  /* our end of COM2's socket, for console input; -1: none */
	int qmp_fd; /* our end of the QMP socket; -1: none */
	/* Snapshot creation: waiting for the guest to park (lock_fd held). */
	bool snap_pending;
	int lock_fd;
	char key[65];
	char qemu_path[4096];
};
/* Start QEMU with argv a: the consoles' pipes into vm, a QMP socket when
 * qmp, state_fd (>= 0) handed over as KT_QEMU_FD_STATE.  0 or -errno. */
int kt_qemu_spawn(struct vm *vm, struct qemu *q, struct kt_qemu_argv *a, bool qmp, int state_fd);
/* Kill and reap QEMU and close what kt_qemu_spawn opened. */
void kt_qemu_unspawn(struct vm *vm, struct qemu *q);
/* cfg->restore (src/vm/qemu_snap.c): restore, or boot parked to take a
 * snapshot; 0 when QEMU runs, 1 when the caller is to boot plainly (the
 * reason said at -v), never an error of its own. */
int kt_qemu_snap_launch(struct vm *vm, struct qemu *q, bool kvm);
void kt_qemu_snap_service(struct vm *vm);
void kt_qemu_snap_end(struct qemu *q);

#endif
