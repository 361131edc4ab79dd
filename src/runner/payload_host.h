/* The host's side of payloads (include/ktstr/payload.h): the binaries
 * and data files a test's payloads need, resolved before any VM boots
 * and described for its initramfs. */
#ifndef KTSTR_RUNNER_PAYLOAD_HOST_H
#define KTSTR_RUNNER_PAYLOAD_HOST_H
#include "initramfs/initramfs.h"
#include "runner/runner.h"

struct kt_payload_pack {
	struct kt_include_files files; /* binaries and .include files, at their host paths */
	struct initramfs_link *links;  /* payload/NAME -> the binary's path */
	size_t nlinks;
	struct strlist strs;           /* owns the links' strings */
};

/* Test t's payloads: each declaration valid, each binary found (a PATH
 * name in $PATH, or a path), each file under a path the guest keeps.
 * 0 with *out filled (empty without payloads); -EINVAL after one line
 * on stderr naming the test, the payload and what is wrong; for a
 * missing binary the Debian package when ktstr knows it. */
int kt_payload_pack(const struct ktstr_test *t, struct kt_payload_pack *out);
void kt_payload_pack_free(struct kt_payload_pack *p);
/* kt_payload_pack for every test of the cases (bad input: -EINVAL). */
int kt_payload_check_cases(const struct kt_case *cases, size_t n);

#endif
