#!/usr/bin/env bash
# CLI tests of payloads (docs/payloads.md): bad input before any VM boots
# (missing binaries with their Debian package, bad declarations and ops,
# exit 2), then the VM tests of tests/payloads.c with --out and their
# metrics checked in the sidecars (skipped when no kernel is cached).
# TAP output (tests/cli/lib.sh); exits non-zero on a failure.
#   usage: tests/cli/payload.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$T" "$K"

# bad_input NAME PATTERN CMD...: exit 2, PATTERN in stderr, exactly one
# "ktstr:" line, and no VM started (no KTAP plan on stdout).
bad_input() {
	local name=$1 pat=$2 rc lines
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	lines=$(grep -c '^ktstr: ' "$TMP/err")
	if [ "$rc" = 2 ] && grep -qE -- "$pat" "$TMP/err" && [ "$lines" = 1 ] && ! grep -q '^1\.\.' "$TMP/out"; then
		ok "$name"
	else
		bad "$name" "exit $rc (want 2), $lines ktstr: lines (want 1), want /$pat/" \
			"stderr: $(head -c 400 "$TMP/err")" "stdout: $(head -c 200 "$TMP/out")"
	fi
}

# --- missing binaries: the Debian package named, exit 2, before boot -----
mkdir -p "$TMP/emptybin"
bad_input "missing hackbench names rt-tests" \
	"payload hackbench: 'hackbench' not found in \\\$PATH; it comes with the Debian package rt-tests \(apt-get install rt-tests\)" \
	env PATH="$TMP/emptybin" "$T" -j1 ^payload_hackbench
bad_input "missing cyclictest names rt-tests" "'cyclictest' not found .* package rt-tests" \
	env PATH="$TMP/emptybin" "$T" -j1 ^payload_cyclictest
bad_input "missing fio names fio" "'fio' not found .* package fio " env PATH="$TMP/emptybin" "$T" -j1 ^payload_fio_json
bad_input "missing stress-ng names stress-ng" "'stress-ng' not found .* package stress-ng " \
	env PATH="$TMP/emptybin" "$T" -j1 ^payload_stress_ng
bad_input "a missing binary stops a run of several tests before any boots" "not found in" \
	env PATH="$TMP/emptybin" "$T" -j1 ^payload_

# --- the canned payload scenarios (src/scenario/catalog_payload.c) --------
list=$("$K" scenario --list ^payload_ 2>&1)
n=$(grep -cE '^payload_(cyclictest_hog|hackbench_llc|fio_spinners|stress_ng_sched) .*payload: ' <<<"$list")
if [ "$n" = 4 ]; then
	ok "ktstr scenario --list shows the 4 payload scenarios"
else
	bad "ktstr scenario --list shows the 4 payload scenarios" "$n of 4 listed" "$(head -c 600 <<<"$list")"
fi
grep -q 'payload_hackbench_llc  *topo=1n2l2c1t' <<<"$list" && ok "payload_hackbench_llc runs on 2 LLCs" ||
	bad "payload_hackbench_llc runs on 2 LLCs" "$(grep hackbench <<<"$list")"
bad_input "a canned payload scenario with its program missing names the package" \
	"test payload_cyclictest_hog: payload cyclictest_hog: 'cyclictest' not found .* package rt-tests" \
	env PATH="$TMP/emptybin" "$K" scenario -j1 ^payload_cyclictest_hog

# --- an out-of-tree test: schbench (no package), bad declarations, bad ops
cat >"$TMP/oot.c" <<'EOF'
#include <ktstr/scenario.h>
KTSTR_PAYLOAD(schbench, .binary = "schbench", .output = KTSTR_OUT_JSON);
KTSTR_PAYLOAD(badre, .binary = "sh", .output = KTSTR_OUT_REGEX, .regex = "Time: ([0-9.]+", .captures = { "t" });
KTSTR_PAYLOAD(badinc, .binary = "sh", .include = { "/no/such/file" });
KTSTR_PAYLOAD(ok_sh, .binary = "sh", .args = { "-c", "true" });
static const struct ktstr_op none[] = { { 0 } };
static const struct ktstr_step s_schbench[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(schbench), { 0 } }, .hold = KTSTR_HOLD_FIXED(10) }, { 0 } };
static const struct ktstr_step s_badre[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(badre), { 0 } }, .hold = KTSTR_HOLD_FIXED(10) }, { 0 } };
static const struct ktstr_step s_badinc[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_RUN_PAYLOAD(badinc), { 0 } }, .hold = KTSTR_HOLD_FIXED(10) }, { 0 } };
static const struct ktstr_step s_wait[] = {
	{ .ops = (const struct ktstr_op[]){ KTSTR_OP_WAIT_PAYLOAD(ok_sh), { 0 } }, .hold = KTSTR_HOLD_FIXED(10) }, { 0 } };
KTSTR_STEPS_TEST(oot_schbench, none, s_schbench);
KTSTR_STEPS_TEST(oot_badre, none, s_badre);
KTSTR_STEPS_TEST(oot_badinc, none, s_badinc);
KTSTR_STEPS_TEST(oot_wait, none, s_wait);
EOF
# The link libraries from their one place (the Makefile's KT_LIBS).
libs=$(make -s --no-print-directory -C "$HERE/../.." print-libs)
# shellcheck disable=SC2086 # $libs is a list of words
if ${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$TMP/oot" "$TMP/oot.c" "$B/libktstr.a" \
	$libs >"$TMP/cc.log" 2>&1; then
	ok "an out-of-tree test with payloads builds against libktstr.a"
	bad_input "schbench: not packaged, say so and ask for a path" \
		"payload schbench: 'schbench' not found in \\\$PATH, and ktstr knows no package that provides it; build it and give its path in \.binary" \
		env PATH="$TMP/emptybin" "$TMP/oot" -j1 oot_schbench
	bad_input "a regex that does not compile is bad input" \
		"test oot_badre: step 0 op 0 \(run_payload 'badre'\): payload: regex: 'Time: \(\[0-9\.\]\+' does not compile" \
		"$TMP/oot" -j1 oot_badre
	bad_input "a missing .include file is bad input" "test oot_badinc: payload files: /no/such/file: No such file" \
		"$TMP/oot" -j1 oot_badinc
	bad_input "WAIT_PAYLOAD of nothing running is bad input" \
		"oot_wait: step 0 op 0 \(wait_payload 'ok_sh'\): payload: ok_sh does not run in the background" \
		"$TMP/oot" -j1 oot_wait
else
	bad "an out-of-tree test with payloads builds against libktstr.a" "$(head -c 600 "$TMP/cc.log")"
fi

# --- stats / compare / report of crafted sidecars (no VM) ----------------
# craft DIR TIME_S RPS: a sidecar as a payload test writes it.
craft() {
	mkdir -p "$1"
	cat >"$1/payload_x.ktstr.json" <<EOF
{"name": "payload_x", "test": "payload_x", "verdict": "pass", "passed": true, "skipped": false,
 "topology": "1n1l2c1t", "scheduler": "eevdf", "scheduler_flags": "", "wall_s": 5.0,
 "payloads": [
  {"payload": "hackbench", "exit_code": 0, "ended": true, "killed": false, "timed_out": false, "wall_ms": 400,
   "metrics": [{"name": "time_s", "value": $2, "unit": "s", "polarity": "lower"},
               {"name": "loops", "value": 100, "unit": "", "polarity": null}]},
  {"payload": "helper", "exit_code": 0, "ended": true, "killed": false, "timed_out": false, "wall_ms": 50,
   "metrics": [{"name": "rps", "value": $3, "unit": "req/s", "polarity": "higher"}]}],
 "payload_messages_refused": 0}
EOF
}
craft "$TMP/base" 1.0 1000
craft "$TMP/slower" 1.5 1000
craft "$TMP/fewer" 1.0 700
craft "$TMP/close" 1.05 980
# cmp NAME WANT_RC PATTERN ARGS...: ktstr compare ARGS, exit and output.
cmp() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$K" compare "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$pat" "$TMP/out"; then ok "$name"; else
		bad "$name" "exit $rc (want $want), want /$pat/" "$(head -c 600 "$TMP/out")" "$(head -c 300 "$TMP/err")"
	fi
}
cmp "compare: time_s up (lower is better) is a regression, exit 1" 1 \
	"^payload_x +hackbench\.time_s +1 s +1\.50 s +\+0\.50 s +\+50\.0% +REGRESSION" "$TMP/base" "$TMP/slower"
cmp "compare: time_s down is an improvement, exit 0" 0 "hackbench\.time_s .* improvement" "$TMP/slower" "$TMP/base"
cmp "compare: rps down (higher is better) is a regression" 1 "helper\.rps +1000 req/s +700 req/s .*REGRESSION" \
	"$TMP/base" "$TMP/fewer"
cmp "compare: rps up is an improvement" 0 "helper\.rps .* improvement" "$TMP/fewer" "$TMP/base"
cmp "compare: 5 % and 2 % changes are within the 10 % payload gate" 0 "summary: 0 regressions, 0 improvements" \
	"$TMP/base" "$TMP/close"
cmp "compare --threshold payload=,60%: a 50 % slowdown is noise" 0 "summary: 0 regressions" \
	--threshold payload=,60% "$TMP/base" "$TMP/slower"
cmp "compare --all lists equal payload metrics" 1 "helper\.rps +1000 req/s +1000 req/s .* same" --all "$TMP/base" \
	"$TMP/slower"
if grep -q "loops" "$TMP/out"; then
	bad "compare: a payload metric without polarity is not compared" "$(grep loops "$TMP/out")"
else
	ok "compare: a payload metric without polarity is not compared"
fi
"$K" stats "$TMP/base" >"$TMP/out" 2>&1
if grep -qE "payload_x +hackbench\.time_s +1 s +lower" "$TMP/out" && grep -qE "helper\.rps +1000 req/s +higher" "$TMP/out" &&
	! grep -q "hackbench.loops" "$TMP/out"; then
	ok "stats lists the declared payload metrics with unit and polarity"
else
	bad "stats lists the declared payload metrics" "$(tail -c 600 "$TMP/out")"
fi
"$K" stats --json "$TMP/base" >"$TMP/base.json" 2>"$TMP/err" && "$K" compare "$TMP/base.json" "$TMP/slower" >"$TMP/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "hackbench.time_s.*REGRESSION" "$TMP/out"; then
	ok "compare reads payload metrics back from stats --json"
else
	bad "compare reads payload metrics back from stats --json" "exit $rc" "$(head -c 400 "$TMP/out")"
fi
if "$K" report -o "$TMP/r.html" "$TMP/base" >/dev/null 2>&1 &&
	grep -q '<tr class="payload"><td>hackbench.time_s</td>' "$TMP/r.html"; then
	ok "the HTML report shows payload metrics"
else
	bad "the HTML report shows payload metrics" "$(grep -o 'payload[^<]*' "$TMP/r.html" 2>/dev/null | head -3)"
fi

# --- the VM tests, their sidecars -----------------------------------------
# sidecar TEST PYTHON-CONDITION DESCRIPTION: d is the sidecar, p(name) its
# payload run, m(run, metric) a metric value (None if absent).
sidecar() {
	local t=$1 cond=$2 desc=$3 out
	out=$(python3 - "$TMP/sc/$t.ktstr.json" "$cond" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
runs = d.get("payloads", [])
def p(name):
    r = [x for x in runs if x["payload"] == name]
    return r[0] if r else {}
def m(run, name):
    v = [x["value"] for x in run.get("metrics", []) if x["name"] == name]
    return v[0] if v else None
def meta(run, name):
    v = [x for x in run.get("metrics", []) if x["name"] == name]
    return (v[0]["polarity"], v[0]["unit"]) if v else None
ok = eval(sys.argv[2])
print("payloads:", json.dumps(runs)[:700], "verdict:", d.get("verdict"), d.get("reason"))
sys.exit(0 if ok else 1)
EOF
	)
	if [ $? = 0 ]; then ok "$t: $desc"; else bad "$t: $desc" "$out"; fi
}

if ! command -v python3 >/dev/null; then
	skip "VM tests with sidecars" "python3 missing"
elif ! "$K" kernel path >/dev/null 2>&1; then
	skip "VM tests with sidecars" "no cached kernel (ktstr kernel build)"
else
	"$T" -j1 --no-progress --out "$TMP/sc" ^payload_ >"$TMP/vm.out" 2>"$TMP/vm.err"
	rc=$?
	if [ $rc = 0 ] && grep -q '^ok .* payload_neg_check .*expected failure seen: payload helper_slow: metric rps = 1234.5 below the minimum 5000' "$TMP/vm.out"; then
		ok "ktstr-tests ^payload_: all pass, the negative check fails as expected"
	else
		bad "ktstr-tests ^payload_: all pass" "exit $rc" "$(grep -E '^(not )?ok' "$TMP/vm.out")" "$(tail -c 600 "$TMP/vm.err")"
	fi
	sidecar payload_hackbench 'p("hackbench").get("exit_code") == 0 and 0 < m(p("hackbench"), "time_s") < 180 and meta(p("hackbench"), "time_s") == ("lower", "s")' \
		"hackbench's Time (regex) reached the sidecar, 0 < time_s < the VM limit, lower is better"
	sidecar payload_cyclictest 'p("cyclictest").get("ended") and 0 < m(p("cyclictest"), "thread.0.max") < 180e6 and m(p("cyclictest"), "thread.0.avg") <= m(p("cyclictest"), "thread.0.max")' \
		"cyclictest's max latency (JSON file) is above 0 and below the VM limit"
	sidecar payload_stress_ng 'm(p("stress_ng_cpu"), "bogo_ops") > 0 and m(p("stress_ng_cpu"), "bogo_ops_per_s") > 0' \
		"stress-ng's bogo-ops (regex) are above 0"
	sidecar payload_fio_json 'd["verdict"] == "pass" and (m(p("fio"), "jobs.0.read.iops") or 0) > 0 and m(p("fio"), "jobs.0.read.io_bytes") > 0' \
		"fio's read IOPS and bytes (JSON) are above 0"
	sidecar payload_background_kill 'p("stress_ng")["killed"] and not p("stress_ng")["ended"] and p("helper_stubborn")["killed"] and p("helper_stubborn").get("signal") == 9 and p("helper_stubborn")["wall_ms"] >= 2000 and p("helper_json")["ended"] and m(p("helper_json"), "rps") == 1234.5 and m(p("helper_json"), "threads.1.loops") == 98' \
		"KILL_PAYLOAD stopped stress-ng; the SIGTERM-ignoring helper was SIGKILLed after the grace period; the JSON helper ended by itself"
	sidecar payload_background_kill 'p("helper_include").get("exit_code") == 0 and m(p("helper_include"), "from_file.value") == 42' \
		"a data file packed with .include was read in the guest at its host path"
	sidecar payload_neg_check 'd["verdict"] == "pass" and any("rps = 1234.5 below the minimum 5000" in x["message"] for x in d["result"]["details"]) and m(p("helper_slow"), "rps") == 1234.5' \
		"the failed check is in the result, the metric in the sidecar"
fi

done_testing
