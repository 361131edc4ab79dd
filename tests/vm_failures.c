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

KTSTR_TEST(neg_guest_hang, .llcs = 1, .cores = 1, .duration_s = 1, .timeout_s = 20, .expect_fail = true,
	   .expect_reason = "timed out", .desc = "negative: the test body never returns; the VM is killed at the limit")
{
	for (;;)
		pause();
	return 0;
}
