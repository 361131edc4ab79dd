/* The guest's kernel command line as ktstr uses it: every ktstr_*=
 * parameter the host passes to PID 1, in one struct, with one encoder
 * (host) and one parser (guest).  Every string value is carried through
 * kt_arg_encode(), so no value can add a kernel parameter or split a
 * word.  Pure functions; the guest side treats the input as untrusted.
 *
 * Parameters (docs/protocol.md):
 *   ktstr_mode=shell            `ktstr shell` (default: run a test)
 *   ktstr_test=NAME             the registered test to run
 *   ktstr_topo=TOPO             the topology asked for (1n2l2c1t)
 *   ktstr_duration_ms=N         the scenario duration
 *   ktstr_sched=PATH            the scheduler, a guest path (/sched/NAME)
 *   ktstr_sched_args=ARGS       its arguments
 *   ktstr_sched_attach_ms=N     how long it may take to attach
 *   ktstr_sched_helper_cpus=L   CPUs the scheduler's helpers may use
 *   ktstr_probe=LIST            auto-repro: functions to probe (f1,bpf:cb,...)
 *   ktstr_nested=l2             an L2 guest of the nested rig
 *   ktstr_shm=ADDR,SIZE         the shared region (set by the VM layer)
 *   ktstr_accel=ACCEL           kvm | tcg | ... (set by the VM layer)
 *   ktstr_park=ADDR             restorable boot: wait at the hand-over page
 *                               at ADDR for the test's command line
 *                               (proto/handover.h; set by the VM layer)
 *   ktstr_term/_cols/_rows/_exec/_tty   `ktstr shell` terminal and command
 *   ktstr_bpf_sync_ms=N         `ktstr shell`: after the scheduler attaches,
 *                               wait up to N ms for the host's BPF walk */
#ifndef KTSTR_PROTO_GUEST_ARGS_H
#define KTSTR_PROTO_GUEST_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kt_guest_mode { KT_GUEST_TEST = 0, KT_GUEST_SHELL };

struct kt_guest_args {
	enum kt_guest_mode mode;
	char test[128];
	char topo[32];
	unsigned duration_ms;       /* 0: absent */
	char sched[256];            /* "": no scheduler (EEVDF) */
	char sched_args[2048];
	unsigned sched_attach_ms;   /* 0: absent */
	char sched_helper_cpus[64];
	char probe[1024];           /* auto-repro probe list, "": no probes */
	bool nested_l2;
	uint64_t shm_addr, shm_size; /* 0: absent */
	uint64_t park_addr;          /* 0: absent */
	char accel[16];
	/* ktstr shell */
	char term[64];
	unsigned cols, rows;
	unsigned bpf_sync_ms;       /* 0: absent */
	bool have_exec;
	char exec[2048];
	bool tty_hvc0;
};

/* Append the parameters that are set (non-empty / non-zero; ktstr_exec=
 * whenever have_exec, even for an empty command) to buf as " key=value"
 * words, in the order of the struct; buf must hold a C string already
 * ("" to start).  -ENAMETOOLONG when the result would not fit len, and
 * -EINVAL for an unknown mode, a string field without its NUL, or a buf
 * without a C string; buf is then left exactly as it was. */
int kt_guest_args_encode(const struct kt_guest_args *a, char *buf, size_t len);
/* Parse a whole command line (/proc/cmdline).  Unknown words are
 * ignored, and only whole words count ("xktstr_test=" is not
 * ktstr_test=); the first of a repeated key wins.  -EINVAL for a value
 * that does not decode or fit its field, a number that is not plain
 * decimal within unsigned, a ktstr_shm= that is not 0xADDR,0xSIZE, or a
 * ktstr_mode= / ktstr_nested= other than shell / l2; the struct then
 * holds what parsed before it, the VM layer's ktstr_shm= and
 * ktstr_accel= being parsed first.  ktstr_tty= other than hvc0 means the
 * default terminal. */
int kt_guest_args_parse(const char *cmdline, struct kt_guest_args *a);
/* A test's extra kernel parameters (.kernel_args), put on the command
 * line as they are, after ktstr's defaults (so they override them) and
 * before the ktstr_ words: 0 when they are words of printable ASCII
 * without quotes, backslashes or a '--' (the rest would go to init), none
 * a ktstr_ word, at most 512 bytes; else -EINVAL with why in err. */
int kt_kernel_args_check(const char *args, char *err, size_t len);

#endif
