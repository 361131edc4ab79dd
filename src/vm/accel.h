/* Can /dev/kvm boot a standard Linux kernel here?  Hardware KVM (kvm_intel,
 * kvm_amd) can; a PVM-backed /dev/kvm cannot.  Verdict cached per host
 * boot under <cache>/accel-probe.  KTSTR_ACCEL=kvm|tcg overrides. */
#ifndef KTSTR_VM_ACCEL_H
#define KTSTR_VM_ACCEL_H
#include <stdbool.h>
#include <stddef.h>

bool kt_accel_kvm_usable(const char *kernel, char *why, size_t len);

#endif
