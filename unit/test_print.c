/* Unit tests: the print callback (kt_set_print) behind kt_err, kt_info
 * and kt_debug, and the default that writes to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "util/util.h"
#include "unit.h"

static struct {
	int calls;
	enum ktstr_print_level level;
	char msg[256];
} seen;

__attribute__((format(printf, 2, 0))) static int capture(enum ktstr_print_level level, const char *fmt, va_list ap)
{
	seen.calls++;
	seen.level = level;
	vsnprintf(seen.msg, sizeof(seen.msg), fmt, ap);
	return 0;
}

UNIT_TEST(print_callback_captures)
{
	int verbose = kt_verbose;
	ktstr_print_fn prev = kt_set_print(capture);

	CHECK(prev != NULL && prev != capture);
	memset(&seen, 0, sizeof(seen));
	CHECK_EQ_INT(kt_err(ENOENT, "kernel image %s: open", "/x/bzImage"), -ENOENT);
	CHECK_EQ_INT(seen.calls, 1);
	CHECK_EQ_INT(seen.level, KTSTR_PRINT_ERROR);
	CHECK_EQ_STR(seen.msg, "kernel image /x/bzImage: open: No such file or directory");
	CHECK_EQ_INT(kt_err(0, "bad %d", 7), -EINVAL);
	CHECK_EQ_INT(seen.level, KTSTR_PRINT_ERROR);
	CHECK_EQ_STR(seen.msg, "bad 7");
	kt_info("removed %s", "/tmp/k");
	CHECK_EQ_INT(seen.calls, 3);
	CHECK_EQ_INT(seen.level, KTSTR_PRINT_INFO);
	CHECK_EQ_STR(seen.msg, "removed /tmp/k");
	/* Every level reaches a callback; filtering is its choice. */
	kt_verbose = 0;
	kt_debug("detail %u", 42u);
	CHECK_EQ_INT(seen.calls, 4);
	CHECK_EQ_INT(seen.level, KTSTR_PRINT_DEBUG);
	CHECK_EQ_STR(seen.msg, "detail 42");
	kt_verbose = verbose;
	/* NULL restores the default; the previous callback is returned. */
	CHECK(kt_set_print(NULL) == capture);
	CHECK(kt_set_print(prev) == prev);
	CHECK(kt_set_print(prev) == prev);
	kt_info("not captured");
	CHECK_EQ_INT(seen.calls, 4);
}

/* stderr into a temporary file while fn runs; its text in buf. */
static void with_stderr(void (*fn)(void), char *buf, size_t len)
{
	char path[] = "/tmp/ktstr-unit-print.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n = -1;

	buf[0] = '\0';
	if (fd < 0 || saved < 0) {
		unit_fail(__FILE__, __LINE__, "mkstemp/dup: %s", strerror(errno));
		return;
	}
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (lseek(fd, 0, SEEK_SET) == 0)
		n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static void default_messages(void)
{
	int verbose = kt_verbose;

	kt_err(EACCES, "cache dir %s: mkdir", "/c");
	kt_info("note %d", 1);
	kt_verbose = 0;
	kt_debug("hidden");
	kt_verbose = 1;
	kt_debug("shown %s", "here");
	kt_verbose = verbose;
}

UNIT_TEST(print_default_stderr)
{
	char out[512];
	ktstr_print_fn prev = kt_set_print(NULL);

	with_stderr(default_messages, out, sizeof(out));
	CHECK_EQ_STR(out, "ktstr: cache dir /c: mkdir: Permission denied\n"
			  "ktstr: note 1\n"
			  "ktstr[debug]: shown here\n");
	kt_set_print(prev);
}
