/* Shared helpers of the fuzz targets (fuzz/fuzz_*.c, docs/fuzzing.md).
 *
 * A target defines LLVMFuzzerTestOneInput().  It is linked twice: with
 * clang's libFuzzer (`make fuzz`) and with fuzz/replay.c, a plain driver
 * that runs it once per file of the committed corpus (`make fuzz-replay`,
 * part of `make check`).  Oracles beyond the sanitizers abort through
 * FZ_CHECK, which both drivers report as a failure. */
#ifndef KTSTR_FUZZ_H
#define KTSTR_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle: on failure, say which and abort (a crash for libFuzzer, a
 * failed file for the replay driver). */
#define FZ_CHECK(cond, ...)                                                        \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz oracle failed: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* The input as a stream of fields; reads past the end give zeros.  Read
 * one field per statement (or per declarator): the order of function
 * arguments and initializer-list elements is unspecified, and gcc (the
 * replay) and clang (libFuzzer) would read one input two ways. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_left(const struct fz *f)
{
	return f->n > 0;
}

static inline void fz_take(struct fz *f, void *out, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, len - k);
	f->p += k;
	f->n -= k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_take(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;

	fz_take(f, &v, 2);
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;

	fz_take(f, &v, 4);
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;

	fz_take(f, &v, 8);
	return v;
}

/* A C string of at most max-1 bytes into buf[max]: up to the next NUL of
 * the input (consumed) or its end. */
static inline void fz_str(struct fz *f, char *buf, size_t max)
{
	size_t k = 0;

	while (f->n && f->p[0] && k + 1 < max) {
		buf[k++] = (char)f->p[0];
		f->p++;
		f->n--;
	}
	while (f->n && f->p[0]) { /* the rest of an over-long string */
		f->p++;
		f->n--;
	}
	if (f->n) { /* the NUL */
		f->p++;
		f->n--;
	}
	buf[k] = '\0';
}

/* A heap copy of exactly len bytes (so that ASan sees a read past it),
 * plus a NUL when nul is set. */
static inline char *fz_dup(const void *p, size_t len, bool nul)
{
	size_t sz = len + (nul ? 1 : 0);
	char *s = malloc(sz ? sz : 1);

	if (!s)
		abort();
	if (len)
		memcpy(s, p, len);
	if (nul)
		s[len] = '\0';
	return s;
}

/* Strictly valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) in s[0..n). */
static inline bool fz_utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t need;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

#endif
