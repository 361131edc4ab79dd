/* `ktstr shell`, host side: resolve the kernel and scheduler, build the
 * initramfs (busybox, included files, their libraries), put the terminal
 * in raw mode, run the VM with COM2 as the guest's terminal, and restore
 * the terminal on every way out (see shell.h). */
#include "shell/shell.h"
#include "model/defaults.h"
#include "proto/shm_ring.h"
#include "initramfs/initramfs.h"
#include "kernel/kernel.h"
#include "monitor/monitor.h"
#include "proto/vlog_msg.h"
#include "util/text.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define LOCALE_DIR "/usr/lib/locale/C.utf8"

/* ---- the host terminal ---- */

static struct termios saved_tio;
static volatile sig_atomic_t raw_on;

static void term_restore(void)
{
	if (raw_on) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		raw_on = 0;
	}
}

static void on_fatal(int sig)
{
	term_restore(); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static int term_raw(void)
{
	static const int fatal[] = { SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return kt_err(errno, "shell: read the terminal settings of stdin");
	t = saved_tio;
	cfmakeraw(&t); /* Ctrl-C, Ctrl-Z, Ctrl-\ go to the guest */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		signal(fatal[i], on_fatal);
	atexit(term_restore);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t))
		return kt_err(errno, "shell: put the terminal in raw mode");
	raw_on = 1;
	return 0;
}

/* ---- the session ---- */

struct session {
	bool detached;       /* Ctrl-] */
	bool have_exit;
	int32_t exit_code;
	bool verbose, quiet;
	unsigned malformed;
	/* --bpf-out, ktstr verifier: the monitor's BPF walk, verifier logs */
	struct kt_bpf_run *bpf;
	struct kt_monitor *mon;
	bool mon_started;
	uint64_t t0;
};

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* stdout gone: the VM still runs to its end */
		p += n;
		len -= (size_t)n;
	}
}

static void on_prepare(void *arg, struct vm *vm)
{
	struct session *s = arg;

	s->t0 = kt_now_ns();
	kt_ring_init(vm->shm, vm->shm_size);
}

static void on_finish(void *arg, struct vm *vm)
{
	struct session *s = arg;

	(void)vm;
	kt_monitor_stop(s->mon); /* its last BPF walk, before guest RAM goes */
}

static void on_output(void *arg, int port, const char *data, size_t len)
{
	struct session *s = arg;

	struct kbuf c = { 0 };

	/* COM2 or the virtio console is the user's terminal session: passed
	 * through as it is (not with --quiet).  The kernel console (--verbose)
	 * is not. */
	if ((port == 2 || port == 3) && !s->quiet) {
		write_all(STDOUT_FILENO, data, len);
	} else if (s->verbose && !kt_text_clean(data, len, KT_TEXT_TERM, &c) && c.data) {
		write_all(STDERR_FILENO, c.data, c.len);
	}
	kt_kbuf_free(&c);
}

static void on_msg(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	struct session *s = arg;

	if (crc_ok && type == KT_MSG_EXIT && len == sizeof(int32_t)) {
		memcpy(&s->exit_code, p, sizeof(int32_t));
		s->have_exit = true;
	}
	if (crc_ok && type == KT_MSG_VERIFIER_LOG && s->bpf)
		kt_vlogs_add(&s->bpf->vlogs, p, len);
}

static bool on_tick(void *arg, struct vm *vm)
{
	struct session *s = arg;

	if (s->mon && !s->mon_started) { /* after launch */
		s->mon_started = true;
		kt_monitor_start(s->mon, vm, s->t0);
	}
	kt_ring_drain(vm->shm, vm->shm_size, on_msg, s, &s->malformed);
	return s->detached;
}

static size_t on_input(void *arg, char *data, size_t len)
{
	struct session *s = arg;
	char *esc = memchr(data, KT_SHELL_ESCAPE, len);

	if (!esc)
		return len;
	s->detached = true;
	return (size_t)(esc - data);
}

/* Our VMM's virtio console is the terminal (no UART emulation in the
 * way) when the kernel's config shows it has the driver; without a
 * config, COM2, which always works. */
static bool kernel_has_hvc0(const struct kernel_info *k)
{
	static const char *const need[] = { "CONFIG_VIRTIO_MMIO", "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES",
					    "CONFIG_VIRTIO_CONSOLE" };
	struct kbuf cfg = { 0 };
	char v[8];
	bool ok = k->config[0] && !kt_read_file(k->config, &cfg) && cfg.data;

	for (size_t i = 0; ok && i < ARRAY_SIZE(need); i++) {
		kt_kconfig_get(cfg.data, need[i], v, sizeof(v));
		ok = !strcmp(v, "y");
	}
	kt_kbuf_free(&cfg);
	return ok;
}

/* Host path and guest path of the scheduler. */
static int resolve_scheduler(const char *name, const struct kernel_info *k, char *host, size_t len, char *guest,
			     size_t glen)
{
	const char *base;

	if (strchr(name, '/')) {
		if (!realpath(name, host) || !kt_is_executable(host)) {
			fprintf(stderr, "ktstr: --scheduler %s: missing or not executable\n", name);
			return -ENOENT;
		}
	} else if (kt_scx_fixture(name) ? kt_kernel_scx_fixture(k, name, host, len) : kt_kernel_scheduler_path(k, name, host, len)) {
		fprintf(stderr, "ktstr: --scheduler %s: not among the schedulers built with kernel %s (%s); run `ktstr "
				"kernel build` or give a path\n",
			name, k->key[0] ? k->key : k->bzimage, k->sched_dir[0] ? k->sched_dir : "no sched dir");
		return -ENOENT;
	}
	base = strrchr(host, '/') + 1;
	if (kt_fmt(guest, glen, "/sched/%s", base)) {
		fprintf(stderr, "ktstr: --scheduler %s: file name too long for the guest\n", name);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int build_initrd(const struct kt_shell_opts *o, const char *sched_host, const char *sched_guest, char *out,
			size_t len)
{
	struct kt_include_files inc = { 0 };
	struct initramfs_spec spec = { .busybox = true };
	struct initramfs_file *files;
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int ret;

	if (sl < 0)
		return kt_err(errno, "shell: readlink /proc/self/exe");
	self[sl] = '\0';
	const char **args = calloc(o->n_include + 1, sizeof(*args));

	if (!args)
		return kt_err(ENOMEM, "shell: include list");
	for (size_t i = 0; i < o->n_include; i++)
		args[i] = o->include[i];
	/* Included programs get glibc's UTF-8 locale (~400 KiB). */
	if (o->n_include && kt_path_exists(LOCALE_DIR))
		args[o->n_include] = LOCALE_DIR;
	ret = kt_include_collect("--include-files", args, o->n_include + (o->n_include && kt_path_exists(LOCALE_DIR)), &inc);
	free(args);
	if (ret)
		return -EINVAL;
	files = calloc(inc.n + 1, sizeof(*files));
	if (!files) {
		kt_include_files_free(&inc);
		return kt_err(ENOMEM, "shell: initramfs file list");
	}
	for (size_t i = 0; i < inc.n; i++)
		files[spec.nfiles++] = (struct initramfs_file){ .src = inc.v[i].src, .dst = inc.v[i].dst };
	if (sched_host)
		files[spec.nfiles++] = (struct initramfs_file){ .src = sched_host, .dst = sched_guest + 1, .strip = true };
	spec.init = self;
	spec.files = files;
	ret = kt_initramfs_build(&spec, out, len);
	free(files);
	kt_include_files_free(&inc);
	return ret;
}

/* How the VM ended, into end (see kt_shell_run). */
static int session_end(const struct session *s, const struct vm_result *r, bool exec, struct kt_shell_end *end)
{
	char detail[sizeof(r->detail)];

	kt_line_clean(r->detail, detail, sizeof(detail)); /* may hold guest text */
	if (s->detached) {
		fprintf(stderr, "\nktstr shell: Ctrl-] pressed; VM stopped\n");
		end->detached = true;
		end->status = 0;
		return 0;
	}
	switch (r->exit) {
	case VM_EXIT_INTERRUPTED:
		fprintf(stderr, "\nktstr shell: %s; VM stopped\n", detail);
		return -EINTR;
	case VM_EXIT_POWEROFF:
	case VM_EXIT_RESET:
		if (s->have_exit) {
			end->status = s->exit_code >= 0 && s->exit_code <= 255 ? s->exit_code : 1;
			return 0;
		}
		fprintf(stderr, "ktstr shell: the guest %s without reporting %s exit status\n", kt_vm_exit_name(r->exit),
			exec ? "the command's" : "the shell's");
		return -ENODATA;
	default:
		fprintf(stderr, "ktstr shell: the guest %s%s%s\n", kt_vm_exit_name(r->exit), detail[0] ? ": " : "",
			detail);
		return -EIO;
	}
}

/* The scheduler's arguments plus "--log-level N" when its binary knows
 * that option (scx_ktstr does) and they do not set it already. */
static const char *with_log_level(const char *path, const char *args, unsigned level, struct kt_bpf_run *r)
{
	static char buf[2048];
	struct kbuf b = { 0 };
	bool knows = !kt_read_file(path, &b) && b.data && memmem(b.data, b.len, "--log-level", 11);

	kt_kbuf_free(&b);
	if (!knows || (args && strstr(args, "--log-level")))
		return args;
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s--log-level %u", args ? args : "", args && *args ? " " : "",
			     level) >= sizeof(buf))
		return args;
	if (r)
		r->log_level = level;
	return buf;
}

/* The monitor, for its BPF walk only (no verdict). */
static int bpf_monitor(const struct kernel_info *k, struct kt_layout **layout, struct kt_monitor **mon,
		       struct kt_bpf_run *out)
{
	struct ktstr_test t = { .name = "shell" };
	struct kt_mon_opts mo;

	if (!k->vmlinux[0]) {
		snprintf(out->note, sizeof(out->note), "kernel %s has no vmlinux: no BPF walk", k->key);
		return 0;
	}
	*layout = kt_monitor_kernel(k->vmlinux);
	if (!*layout) {
		snprintf(out->note, sizeof(out->note), "the kernel's vmlinux is unusable for the monitor (said why above)");
		return 0;
	}
	kt_monitor_opts(&mo, &t, NULL, 0);
	*mon = kt_monitor_new(*layout, &mo);
	if (!*mon) {
		kt_err(ENOMEM, "shell: monitor");
		return -ENOMEM;
	}
	return 0;
}

/* An error caused by the options (its message printed). */
static int bad_input(struct kt_shell_end *end, int ret)
{
	end->bad_input = true;
	return ret;
}

int kt_shell_run(const struct kt_shell_opts *o, struct kt_shell_end *end)
{
	struct kernel_info k;
	struct kt_shell_guest_spec gs = { .topo = o->topo, .exec = o->exec, .sched_args = o->sched_args };
	struct session s = { .verbose = o->verbose, .quiet = o->quiet, .bpf = o->bpf };
	struct vm_hooks hooks = { .arg = &s, .prepare = on_prepare, .output = on_output, .tick = on_tick,
				  .input = on_input, .finish = on_finish };
	struct kt_layout *layout = NULL;
	struct vm_config cfg = { 0 };
	struct vm_result res;
	struct winsize ws;
	const struct vm_backend_ops *ops;
	char sched_host[PATH_MAX], sched_guest[300], initrd[PATH_MAX], cmdline[4096], err[256], why[512];
	bool interactive = !o->exec;
	int ret;

	*end = (struct kt_shell_end){ 0 };
	kt_signals_install(); /* before anything that makes a file or a process */
	if (interactive && !isatty(STDIN_FILENO)) {
		kt_err(0, "shell: stdin is not a terminal; run it in one, or use --exec CMD");
		return bad_input(end, -ENOTTY);
	}
	if (!(ops = kt_vm_select(o->vmm, why, sizeof(why)))) {
		kt_err(0, "%s", why);
		return bad_input(end, -ENODEV);
	}
	if ((ret = kt_kernel_resolve(o->kernel, &k)))
		return bad_input(end, ret);
	gs.hvc0 = ops == &kt_vm_kvm_ops && kernel_has_hvc0(&k);
	if (o->scheduler && (ret = resolve_scheduler(o->scheduler, &k, sched_host, sizeof(sched_host), sched_guest,
						     sizeof(sched_guest))))
		return bad_input(end, ret);
	gs.sched_guest = o->scheduler ? sched_guest : NULL;
	if (o->scheduler && o->log_level)
		gs.sched_args = with_log_level(sched_host, o->sched_args, o->log_level, o->bpf);
	if (o->bpf && (ret = bpf_monitor(&k, &layout, &s.mon, o->bpf)))
		return ret;
	/* The guest holds the scheduler until the monitor has read its
	 * programs once (bounded: an unlocated kernel never answers). */
	if (s.mon)
		gs.bpf_sync_ms = KT_SHELL_BPF_SYNC_MS;
	gs.term = getenv("TERM");
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)) {
		gs.cols = ws.ws_col;
		gs.rows = ws.ws_row;
	}
	if ((ret = kt_shell_cmdline(&gs, cmdline, sizeof(cmdline), err, sizeof(err)))) {
		kt_err(0, "shell: %s", err);
		ret = bad_input(end, ret);
		goto out;
	}
	/* -EINVAL, -ENOENT: an --include-files argument, or a file or
	 * library one of them needs, is missing or unusable. */
	ret = build_initrd(o, o->scheduler ? sched_host : NULL, sched_guest, initrd, sizeof(initrd));
	if (kt_interrupted) {
		fprintf(stderr, "ktstr shell: interrupted by signal %d before the VM started\n", (int)kt_interrupted);
		ret = 128 + kt_interrupted;
		goto out;
	}
	if (ret) {
		if (ret == -EINVAL || ret == -ENOENT)
			ret = bad_input(end, ret);
		goto out;
	}
	cfg.kernel = k.bzimage;
	cfg.initrd = initrd;
	cfg.cmdline = cmdline;
	cfg.topo = o->topo;
	cfg.memory_mb = kt_default_memory_mb(NULL, 0, o->memory_mb, 0);
	if (cfg.memory_mb < VM_MIN_NODE_MB * o->topo.numa_nodes)
		cfg.memory_mb = VM_MIN_NODE_MB * o->topo.numa_nodes;
	cfg.timeout_ms = UINT_MAX; /* the user decides when it ends */
	cfg.vmm = o->vmm;
	cfg.com2_input = interactive;
	cfg.input_hvc0 = gs.hvc0;
	cfg.input_fd = STDIN_FILENO;
	cfg.com2_stream_only = true;
	if (interactive) {
		char ts[32];

		ktstr_topo_format(&o->topo, ts, sizeof(ts));
		fprintf(stderr, "ktstr shell: kernel %s, %s (%u CPUs), %u MiB, scheduler %s\n"
				"ktstr shell: `exit` or Ctrl-] leaves; the VM powers off\n",
			k.version[0] ? k.version : k.bzimage, ts, ktstr_topo_cpus(&o->topo), cfg.memory_mb,
			o->scheduler ? o->scheduler : "EEVDF");
		if ((ret = term_raw())) {
			term_restore();
			goto out;
		}
	}
	ret = kt_vm_run(&cfg, &hooks, &res);
	term_restore();
	if (!ret && o->bpf)
		kt_bpf_run_collect(o->bpf, s.mon, layout);
	if (!ret) {
		ret = session_end(&s, &res, !interactive, end);
		kt_vm_result_free(&res);
	}
out:
	kt_monitor_free(s.mon);
	kt_monitor_kernel_free(layout);
	return ret;
}
