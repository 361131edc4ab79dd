/* Host side: run registered tests, one VM each, in parallel; judge the
 * results; print KTAP lines, failure reports and the summary. */
#ifndef KTSTR_RUNNER_H
#define KTSTR_RUNNER_H
#include <ktstr/ktstr.h>
#include "core/result.h"
#include "vm/backend.h"

struct kt_run_opts {
	const char *kernel;     /* --kernel PATH|KEY (NULL: resolve) */
	enum vm_vmm vmm;
	unsigned jobs;
	bool have_topo;         /* --topo given */
	struct ktstr_topo topo;
	unsigned duration_s;    /* --duration (0: the test's) */
	unsigned timeout_s;     /* --timeout (0: derived) */
	unsigned memory_mb;     /* --memory (0: the test's) */
	bool verbose;
};

enum kt_verdict { KT_PASS, KT_FAIL, KT_SKIP, KT_ERROR };

struct kt_outcome {
	enum kt_verdict verdict;
	char reason[1024];      /* first line for the KTAP line */
	struct kt_result result;
	bool have_result;
	enum vm_exit exit;
	double wall_s, boot_s;  /* boot: launch to KTSTR_INIT_STARTED */
	unsigned duration_ms;
	char topo[32];
	char accel[16];
	struct kbuf report;     /* full failure report */
};

/* Runs tests; returns the process exit status (0 all passed/skipped,
 * 1 some failed, 2 bad input). */
int kt_run_tests(const struct ktstr_test *const *tests, size_t n, const struct kt_run_opts *o);

/* Pure: judge one VM run (exposed for unit tests). */
void kt_judge(const struct ktstr_test *t, const struct ktstr_topo *topo, const struct vm_result *vr,
	      const char *ring_json, size_t ring_len, struct kt_outcome *out);

#endif
