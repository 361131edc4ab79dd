/* Carry an argument string through the kernel command line: bytes other
 * than [A-Za-z0-9._,:=/+-] become %XX.  Pure functions. */
#ifndef KTSTR_ARGENC_H
#define KTSTR_ARGENC_H
#include <stddef.h>

int kt_arg_encode(const char *in, char *out, size_t len);
int kt_arg_decode(const char *in, char *out, size_t len);
/* Split on whitespace into at most max-1 pointers into buf (modified),
 * NULL-terminated.  Returns the count, or -E2BIG. */
int kt_arg_split(char *buf, char **argv, int max);

/* Value of key=value on a kernel command line: 0, -ENOENT (absent) or
 * -ENAMETOOLONG (does not fit len). */
int kt_cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);

#endif
