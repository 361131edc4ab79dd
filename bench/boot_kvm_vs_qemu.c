/* Boot benchmark: ktstr's own KVM VMM vs `qemu-system-x86_64 -M microvm
 * -enable-kvm -cpu host,-svm,-vmx`, same L2 kernel and initramfs, inside the same nested-rig
 * L1 (this machine's /dev/kvm cannot boot Linux; see docs/vmm.md).
 *
 * Host side (this program, not PID 1): builds an L1 initramfs holding this
 * binary as /init, the kernel as /nested/bzImage and QEMU with its library
 * closure and microvm firmware, boots the L1 under QEMU with the host's
 * virtualization extension exposed, and prints the table the L1 reports.
 * In L1 (PID 1) the registered test below does the measuring.
 *
 * Per vCPU count (1, 2, 4, 8; topology 1n1l<N>c1t; 512 MiB guest):
 *   boot-to-init: VMM start to KTSTR_INIT_STARTED on the guest console
 *   startup:      kt_vm_run() entry to the BSP's first KVM_RUN (ours)
 *   RSS overhead: VMM RssAnon+RssFile once init runs (guest RAM is a
 *                 memfd in both, so RssShmem is excluded)
 * Build and run: bench/boot_kvm_vs_qemu.sh */
#include "proto/shm_ring.h"
#include "initramfs/initramfs.h"
#include "kernel/kernel.h"
#include "vm/kvm/kvm.h"
#include "runner/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ktstr/ktstr.h>

#define REPS 2
#define L2_MB 512u
#define INIT_MARK "KTSTR_INIT_STARTED"

static long rss_kib(pid_t pid)
{
	char path[64], buf[8192], *p;
	long anon = 0, file = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (kt_read_file_str(path, buf, sizeof(buf)))
		return -1;
	if ((p = strstr(buf, "RssAnon:")))
		anon = strtol(p + 8, NULL, 10);
	if ((p = strstr(buf, "RssFile:")))
		file = strtol(p + 8, NULL, 10);
	return anon + file;
}

struct probe {
	uint64_t t0, t_prep, t_init;
	long rss_base, rss;
	struct kbuf con;
};

static void p_prepare(void *arg, struct vm *vm)
{
	struct probe *p = arg;

	kt_ring_init(vm->shm, vm->shm_size);
	p->t_prep = kt_now_ns();
}

static void p_output(void *arg, int port, const char *data, size_t len)
{
	struct probe *p = arg;

	if (p->t_init)
		return;
	kt_kbuf_append(&p->con, data, len);
	if (p->con.data && strstr(p->con.data, INIT_MARK))
		p->t_init = kt_now_ns();
}

static bool p_tick(void *arg, struct vm *vm)
{
	struct probe *p = arg;

	if (!p->t_init)
		return false;
	p->rss = rss_kib(getpid()) - p->rss_base;
	return true; /* measured: stop the guest */
}

static int run_ours(unsigned n, const char *initrd, double *boot_ms, double *startup_ms, long *rss)
{
	struct vm_config cfg = { .kernel = "/nested/bzImage", .initrd = initrd,
				 .cmdline = "ktstr_test=bench_boot_kvm_vs_qemu ktstr_nested=l2",
				 .topo = { 1, 1, n, 1 }, .memory_mb = L2_MB, .timeout_ms = 300000, .vmm = VMM_KVM };
	struct vm_hooks h = { 0 };
	struct probe p = { 0 };
	struct vm_result r;
	int ret;

	h.arg = &p;
	h.prepare = p_prepare;
	h.output = p_output;
	h.tick = p_tick;
	p.rss_base = rss_kib(getpid());
	p.t0 = kt_now_ns();
	ret = kt_vm_run(&cfg, &h, &r);
	if (ret)
		return ret;
	kt_vm_result_free(&r);
	kt_kbuf_free(&p.con);
	if (!p.t_init)
		return -ETIMEDOUT;
	*boot_ms = (double)(p.t_init - p.t0) / 1e6;
	*startup_ms = (double)(p.t_prep - p.t0 + atomic_load(&kt_vmm_stat_first_run_ns)) / 1e6;
	*rss = p.rss;
	return 0;
}

static int run_qemu(unsigned n, const char *initrd, const char *cmdline, double *boot_ms, long *rss)
{
	char smp[16], append[4200], obj[96];
	int out[2];
	pid_t pid;
	uint64_t t0 = kt_now_ns(), t_init = 0;
	struct kbuf con = { 0 };

	snprintf(smp, sizeof(smp), "%u", n);
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=ram,size=%uM", L2_MB);
	snprintf(append, sizeof(append), "%s", cmdline);
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[] = { "/usr/bin/qemu-system-x86_64", "-L", "/qemu", "-M",
				 "microvm,pit=on,pic=on,rtc=on", /* the legacy timers ours has too */ "-enable-kvm", "-cpu",
				 "host,-svm,-vmx", /* as our VMM: no nested virtualization in L2 */ "-smp", smp, "-m", "512M", "-object", obj, "-machine", "memory-backend=ram",
				 "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor",
				 "none", "-no-reboot",
				 /* COM2 as well: the guest init writes its start marker there */
				 "-chardev", "file,id=com2,path=/proc/self/fd/1", "-device",
				 "isa-serial,chardev=com2,iobase=0x2f8,irq=3", "-kernel", "/nested/bzImage", "-initrd", (char *)initrd,
				 "-append", append, NULL };

		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while (!t_init && kt_now_ns() - t0 < 120000000000ull) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		char buf[4096];
		ssize_t k;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		k = read(out[0], buf, sizeof(buf));
		if (k <= 0)
			break;
		kt_kbuf_append(&con, buf, (size_t)k);
		if (con.data && strstr(con.data, INIT_MARK))
			t_init = kt_now_ns();
	}
	*rss = rss_kib(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(out[0]);
	if (!t_init)
		printf("BENCH qemu output: %.600s\n", con.data ? con.data : "(none)");
	kt_kbuf_free(&con);
	if (!t_init)
		return -ETIMEDOUT;
	*boot_ms = (double)(t_init - t0) / 1e6;
	return 0;
}

KTSTR_TEST(bench_boot_kvm_vs_qemu, .nested = true, .timeout_s = 1800,
	   .desc = "benchmark (in a nested-rig L1): boot-to-init of ktstr's KVM VMM vs QEMU microvm")
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	char initrd[4096];
	struct vm v = { 0 };
	struct vm_config vc = { .topo = { 1, 1, 1, 1 }, .cmdline = "ktstr_test=bench_boot_kvm_vs_qemu ktstr_nested=l2" };

	if (ktstr_nested_l2())
		return 0;
	if (kt_nested_initramfs(initrd, sizeof(initrd))) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "no L2 initramfs");
		return 0;
	}
	/* QEMU gets the command line our VMM builds, minus nothing. */
	v.cfg = &vc;
	snprintf(v.accel, sizeof(v.accel), "kvm");
	if (kt_vm_build_cmdline(&v)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "the kernel command line does not fit");
		return 0;
	}
	printf("BENCH| vCPUs | ours boot-to-init ms | qemu microvm boot-to-init ms | ratio qemu/ours | "
	       "ours startup ms | ours RSS overhead KiB | qemu RSS KiB |\n");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		double ob = 1e12, os = 1e12, qb = 1e12;
		long orss = -1, qrss = -1;

		for (int rep = 0; rep < REPS; rep++) {
			double b = 0, s = 0;
			long rs = -1;
			int ret;

			ret = run_ours(sizes[i], initrd, &b, &s, &rs);
			printf("bench: %u vCPUs ours: %s %.0f ms\n", sizes[i], ret ? strerror(-ret) : "init at", b);
			if (!ret && b < ob) {
				ob = b;
				os = s;
				orss = rs;
			}
			ret = run_qemu(sizes[i], initrd, v.cmdline, &b, &rs);
			printf("bench: %u vCPUs qemu: %s %.0f ms\n", sizes[i], ret ? strerror(-ret) : "init at", b);
			fflush(stdout);
			if (!ret && b < qb) {
				qb = b;
				qrss = rs;
			}
		}
		printf("BENCH| %u | %.0f | %.0f | %.2f | %.1f | %ld | %ld |\n", sizes[i], ob, qb, qb / ob, os, orss,
		       qrss);
		fflush(stdout);
	}
	return 0;
}

/* ---- host side ---- */
static void on_host_output(void *arg, int port, const char *data, size_t len)
{
	(void)arg;
	if (port == 2)
		fwrite(data, 1, len, stderr);
}

int main(int argc, char **argv)
{
	struct kernel_info k;
	char self[PATH_MAX], qemu[PATH_MAX], initrd[PATH_MAX], cmdline[256];
	struct initramfs_file files[4];
	struct initramfs_spec spec = { .files = files, .nfiles = 0 };
	struct vm_config cfg = { 0 };
	struct vm_hooks h = { .output = on_host_output };
	struct vm_result r;
	struct kbuf com1 = { 0 }, com2 = { 0 };
	ssize_t sl;

	if (getpid() == 1)
		return ktstr_main(argc, argv);
	if (kt_kernel_resolve(argc > 1 ? argv[1] : NULL, &k))
		return 2;
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl < 0 || kt_find_in_path("qemu-system-x86_64", qemu, sizeof(qemu)))
		return fprintf(stderr, "bench: need /proc/self/exe and qemu-system-x86_64\n"), 2;
	self[sl] = '\0';
	spec.init = self;
	files[spec.nfiles++] = (struct initramfs_file){ .src = k.bzimage, .dst = "nested/bzImage" };
	files[spec.nfiles++] = (struct initramfs_file){ .src = qemu, .dst = "usr/bin/qemu-system-x86_64" };
	files[spec.nfiles++] = (struct initramfs_file){ .src = "/usr/share/qemu/qboot.rom", .dst = "qemu/bios-microvm.bin" };
	files[spec.nfiles++] = (struct initramfs_file){ .src = "/usr/share/qemu/linuxboot_dma.bin",
							.dst = "qemu/linuxboot_dma.bin" };
	if (kt_initramfs_build(&spec, initrd, sizeof(initrd)))
		return 1;
	snprintf(cmdline, sizeof(cmdline), "ktstr_test=bench_boot_kvm_vs_qemu ktstr_topo=1n1l2c1t ktstr_duration_ms=1000");
	cfg.kernel = k.bzimage;
	cfg.initrd = initrd;
	cfg.cmdline = cmdline;
	cfg.topo = (struct ktstr_topo){ 1, 1, 2, 1 };
	cfg.memory_mb = 3072;
	cfg.timeout_ms = 1800u * 1000;
	cfg.vmm = VMM_QEMU;
	cfg.nested_host = true;
	kt_signals_install();
	fprintf(stderr, "bench: L1 under QEMU (%s), L2 kernel %s\n", k.version, k.bzimage);
	if (kt_vm_run(&cfg, &h, &r))
		return 1;
	fprintf(stderr, "bench: L1 %s after %.1f s\n", kt_vm_exit_name(r.exit), (double)r.wall_ns / 1e9);
	kt_capture_text(&r.com2, &com2); /* the L1's few lines: all in the head */
	kt_capture_last(&r.com1, 3000, &com1);
	for (char *p = com2.data; p && (p = strstr(p, "BENCH|")); p++)
		printf("|%.*s\n", (int)strcspn(p + 6, "\r\n"), p + 6);
	if (r.exit != VM_EXIT_POWEROFF || !strstr(com2.data ? com2.data : "", "KTSTR_EXIT=0"))
		fprintf(stderr, "bench: L1 did not finish cleanly; its console ends:\n%s\n", com1.data ? com1.data : "");
	kt_kbuf_free(&com1);
	kt_kbuf_free(&com2);
	kt_vm_result_free(&r);
	return 0;
}
