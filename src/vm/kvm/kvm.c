/* The kvm backend: VM and vCPU lifecycle on /dev/kvm and KVM_RUN exit
 * dispatch.  One host thread per vCPU; in-kernel PIC/IOAPIC/LAPIC and PIT;
 * we emulate two 16550s (COM1, COM2 -> pipes the run loop reads), the
 * i8042 reset line, ACPI PM1 (power-off) and pvpanic; MMIO exits in the
 * virtio-mmio windows go to vdev.c.  The first vCPU thread that sees the
 * guest end records why and stops the others (a real-time signal plus
 * immediate_exit); exited() then joins them. */
#include "vm/kvm/kvm.h"
#include "vm/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

_Atomic uint64_t kt_vmm_stat_first_run_ns;

static int kick_signal(void)
{
	return SIGRTMIN + 2;
}

static void on_kick(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

void kt_vmm_log(struct kvmm *k, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (k->vm->cfg->console_to_stderr)
		fprintf(stderr, "kvm: %.*s", n, line);
	else
		kt_debug("kvm: %.*s", n - 1, line);
	if (k->log_w >= 0 && write(k->log_w, line, (size_t)n) < 0)
		return;
}

/* ---- console output ---- */
static void out_flush(struct kvmm *k, struct kvmm_port *p, bool may_wait)
{
	size_t off = 0;

	while (off < p->len && p->fd >= 0) {
		ssize_t n = write(p->fd, p->buf + off, p->len - off);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };

			if (!may_wait || atomic_load(&k->stop))
				break;
			poll(&pfd, 1, 100);
		} else {
			off = p->len; /* reader gone: drop */
		}
	}
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
}

static void uart_tx(void *arg, uint8_t ch)
{
	struct kvmm_port *p = arg;

	if (p->len == sizeof(p->buf))
		out_flush(p->k, p, true);
	if (p->len < sizeof(p->buf))
		p->buf[p->len++] = (char)ch;
	if (ch == '\n' || p->len == sizeof(p->buf))
		out_flush(p->k, p, true);
}

static void uart_irq(void *arg, bool level)
{
	struct kvmm_port *p = arg;
	struct kvm_irq_level l = { .irq = p->irq, .level = level };

	ioctl(p->k->vm_fd, KVM_IRQ_LINE, &l);
}

/* Called from the run loop's thread: never blocks on a busy vCPU. */
static void flush_ports(struct kvmm *k)
{
	for (int i = 0; i < 2; i++) {
		struct kvmm_port *p = &k->port[i];

		if (!p->lock_init || pthread_mutex_trylock(&p->lock))
			continue;
		out_flush(k, p, false);
		pthread_mutex_unlock(&p->lock);
	}
}

/* ---- ending ---- */
static void kick_all(struct kvmm *k)
{
	for (unsigned i = 0; i < k->ncpus; i++) {
		struct kvmm_vcpu *v = &k->vcpu[i];

		if (v->run)
			v->run->immediate_exit = 1;
		if (v->started && !pthread_equal(v->th, pthread_self()))
			pthread_kill(v->th, kick_signal());
	}
}

void kt_vmm_end(struct kvmm *k, enum vm_exit e, int status, const char *fmt, ...)
{
	int none = VM_EXIT_NONE;
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_compare_exchange_strong(&k->exit, &none, (int)e)) {
		k->status = status;
		kt_vmm_log(k, "%s", msg);
	}
	atomic_store(&k->stop, true);
	kick_all(k);
}

static void stop_all(struct kvmm *k)
{
	atomic_store(&k->stop, true);
	kick_all(k);
	for (unsigned i = 0; i < k->ncpus; i++) {
		if (!k->vcpu[i].started)
			continue;
		pthread_join(k->vcpu[i].th, NULL);
		k->vcpu[i].started = false;
	}
	for (int i = 0; i < 2; i++)
		if (k->port[i].lock_init)
			out_flush(k, &k->port[i], false);
}

/* ---- exits ---- */
static void pio_in(struct kvmm *k, uint16_t port, uint8_t *d, unsigned size)
{
	memset(d, 0xff, size);
	if (port >= KVMM_PORT_COM1 && port < KVMM_PORT_COM1 + 8) {
		pthread_mutex_lock(&k->port[0].lock);
		d[0] = kt_vmm_uart_in(&k->port[0].uart, port - KVMM_PORT_COM1);
		pthread_mutex_unlock(&k->port[0].lock);
	} else if (port >= KVMM_PORT_COM2 && port < KVMM_PORT_COM2 + 8) {
		pthread_mutex_lock(&k->port[1].lock);
		d[0] = kt_vmm_uart_in(&k->port[1].uart, port - KVMM_PORT_COM2);
		pthread_mutex_unlock(&k->port[1].lock);
	} else if (port == KVMM_PORT_I8042 || port == 0x60) {
		d[0] = 0; /* no data, input buffer empty */
	} else if (port == KVMM_PORT_PVPANIC) {
		d[0] = 0x3; /* supports PANICKED and CRASH_LOADED */
	} else if (port >= KVMM_PORT_PM1A_EVT && port < KVMM_PORT_PM1A_EVT + 4) {
		/* Status reads 0; the enable register keeps what was written. */
		for (unsigned i = 0; i < size; i++)
			d[i] = port + i >= KVMM_PORT_PM1A_EVT + 2 && port + i < KVMM_PORT_PM1A_EVT + 4
				       ? (uint8_t)(atomic_load(&k->pm1_enable) >> 8 * (port + i - KVMM_PORT_PM1A_EVT - 2))
				       : 0;
	} else if (port == KVMM_PORT_PM1A_CNT || port == KVMM_PORT_PM1A_CNT + 1) {
		uint16_t v = 1; /* SCI_EN: always in ACPI mode */

		memset(d, 0, size);
		d[0] = port == KVMM_PORT_PM1A_CNT ? (uint8_t)v : 0;
	}
}

static void pio_out(struct kvmm *k, uint16_t port, const uint8_t *d, unsigned size)
{
	if (port >= KVMM_PORT_COM1 && port < KVMM_PORT_COM1 + 8) {
		pthread_mutex_lock(&k->port[0].lock);
		kt_vmm_uart_out(&k->port[0].uart, port - KVMM_PORT_COM1, d[0]);
		pthread_mutex_unlock(&k->port[0].lock);
	} else if (port >= KVMM_PORT_COM2 && port < KVMM_PORT_COM2 + 8) {
		pthread_mutex_lock(&k->port[1].lock);
		kt_vmm_uart_out(&k->port[1].uart, port - KVMM_PORT_COM2, d[0]);
		pthread_mutex_unlock(&k->port[1].lock);
	} else if (port == KVMM_PORT_I8042 && d[0] == 0xfe) {
		kt_vmm_end(k, VM_EXIT_RESET, 0, "guest reset the CPU through the i8042");
	} else if (port == KVMM_PORT_PVPANIC && (d[0] & 0x3)) {
		kt_vmm_end(k, VM_EXIT_PANIC, 1, "guest kernel panicked (pvpanic event 0x%x)", d[0]);
	} else if (port >= KVMM_PORT_PM1A_EVT + 2 && port < KVMM_PORT_PM1A_EVT + 4) {
		for (unsigned i = 0; i < size && port + i < KVMM_PORT_PM1A_EVT + 4; i++) {
			unsigned sh = 8 * (port + i - KVMM_PORT_PM1A_EVT - 2);

			atomic_store(&k->pm1_enable,
				     (uint16_t)((atomic_load(&k->pm1_enable) & ~(0xffu << sh)) | (unsigned)d[i] << sh));
		}
	} else if (port == KVMM_PORT_PM1A_CNT || port == KVMM_PORT_PM1A_CNT + 1) {
		uint16_t v;

		if (port == KVMM_PORT_PM1A_CNT && size >= 2)
			v = (uint16_t)(d[0] | d[1] << 8);
		else if (port == KVMM_PORT_PM1A_CNT)
			v = d[0];
		else
			v = (uint16_t)(d[0] << 8);
		if ((v & (1u << 13)) && ((v >> 10) & 7) == KVMM_S5_SLP_TYP)
			kt_vmm_end(k, VM_EXIT_POWEROFF, 0, "guest powered off (ACPI S5)");
	}
}

/* A vCPU's state when it took the guest down (triple fault), for the log. */
static void log_vcpu_state(struct kvmm *k, struct kvmm_vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_vcpu_events ev;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s))
		return;
	kt_vmm_log(k, "vcpu %u: rip 0x%llx rsp 0x%llx rflags 0x%llx cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx "
		 "efer 0x%llx idt 0x%llx/%u gdt 0x%llx/%u tr 0x%x cs 0x%x",
		 v->idx, (unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rflags,
		 (unsigned long long)s.cr0, (unsigned long long)s.cr2, (unsigned long long)s.cr3,
		 (unsigned long long)s.cr4, (unsigned long long)s.efer, (unsigned long long)s.idt.base, s.idt.limit,
		 (unsigned long long)s.gdt.base, s.gdt.limit, s.tr.selector, s.cs.selector);
	if (!ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev))
		kt_vmm_log(k, "vcpu %u: exception %s nr %u error 0x%x, interrupt %s nr %u, nmi pending %u masked %u",
			 v->idx, ev.exception.injected ? "injected" : ev.exception.pending ? "pending" : "none",
			 ev.exception.nr, ev.exception.error_code, ev.interrupt.injected ? "injected" : "none",
			 ev.interrupt.nr, ev.nmi.pending, ev.nmi.masked);
}

static bool handle_exit(struct kvmm *k, struct kvmm_vcpu *v)
{
	struct kvm_run *r = v->run;

	switch (r->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *d = (uint8_t *)r + r->io.data_offset;

		for (uint32_t i = 0; i < r->io.count; i++, d += r->io.size) {
			if (r->io.direction == KVM_EXIT_IO_OUT)
				pio_out(k, r->io.port, d, r->io.size);
			else
				pio_in(k, r->io.port, d, r->io.size);
		}
		return true;
	}
	case KVM_EXIT_MMIO:
		if (kt_vmm_vio_mmio(k, r->mmio.phys_addr, r->mmio.data, r->mmio.len, r->mmio.is_write))
			return true;
		if (!r->mmio.is_write)
			memset(r->mmio.data, 0xff, sizeof(r->mmio.data));
		if (v->mmio_logged++ < 4)
			kt_debug("kvm: vcpu %u: unclaimed MMIO %s 0x%llx (%u bytes)", v->idx,
				 r->mmio.is_write ? "write" : "read", (unsigned long long)r->mmio.phys_addr, r->mmio.len);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		if (atomic_load(&k->exit) == VM_EXIT_NONE)
			log_vcpu_state(k, v);
		kt_vmm_end(k, VM_EXIT_RESET, 0, "vcpu %u: triple fault (shutdown): guest reset", v->idx);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			kt_vmm_end(k, VM_EXIT_POWEROFF, 0, "guest shut down (system event)");
		else if (r->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			kt_vmm_end(k, VM_EXIT_PANIC, 1, "guest crashed (system event)");
		else
			kt_vmm_end(k, VM_EXIT_RESET, 0, "guest reset (system event %u)", r->system_event.type);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		kt_vmm_end(k, VM_EXIT_CRASH, 1, "vcpu %u: KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx", v->idx,
			 (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		kt_vmm_end(k, VM_EXIT_CRASH, 1, "vcpu %u: KVM internal error, suberror %u", v->idx,
			 r->internal.suberror);
		return false;
	default:
		kt_vmm_end(k, VM_EXIT_CRASH, 1, "vcpu %u: unhandled KVM exit reason %u", v->idx, r->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct kvmm_vcpu *v = arg;
	struct kvmm *k = v->k;
	sigset_t set;

	atomic_store(&v->tid, gettid());
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load(&k->stop)) {
		uint64_t zero = 0;

		if (v->idx == 0)
			atomic_compare_exchange_strong(&kt_vmm_stat_first_run_ns, &zero, kt_now_ns() - k->t_launch);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			kt_vmm_end(k, VM_EXIT_CRASH, 1, "vcpu %u: KVM_RUN: %s", v->idx, strerror(errno));
			break;
		}
		if (!handle_exit(k, v))
			break;
	}
	return NULL;
}

/* ---- backend ops ---- */
static int kvm_available(char *why, size_t len)
{
	char reason[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), err, v;

	if (fd < 0) {
		err = errno;
		snprintf(why, len, "cannot open /dev/kvm: %s (load kvm_intel/kvm_amd, or use --vmm qemu)",
			 strerror(err));
		return -err;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks KVM API %d, not %d", v, KVM_API_VERSION);
		return -ENODEV;
	}
	if (!kt_accel_kvm_usable(NULL, reason, sizeof(reason))) {
		snprintf(why, len, "%s", reason); /* e.g. "/dev/kvm is PVM (kvm_pvm), which cannot boot ..." */
		return -ENODEV;
	}
	return 0;
}

static int make_pipe(int *rd, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	*rd = p[0];
	*wr = p[1];
	return 0;
}

static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = on_kick };

	sigemptyset(&sa.sa_mask);
	sigaction(kick_signal(), &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
}

static int start_threads(struct kvmm *k)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_attr_t attr;
	sigset_t all, old;
	int ret = 0;

	pthread_once(&once, install_kick_handler);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* vCPU threads take no process signals */
	for (unsigned i = 0; i < k->ncpus && !ret; i++) {
		ret = -pthread_create(&k->vcpu[i].th, &attr, vcpu_thread, &k->vcpu[i]);
		if (!ret)
			k->vcpu[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (ret)
		return kt_err(-ret, "kvm: create vCPU thread");
	return 0;
}

static int kvm_launch(struct vm *vm)
{
	struct kvmm *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return kt_err(ENOMEM, "kvm: allocate VM state");
	vm->priv = k;
	k->vm = vm;
	k->t_launch = kt_now_ns();
	k->kvm_fd = k->vm_fd = k->log_w = -1;
	k->port[0].fd = k->port[1].fd = -1;
	atomic_store(&kt_vmm_stat_first_run_ns, 0);
	snprintf(vm->accel, sizeof(vm->accel), "kvm");
	for (int i = 0; i < 2; i++) {
		ret = make_pipe(&vm->out_fd[i + 1], &k->port[i].fd);
		if (ret)
			return kt_err(-ret, "kvm: console pipe");
		pthread_mutex_init(&k->port[i].lock, NULL);
		k->port[i].lock_init = true;
		k->port[i].k = k;
		k->port[i].irq = i == 0 ? KVMM_IRQ_COM1 : KVMM_IRQ_COM2;
		kt_vmm_uart_init(&k->port[i].uart, uart_tx, uart_irq, &k->port[i]);
	}
	ret = make_pipe(&vm->log_fd, &k->log_w);
	if (ret)
		return kt_err(-ret, "kvm: log pipe");
	ret = kt_vmm_create(k);
	if (!ret)
		ret = start_threads(k);
	return ret;
}

static bool kvm_exited(struct vm *vm, enum vm_exit *ex, int *status)
{
	struct kvmm *k = vm->priv;
	int e = atomic_load(&k->exit);

	flush_ports(k);
	if (e == VM_EXIT_NONE)
		return false;
	stop_all(k);
	*ex = (enum vm_exit)e;
	*status = k->status;
	return true;
}

/* Where each vCPU was when the guest had to be stopped (a hang). */
static void dump_vcpus(struct kvmm *k)
{
	for (unsigned i = 0; i < k->ncpus; i++) {
		struct kvm_regs r;

		if (k->vcpu[i].fd >= 0 && !ioctl(k->vcpu[i].fd, KVM_GET_REGS, &r)) {
			kt_vmm_log(k, "vcpu %u stopped at rip 0x%llx rsp 0x%llx", i, (unsigned long long)r.rip,
				 (unsigned long long)r.rsp);
		}
	}
}

static void kvm_kill(struct vm *vm)
{
	struct kvmm *k = vm->priv;

	if (!k)
		return;
	stop_all(k);
	dump_vcpus(k);
}

static void kvm_destroy(struct vm *vm)
{
	struct kvmm *k = vm->priv;

	if (!k)
		return;
	stop_all(k);
	for (unsigned i = 0; i < k->ncpus; i++) {
		if (k->vcpu[i].run)
			munmap(k->vcpu[i].run, k->run_size);
		if (k->vcpu[i].fd >= 0)
			close(k->vcpu[i].fd);
	}
	kt_vmm_vio_destroy(k);
	free(k->vcpu);
	free(k->supported);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	for (int i = 0; i < 2; i++) {
		if (k->port[i].fd >= 0)
			close(k->port[i].fd);
		if (k->port[i].lock_init)
			pthread_mutex_destroy(&k->port[i].lock);
	}
	if (k->log_w >= 0)
		close(k->log_w);
	free(k);
	vm->priv = NULL;
}

/* Console input (`ktstr shell`): into COM2's receive FIFO, or with
 * input_hvc0 into the virtio console's receive queue (it waits until
 * the guest's driver has posted buffers). */
static ssize_t kvm_input(struct vm *vm, const char *data, size_t len)
{
	struct kvmm *k = vm->priv;
	struct kvmm_port *p = k ? &k->port[1] : NULL;
	size_t n;

	if (k && vm->cfg->input_hvc0)
		return kt_vmm_vio_input(k, data, len);
	if (!p || !p->lock_init)
		return -EBADF;
	pthread_mutex_lock(&p->lock);
	n = kt_vmm_uart_rx(&p->uart, (const uint8_t *)data, len);
	pthread_mutex_unlock(&p->lock);
	return (ssize_t)n;
}

static int kvm_vcpu_thread(struct vm *vm, unsigned cpu, pid_t *pid, pid_t *tid)
{
	struct kvmm *k = vm->priv;

	if (!k || !k->vcpu || cpu >= k->ncpus || !(*tid = atomic_load(&k->vcpu[cpu].tid)))
		return -ENOENT;
	*pid = getpid();
	return 0;
}

/* The map KVM gets as memory slots (kt_vmm_memmap): what would fall in
 * [3 GiB, 4 GiB) goes above 4 GiB. */
static int kvm_ram_map(const struct vm_region *r, unsigned n, struct vm_ram_range *out, unsigned max)
{
	return kt_vm_ram_split(r, n, KVMM_LOW_END, KVMM_HIGH_START, out, max);
}

const struct vm_backend_ops kt_vm_kvm_ops = {
	.name = "kvm",
	.available = kvm_available,
	.ram_map = kvm_ram_map,
	.launch = kvm_launch,
	.exited = kvm_exited,
	.kill = kvm_kill,
	.destroy = kvm_destroy,
	.vcpu_thread = kvm_vcpu_thread,
	.input = kvm_input,
};
