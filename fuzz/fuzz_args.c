/* Fuzz target: the guest's kernel command line, both ways
 * (src/proto/argenc.c, guest_args.c, shell_args.c).  The guest parses
 * /proc/cmdline, which the host wrote but a nested or hostile setup may
 * not have; the host encodes values that come from the user (scheduler
 * arguments, --exec, TERM, file names).
 *
 * Input: a mode byte, then mode-specific fields (fuzz.h readers).
 *  0  a raw command line: kt_guest_args_parse() and kt_shell_parse_cmdline()
 *     leave every field terminated; what parsed encodes and parses back
 *     to the same struct (parse(encode(parse(x))) == parse(x));
 *     kt_cmdline_get() and kt_arg_split() stay within their buffers.
 *  1  a struct kt_guest_args: encode into a buffer of a fuzzed size; on
 *     error the buffer is left exactly as it was, else parse(encode(x)) == x.
 *  2  kt_arg_decode() of a string into a fuzzed size: the output is
 *     terminated within it, and decode(encode(s)) == s for any string s.
 *  3  a `ktstr shell` spec: kt_shell_cmdline() then
 *     kt_shell_parse_cmdline() gives back the terminal, window, command,
 *     scheduler and its arguments.
 *  4  kt_path_normalize(): the result is absolute, has no empty, "." or
 *     ".." component and no trailing slash, and normalizes to itself. */
#include "fuzz.h"
#include "proto/argenc.h"
#include "proto/guest_args.h"
#include "proto/shell_args.h"

#include <errno.h>

#define CMDLINE_MAX 32768

#define TERMINATED(a, f) FZ_CHECK(memchr((a)->f, '\0', sizeof((a)->f)), #f " unterminated")

static void check_terminated(const struct kt_guest_args *a)
{
	TERMINATED(a, test);
	TERMINATED(a, topo);
	TERMINATED(a, sched);
	TERMINATED(a, sched_args);
	TERMINATED(a, sched_helper_cpus);
	TERMINATED(a, accel);
	TERMINATED(a, term);
	TERMINATED(a, exec);
}

#define SAME_STR(f) FZ_CHECK(!strcmp(a->f, b->f), #f ": '%s' != '%s'", a->f, b->f)
#define SAME_NUM(f) FZ_CHECK(a->f == b->f, #f ": %llu != %llu", (unsigned long long)a->f, (unsigned long long)b->f)

static void check_same(const struct kt_guest_args *a, const struct kt_guest_args *b)
{
	SAME_NUM(mode);
	SAME_STR(test);
	SAME_STR(topo);
	SAME_NUM(duration_ms);
	SAME_STR(sched);
	SAME_STR(sched_args);
	SAME_NUM(sched_attach_ms);
	SAME_STR(sched_helper_cpus);
	SAME_NUM(nested_l2);
	SAME_NUM(shm_addr);
	SAME_NUM(shm_size);
	SAME_STR(accel);
	SAME_STR(term);
	SAME_NUM(cols);
	SAME_NUM(rows);
	SAME_NUM(have_exec);
	SAME_STR(exec);
	SAME_NUM(tty_hvc0);
}

/* parse(encode(a)) == a; encoding must fit CMDLINE_MAX. */
static void round_trip(const struct kt_guest_args *a)
{
	char *buf = calloc(1, CMDLINE_MAX);
	struct kt_guest_args *b = malloc(sizeof(*b));
	int ret;

	if (!buf || !b)
		abort();
	ret = kt_guest_args_encode(a, buf, CMDLINE_MAX);
	FZ_CHECK(ret == 0, "encode: %d", ret);
	ret = kt_guest_args_parse(buf, b);
	FZ_CHECK(ret == 0, "parse of our own encoding: %d ('%.200s')", ret, buf);
	check_same(a, b);
	free(b);
	free(buf);
}

static void raw_cmdline(struct fz *f)
{
	char *line = fz_dup(f->p, f->n, true), *copy, *argv[16], val[32];
	struct kt_guest_args *a = malloc(sizeof(*a));
	struct kt_shell_guest_cfg *cfg = malloc(sizeof(*cfg));
	int ret;

	if (!a || !cfg)
		abort();
	ret = kt_guest_args_parse(line, a);
	FZ_CHECK(ret == 0 || ret == -EINVAL, "parse: %d", ret);
	check_terminated(a);
	if (!ret)
		round_trip(a);
	if (!kt_shell_parse_cmdline(line, cfg)) {
		FZ_CHECK(memchr(cfg->term, '\0', sizeof(cfg->term)) && cfg->term[0], "shell term");
		FZ_CHECK(cfg->cols <= 10000 && cfg->rows <= 10000, "window %ux%u", cfg->cols, cfg->rows);
		FZ_CHECK(memchr(cfg->cmd, '\0', sizeof(cfg->cmd)), "shell cmd unterminated");
	}
	ret = kt_cmdline_get(line, "ktstr_test", val, sizeof(val));
	if (!ret)
		FZ_CHECK(strlen(val) < sizeof(val) && !strchr(val, ' '), "kt_cmdline_get: '%s'", val);
	copy = strdup(line);
	if (!copy)
		abort();
	ret = kt_arg_split(copy, argv, (int)(sizeof(argv) / sizeof(argv[0])));
	FZ_CHECK(ret == -E2BIG || (ret >= 0 && ret < 16 && !argv[ret]), "kt_arg_split: %d", ret);
	free(copy);
	free(cfg);
	free(a);
	free(line);
}

static void structured(struct fz *f)
{
	struct kt_guest_args *a = calloc(1, sizeof(*a));
	size_t len = fz_u16(f) % CMDLINE_MAX + 1;
	char *buf = malloc(len), *before = malloc(len);
	int ret;

	if (!a || !buf || !before)
		abort();
	a->mode = fz_u8(f) & 1 ? KT_GUEST_SHELL : KT_GUEST_TEST;
	a->duration_ms = fz_u32(f);
	a->sched_attach_ms = fz_u32(f);
	a->cols = fz_u32(f);
	a->rows = fz_u32(f);
	a->shm_addr = fz_u64(f);
	a->shm_size = fz_u64(f);
	a->nested_l2 = fz_u8(f) & 1;
	a->have_exec = fz_u8(f) & 1;
	a->tty_hvc0 = fz_u8(f) & 1;
	fz_str(f, a->test, sizeof(a->test));
	fz_str(f, a->topo, sizeof(a->topo));
	fz_str(f, a->sched, sizeof(a->sched));
	fz_str(f, a->sched_args, sizeof(a->sched_args));
	fz_str(f, a->sched_helper_cpus, sizeof(a->sched_helper_cpus));
	fz_str(f, a->accel, sizeof(a->accel));
	fz_str(f, a->term, sizeof(a->term));
	fz_str(f, a->exec, sizeof(a->exec));
	if (!a->have_exec)
		a->exec[0] = '\0';
	/* A prefix already in the buffer, as the VM layer leaves one. */
	memset(buf, 'p', len);
	buf[len / 2] = '\0';
	memcpy(before, buf, len);
	ret = kt_guest_args_encode(a, buf, len);
	if (ret) {
		FZ_CHECK(ret == -ENAMETOOLONG, "encode: %d", ret);
		FZ_CHECK(!memcmp(buf, before, len), "a failed encode changed the buffer");
	} else {
		struct kt_guest_args *b = malloc(sizeof(*b));

		if (!b)
			abort();
		FZ_CHECK(!memcmp(buf, before, len / 2), "encode changed the prefix");
		FZ_CHECK(kt_guest_args_parse(buf, b) == 0, "parse of our own encoding failed");
		check_same(a, b);
		free(b);
	}
	free(before);
	free(buf);
	free(a);
}

static void decode(struct fz *f)
{
	size_t len = fz_u8(f);
	char *in = fz_dup(f->p, f->n, true), *out = malloc(len ? len : 1);
	size_t l = strlen(in), cap = 3 * l + 1;
	char *enc = malloc(cap), *back = malloc(l + 1);
	int ret;

	if (!out || !enc || !back)
		abort();
	memset(out, 'x', len);
	ret = kt_arg_decode(in, out, len);
	if (!ret)
		FZ_CHECK(len && memchr(out, '\0', len), "decoded value unterminated");
	FZ_CHECK(kt_arg_encode(in, enc, cap) == 0, "encode into 3 bytes per byte failed");
	FZ_CHECK(kt_arg_decode(enc, back, l + 1) == 0 && !strcmp(back, in), "decode(encode(s)) != s");
	for (const char *p = enc; *p; p++)
		FZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				 strchr("._,:=/+-%", *p),
			 "encoded byte 0x%02x", (unsigned char)*p);
	free(back);
	free(enc);
	free(out);
	free(in);
}

static void shell(struct fz *f)
{
	struct kt_shell_guest_spec s = { 0 };
	struct kt_shell_guest_cfg *cfg = malloc(sizeof(*cfg));
	char term[80], exec[2100], sched[300], args[2100], err[256];
	char *buf = malloc(4096);
	uint8_t opt;

	if (!cfg || !buf)
		abort();
	/* One read per statement: the order is the input's, whatever the compiler. */
	s.topo.numa_nodes = 1u + fz_u8(f) % 2;
	s.topo.cores = 1u + fz_u8(f) % 4;
	s.topo.threads = 1u + fz_u8(f) % 2;
	s.topo.llcs = s.topo.numa_nodes * (1u + fz_u8(f) % 2);
	s.cols = fz_u16(f);
	s.rows = fz_u16(f);
	opt = fz_u8(f);
	s.hvc0 = opt & 1;
	fz_str(f, term, sizeof(term));
	fz_str(f, exec, sizeof(exec));
	fz_str(f, sched, sizeof(sched));
	fz_str(f, args, sizeof(args));
	s.term = opt & 2 ? term : NULL;
	s.exec = opt & 4 ? exec : NULL;
	s.sched_guest = opt & 8 ? sched : NULL;
	s.sched_args = opt & 16 ? args : NULL;
	if (!kt_shell_cmdline(&s, buf, 4096, err, sizeof(err))) {
		FZ_CHECK(kt_shell_parse_cmdline(buf, cfg) == 0, "the shell's own command line does not parse");
		FZ_CHECK(!strcmp(cfg->term, s.term && *s.term ? s.term : "vt100"), "term '%s'", cfg->term);
		FZ_CHECK(cfg->cols == (s.cols <= 10000 && s.rows <= 10000 ? s.cols : 0u), "cols %u", cfg->cols);
		FZ_CHECK(cfg->rows == (s.cols <= 10000 && s.rows <= 10000 ? s.rows : 0u), "rows %u", cfg->rows);
		FZ_CHECK(cfg->exec == !!s.exec && (!s.exec || !strcmp(cfg->cmd, s.exec)), "exec");
		FZ_CHECK(cfg->hvc0 == s.hvc0, "hvc0");
		FZ_CHECK(!strcmp(cfg->sched, s.sched_guest ? s.sched_guest : ""), "sched '%s'", cfg->sched);
		FZ_CHECK(!strcmp(cfg->sched_args, s.sched_guest && s.sched_args ? s.sched_args : ""), "sched_args");
	}
	free(buf);
	free(cfg);
}

static void normalize(struct fz *f)
{
	size_t len = fz_u8(f);
	char *in = fz_dup(f->p, f->n, true), *out = malloc(len ? len : 1), *again = malloc(len ? len : 1);

	if (!out || !again)
		abort();
	if (!kt_path_normalize(in, out, len)) {
		size_t l = strlen(out);

		FZ_CHECK(l < len && out[0] == '/' && out[l - 1] != '/', "'%s'", out);
		FZ_CHECK(!strstr(out, "//") && !strstr(out, "/./") && !strstr(out, "/../"), "'%s'", out);
		FZ_CHECK(!(l >= 2 && !strcmp(out + l - 2, "/.")) && !(l >= 3 && !strcmp(out + l - 3, "/..")), "'%s'",
			 out);
		FZ_CHECK(!kt_path_normalize(out, again, len) && !strcmp(out, again), "'%s' normalizes to '%s'", out,
			 again);
	}
	free(again);
	free(out);
	free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	switch (fz_u8(&f) % 5) {
	case 0: raw_cmdline(&f); break;
	case 1: structured(&f); break;
	case 2: decode(&f); break;
	case 3: shell(&f); break;
	case 4: normalize(&f); break;
	}
	return 0;
}
