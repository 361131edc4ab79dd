/* Restore instead of boot (docs/performance.md): what a restored guest
 * must not be able to tell.  It prints its CLOCK_REALTIME and 16 bytes
 * of getrandom(); tests/cli/restore.sh runs it cold and restored and
 * checks that the clock is the host's (not the snapshot's) and that two
 * restores of one snapshot draw different bytes.  (The guest kernel has
 * no RTC driver to compare the clock with in the guest.) */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <ktstr/ktstr.h>

KTSTR_TEST(restore_clock_rng, .llcs = 1, .cores = 2, .duration_s = 1,
	   .desc = "prints CLOCK_REALTIME and random bytes (tests/cli/restore.sh compares them)")
{
	unsigned char b[16];
	char line[64] = "";
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b))
		ktstr_fail(ctx, KTSTR_K_OTHER, "getrandom: no bytes");
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(line + 2 * i, 3, "%02x", b[i]);
	printf("KTSTR_RESTORE_PROBE realtime=%lld random=%s\n", (long long)now.tv_sec, line);
	fflush(stdout);
	return 0;
}
