/* The VM layer: boot a kernel + initramfs with an exact topology, stream
 * COM1 (kernel console) and COM2 (application channel), expose guest RAM
 * and a shared-memory region to the host, enforce a wall-clock timeout and
 * classify how the guest ended.  Backends (QEMU, our own KVM VMM) plug in
 * below struct vm_backend_ops; nothing above kt_vm_run() knows which runs. */
#ifndef KTSTR_VM_BACKEND_H
#define KTSTR_VM_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ktstr/topology.h>
#include "util/util.h"
#include "util/capture.h"

#define VM_MAX_NODES 8
#define VM_SHM_GPA 0x10000000ull  /* 256 MiB: above the kernel, below the initrd */
#define VM_SHM_SIZE (4u << 20)
/* Restorable boots: the hand-over page (proto/handover.h) right after
 * the shared region, reserved with a second memmap= only then. */
#define VM_PARK_GPA (VM_SHM_GPA + VM_SHM_SIZE)
#define VM_PARK_SIZE 4096u
#define VM_MIN_NODE_MB 512
#define VM_MAX_DISKS 2
#define VM_PANIC_MARKER "Kernel panic - not syncing"
/* How long a guest that printed the marker may still run (its trace,
 * its own reboot) before the VM is stopped and reported as panicked. */
#define VM_PANIC_GRACE_NS 3000000000ull

enum vm_vmm { VMM_AUTO = 0, VMM_QEMU, VMM_KVM };

enum vm_exit {
	VM_EXIT_NONE = 0,
	VM_EXIT_POWEROFF,    /* guest powered off */
	VM_EXIT_RESET,       /* guest rebooted (triple fault, reboot()) */
	VM_EXIT_PANIC,       /* guest kernel panicked */
	VM_EXIT_TIMEOUT,     /* wall-clock limit hit; VM killed */
	VM_EXIT_CRASH,       /* the VMM failed or died */
	VM_EXIT_INTERRUPTED, /* host got SIGINT/SIGTERM */
};
const char *kt_vm_exit_name(enum vm_exit e);

struct vm_disk {
	const char *path; /* backing file (or block device), NULL: none */
	bool ro;          /* read-only: offered as VIRTIO_BLK_F_RO, writes fail */
};

struct vm_config {
	const char *kernel;  /* bzImage */
	const char *initrd;  /* cpio */
	const char *cmdline; /* appended after the common arguments */
	const char *kernel_args; /* a test's own (kt_kernel_args_check), before cmdline; NULL: none */
	struct ktstr_topo topo;
	unsigned memory_mb;
	unsigned timeout_ms;
	enum vm_vmm vmm;
	bool console_to_stderr; /* echo COM1/COM2 live (verbose) */
	/* The guest will itself run KVM guests (a nested rig's L1): QEMU
	 * exposes the host vendor's virtualization extension (TCG: `-cpu
	 * max`, AMD SVM) instead of the Intel vendor string it otherwise uses
	 * to get one LLC per die; L1's own topology may then differ. */
	bool nested_host;
	/* Boot with KASLR (the default command line has nokaslr). */
	bool kaslr;
	/* Interactive use (`ktstr shell`): bytes read from input_fd go to
	 * COM2's receiver (the guest's /dev/ttyS1), through hooks->input. */
	bool com2_input;
	int input_fd;
	bool com2_stream_only; /* COM2 only through hooks->output, not kept in the result */
	/* kvm backend only: that input goes to the virtio console (the
	 * guest's /dev/hvc0) instead of COM2. */
	bool input_hvc0;
	/* kvm backend only: virtio-blk disks, the guest's /dev/vda and
	 * /dev/vdb in order, read with pread/pwrite on the host file. */
	struct vm_disk disks[VM_MAX_DISKS];
	/* Performance mode (docs/performance.md, src/vm/perf.h): vCPU
	 * threads pinned one per host CPU, guest LLCs on distinct host LLCs
	 * (locked under the cache directory), SCHED_FIFO, a service CPU,
	 * hugepages and mbind where available.  cpu_cap (0: none) bounds the
	 * host CPUs used; without perf_mode the vCPU threads share that many. */
	bool perf_mode;
	unsigned cpu_cap;
	/* Restore instead of boot (QEMU backend, docs/performance.md): boot
	 * from a snapshot of a guest parked at init when one matches, else
	 * boot cold, parked, and snapshot it for the next time.  cmdline
	 * must then hold only ktstr_ words (they reach the guest through
	 * the hand-over page).  Ignored where a snapshot cannot be used. */
	bool restore;
};

/* Guest RAM of one NUMA node: the nodes' regions laid out back to back
 * from offset 0 make the machine's RAM; where each byte appears in the
 * guest-physical space is the backend's business (vm_ram_range). */
struct vm_region {
	uint64_t off; /* offset in the machine's RAM (not a guest-physical address) */
	size_t size;
	int fd;     /* memfd backing it (the backend maps/passes it) */
	void *host; /* host mapping, MAP_SHARED */
};

/* One guest-physical range of RAM and its host mapping.  A region can be
 * split by the hole below 4 GiB, so there may be one more range per
 * region. */
struct vm_ram_range {
	uint64_t gpa, size;
	void *host;
	unsigned node;
};
#define VM_MAX_RAM_RANGES (2 * VM_MAX_NODES)

struct vm;
struct vm_hooks {
	void *arg;
	/* Before launch: the shared region is mapped and zeroed. */
	void (*prepare)(void *arg, struct vm *vm);
	/* Console bytes as they arrive: port 1 = COM1, 2 = COM2, 3 = the
	 * virtio console hvc0 (kvm backend; only streamed, never kept in
	 * the result). */
	void (*output)(void *arg, int port, const char *data, size_t len);
	/* Called about every 100 ms while the guest runs. Return true to
	 * stop the VM early (e.g. the result has arrived). */
	bool (*tick)(void *arg, struct vm *vm);
	/* After the guest ended (and the last tick), before guest RAM is
	 * unmapped; also when the launch failed after prepare. */
	void (*finish)(void *arg, struct vm *vm);
	/* With cfg->com2_input: bytes read from input_fd before they go to
	 * the guest; may rewrite them in place; returns how many to send. */
	size_t (*input)(void *arg, char *data, size_t len);
};

struct vm_result {
	enum vm_exit exit;
	int vmm_status;       /* VMM exit status where there is one */
	uint64_t wall_ns;     /* launch to exit */
	uint64_t first_output_ns; /* launch to the first COM1 byte */
	char vmm_name[16];
	char accel[16];       /* "kvm", "tcg" */
	char detail[512];     /* why, for PANIC/CRASH/TIMEOUT */
	/* The consoles, bounded (head, tail, bytes dropped between): a
	 * flooding guest costs no more host memory than a quiet one. */
	struct kt_capture com1, com2;
	struct kt_marker panic; /* "Kernel panic - not syncing" on COM1, seen as it arrived */
};
void kt_vm_result_free(struct vm_result *r);

/* Backend contract. */
struct vm {
	const struct vm_config *cfg;
	const struct vm_backend_ops *ops;
	struct vm_region regions[VM_MAX_NODES];
	unsigned nregions;
	/* The guest-physical map of RAM, from the backend's ram_map before
	 * launch: what kt_vm_read_phys()/kt_vm_write_phys() use. */
	struct vm_ram_range ram[VM_MAX_RAM_RANGES];
	unsigned nram;
	void *shm;             /* host view of the shared region */
	size_t shm_size;
	uint64_t shm_gpa;
	char cmdline[4096];    /* full kernel command line */
	int out_fd[4];         /* [1] COM1, [2] COM2, [3] hvc0 readable by the host (-1: closed) */
	int log_fd;            /* VMM diagnostics (stderr), -1 if none */
	struct kbuf vmm_log;
	char accel[16];
	void *priv;            /* backend state */
	struct kt_perf *perf;  /* perf mode / --cpu-cap state (vm/perf.h), NULL: none */
};

struct vm_backend_ops {
	const char *name;
	/* Can this backend run here?  0, or -errno with a reason. */
	int (*available)(char *why, size_t len);
	/* Pure: where the machine's RAM (the n regions) appears in the
	 * guest-physical space of this backend's machine, at most max
	 * ranges in ascending order; their number, or -EINVAL. */
	int (*ram_map)(const struct vm_region *r, unsigned n, struct vm_ram_range *out, unsigned max);
	/* Start the guest; sets vm->accel, calls kt_vm_build_cmdline(), sets
	 * out_fd[1], out_fd[2], log_fd. */
	int (*launch)(struct vm *vm);
	/* Non-blocking: has the guest ended?  Sets *exit (POWEROFF, RESET,
	 * PANIC or CRASH) and *status when it has. */
	bool (*exited)(struct vm *vm, enum vm_exit *exit, int *status);
	/* Stop the guest now (timeout, interrupt), reaping everything. */
	void (*kill)(struct vm *vm);
	void (*destroy)(struct vm *vm);
	/* Optional: the host thread running vCPU `cpu`, as process pid and
	 * thread tid (/proc/<pid>/task/<tid>), once it exists; 0 or -errno.
	 * Callable from any thread between launch and destroy. */
	int (*vcpu_thread)(struct vm *vm, unsigned cpu, pid_t *pid, pid_t *tid);
	/* Bytes for COM2's receiver (or hvc0's with cfg->input_hvc0),
	 * without blocking: how many were taken
	 * (0 when the guest is not reading yet), or -errno.  NULL: this
	 * backend has no console input. */
	ssize_t (*input)(struct vm *vm, const char *data, size_t len);
	/* Optional: called on every turn of the run loop (about every 50
	 * ms), before exited(). */
	void (*service)(struct vm *vm);
};

extern const struct vm_backend_ops kt_vm_qemu_ops;
extern const struct vm_backend_ops kt_vm_kvm_ops; /* src/vm/kvm: our own VMM */

/* Pick the backend for cfg->vmm (auto: kvm where /dev/kvm boots a stock
 * kernel, else qemu) — see kt_vm_select(). */
const struct vm_backend_ops *kt_vm_select(enum vm_vmm want, char *why, size_t len);
int kt_vm_parse_vmm(const char *s, enum vm_vmm *out);

/* Boot, stream, wait, classify.  Returns 0 when the guest ran (whatever
 * its end), -errno when it could not be started (message printed). */
int kt_vm_run(const struct vm_config *cfg, const struct vm_hooks *hooks, struct vm_result *res);

/* Performance mode: the host CPU the monitor and the VM's service
 * threads run on, -1: none (callable from any thread while it runs). */
int kt_vm_service_cpu(const struct vm *vm);

/* kt_interrupted (util.h) set: every running kt_vm_run() stops its
 * guest and returns VM_EXIT_INTERRUPTED. */

/* For backends: the full kernel command line into vm->cmdline (after
 * vm->accel is known, so the guest can scale timing thresholds); the
 * ktstr_shm= and ktstr_accel= words through kt_guest_args_encode().
 * -ENAMETOOLONG (message printed, vm->cmdline empty) when it does not
 * fit, never a cut line. */
int kt_vm_build_cmdline(struct vm *vm);
/* For restorable boots, from vm->cmdline: the command line of a guest
 * that parks at VM_PARK_GPA, without the caller's cfg->cmdline words
 * (those come with the hand-over), into buf.  -ENAMETOOLONG, or -EINVAL
 * when vm->cmdline does not end with them. */
int kt_vm_park_cmdline(const struct vm *vm, char *buf, size_t len);

/* For backends' ram_map: the regions laid out back to back, what lies
 * below low_end at its own offset and the rest from high_start on (a
 * region may straddle low_end).  The number of ranges, or -EINVAL when
 * more than max. */
int kt_vm_ram_split(const struct vm_region *r, unsigned n, uint64_t low_end, uint64_t high_start,
		    struct vm_ram_range *out, unsigned max);

/* Guest-physical access to RAM through vm->ram (a range may continue
 * in the next one), bounds-checked: -EFAULT where there is no RAM. */
int kt_vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len);
int kt_vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len);

#endif
