/* The nested rig: each test boots an L1 under QEMU with the host's
 * virtualization extension exposed (here TCG's AMD SVM) and, inside it,
 * an L2 with ktstr's own KVM VMM (--vmm kvm), then checks how the L2 was
 * judged.  This is how our VMM is proven on machines whose /dev/kvm
 * cannot boot Linux (docs/vmm.md). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <ktstr/ktstr.h>
#include "monitor/mcheck.h"

enum { V_PASS = 0, V_FAIL = 1 };
enum { X_ANY = 0, X_POWEROFF = 1, X_RESET = 2, X_PANIC = 3, X_TIMEOUT = 4 };

static const char *verdict_name(int v)
{
	static const char *const n[] = { "PASS", "FAIL", "SKIP", "ERROR" };

	return v >= 0 && v < 4 ? n[v] : "?";
}

/* Boots the L2 and checks its verdict and exit; true if both are as
 * wanted.  *r (may be NULL) gets the result. */
static bool run_l2(struct ktstr_ctx *ctx, const char *test, const char *topo, unsigned timeout_s, int verdict,
		   int exit_kind, const struct ktstr_nested_opts *opts, struct ktstr_nested_result *r)
{
	static struct ktstr_nested_result mine;
	int ret;

	if (!r)
		r = &mine;
	ret = ktstr_nested_run_opts(ctx, test, topo, timeout_s, opts, r);
	if (ret) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s could not run: %s", test, r->reason);
		return false;
	}
	if (r->verdict != verdict || (exit_kind != X_ANY && r->exit != exit_kind)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s under --vmm kvm: %s, exit %s after %.1fs (wanted %s%s%s): %s",
			   test, verdict_name(r->verdict), r->exit_name, r->wall_s, verdict_name(verdict),
			   exit_kind == X_PANIC ? ", panicked" : exit_kind == X_TIMEOUT ? ", timed out" : "",
			   exit_kind == X_POWEROFF ? ", powered off" : "", r->reason);
		return false;
	}
	ktstr_log(ctx, "L2 %s under --vmm kvm: %s, exit %s, wall %.1fs, boot %.2fs%s%s", test, verdict_name(r->verdict),
		  r->exit_name, r->wall_s, r->boot_s, r->reason[0] ? ": " : "", r->reason);
	return true;
}

static int expect_l2(struct ktstr_ctx *ctx, const char *test, const char *topo, unsigned timeout_s, int verdict,
		     int exit_kind)
{
	run_l2(ctx, test, topo, timeout_s, verdict, exit_kind, NULL, NULL);
	return 0;
}

KTSTR_TEST(nested_steady, .nested = true, .timeout_s = 300,
	   .desc = "nested: the EEVDF steady test passes in an L2 under ktstr's own KVM VMM")
{
	return expect_l2(ctx, "steady", NULL, 0, V_PASS, X_POWEROFF);
}

KTSTR_TEST(nested_topo_1n1l2c1t, .nested = true, .timeout_s = 300,
	   .desc = "nested: L2 sysfs topology 1n1l2c1t under ktstr's own KVM VMM")
{
	return expect_l2(ctx, "topo_1n1l2c1t", NULL, 0, V_PASS, X_POWEROFF);
}

KTSTR_TEST(nested_topo_1n2l2c2t, .nested = true, .timeout_s = 300,
	   .desc = "nested: L2 sysfs topology 1n2l2c2t (SMT, 2 LLCs) under ktstr's own KVM VMM")
{
	return expect_l2(ctx, "topo_1n2l2c2t", NULL, 0, V_PASS, X_POWEROFF);
}

KTSTR_TEST(nested_topo_2n2l2c1t, .nested = true, .timeout_s = 300,
	   .desc = "nested: L2 sysfs topology 2n2l2c1t (2 NUMA nodes) under ktstr's own KVM VMM")
{
	return expect_l2(ctx, "topo_2n2l2c1t", NULL, 0, V_PASS, X_POWEROFF);
}

/* In an L2: sysrq `c` (c: crash, b: reboot at once), which does not
 * come back. */
static int l2_sysrq(struct ktstr_ctx *ctx, char c)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	if (fd >= 0 && write(fd, &c, 1) < 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "sysrq-trigger write failed");
	ktstr_sleep_ms(10000);
	ktstr_fail(ctx, KTSTR_K_OTHER, "still alive after sysrq %c", c);
	return 0;
}

/* In the L2 this panics the kernel; in L1 it checks that the panic came
 * back as a FAIL promptly, not as a hang. */
KTSTR_TEST(nested_panic, .nested = true, .timeout_s = 300,
	   .desc = "nested: an L2 kernel panic (sysrq c) is reported as a failure, not a hang")
{
	if (ktstr_nested_l2())
		return l2_sysrq(ctx, 'c');
	return expect_l2(ctx, "nested_panic", "1n1l2c1t", 90, V_FAIL, X_PANIC);
}

/* An L2 that panics in setup_arch (neg_guest_early_panic: mem=8M, no
 * room for the initramfs), before its console and before it can reboot:
 * the report must name the panic from the console, not a reset or a
 * timeout (issue 17). */
KTSTR_TEST(nested_early_panic, .nested = true, .timeout_s = 300,
	   .desc = "nested: an early L2 panic (before its console and pvpanic) is reported as the panic it is")
{
	static struct ktstr_nested_result r;

	if (run_l2(ctx, "neg_guest_early_panic", NULL, 90, V_PASS, X_PANIC, NULL, &r) &&
	    !strstr(r.reason, "Kernel panic - not syncing"))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 panic reported without the panic's text: %s", r.reason);
	return 0;
}

/* In the L2 this reboots the kernel at once (sysrq b): the report must
 * name what reset the machine (the i8042, a triple fault with the vCPU
 * state, a system event), not just "reset". */
KTSTR_TEST(nested_reset, .nested = true, .timeout_s = 300,
	   .desc = "nested: an L2 that resets is reported with the reset's cause")
{
	static struct ktstr_nested_result r;

	if (ktstr_nested_l2())
		return l2_sysrq(ctx, 'b');
	if (run_l2(ctx, "nested_reset", "1n1l2c1t", 90, V_FAIL, X_RESET, NULL, &r) &&
	    (!strstr(r.reason, "guest reset with no result") || strstr(r.reason, "reset requested by the guest")))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 reset reported without its cause: %s", r.reason);
	return 0;
}

/* In the L2 this never returns.  As on the host, L1 asks the L2 3 s
 * before its 30 s limit to report what it has (the graceful stop), so
 * the hang comes back as a failure naming the limit; an L2 too slow to
 * answer is killed at the limit, which is a failure too. */
KTSTR_TEST(nested_hang, .nested = true, .timeout_s = 300,
	   .desc = "nested: an L2 that hangs is stopped before its limit and reported as a failure")
{
	static struct ktstr_nested_result r;

	if (ktstr_nested_l2()) {
		for (;;)
			pause();
	}
	if (run_l2(ctx, "nested_hang", "1n1l2c1t", 30, V_FAIL, X_ANY, NULL, &r) &&
	    !strstr(r.reason, "VM time limit near") && r.exit != X_TIMEOUT)
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 hang reported, but neither by the graceful stop nor the limit: %s (exit %s)",
			   r.reason, r.exit_name);
	return 0;
}

/* The L2 runs neg_scx_ktstr_host_stall_wd: L1 must request the stall
 * through the L2's ring and write the 2 s watchdog into the L2's kernel,
 * exactly as the host runner does, or the L2 passes and this fails. */
KTSTR_TEST(nested_stall_watchdog, .nested = true, .timeout_s = 300,
	   .desc = "nested: L1 requests an L2 stall and overrides its sched_ext watchdog; the L2's kernel ejects "
		   "scx_ktstr (expected failure seen)")
{
	static struct ktstr_nested_result r;

	if (run_l2(ctx, "neg_scx_ktstr_host_stall_wd", NULL, 0, V_PASS, X_ANY, NULL, &r) &&
	    !strstr(r.reason, "runnable task stall"))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 passed, but not by the watchdog's stall ejection: %s", r.reason);
	return 0;
}

/* ---- the host monitor beside our own VMM ----
 * L1 runs the monitor on its L2 exactly as the host runner runs it on a
 * QEMU guest: from /nested/vmlinux (a DWARF-less copy) and the L2's RAM
 * as our VMM maps it.  Each test reruns a monitor_ test in the L2 and
 * checks both its verdict and that the monitor really found the kernel,
 * sampled it and cross-checked the guest's own readings. */
static bool monitor_worked(struct ktstr_ctx *ctx, const char *test, const struct ktstr_nested_result *r, bool nr)
{
	if (!r->mon_ran || !r->mon_located || !r->mon_samples) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s: the monitor did not run or did not find the kernel: %s", test,
			   r->mon_note[0] ? r->mon_note : "(no note)");
		return false;
	}
	if (nr && (!r->mon_nr_readings || kt_mon_xcheck_thin(r->mon_nr_readings, r->mon_nr_matched) ||
		   kt_mon_xcheck_off(r->mon_nr_matched, r->mon_nr_agree))) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s: nr_running cross-check too thin or off: %s", test, r->mon_note);
		return false;
	}
	if (nr && (!r->mon_kernel_readings || r->mon_kernel_bad)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s: kernel address cross-check: %s", test, r->mon_note);
		return false;
	}
	ktstr_log(ctx, "L2 %s monitor: %s", test, r->mon_note);
	return true;
}

static int expect_monitor(struct ktstr_ctx *ctx, const char *test, bool nr)
{
	static struct ktstr_nested_result r;

	if (run_l2(ctx, test, NULL, 0, V_PASS, X_ANY, NULL, &r))
		monitor_worked(ctx, test, &r, nr);
	return 0;
}

KTSTR_TEST(nested_monitor_agrees, .nested = true, .timeout_s = 300,
	   .desc = "nested: under our own VMM the monitor's nr_running agrees with the L2's sched/debug (nokaslr)")
{
	return expect_monitor(ctx, "monitor_nr_running_agrees", true);
}

KTSTR_TEST(nested_monitor_kaslr, .nested = true, .timeout_s = 300,
	   .desc = "nested: under our own VMM the monitor finds a KASLR kernel; _text, its physical address and "
		   "page walks agree with the L2's kallsyms/iomem/vmallocinfo")
{
	return expect_monitor(ctx, "monitor_kaslr_on", true);
}

KTSTR_TEST(nested_monitor_stall, .nested = true, .timeout_s = 300,
	   .desc = "nested: under our own VMM the monitor alone flags scx_ktstr's stall (the L2's expected failure)")
{
	static struct ktstr_nested_result r;

	if (run_l2(ctx, "monitor_stall_flagged", NULL, 0, V_PASS, X_ANY, NULL, &r) &&
	    monitor_worked(ctx, "monitor_stall_flagged", &r, false) && !strstr(r.reason, "monitor: "))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 monitor_stall_flagged passed, but not by the monitor: %s", r.reason);
	return 0;
}

/* ---- virtio-blk and virtio-console in the L2 ----
 * L1 makes two disk images with a known pattern; the L2 checks what its
 * kernel sees (size, read-only flag, serial from GET_ID), reads both
 * disks back (vda with O_DIRECT, so multi-segment requests), writes a
 * marker into vda and flushes it, must fail to write the read-only vdb,
 * and talks on /dev/hvc0: a line out, and the line L1 typed echoed back.
 * L1 then checks the images (marker there, everything else unchanged)
 * and the hvc0 output.  Negative: a disk image that does not exist stops
 * the L2 launch with an error instead of booting it. */
#define VDA_PATH "/tmp/ktstr-virtio-vda.img"
#define VDB_PATH "/tmp/ktstr-virtio-vdb.img"
#define VDA_SIZE (2u << 20)
#define VDB_SIZE ((64u << 10) + 300) /* the partial sector is not visible */
#define MARK_OFF ((1u << 20) + 8192)
#define MARK_LEN 4096u
#define HVC_TOKEN "ktstr-hvc0-ping-4711"

static uint8_t pattern(uint64_t i, unsigned disk)
{
	return (uint8_t)((i * 131 + (i >> 9) * 7 + disk * 29) ^ (i >> 17));
}

static void mark(uint8_t *p)
{
	for (unsigned i = 0; i < MARK_LEN; i++)
		p[i] = (uint8_t)(i % 251) ^ 0x5a;
	memcpy(p, "KTSTR-L2-WROTE-THIS", 19);
}

static int sysfs_u64(const char *path, unsigned long long *v)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* First byte where the file differs from the pattern (skipping the
 * marker range when skip_mark), or -1. */
static long long first_mismatch(const uint8_t *p, size_t len, unsigned disk, bool skip_mark)
{
	for (size_t i = 0; i < len; i++) {
		if (skip_mark && i >= MARK_OFF && i < MARK_OFF + MARK_LEN)
			continue;
		if (p[i] != pattern(i, disk))
			return (long long)i;
	}
	return -1;
}

static void l2_disks(struct ktstr_ctx *ctx)
{
	unsigned long long v;
	char serial[64] = { 0 };
	uint8_t *buf, m[MARK_LEN];
	long long bad;
	int fd;
	ssize_t n;

	if (sysfs_u64("/sys/block/vda/size", &v) || v != VDA_SIZE / 512)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/block/vda/size: %llu sectors, wanted %u", v, VDA_SIZE / 512);
	if (sysfs_u64("/sys/block/vdb/size", &v) || v != VDB_SIZE / 512)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/block/vdb/size: %llu sectors, wanted %u", v, VDB_SIZE / 512);
	if (sysfs_u64("/sys/block/vda/ro", &v) || v != 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/block/vda/ro is %llu for a read-write disk", v);
	if (sysfs_u64("/sys/block/vdb/ro", &v) || v != 1)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/block/vdb/ro is %llu for a read-only disk", v);
	fd = open("/sys/block/vda/serial", O_RDONLY);
	if (fd < 0 || read(fd, serial, sizeof(serial) - 1) < 0 || strncmp(serial, "ktstr-vda", 9))
		ktstr_fail(ctx, KTSTR_K_OTHER, "/sys/block/vda/serial is '%s', wanted ktstr-vda", serial);
	if (fd >= 0)
		close(fd);

	if (posix_memalign((void **)&buf, 4096, VDA_SIZE)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "allocate %u bytes", VDA_SIZE);
		return;
	}
	fd = open("/dev/vda", O_RDONLY | O_DIRECT);
	n = fd >= 0 ? pread(fd, buf, VDA_SIZE, 0) : -1;
	if (n != (ssize_t)VDA_SIZE)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vda: O_DIRECT read of %u bytes: %zd (%s)", VDA_SIZE, n,
			   strerror(errno));
	else if ((bad = first_mismatch(buf, VDA_SIZE, 0, false)) >= 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vda differs from the image at byte %lld (0x%02x, wanted 0x%02x)", bad,
			   buf[bad], pattern((uint64_t)bad, 0));
	if (fd >= 0)
		close(fd);
	fd = open("/dev/vdb", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, VDA_SIZE) : -1;
	if (n != (ssize_t)(VDB_SIZE / 512 * 512))
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vdb: read %zd bytes, wanted %u", n, VDB_SIZE / 512 * 512);
	else if ((bad = first_mismatch(buf, (size_t)n, 1, false)) >= 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vdb differs from the image at byte %lld", bad);
	if (fd >= 0)
		close(fd);
	free(buf);

	/* a write L1 checks, flushed (fsync: writeback, then FLUSH) */
	mark(m);
	fd = open("/dev/vda", O_WRONLY);
	if (fd < 0 || pwrite(fd, m, MARK_LEN, MARK_OFF) != MARK_LEN || fsync(fd))
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vda: write %u bytes at %u and fsync: %s", MARK_LEN, MARK_OFF,
			   strerror(errno));
	if (fd >= 0)
		close(fd);
	/* the read-only disk: opening for writing or writing must fail */
	fd = open("/dev/vdb", O_WRONLY);
	if (fd >= 0) {
		if (pwrite(fd, m, 512, 0) == 512 && !fsync(fd))
			ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/vdb is read-only but took a write");
		close(fd);
	}
}

static void l2_hvc0(struct ktstr_ctx *ctx)
{
	static const char hello[] = "ktstr-hvc0: hello from L2\n";
	char line[128] = { 0 }, out[192];
	size_t got = 0;
	int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY), len;

	if (fd < 0) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "open /dev/hvc0: %s", strerror(errno));
		return;
	}
	if (write(fd, hello, sizeof(hello) - 1) != (ssize_t)sizeof(hello) - 1)
		ktstr_fail(ctx, KTSTR_K_OTHER, "write /dev/hvc0: %s", strerror(errno));
	/* the line L1 typed (canonical mode: read returns at the newline) */
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 60000) <= 0)
			break;
		n = read(fd, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, HVC_TOKEN))
		ktstr_fail(ctx, KTSTR_K_OTHER, "/dev/hvc0: read '%s', wanted '%s'", line, HVC_TOKEN);
	len = snprintf(out, sizeof(out), "ktstr-hvc0: got %s\n", line);
	if (write(fd, out, (size_t)len) != len)
		ktstr_fail(ctx, KTSTR_K_OTHER, "write /dev/hvc0: %s", strerror(errno));
	tcdrain(fd);
	close(fd);
}

static int make_image(const char *path, size_t len, unsigned disk)
{
	uint8_t *b = malloc(len);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), ret = 0;

	if (!b || fd < 0)
		ret = -1;
	for (size_t i = 0; b && i < len; i++)
		b[i] = pattern(i, disk);
	if (!ret && write(fd, b, len) != (ssize_t)len)
		ret = -1;
	if (fd >= 0)
		close(fd);
	free(b);
	return ret;
}

static void check_images(struct ktstr_ctx *ctx)
{
	uint8_t *b = malloc(VDA_SIZE), m[MARK_LEN];
	int fd = open(VDA_PATH, O_RDONLY);
	long long bad;

	mark(m);
	if (!b || fd < 0 || pread(fd, b, VDA_SIZE, 0) != (ssize_t)VDA_SIZE)
		ktstr_fail(ctx, KTSTR_K_OTHER, "read back %s: %s", VDA_PATH, strerror(errno));
	else if (memcmp(b + MARK_OFF, m, MARK_LEN))
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s: the L2's write at %u did not arrive", VDA_PATH, MARK_OFF);
	else if ((bad = first_mismatch(b, VDA_SIZE, 0, true)) >= 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "%s changed outside the L2's write, at byte %lld", VDA_PATH, bad);
	if (fd >= 0)
		close(fd);
	fd = open(VDB_PATH, O_RDONLY);
	if (!b || fd < 0 || pread(fd, b, VDB_SIZE, 0) != (ssize_t)VDB_SIZE)
		ktstr_fail(ctx, KTSTR_K_OTHER, "read back %s: %s", VDB_PATH, strerror(errno));
	else if ((bad = first_mismatch(b, VDB_SIZE, 1, false)) >= 0)
		ktstr_fail(ctx, KTSTR_K_OTHER, "read-only %s changed at byte %lld", VDB_PATH, bad);
	if (fd >= 0)
		close(fd);
	free(b);
}

KTSTR_TEST(nested_virtio, .nested = true, .timeout_s = 420,
	   .desc = "nested: virtio-blk (read, write, flush, read-only, GET_ID) and virtio-console hvc0 both ways in an "
		   "L2 under ktstr's own KVM VMM")
{
	struct ktstr_nested_opts o = { .disk = { VDA_PATH, VDB_PATH }, .disk_ro = { false, true },
				       .hvc0_input = HVC_TOKEN "\n" };
	struct ktstr_nested_opts missing = { .disk = { "/tmp/ktstr-virtio-no-such.img" } };
	static struct ktstr_nested_result r;
	int ret;

	if (ktstr_nested_l2()) {
		l2_disks(ctx);
		l2_hvc0(ctx);
		return 0;
	}
	/* negative: no image, no boot */
	ret = ktstr_nested_run_opts(ctx, "nested_virtio", "1n1l2c1t", 60, &missing, &r);
	if (ret != -ENOENT || !strstr(r.reason, "could not be started"))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 with a missing disk image: %d (%s), wanted -ENOENT before boot", ret,
			   r.reason);
	if (make_image(VDA_PATH, VDA_SIZE, 0) || make_image(VDB_PATH, VDB_SIZE, 1)) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "create the disk images in /tmp: %s", strerror(errno));
		return 0;
	}
	if (!run_l2(ctx, "nested_virtio", "1n1l2c1t", 180, V_PASS, X_POWEROFF, &o, &r))
		return 0;
	check_images(ctx);
	if (!strstr(r.hvc0, "ktstr-hvc0: hello from L2"))
		ktstr_fail(ctx, KTSTR_K_OTHER, "the L2's line on hvc0 did not arrive (hvc0: '%.200s')", r.hvc0);
	if (!strstr(r.hvc0, "ktstr-hvc0: got " HVC_TOKEN))
		ktstr_fail(ctx, KTSTR_K_OTHER, "the L2 did not echo the hvc0 input (hvc0: '%.200s')", r.hvc0);
	for (char *p = r.hvc0; *p; p++)
		*p = *p == '\r' || *p == '\n' ? '|' : *p;
	ktstr_log(ctx, "hvc0 from the L2: %.200s", r.hvc0);
	return 0;
}
