/* The guest's ktstr_*= kernel parameters, both ways (see guest_args.h).
 * Pure functions: no allocation, no system calls. */
#include "proto/guest_args.h"
#include "proto/argenc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Longest encoded word: " key=" plus a value of the largest field with
 * every byte as %XX. */
#define WORD_MAX (32 + 3 * sizeof(((struct kt_guest_args *)0)->exec))

/* Where words go: counted only (dry run) or also written. */
struct sink {
	char *buf;
	size_t len, off;
	bool write;
};

static int put_word(struct sink *s, const char *word, size_t wl)
{
	if (wl >= s->len - s->off)
		return -ENAMETOOLONG;
	if (s->write) {
		memcpy(s->buf + s->off, word, wl);
		s->buf[s->off + wl] = '\0';
	}
	s->off += wl;
	return 0;
}

/* " key=<kt_arg_encode(val)>"; the value must be a C string within its
 * field (size flen). */
static int put_str(struct sink *s, const char *key, const char *val, size_t flen)
{
	char enc[WORD_MAX], word[WORD_MAX];
	int n;

	if (!memchr(val, '\0', flen))
		return -EINVAL;
	if (kt_arg_encode(val, enc, sizeof(enc)))
		return -ENAMETOOLONG;
	n = snprintf(word, sizeof(word), " %s=%s", key, enc);
	if (n < 0 || (size_t)n >= sizeof(word))
		return -ENAMETOOLONG;
	return put_word(s, word, (size_t)n);
}

static int put_num(struct sink *s, const char *key, unsigned v)
{
	char word[64];
	int n = snprintf(word, sizeof(word), " %s=%u", key, v);

	if (n < 0 || (size_t)n >= sizeof(word))
		return -ENAMETOOLONG;
	return put_word(s, word, (size_t)n);
}

static int put_raw(struct sink *s, const char *word)
{
	return put_word(s, word, strlen(word));
}

#define TRY(x)                      \
	do {                        \
		int ret_ = (x);     \
		if (ret_)           \
			return ret_; \
	} while (0)
#define STR(key, field)                                                    \
	do {                                                               \
		if (a->field[0])                                           \
			TRY(put_str(s, key, a->field, sizeof(a->field)));  \
	} while (0)
#define NUM(key, field)                                    \
	do {                                               \
		if (a->field)                              \
			TRY(put_num(s, key, a->field));    \
	} while (0)

static int emit(const struct kt_guest_args *a, struct sink *s)
{
	char shm[80];
	int n;

	if (a->mode != KT_GUEST_TEST && a->mode != KT_GUEST_SHELL)
		return -EINVAL;
	if (a->mode == KT_GUEST_SHELL)
		TRY(put_raw(s, " ktstr_mode=shell"));
	STR("ktstr_test", test);
	STR("ktstr_topo", topo);
	NUM("ktstr_duration_ms", duration_ms);
	STR("ktstr_sched", sched);
	STR("ktstr_sched_args", sched_args);
	NUM("ktstr_sched_attach_ms", sched_attach_ms);
	STR("ktstr_sched_helper_cpus", sched_helper_cpus);
	STR("ktstr_probe", probe);
	if (a->nested_l2)
		TRY(put_raw(s, " ktstr_nested=l2"));
	if (a->shm_addr || a->shm_size) {
		n = snprintf(shm, sizeof(shm), "0x%" PRIx64 ",0x%" PRIx64, a->shm_addr, a->shm_size);
		if (n < 0 || (size_t)n >= sizeof(shm))
			return -ENAMETOOLONG;
		TRY(put_str(s, "ktstr_shm", shm, sizeof(shm)));
	}
	STR("ktstr_accel", accel);
	if (a->park_addr) {
		n = snprintf(shm, sizeof(shm), "0x%" PRIx64, a->park_addr);
		if (n < 0 || (size_t)n >= sizeof(shm))
			return -ENAMETOOLONG;
		TRY(put_str(s, "ktstr_park", shm, sizeof(shm)));
	}
	STR("ktstr_term", term);
	NUM("ktstr_cols", cols);
	NUM("ktstr_rows", rows);
	NUM("ktstr_bpf_sync_ms", bpf_sync_ms);
	/* An empty command is still a command: ktstr_exec= */
	if (a->have_exec)
		TRY(put_str(s, "ktstr_exec", a->exec, sizeof(a->exec)));
	if (a->tty_hvc0)
		TRY(put_raw(s, " ktstr_tty=hvc0"));
	return 0;
}

int kt_guest_args_encode(const struct kt_guest_args *a, char *buf, size_t len)
{
	struct sink s = { .buf = buf, .len = len };
	const char *end = len ? memchr(buf, '\0', len) : NULL;
	int ret;

	if (!end)
		return -EINVAL; /* buf does not hold a C string */
	s.off = (size_t)(end - buf);
	/* A dry run first, so that buf is untouched when it does not fit. */
	ret = emit(a, &s);
	if (ret)
		return ret;
	s.off = (size_t)(end - buf);
	s.write = true;
	return emit(a, &s);
}

int kt_kernel_args_check(const char *args, char *err, size_t len)
{
	const char *w = args;

	if (len)
		err[0] = '\0';
	if (!args)
		return 0;
	if (strlen(args) > 512) {
		snprintf(err, len, "%zu bytes, at most 512", strlen(args));
		return -EINVAL;
	}
	for (const char *p = args; *p; p++)
		if (*p < ' ' || *p > '~' || *p == '"' || *p == '\'' || *p == '\\') {
			snprintf(err, len, "byte 0x%02x at offset %zu: only printable ASCII without quotes or "
					   "backslashes", (unsigned)(unsigned char)*p, (size_t)(p - args));
			return -EINVAL;
		}
	while (*w) {
		size_t n;

		w += strspn(w, " ");
		n = strcspn(w, " ");
		if (n == 2 && !strncmp(w, "--", 2)) {
			snprintf(err, len, "'--' would hand ktstr's own words to init");
			return -EINVAL;
		}
		if (!strncmp(w, "ktstr_", 6) && n > 6) {
			snprintf(err, len, "'%.*s': ktstr_ words are ktstr's own", (int)(n < 64 ? n : 64), w);
			return -EINVAL;
		}
		w += n;
	}
	return 0;
}

/* ---- parse ---- */

/* The decoded value of key into out (size len): 1 found, 0 absent,
 * -EINVAL when it does not decode or fit. */
static int get(const char *cmdline, const char *key, char *out, size_t len)
{
	char raw[WORD_MAX];
	int ret = kt_cmdline_get(cmdline, key, raw, sizeof(raw));

	if (ret == -ENOENT)
		return 0;
	/* A raw value longer than raw cannot decode into any field: each
	 * decoded byte takes at most three raw ones. */
	if (ret || kt_arg_decode(raw, out, len)) {
		out[0] = '\0'; /* no half-decoded value is left behind */
		return -EINVAL;
	}
	return 1;
}

/* Decimal digits only, within unsigned. */
static int parse_uint(const char *s, unsigned *v)
{
	unsigned long long n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		n = n * 10 + (unsigned)(*s - '0');
		if (n > UINT_MAX)
			return -EINVAL;
	}
	*v = (unsigned)n;
	return 0;
}

/* "0x" then 1-16 hex digits; returns the rest of s, NULL if malformed. */
static const char *parse_hex64(const char *s, uint64_t *v)
{
	unsigned digits = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return NULL;
	*v = 0;
	for (s += 2;; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (digits == 16)
			return NULL;
		*v = *v << 4 | d;
	}
	return digits ? s : NULL;
}

static int get_num(const char *cmdline, const char *key, unsigned *v)
{
	char s[16];
	int ret = get(cmdline, key, s, sizeof(s));

	if (ret <= 0)
		return ret;
	return parse_uint(s, v);
}

/* Values with a fixed spelling: 1 when present and equal to want. */
static int get_word(const char *cmdline, const char *key, const char *want, bool strict)
{
	char s[16];
	int ret = get(cmdline, key, s, sizeof(s));

	if (ret <= 0)
		return ret;
	if (!strcmp(s, want))
		return 1;
	return strict ? -EINVAL : 0;
}

/* get() into a field; found or absent are both fine here. */
#define GET(key, field)                                                        \
	do {                                                                   \
		int r_ = get(cmdline, key, a->field, sizeof(a->field));        \
		if (r_ < 0)                                                    \
			return r_;                                             \
	} while (0)
#define GET_NUM(key, field)                                                    \
	do {                                                                   \
		int r_ = get_num(cmdline, key, &a->field);                     \
		if (r_ < 0)                                                    \
			return r_;                                             \
	} while (0)

int kt_guest_args_parse(const char *cmdline, struct kt_guest_args *a)
{
	char shm[80];
	const char *p;
	uint64_t addr, size;
	int ret;

	memset(a, 0, sizeof(*a));
	/* The VM layer's parameters first: the ring is there to report even
	 * when a later value is bad. */
	ret = get(cmdline, "ktstr_shm", shm, sizeof(shm));
	if (ret < 0)
		return ret;
	if (ret) {
		p = parse_hex64(shm, &addr);
		if (!p || *p != ',' || !(p = parse_hex64(p + 1, &size)) || *p)
			return -EINVAL;
		a->shm_addr = addr;
		a->shm_size = size;
	}
	GET("ktstr_accel", accel);
	ret = get(cmdline, "ktstr_park", shm, sizeof(shm));
	if (ret < 0)
		return ret;
	if (ret) {
		p = parse_hex64(shm, &addr);
		if (!p || *p || !addr)
			return -EINVAL;
		a->park_addr = addr;
	}
	ret = get_word(cmdline, "ktstr_mode", "shell", true);
	if (ret < 0)
		return ret;
	a->mode = ret ? KT_GUEST_SHELL : KT_GUEST_TEST;
	GET("ktstr_test", test);
	GET("ktstr_topo", topo);
	GET_NUM("ktstr_duration_ms", duration_ms);
	GET("ktstr_sched", sched);
	GET("ktstr_sched_args", sched_args);
	GET_NUM("ktstr_sched_attach_ms", sched_attach_ms);
	GET("ktstr_sched_helper_cpus", sched_helper_cpus);
	GET("ktstr_probe", probe);
	ret = get_word(cmdline, "ktstr_nested", "l2", true);
	if (ret < 0)
		return ret;
	a->nested_l2 = ret;
	GET("ktstr_term", term);
	GET_NUM("ktstr_cols", cols);
	GET_NUM("ktstr_rows", rows);
	GET_NUM("ktstr_bpf_sync_ms", bpf_sync_ms);
	ret = get(cmdline, "ktstr_exec", a->exec, sizeof(a->exec));
	if (ret < 0)
		return ret;
	a->have_exec = ret;
	/* Any other terminal: the guest's default, /dev/ttyS1, which always works. */
	ret = get_word(cmdline, "ktstr_tty", "hvc0", false);
	if (ret < 0)
		return ret;
	a->tty_hvc0 = ret;
	return 0;
}
