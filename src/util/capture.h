/* Reading an untrusted byte stream (a guest console) as it arrives:
 * markers found across chunk boundaries in linear time.  Pure. */
#ifndef KTSTR_UTIL_CAPTURE_H
#define KTSTR_UTIL_CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

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

#endif
