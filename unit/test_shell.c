#include "unit.h"
#include "shell/shell.h"
#include "vm/kvm/kvmm.h"

#include <errno.h>

UNIT_TEST(shell_path_normalize)
{
	static const char *const cases[][2] = {
		{ "/a/b", "/a/b" },	  { "/a/./b/", "/a/b" }, { "//a//b", "/a/b" },	 { "/a/b/../c", "/a/c" },
		{ "/../a", "/a" },	  { "/a/..b", "/a/..b" }, { "/a/.b/.", "/a/.b" }, { "/usr/bin/../lib/x", "/usr/lib/x" },
	};
	char out[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_EQ_INT(kt_path_normalize(cases[i][0], out, sizeof(out)), 0);
		CHECK_EQ_STR(out, cases[i][1]);
	}
	CHECK_EQ_INT(kt_path_normalize("a/b", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kt_path_normalize("/", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kt_path_normalize("/a/..", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kt_path_normalize("/abcdefgh/ijk", out, 8), -ENAMETOOLONG);
}

UNIT_TEST(shell_cmdline_roundtrip)
{
	struct kt_shell_guest_spec s = { .topo = { 1, 2, 2, 1 }, .term = "xterm-256color", .cols = 120, .rows = 40,
					 .exec = "cat /proc/cpuinfo | grep -c 'processor'; echo \"$((6*7))\"",
					 .sched_guest = "/sched/scx_simple", .sched_args = "-v --slice 5" };
	struct kt_shell_guest_cfg c;
	char buf[4096], err[256];

	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK(strncmp(buf, "ktstr_mode=shell ", 17) == 0);
	CHECK(strstr(buf, " ktstr_topo=1n2l2c1t ") && strstr(buf, " ktstr_term=xterm-256color ") &&
	      strstr(buf, " ktstr_cols=120 ") && strstr(buf, " ktstr_rows=40 "));
	/* the command travels encoded: no quotes, pipes or its spaces */
	CHECK(!strchr(buf, '\'') && !strchr(buf, '|') && !strchr(buf, '"') && !strchr(buf, '$'));
	CHECK(strstr(buf, " ktstr_exec=cat%20/proc/cpuinfo%20%7C") != NULL);
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK_EQ_STR(c.term, "xterm-256color");
	CHECK_EQ_INT(c.cols, 120);
	CHECK_EQ_INT(c.rows, 40);
	CHECK(c.exec);
	CHECK_EQ_STR(c.cmd, s.exec);
	CHECK_EQ_STR(c.sched, "/sched/scx_simple");
	CHECK_EQ_STR(c.sched_args, "-v --slice 5");
	CHECK_EQ_INT(c.bpf_sync_ms, 0);
	/* --bpf-out: the guest waits for the host's walk; only with a scheduler */
	s.bpf_sync_ms = 5000;
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK(strstr(buf, " ktstr_bpf_sync_ms=5000") != NULL);
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK_EQ_INT(c.bpf_sync_ms, 5000);
	s.sched_guest = NULL;
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK(strstr(buf, "ktstr_bpf_sync_ms") == NULL);

	/* interactive, no scheduler, no TERM: vt100 */
	s = (struct kt_shell_guest_spec){ .topo = { 1, 1, 1, 1 } };
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK(!c.exec && !c.sched[0] && !c.hvc0);
	CHECK_EQ_STR(c.term, "vt100");
	/* the kvm backend's terminal: the virtio console */
	s.hvc0 = true;
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK(strstr(buf, " ktstr_tty=hvc0") != NULL);
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK(c.hvc0);
	CHECK_EQ_INT(kt_shell_parse_cmdline("ktstr_mode=shell ktstr_tty=ttyS9", &c), 0);
	CHECK(!c.hvc0);
	s.hvc0 = false;
	/* an empty command is still a command */
	s.exec = "";
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK(c.exec && !c.cmd[0]);
}

UNIT_TEST(shell_cmdline_bad_input)
{
	struct kt_shell_guest_spec s = { .topo = { 1, 1, 1, 1 }, .term = "x term" };
	char buf[4096], err[256], big[3000];
	struct kt_shell_guest_cfg c;

	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "TERM") != NULL);
	s.term = "xterm";
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s.exec = big;
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "--include-files") != NULL);
	/* a buffer too small: an error that says so, never a cut line */
	s.exec = NULL;
	memset(err, 0, sizeof(err));
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, 40, err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "kernel command line") != NULL);
	CHECK_EQ_STR(buf, "");
	s.sched_guest = "/sched/scx_simple";
	s.sched_args = big;
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "--args") != NULL);
	big[1500] = '\0';
	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, 1024, err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "scheduler arguments too long") != NULL);
	/* the guest refuses what it cannot decode, and odd TERMs */
	CHECK_EQ_INT(kt_shell_parse_cmdline("ktstr_mode=shell ktstr_exec=%zz", &c), -EINVAL);
	CHECK_EQ_INT(kt_shell_parse_cmdline("ktstr_term=a;b ktstr_cols=99999 ktstr_rows=5", &c), 0);
	CHECK_EQ_STR(c.term, "vt100");
	CHECK_EQ_INT(c.cols, 0);
}

/* A scheduler file named to look like kernel parameters stays one value. */
UNIT_TEST(shell_cmdline_hostile_scheduler)
{
	struct kt_shell_guest_spec s = { .topo = { 1, 1, 2, 1 }, .term = "xterm",
					 .sched_guest = "/sched/a init=/bin/sh rdinit=/x -- ktstr_exec=reboot",
					 .sched_args = "--x ktstr_mode=test \"q\" %41\n" };
	struct kt_shell_guest_cfg c;
	char buf[4096], err[256];
	int words = 0;

	CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), 0);
	for (const char *p = buf; *p; p++)
		words += *p != ' ' && (p[1] == ' ' || !p[1]);
	CHECK_EQ_INT(words, 5); /* mode, topo, sched, sched_args, term */
	CHECK(!strstr(buf, " init=") && !strstr(buf, " rdinit=") && !strstr(buf, " --") &&
	      !strstr(buf, " ktstr_exec=") && !strchr(buf, '"') && !strchr(buf, '\n'));
	CHECK_EQ_INT(kt_shell_parse_cmdline(buf, &c), 0);
	CHECK(!c.exec);
	CHECK_EQ_STR(c.sched, s.sched_guest);
	CHECK_EQ_STR(c.sched_args, s.sched_args);
	/* a path longer than the guest's field is refused, not cut */
	{
		char path[300] = "/sched/";

		memset(path + 7, 'n', sizeof(path) - 8);
		path[sizeof(path) - 1] = '\0';
		s.sched_guest = path;
		CHECK_EQ_INT(kt_shell_cmdline(&s, buf, sizeof(buf), err, sizeof(err)), -E2BIG);
		CHECK(strstr(err, "scheduler path") != NULL);
	}
}

struct irq_log {
	bool level;
	int rises;
};

static void irq(void *arg, bool level)
{
	struct irq_log *l = arg;

	l->rises += level && !l->level;
	l->level = level;
}

UNIT_TEST(shell_kvm_uart_receive)
{
	struct kvmm_uart u;
	struct irq_log l = { false, 0 };
	uint8_t big[300];

	kt_vmm_uart_init(&u, NULL, irq, &l);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 5) & 0x01, 0); /* no data */
	CHECK_EQ_INT(kt_vmm_uart_rx(&u, (const uint8_t *)"ab", 2), 2);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 5) & 0x01, 0x01); /* data ready */
	CHECK(!l.level);                                /* RDI masked */
	kt_vmm_uart_out(&u, 1, 0x01);                     /* enable RDI */
	CHECK(l.level);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2) & 0x0f, 0x04); /* received data */
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 0), 'a');
	CHECK(l.level);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 0), 'b');
	CHECK(!l.level);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 5) & 0x01, 0);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2) & 0x0f, 0x01);
	/* RX outranks THRE; new data while the line is up makes a new edge */
	kt_vmm_uart_out(&u, 1, 0x03);
	CHECK(l.level);
	l.rises = 0;
	kt_vmm_uart_rx(&u, (const uint8_t *)"c", 1);
	CHECK_EQ_INT(l.rises, 1);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2) & 0x0f, 0x04);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 0), 'c');
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2) & 0x0f, 0x02); /* then THRE */
	/* bounded FIFO; the FCR clear bit empties it */
	memset(big, 'x', sizeof(big));
	CHECK_EQ_INT(kt_vmm_uart_rx(&u, big, sizeof(big)), 256);
	CHECK_EQ_INT(kt_vmm_uart_rx(&u, big, 1), 0);
	kt_vmm_uart_out(&u, 2, 0x03);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 5) & 0x01, 0);
	/* loopback: what is sent is received */
	kt_vmm_uart_out(&u, 4, 0x10);
	kt_vmm_uart_out(&u, 0, 'z');
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 0), 'z');
}
