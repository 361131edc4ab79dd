/* Machine-readable results besides KTAP: JUnit XML (--junit FILE) and a
 * JSON sidecar per case (--out DIR).  Guest text is untrusted: everything
 * is made valid UTF-8 and escaped. */
#ifndef KTSTR_REPORT_OUT_H
#define KTSTR_REPORT_OUT_H
#include "runner/runner.h"

/* Before any VM boots: can --junit FILE and --out DIR be written?  Creates
 * DIR.  Prints why not and returns -errno. */
int kt_report_check(const struct kt_run_opts *o);

/* After a case is judged: keep what the sidecar and JUnit need from the
 * VM run (called only when --out or --junit is given). */
void kt_report_capture(struct kt_outcome *out, const struct vm_result *vr, const char *ring_json, size_t ring_len);

struct kt_report;
/* NULL when neither --junit nor --out is given (the calls below accept
 * NULL).  n: number of cases; kernel: what the run uses. */
struct kt_report *kt_report_begin(const struct kt_run_opts *o, size_t n, const char *kernel);
/* Case idx (position in the case list) is judged: write its sidecar,
 * keep its JUnit entry.  Not thread-safe: call under the runner's lock. */
void kt_report_case(struct kt_report *r, size_t idx, const struct kt_case *c, const struct kt_outcome *out);
/* Write the JUnit file, free r.  0, or -1 if some output failed. */
int kt_report_end(struct kt_report *r);

/* Pure: a file-name-safe form of a case name ("a/b+c" -> "a_b+c"). */
void kt_safe_name(const char *name, char *buf, size_t len);

#endif
