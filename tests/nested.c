/* The nested rig: each test boots an L1 under QEMU with the host's
 * virtualization extension exposed (here TCG's AMD SVM) and, inside it,
 * an L2 with ktstr's own KVM VMM (--vmm kvm), then checks how the L2 was
 * judged.  This is how our VMM is proven on machines whose /dev/kvm
 * cannot boot Linux (docs/vmm.md). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ktstr/ktstr.h>

enum { V_PASS = 0, V_FAIL = 1 };
enum { X_ANY = 0, X_POWEROFF = 1, X_PANIC = 3, X_TIMEOUT = 4 };

static const char *verdict_name(int v)
{
	static const char *const n[] = { "PASS", "FAIL", "SKIP", "ERROR" };

	return v >= 0 && v < 4 ? n[v] : "?";
}

static int expect_l2(struct ktstr_ctx *ctx, const char *test, const char *topo, unsigned timeout_s, int verdict,
		     int exit_kind)
{
	struct ktstr_nested_result r;
	int ret = ktstr_nested_run(ctx, test, topo, timeout_s, &r);

	if (ret) {
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s could not run: %s", test, r.reason);
		return 0;
	}
	if (r.verdict != verdict || (exit_kind != X_ANY && r.exit != exit_kind))
		ktstr_fail(ctx, KTSTR_K_OTHER, "L2 %s under --vmm kvm: %s, exit %s after %.1fs (wanted %s%s%s): %s",
			   test, verdict_name(r.verdict), r.exit_name, r.wall_s, verdict_name(verdict),
			   exit_kind == X_PANIC ? ", panicked" : exit_kind == X_TIMEOUT ? ", timed out" : "",
			   exit_kind == X_POWEROFF ? ", powered off" : "", r.reason);
	else
		ktstr_log(ctx, "L2 %s under --vmm kvm: %s, exit %s, wall %.1fs, boot %.2fs%s%s", test,
			  verdict_name(r.verdict), r.exit_name, r.wall_s, r.boot_s, r.reason[0] ? ": " : "", r.reason);
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

/* In the L2 this panics the kernel; in L1 it checks that the panic came
 * back as a FAIL promptly, not as a hang. */
KTSTR_TEST(nested_panic, .nested = true, .timeout_s = 300,
	   .desc = "nested: an L2 kernel panic (sysrq c) is reported as a failure, not a hang")
{
	if (ktstr_nested_l2()) {
		int fd = open("/proc/sysrq-trigger", O_WRONLY);

		if (fd >= 0 && write(fd, "c", 1) < 0)
			ktstr_fail(ctx, KTSTR_K_OTHER, "sysrq-trigger write failed");
		ktstr_sleep_ms(10000);
		ktstr_fail(ctx, KTSTR_K_OTHER, "still alive after sysrq c");
		return 0;
	}
	return expect_l2(ctx, "nested_panic", "1n1l2c1t", 90, V_FAIL, X_PANIC);
}

/* In the L2 this never returns; L1 must time it out and report it. */
KTSTR_TEST(nested_hang, .nested = true, .timeout_s = 300,
	   .desc = "nested: an L2 that hangs hits its timeout and is reported as a failure")
{
	if (ktstr_nested_l2()) {
		for (;;)
			pause();
	}
	return expect_l2(ctx, "nested_hang", "1n1l2c1t", 30, V_FAIL, X_TIMEOUT);
}
