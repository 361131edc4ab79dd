/* An interrupt stops child processes (issue 16, part 3): kt_run_cmd()
 * and kt_run_capture() notice kt_interrupted, stop the child's whole
 * process group and return -EINTR; a VM run asked for after the
 * interrupt starts nothing.  tests/cli/interrupt.sh does the same to
 * real runs. */
#include "unit.h"
#include "vm/backend.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct pids {
	char dir[64];
	pid_t sh, sleeper;
};

/* Once the child has written both pids, interrupt (no timing). */
static void *interrupter(void *arg)
{
	struct pids *p = arg;
	char path[96], buf[32];

	snprintf(path, sizeof(path), "%s/pids", p->dir);
	for (int i = 0; i < 600000; i++) { /* the child writes it at once; bounded anyway */
		if (!kt_read_file_str(path, buf, sizeof(buf)) && strchr(buf, ' ') &&
		    sscanf(buf, "%d %d", &p->sh, &p->sleeper) == 2)
			break;
		usleep(100);
	}
	kt_interrupted = SIGINT;
	return NULL;
}

static bool gone(pid_t pid)
{
	char path[32], st[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	/* a zombie of someone else's counts as gone: it runs no more */
	return kt_read_file_str(path, st, sizeof(st)) || strstr(st, ") Z ");
}

/* SIGKILL is delivered to the whole group before the run returns, but a
 * grandchild nobody waits for dies when the host next schedules it: on a
 * loaded machine that can be after the check.  Wait for it, bounded
 * (an outcome, not a timing threshold: it must die at all). */
static bool dies(pid_t pid)
{
	for (int i = 0; i < 2000; i++) {
		if (gone(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static void run_interrupted(bool capture)
{
	struct pids p = { .dir = "/tmp/ktstr-unit-intr.XXXXXX" };
	char script[256];
	char *argv[] = { "sh", "-c", script, NULL };
	struct kbuf out = { 0 };
	pthread_t th;
	int ret;

	if (!mkdtemp(p.dir)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	/* A grandchild too: the whole process group must go. */
	snprintf(script, sizeof(script), "sleep 300 & echo \"$$ $!\" > %s/pids.t && mv %s/pids.t %s/pids; wait",
		 p.dir, p.dir, p.dir);
	kt_signals_handled = true; /* as after kt_signals_install(), without the handlers */
	kt_interrupted = 0;
	pthread_create(&th, NULL, interrupter, &p);
	ret = capture ? kt_run_capture(argv, &out) : kt_run_cmd(argv, NULL, NULL);
	pthread_join(th, NULL);
	CHECK_EQ_INT(ret, -EINTR);
	CHECK(p.sh > 0 && gone(p.sh)); /* the child it waited for */
	CHECK(p.sleeper > 0 && dies(p.sleeper));
	kt_interrupted = 0;
	kt_signals_handled = false;
	kt_kbuf_free(&out);
	kt_rm_rf(p.dir);
}

UNIT_TEST(interrupt_stops_run_cmd_group)
{
	run_interrupted(false);
}

UNIT_TEST(interrupt_stops_run_capture_group)
{
	run_interrupted(true);
}

UNIT_TEST(interrupt_before_vm_starts_nothing)
{
	struct vm_config cfg = { .topo = { 1, 1, 1, 1 }, .memory_mb = 512, .timeout_ms = 1000, .vmm = VMM_QEMU,
				 .kernel = "/nonexistent/bzImage", .initrd = "/nonexistent/initrd" };
	struct vm_result res;
	char why[256];

	if (kt_vm_qemu_ops.available(why, sizeof(why)))
		return; /* the backend is picked before the check: no QEMU, nothing to test */
	kt_interrupted = SIGTERM;
	CHECK_EQ_INT(kt_vm_run(&cfg, NULL, &res), 0);
	CHECK_EQ_INT(res.exit, VM_EXIT_INTERRUPTED);
	CHECK(strstr(res.detail, "signal 15") != NULL);
	kt_interrupted = 0;
	kt_vm_result_free(&res);
}
