#!/bin/sh
# Start-up of ktstr's own KVM VMM (kt_vm_run() to the first KVM_RUN), native
# on this host's /dev/kvm (see bench/vmm_startup.c and docs/vmm.md).
#   bench/vmm_startup.sh [KERNEL]     (from the repository root)
set -e
cd "$(dirname "$0")/.."
make -s build/libktstr.a
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Isrc -D_GNU_SOURCE \
	-o build/bench-vmm-startup bench/vmm_startup.c build/libktstr.a \
	-lelf -ljansson -lcrypto -lz -lpthread -lm
exec build/bench-vmm-startup "$@"
