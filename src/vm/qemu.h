/* The QEMU backend's pure parts, exposed for unit tests. */
#ifndef KTSTR_VM_QEMU_H
#define KTSTR_VM_QEMU_H
#include "vm/backend.h"

struct kt_qemu_argv {
	char *v[160];
	int n;
	char store[16384];
	size_t used;
	int err;          /* -E2BIG: an argument did not fit */
	char err_arg[96]; /* which one */
};
/* QEMU's argument vector for vm (its cfg and cmdline) into a: 0, or
 * -E2BIG when it does not fit, never a vector with an argument missing. */
int kt_qemu_build_argv(const struct vm *vm, const char *qemu, bool kvm, struct kt_qemu_argv *a);

#endif
