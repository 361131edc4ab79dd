#!/bin/sh
# Boot benchmark of ktstr's own KVM VMM vs QEMU microvm, run inside a
# nested-rig L1 (see bench/boot_kvm_vs_qemu.c and docs/vmm.md).
#   bench/boot_kvm_vs_qemu.sh [KERNEL]     (from the repository root)
# Prints a markdown table; takes several minutes under TCG.
set -e
cd "$(dirname "$0")/.."
make -s build/bench/boot_kvm_vs_qemu
exec build/bench/boot_kvm_vs_qemu "$@"
