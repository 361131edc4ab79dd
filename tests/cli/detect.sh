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

# --- a stall fixture: the failure report explains it ------------------
# scx_ktstr stops dispatching 2 s after it attaches.
"$K" scenario --scheduler scx_ktstr --args "--stall-after 2" --out "$TMP/side" ^cgroup_steady \
	>"$TMP/stall" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -q '^not ok 1 cgroup_steady' "$TMP/stall"; then
	bad "a stalling scheduler fails cgroup_steady" "exit $rc" "$(grep -E '^(not )?ok ' "$TMP/stall")"
else
	ok "a stalling scheduler fails cgroup_steady"
fi
# Each section present, in order, and not empty (the line after its
# title is neither "(none)" nor "(empty)").
if awk '
	function need(t) { want[++n] = t }
	BEGIN { need("^  reason: ."); need("^  --- monitor ---$"); need("^  --- timeline ---$");
		need("^  --- sched_ext dump \\("); need("^  --- scheduler log "); need("^  --- kernel console ") ; k = 1 }
	k <= n && $0 ~ want[k] { title = k; k++; next }
	title { if ($0 ~ /^    \((none|empty)\)$/) { print "empty section " title; bad = 1 } title = 0 }
	END { if (k <= n) { print "missing " want[k]; exit 1 } exit bad }' "$TMP/stall" >"$TMP/awk.out"; then
	ok "failure report: reason, monitor, timeline, sched_ext dump, scheduler log, kernel log, in order"
else
	bad "failure report: reason, monitor, timeline, sched_ext dump, scheduler log, kernel log, in order" \
		"$(cat "$TMP/awk.out")"
fi
if command -v python3 >/dev/null; then
	if python3 - "$TMP/side/cgroup_steady.ktstr.json" >"$TMP/py.out" 2>&1 <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for k in ("reason", "monitor_summary", "timeline", "sched_ext_dump", "report"):
    assert j.get(k), "sidecar: %s empty" % k
assert "samples=" in j["monitor_summary"] and "verdict:" in j["monitor_summary"], j["monitor_summary"]
assert "CPU 0" in j["sched_ext_dump"], "no CPU states in the dump"
w = j["watchdog"]
assert w["applied"] and w["read_back_jiffies"] == w["written_jiffies"], w
PY
	then ok "sidecar: reason, monitor_summary, timeline, sched_ext_dump, watchdog read back"
	else bad "sidecar: reason, monitor_summary, timeline, sched_ext_dump, watchdog read back" "$(cat "$TMP/py.out")"
	fi
else
	skip "sidecar sections: python3 missing"
fi
if "$K" report -o "$TMP/r.html" "$TMP/side" >/dev/null 2>&1 &&
	grep -q '<summary>monitor</summary>' "$TMP/r.html" && grep -q '<summary>timeline</summary>' "$TMP/r.html" &&
	grep -q '<summary>sched_ext dump</summary>' "$TMP/r.html"; then
	ok "HTML report: monitor, timeline and sched_ext dump sections"
else
	bad "HTML report: monitor, timeline and sched_ext dump sections"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
