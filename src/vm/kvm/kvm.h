/* State of one VM run by the kvm backend (internal to src/vm/kvm). */
#ifndef KTSTR_VM_KVM_KVM_H
#define KTSTR_VM_KVM_KVM_H
#include "vm/kvm/kvmm.h"

#include <pthread.h>
#include <stdatomic.h>

struct kvmm;
struct kvmm_vio; /* vdev.c: the virtio-mmio devices */

struct kvmm_port {
	struct kvmm *k;
	pthread_mutex_t lock;
	bool lock_init;
	struct kvmm_uart uart;
	int fd;          /* write end of the pipe the run loop reads */
	unsigned irq;
	size_t len;
	char buf[4096];  /* line buffer */
};

struct kvmm_vcpu {
	struct kvmm *k;
	unsigned idx;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	pthread_t th;
	_Atomic pid_t tid; /* the vCPU thread's, 0 until it runs (for the monitor) */
	bool started;
	unsigned mmio_logged;
};

struct kvmm {
	struct vm *vm;
	int kvm_fd, vm_fd;
	size_t run_size;
	unsigned ncpus;
	struct kvmm_vcpu *vcpu;
	struct kvm_cpuid2 *supported;
	struct kvmm_chunk mem[KVMM_MAX_CHUNKS];
	unsigned nmem;
	struct kvmm_port port[2]; /* COM1, COM2 */
	int log_w;
	uint64_t t_launch;
	_Atomic int exit;         /* enum vm_exit, NONE while running */
	int status;
	_Atomic bool stop;
	_Atomic uint16_t pm1_enable; /* ACPI PM1a enable register */
	struct kvmm_vio *vio;
};

/* setup.c: create the VM, its memory, load the guest, create vCPUs. */
/* kt_err "kvm: <message>" and return -err (setup and device errors). */
int kt_vmm_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kt_vmm_create(struct kvmm *k);
bool kt_vmm_host_emulated(void);
/* kvm.c */
void kt_vmm_log(struct kvmm *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kt_vmm_end(struct kvmm *k, enum vm_exit e, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* vdev.c: the virtio-mmio devices (console, the config's disks), after
 * the memory map; their `virtio_mmio.device=` arguments appended to the
 * command line; an MMIO exit (true if it was theirs); console input (no
 * blocking: 0 when busy or while the guest's driver has no buffers
 * posted); teardown after the vCPU threads are joined. */
int kt_vmm_vio_create(struct kvmm *k);
int kt_vmm_vio_cmdline(const struct kvmm *k, char *buf, size_t len);
bool kt_vmm_vio_mmio(struct kvmm *k, uint64_t gpa, uint8_t *data, unsigned len, bool is_write);
ssize_t kt_vmm_vio_input(struct kvmm *k, const char *p, size_t n);
void kt_vmm_vio_destroy(struct kvmm *k);
/* Launch to the BSP's first KVM_RUN of the latest VM (for the benchmark). */
extern _Atomic uint64_t kt_vmm_stat_first_run_ns;

#endif
