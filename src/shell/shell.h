/* `ktstr shell`: boot a VM with busybox and give the user a terminal on
 * its COM2 (/dev/ttyS1; with ktstr's own VMM the virtio console
 * /dev/hvc0), or run one command (--exec) and return its exit status.
 *
 *   files.c  host: --include-files (files, directories, bare names)
 *   host.c   host: raw terminal, the VM, Ctrl-] and the exit status
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

/* ---- files.c ---- */

struct kt_shell_file {
	char *src;  /* host path to read */
	char *dst;  /* archive path (no leading '/') */
};
struct kt_shell_files {
	struct kt_shell_file *v;
	size_t n, cap;
};
/* Each argument: a file or a directory (recursively, regular files)
 * placed at the same absolute path in the guest; a bare name is looked
 * up in $PATH.  Bad input: message printed, -ENOENT/-EINVAL. */
int kt_shell_collect(const char *const *args, size_t n, struct kt_shell_files *out);
void kt_shell_files_free(struct kt_shell_files *f);

/* ---- host.c ---- */

/* Runs the session.  Returns the process exit status: the shell's or
 * the command's exit status, 0 after Ctrl-], 2 on bad input, 1 when the
 * VM failed (message printed). */
int kt_shell_run(const struct kt_shell_opts *o);

#endif
