/* Backend-independent VM run loop: guest RAM as memfds mapped by the host,
 * the shared region, the kernel command line, output streaming, timeout
 * and exit classification. */
#include "vm/backend.h"
#include "vm/perf.h"
#include "proto/guest_args.h"
#include "util/text.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *kt_vm_exit_name(enum vm_exit e)
{
	static const char *const n[] = { "none", "powered off", "reset", "panicked",
					 "timed out", "crashed", "interrupted" };

	return (unsigned)e < ARRAY_SIZE(n) ? n[e] : "?";
}

void kt_vm_result_free(struct vm_result *r)
{
	kt_capture_free(&r->com1);
	kt_capture_free(&r->com2);
}

int kt_vm_parse_vmm(const char *s, enum vm_vmm *out)
{
	if (!strcmp(s, "auto"))
		*out = VMM_AUTO;
	else if (!strcmp(s, "qemu"))
		*out = VMM_QEMU;
	else if (!strcmp(s, "kvm"))
		*out = VMM_KVM;
	else
		return -EINVAL;
	return 0;
}

const struct vm_backend_ops *kt_vm_select(enum vm_vmm want, char *why, size_t len)
{
	static atomic_flag told = ATOMIC_FLAG_INIT;
	char kvm_why[512];

	switch (want) {
	case VMM_KVM:
		if (!kt_vm_kvm_ops.available(kvm_why, sizeof(kvm_why)))
			return &kt_vm_kvm_ops;
		snprintf(why, len, "--vmm kvm: %s; use --vmm qemu", kvm_why);
		return NULL;
	case VMM_AUTO:
		/* Our VMM where /dev/kvm boots a standard kernel, else QEMU. */
		if (!kt_vm_kvm_ops.available(kvm_why, sizeof(kvm_why))) {
			if (!atomic_flag_test_and_set(&told))
				kt_info("--vmm auto: using ktstr's own KVM VMM (/dev/kvm boots a standard kernel)");
			return &kt_vm_kvm_ops;
		}
		if (kt_vm_qemu_ops.available(why, len))
			return NULL;
		if (!atomic_flag_test_and_set(&told))
			kt_info("--vmm auto: using QEMU (%s)", kvm_why);
		return &kt_vm_qemu_ops;
	case VMM_QEMU:
	default:
		if (kt_vm_qemu_ops.available(why, len))
			return NULL;
		return &kt_vm_qemu_ops;
	}
}

static void regions_free(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nregions; i++) {
		if (vm->regions[i].host && vm->regions[i].host != MAP_FAILED)
			munmap(vm->regions[i].host, vm->regions[i].size);
		if (vm->regions[i].fd >= 0)
			close(vm->regions[i].fd);
	}
	vm->nregions = 0;
}

static int regions_alloc(struct vm *vm)
{
	const struct vm_config *c = vm->cfg;
	unsigned nodes = c->topo.numa_nodes;
	uint64_t per = (uint64_t)c->memory_mb / nodes, off = 0;

	if (nodes > VM_MAX_NODES)
		return kt_err(0, "topology: %u NUMA nodes, at most %d supported", nodes, VM_MAX_NODES);
	for (unsigned i = 0; i < nodes; i++) {
		struct vm_region *r = &vm->regions[i];
		char name[32];

		r->fd = -1;
		r->host = NULL;
		r->off = off;
		r->size = (size_t)per << 20;
		snprintf(name, sizeof(name), "ktstr-ram-node%u", i);
		vm->nregions = i + 1;
		/* the backend hands it on explicitly */
		r->fd = memfd_create(name, MFD_CLOEXEC | kt_perf_memfd_flags(vm->perf, r->size));
		if (r->fd < 0)
			return kt_err(errno, "guest RAM node %u: memfd_create", i);
		if (ftruncate(r->fd, (off_t)r->size))
			return kt_err(errno, "guest RAM node %u: ftruncate %zu MiB", i, r->size >> 20);
		r->host = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, r->fd, 0);
		if (r->host == MAP_FAILED) {
			r->host = NULL;
			return kt_err(errno, "guest RAM node %u: mmap %zu MiB", i, r->size >> 20);
		}
		kt_perf_bind(vm->perf, i, r->host, r->size);
		off += r->size;
	}
	vm->shm_gpa = VM_SHM_GPA;
	vm->shm_size = VM_SHM_SIZE;
	vm->shm = (char *)vm->regions[0].host + VM_SHM_GPA;
	memset(vm->shm, 0, vm->shm_size);
	return 0;
}

int kt_vm_ram_split(const struct vm_region *r, unsigned n, uint64_t low_end, uint64_t high_start,
		    struct vm_ram_range *out, unsigned max)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t off = r[i].off, size = r[i].size;
		char *host = r[i].host;

		if (off < low_end && size) {
			uint64_t part = off + size <= low_end ? size : low_end - off;

			if (k >= max)
				return -EINVAL;
			out[k++] = (struct vm_ram_range){ .gpa = off, .size = part, .host = host, .node = i };
			off += part;
			host += part;
			size -= part;
		}
		if (size) {
			if (k >= max)
				return -EINVAL;
			out[k++] = (struct vm_ram_range){ .gpa = off - low_end + high_start, .size = size, .host = host,
							  .node = i };
		}
	}
	return (int)k;
}

/* Copy between guest RAM at gpa and buf, range by range. */
static int phys_copy(struct vm *vm, uint64_t gpa, void *buf, size_t len, bool write)
{
	char *b = buf;

	while (len) {
		const struct vm_ram_range *r = NULL;
		size_t k;

		for (unsigned i = 0; i < vm->nram && !r; i++)
			if (gpa >= vm->ram[i].gpa && gpa - vm->ram[i].gpa < vm->ram[i].size)
				r = &vm->ram[i];
		if (!r)
			return -EFAULT;
		k = r->size - (gpa - r->gpa) < len ? (size_t)(r->size - (gpa - r->gpa)) : len;
		if (write)
			memcpy((char *)r->host + (gpa - r->gpa), b, k);
		else
			memcpy(b, (char *)r->host + (gpa - r->gpa), k);
		gpa += k;
		b += k;
		len -= k;
	}
	return 0;
}

int kt_vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return phys_copy(vm, gpa, buf, len, false);
}

int kt_vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	return phys_copy(vm, gpa, (void *)buf, len, true);
}

int kt_vm_build_cmdline(struct vm *vm)
{
	const struct vm_config *c = vm->cfg;
	struct kt_guest_args ga = { .shm_addr = VM_SHM_GPA, .shm_size = VM_SHM_SIZE };
	char words[128] = ""; /* " ktstr_shm=... ktstr_accel=..." */
	const char *tail = c->cmdline ? c->cmdline : "";
	char why[160];
	int n, ret;

	snprintf(ga.accel, sizeof(ga.accel), "%s", vm->accel[0] ? vm->accel : "unknown");
	ret = kt_guest_args_encode(&ga, words, sizeof(words));
	if (ret)
		return kt_err(-ret, "vm: encode ktstr_shm= and ktstr_accel=%s for the kernel command line", ga.accel);
	ret = kt_kernel_args_check(c->kernel_args, why, sizeof(why));
	if (ret)
		return kt_err(-ret, "vm: the test's kernel arguments \"%.64s\": %s", c->kernel_args, why);
	n = snprintf(vm->cmdline, sizeof(vm->cmdline),
		     "console=ttyS0 earlyprintk=serial,ttyS0 loglevel=%d %s panic=-1 oops=panic mitigations=off no_timer_check "
		     "iomem=relaxed lockdown=none random.trust_cpu=on i8042.noaux i8042.nomux i8042.nopnp "
		     "memmap=%uK$0x%llx%s sysctl.kernel.sched_schedstats=1 rdinit=/init %s%s%s",
		     c->console_to_stderr ? 7 : 4, c->kaslr ? "kaslr" : "nokaslr", VM_SHM_SIZE >> 10,
		     (unsigned long long)VM_SHM_GPA, words, c->kernel_args ? c->kernel_args : "",
		     c->kernel_args ? " " : "", tail);
	if (n < 0 || (size_t)n >= sizeof(vm->cmdline)) {
		vm->cmdline[0] = '\0';
		return kt_err(ENAMETOOLONG, "vm: build the kernel command line: %d bytes with the caller's %zu, more "
				  "than the %zu it may have",
			      n, strlen(tail), sizeof(vm->cmdline) - 1);
	}
	return 0;
}

int kt_vm_park_cmdline(const struct vm *vm, char *buf, size_t len)
{
	const struct kt_guest_args ga = { .park_addr = VM_PARK_GPA };
	const char *tail = vm->cfg->cmdline ? vm->cfg->cmdline : "";
	size_t all = strlen(vm->cmdline), t = strlen(tail);
	char word[64]; /* " ktstr_park=0x..." */
	int n, ret;

	if (t > all || strcmp(vm->cmdline + all - t, tail))
		return -EINVAL;
	ret = kt_guest_args_encode(&ga, word, sizeof(word));
	if (ret)
		return ret;
	n = snprintf(buf, len, "%.*smemmap=%uK$0x%llx%s", (int)(all - t), vm->cmdline, VM_PARK_SIZE >> 10,
		     (unsigned long long)VM_PARK_GPA, word);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* --verbose: the guest's consoles on stderr, without its escape
 * sequences and control characters (newlines kept). */
static void echo_clean(const char *buf, size_t n)
{
	struct kbuf c = { 0 };

	if (!kt_text_clean(buf, n, KT_TEXT_TERM, &c) && c.data)
		fwrite(c.data, 1, c.len, stderr);
	kt_kbuf_free(&c);
}

static void drain(struct vm *vm, int port, const struct vm_hooks *h, struct vm_result *res, uint64_t t0)
{
	char buf[8192];
	ssize_t n;
	int fd = vm->out_fd[port];

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (port == 1 && !res->first_output_ns)
			res->first_output_ns = kt_now_ns() - t0;
		if (port == 1)
			kt_marker_feed(&res->panic, buf, (size_t)n);
		if (port == 1 || (port == 2 && !vm->cfg->com2_stream_only))
			kt_capture_add(port == 1 ? &res->com1 : &res->com2, buf, (size_t)n);
		if (vm->cfg->console_to_stderr)
			echo_clean(buf, (size_t)n);
		if (h && h->output)
			h->output(h->arg, port, buf, (size_t)n);
	}
	if (n == 0) {
		close(fd);
		vm->out_fd[port] = -1;
	}
}

static void drain_log(struct vm *vm)
{
	char buf[4096];
	ssize_t n;

	if (vm->log_fd < 0)
		return;
	while ((n = read(vm->log_fd, buf, sizeof(buf))) > 0)
		kt_kbuf_append(&vm->vmm_log, buf, (size_t)n);
	if (n == 0) {
		close(vm->log_fd);
		vm->log_fd = -1;
	}
}

/* Console input (cfg->com2_input): read what is there, filter it through
 * hooks->input, hand it to the backend; what it cannot take yet waits. */
struct input {
	bool open;
	char buf[4096];
	size_t off, len;
};

static void pump_input(struct vm *vm, const struct vm_hooks *h, struct input *in, bool readable)
{
	ssize_t n;

	if (in->off == in->len && in->open && readable) {
		in->off = in->len = 0;
		n = read(vm->cfg->input_fd, in->buf, sizeof(in->buf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			in->open = false; /* end of input: the guest goes on */
			return;
		}
		if (n < 0)
			return;
		in->len = h && h->input ? h->input(h->arg, in->buf, (size_t)n) : (size_t)n;
		if (in->len > (size_t)n)
			in->len = (size_t)n;
	}
	if (in->off < in->len) {
		n = vm->ops->input(vm, in->buf + in->off, in->len - in->off);
		if (n > 0)
			in->off += (size_t)n;
	}
}

static bool panic_in_console(const struct kt_marker *panic, char *detail, size_t len)
{
	if (!panic->seen)
		return false;
	kt_line_cleann(panic->line, panic->line_len, detail, len); /* guest text */
	return true;
}

int kt_vm_run(const struct vm_config *cfg, const struct vm_hooks *hooks, struct vm_result *res)
{
	struct vm vm = { .cfg = cfg, .out_fd = { -1, -1, -1, -1 }, .log_fd = -1 };
	struct kt_perf perf;
	struct input in = { .open = cfg->com2_input && cfg->input_fd >= 0 };
	char why[512];
	uint64_t t0, deadline, last_tick = 0, panic_ns = 0;
	int ret, status = 0;
	enum vm_exit ex = VM_EXIT_NONE;

	memset(res, 0, sizeof(*res));
	kt_marker_init(&res->panic, VM_PANIC_MARKER);
	vm.ops = kt_vm_select(cfg->vmm, why, sizeof(why));
	if (!vm.ops)
		return kt_err(0, "%s", why);
	snprintf(res->vmm_name, sizeof(res->vmm_name), "%s", vm.ops->name);
	if (cfg->com2_input && !vm.ops->input) {
		ret = kt_err(0, "--vmm %s: this VMM has no console input; use --vmm qemu", vm.ops->name);
		vm.ops = NULL;
		goto out;
	}
	if ((cfg->disks[0].path || cfg->input_hvc0) && vm.ops != &kt_vm_kvm_ops) {
		ret = kt_err(0, "--vmm %s: virtio disks and the hvc0 console are only in ktstr's own VMM (--vmm kvm)",
			     vm.ops->name);
		vm.ops = NULL;
		goto out;
	}
	if (kt_interrupted) { /* nothing made yet: nothing to stop */
		res->exit = VM_EXIT_INTERRUPTED;
		snprintf(res->detail, sizeof(res->detail), "interrupted by signal %d", (int)kt_interrupted);
		ret = 0;
		goto out;
	}
	if (cfg->perf_mode || cfg->cpu_cap) {
		ret = kt_perf_begin(&perf, cfg, cfg->timeout_ms);
		if (ret)
			goto out;
		vm.perf = &perf;
	}
	ret = regions_alloc(&vm);
	if (ret)
		goto out;
	ret = vm.ops->ram_map(vm.regions, vm.nregions, vm.ram, VM_MAX_RAM_RANGES);
	if (ret < 0) {
		ret = kt_err(-ret, "--vmm %s: map %u MiB of guest RAM in %u regions", vm.ops->name, cfg->memory_mb,
			     vm.nregions);
		goto out;
	}
	vm.nram = (unsigned)ret;
	if (hooks && hooks->prepare)
		hooks->prepare(hooks->arg, &vm);
	t0 = kt_now_ns();
	deadline = t0 + (uint64_t)cfg->timeout_ms * 1000000ull;
	ret = vm.ops->launch(&vm);
	if (ret)
		goto out;
	snprintf(res->accel, sizeof(res->accel), "%s", vm.accel);
	for (;;) {
		struct pollfd pfd[5];
		int np = 0, in_idx = -1;
		uint64_t now;

		for (int port = 1; port <= 3; port++)
			if (vm.out_fd[port] >= 0)
				pfd[np++] = (struct pollfd){ .fd = vm.out_fd[port], .events = POLLIN };
		if (vm.log_fd >= 0)
			pfd[np++] = (struct pollfd){ .fd = vm.log_fd, .events = POLLIN };
		if (in.open && in.off == in.len) {
			in_idx = np;
			pfd[np++] = (struct pollfd){ .fd = cfg->input_fd, .events = POLLIN };
		}
		poll(pfd, (nfds_t)np, in.off < in.len ? 10 : 50);
		if (cfg->com2_input)
			pump_input(&vm, hooks, &in, in_idx >= 0 && pfd[in_idx].revents);
		for (int port = 1; port <= 3; port++)
			drain(&vm, port, hooks, res, t0);
		drain_log(&vm);
		if (vm.ops->service)
			vm.ops->service(&vm);
		if (vm.ops->exited(&vm, &ex, &status))
			break;
		if (vm.perf && !perf.applied)
			kt_perf_apply(&perf, &vm);
		now = kt_now_ns();
		if (kt_interrupted) {
			ex = VM_EXIT_INTERRUPTED;
			snprintf(res->detail, sizeof(res->detail), "interrupted by signal %d", kt_interrupted);
			vm.ops->kill(&vm);
			break;
		}
		/* A panic before the kernel can reboot (setup_arch) hangs with
		 * panic=-1: once its text is in, the rest of it gets a moment. */
		if (res->panic.seen && !panic_ns)
			panic_ns = now;
		if (panic_ns && now - panic_ns >= VM_PANIC_GRACE_NS) {
			ex = VM_EXIT_PANIC;
			vm.ops->kill(&vm);
			break;
		}
		if (now >= deadline) {
			ex = VM_EXIT_TIMEOUT;
			snprintf(res->detail, sizeof(res->detail), "no exit within %u s; VM killed",
				 cfg->timeout_ms / 1000);
			vm.ops->kill(&vm);
			break;
		}
		if (hooks && hooks->tick && now - last_tick >= 100000000ull) {
			last_tick = now;
			if (hooks->tick(hooks->arg, &vm)) {
				vm.ops->kill(&vm);
				ex = VM_EXIT_POWEROFF;
				break;
			}
		}
	}
	/* Whatever is still buffered in the pipes. */
	for (int port = 1; port <= 3; port++)
		drain(&vm, port, hooks, res, t0);
	drain_log(&vm);
	res->wall_ns = kt_now_ns() - t0;
	res->vmm_status = status;
	if (hooks && hooks->tick)
		hooks->tick(hooks->arg, &vm); /* last look at shared memory */
	if (hooks && hooks->finish)
		hooks->finish(hooks->arg, &vm);
	hooks = NULL;
	if (ex != VM_EXIT_TIMEOUT && ex != VM_EXIT_INTERRUPTED &&
	    panic_in_console(&res->panic, res->detail, sizeof(res->detail)))
		ex = VM_EXIT_PANIC;
	if (ex == VM_EXIT_RESET && !res->detail[0] && vm.vmm_log.data) {
		size_t n = vm.vmm_log.len;

		while (n && (vm.vmm_log.data[n - 1] == '\n' || vm.vmm_log.data[n - 1] == ' '))
			n--;
		kt_line_cleann(vm.vmm_log.data, n, res->detail, sizeof(res->detail)); /* why, vCPU state */
	}
	if (ex == VM_EXIT_CRASH && !res->detail[0]) {
		char log[400] = "(no diagnostics)";

		if (vm.vmm_log.data)
			kt_line_cleann(vm.vmm_log.data, vm.vmm_log.len, log, sizeof(log));
		snprintf(res->detail, sizeof(res->detail), "%s exited with status %d: %s", vm.ops->name, status, log);
	}
	res->exit = ex;
	ret = 0;
out:
	if (hooks && hooks->finish && vm.nregions)
		hooks->finish(hooks->arg, &vm); /* launch failed after prepare */
	if (vm.ops)
		vm.ops->destroy(&vm);
	for (int port = 1; port <= 3; port++)
		if (vm.out_fd[port] >= 0)
			close(vm.out_fd[port]);
	if (vm.log_fd >= 0)
		close(vm.log_fd);
	kt_kbuf_free(&vm.vmm_log);
	regions_free(&vm);
	if (vm.perf)
		kt_perf_end(&perf); /* the LLC locks outlive the guest's RAM */
	return ret;
}
