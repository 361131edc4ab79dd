/* Where libktstr's messages go.  Errors, notes and debug lines of the
 * library go to stderr by default ("ktstr: <msg>"; debug lines as
 * "ktstr[debug]: <msg>", and only in verbose mode, -v).  A program
 * embedding the library can route them elsewhere, as with
 * libbpf_set_print():
 *
 *   static int my_print(enum ktstr_print_level l, const char *fmt, va_list ap)
 *   {
 *       return l == KTSTR_PRINT_DEBUG ? 0 : my_log_v(fmt, ap);
 *   }
 *   ...
 *   kt_set_print(my_print);
 */
#ifndef KTSTR_PRINT_H
#define KTSTR_PRINT_H
#include <stdarg.h>

enum ktstr_print_level {
	KTSTR_PRINT_ERROR, /* an operation failed; the errno string is part of the message */
	KTSTR_PRINT_INFO,  /* a note worth showing by default */
	KTSTR_PRINT_DEBUG, /* detail; the default prints it only in verbose mode */
};

/* Gets the message without the "ktstr: " prefix and without a trailing
 * newline, at every level (filtering is the callback's choice).  May be
 * called from several threads at once.  The return value is ignored. */
typedef int (*ktstr_print_fn)(enum ktstr_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Route the library's messages to fn; NULL restores the default (stderr).
 * Returns the previous callback (the default's address when none was
 * set), so a caller can restore it.  Thread-safe. */
ktstr_print_fn kt_set_print(ktstr_print_fn fn);

#endif
