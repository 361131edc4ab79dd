/* QEMU backend: drives Debian's qemu-system-x86_64.  KVM where /dev/kvm
 * boots a standard kernel (probed once, verdict cached), TCG otherwise.
 * Guest RAM comes from our memfds (memory-backend-file share=on on
 * /proc/self/fd/N), COM1/COM2 go to pipes, and QEMU dies with us. */
#include "vm/backend.h"
#include "vm/accel.h"
#include "vm/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_BASE KT_QEMU_FD_BASE

static char qemu_path[4096];

static int qemu_available(char *why, size_t len)
{
	const char *env = getenv("KTSTR_QEMU");

	if (kt_find_in_path(env && *env ? env : "qemu-system-x86_64", qemu_path, sizeof(qemu_path))) {
		snprintf(why, len, "qemu-system-x86_64 not found in PATH: install qemu-system-x86 "
				   "(apt-get install qemu-system-x86) or set KTSTR_QEMU");
		return -ENOENT;
	}
	return 0;
}

/* One more argument; a full vector or store is recorded in a->err and
 * the argument it happened to, never dropped silently (an argument
 * missing shifts every one after it). */
static void add(struct kt_qemu_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct kt_qemu_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->err)
		return;
	if (a->n >= (int)ARRAY_SIZE(a->v) - 1) {
		a->err = -E2BIG;
		snprintf(a->err_arg, sizeof(a->err_arg), "argument %d", a->n);
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->store + a->used, sizeof(a->store) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->store) - a->used) {
		a->err = -E2BIG;
		snprintf(a->err_arg, sizeof(a->err_arg), "argument %d (%d bytes, after '%.40s')", a->n, n,
			 a->n ? a->v[a->n - 1] : "");
		return;
	}
	a->v[a->n++] = a->store + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)n + 1;
}

/* QEMU's argument vector.  Topology: one socket per NUMA node, one die
 * per LLC (with an Intel vendor string TCG reports L3 per die), cores
 * per LLC, threads per core; the CPU index order then equals ours. */
static int build(const struct vm *vm, const char *qemu, bool kvm, const char *cmdline, bool qmp, bool incoming,
		 struct kt_qemu_argv *a)
{
	const struct vm_config *c = vm->cfg;
	const struct ktstr_topo *t = &c->topo;
	unsigned cpus = ktstr_topo_cpus(t), per_node = cpus / t->numa_nodes;

	add(a, "%s", qemu);
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-nographic");
	add(a, "-no-reboot");
	add(a, "-name");
	add(a, "ktstr,debug-threads=on"); /* vCPU threads named "CPU n/TCG" (the monitor's vcpu_thread) */
	add(a, "-M");
	add(a, "q35,smbus=off,sata=off,usb=off,vmport=off");
	add(a, "-accel");
	add(a, kvm ? "kvm" : "tcg,thread=multi");
	add(a, "-cpu");
	add(a, kvm ? "host" : c->nested_host ? "max" : "max,vendor=GenuineIntel");
	add(a, "-smp");
	add(a, "%u,sockets=%u,dies=%u,cores=%u,threads=%u", cpus, t->numa_nodes, t->llcs / t->numa_nodes,
	    t->cores, t->threads);
	add(a, "-m");
	add(a, "%uM", c->memory_mb);
	for (unsigned i = 0; i < vm->nregions; i++) {
		add(a, "-object");
		add(a, "memory-backend-file,id=ram%u,size=%zuM,mem-path=/proc/self/fd/%u,share=on,prealloc=off", i,
		    vm->regions[i].size >> 20, FD_BASE + i);
		if (t->numa_nodes > 1) {
			add(a, "-numa");
			add(a, "node,nodeid=%u,cpus=%u-%u,memdev=ram%u", i, i * per_node, (i + 1) * per_node - 1, i);
		}
	}
	if (t->numa_nodes == 1) {
		add(a, "-machine");
		add(a, "memory-backend=ram0");
	}
	add(a, "-kernel");
	add(a, "%s", c->kernel);
	add(a, "-initrd");
	add(a, "%s", c->initrd);
	add(a, "-append");
	add(a, "%s", cmdline);
	add(a, "-chardev");
	add(a, "file,id=com1,path=/proc/self/fd/%u", FD_BASE + VM_MAX_NODES);
	add(a, "-serial");
	add(a, "chardev:com1");
	add(a, "-chardev");
	if (c->com2_input) /* both ways: a connected socket */
		add(a, "socket,id=com2,fd=%u", FD_BASE + VM_MAX_NODES + 1);
	else
		add(a, "file,id=com2,path=/proc/self/fd/%u", FD_BASE + VM_MAX_NODES + 1);
	add(a, "-serial");
	add(a, "chardev:com2");
	add(a, "-device");
	add(a, "pvpanic");
	add(a, "-action");
	add(a, "panic=exit-failure");
	add(a, "-monitor");
	add(a, "none");
	if (qmp) {
		add(a, "-chardev");
		add(a, "socket,id=qmp,fd=%u", KT_QEMU_FD_QMP);
		add(a, "-mon");
		add(a, "chardev=qmp,mode=control");
	}
	if (incoming) {
		add(a, "-incoming");
		add(a, "defer");
	}
	return a->err;
}

int kt_qemu_build_argv(const struct vm *vm, const char *qemu, bool kvm, struct kt_qemu_argv *a)
{
	return build(vm, qemu, kvm, vm->cmdline, false, false, a);
}

int kt_qemu_build_argv_park(const struct vm *vm, const char *qemu, bool kvm, const char *park_cmdline,
			    bool incoming, struct kt_qemu_argv *a)
{
	return build(vm, qemu, kvm, park_cmdline, true, incoming, a);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ? -errno : 0;
}

int kt_qemu_spawn(struct vm *vm, struct qemu *q, struct kt_qemu_argv *a, bool qmp, int state_fd)
{
	int com1[2] = { -1, -1 }, com2[2] = { -1, -1 }, log[2] = { -1, -1 }, mon[2] = { -1, -1 }, ret;

	q->reaped = false;
	if (pipe2(com1, O_CLOEXEC) || pipe2(log, O_CLOEXEC) ||
	    (vm->cfg->com2_input ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, com2) : pipe2(com2, O_CLOEXEC)) ||
	    (qmp && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mon))) {
		ret = kt_err(errno, "qemu: create console pipes");
		goto fail;
	}
	q->pid = fork();
	if (q->pid < 0) {
		ret = kt_err(errno, "qemu: fork");
		goto fail;
	}
	if (q->pid == 0) {
		/* Child: hand exactly the fds QEMU needs to known numbers. */
		int devnull = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN); /* the host decides when QEMU stops */
		for (unsigned i = 0; i < vm->nregions; i++)
			if (dup2(vm->regions[i].fd, FD_BASE + (int)i) < 0)
				_exit(126);
		if (dup2(com1[1], FD_BASE + VM_MAX_NODES) < 0 || dup2(com2[1], FD_BASE + VM_MAX_NODES + 1) < 0)
			_exit(126);
		if ((qmp && dup2(mon[1], KT_QEMU_FD_QMP) < 0) || (state_fd >= 0 && dup2(state_fd, KT_QEMU_FD_STATE) < 0))
			_exit(126);
		dup2(devnull, 0);
		dup2(log[1], 1);
		dup2(log[1], 2);
		execv(a->v[0], a->v);
		dprintf(2, "exec %s: %s\n", a->v[0], strerror(errno));
		_exit(127);
	}
	close(com1[1]);
	close(com2[1]);
	close(log[1]);
	if (qmp) {
		close(mon[1]);
		q->qmp_fd = mon[0];
	}
	vm->out_fd[1] = com1[0];
	vm->out_fd[2] = com2[0];
	vm->log_fd = log[0];
	set_nonblock(com1[0]);
	set_nonblock(com2[0]);
	set_nonblock(log[0]);
	if (vm->cfg->com2_input && (q->in_fd = fcntl(com2[0], F_DUPFD_CLOEXEC, 3)) < 0)
		kt_err(errno, "qemu: duplicate the COM2 socket for input");
	if (kt_verbose) {
		struct kbuf cmd = { 0 };

		for (int i = 0; i < a->n; i++)
			kt_kbuf_printf(&cmd, "%s'%s'", i ? " " : "", a->v[i]);
		kt_debug("qemu: %s", cmd.data);
		kt_kbuf_free(&cmd);
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (com1[i] >= 0)
			close(com1[i]);
		if (com2[i] >= 0)
			close(com2[i]);
		if (log[i] >= 0)
			close(log[i]);
		if (mon[i] >= 0)
			close(mon[i]);
	}
	return ret;
}

static void qemu_kill(struct vm *vm);

void kt_qemu_unspawn(struct vm *vm, struct qemu *q)
{
	qemu_kill(vm);
	for (int port = 1; port <= 2; port++)
		if (vm->out_fd[port] >= 0) {
			close(vm->out_fd[port]);
			vm->out_fd[port] = -1;
		}
	if (vm->log_fd >= 0)
		close(vm->log_fd);
	vm->log_fd = -1;
	if (q->in_fd >= 0)
		close(q->in_fd);
	if (q->qmp_fd >= 0)
		close(q->qmp_fd);
	q->in_fd = q->qmp_fd = -1;
	vm->vmm_log.len = 0;
}

static int qemu_launch(struct vm *vm)
{
	struct qemu *q = calloc(1, sizeof(*q));
	struct kt_qemu_argv *a = calloc(1, sizeof(*a));
	bool kvm;
	char why[256];
	int ret;

	if (!q || !a) {
		free(q);
		free(a);
		return kt_err(ENOMEM, "qemu: allocate state");
	}
	vm->priv = q;
	q->in_fd = q->qmp_fd = q->lock_fd = -1;
	snprintf(q->qemu_path, sizeof(q->qemu_path), "%s", qemu_path);
	kvm = kt_accel_kvm_usable(vm->cfg->kernel, why, sizeof(why));
	snprintf(vm->accel, sizeof(vm->accel), "%s", kvm ? "kvm" : "tcg");
	kt_debug("qemu: accel %s (%s)", vm->accel, why);
	ret = kt_vm_build_cmdline(vm);
	if (ret)
		goto out;
	if (vm->cfg->restore && !kt_qemu_snap_launch(vm, q, kvm))
		goto out;
	ret = kt_qemu_build_argv(vm, qemu_path, kvm, a);
	if (ret) {
		ret = kt_err(-ret, "qemu: build the command line: %s does not fit", a->err_arg);
		goto out;
	}
	ret = kt_qemu_spawn(vm, q, a, false, -1);
out:
	free(a);
	return ret;
}

static bool qemu_exited(struct vm *vm, enum vm_exit *ex, int *status)
{
	struct qemu *q = vm->priv;
	int st;
	pid_t r;

	if (q->reaped)
		return true;
	r = waitpid(q->pid, &st, WNOHANG);
	if (r != q->pid)
		return false;
	q->reaped = true;
	if (WIFEXITED(st)) {
		*status = WEXITSTATUS(st);
		/* exit 0: poweroff or (with -no-reboot) reset; 1: pvpanic
		 * (-action panic=exit-failure) or a QEMU error. */
		*ex = *status == 0 ? VM_EXIT_POWEROFF : VM_EXIT_CRASH;
		if (*status == 1 && vm->vmm_log.data && strstr(vm->vmm_log.data, "panic"))
			*ex = VM_EXIT_PANIC;
	} else {
		*status = 128 + WTERMSIG(st);
		*ex = VM_EXIT_CRASH;
	}
	return true;
}

static void qemu_kill(struct vm *vm)
{
	struct qemu *q = vm->priv;

	if (!q || q->pid <= 0 || q->reaped)
		return;
	kill(q->pid, SIGKILL);
	while (waitpid(q->pid, NULL, 0) < 0 && errno == EINTR)
		;
	q->reaped = true;
}

static ssize_t qemu_input(struct vm *vm, const char *data, size_t len)
{
	struct qemu *q = vm->priv;
	ssize_t n;

	if (!q || q->in_fd < 0)
		return -EBADF;
	n = send(q->in_fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return n;
}

/* QEMU names its vCPU threads "CPU <n>/TCG" or "CPU <n>/KVM". */
static int qemu_vcpu_thread(struct vm *vm, unsigned cpu, pid_t *pid, pid_t *tid)
{
	struct qemu *q = vm->priv;
	char path[64], comm[32], want[24];
	struct dirent *d;
	DIR *dir;
	int ret = -ENOENT;

	if (!q || q->pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)q->pid);
	snprintf(want, sizeof(want), "CPU %u/", cpu);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (ret && (d = readdir(dir))) {
		char cpath[352];

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s/comm", path, d->d_name);
		if (!kt_read_file_str(cpath, comm, sizeof(comm)) && !strncmp(comm, want, strlen(want))) {
			*pid = q->pid;
			*tid = (pid_t)strtol(d->d_name, NULL, 10);
			ret = 0;
		}
	}
	closedir(dir);
	return ret;
}

static void qemu_destroy(struct vm *vm)
{
	struct qemu *q = vm->priv;

	qemu_kill(vm);
	if (q && q->in_fd >= 0)
		close(q->in_fd);
	if (q && q->qmp_fd >= 0)
		close(q->qmp_fd);
	if (q)
		kt_qemu_snap_end(q);
	free(vm->priv);
	vm->priv = NULL;
}

/* QEMU's q35 machine (hw/i386/pc_q35.c): with 2816 MiB of RAM or more,
 * the first 2 GiB are at 0 and the rest at 4 GiB; below that, all of it
 * at 0.  The nodes' regions are the machine's RAM in order, so a region
 * can straddle the split. */
#define Q35_SPLIT_FROM 0xb0000000ull
#define Q35_LOW 0x80000000ull
#define Q35_HIGH 0x100000000ull

static int qemu_ram_map(const struct vm_region *r, unsigned n, struct vm_ram_range *out, unsigned max)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += r[i].size;
	return kt_vm_ram_split(r, n, total >= Q35_SPLIT_FROM ? Q35_LOW : total, Q35_HIGH, out, max);
}

const struct vm_backend_ops kt_vm_qemu_ops = {
	.name = "qemu",
	.available = qemu_available,
	.ram_map = qemu_ram_map,
	.launch = qemu_launch,
	.exited = qemu_exited,
	.kill = qemu_kill,
	.destroy = qemu_destroy,
	.vcpu_thread = qemu_vcpu_thread,
	.input = qemu_input,
	.service = kt_qemu_snap_service,
};
