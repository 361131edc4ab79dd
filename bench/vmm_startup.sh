#!/bin/sh
# Start-up of ktstr's own KVM VMM (kt_vm_run() to the first KVM_RUN), native
# on this host's /dev/kvm (see bench/vmm_startup.c and docs/vmm.md).
#   bench/vmm_startup.sh [KERNEL]     (from the repository root)
set -e
cd "$(dirname "$0")/.."
make -s build/bench/vmm_startup
exec build/bench/vmm_startup "$@"
