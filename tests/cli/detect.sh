#!/usr/bin/env bash
# Detection without false alarms, end to end (docs/checks.md): healthy
# schedulers must pass the catalog scenarios the host monitor once
# failed them on (the sched_ext imbalance judged from nr_running), and a
# failing run under a sched_ext scheduler must explain itself: the
# failure report and the sidecar carry the reason, the monitor summary,
# the timeline, the sched_ext dump, the scheduler log and the kernel
# log.  A few short VMs; skipped when no kernel is cached.
#   usage: tests/cli/detect.sh [BUILD_DIR]     (default: build)
set -u
B=${1:-build}
T=$B/ktstr-tests
K=$B/ktstr
TMP=$(mktemp -d /tmp/ktstr-detect.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0 skip=0

ok()   { pass=$((pass + 1)); echo "ok $((pass + fail)) $1"; }
bad()  { fail=$((fail + 1)); echo "not ok $((pass + fail)) $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { skip=$((skip + 1)); echo "# SKIP $1"; }

for b in "$T" "$K"; do
	[ -x "$b" ] || { echo "$b missing: run make first"; exit 2; }
done
if ! "$K" kernel path >/dev/null 2>&1; then
	skip "everything: no cached kernel (ktstr kernel build)"
	echo "$pass passed, $fail failed, $skip skipped"
	exit 0
fi

# --- scx_simple: the three former monitor false FAILs ------------------
# scx_simple queues everything on one shared DSQ; the kernel counts the
# waiting tasks on the runqueue they last ran on (nr_running 42 vs 1).
"$K" scenario --scheduler scx_simple --retries 1 cgroup_cpuset_cross_llc_race cgroup_cpuset_load_shift \
	cgroup_cpuset_overlap_load_imbalance >"$TMP/simple" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '^ok ' "$TMP/simple")" -eq 3 ]; then
	ok "scx_simple passes the three cpuset scenarios the imbalance ratio failed"
else
	bad "scx_simple passes the three cpuset scenarios the imbalance ratio failed" \
		"exit $rc" "$(grep -E '^(not )?ok ' "$TMP/simple" | head -3)"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
