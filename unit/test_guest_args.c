/* Unit tests: the guest's ktstr_*= command line (proto/guest_args.c). */
#include <errno.h>
#include <stdint.h>
#include "proto/argenc.h"
#include "proto/guest_args.h"
#include "util/util.h"
#include "vm/backend.h"
#include "unit.h"

/* A struct with every field set, strings at various lengths. */
static void populate(struct kt_guest_args *a)
{
	memset(a, 0, sizeof(*a));
	a->mode = KT_GUEST_SHELL;
	snprintf(a->test, sizeof(a->test), "steady_mixed");
	snprintf(a->topo, sizeof(a->topo), "2n4l2c2t");
	a->duration_ms = 4294967295u;
	snprintf(a->sched, sizeof(a->sched), "/sched/scx_ktstr");
	snprintf(a->sched_args, sizeof(a->sched_args), "--slice-us 500 -v");
	a->sched_attach_ms = 30000;
	snprintf(a->sched_helper_cpus, sizeof(a->sched_helper_cpus), "0-1,7");
	a->nested_l2 = true;
	a->shm_addr = 0x10000000;
	a->shm_size = 0xffffffffffffffffull;
	snprintf(a->accel, sizeof(a->accel), "kvm-nested-tcg");
	snprintf(a->term, sizeof(a->term), "xterm-256color");
	a->cols = 211;
	a->rows = 1;
	a->have_exec = true;
	snprintf(a->exec, sizeof(a->exec), "echo hi");
	a->tty_hvc0 = true;
	a->bpf_sync_ms = 5000;
}

static bool args_equal(const struct kt_guest_args *x, const struct kt_guest_args *y)
{
	return x->mode == y->mode && !strcmp(x->test, y->test) && !strcmp(x->topo, y->topo) &&
	       x->duration_ms == y->duration_ms && !strcmp(x->sched, y->sched) &&
	       !strcmp(x->sched_args, y->sched_args) && x->sched_attach_ms == y->sched_attach_ms &&
	       !strcmp(x->sched_helper_cpus, y->sched_helper_cpus) && x->nested_l2 == y->nested_l2 &&
	       x->shm_addr == y->shm_addr && x->shm_size == y->shm_size && !strcmp(x->accel, y->accel) &&
	       !strcmp(x->term, y->term) && x->cols == y->cols && x->rows == y->rows &&
	       x->have_exec == y->have_exec && !strcmp(x->exec, y->exec) && x->tty_hvc0 == y->tty_hvc0 &&
	       x->bpf_sync_ms == y->bpf_sync_ms;
}

/* Words of a command line, split as the kernel does on spaces. */
static int count_words(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s != ' ' && (s[1] == ' ' || !s[1]);
	return n;
}

/* v into a field, cut to fit (deliberately: a cut UTF-8 sequence must
 * survive the trip too). */
static void set(char *dst, size_t len, const char *v)
{
	size_t l = strlen(v);

	if (l >= len)
		l = len - 1;
	memcpy(dst, v, l);
	dst[l] = '\0';
}

static char cmd[32768]; /* static: hostile values make long lines */

UNIT_TEST(guest_args_roundtrip_full)
{
	struct kt_guest_args a, b;

	populate(&a);
	cmd[0] = '\0';
	CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
	CHECK_EQ_INT(count_words(cmd), 17); /* one word per parameter */
	CHECK(cmd[0] == ' ');
	CHECK(strstr(cmd, " ktstr_mode=shell ") != NULL);
	CHECK(strstr(cmd, " ktstr_nested=l2 ") != NULL);
	CHECK(strstr(cmd, " ktstr_shm=0x10000000,0xffffffffffffffff ") != NULL);
	CHECK(strstr(cmd, " ktstr_duration_ms=4294967295 ") != NULL);
	CHECK(strstr(cmd, " ktstr_sched_args=--slice-us%20500%20-v ") != NULL);
	CHECK(strstr(cmd, " ktstr_exec=echo%20hi ") != NULL);
	CHECK_EQ_INT(kt_guest_args_parse(cmd, &b), 0);
	CHECK(args_equal(&a, &b));

	/* nothing set: nothing appended; an empty --exec is still one */
	memset(&a, 0, sizeof(a));
	snprintf(cmd, sizeof(cmd), "console=ttyS0");
	CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
	CHECK_EQ_STR(cmd, "console=ttyS0");
	a.have_exec = true;
	CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
	CHECK_EQ_STR(cmd, "console=ttyS0 ktstr_exec=");
	CHECK_EQ_INT(kt_guest_args_parse(cmd, &b), 0);
	CHECK(b.have_exec && !b.exec[0] && b.mode == KT_GUEST_TEST && !b.shm_size);
}

UNIT_TEST(guest_args_roundtrip_hostile)
{
	static const char *const hostile[] = {
		"a init=/bin/sh", " leading and trailing ", "%", "%4", "%zz", "%41", "100%",
		"line1\nline2\r\n", "tab\there", "quote\"d 'single'", "-- rdinit=/bin/sh",
		"ktstr_test=evil", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xa7", "=", "a=b=c", "\\", "$(reboot)",
	};
	static struct kt_guest_args a, b;
	char ctl[32];

	for (int c = 1; c < 0x20; c++)
		ctl[c - 1] = (char)c;
	ctl[31] = '\0';
	for (size_t i = 0; i <= ARRAY_SIZE(hostile); i++) {
		const char *v = i < ARRAY_SIZE(hostile) ? hostile[i] : ctl;

		memset(&a, 0, sizeof(a));
		set(a.test, sizeof(a.test), v);
		snprintf(a.sched, sizeof(a.sched), "/sched/%s", v);
		set(a.sched_args, sizeof(a.sched_args), v);
		set(a.accel, sizeof(a.accel), v);
		set(a.term, sizeof(a.term), v);
		a.have_exec = true;
		set(a.exec, sizeof(a.exec), v);
		snprintf(cmd, sizeof(cmd), "console=ttyS0");
		CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
		/* exactly one word per parameter, nothing the kernel acts on */
		CHECK_EQ_INT(count_words(cmd), 7);
		CHECK(!strpbrk(cmd, "\"'\\"));
		for (const char *p = cmd; *p; p++)
			CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
		CHECK(strstr(cmd, " init=") == NULL && strstr(cmd, " rdinit=") == NULL &&
		      strstr(cmd, " --") == NULL && strstr(cmd, " ktstr_test=evil") == NULL);
		CHECK_EQ_INT(kt_guest_args_parse(cmd, &b), 0);
		CHECK(args_equal(&a, &b));
		CHECK_EQ_STR(b.test, v);
		CHECK_EQ_STR(b.exec, v);
	}

	/* every field at its maximum length, every byte needing %XX */
	memset(&a, 0, sizeof(a));
	memset(a.test, ' ', sizeof(a.test) - 1);
	memset(a.topo, '%', sizeof(a.topo) - 1);
	memset(a.sched, '\x01', sizeof(a.sched) - 1);
	memset(a.sched_args, '\xff', sizeof(a.sched_args) - 1);
	memset(a.sched_helper_cpus, '=', sizeof(a.sched_helper_cpus) - 1);
	memset(a.accel, '\n', sizeof(a.accel) - 1);
	memset(a.term, '"', sizeof(a.term) - 1);
	a.have_exec = true;
	memset(a.exec, '\x1f', sizeof(a.exec) - 1);
	cmd[0] = '\0';
	CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
	CHECK_EQ_INT(count_words(cmd), 8);
	CHECK_EQ_INT(kt_guest_args_parse(cmd, &b), 0);
	CHECK(args_equal(&a, &b));
	CHECK_EQ_INT(strlen(b.exec), sizeof(b.exec) - 1);
}

UNIT_TEST(guest_args_overflow)
{
	struct kt_guest_args a;
	char buf[64], ref[64];
	size_t need;

	populate(&a);
	cmd[0] = '\0';
	CHECK_EQ_INT(kt_guest_args_encode(&a, cmd, sizeof(cmd)), 0);
	need = strlen(cmd) + 1;
	/* one byte short at every split point: nothing written at all */
	for (size_t len = 1; len < need; len += 7) {
		static char big[1024], bigref[1024];

		CHECK(need <= sizeof(big));
		memset(big, 'Q', sizeof(big));
		big[0] = '\0';
		memcpy(bigref, big, sizeof(big));
		CHECK_EQ_INT(kt_guest_args_encode(&a, big, len), -ENAMETOOLONG);
		CHECK(!memcmp(big, bigref, sizeof(big)));
	}
	{
		static char exact[1024];

		exact[0] = '\0';
		CHECK_EQ_INT(kt_guest_args_encode(&a, exact, need), 0);
		CHECK_EQ_STR(exact, cmd);
		exact[0] = '\0';
		CHECK_EQ_INT(kt_guest_args_encode(&a, exact, need - 1), -ENAMETOOLONG);
		CHECK_EQ_STR(exact, "");
	}
	/* an existing prefix is kept as it was */
	memset(buf, 'Z', sizeof(buf));
	snprintf(buf, sizeof(buf), "console=ttyS0 rdinit=/init");
	memcpy(ref, buf, sizeof(buf));
	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK(!memcmp(buf, ref, sizeof(buf)));
	/* malformed input: buf without a C string, a string without its NUL,
	 * an unknown mode; buf untouched each time */
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, 0), -EINVAL);
	buf[0] = '\0';
	memcpy(ref, buf, sizeof(buf));
	memset(&a, 0, sizeof(a));
	memset(a.topo, 'x', sizeof(a.topo));
	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, sizeof(buf)), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.mode = (enum kt_guest_mode)7;
	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, sizeof(buf)), -EINVAL);
	CHECK(!memcmp(buf, ref, sizeof(buf)));
}

UNIT_TEST(guest_args_parse_proc_cmdline)
{
	/* what a guest reads: the VM layer's words, the runner's, a trailing newline */
	static const char line[] =
		"console=ttyS0 loglevel=4 nokaslr panic=-1 oops=panic mitigations=off no_timer_check "
		"iomem=relaxed lockdown=none random.trust_cpu=on i8042.noaux memmap=4096K$0x10000000 "
		"ktstr_shm=0x10000000,0x400000 ktstr_accel=tcg sysctl.kernel.sched_schedstats=1 rdinit=/init "
		"ktstr_sched=/sched/scx_simple ktstr_sched_args=%20-v%20%20 ktstr_sched_attach_ms=10000 "
		"ktstr_sched_helper_cpus=0-1 ktstr_test=steady ktstr_topo=1n2l2c1t ktstr_duration_ms=2000 "
		"ktstr_nested=l2 ktstr_bench=startup virtio_mmio.device=4K@0xd0000000:5\n";
	struct kt_guest_args a;

	CHECK_EQ_INT(kt_guest_args_parse(line, &a), 0);
	CHECK(a.mode == KT_GUEST_TEST);
	CHECK_EQ_STR(a.test, "steady");
	CHECK_EQ_STR(a.topo, "1n2l2c1t");
	CHECK_EQ_INT(a.duration_ms, 2000);
	CHECK_EQ_STR(a.sched, "/sched/scx_simple");
	CHECK_EQ_STR(a.sched_args, " -v  ");
	CHECK_EQ_INT(a.sched_attach_ms, 10000);
	CHECK_EQ_STR(a.sched_helper_cpus, "0-1");
	CHECK(a.nested_l2);
	CHECK_EQ_INT(a.shm_addr, 0x10000000);
	CHECK_EQ_INT(a.shm_size, 0x400000);
	CHECK_EQ_STR(a.accel, "tcg");
	CHECK(!a.term[0] && !a.cols && !a.rows && !a.have_exec && !a.tty_hvc0);

	/* a key as the suffix of another word is not the key */
	CHECK_EQ_INT(kt_guest_args_parse("xktstr_test=a foo_ktstr_shm=0x1,0x2 axktstr_mode=shell "
					 "ktstr_test_x=b ktstr_testy=c",
					 &a),
		     0);
	CHECK(!a.test[0] && !a.shm_size && a.mode == KT_GUEST_TEST);
	CHECK_EQ_INT(kt_guest_args_parse("xktstr_test=a ktstr_test=b", &a), 0);
	CHECK_EQ_STR(a.test, "b");
	/* a bare word without '=' is not a value */
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_test ktstr_nested", &a), 0);
	CHECK(!a.test[0] && !a.nested_l2);
	/* the first of a repeated key wins: the VM layer's words come first */
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_accel=kvm ktstr_accel=tcg", &a), 0);
	CHECK_EQ_STR(a.accel, "kvm");
	CHECK_EQ_INT(kt_guest_args_parse("", &a), 0);
	CHECK(!a.test[0] && !a.duration_ms);
	/* ktstr_tty= other than hvc0: the default terminal */
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_tty=ttyS9", &a), 0);
	CHECK(!a.tty_hvc0);
}

UNIT_TEST(guest_args_parse_rejects)
{
	static const char *const bad[] = {
		/* numbers: digits only, within unsigned */
		"ktstr_duration_ms=", "ktstr_duration_ms=-1", "ktstr_duration_ms=+5", "ktstr_duration_ms=12ms",
		"ktstr_duration_ms=0x10", "ktstr_duration_ms=4294967296", "ktstr_sched_attach_ms=1%20",
		"ktstr_cols=99999999999999999999", "ktstr_rows=%zz", "ktstr_cols=1.5",
		/* the shared region */
		"ktstr_shm=0x10000000", "ktstr_shm=10000000,400000", "ktstr_shm=0x,0x1", "ktstr_shm=0x1,0x2,",
		"ktstr_shm=0x1,0x2x", "ktstr_shm=0x10000000000000000,0x1", "ktstr_shm=0x1%2C0x2%20",
		/* fixed spellings */
		"ktstr_mode=shel", "ktstr_mode=shell2", "ktstr_nested=l1", "ktstr_nested=",
		/* values that do not decode */
		"ktstr_test=%zz", "ktstr_sched_args=%4", "ktstr_exec=%", "ktstr_exec=a%00b", "ktstr_term=%G0",
	};
	struct kt_guest_args a;
	char line[512];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = kt_guest_args_parse(bad[i], &a);

		if (ret != -EINVAL)
			unit_fail(__FILE__, __LINE__, "'%s' parsed (%d)", bad[i], ret);
	}
	/* values that do not fit their field */
	memset(line, 0, sizeof(line));
	memcpy(line, "ktstr_topo=", 11);
	memset(line + 11, 'a', 32);
	CHECK_EQ_INT(kt_guest_args_parse(line, &a), -EINVAL);
	line[11 + 31] = '\0';
	CHECK_EQ_INT(kt_guest_args_parse(line, &a), 0);
	CHECK_EQ_INT(strlen(a.topo), 31);
	/* the struct holds what parsed before the bad value, and no half value */
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_test=ok ktstr_topo=1n1l1c1t ktstr_sched=/s%zz", &a), -EINVAL);
	CHECK_EQ_STR(a.test, "ok");
	CHECK_EQ_STR(a.topo, "1n1l1c1t");
	CHECK_EQ_STR(a.sched, "");
	/* the VM layer's values come through a bad value anywhere else */
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_mode=bogus ktstr_shm=0x10000000,0x400000 ktstr_accel=kvm", &a),
		     -EINVAL);
	CHECK(a.shm_addr == 0x10000000 && a.shm_size == 0x400000);
	CHECK_EQ_STR(a.accel, "kvm");
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_shm=0x1,0x2", &a), 0);
	CHECK_EQ_INT(a.shm_addr, 1);
	CHECK_EQ_INT(a.shm_size, 2);
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_shm=0X00000000000000001,0x2", &a), -EINVAL);
}

/* The VM layer's part of the line: its words come from the encoder, the
 * rest is as it always was, and a line that does not fit is an error. */
UNIT_TEST(guest_args_vm_cmdline)
{
	static struct vm v;
	static char tail[4096];
	struct vm_config c = { .cmdline = "ktstr_test=steady" };
	struct kt_guest_args a;

	v.cfg = &c;
	snprintf(v.accel, sizeof(v.accel), "kvm-nested-tcg");
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), 0);
	CHECK_EQ_STR(v.cmdline, "console=ttyS0 earlyprintk=serial,ttyS0 loglevel=4 nokaslr panic=-1 oops=panic mitigations=off no_timer_check "
				"iomem=relaxed lockdown=none random.trust_cpu=on i8042.noaux i8042.nomux i8042.nopnp "
				"memmap=4096K$0x10000000 ktstr_shm=0x10000000,0x400000 ktstr_accel=kvm-nested-tcg "
				"sysctl.kernel.sched_schedstats=1 rdinit=/init ktstr_test=steady");
	CHECK_EQ_INT(kt_guest_args_parse(v.cmdline, &a), 0);
	CHECK(a.shm_addr == VM_SHM_GPA && a.shm_size == VM_SHM_SIZE);
	CHECK_EQ_STR(a.accel, "kvm-nested-tcg");
	CHECK_EQ_STR(a.test, "steady");
	/* a test's kernel arguments: after the defaults, before ktstr's words */
	c.kernel_args = "mem=8M panic=0";
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), 0);
	CHECK(strstr(v.cmdline, " panic=-1 ") && strstr(v.cmdline, " rdinit=/init mem=8M panic=0 ktstr_test=steady"));
	c.kernel_args = "a ktstr_test=x";
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), -EINVAL);
	c.kernel_args = NULL;
	/* no accel yet: "unknown", as before */
	v.accel[0] = '\0';
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), 0);
	CHECK(strstr(v.cmdline, " ktstr_accel=unknown ") != NULL);
	/* too long for vm->cmdline: refused, not cut */
	memset(tail, 'x', sizeof(tail) - 1);
	c.cmdline = tail;
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), -ENAMETOOLONG);
	CHECK_EQ_STR(v.cmdline, "");
	tail[sizeof(v.cmdline) - 1 - strlen("console=ttyS0")] = '\0';
	CHECK_EQ_INT(kt_vm_build_cmdline(&v), -ENAMETOOLONG);
}

UNIT_TEST(guest_args_kernel_args_check)
{
	char err[160], big[600];

	CHECK_EQ_INT(kt_kernel_args_check(NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_kernel_args_check("", err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_kernel_args_check("mem=8M loglevel=7  panic=0", err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(kt_kernel_args_check("a=\"b c\"", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "offset 2"));
	CHECK_EQ_INT(kt_kernel_args_check("a\nb", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_kernel_args_check("x\\y", err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(kt_kernel_args_check("mem=8M -- ktstr", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'--'"));
	CHECK_EQ_INT(kt_kernel_args_check("--x a--", err, sizeof(err)), 0);
	CHECK_EQ_INT(kt_kernel_args_check("quiet ktstr_test=other", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "ktstr_test=other"));
	CHECK_EQ_INT(kt_kernel_args_check("xktstr_test=a", err, sizeof(err)), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(kt_kernel_args_check(big, err, sizeof(err)), -EINVAL);
	big[512] = '\0';
	CHECK_EQ_INT(kt_kernel_args_check(big, err, sizeof(err)), 0);
}
