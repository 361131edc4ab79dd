/* Error reporting, buffers, string lists, time. */
#include "util/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

int kt_verbose;
volatile sig_atomic_t kt_interrupted;
bool kt_signals_handled;

static void on_signal(int sig)
{
	kt_interrupted = sig;
}

void kt_signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	kt_signals_handled = true;
}

__attribute__((format(printf, 2, 0))) static int default_print(enum ktstr_print_level level, const char *fmt,
								 va_list ap)
{
	if (level == KTSTR_PRINT_DEBUG && !kt_verbose)
		return 0;
	fputs(level == KTSTR_PRINT_DEBUG ? "ktstr[debug]: " : "ktstr: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return 0;
}

static ktstr_print_fn print_fn = default_print;

ktstr_print_fn kt_set_print(ktstr_print_fn fn)
{
	return __atomic_exchange_n(&print_fn, fn ? fn : default_print, __ATOMIC_ACQ_REL);
}

__attribute__((format(printf, 2, 0))) static void vprint(enum ktstr_print_level level, const char *fmt, va_list ap)
{
	__atomic_load_n(&print_fn, __ATOMIC_ACQUIRE)(level, fmt, ap);
}

__attribute__((format(printf, 2, 3))) static void print(enum ktstr_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(level, fmt, ap);
	va_end(ap);
}

int kt_err(int err, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		print(KTSTR_PRINT_ERROR, "%s: %s", msg, strerror(err));
	else
		print(KTSTR_PRINT_ERROR, "%s", msg);
	return err ? -err : -EINVAL;
}

void kt_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(KTSTR_PRINT_INFO, fmt, ap);
	va_end(ap);
}

void kt_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(KTSTR_PRINT_DEBUG, fmt, ap);
	va_end(ap);
}

int kt_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int kt_kbuf_reserve(struct kbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
	char *p;

	if (need < b->len)
		return -EOVERFLOW;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int kt_kbuf_append(struct kbuf *b, const void *p, size_t n)
{
	int ret = kt_kbuf_reserve(b, n);

	if (ret)
		return ret;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int kt_kbuf_printf(struct kbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	ret = kt_kbuf_reserve(b, (size_t)n);
	if (ret)
		return ret;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void kt_kbuf_free(struct kbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int kt_strlist_add(struct strlist *l, const char *s)
{
	char *d;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	l->v[l->n++] = d;
	return 0;
}

bool kt_strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

void kt_strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

uint32_t kt_crc32(const void *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *q = p;

	while (n) {
		uInt chunk = n > 1u << 30 ? 1u << 30 : (uInt)n;

		c = crc32(c, q, chunk);
		q += chunk;
		n -= chunk;
	}
	return (uint32_t)c;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t kt_now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t kt_now_real_ns(void) { return clock_ns(CLOCK_REALTIME); }

bool kt_word_chars(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || (c && strchr(extra, c))))
			return false;
	}
	return true;
}
