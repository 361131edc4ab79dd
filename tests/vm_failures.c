/* Negative tests of the VM layer: a guest kernel that panics and a guest
 * that hangs must each be reported as a failure with the reason and the
 * console tail — never hang the host. */
#include <fcntl.h>
#include <unistd.h>
#include <ktstr/ktstr.h>

KTSTR_TEST(neg_guest_panic, .llcs = 1, .cores = 1, .duration_s = 1, .expect_fail = true,
	   .expect_reason = "panicked", .desc = "negative: the guest kernel panics (sysrq c)")
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	if (fd < 0)
		return -1;
	(void)!write(fd, "c", 1);
	close(fd);
	return 0; /* not reached */
}

/* A panic before the pvpanic driver is probed (mem=8M: out of memory in
 * an early initcall, about 1 s in) and with panic=-1: to QEMU a plain
 * reset.  The report must name the panic from the console, not "reset". */
KTSTR_TEST(neg_guest_early_panic, .llcs = 1, .cores = 1, .duration_s = 1, .kernel_args = "mem=8M",
	   .expect_fail = true, .expect_reason = "panicked: Kernel panic - not syncing",
	   .desc = "negative: the guest kernel panics early (mem=8M), before pvpanic and init")
{
	return 0; /* not reached */
}

/* With a limit of 10 s or less the host does not ask for a graceful stop:
 * the VM is killed at the limit. */
KTSTR_TEST(neg_guest_hang, .llcs = 1, .cores = 1, .duration_s = 1, .timeout_s = 10, .expect_fail = true,
	   .expect_reason = "timed out", .desc = "negative: the test body never returns; the VM is killed at the limit")
{
	for (;;)
		pause();
	return 0;
}

/* With a longer limit the host asks the guest, 3 s before it, to report
 * what it has: the hang comes back as a result with the reason. */
KTSTR_TEST(neg_guest_hang_graceful, .llcs = 1, .cores = 1, .duration_s = 1, .timeout_s = 30, .expect_fail = true,
	   .expect_reason = "VM time limit near", .desc = "negative: a hung test body is reported before the limit")
{
	for (;;)
		pause();
	return 0;
}

/* The guest's PID 1 itself crashes: its handler reports on the ring
 * (CRSH) and COM2 and powers off; the host names the signal. */
KTSTR_TEST(neg_guest_init_crash, .llcs = 1, .cores = 1, .duration_s = 1, .expect_fail = true,
	   .expect_reason = "guest init crashed", .desc = "negative: PID 1 dereferences NULL")
{
	volatile int *p = NULL;

	*p = 1;
	return 0;
}
