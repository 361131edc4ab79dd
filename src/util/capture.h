/* Bounded keeping of an untrusted byte stream (a guest console): its
 * first bytes, its last bytes and how many were dropped in between; and
 * markers found as the bytes arrive, so nothing that must be seen is lost
 * in the dropped middle.  Pure. */
#ifndef KTSTR_UTIL_CAPTURE_H
#define KTSTR_UTIL_CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

/* Console captures of a VM run (kt_vm_run): 64 KiB head, 256 KiB tail. */
#define KT_CAPTURE_HEAD (64u << 10)
#define KT_CAPTURE_TAIL (256u << 10)

struct kt_capture {
	size_t head_cap, tail_cap; /* set before the first add; 0 and 0: the defaults above */
	char *head, *tail;         /* allocated on the first add, never grown */
	size_t head_len;
	size_t tail_pos, tail_len; /* ring: next write position, bytes held */
	uint64_t total;            /* bytes added */
	uint64_t dropped;          /* bytes neither in head nor in tail */
};

/* Keep n more bytes.  0, or -ENOMEM (the bytes are then only counted as
 * dropped). */
int kt_capture_add(struct kt_capture *c, const void *p, size_t n);
/* Forget everything (keeps the buffers and caps). */
void kt_capture_reset(struct kt_capture *c);
void kt_capture_free(struct kt_capture *c);
/* The last at most max bytes, contiguous, appended to out (the tail, or
 * the head when nothing went to the tail yet). */
int kt_capture_last(const struct kt_capture *c, size_t max, struct kbuf *out);
/* The whole of what is kept appended to out: the head, then a line
 * "[... N bytes dropped ...]" if any were, then the tail. */
int kt_capture_text(const struct kt_capture *c, struct kbuf *out);

/* A marker searched in a stream as it arrives (across chunk boundaries,
 * linear: Knuth-Morris-Pratt), with the rest of the line of its first
 * occurrence kept (marker included, up to sizeof(line) - 1 bytes). */
#define KT_MARKER_MAX 64
struct kt_marker {
	char needle[KT_MARKER_MAX];
	uint8_t fail[KT_MARKER_MAX];
	size_t len, matched;
	uint64_t seen;    /* occurrences */
	bool in_line;     /* copying the first occurrence's line */
	char line[256];
	size_t line_len;
};
/* needle: 1 to KT_MARKER_MAX - 1 bytes (-EINVAL otherwise). */
int kt_marker_init(struct kt_marker *m, const char *needle);
/* Returns the occurrences that ended within p[0..n). */
unsigned kt_marker_feed(struct kt_marker *m, const void *p, size_t n);

/* Offset of the start of the first line of console text s[0..n) that
 * opens a kernel oops, BUG, warning or panic ("Oops:", "BUG:",
 * "general protection fault", "WARNING: CPU:", "Kernel panic - not
 * syncing"); n when there is none. */
size_t kt_console_first_oops(const char *s, size_t n);

#endif
