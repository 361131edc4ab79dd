/* `ktstr shell`: boot a VM with busybox and give the user a terminal on
 * its COM2 (/dev/ttyS1; with ktstr's own VMM the virtio console
 * /dev/hvc0), or run one command (--exec) and return its exit status.
 *
 *   spec.c   pure: options -> guest command line, paths, terminal names
 *   files.c  host: --include-files (files, directories, bare names)
 *   host.c   host: raw terminal, the VM, Ctrl-] and the exit status
 *   guest.c  guest PID 1 in shell mode: busybox, tty, scheduler, shell */
#ifndef KTSTR_SHELL_H
#define KTSTR_SHELL_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/topology.h>
#include "vm/backend.h"

#define KT_SHELL_ESCAPE 0x1d         /* Ctrl-] ends the session */
#define KT_SHELL_EXEC_MAX 1500       /* encoded --exec bytes on the command line */
#define KT_SHELL_DEFAULT_MEMORY 2048 /* MiB */

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
};

/* ---- spec.c (pure) ---- */

/* What the guest needs on its command line. */
struct kt_shell_guest_spec {
	struct ktstr_topo topo;
	const char *term;          /* $TERM, NULL: "vt100" */
	unsigned cols, rows;       /* 0: unknown */
	const char *exec;          /* NULL: interactive */
	const char *sched_guest;   /* "/sched/<name>", NULL: none */
	const char *sched_args;
	bool hvc0;                 /* the terminal is /dev/hvc0 (kvm backend), not /dev/ttyS1 */
};

/* "ktstr_mode=shell ktstr_topo=... ..." into buf.  -EINVAL (err says
 * why) for a terminal name with odd characters, -E2BIG for an --exec
 * command longer than the command line can carry. */
int kt_shell_cmdline(const struct kt_shell_guest_spec *s, char *buf, size_t len, char *err, size_t errlen);

/* Lexical normalization of an absolute path ("/a/./b/../c" -> "/a/c",
 * no trailing slash).  -EINVAL for a relative path or one that leaves
 * "/" behind (the root itself). */
int kt_path_normalize(const char *in, char *out, size_t len);

/* Guest side: decode the command line back (pure as well). */
struct kt_shell_guest_cfg {
	char term[64];
	unsigned cols, rows;
	bool exec;
	char cmd[2048];
	char sched[256];
	char sched_args[2048];
	bool hvc0;                 /* ktstr_tty=hvc0: use /dev/hvc0 if the guest has it */
};
int kt_shell_parse_cmdline(const char *cmdline, struct kt_shell_guest_cfg *out);

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

/* ---- guest.c ---- */

/* Guest PID 1 when the command line has ktstr_mode=shell. */
void __attribute__((noreturn)) kt_shell_guest(const char *cmdline);

#endif
