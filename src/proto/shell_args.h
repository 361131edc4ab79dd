/* `ktstr shell`'s host<->guest contract: the options the guest needs,
 * carried on the kernel command line (ktstr_mode=shell ...).  Pure. */
#ifndef KTSTR_PROTO_SHELL_ARGS_H
#define KTSTR_PROTO_SHELL_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/topology.h>
#include "proto/guest_args.h"

#define KT_SHELL_ESCAPE 0x1d         /* Ctrl-] ends the session */
#define KT_SHELL_EXEC_MAX 1500       /* encoded --exec bytes on the command line */
#define KT_SHELL_DEFAULT_MEMORY 2048 /* MiB */
#define KT_SHELL_BPF_SYNC_MS 5000    /* the longest the guest waits for the host's BPF walk */

/* What the guest needs on its command line. */
struct kt_shell_guest_spec {
	struct ktstr_topo topo;
	const char *term;          /* $TERM, NULL: "vt100" */
	unsigned cols, rows;       /* 0: unknown */
	const char *exec;          /* NULL: interactive */
	const char *sched_guest;   /* "/sched/<name>", NULL: none */
	const char *sched_args;
	bool hvc0;                 /* the terminal is /dev/hvc0 (kvm backend), not /dev/ttyS1 */
	unsigned bpf_sync_ms;      /* with a scheduler: once it is attached, wait up to this
				    * long for the host's BPF walk (--bpf-out); 0: do not */
};

/* "ktstr_mode=shell ktstr_topo=... ..." into buf, through
 * kt_guest_args_encode (every value encoded; no leading space).  -EINVAL
 * (err says why) for a terminal name with odd characters, -E2BIG (err
 * says why) for an --exec command longer than the command line can
 * carry, a scheduler path or arguments too long, or a buf too small. */
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
	unsigned bpf_sync_ms;      /* ktstr_bpf_sync_ms= */
};
/* kt_guest_args_parse() then kt_shell_cfg_from_args(); -EINVAL when a
 * ktstr_ value does not decode or fit (see guest_args.h). */
int kt_shell_parse_cmdline(const char *cmdline, struct kt_shell_guest_cfg *out);
/* The shell's view of parsed arguments: TERM other than letters, digits
 * and ._+- becomes "vt100"; a window over 10000 columns or rows becomes
 * unknown (0 x 0). */
void kt_shell_cfg_from_args(const struct kt_guest_args *a, struct kt_shell_guest_cfg *out);

#endif
