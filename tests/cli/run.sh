#!/usr/bin/env bash
# CLI tests for the runner flags (--shard, --junit, --out, progress) and
# the `ktstr show-host` / `ktstr topo` commands, error paths included.
# One short VM run (skipped when no kernel is cached).  TAP output
# (tests/cli/lib.sh); exits non-zero on failure.
#   usage: tests/cli/run.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$T" "$K"
have_py=false; command -v python3 >/dev/null && have_py=true

# --- help ---------------------------------------------------------------
for f in --shard --junit --out --no-progress --retries; do
	expect "help lists $f" 0 "^ +$f " "$T" --help
	expect "scenario help lists $f" 0 "^ +$f " "$K" scenario --help
done
expect "ktstr help lists show-host and topo" 0 "show-host \| topo" "$K" help

# --- --shard ------------------------------------------------------------
for v in 0/3 3/2 x "" 1/0 0/0 /2 1/ 1/2/3 -1/2 " 1/2" 1/10001 99999999999999999999/2; do
	expect "--shard '$v' is rejected" 2 "ktstr: --shard" "$T" --list --shard "$v"
done
expect "--shard needs a value" 2 "shard" "$T" --list --shard

# The union of all shards is the full list, with no overlap (test binary
# and scenario catalog, several N, also with a filter).
shard_union() { # name cmd...
	local name=$1 n i
	shift
	"$@" --list 2>/dev/null | awk '{print $1}' | sort >"$TMP/full"
	if [ ! -s "$TMP/full" ]; then bad "$name: full list" "empty list from $*"; return; fi
	for n in 1 2 3 4 7 $(($(wc -l <"$TMP/full") + 3)); do
		: >"$TMP/union"
		for i in $(seq 1 "$n"); do
			if ! "$@" --list --shard "$i/$n" 2>"$TMP/err" | awk '{print $1}' >>"$TMP/union"; then
				bad "$name: --shard $i/$n" "failed: $(cat "$TMP/err")"
				return
			fi
		done
		if ! sort "$TMP/union" | cmp -s - "$TMP/full"; then
			bad "$name: shards of $n" "union differs from the full list (dups: $(sort "$TMP/union" | uniq -d | head -3 | tr '\n' ' '))"
			return
		fi
	done
	ok "$name: union of shards = full list, no overlap"
}
shard_union "tests" "$T"
shard_union "tests filtered" "$T" topo_ work_
shard_union "scenarios" "$K" scenario

# Deterministic: the same shard twice gives the same list.
a=$("$T" --list --shard 2/3 | awk '{print $1}'); b=$("$T" --list --shard 2/3 | awk '{print $1}')
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "--shard is deterministic"; else bad "--shard is deterministic" "$a vs $b"; fi
# Balanced: shard sizes differ by at most one.
sizes=$(for i in 1 2 3; do "$T" --list --shard "$i/3" | wc -l; done | sort -n | tr '\n' ' ')
read -r smin _ smax <<<"$sizes"
if [ -n "$smax" ] && [ $((smax - smin)) -le 1 ]; then ok "--shard is balanced ($sizes)"; else bad "--shard is balanced" "$sizes"; fi
# More shards than cases: an empty shard lists nothing and succeeds.
expect_status "--shard beyond the list" 0 "$T" --list --shard 9999/9999 topo_1n1l2c1t &&
	{ [ ! -s "$TMP/out" ] && ok "--shard beyond the list is empty" || bad "--shard beyond the list is empty" "$(cat "$TMP/out")"; }

# An empty shard run (no VM) still writes its JUnit file, an empty suite.
expect_status "empty shard run" 0 "$T" --shard 9999/9999 --junit "$TMP/empty.xml" topo_1n1l2c1t &&
	{ grep -q 'tests="0"' "$TMP/empty.xml" 2>/dev/null && grep -q '^1\.\.0$' "$TMP/out" &&
		ok "empty shard: KTAP 1..0 and an empty JUnit suite" || bad "empty shard: KTAP 1..0 and an empty JUnit suite" "$(cat "$TMP/out")"; }

# --- --out / --junit error paths (no VM boots) ----------------------------
expect "--out under a file" 2 "ktstr: --out" "$T" --out /dev/null/x topo_1n1l2c1t
touch "$TMP/afile"
expect "--out is a file" 2 "ktstr: --out" "$T" --out "$TMP/afile" topo_1n1l2c1t
expect "--out empty" 2 "ktstr: --out" "$T" --out "" topo_1n1l2c1t
if [ "$(id -u)" -ne 0 ]; then
	mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro"
	expect "--out read-only dir" 2 "not writable|cannot create" "$T" --out "$TMP/ro/sub" topo_1n1l2c1t
	expect "--out read-only dir itself" 2 "not writable" "$T" --out "$TMP/ro" topo_1n1l2c1t
	expect "--junit in a read-only dir" 2 "ktstr: --junit" "$T" --junit "$TMP/ro/x.xml" topo_1n1l2c1t
else
	skip "read-only directory cases" "root ignores permissions"
fi
expect "--junit to a directory" 2 "ktstr: --junit.*(directory|file name)" "$T" --junit "$TMP" topo_1n1l2c1t
expect "--junit in a missing directory" 2 "ktstr: --junit" "$T" --junit "$TMP/nodir/x.xml" topo_1n1l2c1t
expect "--junit empty" 2 "ktstr: --junit" "$T" --junit "" topo_1n1l2c1t
expect "scenario --junit to a directory" 2 "ktstr: --junit" "$K" scenario --junit "$TMP" steady
[ ! -e "$TMP/nodir" ] && ok "failed checks leave nothing behind" || bad "failed checks leave nothing behind" "$TMP/nodir exists"
# --list never writes reports
expect_status "--list with --out" 0 "$T" --list --out "$TMP/listout" --junit "$TMP/list.xml" &&
	{ [ ! -e "$TMP/list.xml" ] && ok "--list writes no report" || bad "--list writes no report"; }

# --- show-host / topo ------------------------------------------------------
expect_status "show-host" 0 "$K" show-host && {
	missing=""
	for k in "online cpus" "llc groups" "numa nodes" "^smt" "^kvm " "ktstr kvm vmm" "^qemu" "--vmm auto" "== kernels =="; do
		grep -qE -- "$k" "$TMP/out" || missing="$missing '$k'"
	done
	[ -z "$missing" ] && ok "show-host prints topology, kvm, backend, kernels" || bad "show-host fields" "missing:$missing"
	n=$(awk '/^online cpus/ {print $3}' "$TMP/out")
	[ "$n" = "$(getconf _NPROCESSORS_ONLN)" ] && ok "show-host cpu count ($n)" || bad "show-host cpu count" "$n vs $(getconf _NPROCESSORS_ONLN)"
}
expect "show-host --help" 0 "usage: ktstr show-host" "$K" show-host --help
expect "show-host bad argument" 2 "unexpected argument" "$K" show-host --bogus
expect_status "topo" 0 "$K" topo && {
	[ "$(tail -n +2 "$TMP/out" | wc -l)" -eq 24 ] && ok "topo lists 24 presets" || bad "topo lists 24 presets" "$(wc -l <"$TMP/out") lines"
	grep -qE '^numa4-12llc +4n12l8c2t +192 +12 +4' "$TMP/out" && ok "topo row numa4-12llc" || bad "topo row numa4-12llc"
	grep -qE '^max-cpu-nosmt +1n14l18c1t +252 +14 +1' "$TMP/out" && ok "topo row max-cpu-nosmt" || bad "topo row max-cpu-nosmt"
	# every preset is accepted by --topo
	badp=""
	for t in $(tail -n +2 "$TMP/out" | awk '{print $2}'); do
		"$T" --list --topo "$t" topo_1n1l2c1t >/dev/null 2>&1 || badp="$badp $t"
	done
	[ -z "$badp" ] && ok "every preset parses as --topo" || bad "every preset parses as --topo" "$badp"
}
expect "topo bad argument" 2 "unexpected argument" "$K" topo extra

# --- one short VM: --junit, --out, progress on a terminal, clean KTAP --------
if need_kernel "VM run: --junit, --out, progress" && need_cmd "VM run: --junit, --out, progress" script; then
	# script(1) gives the runner a terminal on stderr; stdout goes to a file.
	script -qec "$T --junit '$TMP/r.xml' --out '$TMP/side' neg_guest_panic >'$TMP/ktap' 2>/dev/tty; echo rc=\$? >'$TMP/rc'" \
		"$TMP/tty" >/dev/null 2>&1 </dev/null
	if grep -q 'rc=0' "$TMP/rc" 2>/dev/null; then ok "VM run exit 0"; else bad "VM run exit 0" "$(cat "$TMP/rc" 2>/dev/null)" "$(head -c 600 "$TMP/ktap")"; fi
	if grep -qE '^ok 1 neg_guest_panic' "$TMP/ktap" && ! grep -q $'[\r\e]' "$TMP/ktap"; then
		ok "KTAP on stdout is clean"
	else
		bad "KTAP on stdout is clean" "$(cat -A "$TMP/ktap" | head -5)"
	fi
	grep -qE '\[[01]/1\] elapsed' "$TMP/tty" && ok "progress line on a terminal" ||
		bad "progress line on a terminal" "$(cat -A "$TMP/tty" | head -3)"
	# not a terminal: no progress line
	if [ -s "$TMP/ktap" ]; then
		"$T" --list >/dev/null 2>"$TMP/err"
		! grep -q 'elapsed' "$TMP/err" && ok "no progress line without a terminal" || bad "no progress line without a terminal"
	fi
	if $have_py; then
		check_py "--junit XML and --out sidecar contents" "$TMP/r.xml" "$TMP/side/neg_guest_panic.ktstr.json" <<'PY'
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
assert root.tag == "testsuites" and suite.get("tests") == "1" and suite.get("failures") == "0", root.attrib
assert len(cases) == 1 and cases[0].get("name") == "neg_guest_panic", [c.attrib for c in cases]
assert cases[0].find("failure") is None
d = json.load(open(sys.argv[2]))
for k in ("name", "verdict", "reason", "topology", "scheduler", "vmm", "accel", "wall_s", "boot_s",
          "duration_ms", "result", "console", "vm_exit"):
    assert k in d, k
assert d["name"] == "neg_guest_panic" and d["verdict"] == "pass" and d["topology"] == "1n1l1c1t", d
assert d["scheduler"] == "eevdf" and d["vm_exit"] == "panicked" and "panic" in d["reason"], d["reason"]
assert "Kernel panic" in d["console"]["com1_tail"], d["console"]["com1_tail"][-300:]
print("ok")
PY
	else
		[ -s "$TMP/r.xml" ] && [ -s "$TMP/side/neg_guest_panic.ktstr.json" ] &&
			ok "--junit and --out written (python3 missing: contents not checked)" ||
			bad "--junit and --out written"
	fi
fi

# --- --retries: a case that fails every attempt runs 1 + N times ----------
for v in x -1 101 ""; do
	expect "--retries '$v' is rejected" 2 "ktstr: --retries" "$T" --list --retries "$v"
done
expect "KTSTR_RETRIES=bogus is rejected" 2 "KTSTR_RETRIES" env KTSTR_RETRIES=bogus "$T" --list
if need_kernel "--retries VM run"; then
	# 30 s of workload under a 5 s VM limit: every attempt times out.
	if expect_status "--retries 1 on a failing case" 1 "$T" --no-progress --retries 1 --timeout 5 --duration 30 \
		--out "$TMP/retry" ^topo_1n1l2c1t; then
		n=$(grep -c '^# topo_1n1l2c1t: attempt 1 of 2 failed' "$TMP/out")
		[ "$n" = 1 ] && grep -q '^not ok 1 topo_1n1l2c1t .*(failed all 2 attempts)$' "$TMP/out" && grep -qx '0 passed, 1 failed' "$TMP/out" &&
			ok "--retries: retried once, then failed" || bad "--retries: retried once, then failed" "$(head -c 600 "$TMP/out")"
		grep -q '"attempts": 2' "$TMP/retry/topo_1n1l2c1t.ktstr.json" && grep -q '"flaky": false' "$TMP/retry/topo_1n1l2c1t.ktstr.json" &&
			ok "--retries: sidecar counts 2 attempts, not flaky" || bad "--retries: sidecar attempts" "$(grep -E 'attempts|flaky' "$TMP/retry/"*.json)"
	fi
fi

# --- scx_central: its enable helper is pinned by a warm-up load that the
# kernel ejects; that ejection is no finding of the run.  (A later real
# ejection would be: scx_central has one, rare, docs/checks.md.) ---------
if need_kernel "scx_central warm-up" && $have_py; then
	"$K" scenario --no-progress --no-auto-repro -d 1 --out "$TMP/central" -s scx_central ^steady_llc \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	check_py "scx_central warm-up: no exit, dump or kernel words of it in the run" \
		"$TMP/central/steady_llc.ktstr.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["monitor"]["events"]
kinds = [e["kind"] for e in ev]
ready = min([e["t_ms"] for e in ev if e["kind"] == "ready"] or [0])
assert ready, kinds
early = [e for e in ev if e["kind"] in ("sched_exit", "dump") and e["t_ms"] <= ready]
assert not early, early
for k in ("reason", "sched_ext_dump", "report"):
    assert "non-central" not in (d.get(k) or ""), (k, d[k][:300])
assert "KTSTR_SCHED_HELPER pinned to 0: ok" in d["console"]["com2_tail"], d["console"]["com2_tail"][-600:]
print("ok")
PY
fi

# --- ktstr run --repro: auto-repro probes on this host (bare metal) --------
expect "run help lists --repro" 0 "^ +--repro " "$K" run --help
expect "run help lists --probe-stack" 0 "^ +--probe-stack " "$K" run --help
expect "run: --probe-stack without --repro is rejected" 2 "^ktstr run: --probe-stack needs --repro$" \
	"$K" run --probe-stack do_nanosleep steady
expect "run: a bad --probe-stack list is rejected" 2 "^ktstr: --probe-stack 'a b,': not a list" \
	"$K" run --repro --probe-stack 'a b,' steady
# The probes themselves, when this host can take them (root, BPF, kprobes);
# when it cannot, the one line saying why, and the rest skipped with it.
"$K" run --repro --probe-stack do_nanosleep --duration 1 steady >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
why=$(sed -n 's/^ktstr run: --repro: \(cannot probe on this host: .*\|needs root.*\)$/\1/p' "$TMP/err")
if [ "$rc" = 1 ] && [ -n "$why" ]; then
	ok "run --repro: this host cannot probe, said in one line ($(wc -l <"$TMP/err") line)"
	skip "run --repro: probes on this host, section or status" "$why"
	skip "run --repro: an unknown function alone is bad input" "$why"
else
	expect_grep "run --repro: probes on this host, section or status" \
		'^  (no scheduler exit seen: probes attached to [0-9]+ function|reproduced: scheduler exit)'
	expect "run --repro: an unknown function alone is bad input" 2 \
		"^ktstr run: --probe-stack: none of the 1 function can be probed" \
		"$K" run --repro --probe-stack no_such_function_ktstr --duration 1 steady
fi
# In a VM, where the 6.12 kernel has kprobes and sched_ext: tests/cli/repro.sh.

# stats / compare / report / man page: tests/cli/report.sh (make clitest runs it).

done_testing
