#!/bin/sh
# Soak: N consecutive VM tests in one host runner process, its open fds
# and RSS after each (see bench/soak.c; figures in docs/soak.md).  Not in
# CI: N VMs one after the other (about 6 s each under TCG).
#   bench/soak.sh [N [KERNEL]]     (from anywhere; default N = 50)
set -e
cd "$(dirname "$0")/.."
make -s build/bench/soak
exec build/bench/soak "$@"
