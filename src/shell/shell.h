/* `ktstr shell`: boot a VM with busybox and give the user a terminal on
 * its COM2 (/dev/ttyS1; with ktstr's own VMM the virtio console
 * /dev/hvc0), or run one command (--exec) and report its exit status.
 *
 *   host.c   host: raw terminal, the VM, Ctrl-] and the exit status
 * --include-files (files, directories, bare names) is kt_include_collect()
 * of src/initramfs/include.c, shared with the payloads' packing.
 * The guest command line is proto/shell_args.c; guest PID 1 in shell mode
 * is guest/shell.c. */
#ifndef KTSTR_SHELL_H
#define KTSTR_SHELL_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/topology.h>
#include "vm/backend.h"
#include "proto/shell_args.h"
#include "runner/bpf_run.h"

struct kt_shell_opts {
	const char *kernel;        /* --kernel (NULL: resolve) */
	enum vm_vmm vmm;
	struct ktstr_topo topo;
	unsigned memory_mb;
	const char *scheduler;     /* host path or kernel-built name, NULL: EEVDF */
	const char *sched_args;
	const char *const *include; /* --include-files, n_include of them */
	size_t n_include;
	const char *exec;          /* --exec CMD, NULL: interactive */
	bool verbose;              /* kernel console to stderr too */
	/* Non-NULL: the host monitor reads the guest's BPF programs and
	 * maps from guest memory while it runs (and at its end), and the
	 * scheduler's verifier logs are kept; filled in after the run. */
	struct kt_bpf_run *bpf;
	bool quiet;                /* no command output on stdout (ktstr verifier) */
	/* Pass "--log-level N" to the scheduler when its binary has that
	 * option (scx_ktstr: the verifier log of every program); 0: never. */
	unsigned log_level;
};

/* ---- host.c ---- */

/* How a session ended. */
struct kt_shell_end {
	int status;     /* the shell's or the command's exit status, 0..255 (0 after Ctrl-]) */
	bool detached;  /* Ctrl-] ended it */
	bool bad_input; /* on error: the options, or what they name, are at fault */
};

/* Runs the session.  Returns 0 when the guest reported the exit status
 * of the shell or the command, or Ctrl-] ended it: end->status.
 * -EINTR when SIGINT/SIGTERM on the host stopped the VM.  Otherwise
 * -errno with a message printed: with end->bad_input for unusable
 * options (an interactive session without a terminal, the VMM, kernel,
 * scheduler or an included file not there or not usable, a command too
 * long for the kernel command line); without it when the VM could not
 * run, or the guest ended without reporting a status (-ENODATA) or
 * panicked, crashed or timed out (-EIO). */
int kt_shell_run(const struct kt_shell_opts *o, struct kt_shell_end *end);

#endif
